"""environment.yml: validated before any solve, parsed by conda-lock's own parser."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from lockstep.shared import settings
from lockstep.shared.errors import InputError
from lockstep.shared.platforms import KNOWN_PLATFORMS
from lockstep.shared.virtual_packages import platform_warnings, project_virtual_packages
from lockstep.shared.yaml_files import read_project_yaml

# Every CPython a conda spec could select, to compare conda's version-spec
# language with PEP 440's without translating one into the other.
CANDIDATE_PYTHONS = tuple(
    f"3.{minor}.{patch}" for minor, patch in itertools.product(range(21), range(31))
)


@dataclass(frozen=True)
class EnvironmentSpec:
    path: Path
    platforms: tuple[str, ...]
    python_spec: str
    channels: tuple[str, ...] = ()
    # The project's virtual-packages.yml (the lock's CUDA target), validated; None without one.
    virtual_packages: Path | None = None


def _read_yaml(path: Path) -> dict[str, Any]:
    # Checked here, before conda-lock's parser reads the file itself: it would
    # end in a UnicodeDecodeError traceback on UTF-16. A UTF-8 BOM it accepts.
    try:
        data = read_project_yaml(path)
    except FileNotFoundError:
        raise InputError(f"{path}: not found; a project needs an environment.yml") from None
    if not isinstance(data, dict) or not isinstance(data.get("dependencies"), list):
        raise InputError(f"{path}: needs a `dependencies:` list (python and conda packages)")
    return data


def _platforms(path: Path, data: dict[str, Any]) -> tuple[str, ...]:
    override = settings.platform_override()
    if override is not None:
        where = f"{settings.PLATFORMS_VARIABLE} (make's CONDA_PLATFORMS)"
        listed: Any = list(override)
    else:
        where = str(path)
        listed = data.get("platforms") or list(settings.DEFAULT_PLATFORMS)
    if not isinstance(listed, list) or not listed:
        raise InputError(f"{where}: `platforms:` must be a list such as [linux-64, linux-aarch64]")
    for platform in listed:
        if platform not in KNOWN_PLATFORMS:
            known = ", ".join(KNOWN_PLATFORMS)
            raise InputError(f"{where}: unknown platform {platform!r}; use one of: {known}")
    return tuple(str(platform) for platform in listed)


def _reject_pip_section(path: Path, dependencies: Iterable[Any]) -> None:
    if any(isinstance(item, dict) and "pip" in item for item in dependencies):
        raise InputError(
            f"{path}: has a `pip:` section; PyPI packages belong in pyproject.toml"
            " (Poetry), so remove it and add them there"
        )


# conda-lock is imported only where its parser is needed: the checks before it
# report bad input without its import time (most of `lockstep check`'s).


def _python_spec(path: Path, platforms: tuple[str, ...]) -> str:
    from conda_lock.src_parser.environment_yaml import parse_environment_file

    from lockstep.shared.conda_input_hash import mapping_url, parse_failure
    from lockstep.shared.yaml_files import libyaml_for_safe_load

    try:
        with libyaml_for_safe_load():
            spec = parse_environment_file(path, list(platforms), mapping_url=mapping_url())
    except Exception as error:  # conda-lock raises many kinds; all mean bad input here
        raise parse_failure(path, error, fix="; fix the entry") from None
    specs = {
        dependency.version or "*"
        for dependencies in spec.dependencies.values()
        for dependency in dependencies
        if dependency.name == "python" and dependency.manager == "conda"
    }
    if not specs:
        raise InputError(f"{path}: names no python; add one such as `- python=3.12`")
    if len(specs) > 1:
        raise InputError(f"{path}: python differs between platforms; use one python spec")
    return specs.pop()


def check_python_agrees(path: Path, python_spec: str, requires_python: str) -> None:
    """environment.yml's python and pyproject.toml's requires-python select the same Pythons."""
    from lockstep.shared.conda_version_spec import CondaVersionSpec

    try:
        allowed = SpecifierSet(requires_python)
    except InvalidSpecifier:
        raise InputError(
            f"pyproject.toml: requires-python {requires_python!r} is not a PEP 440 specifier"
        ) from None
    conda_side = CondaVersionSpec(python_spec, source=str(path))
    selectable = [version for version in CANDIDATE_PYTHONS if conda_side.match(version)]
    outside = [version for version in selectable if version not in allowed]
    if not selectable or outside:
        example = f" (it allows {outside[0]})" if outside else ""
        raise InputError(
            f"{path}: python {python_spec!r}{example} disagrees with requires-python "
            f"{requires_python!r} in pyproject.toml; make them select the same Pythons"
        )


def load_environment(path: Path, *, requires_python: str | None) -> EnvironmentSpec:
    """Validate environment.yml; one InputError line naming the file and the fix otherwise."""
    data = _read_yaml(path)
    _reject_pip_section(path, data["dependencies"])
    platforms = _platforms(path, data)
    python_spec = _python_spec(path, platforms)
    if requires_python is not None:
        check_python_agrees(path, python_spec, requires_python)
    channels = tuple(str(channel) for channel in data.get("channels") or ())
    virtual_packages = _virtual_packages(path.parent, platforms)
    return EnvironmentSpec(
        path=path,
        platforms=platforms,
        python_spec=python_spec,
        channels=channels,
        virtual_packages=virtual_packages,
    )


def _virtual_packages(root: Path, platforms: tuple[str, ...]) -> Path | None:
    """Validate the project's virtual-packages.yml beside environment.yml; warn of likely mistakes.

    Printed here, where both `lock` and `check` validate their inputs, so each says it once.
    """
    spec = project_virtual_packages(root, platforms)
    if spec is None:
        return None
    for warning in platform_warnings(spec, platforms):
        print(f"lockstep: warning: {warning}", file=sys.stderr, flush=True)
    return spec.path
