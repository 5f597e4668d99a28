"""Re-exported from lockstep_testing.conda_packages (scripts/lockstep/testing), which the
benchmarks import too: they need nothing from tests/."""

from lockstep_testing.conda_packages import (
    NOARCH_SITE,
    PYTHON_SITE,
    DistSpec,
    PackageSpec,
    build_mixed_channel,
    build_package,
    explicit_lockfile_text,
    md5_of,
    write_explicit_lockfile,
)

__all__ = [
    "NOARCH_SITE",
    "PYTHON_SITE",
    "DistSpec",
    "PackageSpec",
    "build_mixed_channel",
    "build_package",
    "explicit_lockfile_text",
    "md5_of",
    "write_explicit_lockfile",
]
