"""The Python distributions each locked conda package installs, read from its info/
(lock/package_info: cached by package hash, so after `lockstep lock` nothing is fetched)."""

from __future__ import annotations

from pathlib import Path

from lockstep.lock.package_info import MetadataCache, PackageReader
from lockstep.shared import settings
from lockstep.shared.explicit_lockfile import ExplicitLockfile, LockedPackage
from lockstep.shared.model import PythonDistribution


def provided_distributions(
    lockfile: ExplicitLockfile, *, cache_dir: Path | None = None
) -> dict[LockedPackage, list[PythonDistribution]]:
    cache = MetadataCache(cache_dir if cache_dir is not None else settings.cache_dir())
    reader = PackageReader(timeout=settings.fetch_timeout())
    found = {}
    for package in lockfile.packages:
        dists = cache.get(package)
        if dists is None:
            dists = reader.distributions(package)
            cache.put(package, dists)
        found[package] = sorted(dists)
    return found
