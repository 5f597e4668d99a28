"""Exact pins for Poetry from the distributions conda installs on each platform."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from lockstep.lock.package_info import distributions_by_platform
from lockstep.shared import settings
from lockstep.shared.errors import InputError
from lockstep.shared.explicit_lockfile import ExplicitLockfile, read_explicit_lockfile
from lockstep.shared.model import Pin, PythonDistribution
from lockstep.shared.platforms import marker_for


def derive_pins(distributions: Mapping[str, Iterable[PythonDistribution]]) -> list[Pin]:
    """One unconditional pin where all platforms agree, else one pin per platform with a marker."""
    versions: dict[str, dict[str, str]] = defaultdict(dict)
    for platform, dists in distributions.items():
        for dist in dists:
            versions[dist.name][platform] = dist.version
    platforms = set(distributions)
    pins: list[Pin] = []
    for name, by_platform in versions.items():
        distinct = set(by_platform.values())
        if len(distinct) == 1 and set(by_platform) == platforms:
            pins.append(Pin(name, distinct.pop()))
        else:
            pins.extend(
                Pin(name, version, marker_for(platform))
                for platform, version in sorted(by_platform.items())
            )
    return sorted(pins)


def read_lockfiles(paths: Sequence[Path]) -> list[ExplicitLockfile]:
    lockfiles = [read_explicit_lockfile(path) for path in paths]
    seen: dict[str, Path] = {}
    for lock in lockfiles:
        marker_for(lock.platform)
        if lock.platform in seen:
            raise InputError(
                f"{lock.path}: platform {lock.platform} is also locked by {seen[lock.platform]};"
                " pass one lockfile per platform"
            )
        seen[lock.platform] = lock.path
    return lockfiles


def pins_for_lockfiles(paths: Sequence[Path], *, cache_dir: Path | None = None) -> list[Pin]:
    lockfiles = read_lockfiles(paths)
    timeout = settings.fetch_timeout()
    return derive_pins(distributions_by_platform(lockfiles, cache_dir=cache_dir, timeout=timeout))
