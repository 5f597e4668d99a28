"""Conda platforms (subdirs) that lockstep can lock, and how PEP 508 names them."""

from __future__ import annotations

from lockstep.shared.errors import InputError

# The markers Poetry evaluates to tell one platform's pins from another's.
PLATFORM_MARKERS: dict[str, str] = {
    "linux-64": 'sys_platform == "linux" and platform_machine == "x86_64"',
    "linux-aarch64": 'sys_platform == "linux" and platform_machine == "aarch64"',
    "linux-ppc64le": 'sys_platform == "linux" and platform_machine == "ppc64le"',
    "osx-64": 'sys_platform == "darwin" and platform_machine == "x86_64"',
    "osx-arm64": 'sys_platform == "darwin" and platform_machine == "arm64"',
    "win-64": 'sys_platform == "win32" and platform_machine == "AMD64"',
}

KNOWN_PLATFORMS = tuple(PLATFORM_MARKERS)

# Docker's architectures (a build's TARGETARCH) and the conda platform whose lockfile an
# image of that architecture installs: the one map, read by the image build too.
DOCKER_ARCH_PLATFORMS: dict[str, str] = {"amd64": "linux-64", "arm64": "linux-aarch64"}


def marker_for(platform: str) -> str:
    try:
        return PLATFORM_MARKERS[platform]
    except KeyError:
        known = ", ".join(KNOWN_PLATFORMS)
        raise InputError(f"unknown conda platform {platform!r}; use one of: {known}") from None
