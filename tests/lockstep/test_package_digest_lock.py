"""`lockstep lock` refuses a reused lockfile whose md5 the package it reads does not have.

Real `python -m lockstep` processes on a project locked through the stand-in solver
and real Poetry, its channel served by a server that ignores Range (as
`python -m http.server` and some proxies do), so every package is read whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from lockstep.shared.errors import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK
from tests.lockstep.lock_scenario import LockScenario, tree_digest
from tests.support.conda_packages import md5_of
from tests.support.http_server import LoopbackServer, serving

pytestmark = pytest.mark.network  # the first lock checks the index and runs `poetry lock`

LOCKFILE = "conda-linux-64.lock"
WRONG_MD5 = hashlib.md5(b"not the package").hexdigest()  # noqa: S324 - conda-lock's digest


@pytest.fixture
def no_range_scenario(tmp_path: Path, channel: Path) -> Iterator[LockScenario]:
    """The demo project locked once, its packages served whole to every request."""
    with serving(channel, ranges=False) as running:
        scenario = LockScenario(root=tmp_path, server=running)
        first = scenario.lockstep_process("lock")
        assert first.returncode == EXIT_OK, first.stderr
        yield scenario


def msgpack_package(scenario: LockScenario) -> Path:
    (path,) = [p for p in scenario.packages["linux-64"] if p.name.startswith("msgpack-python-")]
    return path


def test_lock_refuses_a_reused_lockfile_with_a_wrong_md5(no_range_scenario: LockScenario) -> None:
    """One line naming the lockfile, the package and the fix, exit 2, every file as it was;
    `check` no longer calls the project fresh; the fix the line gives works."""
    scenario = no_range_scenario
    server: LoopbackServer = scenario.server
    lockfile = scenario.project / LOCKFILE
    solved = lockfile.read_text()
    package = msgpack_package(scenario)
    right = md5_of(package)
    assert f"{package.name}#{right}\n" in solved
    lockfile.write_text(solved.replace(f"{package.name}#{right}", f"{package.name}#{WRONG_MD5}"))
    before = tree_digest(scenario.project)
    solves = scenario.solve_calls()

    lock = scenario.lockstep_process("lock")

    assert lock.returncode == EXIT_BAD_INPUT, lock.stderr
    assert "Traceback" not in lock.stderr
    errors = [line for line in lock.stderr.splitlines() if line.startswith("lockstep: error:")]
    assert errors == [
        f"lockstep: error: {LOCKFILE}: {package.name}: its md5 in the lockfile does not match"
        f" the package ({WRONG_MD5} locked, {right} read from {server.url_for(package)});"
        f" delete {LOCKFILE} and run `make env-update` to solve it again"
    ]
    assert tree_digest(scenario.project) == before
    assert scenario.solve_calls() == solves
    # `lock` reuses a lockfile solved from these inputs, so it refuses again: hence the fix.
    assert scenario.lockstep_process("lock").returncode == EXIT_BAD_INPUT
    assert tree_digest(scenario.project) == before
    # The lockfile is not the one whose digest the last lock recorded.
    assert scenario.lockstep_process("check").returncode == EXIT_FAILURE

    lockfile.unlink()
    relock = scenario.lockstep_process("lock")

    assert relock.returncode == EXIT_OK, relock.stderr
    assert lockfile.read_text() == solved
    assert scenario.lockstep_process("check").returncode == EXIT_OK
