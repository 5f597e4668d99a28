"""Recognise a Python distribution's metadata in a file path. Standard library only.

A distribution is known by its metadata directly under site-packages, as pip
and importlib know it: `<name>-<version>.dist-info/` or `.egg-info` (a file
or a directory).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

SITE_PACKAGES = "site-packages"
_DIST_INFO = re.compile(r"^(?P<name>.+?)-(?P<version>[^-]+)\.dist-info$")
# setuptools: name-version[-pyX.Y[-platform]].egg-info
_EGG_INFO = re.compile(r"^(?P<name>.+?)-(?P<version>[^-]+?)(?:-py\d[\d.]*)?(?:-[^-]+)?\.egg-info$")


@dataclass(frozen=True)
class MetadataPath:
    """Where a distribution's metadata is, and the name and version its file name gives."""

    path: str
    name: str
    version: str


def metadata_path_of(path: str) -> MetadataPath | None:
    parts = PurePosixPath(path).parts
    for index, (parent, part) in enumerate(itertools.pairwise(parts)):
        if parent != SITE_PACKAGES:
            continue
        match = _DIST_INFO.match(part) or _EGG_INFO.match(part)
        if match:
            directory = str(PurePosixPath(*parts[: index + 2]))
            return MetadataPath(path=directory, name=match["name"], version=match["version"])
    return None


def metadata_paths(paths: list[str] | tuple[str, ...]) -> dict[str, MetadataPath]:
    """Each distinct metadata location among `paths`, keyed by its path."""
    found: dict[str, MetadataPath] = {}
    for path in paths:
        metadata = metadata_path_of(path)
        if metadata is not None:
            found.setdefault(metadata.path, metadata)
    return found
