"""Run this repository's Makefile in tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


# What a make passes to the makes it starts. Under `make test NAME=value` they would hand
# NAME=value to every make a test runs, as if the user had typed it there too.
MAKE_OWN_VARIABLES = frozenset({"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"})


def user_environment(**env: str) -> dict[str, str]:
    """This environment as a user's shell has it, without the outer make's, plus `env`."""
    return {
        **{key: value for key, value in os.environ.items() if key not in MAKE_OWN_VARIABLES},
        **env,
    }


def _run_make(
    args: tuple[str, ...], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=60,
    )


def make(*args: str, cwd: Path = REPO_ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return _run_make(args, cwd, user_environment(**env))


def make_alone(
    *args: str, preset: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """make at the repository with no variable preset but `preset`: one the environment (or
    an outer `make test NAME=value`) sets is listed by make as the environment's, not the
    Makefile's."""
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"), **(preset or {})}
    return _run_make(args, REPO_ROOT, clean)


TOOLS_BIN = Path(sys.executable).parent


def run_tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a pinned checker from the test environment (hadolint, zizmor, ...) at the repo root."""
    return subprocess.run(
        [str(TOOLS_BIN / name), *args], capture_output=True, text=True, check=False, cwd=REPO_ROOT
    )
