"""The stand-ins for conda-lock's solver and for micromamba behave as the real tools do.

The expected values come from outside lockstep: lockfiles the real conda-lock
wrote in real projects (tests/data/realworld/pairs/), what micromamba 2.5.0
printed (tests/data/recorded/), and the interpreters on this machine.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.lockstep.prefixes import prefix_python_version
from tests.support.standin_conda_lock import (
    SolvedPackage,
    lock_command,
    render_lockfiles,
)
from tests.support.standin_micromamba import machine_pythons

REPO_ROOT = Path(__file__).resolve().parents[2]
PAIRS = REPO_ROOT / "tests" / "data" / "realworld" / "pairs"
STANDIN_CONDA_LOCK = REPO_ROOT / "tests" / "support" / "standin_conda_lock.py"
STANDIN_MICROMAMBA = REPO_ROOT / "tests" / "support" / "standin_micromamba.py"
HEADER_LINES = 4  # generated-by, platform, input_hash, @EXPLICIT

ENVIRONMENT = """\
channels: [conda-forge]
dependencies:
  - python=3.11
  - six
"""


def _real_solution(lockfile: Path) -> tuple[str, list[SolvedPackage]]:
    """The platform and packages of a lockfile conda-lock wrote, as its solver's answer.

    Explicit lockfiles keep no dependencies, and conda-lock renders only the
    packages a request reaches through them; so `python` (requested in these
    environments) is made to depend on every other package.
    """
    lines = lockfile.read_text(encoding="utf-8").splitlines()
    platform = lines[1].removeprefix("# platform: ")
    packages = [SolvedPackage.from_explicit_line(line) for line in lines if "://" in line]
    names = [package.record()["name"] for package in packages]
    assert "python" in names
    return platform, [
        dataclasses.replace(package, depends=tuple(n for n in names if n != "python"))
        if package.record()["name"] == "python"
        else package
        for package in packages
    ]


@pytest.mark.parametrize("name", ["esmvalcore", "jupyterlab-desktop"])
def test_conda_lock_standin_writes_what_real_conda_lock_wrote(tmp_path: Path, name: str) -> None:
    """Given the packages the real solve chose, it renders the real lockfiles' header and lines.

    The `# input_hash:` is conda-lock 4.0.3's own, so it must equal the one the
    real conda-lock wrote in the project's commit.
    """
    pair = PAIRS / name
    lockfiles = sorted(pair.glob("conda-*.lock"))
    solutions = dict(_real_solution(lockfile) for lockfile in lockfiles)
    shutil.copyfile(pair / "environment.yml", tmp_path / "environment.yml")

    render_lockfiles(tmp_path, solutions)

    for real in lockfiles:
        expected = real.read_text(encoding="utf-8").splitlines()
        written = (tmp_path / real.name).read_text(encoding="utf-8").splitlines()
        assert written[:HEADER_LINES] == expected[:HEADER_LINES], real.name
        assert sorted(written[HEADER_LINES:]) == sorted(expected[HEADER_LINES:]), real.name


def _solution(python_version: str) -> dict[str, list[SolvedPackage]]:
    channel = "https://conda.anaconda.org/conda-forge"
    python = f"{channel}/linux-64/python-{python_version}-h0_cpython.conda"
    six = f"{channel}/noarch/six-1.16.0-pyh6c4a22f_0.tar.bz2"
    return {
        "linux-64": [
            SolvedPackage(python, "0" * 32),
            SolvedPackage(six, "1" * 32, depends=("python",)),
        ]
    }


def test_conda_lock_standin_asks_for_what_environment_yml_says(tmp_path: Path) -> None:
    """conda-lock hands its solver the environment's specs in MatchSpec form."""
    (tmp_path / "environment.yml").write_text(ENVIRONMENT)

    solver = render_lockfiles(tmp_path, _solution("3.11.10"))

    assert solver.solves == [("linux-64", ["python 3.11.*", "six"])]


def test_conda_lock_standin_refuses_a_solution_the_spec_excludes(tmp_path: Path) -> None:
    """Its solver fails, as a real one would, when no package on offer matches a spec."""
    (tmp_path / "environment.yml").write_text(ENVIRONMENT)

    with pytest.raises(subprocess.CalledProcessError):
        render_lockfiles(tmp_path, _solution("3.10.14"))

    assert not (tmp_path / "conda-linux-64.lock").exists()


