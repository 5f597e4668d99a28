"""The `# input_hash:` conda-lock writes, computed by conda-lock's own functions.

This follows `conda_lock.conda_lock.make_lock_files` for
`conda-lock lock -f environment.yml -p PLATFORM... --kind explicit` without
`--virtual-package-spec` or `--with-cuda`: the lock spec from `make_lock_spec`,
the default virtual-package repodata, then `compute_content_hashes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from conda_lock.content_hash import compute_content_hashes
from conda_lock.lookup import DEFAULT_MAPPING_URL
from conda_lock.src_parser import make_lock_spec
from conda_lock.virtual_package import default_virtual_package_repodata

from lockstep.errors import InputError


def conda_input_hashes(environment: Path, platforms: Sequence[str]) -> dict[str, str]:
    try:
        spec = make_lock_spec(
            src_files=[environment],
            platform_overrides=list(platforms),
            mapping_url=DEFAULT_MAPPING_URL,
        )
        # The repodata object itself is hashed: its `__enter__` returns None
        # (conda-lock enters it only to set CONDA_OVERRIDE_* variables), so
        # `with ... as repodata` would hash without the virtual packages and
        # match no lockfile conda-lock ever wrote.
        virtual_packages = default_virtual_package_repodata(cuda_version="default")
        with virtual_packages:
            hashes: dict[str, str] = compute_content_hashes(spec, virtual_packages)
    except Exception as error:  # conda-lock raises many kinds; all mean bad input here
        raise InputError(f"{environment}: conda-lock cannot parse it ({error})") from None
    return hashes
