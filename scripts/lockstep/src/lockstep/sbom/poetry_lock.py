"""The runtime's PyPI distributions in poetry.lock: the main group, with each file's hash."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from lockstep.shared.errors import InputError
from lockstep.shared.model import normalize_name
from lockstep.shared.toml_reader import tomllib

MAIN_GROUP = "main"


class LockedDistribution(NamedTuple):
    name: str
    version: str
    # (file name, "sha256:<hex>") of each file poetry.lock lists.
    files: tuple[tuple[str, str], ...]


def main_group(path: Path) -> list[LockedDistribution]:
    """The main group's packages; a lock without `groups` (Poetry 1) counts every
    non-optional package, as its export of the main group would."""
    try:
        with path.open("rb") as stream:
            data: dict[str, Any] = tomllib.load(stream)
    except FileNotFoundError:
        raise InputError(f"{path}: no poetry.lock; create it with `make env-update`") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: not valid TOML ({error})") from None
    found = []
    for package in data.get("package", []):
        groups = package.get("groups")
        in_main = MAIN_GROUP in groups if groups is not None else not package.get("optional")
        if not in_main:
            continue
        files = tuple(sorted((item["file"], item["hash"]) for item in package.get("files", [])))
        found.append(LockedDistribution(normalize_name(package["name"]), package["version"], files))
    return sorted(found)
