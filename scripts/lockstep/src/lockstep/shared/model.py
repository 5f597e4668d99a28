"""Value types shared by the pipeline's modules."""

from __future__ import annotations

import re
from typing import NamedTuple

_SEPARATORS = re.compile(r"[-_.]+")


def normalize_name(name: str) -> str:
    """PEP 503 normalized form of a distribution name."""
    return _SEPARATORS.sub("-", name).lower()


class PythonDistribution(NamedTuple):
    """A Python distribution (PEP 503 name, version) that a conda package installs."""

    name: str
    version: str


class Pin(NamedTuple):
    """An exact pin for Poetry's conda group; `marker` limits it to some platforms."""

    name: str
    version: str
    marker: str | None = None

    def __str__(self) -> str:
        requirement = f"{self.name}=={self.version}"
        return f"{requirement} ; {self.marker}" if self.marker else requirement
