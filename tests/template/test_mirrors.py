"""CONDA_MIRROR and PYPI_MIRROR: the configuration docker/_configure_mirrors.sh writes works.

pip and Poetry (with the pinned poetry-plugin-pypi-mirror) are run for real on what
it wrote. micromamba cannot run here: its file is checked as the YAML it reads.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.template.make import REPO_ROOT

SCRIPT = REPO_ROOT / "docker" / "_configure_mirrors.sh"
POETRY = REPO_ROOT / ".venvs" / "bin" / "poetry"
PIP = REPO_ROOT / ".venvs" / "test" / "bin" / "pip"
# PyPI's simple index, standing in for a mirror: it serves what a PEP 503 mirror does.
SIMPLE_INDEX = "https://pypi.org/simple/"


def configure(root: Path, **mirrors: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), str(root)],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", **mirrors},
    )


def test_without_mirrors_it_writes_nothing(tmp_path: Path) -> None:
    """With neither mirror set, the tools keep conda-forge and PyPI: no file at all."""
    assert configure(tmp_path).returncode == 0
    assert list(tmp_path.rglob("*")) == []


def test_conda_mirror_becomes_micromambas_channel_alias(tmp_path: Path) -> None:
    """CONDA_MIRROR is written as channel_alias, which micromamba reads from /etc/conda/.condarc."""
    assert configure(tmp_path, CONDA_MIRROR="http://127.0.0.1:8799/conda/").returncode == 0

    condarc = yaml.safe_load((tmp_path / "etc" / "conda" / ".condarc").read_text())
    assert condarc == {"channel_alias": "http://127.0.0.1:8799/conda"}


def test_pypi_mirror_is_pips_index(tmp_path: Path) -> None:
    """pip reads the index from the written pip.conf."""
    assert configure(tmp_path, PYPI_MIRROR="http://127.0.0.1:3141/simple/").returncode == 0

    result = subprocess.run(
        [str(PIP), "config", "list"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PIP_CONFIG_FILE": str(tmp_path / "etc" / "pip.conf")},
    )

    assert "global.index-url='http://127.0.0.1:3141/simple/'" in result.stdout


@pytest.mark.network
def test_pypi_mirror_is_poetrys_index_without_touching_the_project(tmp_path: Path) -> None:
    """Poetry locks through the mirror, and neither pyproject.toml nor poetry.lock names it.

    Here PyPI's JSON API answers 404, so Poetry without the mirror fails ("not found"):
    the lock succeeding shows the mirror (the simple index) was used.
    """
    assert configure(tmp_path / "root", PYPI_MIRROR=SIMPLE_INDEX).returncode == 0
    project = tmp_path / "project"
    project.mkdir()
    pyproject = (
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
        'dependencies = ["six"]\n\n[tool.poetry]\npackage-mode = false\n'
    )
    (project / "pyproject.toml").write_text(pyproject)

    result = subprocess.run(
        [str(POETRY), "lock", "--no-interaction", "--directory", str(project)],
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "POETRY_CONFIG_DIR": str(tmp_path / "root" / "etc" / "pypoetry"),
            "POETRY_CACHE_DIR": str(tmp_path / "cache"),
        },
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "pyproject.toml").read_text() == pyproject
    lock = (project / "poetry.lock").read_text()
    assert 'name = "six"' in lock
    assert "pypi.org" not in lock
