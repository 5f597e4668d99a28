"""Fault injection: each step of `lockstep lock` failing or interrupted leaves every file as it was.

conda-lock is the real one with a stand-in solver (tests/support/standin_conda_lock.py)
that fails or hangs on demand; the hanging Poetry of the SIGINT test is a shim at
the process boundary; metadata faults are injected by the loopback server; the
failing `poetry lock` is the real one.
"""

from __future__ import annotations

import fcntl
import os

import pytest

from lockstep.shared.errors import EXIT_LOCK_FAILED
from tests.lockstep.lock_scenario import LockScenario, tree_digest

SIGINT_EXIT = 130


def _edit_environment(scenario: LockScenario) -> None:
    """Make the conda lockfiles stale so the next lock must solve again."""
    path = scenario.project / "environment.yml"
    path.write_text(path.read_text().replace("  - six\n", "  - six>=1.16\n"))


def _assert_untouched(scenario: LockScenario, before: dict[str, str]) -> None:
    assert tree_digest(scenario.project) == before
    assert not list(scenario.project.glob(".lockstep-*"))


@pytest.mark.network
def test_solve_failure_changes_nothing(locked: LockScenario) -> None:
    """It exits 3 naming conda-lock when the solve fails, and every file is unchanged."""
    _edit_environment(locked)
    before = tree_digest(locked.project)
    locked.set_behaviour("fail")

    result = locked.lockstep("lock")

    assert result.returncode == EXIT_LOCK_FAILED
    assert "conda-lock" in result.stderr.splitlines()[-1]
    # conda-lock itself reports the solver's problem on its output.
    assert "nothing provides requested msgpack-python" in result.stderr
    _assert_untouched(locked, before)


def test_solve_failure_names_the_solvers_problem(scenario: LockScenario) -> None:
    """Its one-line error says what the solver could not provide, not a traceback's tail."""
    scenario.set_behaviour("fail")

    result = scenario.lockstep("lock")

    assert result.returncode == EXIT_LOCK_FAILED
    last = result.stderr.splitlines()[-1]
    assert "nothing provides requested msgpack-python" in last
    assert "Traceback" not in last
    assert "CalledProcessError" not in last


def test_solve_failure_on_first_lock_creates_nothing(scenario: LockScenario) -> None:
    """It creates no lockfile when the very first solve fails."""
    before = tree_digest(scenario.project)
    scenario.set_behaviour("fail")

    assert scenario.lockstep("lock").returncode == EXIT_LOCK_FAILED
    _assert_untouched(scenario, before)


@pytest.mark.parametrize("status", [500, 404])
def test_metadata_error_changes_nothing(scenario: LockScenario, status: int) -> None:
    """It exits 3 naming the package when its metadata answers an HTTP error."""
    package = scenario.packages["linux-64"][2]
    scenario.server.fail(package, status)
    before = tree_digest(scenario.project)

    result = scenario.lockstep("lock")

    assert result.returncode == EXIT_LOCK_FAILED
    assert f"{package.name}: HTTP {status}" in result.stderr
    _assert_untouched(scenario, before)


def test_metadata_timeout_changes_nothing(scenario: LockScenario) -> None:
    """It exits 3 after LOCKSTEP_FETCH_TIMEOUT when a package's metadata does not answer."""
    package = scenario.packages["linux-aarch64"][2]
    scenario.server.stall(package, 5)
    before = tree_digest(scenario.project)

    result = scenario.lockstep("lock", LOCKSTEP_FETCH_TIMEOUT="0.5")

    assert result.returncode == EXIT_LOCK_FAILED
    assert f"{package.name}: no answer within 0.5s" in result.stderr
    _assert_untouched(scenario, before)


@pytest.mark.network
def test_poetry_lock_failure_changes_nothing(locked: LockScenario) -> None:
    """It exits 3 when Poetry cannot honour conda's pin, and every file is unchanged."""
    pyproject = locked.project / "pyproject.toml"
    # six is pinned to conda's 1.16.0; asking for a newer one cannot be resolved.
    pyproject.write_text(
        pyproject.read_text().replace(
            'dependencies = ["msgpack>=1.0"]', 'dependencies = ["msgpack>=1.0", "six>=1.17"]'
        )
    )
    before = tree_digest(locked.project)

    result = locked.lockstep("lock")

    assert result.returncode == EXIT_LOCK_FAILED
    assert "poetry" in result.stderr.splitlines()[-1]
    _assert_untouched(locked, before)


@pytest.mark.network  # `locked` runs a whole lock first: the index check and `poetry lock`
@pytest.mark.parametrize(
    ("marker", "setup"),
    [
        # conda-lock's own line before it starts the solver.
        ("Locking dependencies for", "hang_solve"),
        ("[3/6] read the Python distributions", "stall_metadata"),
        ("Resolving dependencies", "hang_poetry"),
    ],
)
def test_ctrl_c_at_each_step_changes_nothing(locked: LockScenario, marker: str, setup: str) -> None:
    """It exits 130 on SIGINT during the solve, metadata reads or poetry lock; no file changes."""
    _edit_environment(locked)
    if setup == "hang_solve":
        locked.set_behaviour("hang")
    elif setup == "stall_metadata":
        for path in locked.packages["linux-64"]:
            locked.server.stall(path, 20)
    else:
        locked.hang_poetry()
        # Poetry runs only when poetry.lock is stale (a repeat lock reuses it).
        pyproject = locked.project / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace('"msgpack>=1.0"', '"msgpack>=1.0.0"'))
    before = tree_digest(locked.project)

    # A fresh metadata cache, so the metadata step really fetches (and stalls).
    code, stderr = locked.interrupt_lock_at(
        marker, LOCKSTEP_CACHE_DIR=str(locked.root / f"cache-{setup}")
    )

    assert code == SIGINT_EXIT, stderr
    assert "interrupted; no file was changed" in stderr
    _assert_untouched(locked, before)


def test_concurrent_run_is_refused(scenario: LockScenario) -> None:
    """It exits 75 with a message while another run holds the project's lock."""
    before = tree_digest(scenario.project)
    descriptor = os.open(scenario.project, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = scenario.lockstep("lock")
    finally:
        os.close(descriptor)

    assert result.returncode == 75
    assert "another lockstep run is locking" in result.stderr
    assert scenario.solve_calls() == 0
    _assert_untouched(scenario, before)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: text.replace("  - python=3.11\n", ""), "names no python"),
        (
            lambda text: text.replace("  - six\n", "  - six\n  - pip:\n    - requests\n"),
            "has a `pip:` section",
        ),
        (lambda text: text.replace("python=3.11", "python=3.12"), "disagrees with requires-python"),
        (
            lambda text: text.replace("linux-aarch64", "linux-sparc"),
            "unknown platform 'linux-sparc'",
        ),
        (lambda text: text + "  - [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_input_exits_2_with_one_line(scenario: LockScenario, edit, message: str) -> None:
    """It exits 2 with one line naming environment.yml and the fix; nothing is written."""
    path = scenario.project / "environment.yml"
    path.write_text(edit(path.read_text()))
    before = tree_digest(scenario.project)

    result = scenario.lockstep("lock")

    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("lockstep: error")]
    assert len(errors) == 1
    assert "environment.yml" in errors[0]
    assert message in errors[0]
    assert scenario.solve_calls() == 0
    _assert_untouched(scenario, before)
