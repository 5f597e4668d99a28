"""`lockstep lock` with a declared CUDA target: the spec goes to conda-lock, and back out fresh.

conda-lock is the real 4.0.3 with only its solver replaced
(tests/support/standin_conda_lock.py): it reads `--virtual-package-spec` and
writes the `# input_hash:` itself. One test compares its rendering of a real
PyTorch CUDA lock with the lockfile the real conda-lock wrote
(tests/data/realworld/pairs-cuda/ultrasound-2024, sources in SOURCES.md).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from lockstep.check.freshness import conda_staleness
from lockstep.lock.pipeline import solve_conda
from lockstep.shared.conda_input_hash import conda_input_hashes
from lockstep.shared.explicit_lockfile import read_explicit_lockfile
from lockstep.shared.inputs_fingerprint import inputs_fingerprint
from lockstep.shared.project import ProjectFiles
from lockstep.shared.pyproject import recorded_inputs
from lockstep.shared.staging import Staging
from lockstep.shared.toml_reader import tomllib
from tests.lockstep.lock_scenario import LockScenario
from tests.support.standin_conda_lock import (
    StandinSolver,
    lock_command,
    render_lockfiles,
    run_conda_lock,
    solution_of_lockfile,
)

PAIRS = Path(__file__).resolve().parents[1] / "data" / "realworld" / "pairs-cuda"
HEADER_LINES = 4  # generated-by, platform, input_hash, @EXPLICIT
PLATFORMS = ["linux-64", "linux-aarch64"]
LINUX = '{__unix: "0", __linux: "5.10", __glibc: "2.28", __cuda: "12.4"}'
SPEC = f"subdirs: {{linux-64: {{packages: {LINUX}}}, linux-aarch64: {{packages: {LINUX}}}}}\n"
COMMAND = [
    "lock",
    "--file",
    "environment.yml",
    "--kind",
    "explicit",
    "--platform",
    "linux-64",
    "--platform",
    "linux-aarch64",
    "--filename-template",
    "conda-{platform}.lock",
]


def solve_in(scenario: LockScenario, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Run lockstep's solve_conda on the scenario's project; conda-lock's argv as it got it."""
    monkeypatch.setenv("PATH", scenario.environ()["PATH"])
    monkeypatch.setenv("LOCKSTEP_STANDIN_SCENARIO", str(scenario.scenario_file))
    monkeypatch.setenv("PYTHONPATH", scenario.environ()["PYTHONPATH"])
    monkeypatch.delenv("LOCKSTEP_CONDA_EXE", raising=False)
    solve_conda(ProjectFiles(scenario.project), PLATFORMS)
    (call,) = [json.loads(line) for line in scenario.calls_file.read_text().splitlines()]
    argv: list[str] = call["argv"]
    return argv


