"""Read explicit conda lockfiles as conda-lock writes them with `--kind explicit`.

The format (conda_lock.conda_lock.render_lockfile_for_platform): `# platform:` and
`# input_hash:` header comments, an `@EXPLICIT` line, then one `URL#<md5>` line
per package (conda also accepts `#sha256:<hex>`).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import NamedTuple

from lockstep.shared.errors import InputError
from lockstep.shared.text_files import read_project_text

_PLATFORM = re.compile(r"^# platform: (\S+)\s*$")
_INPUT_HASH = re.compile(r"^# input_hash: (\S+)\s*$")
_EXPLICIT = "@EXPLICIT"
_MD5 = re.compile(r"^[0-9a-f]{32}$")
_SHA256 = re.compile(r"^(?:sha256[:=])?([0-9a-f]{64})$")
FIX = "regenerate it with `make env-update`"


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


def read_explicit_lockfile(path: Path) -> ExplicitLockfile:
    """Read a lockfile; CRLF line endings (a Windows checkout) read the same as LF."""
    try:
        text = read_project_text(path).text
    except FileNotFoundError:
        raise InputError(f"{path}: no such lockfile; create it with `make env-bootstrap`") from None
    return parse_explicit_lockfile(text, path=path)
