"""The input hash with a declared CUDA target (virtual-packages.yml), as conda-lock computes it.

The expected values come from outside lockstep: the `# input_hash:` line of
lockfiles the real conda-lock wrote with a `virtual-packages.yml` in public projects
(tests/data/realworld/pairs-cuda/, sources in its SOURCES.md), one of them a PyTorch
CUDA 12.1 lock, and of lockfiles conda-lock 4.0.3's own command line writes here
(`conda-lock lock ... --virtual-package-spec`, only its solver replaced:
tests/support/standin_conda_lock.py). They are read as text, not through lockstep.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lockstep.check.freshness import conda_staleness
from lockstep.shared.conda_input_hash import conda_input_hashes
from lockstep.shared.explicit_lockfile import read_explicit_lockfile
from lockstep.shared.project import ProjectFiles
from tests.support.realworld_projects import PAIRS as PLAIN_PAIRS
from tests.support.standin_conda_lock import (
    SolvedPackage,
    StandinSolver,
    lock_command,
    run_conda_lock,
)

PAIRS = Path(__file__).resolve().parents[1] / "data" / "realworld" / "pairs-cuda"
# Pairs whose every `# input_hash:` conda-lock 4.0.3 reproduces from the environment and spec.
REPRODUCED = ("ultrasound-2024", "ultrasound-2026", "tea")
CUDA_SPEC = """\
subdirs:
  linux-64:
    packages:
      __unix: "0"
      __linux: "5.10"
      __glibc: "2.28"
      __cuda: "12.4"
  linux-aarch64:
    packages:
      __unix: "0"
      __linux: "5.10"
      __glibc: "2.28"
"""
ENVIRONMENT = """\
channels: [conda-forge]
dependencies:
  - python=3.12
  - pytorch-gpu
platforms: [linux-64, linux-aarch64]
"""


def pair_project(name: str, root: Path) -> tuple[ProjectFiles, list[str]]:
    """A real pair laid out as a project: environment.yml, virtual-packages.yml, lockfiles."""
    shutil.copytree(PAIRS / name, root)
    files = ProjectFiles(root)
    platforms = [read_explicit_lockfile(path).platform for path in files.existing_conda_locks()]
    return files, platforms


INPUT_HASH = "# input_hash: "
CHANNEL = "https://conda.anaconda.org/conda-forge"


def written_input_hashes(root: Path) -> dict[str, str]:
    """Each conda-<platform>.lock's `# input_hash:` line, as conda-lock wrote it."""
    hashes = {}
    for path in sorted(root.glob("conda-*.lock")):
        (line,) = [
            x for x in path.read_text(encoding="utf-8").splitlines() if x.startswith(INPUT_HASH)
        ]
        hashes[path.stem.removeprefix("conda-")] = line.removeprefix(INPUT_HASH)
    return hashes


def _solved(platform: str) -> list[SolvedPackage]:
    """A solver's answer for ENVIRONMENT (URLs never fetched): python and pytorch-gpu."""
    python = f"{CHANNEL}/{platform}/python-3.12.7-h0_0_cpython.conda"
    torch = f"{CHANNEL}/{platform}/pytorch-gpu-2.5.1-cuda126_0.conda"
    return [SolvedPackage(python, "0" * 32), SolvedPackage(torch, "1" * 32, depends=("python",))]


def conda_lock_writes(root: Path, platforms: list[str]) -> dict[str, str]:
    """What `conda-lock lock --virtual-package-spec virtual-packages.yml` (4.0.3's own command
    line, its solver replaced) writes as each lockfile's `# input_hash:` for `root`."""
    argv = [*lock_command("environment.yml", platforms), "--virtual-package-spec"]
    previous = Path.cwd()
    os.chdir(root)
    try:
        code = run_conda_lock(
            [*argv, "virtual-packages.yml"],
            StandinSolver({platform: _solved(platform) for platform in platforms}),
        )
    finally:
        os.chdir(previous)
    assert code == 0
    return written_input_hashes(root)


def test_the_pairs_hold_five_lockfiles() -> None:
    """The real data this suite relies on is all there (a lost file would shrink the check)."""
    found = [path for name in REPRODUCED for path in (PAIRS / name).glob("conda-*.lock")]
    assert len(found) == 5
    assert all((PAIRS / name / "virtual-packages.yml").is_file() for name in REPRODUCED)


