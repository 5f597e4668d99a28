"""The image's PyPI installs with the real, pinned uv (scripts/lockstep/uv.txt), run on the host.

Into a real venv standing for the conda prefix: what the scripts promise is that a
distribution conda installed is left alone, that every wheel is hash-checked, and that
what they write holds no build-time datum (two installs of one input are byte-identical).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.template.docker_scripts import DOCKER_DIR
from tests.template.make import REPO_ROOT

TOOLS_BIN = Path(sys.executable).parent
POETRY_PYTHON = REPO_ROOT / ".venvs" / "poetry" / "bin" / "python"
# packaging 24.2's two files on PyPI, as `poetry export` writes them.
PACKAGING_REQUIREMENT = """\
packaging==24.2 ; python_version >= "3.8" \\
    --hash=sha256:09abb1bccd265c01f4a3aa3f7a7db064b36514d2cba19a2f694fe6150451a759 \\
    --hash=sha256:c228a6dc5e932d346bc5739379109d49e8853dd8223571c7c5b55260edc0b97f
"""
SIX_REQUIREMENT = (
    "six==1.16.0 \\\n"
    "    --hash=sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254\n"
)
# A .pyc's flags word (PEP 552): 0b11 is a checked hash-based .pyc, 0 a timestamp one.
CHECKED_HASH_PYC = 0b11


def script_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """PATH with the pinned uv first, a cache of the test's own, no SOURCE_DATE_EPOCH, and
    bytecode written beside the sources as in the image (`make test` sets a pycache prefix)."""
    unset = {
        "SOURCE_DATE_EPOCH",
        "VIRTUAL_ENV",
        "CONDA_PREFIX",
        "PYTHONPYCACHEPREFIX",
        "PYTHONDONTWRITEBYTECODE",
    }
    environment = {key: value for key, value in os.environ.items() if key not in unset}
    environment["PATH"] = f"{TOOLS_BIN}:/usr/bin:/bin"
    environment["UV_CACHE_DIR"] = str(tmp_path / "uv-cache")
    environment["UV_PYTHON_DOWNLOADS"] = "never"
    return {**environment, **extra}


def site_packages(prefix: Path) -> Path:
    (site,) = prefix.glob("lib/python3*/site-packages")
    return site


def conda_installed_packaging(prefix: Path) -> Path:
    """packaging 24.2's dist-info as conda-forge's package leaves it: INSTALLER conda and a
    direct_url.json naming the feedstock's build directory (python-poetry/poetry#6408)."""
    info = site_packages(prefix) / "packaging-24.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: packaging\nVersion: 24.2\n")
    (info / "INSTALLER").write_text("conda\n")
    (info / "direct_url.json").write_text(
        '{"dir_info": {}, "url": "file:///home/conda/feedstock_root/build_artifacts/'
        'packaging_1731802491770/work"}'
    )
    (info / "RECORD").write_text("")
    return info


def install_requirements(
    tmp_path: Path, requirements: str, prefix: Path, *options: str
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "requirements.txt"
    path.write_text(requirements)
    return subprocess.run(
        [str(DOCKER_DIR / "_install_requirements.sh"), str(path), str(prefix), *options],
        capture_output=True,
        text=True,
        check=False,
        env=script_environment(tmp_path),
    )


@pytest.fixture
def prefix(tmp_path: Path, venv_template: Path) -> Path:
    environment = tmp_path / "env"
    shutil.copytree(venv_template, environment, symlinks=True)
    return environment


def test_a_distribution_conda_installed_is_left_alone(tmp_path: Path, prefix: Path) -> None:
    """poetry.lock pins packaging to conda's version: uv finds it installed and changes nothing,
    even with conda's direct_url.json beside it. Offline: reinstalling would need the index."""
    info = conda_installed_packaging(prefix)
    before = {path.name: path.read_bytes() for path in info.iterdir()}

    result = install_requirements(tmp_path, PACKAGING_REQUIREMENT, prefix, "--offline")

    assert result.returncode == 0, result.stderr
    assert {path.name: path.read_bytes() for path in info.iterdir()} == before
    assert not (site_packages(prefix) / "packaging").exists()


@pytest.mark.network
def test_a_missing_distribution_is_installed_hash_checked_and_compiled_without_times(
    tmp_path: Path, prefix: Path
) -> None:
    """six comes from the index, marked as uv's, with hash-based .pyc files (no file time)."""
    result = install_requirements(tmp_path, SIX_REQUIREMENT, prefix)

    assert result.returncode == 0, result.stderr
    info = site_packages(prefix) / "six-1.16.0.dist-info"
    assert (info / "INSTALLER").read_text().strip() == "uv"
    (compiled,) = (site_packages(prefix) / "__pycache__").glob("six.*.pyc")
    assert int.from_bytes(compiled.read_bytes()[4:8], "little") == CHECKED_HASH_PYC


@pytest.mark.network
def test_a_wrong_hash_is_refused(tmp_path: Path, prefix: Path) -> None:
    """A wheel whose sha256 is not poetry.lock's is not installed."""
    wrong = SIX_REQUIREMENT.replace("8abb2f1d", "00000000")

    result = install_requirements(tmp_path, wrong, prefix)

    assert result.returncode != 0
    assert "hash" in result.stderr.lower()
    assert not list(site_packages(prefix).glob("six*"))


def build_project_wheel(tmp_path: Path, name: str) -> Path:
    """The example project's wheel, built by the pinned backend as the wheels stage does."""
    if not POETRY_PYTHON.exists():
        pytest.skip("needs Poetry's environment (.venvs/poetry), which `make test` creates")
    project = tmp_path / f"project-{name}"
    project.mkdir()
    for file in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / file, project / file)
    shutil.copytree(REPO_ROOT / "src", project / "src", ignore=shutil.ignore_patterns("*.egg-*"))
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('">=3.12,<3.13"', '">=3.10"'))
    out = tmp_path / f"wheels-{name}"
    subprocess.run(
        [str(POETRY_PYTHON), str(DOCKER_DIR / "_build_wheels.py"), str(project), str(out)],
        check=True,
        capture_output=True,
    )
    return out / "wheel"


