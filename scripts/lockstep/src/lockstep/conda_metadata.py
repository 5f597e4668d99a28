"""The Python distributions a conda package installs, from the file list in its info/.

A distribution is recognised by its metadata directory, as pip and importlib
do: `<site-packages>/<name>-<version>.dist-info/` or an `.egg-info` file or
directory. Its name and version therefore come from the package's own
metadata, never from a conda-to-PyPI name table (`pytorch` installs `torch`).
"""

from __future__ import annotations

import itertools
import json
import re
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from lockstep.model import PythonDistribution

PATHS_JSON = "info/paths.json"
FILES_LIST = "info/files"
SITE_PACKAGES = "site-packages"
_DIST_INFO = re.compile(r"^(?P<name>.+?)-(?P<version>[^-]+)\.dist-info$")
# PEP 376 / setuptools: name-version[-pyX.Y[-platform]].egg-info
_EGG_INFO = re.compile(r"^(?P<name>.+?)-(?P<version>[^-]+?)(?:-py\d[\d.]*)?(?:-[^-]+)?\.egg-info$")


def _normalized_version(version: str) -> str:
    try:
        return str(Version(version))
    except InvalidVersion:
        return version


def distribution_for_path(path: str) -> PythonDistribution | None:
    """The distribution whose metadata (dist-info dir, egg-info file or dir) `path` is, if any."""
    parts = PurePosixPath(path).parts
    for parent, part in itertools.pairwise(parts):
        if parent != SITE_PACKAGES:
            continue
        match = _DIST_INFO.match(part) or _EGG_INFO.match(part)
        if match:
            return PythonDistribution(
                name=canonicalize_name(match["name"]),
                version=_normalized_version(match["version"]),
            )
    return None


def distributions_from_paths(paths: Iterable[str]) -> list[PythonDistribution]:
    found = {dist for path in paths if (dist := distribution_for_path(path)) is not None}
    return sorted(found)


def paths_from_info(members: Iterator[tuple[tarfile.TarFile, tarfile.TarInfo]]) -> list[str]:
    """The package's file list from its info/ members: paths.json, else older info/files."""
    files_list: list[str] | None = None
    for tar, member in members:
        if member.name not in (PATHS_JSON, FILES_LIST):
            continue
        stream = tar.extractfile(member)
        if stream is None:
            continue
        content = stream.read().decode("utf-8")
        if member.name == PATHS_JSON:
            return [entry["_path"] for entry in json.loads(content).get("paths", [])]
        files_list = content.splitlines()
    return files_list or []
