"""The all-or-nothing part of `lockstep lock`: a run lock, a staging copy, an atomic swap.

Every step works on copies inside `<project>/.lockstep-staging` (the same
filesystem, so `os.replace` is atomic). Its name is fixed, which the run lock
makes safe: Poetry names the virtualenv it makes for a project after the
project's path, so a fixed path lets every run reuse one. The real files are touched only by
`commit()`, which runs with SIGINT/SIGTERM held back so that a Ctrl-C cannot
cut the swap in half; before that, a failure or Ctrl-C just removes the copy.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from lockstep.shared.errors import BusyError
from lockstep.shared.project import CONDA_LOCK_GLOB, ProjectFiles
from lockstep.shared.signals import deferred_signals, note_swapped

STAGING_NAME = ".lockstep-staging"


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
            for name in changed:
                _replace(self.root / name, self.project.root / name)
            for name in removed:
                (self.project.root / name).unlink()
            note_swapped(written)
        return written


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
