"""Apply a plan all or nothing: every step is recorded, and any failure undoes them all.

New contents are first written into a staging directory inside the project (the
same filesystem), so the swap itself is renames only: each original is moved into
the staging directory and its replacement moved in. A failure, or SIGINT, SIGTERM
or SIGHUP, at any point moves everything back; a signal is held until the files are
whole again, then delivered as usual (Ctrl-C then ends in `lockstep`'s "interrupted").
"""

from __future__ import annotations

import shutil
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from lockstep.init.plan import Plan

STAGING_NAME = ".lockstep-init"
_HELD = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class RollbackError(Exception):
    """Undoing the swap failed too: some files are changed (git can restore them)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(f"{error.filename}: {error.strerror or error}")
        self.error = error


class _Interrupted(Exception):
    """A held signal arrived during the swap."""


class _Signals:
    """The held signals that arrived; none is delivered once the swap is committed."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.committed = False


@contextmanager
def _held_signals() -> Iterator[_Signals]:
    state = _Signals()

    def remember(number: int, _frame: FrameType | None) -> None:
        state.received.append(number)

    previous = [(held, signal.signal(held, remember)) for held in _HELD]
    try:
        yield state
    finally:
        for held, handler in previous:
            signal.signal(held, handler)
        if not state.committed:
            for number in dict.fromkeys(state.received):
                signal.raise_signal(number)


class _Journal:
    def __init__(self, project: Path, staging: Path, received: list[int]) -> None:
        self.project = project
        self.new = staging / "new"
        self.old = staging / "old"
        self.received = received
        self.undo: list[Callable[[], object]] = []

    def _step(self, action: Callable[[], object], undo: Callable[[], object]) -> None:
        if self.received:
            raise _Interrupted
        action()
        self.undo.append(undo)

    def _make_parents(self, target: Path) -> None:
        missing = [parent for parent in target.parents if not parent.exists()]
        for directory in reversed(missing):
            self._step(directory.mkdir, directory.rmdir)

    def move_aside(self, relative: str) -> None:
        target, kept = self.project / relative, self.old / relative
        kept.parent.mkdir(parents=True, exist_ok=True)
        self._step(lambda: target.rename(kept), lambda: kept.rename(target))

    def move_in(self, relative: str) -> None:
        staged, target = self.new / relative, self.project / relative
        self._make_parents(target)
        self._step(lambda: staged.rename(target), lambda: target.rename(staged))

    def roll_back(self) -> None:
        """Undo every step, newest first; one that fails does not stop the others."""
        failed: OSError | None = None
        while self.undo:
            try:
                self.undo.pop()()
            except OSError as error:
                failed = failed or error
        if failed is not None:
            raise RollbackError(failed)


def _stage(project: Path, plan: Plan, new: Path) -> None:
    for relative, data in plan.writes.items():
        staged = new / relative
        staged.parent.mkdir(parents=True, exist_ok=True)
        staged.write_bytes(data)
        original = project / relative
        if original.exists():
            shutil.copymode(original, staged)


def apply_plan(project: Path, plan: Plan) -> None:
    """Make every change of `plan`, or (raising what went wrong) none."""
    staging = project / STAGING_NAME
    with _held_signals() as signals:
        received = signals.received
        shutil.rmtree(staging, ignore_errors=True)
        try:
            _stage(project, plan, staging / "new")
            journal = _Journal(project, staging, received)
            try:
                for relative in plan.removals:
                    journal.move_aside(relative)
                for relative in plan.writes:
                    if (project / relative).exists():
                        journal.move_aside(relative)
                    journal.move_in(relative)
                if received:
                    raise _Interrupted
                # Done: a signal from now on comes too late to undo anything.
                signals.committed = True
            except BaseException:
                journal.roll_back()
                if not received:
                    raise
                # Else the signal is delivered once the handlers are back (_held_signals).
        finally:
            shutil.rmtree(staging, ignore_errors=True)
