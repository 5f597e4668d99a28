"""pip requirement lines: a requirements file, or environment.yml's `pip:` section.

pip writes a `pip:` section to a temporary requirements file and reads it as one,
so both go through here. Each line becomes a dependency, a package index, or a
note saying what is left out and why. `-r FILE` is read relative to the file
naming it. pip itself is no library, so this is a small reader of the forms pip
documents ("Requirements File Format"), using `packaging` for PEP 508.
"""

from __future__ import annotations

import configparser
import os
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from lockstep.shared.errors import InputError
from lockstep.shared.text_files import read_converting
from lockstep.shared.toml_reader import tomllib

# pip: a comment starts at `#` at the start of a line or after whitespace.
_COMMENT = re.compile(r"(^|\s+)#.*$")
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
_ARCHIVES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".zip")
# Options of one requirement line, after the requirement: dropped, and said so.
_PER_REQUIREMENT = re.compile(r"\s+--?(hash|config-settings|global-option|install-option)\b.*$")
_VCS = ("git+", "hg+", "svn+", "bzr+")
PYPI_INDEXES = ("https://pypi.org/simple", "https://pypi.python.org/simple")


@dataclass(frozen=True)
class Dependency:
    """One pip requirement in the terms Poetry and PEP 508 share."""

    name: str
    # The line as written (comments and per-requirement options removed), for the report.
    line: str
    extras: tuple[str, ...] = ()
    specifier: str = ""
    marker: str | None = None
    # A direct reference to an archive (`name @ https://...`).
    url: str | None = None
    # A git repository (without `git+`), the revision pip checks out, a subdirectory.
    git: str | None = None
    rev: str | None = None
    subdirectory: str | None = None
    # A local directory or archive, relative to the project, `develop` when editable.
    path: str | None = None
    editable: bool = False
    # str(Requirement) of the line as read, while the fields above are that requirement's
    # (None once any is changed): writing it needs no second parse, which is a quarter of
    # an import of many pip entries.
    as_read: str | None = field(default=None, compare=False, repr=False)

    @cached_property
    def key(self) -> str:
        return canonicalize_name(self.name)


@dataclass(frozen=True)
class Index:
    url: str
    primary: bool
    line: str


@dataclass
class Requirements:
    dependencies: list[Dependency] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    # One line each, for the report: what was left out and why.
    notes: list[str] = field(default_factory=list)

    def extend(self, other: Requirements) -> None:
        self.dependencies += other.dependencies
        self.indexes += other.indexes
        self.notes += other.notes


def read_requirements_file(
    path: Path, *, project_root: Path, _reading: tuple[Path, ...] = ()
) -> Requirements:
    """Every requirement of a requirements file (UTF-16 from PowerShell is read too)."""
    resolved = path.resolve()
    if resolved in _reading:
        raise InputError(f"{path}: includes itself through -r; remove the loop")
    try:
        text = read_converting(path).text
    except FileNotFoundError:
        if not resolved.is_relative_to(project_root.resolve()):
            # `make env-import` mounts the project alone into the tools container.
            raise InputError(
                f"{path}: outside the project {project_root}, which is all `make env-import`"
                " sees; copy it into the project and point the -r line at the copy"
            ) from None
        raise InputError(f"{path}: not found; fix the path or the -r line naming it") from None
    return parse_lines(
        _logical_lines(text), where=path, project_root=project_root, _reading=(*_reading, resolved)
    )