def install_project(tmp_path: Path, wheel_dir: Path, prefix: Path, layer: Path) -> None:
    result = subprocess.run(
        [str(DOCKER_DIR / "_install_project.sh"), str(wheel_dir), str(prefix), str(layer)],
        capture_output=True,
        text=True,
        check=False,
        env=script_environment(tmp_path),
    )
    assert result.returncode == 0, result.stderr


def tree_digests(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_the_project_layer_is_the_same_for_two_builds(tmp_path: Path, venv_template: Path) -> None:
    """Two wheels built apart (other times, other files) install to byte-identical layers:
    uv's uv_cache.json (when it unpacked the wheel) is gone, RECORD does not list it, and
    uv's .lock is not merged into the environment."""
    layers = []
    for name in ("first", "second"):
        wheel_dir = build_project_wheel(tmp_path, name)
        # Each build sees the same paths, as in the image (/wheels, /opt/env, /opt/project):
        # a .pyc names its source's path, an entry-point script its python's.
        prefix, fixed, layer = tmp_path / "env", tmp_path / "wheels" / "wheel", tmp_path / "layer"
        shutil.copytree(venv_template, prefix, symlinks=True)
        shutil.copytree(wheel_dir, fixed)
        install_project(tmp_path, fixed, prefix, layer)
        leftover_lock = (prefix / ".lock").exists()
        kept = layer.rename(tmp_path / f"layer-{name}")
        shutil.rmtree(prefix)
        shutil.rmtree(fixed.parent)
        layers.append(kept)

    first, second = (tree_digests(layer) for layer in layers)
    assert first == second
    assert not any(name.endswith("uv_cache.json") or name == ".lock" for name in first)
    (record,) = (name for name in first if name.endswith(".dist-info/RECORD"))
    assert "uv_cache.json" not in (layers[0] / record).read_text()
    assert not leftover_lock


def test_micromambas_history_times_are_fixed(tmp_path: Path) -> None:
    """conda-meta/history's entry heads (conda's `==> YYYY-MM-DD HH:MM:SS <==`) become one
    fixed time; every other line stays. micromamba cannot run here: the file is laid out
    as conda's history format is, the create call is the recorded stand-in's."""
    from tests.template.docker_scripts import install_conda_env

    locks = tmp_path / "locks"
    locks.mkdir()
    shutil.copy(
        REPO_ROOT / "tests/data/realworld/inputs/lock/pangeo-base-linux-64.lock",
        locks / "conda-linux-64.lock",
    )
    prefix = tmp_path / "env"
    (prefix / "conda-meta").mkdir(parents=True)
    history = prefix / "conda-meta" / "history"
    history.write_text(
        "==> 2026-12-06 13:45:07 <==\n"
        "# cmd: micromamba create --yes --prefix /opt/env --file conda-linux-64.lock\n"
        "+https://conda.anaconda.org/conda-forge/linux-64::python-3.12.10-h9e4cc4f_0_cpython\n"
    )
    result = install_conda_env(tmp_path, "amd64", prefix=str(prefix))

    assert result.returncode == 0, result.stderr
    assert history.read_text().splitlines() == [
        "==> 1970-01-01 00:00:00 <==",
        "# cmd: micromamba create --yes --prefix /opt/env --file conda-linux-64.lock",
        "+https://conda.anaconda.org/conda-forge/linux-64::python-3.12.10-h9e4cc4f_0_cpython",
    ]
