"""The input hash with a declared CUDA target (virtual-packages.yml), as conda-lock computes it.

The expected values come from outside lockstep: conda-lock 4.0.3's own functions
called directly (the cross-check), and lockfiles the real conda-lock wrote with a
`virtual-packages.yml` in public projects (tests/data/realworld/pairs-cuda/,
sources in its SOURCES.md), one of them a PyTorch CUDA 12.1 lock.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conda_lock.content_hash import compute_content_hashes
from conda_lock.lookup import DEFAULT_MAPPING_URL
from conda_lock.src_parser import make_lock_spec
from conda_lock.virtual_package import virtual_package_repo_from_specification

from lockstep.check.freshness import conda_staleness
from lockstep.shared.conda_input_hash import conda_input_hashes
from lockstep.shared.explicit_lockfile import read_explicit_lockfile
from lockstep.shared.project import ProjectFiles
from tests.support.realworld_projects import PAIRS as PLAIN_PAIRS

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


def conda_lock_hashes(environment: Path, platforms: list[str], spec: Path) -> dict[str, str]:
    """conda-lock 4.0.3's own computation, step by step as `make_lock_files` does it."""
    lock_spec = make_lock_spec(
        src_files=[environment], platform_overrides=platforms, mapping_url=DEFAULT_MAPPING_URL
    )
    repodata = virtual_package_repo_from_specification(spec)
    with repodata:
        hashes: dict[str, str] = compute_content_hashes(lock_spec, repodata)
    return hashes


def test_the_pairs_hold_five_lockfiles() -> None:
    """The real data this suite relies on is all there (a lost file would shrink the check)."""
    found = [path for name in REPRODUCED for path in (PAIRS / name).glob("conda-*.lock")]
    assert len(found) == 5
    assert all((PAIRS / name / "virtual-packages.yml").is_file() for name in REPRODUCED)


def test_hash_with_a_cuda_spec_is_conda_locks_own(tmp_path: Path) -> None:
    """With the spec given, it equals what conda-lock's own functions compute from that spec."""
    (tmp_path / "environment.yml").write_text(ENVIRONMENT)
    (tmp_path / "virtual-packages.yml").write_text(CUDA_SPEC)
    platforms = ["linux-64", "linux-aarch64"]

    ours = conda_input_hashes(
        tmp_path / "environment.yml", platforms, virtual_packages=tmp_path / "virtual-packages.yml"
    )

    assert ours == conda_lock_hashes(
        tmp_path / "environment.yml", platforms, tmp_path / "virtual-packages.yml"
    )
    assert ours != conda_input_hashes(tmp_path / "environment.yml", platforms)


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
