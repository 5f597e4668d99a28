"""Staging under real faults: a real full disk (tmpfs), a directory where a lockfile
should be, a symlinked input. Real `lockstep lock` processes, with the suite's
stand-in conda solver at the process boundary and real Poetry."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from lockstep.shared.errors import EXIT_IO_ERROR
from tests.lockstep.lock_scenario import LockScenario, tree_digest
from tests.support.tmpfs import mounted_tmpfs


def edit_environment(scenario: LockScenario) -> None:
    path = scenario.project / "environment.yml"
    path.write_text(path.read_text().replace("  - six\n", "  - six>=1.16\n"))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs mounted for the test; skipped where this process may not mount."""
    with mounted_tmpfs(tmp_path / "disk", size="4m") as disk:
        yield disk


def fill(disk: Path, leave: int) -> None:
    """Write a filler file until only `leave` bytes are free on the disk."""
    free = shutil.disk_usage(disk).free - leave
    with (disk / "filler").open("wb") as filler:
        while free > 0:
            chunk = min(free, 1 << 20)
            filler.write(b"\0" * chunk)
            free -= chunk


def test_a_full_disk_while_staging_is_made_leaves_nothing_behind(
    locked: LockScenario, small_disk: Path
) -> None:
    """No room for the staging copy (a real ENOSPC inside Staging.__enter__): exit 74,
    every file byte-identical, no .lockstep-staging left."""
    moved = locked.copy_to(small_disk / "scenario")
    edit_environment(moved)
    before = tree_digest(moved.project)
    fill(small_disk, leave=4096)

    result = moved.lockstep_process("lock")

    assert result.returncode == EXIT_IO_ERROR, result.stderr
    assert "No space left on device" in result.stderr.splitlines()[-1]
    assert not list(moved.project.glob(".lockstep-*"))
    (small_disk / "filler").unlink()
    assert tree_digest(moved.project) == before


def test_a_directory_where_a_lockfile_should_be_leaves_no_staging(locked: LockScenario) -> None:
    """poetry.lock is a directory: one line, not exit 70, and no staging copy left."""
    edit_environment(locked)
    (locked.project / "poetry.lock").unlink()
    (locked.project / "poetry.lock").mkdir()

    result = locked.lockstep_process("lock")

    assert result.returncode not in (0, 1, 70), result.stderr
    assert "Traceback" not in result.stderr
    assert "poetry.lock" in result.stderr.splitlines()[-1]
    assert not list(locked.project.glob(".lockstep-*"))


def test_a_symlinked_pyproject_stays_a_symlink(locked: LockScenario, tmp_path: Path) -> None:
    """pyproject.toml linked from elsewhere: lock rewrites the target, the link stays."""
    edit_environment(locked)
    elsewhere = tmp_path / "shared" / "pyproject.toml"
    elsewhere.parent.mkdir()
    shutil.move(locked.project / "pyproject.toml", elsewhere)
    (locked.project / "pyproject.toml").symlink_to(elsewhere)
    before = elsewhere.read_text()

    result = locked.lockstep_process("lock")

    assert result.returncode == 0, result.stderr
    link = locked.project / "pyproject.toml"
    assert link.is_symlink()
    assert link.readlink() == elsewhere
    assert elsewhere.read_text() != before  # the recorded digests are the new lock's
    assert locked.lockstep_process("check").returncode == 0
    assert not list(elsewhere.parent.glob(".*lockstep*"))
