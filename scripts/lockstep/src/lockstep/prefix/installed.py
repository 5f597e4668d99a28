"""What a conda prefix holds: conda's package records and every Python distribution on disk."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from lockstep.shared.dist_paths import metadata_paths
from lockstep.shared.errors import InputError
from lockstep.shared.model import normalize_name

CONDA_META = "conda-meta"
UNKNOWN_INSTALLER = "unknown"


@dataclass(frozen=True)
class CondaRecord:
    """One installed conda package, as conda-meta/<name>-<version>-<build>.json records it."""

    name: str
    version: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class ExpectedDistribution:
    """A distribution a conda package installed: where its metadata should be, and its version."""

    name: str
    version: str
    metadata_path: str
    package: str


@dataclass(frozen=True)
class InstalledDistribution:
    name: str
    version: str
    installer: str
    metadata_path: str


def conda_records(prefix: Path) -> list[CondaRecord]:
    meta = prefix / CONDA_META
    if not meta.is_dir():
        raise InputError(f"{prefix}: not a conda prefix (no {CONDA_META}/); pass the env's path")
    records = []
    for path in sorted(meta.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as error:
            raise InputError(f"{path}: unreadable conda record ({error})") from None
        records.append(_record(data, path))
    return records


def _record(data: object, path: Path) -> CondaRecord:
    """A conda-meta record's name, version and files, each of the type conda writes."""
    fix = "reinstall the package (or recreate the environment)"
    if not isinstance(data, dict):
        raise InputError(f"{path}: a conda record is a JSON object, this one is not; {fix}")
    name, version, files = data.get("name"), data.get("version"), data.get("files", [])
    if not isinstance(name, str) or not isinstance(version, str):
        raise InputError(f"{path}: a conda record needs a string name and version; {fix}")
    if not isinstance(files, list) or not all(isinstance(item, str) for item in files):
        raise InputError(f"{path}: the record's files is not a list of paths; {fix}")
    return CondaRecord(name, version, tuple(files))


def expected_distributions(records: list[CondaRecord]) -> list[ExpectedDistribution]:
    expected = []
    for record in records:
        for found in metadata_paths(record.files).values():
            expected.append(
                ExpectedDistribution(
                    name=normalize_name(found.name),
                    version=found.version,
                    metadata_path=found.path,
                    package=record.name,
                )
            )
    return sorted(expected, key=lambda item: (item.name, item.metadata_path))


def site_packages_dirs(prefix: Path) -> list[Path]:
    candidates = [*prefix.glob("lib/python3*/site-packages"), prefix / "Lib" / "site-packages"]
    return sorted(path for path in candidates if path.is_dir())


METADATA_SUFFIXES = (".dist-info", ".egg-info")


def installed_distributions(
    prefix: Path, records: list[CondaRecord]
) -> list[InstalledDistribution]:
    """Every distribution on disk; conda's own files count as installed by conda."""
    conda_paths = {path for record in records for path in metadata_paths(record.files)}
    found = []
    for site in site_packages_dirs(prefix):
        # The metadata directories found here, each read by the public `Distribution.at`:
        # importlib has no public accessor for the directory of what `distributions()` finds.
        for location in sorted(site.iterdir()):
            if location.suffix not in METADATA_SUFFIXES:
                continue
            distribution = metadata.Distribution.at(location)
            relative = location.relative_to(prefix).as_posix()
            installer = (distribution.read_text("INSTALLER") or "").strip() or UNKNOWN_INSTALLER
            if relative in conda_paths:
                installer = "conda"
            name = distribution.metadata["Name"] or location.name.split("-")[0]
            found.append(
                InstalledDistribution(
                    name=normalize_name(name),
                    version=distribution.version,
                    installer=installer,
                    metadata_path=relative,
                )
            )
    return sorted(found, key=lambda item: (item.name, item.metadata_path))