def _logical_lines(text: str) -> list[str]:
    """Lines with pip's continuations (a trailing backslash) joined."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        if raw.endswith("\\"):
            pending += raw[:-1]
            continue
        lines.append(pending + raw)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def parse_lines(
    lines: list[str], *, where: Path, project_root: Path, _reading: tuple[Path, ...] = ()
) -> Requirements:
    """The requirements of `lines`, which are in the file `where` (paths are relative to it)."""
    parsed = Requirements()
    hashes_dropped = False
    for raw in lines:
        line = _COMMENT.sub("", raw).strip()
        if not line:
            continue
        if line.startswith("-"):
            _option(line, parsed, where=where, project_root=project_root, reading=_reading)
            continue
        requirement = _PER_REQUIREMENT.sub("", line)
        hashes_dropped = hashes_dropped or requirement != line
        dependency = _requirement(requirement, where=where, project_root=project_root)
        if dependency is None:
            parsed.notes.append(f"dropped: {requirement} (the project itself: Poetry installs it)")
        else:
            parsed.dependencies.append(dependency)
    if hashes_dropped:
        parsed.notes.append(
            f"dropped: --hash and other per-requirement options in {where.name}"
            " (poetry.lock records hashes itself)"
        )
    return parsed


def _option(
    line: str,
    parsed: Requirements,
    *,
    where: Path,
    project_root: Path,
    reading: tuple[Path, ...],
) -> None:
    option, value = _split_option(line)
    if option in ("-r", "--requirement"):
        included = _home_expanded(where.parent / value, where=where, line=line)
        parsed.extend(read_requirements_file(included, project_root=project_root, _reading=reading))
    elif option in ("-e", "--editable"):
        dependency = _requirement(value, where=where, project_root=project_root, editable=True)
        if dependency is None:
            parsed.notes.append(f"dropped: {line} (the project itself: Poetry installs it)")
        else:
            parsed.dependencies.append(replace(dependency, line=line))
    elif option in ("-i", "--index-url", "--extra-index-url"):
        if not value:
            raise InputError(f"{where}: `{line}` names no URL; add one or remove the line")
        parsed.indexes.append(Index(url=value, primary=option != "--extra-index-url", line=line))
    elif option in ("-c", "--constraint"):
        parsed.notes.append(
            f"dropped: {line} (a constraints file; put the versions in pyproject.toml if they"
            " matter)"
        )
    else:
        parsed.notes.append(f"dropped: {line} (a pip option Poetry has no equivalent for)")


def _split_option(line: str) -> tuple[str, str]:
    """`-r file`, `-rfile`, `--requirement=file`, `--requirement file` -> ("-r", "file")."""
    if line.startswith("--"):
        option = re.split(r"[=\s]", line, maxsplit=1)[0]
        return option, line[len(option) :].lstrip("=").strip()
    return line[:2], line[2:].strip()


def _requirement(
    text: str, *, where: Path, project_root: Path, editable: bool = False
) -> Dependency | None:
    """One requirement as a Dependency; None for the project itself (`.`, `-e .[extras]`)."""
    lowered = text.lower()
    if lowered.startswith(_VCS):
        return _vcs(text, text, name=None, where=where, editable=editable)
    if _looks_like_path(text):
        return _path(text, where=where, project_root=project_root, editable=editable)
    if re.match(r"^[a-z][a-z0-9+.-]*://", lowered):
        return _url(text, text, name=None, where=where, project_root=project_root)
    try:
        requirement = Requirement(text)
        if "\\" in text or not text.isprintable():
            # packaging reads a marker's quoted value as a Python literal, escapes and all,
            # and writes it back unescaped: `'a\\nb'` comes back with a line break in it,
            # which nothing reads. PEP 508 has no escapes; only what reads back is taken.
            _reads_back(requirement)
    except InvalidRequirement as error:
        # packaging's message goes on to point at the column on further lines.
        reason = str(error).splitlines()[0]
        raise InputError(
            f"{where}: pip entry {text!r} is not a requirement pip or Poetry reads ({reason});"
            " fix it"
        ) from None
    common = {
        "name": requirement.name,
        "line": text,
        "extras": tuple(sorted(requirement.extras)),
        "specifier": str(requirement.specifier),
        "marker": str(requirement.marker) if requirement.marker else None,
    }
    if requirement.url is None:
        return Dependency(**common, as_read=str(requirement))  # type: ignore[arg-type]
    found: Dependency | None
    if requirement.url.lower().startswith(_VCS):
        found = _vcs(requirement.url, text, name=requirement.name, where=where)
    else:
        found = _url(
            requirement.url, text, name=requirement.name, where=where, project_root=project_root
        )
    if found is None:
        return None
    return Dependency(
        **{**common, "name": found.name},  # type: ignore[arg-type]
        url=found.url,
        git=found.git,
        rev=found.rev,
        subdirectory=found.subdirectory,
        path=found.path,
    )


def _home_expanded(path: Path, *, where: Path, line: str) -> Path:
    """`~` and `~user` expanded as pip's shell would; bad input for a user unknown here."""
    try:
        return path.expanduser()
    except RuntimeError:  # pathlib's "Could not determine home directory"
        raise InputError(
            f"{where}: pip entry {line!r} starts at a home directory this machine does not know;"
            " write the path relative to the file naming it"
        ) from None


def _reads_back(requirement: Requirement) -> None:
    """InvalidRequirement unless the requirement's string is read as the same requirement."""
    written = str(requirement)
    if not written.isprintable() or str(Requirement(written)) != written:
        raise InvalidRequirement(f"it does not read back as written: {written!r}")


