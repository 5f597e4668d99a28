"""Where a project's lock inputs and outputs live, by name."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

ENVIRONMENT_FILE = "environment.yml"
PYPROJECT_FILE = "pyproject.toml"
POETRY_LOCK_FILE = "poetry.lock"
CONDA_LOCK_TEMPLATE = "conda-{platform}.lock"
CONDA_LOCK_GLOB = "conda-*.lock"
# Poetry reads its project-local settings (sources' credentials, etc.) from here.
POETRY_TOML_FILE = "poetry.toml"
# The target machine's virtual packages (CUDA, glibc) for conda-lock's `--virtual-package-spec`;
# conda-lock itself looks for these names, in this order, in the directory it runs in.
VIRTUAL_PACKAGE_FILES = ("virtual-packages.yml", "virtual-packages.yaml")


class ProjectFiles(NamedTuple):
    """The files of one project directory that lockstep reads or writes."""

    root: Path

    @property
    def environment(self) -> Path:
        return self.root / ENVIRONMENT_FILE

    @property
    def pyproject(self) -> Path:
        return self.root / PYPROJECT_FILE

    @property
    def poetry_lock(self) -> Path:
        return self.root / POETRY_LOCK_FILE

    @property
    def poetry_toml(self) -> Path:
        return self.root / POETRY_TOML_FILE

    @property
    def virtual_packages(self) -> Path | None:
        """The virtual-package spec conda-lock would read here, if the project has one."""
        for name in VIRTUAL_PACKAGE_FILES:
            path = self.root / name
            if path.exists():
                return path
        return None

    def conda_lock(self, platform: str) -> Path:
        return self.root / conda_lock_name(platform)

    def existing_conda_locks(self) -> list[Path]:
        return sorted(self.root.glob(CONDA_LOCK_GLOB))


def conda_lock_name(platform: str) -> str:
    return CONDA_LOCK_TEMPLATE.format(platform=platform)
