"""CONDA_MIRROR and PYPI_MIRROR inside lockstep: locked conda.anaconda.org URLs are read
from the mirror, and the mirror stands for PyPI when pins are checked against the index."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockstep.lock.package_info import distributions_by_platform
from lockstep.shared.explicit_lockfile import ExplicitLockfile, LockedPackage
from lockstep.shared.model import PythonDistribution
from lockstep.shared.pyproject import primary_index_url
from tests.support.conda_packages import DistSpec, PackageSpec, build_package, md5_of
from tests.support.http_server import serving

PUBLIC = "https://conda.anaconda.org/"


def test_locked_public_urls_are_read_from_the_mirror(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lockfile written against conda.anaconda.org is read through CONDA_MIRROR."""
    mirror_root = tmp_path / "mirror"
    built = build_package(
        PackageSpec("pytorch", "2.5.1", dists=[DistSpec("torch", "2.5.1")]),
        mirror_root / "conda-forge" / "linux-64",
    )
    lockfile = ExplicitLockfile(
        path=Path("conda-linux-64.lock"),
        platform="linux-64",
        input_hash=None,
        packages=(
            LockedPackage(url=f"{PUBLIC}conda-forge/linux-64/{built.name}", md5=md5_of(built)),
        ),
    )

    with serving(mirror_root) as mirror:
        monkeypatch.setenv("CONDA_MIRROR", mirror.url + "/")
        result = distributions_by_platform([lockfile], cache_dir=cache_dir)
        asked = list(mirror.state.requests)

    assert result == {"linux-64": [PythonDistribution("torch", "2.5.1")]}
    assert asked, "nothing was asked of the mirror"


def test_pypi_mirror_stands_for_pypi_unless_the_project_names_a_primary_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pins are checked against PYPI_MIRROR; a project's own primary source still wins."""
    monkeypatch.setenv("PYPI_MIRROR", "http://127.0.0.1:3141/simple/")
    own = {"tool": {"poetry": {"source": [{"url": "https://own/simple/", "priority": "primary"}]}}}

    assert primary_index_url({}) == "http://127.0.0.1:3141/simple/"
    assert primary_index_url(own) == "https://own/simple/"
    monkeypatch.setenv("PYPI_MIRROR", "")
    assert primary_index_url({}) == "https://pypi.org/simple/"
