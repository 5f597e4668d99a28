"""Defaults that users may override through the environment."""

from __future__ import annotations

import os
from pathlib import Path

from lockstep.shared.errors import InputError

DEFAULT_PLATFORMS = ("linux-64", "linux-aarch64")
DEFAULT_INDEX_URL = "https://pypi.org/simple/"
# Reading a package's info/ is latency-bound, not CPU-bound: many small requests.
DEFAULT_FETCH_WORKERS = 16
DEFAULT_FETCH_TIMEOUT_SECONDS = 30.0


# Conda platforms to lock and check instead of environment.yml's `platforms:`.
PLATFORMS_VARIABLE = "LOCKSTEP_PLATFORMS"


def platform_override() -> tuple[str, ...] | None:
    """The platforms named by LOCKSTEP_PLATFORMS (comma-separated), if it is set and not empty."""
    value = os.environ.get(PLATFORMS_VARIABLE, "")
    platforms = tuple(part.strip() for part in value.split(",") if part.strip())
    return platforms or None


def cache_dir() -> Path:
    """Where package metadata is cached by package hash (LOCKSTEP_CACHE_DIR wins)."""
    explicit = os.environ.get("LOCKSTEP_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "lockstep"


# conda-lock reads pip entries with a PyPI-to-conda name mapping it downloads from GitHub
# (raw.githubusercontent.com); behind a firewall, a copy (a path or URL) stands in for it.
PYPI_MAPPING_VARIABLE = "LOCKSTEP_PYPI_MAPPING"


def pypi_mapping() -> str | None:
    """conda-lock's PyPI-to-conda mapping to use instead of its default (None: the default)."""
    return os.environ.get(PYPI_MAPPING_VARIABLE) or None


def conda_exe() -> str | None:
    """The conda-compatible solver (micromamba in the tools image), from LOCKSTEP_CONDA_EXE."""
    return os.environ.get("LOCKSTEP_CONDA_EXE") or None


def fetch_timeout() -> float:
    """Seconds to wait for one package-metadata or index request (LOCKSTEP_FETCH_TIMEOUT)."""
    text = os.environ.get("LOCKSTEP_FETCH_TIMEOUT", "").strip()
    if not text:
        return DEFAULT_FETCH_TIMEOUT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not seconds > 0 or seconds == float("inf"):
        raise InputError(
            f"LOCKSTEP_FETCH_TIMEOUT={text}: not a number of seconds; set it to one such as 30"
            " (or unset it)"
        )
    return seconds


# Where conda-forge and the other channel names live; CONDA_MIRROR replaces it.
PUBLIC_CONDA_CHANNELS = "https://conda.anaconda.org/"


def conda_mirror() -> str | None:
    """The conda mirror the tools image was built with (CONDA_MIRROR; empty means none)."""
    return os.environ.get("CONDA_MIRROR") or None


def fetch_url(url: str) -> str:
    """Where to fetch a locked package: under CONDA_MIRROR when one is set, as the image does."""
    mirror = conda_mirror()
    if mirror is None or not url.startswith(PUBLIC_CONDA_CHANNELS):
        return url
    return f"{mirror.rstrip('/')}/{url.removeprefix(PUBLIC_CONDA_CHANNELS)}"


def default_index_url() -> str:
    """The package index standing for PyPI: PYPI_MIRROR when one is set (empty means none)."""
    return os.environ.get("PYPI_MIRROR") or DEFAULT_INDEX_URL
