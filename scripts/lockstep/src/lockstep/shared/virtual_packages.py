"""virtual-packages.yml: the machine the lock targets (its CUDA, glibc), for conda-lock.

The file is conda-lock's own `--virtual-package-spec` format:

    subdirs:
      linux-64:
        packages:
          __glibc: "2.28"
          __cuda: "12.4"

When it exists it replaces conda-lock's default virtual packages entirely, on
every platform: a locked platform it says nothing about is solved with no
virtual package at all. It is validated here, before any solve, with
conda-lock's own model (`VirtualPackageSpec`) and then against what the lock
needs; bad input is one InputError line naming the file and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockstep.shared.errors import InputError
from lockstep.shared.platforms import KNOWN_PLATFORMS
from lockstep.shared.project import VIRTUAL_PACKAGE_FILES
from lockstep.shared.yaml_files import read_project_yaml

CUDA = "__cuda"
GLIBC = "__glibc"
# Subdirs a spec may name: the platforms lockstep locks, and noarch.
SUBDIRS = (*KNOWN_PLATFORMS, "noarch")
# A virtual package's version as conda-lock reads it: "VERSION" or "VERSION BUILD"
# (`__archspec: "1 x86_64"`); every virtual package conda knows has a numeric version.
_VALUE = re.compile(r"(?P<version>\d+(?:\.\d+)*)(?: (?P<build>\S+))?")
EXAMPLE = 'subdirs: {linux-64: {packages: {__glibc: "2.28", __cuda: "12.4"}}}'


@dataclass(frozen=True)
class VirtualPackages:
    """A validated spec: per subdir, each virtual package's version (and build) string."""

    path: Path
    subdirs: Mapping[str, Mapping[str, str]]

    def packages(self, platform: str) -> dict[str, str]:
        """What the solver sees for a platform: its own entry, and noarch's (in every platform)."""
        return {**self.subdirs.get("noarch", {}), **self.subdirs.get(platform, {})}

    def covers(self, platform: str) -> bool:
        return platform in self.subdirs or "noarch" in self.subdirs

    def cuda(self, platform: str) -> str | None:
        return self.packages(platform).get(CUDA)

    def declares_cuda(self) -> bool:
        return any(CUDA in packages for packages in self.subdirs.values())


_NOT_VIRTUAL = re.compile(r"(\S+) is not a virtual package")


def _validation_message(path: Path, error: Any) -> str:
    """One line for the first error conda-lock's model found, with its fix."""
    first = error.errors()[0]
    location = tuple(str(part) for part in first.get("loc", ()))
    kind, message, value = first.get("type", ""), str(first.get("msg", "")), first.get("input")
    if kind == "string_type" and len(location) == 4:
        subdir, name = location[1], location[3]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (
                f"{path}: {subdir}: {name}: {value!r} is a YAML number, not a version"
                f' string; quote it ({name}: "{value}"), as YAML reads 12.10 as 12.1'
            )
        return f'{path}: {subdir}: {name}: has no version; write one, quoted ({name}: "12.4")'
    not_virtual = _NOT_VIRTUAL.search(message)
    if kind == "value_error" and not_virtual is not None:
        return (
            f"{path}: {location[1]}: {not_virtual.group(1)!r} is not a virtual package;"
            f" list only virtual packages here (names starting with __, such as {CUDA})"
            " and real packages in environment.yml"
        )
    at = f" at {'.'.join(location)}" if location else ""
    return f"{path}: not conda-lock's virtual-package format ({message}{at}); write {EXAMPLE}"


def read_virtual_packages(path: Path) -> VirtualPackages:
    """Read and validate a spec as conda-lock would, then as the lock needs it."""
    # conda-lock is imported here only: its import is most of `lockstep check`'s time.
    from conda_lock.virtual_package import VirtualPackageSpec  # noqa: PLC0415
    from pydantic import ValidationError  # noqa: PLC0415

    try:
        data = read_project_yaml(path)
    except FileNotFoundError:
        raise InputError(f"{path}: not found") from None
    if data is None:
        raise InputError(f"{path}: is empty; write {EXAMPLE}, or remove the file")
    try:
        spec = VirtualPackageSpec.model_validate(data)
    except ValidationError as error:
        raise InputError(_validation_message(path, error)) from None
    subdirs = {subdir: dict(entry.packages) for subdir, entry in spec.subdirs.items()}
    _check_entries(path, subdirs)
    return VirtualPackages(path=path, subdirs=subdirs)


def _check_entries(path: Path, subdirs: Mapping[str, Mapping[str, str]]) -> None:
    for subdir, packages in subdirs.items():
        if subdir not in SUBDIRS:
            raise InputError(f"{path}: unknown subdir {subdir!r}; use one of: {', '.join(SUBDIRS)}")
        for name, value in packages.items():
            if _VALUE.fullmatch(value) is None:
                raise InputError(
                    f"{path}: {subdir}: {name}: {value!r} is not a version; write numbers"
                    f' separated by dots, quoted ({name}: "12.4"), and for __archspec a'
                    ' build after one space ("1 x86_64")'
                )


def _check_platforms(spec: VirtualPackages, platforms: Sequence[str]) -> None:
    """A locked platform the spec does not name gets no virtual package at all: no solve."""
    for platform in platforms:
        if not spec.covers(platform):
            raise InputError(
                f"{spec.path}: names no virtual packages for {platform}, which is locked;"
                f" conda-lock would solve {platform} with none (no __glibc, __linux, __unix),"
                f" where python and most compiled packages do not solve; add a `{platform}:`"
                " entry (its __unix, __linux, __glibc, and __cuda for a CUDA target), or drop"
                f" {platform} from platforms in environment.yml (or set CONDA_PLATFORMS)"
            )


def platform_warnings(spec: VirtualPackages, platforms: Sequence[str]) -> list[str]:
    """Likely mistakes that still solve: one line each, naming the file and the fix."""
    name = spec.path.name
    warnings = [
        f"{name}: {platform} has no {GLIBC}, so conda-lock solves it as a machine without"
        f' glibc and most compiled conda-forge packages will not solve; add {GLIBC}: "2.28"'
        " (conda-lock's default)"
        for platform in platforms
        if platform.startswith("linux-") and GLIBC not in spec.packages(platform)
    ]
    target = "linux-aarch64"
    if spec.declares_cuda() and target in platforms and spec.cuda(target) is None:
        declared = ", ".join(
            f"{CUDA} {packages[CUDA]} for {subdir}"
            for subdir, packages in spec.subdirs.items()
            if CUDA in packages
        )
        warnings.append(
            f"{name}: declares a CUDA target ({declared}) but none for {target}, which is"
            f" locked too, so {target} is solved without CUDA: CPU-only builds, or no"
            " solution where a package needs CUDA (many CUDA builds on conda-forge are"
            f" linux-64 only); add {CUDA} for {target} in {name}, or drop {target} from"
            " platforms in environment.yml (or set CONDA_PLATFORMS=linux-64)"
        )
    return warnings


def project_virtual_packages(root: Path, platforms: Sequence[str]) -> VirtualPackages | None:
    """The project's validated spec (None without one); InputError when it cannot serve the lock."""
    found = [root / name for name in VIRTUAL_PACKAGE_FILES if (root / name).exists()]
    if not found:
        return None
    if len(found) > 1:
        raise InputError(
            f"{found[0]} and {found[1].name} both exist; conda-lock reads only"
            f" {found[0].name}, so remove one"
        )
    spec = read_virtual_packages(found[0])
    _check_platforms(spec, platforms)
    return spec
