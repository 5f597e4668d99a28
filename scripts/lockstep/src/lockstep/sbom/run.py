"""Write the SBOM of one platform's runtime environment from a project's lockfiles."""

from __future__ import annotations

import os
from pathlib import Path

from lockstep.sbom.document import Project, render, sbom_document
from lockstep.sbom.poetry_lock import main_group
from lockstep.sbom.provided import provided_distributions
from lockstep.shared.errors import InputError
from lockstep.shared.explicit_lockfile import read_explicit_lockfile
from lockstep.shared.platforms import DOCKER_ARCH_PLATFORMS
from lockstep.shared.project import ProjectFiles
from lockstep.shared.pyproject import read_pyproject

DEFAULT_PLATFORM = "linux-64"


def _project(pyproject: Path) -> Project:
    data = read_pyproject(pyproject)
    table = data.get("project") or data.get("tool", {}).get("poetry", {})
    name, version = table.get("name"), table.get("version")
    if not name or not version:
        raise InputError(f"{pyproject}: no project name and version")
    return Project(str(name), str(version))


def _source_date_epoch() -> int | None:
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise InputError(f"SOURCE_DATE_EPOCH={value!r}: not a number of seconds")
    return int(value)


def sbom_text(*, project: Path, platform: str, cache_dir: Path | None = None) -> str:
    """The SBOM's JSON text; `platform` is a conda platform or a Docker architecture."""
    platform = DOCKER_ARCH_PLATFORMS.get(platform, platform)
    files = ProjectFiles(project)
    lockfile = read_explicit_lockfile(files.conda_lock(platform))
    document = sbom_document(
        project=_project(files.pyproject),
        platform=platform,
        conda=provided_distributions(lockfile, cache_dir=cache_dir),
        pypi=main_group(files.poetry_lock),
        source_date_epoch=_source_date_epoch(),
    )
    return render(document)


def write_sbom(*, project: Path, platform: str, output: Path | None) -> None:
    text = sbom_text(project=project, platform=platform)
    if output is None:
        print(text, end="")
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(output.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(output)
