"""Defaults that users may override through the environment."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_PLATFORMS = ("linux-64", "linux-aarch64")
DEFAULT_INDEX_URL = "https://pypi.org/simple/"
# Reading a package's info/ is latency-bound, not CPU-bound: many small requests.
DEFAULT_FETCH_WORKERS = 16
DEFAULT_FETCH_TIMEOUT_SECONDS = 30.0


def cache_dir() -> Path:
    """Where package metadata is cached by package hash (LOCKSTEP_CACHE_DIR wins)."""
    explicit = os.environ.get("LOCKSTEP_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "lockstep"


def conda_exe() -> str | None:
    """The conda-compatible solver (micromamba in the tools image), from LOCKSTEP_CONDA_EXE."""
    return os.environ.get("LOCKSTEP_CONDA_EXE") or None


def fetch_timeout() -> float:
    """Seconds to wait for one package-metadata or index request (LOCKSTEP_FETCH_TIMEOUT)."""
    return float(os.environ.get("LOCKSTEP_FETCH_TIMEOUT", DEFAULT_FETCH_TIMEOUT_SECONDS))