def test_hash_with_a_cuda_spec_is_conda_locks_own(tmp_path: Path) -> None:
    """With the spec given, it equals the `# input_hash:` conda-lock's command writes."""
    (tmp_path / "environment.yml").write_text(ENVIRONMENT)
    (tmp_path / "virtual-packages.yml").write_text(CUDA_SPEC)
    platforms = ["linux-64", "linux-aarch64"]

    ours = conda_input_hashes(
        tmp_path / "environment.yml", platforms, virtual_packages=tmp_path / "virtual-packages.yml"
    )

    assert ours == conda_lock_writes(tmp_path, platforms)
    assert ours != conda_input_hashes(tmp_path / "environment.yml", platforms)


@pytest.mark.parametrize("name", REPRODUCED)
def test_hash_of_a_real_cuda_lock_is_the_one_conda_lock_wrote(name: str) -> None:
    """For each public project's environment and spec, it computes the `# input_hash:` line
    the real conda-lock wrote into that project's lockfiles."""
    pair = PAIRS / name
    written = written_input_hashes(pair)

    ours = conda_input_hashes(
        pair / "environment.yml", sorted(written), virtual_packages=pair / "virtual-packages.yml"
    )

    assert ours == written


def test_the_cuda_version_is_part_of_the_hash(tmp_path: Path) -> None:
    """Another declared CUDA version is another input: linux-64's hash changes, aarch64's not."""
    (tmp_path / "environment.yml").write_text(ENVIRONMENT)
    spec = tmp_path / "virtual-packages.yml"
    spec.write_text(CUDA_SPEC)
    platforms = ["linux-64", "linux-aarch64"]
    before = conda_input_hashes(tmp_path / "environment.yml", platforms, virtual_packages=spec)

    spec.write_text(CUDA_SPEC.replace('"12.4"', '"12.8"'))
    after = conda_input_hashes(tmp_path / "environment.yml", platforms, virtual_packages=spec)

    assert after["linux-64"] != before["linux-64"]
    assert after["linux-aarch64"] == before["linux-aarch64"]
    assert after == conda_lock_writes(tmp_path, platforms)


@pytest.mark.parametrize("name", REPRODUCED)
def test_lockfiles_conda_lock_wrote_with_a_spec_are_fresh(tmp_path: Path, name: str) -> None:
    """Every lockfile conda-lock wrote with the project's virtual-packages.yml is fresh."""
    files, platforms = pair_project(name, tmp_path / name)

    assert conda_staleness(files, platforms) == []


@pytest.mark.parametrize("name", REPRODUCED)
def test_without_the_spec_they_are_stale(tmp_path: Path, name: str) -> None:
    """The same lockfiles are stale once the spec they were written with is gone."""
    files, platforms = pair_project(name, tmp_path / name)
    (files.root / "virtual-packages.yml").unlink()

    stale = conda_staleness(files, platforms)

    assert sorted(item.path.name for item in stale) == sorted(
        path.name for path in files.existing_conda_locks()
    )
    assert {item.reason for item in stale} == {"environment.yml changed since it was locked"}


def test_a_lockfile_written_without_a_spec_is_stale_with_one(tmp_path: Path) -> None:
    """A real lockfile conda-lock wrote with its default virtual packages goes stale when
    the project declares a CUDA target; the reason names both inputs."""
    root = tmp_path / "esmvalcore"
    shutil.copytree(PLAIN_PAIRS / "esmvalcore", root)
    files = ProjectFiles(root)
    (platform,) = [read_explicit_lockfile(p).platform for p in files.existing_conda_locks()]
    assert conda_staleness(files, [platform]) == []
    (root / "virtual-packages.yml").write_text(CUDA_SPEC)

    stale = conda_staleness(files, [platform])

    assert [(item.path.name, item.reason) for item in stale] == [
        (
            "conda-linux-64.lock",
            "environment.yml or virtual-packages.yml changed since it was locked",
        )
    ]


def test_the_spec_may_be_named_yaml(tmp_path: Path) -> None:
    """conda-lock also reads virtual-packages.yaml; so does the freshness check."""
    files, platforms = pair_project("ultrasound-2024", tmp_path / "p")
    (files.root / "virtual-packages.yml").rename(files.root / "virtual-packages.yaml")

    assert conda_staleness(files, platforms) == []
