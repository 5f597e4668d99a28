"""`lockstep check` against lockfiles that the real conda-lock wrote, in real users' projects.

The expected verdict comes from the files alone: each pair below is an
environment file and the lockfiles conda-lock wrote from it in the same commit,
and conda-lock 4.0.3 reproduces their `# input_hash:` (tests/data/realworld/README.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lockstep.check.freshness import conda_staleness
from tests.support.realworld_projects import PAIRS, REPRODUCED, pair_as_project


def test_the_pairs_hold_eleven_lockfiles() -> None:
    """The data this suite relies on is all there (a lost file would shrink the check)."""
    assert sum(len(list((PAIRS / name).glob("conda-*.lock"))) for name in REPRODUCED) == 11


@pytest.mark.parametrize("name", REPRODUCED)
def test_lockfiles_conda_lock_wrote_are_fresh(tmp_path: Path, name: str) -> None:
    """It calls fresh every lockfile conda-lock wrote from the environment file beside it."""
    files, platforms = pair_as_project(name, tmp_path / name)

    assert conda_staleness(files, platforms) == []


@pytest.mark.parametrize("name", REPRODUCED)
def test_a_changed_spec_makes_them_stale(tmp_path: Path, name: str) -> None:
    """It calls every one of them stale once a dependency is added to the environment file."""
    files, platforms = pair_as_project(name, tmp_path / name)
    text = files.environment.read_text(encoding="utf-8")
    files.environment.write_text(
        text.replace("dependencies:\n", "dependencies:\n  - zlib\n", 1), encoding="utf-8"
    )

    stale = conda_staleness(files, platforms)

    assert sorted(item.path.name for item in stale) == sorted(
        f"conda-{platform}.lock" for platform in platforms
    )
