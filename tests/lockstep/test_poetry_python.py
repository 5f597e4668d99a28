"""The Python made for Poetry matches environment.yml's python, for every way of writing it.

micromamba is a stand-in at the process boundary (tests/support/standin_micromamba.py):
it parses the spec as micromamba 2.5.0 does and installs a Python of this
machine that the spec accepts. The expected version is written here by hand,
and the spec is checked against the one conda-lock itself gives its solver.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from lockstep.lock.poetry_python import ensure_poetry_python
from lockstep.shared.environment import load_environment
from tests.lockstep.prefixes import prefix_python_version
from tests.support.standin_conda_lock import SolvedPackage, render_lockfiles
from tests.support.standin_micromamba import machine_pythons

REPO_ROOT = Path(__file__).resolve().parents[2]
STANDIN_MICROMAMBA = REPO_ROOT / "tests" / "support" / "standin_micromamba.py"

# environment.yml's python entry -> the (major, minor) the prefix must run; None: any.
CASES = {
    "python=3.12": (3, 12),
    "python>=3.12,<3.13": (3, 12),
    "python 3.11.*": (3, 11),
    "python": None,
}


def _environment(root: Path, entry: str) -> Path:
    path = root / "environment.yml"
    path.write_text(
        f"channels:\n  - conda-forge\ndependencies:\n  - {entry}\nplatforms:\n  - linux-64\n"
    )
    return path


def _micromamba(root: Path) -> tuple[Path, Path]:
    """An executable micromamba stand-in and the log of its calls."""
    log = root / "micromamba-calls.jsonl"
    shim = root / "bin" / "micromamba"
    shim.parent.mkdir()
    shim.write_text(
        f'#!/bin/sh\nLOCKSTEP_STANDIN_MICROMAMBA_LOG="{log}" '
        f'exec "{sys.executable}" "{STANDIN_MICROMAMBA}" "$@"\n'
    )
    shim.chmod(0o755)
    return shim, log


@pytest.mark.parametrize("entry", list(CASES))
def test_prefix_runs_a_python_the_spec_accepts(tmp_path: Path, entry: str) -> None:
    """micromamba accepts the request, and the prefix's Python has the version asked for."""
    wanted = CASES[entry]
    if wanted is not None and not any(p.version_tuple[:2] == wanted for p in machine_pythons()):
        pytest.skip(f"this machine has no Python {wanted[0]}.{wanted[1]} to stand in for conda's")
    environment = load_environment(_environment(tmp_path, entry), requires_python=None)
    micromamba, _ = _micromamba(tmp_path)

    prefix = ensure_poetry_python(
        environment, conda_exe=str(micromamba), cache_dir=tmp_path / "cache", workdir=tmp_path
    )

    running = prefix_python_version(prefix)
    assert running[0] == 3
    if wanted is not None:
        assert running == wanted


@pytest.mark.parametrize("entry", list(CASES))
def test_micromamba_gets_the_matchspec_conda_lock_gives_its_solver(
    tmp_path: Path, entry: str
) -> None:
    """The python spec on micromamba's command line is the one conda-lock's solve uses."""
    wanted = CASES[entry] or (3, 12)
    version = f"{wanted[0]}.{wanted[1]}.0"
    if not any(p.version_tuple[:2] == wanted for p in machine_pythons()):
        pytest.skip(f"this machine has no Python {wanted[0]}.{wanted[1]} to stand in for conda's")
    path = _environment(tmp_path, entry)
    python = f"https://conda.anaconda.org/conda-forge/linux-64/python-{version}-h0_cpython.conda"
    solver = render_lockfiles(tmp_path, {"linux-64": [SolvedPackage(python, "0" * 32)]})
    ((_, conda_lock_specs),) = solver.solves
    micromamba, log = _micromamba(tmp_path)

    ensure_poetry_python(
        load_environment(path, requires_python=None),
        conda_exe=str(micromamba),
        cache_dir=tmp_path / "cache",
        workdir=tmp_path,
    )

    (call,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert call[-1:] == conda_lock_specs
