"""Fault injection: each step of `lockstep import` failing or interrupted leaves every file
as it was, and no staging directory behind (as test_pipeline_faults.py does for `lock`).

Failures are injected by replacing one step of lockstep.importing.run (or the staging
swap) with one that raises; interruptions are a real SIGINT sent to a real process
whose step waits, so the CLI's own Ctrl-C handling runs.
"""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from lockstep.cli import main
from lockstep.importing import run
from lockstep.shared.errors import EXIT_BUSY, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_IO_ERROR
from tests.lockstep.lock_scenario import tree_digest
from tests.lockstep.test_import_project import project

# Every step import_project calls, in order; each is replaced in turn.
STEPS = (
    "read_inputs",
    "rewrite_environment",
    "gather_requirements",
    "split_sides",
    "load_environment",
    "write_pyproject",
    "validate",
)
# Run as a real `lockstep import`, with one step waiting for the test's SIGINT. It waits
# in short sleeps: a signal that lands after the interpreter's last check and before a
# long sleep's system call starts would wait for that sleep to end (seen under load).
WAITING_STEP = """
import sys, time
from lockstep.cli import main
from lockstep.importing import run

step = getattr(run, sys.argv[1])

def waiting(*args, **kwargs):
    print("waiting in", sys.argv[1], flush=True)
    for _ in range(600):
        time.sleep(0.1)
    return step(*args, **kwargs)

setattr(run, sys.argv[1], waiting)
sys.exit(main(["import", "--project", sys.argv[2]]))
"""


def assert_untouched(root: Path, before: dict[str, str]) -> None:
    assert tree_digest(root) == before
    assert not list(root.glob(".lockstep-*"))


def failing(error: BaseException) -> Callable[..., object]:
    def fail(*_args: object, **_kwargs: object) -> object:
        raise error

    return fail


@pytest.mark.parametrize("step", STEPS)
def test_a_failing_step_changes_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    step: str,
) -> None:
    """It exits 70 (a bug, one line) when any step fails unexpectedly, and every file is
    byte-identical, the staging copy gone."""
    root = project(tmp_path / "p")
    before = tree_digest(root)
    monkeypatch.setattr(run, step, failing(RuntimeError(f"injected into {step}")))

    code = main(["import", "--project", str(root)])

    assert code == EXIT_INTERNAL
    assert f"injected into {step}" in capsys.readouterr().err
    assert_untouched(root, before)


def test_a_full_disk_while_staging_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It exits 74 naming the file when the staged pyproject.toml cannot be written."""
    root = project(tmp_path / "p")
    before = tree_digest(root)
    real_write = Path.write_bytes

    def disk_full(path: Path, data: bytes) -> int:
        if path.name == "pyproject.toml" and ".lockstep-staging" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_write(path, data)

    monkeypatch.setattr(Path, "write_bytes", disk_full)

    code = main(["import", "--project", str(root)])

    assert code == EXIT_IO_ERROR
    assert "No space left on device" in capsys.readouterr().err
    assert_untouched(root, before)


def test_a_swap_that_cannot_start_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It changes nothing when the swap fails before replacing a file."""
    root = project(tmp_path / "p")
    before = tree_digest(root)

    def unreadable(_staged: Path, real: Path) -> bool:
        raise OSError(errno.EIO, "Input/output error", str(real))

    monkeypatch.setattr("lockstep.shared.staging._same_content", unreadable)

    assert main(["import", "--project", str(root)]) == EXIT_IO_ERROR
    assert "Input/output error" in capsys.readouterr().err
    assert_untouched(root, before)


@pytest.mark.parametrize("step", ["rewrite_environment", "write_pyproject", "validate"])
def test_ctrl_c_at_a_step_changes_nothing(tmp_path: Path, step: str) -> None:
    """It exits 130 on SIGINT while a step runs, says no file was changed, and none was."""
    root = project(tmp_path / "p")
    before = tree_digest(root)
    process = subprocess.Popen(
        [sys.executable, "-c", WAITING_STEP, step, str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == f"waiting in {step}\n"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == EXIT_INTERRUPTED, stderr
    assert "interrupted; no file was changed" in stderr
    assert_untouched(root, before)


def test_a_concurrent_run_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It exits 75 while another lockstep run holds the project, changing nothing."""
    root = project(tmp_path / "p")
    before = tree_digest(root)
    descriptor = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code = main(["import", "--project", str(root)])
    finally:
        os.close(descriptor)

    assert code == EXIT_BUSY
    assert "another lockstep run is locking" in capsys.readouterr().err
    assert_untouched(root, before)