def _run_conda_lock_standin(project: Path, behaviour: str) -> subprocess.CompletedProcess[str]:
    scenario = project / "scenario.json"
    solution = _solution("3.11.10")["linux-64"]
    scenario.write_text(
        json.dumps(
            {
                "behaviour": behaviour,
                "calls": str(project / "calls.jsonl"),
                "lockfiles": {
                    "linux-64": [
                        {"url": p.url, "md5": p.md5, "depends": list(p.depends)} for p in solution
                    ]
                },
            }
        )
    )
    argv = lock_command("environment.yml", ["linux-64"], conda="/opt/conda/bin/micromamba")
    return subprocess.run(
        [sys.executable, str(STANDIN_CONDA_LOCK), *argv],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={"LOCKSTEP_STANDIN_SCENARIO": str(scenario), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


def test_conda_lock_standin_process_takes_lockstep_arguments(tmp_path: Path) -> None:
    """As a process it accepts lockstep's command line, logs it and writes the lockfile."""
    (tmp_path / "environment.yml").write_text(ENVIRONMENT)

    result = _run_conda_lock_standin(tmp_path, "ok")

    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "conda-linux-64.lock").read_text().splitlines()
    assert lines[:2] == ["# Generated by conda-lock.", "# platform: linux-64"]
    assert lines[3:] == [
        "@EXPLICIT",
        "https://conda.anaconda.org/conda-forge/linux-64/python-3.11.10-h0_cpython.conda#"
        + "0" * 32,
        "https://conda.anaconda.org/conda-forge/noarch/six-1.16.0-pyh6c4a22f_0.tar.bz2#" + "1" * 32,
    ]
    (call,) = [json.loads(line) for line in (tmp_path / "calls.jsonl").read_text().splitlines()]
    assert call["argv"][-2:] == ["--conda", "/opt/conda/bin/micromamba"]


def test_conda_lock_standin_process_fails_as_conda_lock_does(tmp_path: Path) -> None:
    """A failing solve ends conda-lock with its own report and exit status 1, writing nothing."""
    (tmp_path / "environment.yml").write_text(ENVIRONMENT)

    result = _run_conda_lock_standin(tmp_path, "fail")

    assert result.returncode == 1
    assert "Could not lock the environment for platform linux-64" in result.stdout + result.stderr
    assert "nothing provides requested six" in result.stderr
    assert not (tmp_path / "conda-linux-64.lock").exists()


# --- micromamba -------------------------------------------------------------------------


def _micromamba(*args: str, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin"}
    if log is not None:
        env["LOCKSTEP_STANDIN_MICROMAMBA_LOG"] = str(log)
    return subprocess.run(
        [sys.executable, str(STANDIN_MICROMAMBA), *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=300,
    )


def _create(prefix: Path, spec: str) -> subprocess.CompletedProcess[str]:
    return _micromamba(
        "create", "--yes", "--prefix", str(prefix), "--override-channels", "-c", "conda-forge", spec
    )


def _require_python(minor: tuple[int, int]) -> None:
    if not any(python.version_tuple[:2] == minor for python in machine_pythons()):
        pytest.skip(f"this machine has no Python {minor[0]}.{minor[1]} to stand in for conda's")


def test_micromamba_standin_reports_the_recorded_version() -> None:
    """`--version` prints what micromamba 2.5.0 printed."""
    recorded = (REPO_ROOT / "tests" / "data" / "recorded" / "micromamba-version.txt").read_text()

    result = _micromamba("--version")

    assert (result.returncode, result.stdout) == (0, recorded)


@pytest.mark.parametrize("spec", ["python >=3.12,<3.13", "python[version='>=3.12,<3.13']"])
def test_micromamba_standin_installs_a_python_the_range_accepts(tmp_path: Path, spec: str) -> None:
    """Both MatchSpec forms of a range are accepted and the prefix's Python is in the range."""
    _require_python((3, 12))

    result = _create(tmp_path / "env", spec)

    assert result.returncode == 0, result.stderr
    assert prefix_python_version(tmp_path / "env") == (3, 12)
    assert (tmp_path / "env" / "conda-meta" / "history").exists()


def test_micromamba_standin_rejects_an_operator_after_equals(tmp_path: Path) -> None:
    """`python=>=3.12,<3.13` is no MatchSpec: micromamba's parse error, exit 1, nothing made."""
    result = _create(tmp_path / "env", "python=>=3.12,<3.13")

    assert result.returncode == 1
    assert 'critical libmamba Error parsing version ">=3.12"' in result.stderr
    assert not (tmp_path / "env").exists()


def test_micromamba_standin_fails_when_no_python_matches(tmp_path: Path) -> None:
    """A spec no Python here satisfies fails as an unsolvable request, naming the spec."""
    result = _create(tmp_path / "env", "python >=3.99")

    assert result.returncode == 1
    assert "Could not solve for environment specs" in result.stderr
    assert "python >=3.99 does not exist" in result.stderr
    assert not (tmp_path / "env").exists()


def test_micromamba_standin_logs_every_call(tmp_path: Path) -> None:
    """Each call's arguments are appended to the log, in order."""
    log = tmp_path / "calls.jsonl"

    _micromamba("--version", log=log)
    _micromamba("info", log=log)

    assert [json.loads(line) for line in log.read_text().splitlines()] == [["--version"], ["info"]]