def test_without_a_spec_conda_lock_gets_no_virtual_package_option(
    scenario: LockScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No virtual-packages.yml: the command line is as before, and conda-lock's defaults hash."""
    argv = solve_in(scenario, monkeypatch)

    assert argv == COMMAND
    files = ProjectFiles(scenario.project)
    assert conda_staleness(files, PLATFORMS) == []


def test_with_a_spec_conda_lock_gets_it_by_name(
    scenario: LockScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With virtual-packages.yml, solve_conda passes `--virtual-package-spec` and conda-lock's
    lockfiles carry the hash of environment.yml with that spec: fresh by lockstep's check."""
    (scenario.project / "virtual-packages.yml").write_text(SPEC)

    argv = solve_in(scenario, monkeypatch)

    assert argv == [*COMMAND, "--virtual-package-spec", "virtual-packages.yml"]
    files = ProjectFiles(scenario.project)
    with_spec = conda_input_hashes(
        files.environment, PLATFORMS, virtual_packages=files.virtual_packages
    )
    written = {p: read_explicit_lockfile(files.conda_lock(p)).input_hash for p in PLATFORMS}
    assert written == with_spec
    assert written != conda_input_hashes(files.environment, PLATFORMS)
    assert conda_staleness(files, PLATFORMS) == []


def test_staging_copies_the_spec_as_an_input_only(tmp_path: Path) -> None:
    """The spec is in the staging copy (conda-lock runs there), and commit never writes it."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "environment.yml").write_text("dependencies: [python=3.12]\n")
    (root / "virtual-packages.yml").write_text(SPEC)

    with Staging(ProjectFiles(root)) as staging:
        staged = staging.root / "virtual-packages.yml"
        assert staged.read_text() == SPEC
        staged.write_text(SPEC.replace("12.4", "11.8"))
        changed = staging.commit()

    assert "virtual-packages.yml" not in changed
    assert (root / "virtual-packages.yml").read_text() == SPEC


def test_the_recorded_inputs_digest_counts_the_spec(tmp_path: Path) -> None:
    """The inputs digest lock records (computed in the staging copy) is the one `check`
    computes in the project, so `check` keeps its fast path when a spec exists."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "environment.yml").write_text("dependencies: [python=3.12]\n")
    (root / "virtual-packages.yml").write_text(SPEC)
    real = ProjectFiles(root)

    with Staging(real) as staging:
        staged = inputs_fingerprint(staging.files, requires_python=">=3.12")

    assert staged == inputs_fingerprint(real, requires_python=">=3.12")


@pytest.mark.parametrize("how", ["found-by-conda-lock", "passed-by-lockstep"])
def test_standin_writes_the_real_cuda_lockfile(tmp_path: Path, how: str) -> None:
    """Given the packages the real solve chose, conda-lock (solver replaced) renders the real
    PyTorch CUDA lockfile, `# input_hash:` included: whether it finds virtual-packages.yml
    in its directory or is given it as lockstep gives it."""
    pair = PAIRS / "ultrasound-2024"
    real = pair / "conda-linux-64.lock"
    for name in ("environment.yml", "virtual-packages.yml"):
        shutil.copyfile(pair / name, tmp_path / name)
    solutions = dict([solution_of_lockfile(real)])

    if how == "found-by-conda-lock":
        render_lockfiles(tmp_path, solutions)
    else:
        argv = [*lock_command("environment.yml", ["linux-64"]), "--virtual-package-spec"]
        previous = Path.cwd()
        os.chdir(tmp_path)
        try:
            code = run_conda_lock([*argv, "virtual-packages.yml"], StandinSolver(solutions))
        finally:
            os.chdir(previous)
        assert code == 0

    expected = real.read_text(encoding="utf-8").splitlines()
    written = (tmp_path / real.name).read_text(encoding="utf-8").splitlines()
    assert written[:HEADER_LINES] == expected[:HEADER_LINES]
    assert sorted(written[HEADER_LINES:]) == sorted(expected[HEADER_LINES:])


@pytest.mark.network
def test_lock_with_a_cuda_target_then_check_is_fresh(scenario: LockScenario) -> None:
    """`lockstep lock` end to end with virtual-packages.yml: conda-lock is given it, the spec
    stays untouched, and `lockstep check` calls the result fresh on its fast path."""
    (scenario.project / "virtual-packages.yml").write_text(SPEC)

    result = scenario.lockstep("lock")

    assert result.returncode == 0, result.stderr
    (call,) = [json.loads(line) for line in scenario.calls_file.read_text().splitlines()]
    assert call["argv"][-2:] == ["--virtual-package-spec", "virtual-packages.yml"]
    assert (scenario.project / "virtual-packages.yml").read_text() == SPEC
    files = ProjectFiles(scenario.project)
    pyproject = tomllib.loads(files.pyproject.read_text())
    assert recorded_inputs(pyproject) == inputs_fingerprint(files, requires_python=">=3.11,<3.12")
    check = scenario.lockstep("check")
    assert (check.returncode, check.stdout) == (0, "lockstep: lockfiles are fresh\n")
    assert conda_staleness(files, PLATFORMS) == []
