"""`lockstep verify PREFIX`: did the PyPI installs leave everything conda installed intact?"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from lockstep.prefix.installed import (
    InstalledDistribution,
    conda_records,
    expected_distributions,
    installed_distributions,
)
from lockstep.shared.errors import EXIT_FAILURE, EXIT_OK


def _python_of(prefix: Path) -> Path | None:
    for candidate in (prefix / "bin" / "python", prefix / "python.exe"):
        if candidate.exists():
            return candidate
    return None


# What would make `pip check` see more than the prefix: lockstep's own source
# put on PYTHONPATH to run this very check (with its build's egg-info beside it),
# another Python's home, or the user's site-packages.
_FOREIGN_PATH_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE")


def _prefix_only_environment() -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if key not in _FOREIGN_PATH_VARIABLES
    }
    environment["PYTHONNOUSERSITE"] = "1"
    return environment


def pip_check_problems(prefix: Path) -> list[str]:
    python = _python_of(prefix)
    if python is None:
        return [f"no python in {prefix}: cannot run `pip check`"]
    result = subprocess.run(
        [str(python), "-m", "pip", "check"],
        capture_output=True,
        text=True,
        check=False,
        env=_prefix_only_environment(),
    )
    if result.returncode == 0:
        return []
    lines = (result.stdout + result.stderr).strip().splitlines()
    return [f"pip check: {line}" for line in lines if line.strip()] or ["pip check failed"]


def conda_problems(prefix: Path) -> list[str]:
    records = conda_records(prefix)
    on_disk: dict[str, list[InstalledDistribution]] = defaultdict(list)
    for distribution in installed_distributions(prefix, records):
        on_disk[distribution.name].append(distribution)
    problems = []
    for expected in expected_distributions(records):
        present = on_disk.get(expected.name, [])
        at_path = [d for d in present if d.metadata_path == expected.metadata_path]
        others = ", ".join(f"{d.version} ({d.installer})" for d in present)
        if not present:
            problems.append(
                f"{expected.name} {expected.version} (conda package {expected.package}) is missing"
            )
        elif not at_path:
            problems.append(
                f"{expected.name}: conda installed {expected.version} (package "
                f"{expected.package}), but the prefix has {others}"
            )
        elif at_path[0].version != expected.version:
            problems.append(
                f"{expected.name}: conda installed {expected.version}, metadata now says "
                f"{at_path[0].version}"
            )
    problems.extend(
        f"{name} is installed {len(present)} times: "
        + ", ".join(f"{d.version} ({d.installer})" for d in present)
        for name, present in sorted(on_disk.items())
        if len(present) > 1
    )
    return problems


def verify_prefix(prefix: Path) -> list[str]:
    """Every problem found, one line each; an empty list means the prefix is sound."""
    return conda_problems(prefix) + pip_check_problems(prefix)


def report_problems(problems: Sequence[str]) -> int:
    if not problems:
        print("lockstep verify: ok: every distribution conda installed is intact; pip check passes")
        return EXIT_OK
    for problem in problems:
        print(f"lockstep verify: {problem}", file=sys.stderr)
    return EXIT_FAILURE
