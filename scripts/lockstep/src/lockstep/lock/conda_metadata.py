"""The Python distributions a conda package installs, from the file list in its info/.

A distribution is recognised by its metadata directory (lockstep.shared.dist_paths).
Its name and version therefore come from the package's own
metadata, never from a conda-to-PyPI name table (`pytorch` installs `torch`).
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterable, Iterator

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from lockstep.shared.dist_paths import metadata_path_of
from lockstep.shared.model import PythonDistribution

PATHS_JSON = "info/paths.json"
FILES_LIST = "info/files"


def _normalized_version(version: str) -> str:
    try:
        return str(Version(version))
    except InvalidVersion:
        return version


def distribution_for_path(path: str) -> PythonDistribution | None:
    """The distribution whose metadata `path` is part of, if any."""
    metadata = metadata_path_of(path)
    if metadata is None:
        return None
    return PythonDistribution(
        name=canonicalize_name(metadata.name), version=_normalized_version(metadata.version)
    )


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
