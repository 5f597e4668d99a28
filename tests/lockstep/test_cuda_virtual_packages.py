"""virtual-packages.yml validated before any solve: one line and exit 2 when it is bad,
one warning line when a CUDA target leaves linux-aarch64 without CUDA.

What conda-lock accepts is decided by its own model (`VirtualPackageSpec`); one of
the bad specs is a real user's (tests/data/realworld/pairs-cuda/SOURCES.md).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lockstep.shared.errors import EXIT_LOCK_FAILED
from tests.lockstep.lock_scenario import LockScenario, tree_digest
from tests.support.in_process import run_lockstep

PAIRS = Path(__file__).resolve().parents[1] / "data" / "realworld" / "pairs-cuda"
ENVIRONMENT = """\
channels: [conda-forge]
dependencies:
  - python=3.12
platforms: [linux-64, linux-aarch64]
"""
PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.12,<3.13"
dependencies = []

[tool.poetry]
package-mode = false
"""
LINUX = '__unix: "0", __linux: "5.10", __glibc: "2.28"'
BOTH = (
    f"subdirs: {{linux-64: {{packages: {{{LINUX}}}}}, linux-aarch64: {{packages: {{{LINUX}}}}}}}\n"
)
CUDA_ON_64 = BOTH.replace('"2.28"}', '"2.28", __cuda: "12.4"}', 1)
WARNING = "lockstep: warning: virtual-packages.yml: declares a CUDA target"


def project(root: Path, spec: str | None, environment: str = ENVIRONMENT) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "environment.yml").write_text(environment)
    (root / "pyproject.toml").write_text(PYPROJECT)
    if spec is not None:
        (root / "virtual-packages.yml").write_text(spec)
    return root


def check(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_lockstep(
        ["check", "--project", str(root)], env={**os.environ, "LOCKSTEP_PLATFORMS": "", **env}
    )


BAD_SPECS = {
    "bad YAML": (
        "subdirs:\n  linux-64:\n\tpackages: {}\n",
        "not valid YAML at line 3; fix the syntax",
    ),
    "an unquoted version": (
        BOTH.replace('"2.28"}', "2.28}", 1),
        "linux-64: __glibc: 2.28 is a YAML number, not a version string;"
        ' quote it (__glibc: "2.28")',
    ),
    "a real package": (
        BOTH.replace('"2.28"}', '"2.28", cudatoolkit: "12.4"}', 1),
        "linux-64: 'cudatoolkit' is not a virtual package;",
    ),
    "an unknown subdir": (
        BOTH.replace("}}}\n", '}}, linux64: {packages: {__cuda: "12.4"}}}\n'),
        "unknown subdir 'linux64'; use one of: linux-64,",
    ),
    "a version that is not one": (
        CUDA_ON_64.replace('"12.4"', '"latest"'),
        "linux-64: __cuda: 'latest' is not a version; write numbers separated by dots",
    ),
    "no packages key": (
        'subdirs: {linux-64: {__cuda: "12.4"}}\n',
        "not conda-lock's virtual-package format (Field required at subdirs.linux-64.packages)",
    ),
    "an empty file": ("", "is empty; write subdirs:"),
    "a locked platform it does not name": (
        f'subdirs: {{linux-64: {{packages: {{{LINUX}, __cuda: "12.4"}}}}}}\n',
        "names no virtual packages for linux-aarch64, which is locked;",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_SPECS))
def test_a_bad_spec_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    """Bad YAML, a real package, an unknown subdir, a non-version, a platform left without
    virtual packages: one line naming virtual-packages.yml and the fix, exit 2."""
    spec, fix = BAD_SPECS[case]
    root = project(tmp_path / "p", spec)

    result = check(root)

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"lockstep: error: {root / 'virtual-packages.yml'}: "), line
    assert fix in line


def test_a_real_unquoted_version_gets_the_quote_fix(tmp_path: Path) -> None:
    """A real project's `__cuda: 11.7` (a YAML number conda-lock 4.0.3 refuses): quote it."""
    root = tmp_path / "p"
    shutil.copytree(PAIRS / "ultrasound-2023-unquoted", root)
    (root / "pyproject.toml").write_text(PYPROJECT.replace(">=3.12,<3.13", ">=3.10,<3.11"))

    result = check(root)

    assert result.returncode == 2
    assert result.stderr == (
        f"lockstep: error: {root / 'virtual-packages.yml'}: linux-64: __cuda: 11.7 is a YAML"
        ' number, not a version string; quote it (__cuda: "11.7"), as YAML reads 12.10 as 12.1\n'
    )


