"""The project as a user has it, copied into a scratch directory, without its lockfiles.

With git: the tracked files and the untracked ones git does not ignore
(`git ls-files -co --exclude-standard`), which leaves out .git, .venvs/ and the
caches through .gitignore. Without git (or outside a work tree): every file but
`SKIPPED_NAMES`. Then the project's own lockfiles (top-level `conda-*.lock` and
`poetry.lock`; test data deeper down is kept) are removed, so that the first
`make build` bootstraps them.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

SKIPPED_NAMES = (
    ".git",
    ".venvs",
    ".venv",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "*.egg-info",
    ".lockstep-*",
)
LOCKFILE_PATTERNS = ("conda-*.lock", "poetry.lock")


def _listed_by_git(project: Path, git: str) -> list[Path] | None:
    inside = subprocess.run(
        [git, "-C", str(project), "rev-parse", "--is-inside-work-tree"],
        capture_output=True,
        text=True,
        check=False,
    )
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return None
    listed = subprocess.run(
        [git, "-C", str(project), "ls-files", "-z", "-co", "--exclude-standard"],
        capture_output=True,
        check=True,
    )
    names = sorted({name for name in listed.stdout.decode("utf-8").split("\0") if name})
    return [Path(name) for name in names]


def _skipped(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in SKIPPED_NAMES)


def _listed_by_walk(project: Path) -> list[Path]:
    found: list[Path] = []
    for directory, subdirectories, files in os.walk(project):
        subdirectories[:] = sorted(name for name in subdirectories if not _skipped(name))
        base = Path(directory).relative_to(project)
        found.extend(base / name for name in sorted(files) if not _skipped(name))
    return found


def project_files(project: Path, *, git: str | None = "git") -> list[Path]:
    """The files to copy, relative to `project`; `git` is the git command (None: walk instead)."""
    command = shutil.which(git) if git else None
    if command is not None:
        listed = _listed_by_git(project, command)
        if listed is not None:
            return listed
    return _listed_by_walk(project)


def _copy_one(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():
        target.symlink_to(source.readlink())
    elif source.is_dir():  # a submodule's checkout, listed by git as one path
        shutil.copytree(source, target, symlinks=True)
    else:
        shutil.copy2(source, target)


def remove_lockfiles(root: Path, patterns: Iterable[str] = LOCKFILE_PATTERNS) -> list[str]:
    """Delete the project's own lockfiles (top level only); returns their names."""
    removed = []
    for pattern in patterns:
        for path in sorted(root.glob(pattern)):
            path.unlink()
            removed.append(path.name)
    return removed


def copy_project(project: Path, destination: Path, *, git: str | None = "git") -> list[Path]:
    """Copy the project's files into `destination` (created), minus its lockfiles.

    Returns the copied paths, relative. Files git lists but that are gone from the
    work tree (deleted, not yet committed) are skipped.
    """
    destination.mkdir(parents=True, exist_ok=True)
    copied = []
    for relative in project_files(project, git=git):
        source = project / relative
        if not (source.exists() or source.is_symlink()):
            continue
        _copy_one(source, destination / relative)
        copied.append(relative)
    removed = set(remove_lockfiles(destination))
    return [path for path in copied if not (len(path.parts) == 1 and path.name in removed)]
