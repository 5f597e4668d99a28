"""A Python for Poetry that matches environment.yml's python.

Poetry refuses to lock a project whose requires-python excludes the Python it
runs on, and the tools image runs Poetry on its own Python. When a conda
solver is at hand (LOCKSTEP_CONDA_EXE, set in the tools image), lockstep
creates a small environment holding only the project's python, once per spec
and channel list (cached), and hands it to Poetry through CONDA_PREFIX, which
Poetry takes as the project's environment.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from lockstep.shared import settings
from lockstep.shared.environment import EnvironmentSpec
from lockstep.shared.runner import run_tool

# conda's pseudo-channel that only turns the defaults off; --override-channels does that.
NODEFAULTS = "nodefaults"
READY_MARKER = "conda-meta/history"
# EnvironmentSpec.python_spec for a python without a version (`- python`).
ANY_VERSION = "*"


def python_match_spec(environment: EnvironmentSpec) -> str:
    """environment.yml's python as one solver argument, in conda's build form (name, space,
    version), the form conda-lock passes to micromamba for the same entry (`python 3.12.*`,
    `python >=3.12,<3.13`, `python`; test_poetry_python.py compares them on real
    conda-lock's solver call). `python=` followed by a range (`python=>=3.12,<3.13`) is no
    MatchSpec, and micromamba rejects it."""
    if environment.python_spec == ANY_VERSION:
        return "python"
    return f"python {environment.python_spec}"


def python_prefix_for(environment: EnvironmentSpec, *, cache_dir: Path) -> Path:
    key = "\n".join([environment.python_spec, *environment.channels])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_dir / "pythons" / digest


def poetry_python_prefix(
    environment: EnvironmentSpec, *, cache_dir: Path, workdir: Path
) -> Path | None:
    """A matching Python's prefix when a conda solver is configured; else Poetry finds one."""
    conda_exe = settings.conda_exe()
    if conda_exe is None:
        return None
    return ensure_poetry_python(
        environment, conda_exe=conda_exe, cache_dir=cache_dir, workdir=workdir
    )


def ensure_poetry_python(
    environment: EnvironmentSpec, *, conda_exe: str, cache_dir: Path, workdir: Path
) -> Path:
    """The prefix of a Python matching environment.yml's, created on first use."""
    prefix = python_prefix_for(environment, cache_dir=cache_dir)
    if (prefix / READY_MARKER).exists():
        return prefix
    # Built beside its final place and renamed, so an interrupted create is never reused.
    building = prefix.with_name(prefix.name + ".partial")
    shutil.rmtree(building, ignore_errors=True)
    building.parent.mkdir(parents=True, exist_ok=True)
    command = [conda_exe, "create", "--yes", "--prefix", str(building), "--override-channels"]
    for channel in environment.channels:
        if channel != NODEFAULTS:
            command += ["--channel", channel]
    command.append(python_match_spec(environment))
    run_tool(command, cwd=workdir)
    shutil.rmtree(prefix, ignore_errors=True)
    building.rename(prefix)
    return prefix