def _fragment(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its `#...` fragment, and the fragment's `egg=` and `subdirectory=`."""
    base, _, fragment = url.partition("#")
    values = {key: items[-1] for key, items in parse_qs(fragment).items()}
    return base, values


def _egg_name(fragment: dict[str, str], text: str, *, where: Path) -> str | None:
    egg = fragment.get("egg")
    if egg is None:
        return None
    if not _NAME.match(egg):
        raise InputError(f"{where}: pip entry {text!r} has #egg={egg}, not a package name; fix it")
    return egg


def _vcs(
    url: str, text: str, *, name: str | None, where: Path, editable: bool = False
) -> Dependency:
    if not url.lower().startswith("git+"):
        raise InputError(
            f"{where}: pip entry {text!r} is not git; Poetry installs from git repositories"
            " only, so install it another way or publish it"
        )
    base, fragment = _fragment(url)
    name = name or _egg_name(fragment, text, where=where)
    if name is None:
        raise InputError(
            f"{where}: pip entry {text!r} names no package; write it as"
            f" `NAME @ {base}` (or add #egg=NAME), then run the import again"
        )
    parts = urlsplit(base[len("git+") :])
    path, rev = parts.path, None
    if "@" in path:
        path, rev = path.rsplit("@", 1)
    repository = urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
    return Dependency(
        name=name,
        line=text,
        git=repository,
        rev=rev or None,
        subdirectory=fragment.get("subdirectory"),
        editable=editable,
    )


def _url(
    url: str, text: str, *, name: str | None, where: Path, project_root: Path
) -> Dependency | None:
    base, fragment = _fragment(url)
    if base.lower().startswith("file:"):
        local = urlsplit(base).path
        return _path(
            local + (f"#egg={fragment['egg']}" if "egg" in fragment else ""),
            where=where,
            project_root=project_root,
            editable=False,
            name=name,
        )
    name = name or _egg_name(fragment, text, where=where) or _archive_name(base)
    if name is None:
        raise InputError(
            f"{where}: pip entry {text!r} names no package; write it as `NAME @ {base}`,"
            " then run the import again"
        )
    return Dependency(name=name, line=text, url=base)


def _archive_name(location: str) -> str | None:
    """The package name in a wheel's or sdist's file name, if it is one."""
    filename = location.rstrip("/").rsplit("/", 1)[-1]
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[0])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[0])
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


def _looks_like_path(text: str) -> bool:
    """pip's test: a path separator, a leading `.`, or an archive's file name."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", text.lower()):
        return False
    base = text.split("#", 1)[0].split(";", 1)[0].strip()
    if re.search(r"@\s*[a-z][a-z0-9+.-]*:", base.lower()):
        return False  # `name @ url`, a PEP 508 direct reference
    return "/" in base or "\\" in base or base.startswith((".", "~")) or base.endswith(_ARCHIVES)


def _path(
    text: str,
    *,
    where: Path,
    project_root: Path,
    editable: bool,
    name: str | None = None,
) -> Dependency | None:
    location, fragment = _fragment(text)
    # `dir[extra1,extra2]`: pip's extras after a local path.
    location, bracket, extras_text = location.strip().partition("[")
    extras = tuple(
        sorted(part.strip() for part in extras_text.rstrip("]").split(",") if part.strip())
    )
    if bracket and not extras_text.endswith("]"):
        raise InputError(f"{where}: pip entry {text!r} has an unclosed `[`; fix it")
    target = (where.parent / _home_expanded(Path(location), where=where, line=text)).resolve()
    if target in (where.parent.resolve(), project_root.resolve()):
        return None
    name = name or _egg_name(fragment, text, where=where) or _local_name(target)
    if name is None:
        raise InputError(
            f"{where}: pip entry {text!r} is a local path whose package name lockstep cannot"
            " read (no pyproject.toml or setup.cfg naming it there); add #egg=NAME to it,"
            " then run the import again"
        )
    relative = Path(os.path.relpath(target, project_root.resolve())).as_posix()
    return Dependency(name=name, line=text, extras=extras, path=relative, editable=editable)


def _local_name(target: Path) -> str | None:
    """The name a local project declares (pyproject.toml, setup.cfg), or an archive's."""
    if target.is_file():
        return _archive_name(target.name)
    try:
        data = tomllib.loads((target / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        data = {}
    for keys in (("project", "name"), ("tool", "poetry", "name")):
        found: Any = data
        for key in keys:
            found = found.get(key) if isinstance(found, dict) else None
        if isinstance(found, str):
            return found
    setup_cfg = configparser.ConfigParser()
    try:
        setup_cfg.read(target / "setup.cfg", encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    value = setup_cfg.get("metadata", "name", fallback=None)
    return value if value and _NAME.match(value) else None