def test_both_spec_names_at_once_are_refused(tmp_path: Path) -> None:
    """virtual-packages.yml and .yaml together: conda-lock would silently read only one."""
    root = project(tmp_path / "p", BOTH)
    (root / "virtual-packages.yaml").write_text(BOTH)

    result = check(root)

    assert result.returncode == 2
    assert "virtual-packages.yml and virtual-packages.yaml both exist" in result.stderr


def test_a_bad_spec_stops_lock_before_any_solve(scenario: LockScenario) -> None:
    """`lockstep lock` refuses it at validation: no conda-lock call, no file changed."""
    (scenario.project / "virtual-packages.yml").write_text(
        "subdirs:\n  linux-64:\n\tpackages: {}\n"
    )
    before = tree_digest(scenario.project)

    result = scenario.lockstep("lock")

    assert result.returncode == 2, result.stderr
    assert "virtual-packages.yml: not valid YAML at line 3" in result.stderr
    assert scenario.solve_calls() == 0
    assert tree_digest(scenario.project) == before


def test_check_warns_once_of_linux_aarch64_without_cuda(tmp_path: Path) -> None:
    """A CUDA target on linux-64 with linux-aarch64 locked but given no __cuda: one warning
    line naming the two ways out; not an error."""
    root = project(tmp_path / "p", CUDA_ON_64)

    result = check(root)

    assert result.returncode == 1  # no lockfiles yet: stale, not bad input
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        f"{WARNING} (__cuda 12.4 for linux-64) but none for linux-aarch64"
    )
    assert "add __cuda for linux-aarch64 in virtual-packages.yml" in warnings[0]
    assert "drop linux-aarch64 from platforms in environment.yml" in warnings[0]
    assert "CONDA_PLATFORMS=linux-64" in warnings[0]


@pytest.mark.parametrize(
    ("spec", "env"),
    [
        pytest.param(CUDA_ON_64, {"LOCKSTEP_PLATFORMS": "linux-64"}, id="aarch64-not-locked"),
        pytest.param(
            CUDA_ON_64.replace('"2.28"}}}\n', '"2.28", __cuda: "12.4"}}}\n'), {}, id="cuda-on-both"
        ),
        pytest.param(BOTH, {}, id="no-cuda-target"),
    ],
)
def test_no_warning_when_aarch64_is_covered(tmp_path: Path, spec: str, env: dict[str, str]) -> None:
    """No warning when linux-aarch64 is not locked, has its own __cuda, or no CUDA is declared."""
    root = project(tmp_path / "p", spec)

    result = check(root, **env)

    assert result.returncode == 1, result.stderr
    assert "warning" not in result.stderr


def test_a_linux_platform_without_glibc_is_warned_of(tmp_path: Path) -> None:
    """A spec replaces conda-lock's defaults: a linux entry with only __cuda has no __glibc,
    which conda-forge's compiled packages need."""
    root = project(
        tmp_path / "p",
        'subdirs: {linux-64: {packages: {__cuda: "12.4"}}}\n',
        ENVIRONMENT.replace(", linux-aarch64", ""),
    )

    result = check(root)

    (warning,) = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warning.startswith("lockstep: warning: virtual-packages.yml: linux-64 has no __glibc")
    assert 'add __glibc: "2.28"' in warning


def test_lock_warns_once_too(scenario: LockScenario) -> None:
    """`lockstep lock` prints the same warning once, at validation, before solving."""
    (scenario.project / "virtual-packages.yml").write_text(CUDA_ON_64)
    scenario.set_behaviour("fail")  # stop at the solve: the warning comes before it

    result = scenario.lockstep("lock")

    assert result.returncode == EXIT_LOCK_FAILED
    warnings = [line for line in result.stderr.splitlines() if line.startswith(WARNING)]
    assert len(warnings) == 1
    assert result.stderr.index(WARNING) < result.stderr.index("solve conda")
