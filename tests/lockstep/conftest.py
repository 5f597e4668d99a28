"""Fixtures shared by lockstep's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lockstep.lock_scenario import LockScenario
from tests.lockstep.prefixes import copy_prefix
from tests.support.http_server import LoopbackServer, serving


@pytest.fixture
def channel(tmp_path: Path) -> Path:
    """An empty directory served as a conda channel."""
    root = tmp_path / "channel"
    (root / "linux-64").mkdir(parents=True)
    (root / "linux-aarch64").mkdir()
    (root / "noarch").mkdir()
    return root


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


@pytest.fixture
def prefix(tmp_path: Path, venv_template: Path) -> Path:
    """A conda-like prefix: a real venv plus an empty conda-meta/."""
    return copy_prefix(venv_template, tmp_path / "prefix")
