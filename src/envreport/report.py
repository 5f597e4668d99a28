"""Which installer put each of a project's declared dependencies in place.

Conda and pip both leave an `INSTALLER` file in a distribution's metadata
directory (PEP 376), so the answer comes from the environment itself.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from envreport.cuda import CudaDriver

PROJECT = "envreport"
UNKNOWN_INSTALLER = "unknown"

FindDistribution = Callable[[str], "metadata.Distribution | None"]


@dataclass(frozen=True)
class DependencyStatus:
    """One declared dependency as found in the running environment."""

    name: str
    version: str | None
    installer: str | None

    @property
    def installed(self) -> bool:
        return self.version is not None


@dataclass(frozen=True)
class EnvironmentReport:
    python: str
    platform: str
    dependencies: tuple[DependencyStatus, ...]
    # None: not asked (the report then has no CUDA line).
    cuda_driver: CudaDriver | None = None


def find_installed(name: str) -> metadata.Distribution | None:
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None


def installer_of(distribution: metadata.Distribution) -> str:
    recorded = distribution.read_text("INSTALLER")
    return recorded.strip() if recorded and recorded.strip() else UNKNOWN_INSTALLER


def declared_requirements(requires: Iterable[str]) -> list[Requirement]:
    """The requirements that apply here, skipping extras and other platforms."""
    applicable = []
    for line in requires:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            applicable.append(requirement)
    return applicable


def dependency_status(name: str, find: FindDistribution = find_installed) -> DependencyStatus:
    distribution = find(name)
    display_name = str(canonicalize_name(name))
    if distribution is None:
        return DependencyStatus(display_name, None, None)
    return DependencyStatus(display_name, distribution.version, installer_of(distribution))


def build_report(
    requires: Iterable[str],
    find: FindDistribution = find_installed,
    *,
    cuda_driver: CudaDriver | None = None,
) -> EnvironmentReport:
    statuses = tuple(
        dependency_status(requirement.name, find) for requirement in declared_requirements(requires)
    )
    return EnvironmentReport(
        python=platform.python_version(),
        platform=f"{sys.platform}-{platform.machine()}",
        dependencies=statuses,
        cuda_driver=cuda_driver,
    )


def project_requirements(project: str = PROJECT) -> list[str]:
    """The project's own declared dependencies, read from its installed metadata."""
    return metadata.requires(project) or []


def render(report: EnvironmentReport) -> str:
    rows = [("dependency", "version", "installer")]
    rows += [
        (status.name, status.version or "-", status.installer or "NOT INSTALLED")
        for status in report.dependencies
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    table = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    header = [f"Python {report.python} on {report.platform}"]
    if report.cuda_driver is None:
        header.append("")
    else:
        # No blank line after it: the table still starts on the report's third line.
        header.append(report.cuda_driver.describe())
    return "\n".join([*header, *table])
