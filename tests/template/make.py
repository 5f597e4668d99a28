"""Run this repository's Makefile in tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def make(*args: str, cwd: Path = REPO_ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
        timeout=60,
    )


TOOLS_BIN = Path(sys.executable).parent


def run_tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a pinned checker from the test environment (hadolint, zizmor, ...) at the repo root."""
    return subprocess.run(
        [str(TOOLS_BIN / name), *args], capture_output=True, text=True, check=False, cwd=REPO_ROOT
    )
