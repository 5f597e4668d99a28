"""The all-or-nothing part of `lockstep lock`: a run lock, a staging copy, an atomic swap.

Every step works on copies inside `<project>/.lockstep-staging` (the same
filesystem, so `os.replace` is atomic). Its name is fixed, which the run lock
makes safe: Poetry names the virtualenv it makes for a project after the
project's path, so a fixed path lets every run reuse one. The real files are touched only by
`commit()`, which runs with SIGINT/SIGTERM held back so that a Ctrl-C cannot
cut the swap in half, and puts back the files it swapped when a later one's move
fails; before that, a failure or Ctrl-C just removes the copy.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from lockstep.shared.errors import EXIT_IO_ERROR, BusyError, LockstepError
from lockstep.shared.os_error_fix import with_fix
from lockstep.shared.project import CONDA_LOCK_GLOB, ProjectFiles
from lockstep.shared.signals import deferred_signals, note_swapped

STAGING_NAME = ".lockstep-staging"
# Inside the staging directory: the previous content of the files a swap replaces.
PREVIOUS_NAME = "previous"


@contextmanager
def run_lock(project: Path) -> Iterator[None]:
    """Hold the project's run lock; a second concurrent run gets a BusyError.

    The lock is taken on the project directory itself, so a run leaves no lock
    file behind and a crashed run leaves no stale lock (the kernel drops it).
    """
    descriptor = os.open(project, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            raise BusyError(
                f"another lockstep run is locking {project}; wait for it to finish"
            ) from None
        yield
    finally:
        os.close(descriptor)


class Staging:
    """A copy of the project's lock inputs and outputs; `commit()` swaps changes in.

    `outputs` names the files another command writes (`lockstep import`: environment.yml
    and pyproject.toml); only those are swapped in, and no lockfile is removed. Without
    it, the outputs are lock's: pyproject.toml, poetry.lock and the conda lockfiles.
    """

    def __init__(self, project: ProjectFiles, *, outputs: Collection[str] | None = None) -> None:
        self.project = project
        self.outputs = None if outputs is None else frozenset(outputs)
        self.root = project.root / STAGING_NAME
        # Left behind only by a killed run: the caller holds the run lock.
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir()
        self.files = ProjectFiles(self.root)

    def __enter__(self) -> Staging:
        sources = [
            self.project.environment,
            self.project.pyproject,
            self.project.poetry_lock,
            self.project.poetry_toml,
            *self.project.existing_conda_locks(),
        ]
        # An input of the solve (the lock's CUDA target), never an output.
        if self.project.virtual_packages is not None:
            sources.append(self.project.virtual_packages)
        try:
            for source in sources:
                if source.exists():
                    shutil.copy2(source, self.root / source.name)
        except BaseException:
            # `with` calls __exit__ only once __enter__ returned: a full disk or a
            # directory where a lockfile should be would leave the copy behind.
            self._remove()
            raise
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self._remove()

    def _remove(self) -> None:
        # A second signal while the copy is removed (the first one's unwinding) waits:
        # raised inside rmtree, it left part of the copy behind.
        with deferred_signals():
            shutil.rmtree(self.root, ignore_errors=True)

    def _outputs(self) -> set[str]:
        if self.outputs is not None:
            return set(self.outputs)
        names = {self.files.pyproject.name, self.files.poetry_lock.name}
        names.update(path.name for path in self.root.glob(CONDA_LOCK_GLOB))
        return names

    def commit(self) -> list[str]:
        """Swap every changed output into the project; remove lockfiles no longer produced.

        Returns the names of the files changed, created or removed.
        """
        outputs = self._outputs()
        changed = [
            name
            for name in sorted(outputs)
            if (self.root / name).exists()
            and not _same_content(self.root / name, self.project.root / name)
        ]
        # Only lock produces lockfiles, so only lock removes those it no longer produces.
        removed = (
            []
            if self.outputs is not None
            else [
                path.name
                for path in self.project.existing_conda_locks()
                if path.name not in outputs
            ]
        )
        written = changed + [f"{name} (removed)" for name in removed]
        with deferred_signals():
            self._swap(changed, removed)
            note_swapped(written)
        return written

    def _swap(self, changed: list[str], removed: list[str]) -> None:
        """Replace the `changed` files, remove the `removed` ones: all, or (raising) none.

        Each move is atomic, but a later one can still fail (a bind mount over a file,
        what Docker's one-file `-v` makes, refuses a rename with EBUSY): the files
        swapped before it are put back, or the project would be half-updated.
        """
        previous = self.root / PREVIOUS_NAME
        previous.mkdir()
        # A file's previous content, or None where it did not exist yet.
        kept: dict[str, Path | None] = {}
        done: list[str] = []
        name = ""
        try:
            # Every way back is kept before the first file moves: failing to keep
            # one (a full disk) then changes nothing at all.
            for name in changed:
                kept[name] = _keep(self.project.root / name, previous / name)
            for name in changed:
                _replace(self.root / name, self.project.root / name)
                done.append(name)
            # Moved aside rather than deleted, so that it can be moved back.
            for name in removed:
                kept[name] = previous / name
                (self.project.root / name).rename(previous / name)
                done.append(name)
        except BaseException as error:
            not_put_back = self._put_back(reversed(done), kept)
            if not isinstance(error, OSError):
                raise
            # The user's file, not the staged copy that error.filename may name.
            raise SwapError(
                _swap_failure(self.project.root / name, error, not_put_back, staging=self.root)
            ) from error

    def _put_back(self, names: Iterable[str], kept: dict[str, Path | None]) -> list[str]:
        """Undo the swap of each file; the names of those that could not be put back."""
        failed = []
        for name in names:
            real, previous = self.project.root / name, kept[name]
            try:
                if previous is None:
                    _written(real).unlink()
                else:
                    _replace(previous, real)
            except OSError:
                # The others are still put back; the message names this one.
                failed.append(name)
        return failed


class SwapError(LockstepError):
    """The system refused a step of the swap; the files swapped before it were put back."""

    exit_code = EXIT_IO_ERROR


def _swap_failure(real: Path, error: OSError, not_put_back: Sequence[str], *, staging: Path) -> str:
    where = str(real)
    # A path the user would not look at, outside the staging copy: beside a symlink's target.
    refused = Path(error.filename) if error.filename else None
    if refused is not None and refused != real and not refused.is_relative_to(staging):
        where += f" ({refused})"
    reason = with_fix(error.strerror or str(error), error)
    if not_put_back:
        outcome = (
            f"the swap stopped halfway: {', '.join(not_put_back)} could not be put back"
            " and already hold the new content"
        )
    else:
        outcome = "nothing was changed"
    return f"{where}: {reason}; {outcome}"


def _keep(real: Path, kept: Path) -> Path | None:
    """Keep the content the swap will replace at `kept`; None where there is none yet.

    A hard link costs nothing; where the system refuses one (a symlink's target on
    another file system, a bind-mounted file) the content is copied.
    """
    written = _written(real)
    if not written.exists():
        return None
    try:
        os.link(written, kept)
    except OSError:
        shutil.copy2(written, kept)
    return kept


def _written(real: Path) -> Path:
    """The file the swap writes: a symlink's target (see _replace), else the file itself."""
    return real.resolve() if real.is_symlink() else real


def _replace(staged: Path, real: Path) -> None:
    """Move the staged file into place; a symlinked file gets its target rewritten.

    Renaming onto a symlink would replace the link with a regular file. The target
    may be on another filesystem, so the new content goes beside it first and is
    renamed there: still one atomic step for whoever reads the target.
    """
    if not real.is_symlink():
        staged.replace(real)
        return
    target = real.resolve()
    beside = target.with_name(f".{target.name}.lockstep-new")
    try:
        shutil.copyfile(staged, beside)
        beside.replace(target)
    finally:
        beside.unlink(missing_ok=True)
    staged.unlink()


def _same_content(staged: Path, real: Path) -> bool:
    return real.exists() and staged.read_bytes() == real.read_bytes()
