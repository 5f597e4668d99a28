"""`lockstep check`: are the lockfiles fresh? Offline, solver-free, no Poetry import.

Two paths to the same verdict. When the inputs digest recorded at lock time
(inputs_fingerprint.py) still matches, the conda lockfiles need only their recorded
digests checked, and conda-lock is never imported. Otherwise environment.yml
is validated and each lockfile's `# input_hash:` compared with conda-lock's own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from lockstep.shared.errors import EXIT_FAILURE, EXIT_OK
from lockstep.shared.inputs_fingerprint import inputs_fingerprint
from lockstep.shared.project import CONDA_LOCK_TEMPLATE, ProjectFiles, conda_lock_name
from lockstep.shared.pyproject import (
    file_digest,
    read_pyproject,
    recorded_digests,
    recorded_inputs,
    requires_python,
)
from lockstep.shared.toml_reader import tomllib

if TYPE_CHECKING:
    from lockstep.shared.explicit_lockfile import DamagedLockfile

UPDATE = "run `make env-update`"
BOOTSTRAP = "run `make env-bootstrap`"
# explicit_lockfile.RESOLVE, not imported: the fast path imports no lockfile reader.
RESOLVE = "`make env-update` re-solves it"

# Mirrors poetry/packages/locker.py (Poetry 2.5.1), Locker._get_content_hash:
# Poetry lives in another environment, so its hash is recomputed here and
# tests compare it with what real `poetry lock` writes.
_POETRY_LEGACY_KEYS = ("dependencies", "source", "extras", "dev-dependencies")
_POETRY_KEYS = (*_POETRY_LEGACY_KEYS, "group")
_PROJECT_KEYS = ("requires-python", "dependencies", "optional-dependencies")
_METADATA_HEADER = b"\n[metadata]"
_CONFLICT_MARKER = b"\n<<<<<<< "


class Staleness(NamedTuple):
    path: Path
    reason: str
    fix: str


def poetry_content_hash(pyproject: Mapping[str, Any]) -> str:
    project = pyproject.get("project", {})
    groups = pyproject.get("dependency-groups", {})
    poetry = pyproject.get("tool", {}).get("poetry", {})
    relevant_project = {key: project[key] for key in _PROJECT_KEYS if project.get(key) is not None}
    relevant_poetry = {}
    for key in _POETRY_KEYS:
        value = poetry.get(key)
        if value is None and (key not in _POETRY_LEGACY_KEYS or relevant_project or groups):
            continue
        relevant_poetry[key] = value
    content: dict[str, Any] = {}
    if relevant_project:
        content["project"] = relevant_project
    if groups:
        content["dependency-groups"] = groups
    if content:
        content["tool"] = {"poetry": relevant_poetry}
    else:
        content = relevant_poetry
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _unlisted_lockfiles(files: ProjectFiles, platforms: Sequence[str]) -> list[Staleness]:
    wanted = {conda_lock_name(platform) for platform in platforms}
    return [
        Staleness(path, "its platform is no longer in environment.yml", UPDATE)
        for path in files.existing_conda_locks()
        if path.name not in wanted
    ]


def conda_staleness(files: ProjectFiles, platforms: Sequence[str]) -> list[Staleness]:
    """The conda lockfiles whose `# input_hash:` differs from conda-lock's for environment.yml
    (and virtual-packages.yml, the lock's CUDA target, when the project has one)."""
    # Imported here: conda-lock takes most of `check`'s time, and the fast path needs none
    # of it, nor the lockfile reader (its types and patterns cost milliseconds to make).
    from lockstep.shared.conda_input_hash import conda_input_hashes
    from lockstep.shared.explicit_lockfile import DamagedLockfile, read_reusable_lockfile

    stale = []
    spec = files.virtual_packages
    expected = conda_input_hashes(files.environment, platforms, virtual_packages=spec)
    changed = "environment.yml" if spec is None else f"environment.yml or {spec.name}"
    for platform in platforms:
        path = files.conda_lock(platform)
        if not path.exists():
            stale.append(Staleness(path, "missing", BOOTSTRAP))
            continue
        try:
            lockfile = read_reusable_lockfile(path)
        except DamagedLockfile as damaged:
            stale.append(_damaged(damaged))
            continue
        if lockfile.input_hash != expected[platform]:
            stale.append(Staleness(path, f"{changed} changed since it was locked", UPDATE))
    return stale + _unlisted_lockfiles(files, platforms)


def _damaged(damaged: DamagedLockfile) -> Staleness:
    return Staleness(damaged.path, damaged.reason, RESOLVE)


def _damaged_paths(stale: Sequence[Staleness]) -> set[Path]:
    return {item.path for item in stale if item.fix == RESOLVE}


def _recorded_platforms(pyproject: Mapping[str, Any]) -> list[str]:
    prefix, suffix = CONDA_LOCK_TEMPLATE.split("{platform}")
    return [name.removeprefix(prefix).removesuffix(suffix) for name in recorded_digests(pyproject)]


def _unchanged_inputs_staleness(files: ProjectFiles, platforms: Sequence[str]) -> list[Staleness]:
    """The fast path's conda verdict: inputs as locked, so only presence is left to check
    (each lockfile's content is checked against its recorded digest by _digest_staleness)."""
    missing = [
        Staleness(files.conda_lock(platform), "missing", BOOTSTRAP)
        for platform in platforms
        if not files.conda_lock(platform).exists()
    ]
    return missing + _unlisted_lockfiles(files, platforms)


def locked_content_hash(lockfile: bytes) -> object:
    """poetry.lock's `[metadata] content-hash` (None when it has none).

    Poetry writes `[metadata]` after every package table (Locker._write_lock_data),
    so the table is read on its own: a large project's lockfile is hundreds of
    kilobytes of package tables, and parsing them all took longer than the rest of
    `check`. Any other layout is parsed whole, and so is a lockfile with a merge
    conflict (two branches' updates), so that its broken tables are reported.
    Raises what tomllib raises.
    """
    header = lockfile.rfind(_METADATA_HEADER)
    if (
        header >= 0
        and lockfile.startswith((b"\n", b"\r\n"), header + len(_METADATA_HEADER))
        and _CONFLICT_MARKER not in lockfile
    ):
        try:
            found = _metadata(tomllib.loads(lockfile[header:].decode()))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            found = {}
        if "content-hash" in found:
            return found["content-hash"]
    return _metadata(tomllib.loads(lockfile.decode())).get("content-hash")


def _metadata(data: Mapping[str, Any]) -> Mapping[str, Any]:
    # A `metadata` that is no table records no content hash: the lock is stale.
    found = data.get("metadata", {})
    return found if isinstance(found, dict) else {}


def unreadable_poetry_lock(lockfile: bytes) -> str | None:
    """Why Poetry cannot read this poetry.lock (conflict markers, not TOML), or None.

    `lock` then locks again from pyproject.toml alone: Poetry itself would stop
    with "Unable to read the lock file".
    """
    if _CONFLICT_MARKER in lockfile or lockfile.startswith(_CONFLICT_MARKER[1:]):
        return "has merge-conflict markers (<<<<<<<)"
    try:
        tomllib.loads(lockfile.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
        return "is not valid UTF-8 TOML"
    return None


def _poetry_staleness(files: ProjectFiles, pyproject: Mapping[str, Any]) -> list[Staleness]:
    path = files.poetry_lock
    try:
        body = path.read_bytes()
        locked = locked_content_hash(body)
    except FileNotFoundError:
        return [Staleness(path, "missing", BOOTSTRAP)]
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
        # A UTF-16, hand-mangled or absurdly nested lockfile: regenerating it is the fix.
        reason = unreadable_poetry_lock(body) or "is not valid UTF-8 TOML"
        return [
            Staleness(
                path, f"{reason.removeprefix('is ')}; locked again from pyproject.toml", UPDATE
            )
        ]
    if locked != poetry_content_hash(pyproject):
        return [Staleness(path, "pyproject.toml changed since it was locked", UPDATE)]
    return []


def poetry_lock_is_fresh(files: ProjectFiles) -> bool:
    """What `check` says of poetry.lock: it records pyproject.toml's content hash."""
    return not _poetry_staleness(files, read_pyproject(files.pyproject))


def _digest_staleness(
    files: ProjectFiles,
    platforms: Sequence[str],
    pyproject: Mapping[str, Any],
    *,
    damaged: Collection[Path] = (),
) -> list[Staleness]:
    """The lockfiles that differ from the digests recorded at lock time, but those already
    reported `damaged`."""
    recorded = recorded_digests(pyproject)
    stale = []
    for platform in platforms:
        path = files.conda_lock(platform)
        if not path.exists() or path in damaged:
            continue
        digest = recorded.get(conda_lock_name(platform))
        if digest is None:
            stale.append(Staleness(path, "its digest is not in [tool.lockstep]", UPDATE))
        elif digest != file_digest(path):
            stale.append(_changed_lockfile(path))
    return stale


def _changed_lockfile(path: Path) -> Staleness:
    """A lockfile changed since it was locked: damaged (then a solve is the fix) or edited."""
    # Imported here, as in conda_staleness: only a changed lockfile needs the reader.
    from lockstep.shared.explicit_lockfile import DamagedLockfile, read_reusable_lockfile

    try:
        read_reusable_lockfile(path)
    except DamagedLockfile as damaged:
        return _damaged(damaged)
    return Staleness(path, "changed since the conda group was pinned", UPDATE)


def check_project(project: Path, *, fast: bool = True) -> list[Staleness]:
    """Every stale lockfile of the project; InputError when its inputs are bad.

    `fast=False` always takes conda-lock's path (the tests compare both paths' verdicts).
    """
    files = ProjectFiles(project)
    pyproject = read_pyproject(files.pyproject)
    python = requires_python(pyproject)
    recorded = recorded_inputs(pyproject)
    if (
        fast
        and recorded is not None
        and recorded == inputs_fingerprint(files, requires_python=python)
    ):
        platforms = _recorded_platforms(pyproject)
        conda = _unchanged_inputs_staleness(files, platforms)
    else:
        from lockstep.shared.environment import load_environment

        platforms = list(load_environment(files.environment, requires_python=python).platforms)
        conda = conda_staleness(files, platforms)
    return [
        *conda,
        # A damaged lockfile's digest differs too: it is reported once, as damaged.
        *_digest_staleness(files, platforms, pyproject, damaged=_damaged_paths(conda)),
        *_poetry_staleness(files, pyproject),
    ]


def report_staleness(stale: Sequence[Staleness]) -> int:
    if not stale:
        print("lockstep: lockfiles are fresh")
        return EXIT_OK
    for item in stale:
        print(f"stale: {item.path.name}: {item.reason}; {item.fix}")
    return EXIT_FAILURE
