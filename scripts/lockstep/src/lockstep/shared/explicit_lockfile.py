"""Read explicit conda lockfiles as conda-lock writes them with `--kind explicit`.

The format (conda_lock.conda_lock.render_lockfile_for_platform): `# platform:` and
`# input_hash:` header comments, an `@EXPLICIT` line, then one `URL#<md5>` line
per package (conda also accepts `#sha256:<hex>`).
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from pathlib import Path
from typing import NamedTuple

from lockstep.shared.errors import InputError
from lockstep.shared.text_files import NotUtf8Error, read_project_text

_PLATFORM = re.compile(r"^# platform: (\S+)\s*$")
_INPUT_HASH = re.compile(r"^# input_hash: (\S+)\s*$")
_EXPLICIT = "@EXPLICIT"
_MD5 = re.compile(r"^[0-9a-f]{32}$")
_SHA256 = re.compile(r"^(?:sha256[:=])?([0-9a-f]{64})$")
FIX = "regenerate it with `make env-update`"
RESOLVE = "`make env-update` re-solves it"
# What git writes into a file both branches changed (`git merge`, `git rebase`).
_CONFLICT_MARKERS = ("<<<<<<< ", ">>>>>>> ", "|||||||")
_CONFLICT_SEPARATOR = "======="
_SCHEMES = ("http", "https", "file")
_PACKAGE_SUFFIXES = (".conda", ".tar.bz2")


class LockedPackage(NamedTuple):
    """One package line of an explicit lockfile."""

    url: str
    sha256: str | None = None
    md5: str | None = None

    @property
    def cache_key(self) -> str:
        """The strongest identity available: a content hash, else a digest of the URL."""
        if self.sha256:
            return f"sha256-{self.sha256}"
        if self.md5:
            return f"md5-{self.md5}"
        return "url-" + hashlib.sha256(self.url.encode()).hexdigest()


class ExplicitLockfile(NamedTuple):
    path: Path
    platform: str
    input_hash: str | None
    packages: tuple[LockedPackage, ...]


def parse_package_line(line: str) -> LockedPackage:
    url, _, fragment = line.partition("#")
    fragment = fragment.strip().lower()
    if _MD5.match(fragment):
        return LockedPackage(url=url, md5=fragment)
    sha256 = _SHA256.match(fragment)
    return LockedPackage(url=url, sha256=sha256.group(1) if sha256 else None)


def parse_explicit_lockfile(text: str, *, path: Path) -> ExplicitLockfile:
    platform: str | None = None
    input_hash: str | None = None
    packages: list[LockedPackage] = []
    in_body = False
    for raw in text.splitlines():
        line = raw.strip()
        if not in_body:
            if match := _PLATFORM.match(line):
                platform = match.group(1)
            elif match := _INPUT_HASH.match(line):
                input_hash = match.group(1)
            elif line == _EXPLICIT:
                in_body = True
            continue
        if line and not line.startswith("#"):
            packages.append(parse_package_line(line))
    if not in_body:
        raise InputError(f"{path}: not an explicit conda lockfile (no @EXPLICIT line); {FIX}")
    if platform is None:
        raise InputError(f"{path}: no '# platform:' line; {FIX}")
    return ExplicitLockfile(
        path=path, platform=platform, input_hash=input_hash, packages=tuple(packages)
    )


class DamagedLockfile(InputError):
    """A lockfile that cannot be reused as it stands: cut short, merge-conflicted, edited.

    conda-lock writes every package line as a URL with its hash; anything else was done to
    the file afterwards, and a new solve is the fix. `check` reports it as stale and `lock`
    re-solves its platform; only a caller that does neither reports it as bad input.
    """

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}; {RESOLVE}")
        self.path = path
        self.reason = reason


def _is_conflict_marker(line: str) -> bool:
    return line.startswith(_CONFLICT_MARKERS) or line.rstrip() == _CONFLICT_SEPARATOR


def _package_line_problem(line: str, package: LockedPackage) -> str | None:
    parts = urllib.parse.urlsplit(package.url.strip())
    if (
        parts.scheme not in _SCHEMES
        or not (parts.netloc or parts.scheme == "file")
        or not parts.path.endswith(_PACKAGE_SUFFIXES)
    ):
        return f"is not a package URL: {line!r}"
    if package.md5 is None and package.sha256 is None:
        return f"has no md5 or sha256 after its URL: {line!r}"
    return None


def lockfile_damage(text: str) -> str | None:
    """Why an explicit lockfile's text is not one conda-lock wrote, or None when it may be.

    Read line by line as parse_explicit_lockfile reads it, so that the line named is the
    one that would have been fetched as a package.
    """
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if _is_conflict_marker(line):
            return f"has merge-conflict markers (line {number})"
    has_platform = in_body = False
    packages = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not in_body:
            has_platform = has_platform or _PLATFORM.match(line) is not None
            in_body = line == _EXPLICIT
        elif line and not line.startswith("#"):
            problem = _package_line_problem(line, parse_package_line(line))
            if problem is not None:
                return f"line {number} {problem}"
            packages += 1
    if not (in_body and has_platform):
        return "is not a whole explicit lockfile (no `@EXPLICIT` or `# platform:` line)"
    if not packages:
        return "lists no packages (cut short?)"
    return None


def read_reusable_lockfile(path: Path) -> ExplicitLockfile:
    """A lockfile `lock` may reuse as it stands; DamagedLockfile when it may not."""
    try:
        text = read_project_text(path).text
    except FileNotFoundError:
        raise InputError(f"{path}: no such lockfile; create it with `make env-bootstrap`") from None
    except NotUtf8Error as error:
        # conda-lock writes UTF-8; another encoding is a tool's rewrite (PowerShell's `>`).
        raise DamagedLockfile(path, error.reason) from None
    damage = lockfile_damage(text)
    if damage is not None:
        raise DamagedLockfile(path, damage)
    return parse_explicit_lockfile(text, path=path)


def read_explicit_lockfile(path: Path) -> ExplicitLockfile:
    """Read a lockfile; CRLF line endings (a Windows checkout) read the same as LF."""
    try:
        text = read_project_text(path).text
    except FileNotFoundError:
        raise InputError(f"{path}: no such lockfile; create it with `make env-bootstrap`") from None
    return parse_explicit_lockfile(text, path=path)
