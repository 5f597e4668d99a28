"""`lockstep check` against lockfiles that the real conda-lock wrote, in real users' projects.

The expected verdict comes from the files alone: each pair below is an
environment file and the lockfiles conda-lock wrote from it in the same commit,
and conda-lock 4.0.3 reproduces their `# input_hash:` (tests/data/realworld/README.md).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lockstep.explicit import read_explicit_lockfile
from lockstep.freshness import conda_staleness
from lockstep.project import ENVIRONMENT_FILE, ProjectFiles

PAIRS = Path(__file__).resolve().parents[1] / "data" / "realworld" / "pairs"
# The pairs whose headers conda-lock 4.0.3 reproduces: 11 lockfiles in all.
REPRODUCED = ("esmvalcore", "jupyterlab-desktop", "pangeo-base-notebook", "ttyg-evaluation")


def pair_as_project(name: str, root: Path) -> tuple[ProjectFiles, list[str]]:
    """The pair's environment file and lockfiles laid out as a lockstep project."""
    source = PAIRS / name
    (environment,) = [p for p in source.iterdir() if p.suffix in (".yml", ".yaml")]
    root.mkdir()
    shutil.copyfile(environment, root / ENVIRONMENT_FILE)
    platforms = []
    for lockfile in sorted(source.glob("conda-*.lock")):
        shutil.copyfile(lockfile, root / lockfile.name)
        platforms.append(read_explicit_lockfile(lockfile).platform)
    return ProjectFiles(root), platforms


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
