"""The `# input_hash:` conda-lock writes, computed by conda-lock's own functions.

This follows `conda_lock.conda_lock.make_lock_files` for
`conda-lock lock -f environment.yml -p PLATFORM... --kind explicit
[--virtual-package-spec virtual-packages.yml]` (never `--with-cuda`): the lock
spec from `make_lock_spec`, the virtual-package repodata (from the spec file
when one is given, conda-lock's defaults otherwise), then `compute_content_hashes`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import requests
from conda_lock.content_hash import compute_content_hashes
from conda_lock.lookup import DEFAULT_MAPPING_URL
from conda_lock.models.lock_spec import LockSpecification
from conda_lock.src_parser import make_lock_spec
from conda_lock.virtual_package import (
    FakeRepoData,
    default_virtual_package_repodata,
    virtual_package_repo_from_specification,
)

from lockstep.shared import settings
from lockstep.shared.errors import FetchError, InputError, LockstepError
from lockstep.shared.yaml_files import libyaml_for_safe_load


def parse_failure(environment: Path, error: Exception, *, fix: str = "") -> LockstepError:
    """What conda-lock failing to read environment.yml means: bad input, unless it could not
    download the PyPI-to-conda name mapping it reads a `pip:` section with."""
    if isinstance(error, requests.RequestException):
        reason = " ".join(str(error).split())
        return FetchError(
            f"{environment}: conda-lock could not download its PyPI-to-conda name mapping,"
            f" which it reads the pip: section with ({reason}); check the network, or set"
            f" {settings.PYPI_MAPPING_VARIABLE} to a copy"
        )
    return InputError(f"{environment}: conda-lock cannot parse it ({error}){fix}")


def mapping_url() -> str:
    """The PyPI-to-conda name mapping conda-lock reads pip entries with."""
    return settings.pypi_mapping() or DEFAULT_MAPPING_URL


def _virtual_package_repodata(virtual_packages: Path | None) -> FakeRepoData:
    """The repodata conda-lock builds: from the spec file when given, as `lock` does with
    `--virtual-package-spec` (no `--with-cuda` override, no duplicate __osx), else its defaults."""
    if virtual_packages is None:
        return default_virtual_package_repodata(cuda_version="default")
    try:
        return virtual_package_repo_from_specification(virtual_packages)
    except Exception as error:  # YAML or pydantic errors; validation names them one by one
        message = " ".join(str(error).split())
        raise InputError(f"{virtual_packages}: conda-lock cannot read it ({message})") from None


def _lock_spec(environment: Path, platforms: Sequence[str]) -> LockSpecification:
    """conda-lock's reading of environment.yml for the platforms, as `conda-lock lock` reads it."""
    try:
        with libyaml_for_safe_load():
            return make_lock_spec(
                src_files=[environment],
                platform_overrides=list(platforms),
                mapping_url=mapping_url(),
            )
    except Exception as error:  # conda-lock raises many kinds; all mean bad input here
        raise parse_failure(environment, error) from None


def conda_input_hashes(
    environment: Path, platforms: Sequence[str], *, virtual_packages: Path | None = None
) -> dict[str, str]:
    """conda-lock's `# input_hash:` per platform, for environment.yml and the project's
    virtual-packages.yml (None: conda-lock's default virtual packages)."""
    return _hashes(_lock_spec(environment, platforms), environment, virtual_packages)


def _hashes(
    spec: LockSpecification, environment: Path, virtual_packages: Path | None
) -> dict[str, str]:
    repodata = _virtual_package_repodata(virtual_packages)
    try:
        # The repodata object itself is hashed: its `__enter__` returns None
        # (conda-lock enters it only to set CONDA_OVERRIDE_* variables), so
        # `with ... as repodata` would hash without the virtual packages and
        # match no lockfile conda-lock ever wrote.
        with repodata:
            hashes: dict[str, str] = compute_content_hashes(spec, repodata)
    except Exception as error:  # conda-lock raises many kinds; all mean bad input here
        raise parse_failure(environment, error) from None
    return hashes


def conda_sides(environment: Path, platforms: Sequence[str]) -> dict[str, str]:
    """What conda solves for, per platform: conda-lock's lock spec of environment.yml, its
    channels and conda dependencies (pip's left out), as canonical JSON. Two files with the
    same conda side have the same conda solution whatever their pip entries: conda-lock
    solves the conda side first and alone, then pip's around it."""
    return _sides(_lock_spec(environment, platforms))


def conda_hashes_and_sides(
    environment: Path, platforms: Sequence[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """conda_input_hashes (default virtual packages) and conda_sides from one reading."""
    spec = _lock_spec(environment, platforms)
    return _hashes(spec, environment, None), _sides(spec)


def _sides(spec: LockSpecification) -> dict[str, str]:
    channels = [channel.model_dump(mode="json") for channel in spec.channels]
    return {
        platform: json.dumps(
            {
                "channels": channels,
                # A set: a `pip:` section adds `pip` (version `*`) to the conda side, which
                # the file may list itself too (`- pip`, version ``); the solve is the same.
                "conda": sorted(
                    {
                        json.dumps(_any_version_as_star(dependency.model_dump(mode="json")))
                        for dependency in dependencies
                        if dependency.manager == "conda"
                    }
                ),
            },
            sort_keys=True,
        )
        for platform, dependencies in spec.dependencies.items()
    }


def _any_version_as_star(dumped: dict[str, object]) -> dict[str, object]:
    """conda's "any version" either way conda-lock writes it: `*`, or empty."""
    if dumped.get("version") == "":
        dumped["version"] = "*"
    return dict(sorted(dumped.items()))
