"""conda match specs as the stand-ins read them, through py-rattler's public MatchSpec
(lockstep's own dependency) rather than conda-lock's vendored, private copy of conda."""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import Any

from rattler import MatchSpec, Version, VersionSpec
from rattler.exceptions import InvalidMatchSpecError

__all__ = ["InvalidMatchSpecError", "MatchSpec", "spec_accepts"]


def spec_accepts(spec: MatchSpec, record: Mapping[str, Any]) -> bool:
    """Whether a package record (name, version, build) satisfies the spec."""
    if spec.name is None or spec.name.normalized != record["name"]:
        return False
    if spec.version is not None and not VersionSpec(spec.version).matches(
        Version(str(record["version"]))
    ):
        return False
    return spec.build is None or fnmatchcase(str(record.get("build", "")), spec.build)
