"""`lockstep lock` end to end: real conda-lock, real pins over loopback HTTP, real `poetry lock`.

conda-lock is the real one with its solver replaced (conda channels are
unreachable here: tests/support/standin_conda_lock.py); package metadata, the
index check and `poetry lock` are real and reach PyPI.
"""

from __future__ import annotations

import json

import pytest

from lockstep.shared.toml_reader import tomllib
from tests.lockstep.lock_scenario import CONDA_ONLY_DIST, FirstLock, LockScenario, tree_digest
from tests.support.real_markers import real_marker

pytestmark = pytest.mark.network


def test_lock_then_check_is_fresh(first_lock: FirstLock, locked: LockScenario) -> None:
    """It writes both lockfiles and the pins, and `lockstep check` then exits 0."""
    result = first_lock.result

    assert result.returncode == 0, result.stderr
    project = locked.project
    assert {path.name for path in project.iterdir()} == {
        "environment.yml",
        "pyproject.toml",
        "poetry.lock",
        "conda-linux-64.lock",
        "conda-linux-aarch64.lock",
    }
    data = tomllib.loads((project / "pyproject.toml").read_text())
    group = data["tool"]["poetry"]["group"]["conda"]
    assert group["optional"] is True
    assert group["dependencies"]["six"] == "==1.16.0"
    assert group["dependencies"]["msgpack"] == [
        {"version": "==1.0.8", "markers": real_marker("linux-aarch64")},
        {"version": "==1.1.0", "markers": real_marker("linux-64")},
    ]
    assert CONDA_ONLY_DIST not in group["dependencies"]
    assert f"left out: {CONDA_ONLY_DIST}==0.1" in result.stderr
    assert set(data["tool"]["lockstep"]["lockfiles"]) == {
        "conda-linux-64.lock",
        "conda-linux-aarch64.lock",
    }
    poetry_lock = tomllib.loads((project / "poetry.lock").read_text())
    versions = {(package["name"], package["version"]) for package in poetry_lock["package"]}
    assert {("msgpack", "1.0.8"), ("msgpack", "1.1.0"), ("six", "1.16.0")} <= versions
    # The user's comments survive.
    assert "# msgpack comes from conda" in (project / "pyproject.toml").read_text()

    check = locked.lockstep("check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_second_run_reuses_the_solve_and_changes_nothing(locked: LockScenario) -> None:
    """It skips the conda solve when the lockfiles are fresh, and rewrites no file."""
    before = tree_digest(locked.project)
    mtimes = {path.name: path.stat().st_mtime_ns for path in locked.project.iterdir()}

    again = locked.lockstep("lock")

    assert again.returncode == 0, again.stderr
    assert locked.solve_calls() == 1
    assert "lockfiles fresh, reused" in again.stderr
    assert tree_digest(locked.project) == before
    assert {p.name: p.stat().st_mtime_ns for p in locked.project.iterdir()} == mtimes


def test_check_names_drift_after_editing_inputs(locked: LockScenario) -> None:
    """It reports each stale file and the fix after environment.yml and pyproject.toml change."""
    environment = locked.project / "environment.yml"
    environment.write_text(environment.read_text().replace("  - six\n", "  - six>=1.16\n"))
    pyproject = locked.project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"msgpack>=1.0"', '"msgpack>=1.0.5"'))

    check = locked.lockstep("check")

    assert check.returncode == 1
    assert "stale: conda-linux-64.lock: environment.yml changed" in check.stdout
    assert "stale: conda-linux-aarch64.lock: environment.yml changed" in check.stdout
    assert "stale: poetry.lock: pyproject.toml changed" in check.stdout
    assert "make env-update" in check.stdout


def test_upgrade_resolves_again_and_regenerates_the_poetry_lock(locked: LockScenario) -> None:
    """With --upgrade it solves fresh lockfiles again and runs `poetry lock --regenerate`."""
    upgraded = locked.lockstep("lock", "--upgrade")

    assert upgraded.returncode == 0, upgraded.stderr
    assert locked.solve_calls() == 2
    poetry_command = next(
        line for line in upgraded.stderr.splitlines() if " lock --no-interaction" in line
    )
    assert poetry_command.endswith("--regenerate")


def test_dropping_a_platform_removes_its_lockfile_and_markers(locked: LockScenario) -> None:
    """It deletes the lockfile of a platform no longer listed and pins without markers."""
    environment = locked.project / "environment.yml"
    environment.write_text(environment.read_text().replace("  - linux-aarch64\n", ""))

    result = locked.lockstep("lock")

    assert result.returncode == 0, result.stderr
    assert not (locked.project / "conda-linux-aarch64.lock").exists()
    assert "conda-linux-aarch64.lock (removed)" in result.stderr
    data = tomllib.loads((locked.project / "pyproject.toml").read_text())
    assert data["tool"]["poetry"]["group"]["conda"]["dependencies"]["msgpack"] == "==1.1.0"
    assert list(data["tool"]["lockstep"]["lockfiles"]) == ["conda-linux-64.lock"]
    assert locked.lockstep("check").returncode == 0


def test_poetry_locks_on_a_python_made_for_environment_yml(scenario: LockScenario) -> None:
    """With a conda solver configured, Poetry runs on a Python created for environment.yml's spec.

    micromamba is a stand-in at the process boundary (conda-forge is unreachable): it records
    the call, parses the spec as micromamba does and makes a venv from a Python of this
    machine that matches it. Poetry takes it through CONDA_PREFIX, so it creates no
    virtualenv of its own.
    """
    log = scenario.add_standin_micromamba()
    extra = {
        "LOCKSTEP_CONDA_EXE": str(scenario.bin_dir / "micromamba"),
        "POETRY_CACHE_DIR": str(scenario.root / "poetry-cache"),
        # Poetry's default, and where it would make its virtualenv were it not given
        # CONDA_PREFIX (the suite may turn creation off: tests/conftest.py).
        "POETRY_VIRTUALENVS_CREATE": "true",
        "POETRY_VIRTUALENVS_PATH": str(scenario.root / "poetry-cache" / "virtualenvs"),
    }

    first = scenario.lockstep("lock", **extra)
    second = scenario.lockstep("lock", **extra)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    (call,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert call[:3] == ["create", "--yes", "--prefix"]
    # The MatchSpec conda-lock itself passes to micromamba for `python=3.11`.
    assert call[4:] == ["--override-channels", "--channel", "conda-forge", "python 3.11.*"]
    assert not list((scenario.root / "poetry-cache").glob("virtualenvs/*"))


def test_locking_on_the_host_reuses_one_poetry_environment(scenario: LockScenario) -> None:
    """With no conda solver configured, Poetry makes a virtualenv for the project on the
    first lock and reuses it on the next (its name follows the staging directory's path,
    which is the same on every run)."""
    venvs = scenario.root / "poetry-virtualenvs"
    extra = {"POETRY_VIRTUALENVS_CREATE": "true", "POETRY_VIRTUALENVS_PATH": str(venvs)}

    # Two processes, as two `make env-update` runs are: anything chosen per run differs.
    first = scenario.lockstep_process("lock", **extra)
    second = scenario.lockstep_process("lock", "--upgrade", **extra)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    poetry_runs = [line for line in second.stderr.splitlines() if " lock --no-interaction" in line]
    assert poetry_runs and poetry_runs[0].endswith("--regenerate")
    assert len(list(venvs.iterdir())) == 1


def test_a_repeat_lock_runs_no_poetry_and_an_edit_does(locked: LockScenario) -> None:
    """With pyproject.toml as poetry.lock was made from, a second lock leaves Poetry out
    (as `check` would call poetry.lock fresh); a dependency edit runs it again."""
    locked.fail_poetry()

    again = locked.lockstep("lock")

    assert again.returncode == 0, again.stderr
    assert "poetry lock: poetry.lock fresh, reused" in again.stderr
    assert " lock --no-interaction" not in again.stderr
    pyproject = locked.project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"msgpack>=1.0"', '"msgpack>=1.0.0"'))
    locked.restore_poetry()
    edited = locked.lockstep("lock")
    assert edited.returncode == 0, edited.stderr
    assert " lock --no-interaction" in edited.stderr
    assert locked.lockstep("check").returncode == 0
