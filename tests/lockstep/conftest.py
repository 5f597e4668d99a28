"""Fixtures shared by lockstep's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lockstep.lock_scenario import FirstLock, LockScenario
from tests.lockstep.prefixes import copy_prefix
from tests.support.http_server import LoopbackServer, serving


def _empty_channel(root: Path) -> Path:
    for subdir in ("linux-64", "linux-aarch64", "noarch"):
        (root / subdir).mkdir(parents=True)
    return root


@pytest.fixture
def channel(tmp_path: Path) -> Path:
    """An empty directory served as a conda channel."""
    return _empty_channel(tmp_path / "channel")


@pytest.fixture
def server(channel: Path) -> Iterator[LoopbackServer]:
    """A loopback HTTP server (127.0.0.1) serving `channel`, with Range support."""
    with serving(channel) as running:
        yield running


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def scenario(tmp_path: Path, server: LoopbackServer) -> LockScenario:
    """A demo project whose conda solve is a stand-in serving real packages over loopback."""
    return LockScenario(root=tmp_path, server=server)


@pytest.fixture(scope="module")
def first_lock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstLock]:
    """The demo project's first `lockstep lock`, run once for a module's tests that start
    from a locked project (each was a whole lock, a real `poetry lock` included), and what
    it printed. Its server outlives the tests: their lockfiles name its URLs."""
    channel = _empty_channel(tmp_path_factory.mktemp("first-lock-channel"))
    with serving(channel) as running:
        scenario = LockScenario(root=tmp_path_factory.mktemp("first-lock"), server=running)
        result = scenario.lockstep("lock")
        assert result.returncode == 0, result.stderr
        yield FirstLock(scenario, result)


@pytest.fixture
def locked(first_lock: FirstLock, tmp_path: Path) -> Iterator[LockScenario]:
    """A copy of the first lock's scenario for one test; the failures and stalls the test
    gives the shared server end with it."""
    yield first_lock.scenario.copy_to(tmp_path / "locked")
    state = first_lock.scenario.server.state
    state.failures.clear()
    state.stalls.clear()


@pytest.fixture
def prefix(tmp_path: Path, venv_template: Path) -> Path:
    """A conda-like prefix: a real venv plus an empty conda-meta/."""
    return copy_prefix(venv_template, tmp_path / "prefix")
