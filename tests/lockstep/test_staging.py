"""The transaction's parts: the signal-safe swap and the staging copy."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from lockstep.shared.project import ProjectFiles
from lockstep.shared.signals import deferred_signals
from lockstep.shared.staging import Staging


def test_ctrl_c_during_the_swap_waits_until_it_is_done() -> None:
    """A SIGINT inside the swap is held back and raised only once the block completes."""
    finished = []
    with pytest.raises(KeyboardInterrupt), deferred_signals():
        os.kill(os.getpid(), signal.SIGINT)
        finished.append("swap")
    assert finished == ["swap"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_commit_swaps_changed_files_only_and_removes_dropped_lockfiles(tmp_path: Path) -> None:
    """It replaces changed outputs, leaves unchanged ones untouched and drops old lockfiles."""
    project = ProjectFiles(tmp_path)
    (tmp_path / "environment.yml").write_text("env\n")
    (tmp_path / "pyproject.toml").write_text("old\n")
    (tmp_path / "poetry.lock").write_text("same\n")
    (tmp_path / "conda-osx-64.lock").write_text("dropped\n")
    unchanged_mtime = (tmp_path / "poetry.lock").stat().st_mtime_ns

    with Staging(project) as staging:
        (staging.root / "pyproject.toml").write_text("new\n")
        (staging.root / "conda-osx-64.lock").unlink()
        (staging.root / "conda-linux-64.lock").write_text("created\n")
        changed = staging.commit()

    assert changed == ["conda-linux-64.lock", "pyproject.toml", "conda-osx-64.lock (removed)"]
    assert (tmp_path / "pyproject.toml").read_text() == "new\n"
    assert (tmp_path / "poetry.lock").stat().st_mtime_ns == unchanged_mtime
    assert not (tmp_path / "conda-osx-64.lock").exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "conda-linux-64.lock",
        "environment.yml",
        "poetry.lock",
        "pyproject.toml",
    ]


def test_every_run_stages_in_the_same_place(tmp_path: Path) -> None:
    """The staging path is the same each run: Poetry names a project's virtualenv after its
    path, so a random staging name made a new virtualenv on every `lockstep lock`."""
    project = ProjectFiles(tmp_path)
    (tmp_path / "pyproject.toml").write_text("x\n")
    roots = []
    for _ in range(2):
        with Staging(project) as staging:
            roots.append(staging.root)

    assert roots[0] == roots[1] == tmp_path / ".lockstep-staging"
    assert not roots[0].exists()


def test_a_killed_runs_staging_copy_is_replaced(tmp_path: Path) -> None:
    """What a killed run left in the staging directory is gone before the next run copies."""
    project = ProjectFiles(tmp_path)
    (tmp_path / "pyproject.toml").write_text("x\n")
    leftover = tmp_path / ".lockstep-staging"
    leftover.mkdir()
    (leftover / "conda-osx-64.lock").write_text("from a killed run\n")

    with Staging(project) as staging:
        staged = sorted(path.name for path in staging.root.iterdir())

    assert staged == ["pyproject.toml"]
