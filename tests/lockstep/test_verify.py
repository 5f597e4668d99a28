"""`lockstep verify`: pip must leave what conda installed exactly as conda installed it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from lockstep.prefix.verify import verify_prefix
from tests.lockstep.prefixes import SITE, add_conda_package, add_dist

LOCKSTEP_SRC = Path(__file__).resolve().parents[2] / "scripts" / "lockstep" / "src"


def test_clean_prefix_has_no_problem(prefix: Path) -> None:
    """It finds nothing wrong when conda's dists are intact and pip's requirements are met."""
    add_conda_package(prefix, "numpy", "2.1.3", [("numpy", "2.1.3")])
    add_conda_package(prefix, "pytorch", "2.5.1", [("torch", "2.5.1")], requires=("numpy",))
    add_dist(prefix, "tabulate", "0.9.0", installer="pip", requires=("numpy>=2",))

    assert verify_prefix(prefix) == []


def test_pip_upgrade_of_a_conda_dist_is_a_problem(prefix: Path) -> None:
    """It names a distribution pip replaced with another version."""
    files = add_conda_package(prefix, "numpy", "2.1.3", [("numpy", "2.1.3")])
    shutil.rmtree(prefix / Path(files[0]).parent)
    add_dist(prefix, "numpy", "2.2.0", installer="pip")

    problems = verify_prefix(prefix)

    assert problems == [
        "numpy: conda installed 2.1.3 (package numpy), but the prefix has 2.2.0 (pip)"
    ]


def test_removed_conda_dist_is_a_problem(prefix: Path) -> None:
    """It names a distribution conda installed that is gone."""
    files = add_conda_package(prefix, "pytorch", "2.5.1", [("torch", "2.5.1")])
    shutil.rmtree(prefix / Path(files[0]).parent)

    assert verify_prefix(prefix) == ["torch 2.5.1 (conda package pytorch) is missing"]


def test_duplicate_install_is_a_problem(prefix: Path) -> None:
    """It names a distribution installed a second time by another installer."""
    add_conda_package(prefix, "numpy", "2.1.3", [("numpy", "2.1.3")])
    add_dist(prefix, "numpy", "2.2.0", installer="pip")

    problems = verify_prefix(prefix)

    assert "numpy is installed 2 times: 2.1.3 (conda), 2.2.0 (pip)" in problems


def test_pip_check_failure_is_a_problem(prefix: Path) -> None:
    """It reports `pip check` lines for an unmet requirement."""
    add_conda_package(prefix, "numpy", "2.1.3", [("numpy", "2.1.3")])
    add_dist(prefix, "needs-numpy3", "1.0", installer="pip", requires=("numpy>=3",))

    problems = verify_prefix(prefix)

    assert len(problems) == 1
    assert problems[0].startswith("pip check: needs-numpy3 1.0 has requirement numpy>=3")


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, check=False, env={**os.environ, **env}
    )


def test_cli_exit_codes(prefix: Path, tmp_path: Path) -> None:
    """It exits 0 when sound, 1 naming each problem, 2 for a directory that is no conda prefix."""
    add_conda_package(prefix, "numpy", "2.1.3", [("numpy", "2.1.3")])
    command = [sys.executable, "-m", "lockstep", "verify"]

    ok = _run([*command, str(prefix)])
    add_dist(prefix, "numpy", "2.2.0", installer="pip")
    broken = _run([*command, str(prefix)])
    not_conda = _run([*command, str(tmp_path)])

    assert ok.returncode == 0, ok.stderr
    assert broken.returncode == 1
    assert "numpy is installed 2 times" in broken.stderr
    assert not_conda.returncode == 2
    assert "not a conda prefix" in not_conda.stderr


def test_runs_with_the_prefix_python_and_the_standard_library_only(prefix: Path) -> None:
    """It runs as the image build does: the prefix's own python, lockstep's source on PYTHONPATH.

    The prefix venv has only pip, so an import of a third-party module would fail here.
    """
    add_conda_package(prefix, "numpy", "2.1.3", [("numpy", "2.1.3")])
    add_dist(prefix, "numpy", "2.2.0", installer="pip")
    assert not list((prefix / SITE).glob("packaging*"))

    result = _run(
        [str(prefix / "bin" / "python"), "-m", "lockstep", "verify", str(prefix)],
        PYTHONPATH=str(LOCKSTEP_SRC),
        PYTHONNOUSERSITE="1",
    )

    assert result.returncode == 1, result.stderr
    assert "numpy is installed 2 times" in result.stderr


def test_pip_check_sees_the_prefix_not_lockstep_s_own_path(prefix: Path, tmp_path: Path) -> None:
    """It ignores what PYTHONPATH adds: the image build runs it with lockstep's source there.

    A `pip install` of lockstep leaves `lockstep.egg-info` beside that source, whose
    requirements (conda-lock, ...) are not in the prefix; `pip check` must not see it.
    """
    add_conda_package(prefix, "numpy", "2.1.3", [("numpy", "2.1.3")])
    source = tmp_path / "lockstep-src"
    shutil.copytree(LOCKSTEP_SRC / "lockstep", source / "lockstep")
    egg_info = source / "lockstep.egg-info"
    egg_info.mkdir()
    (egg_info / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: lockstep\nVersion: 0.1.0\n")
    (egg_info / "requires.txt").write_text("conda-lock<4.1,>=4.0.3\n")

    result = _run(
        [str(prefix / "bin" / "python"), "-m", "lockstep", "verify", str(prefix)],
        PYTHONPATH=str(source),
    )

    assert result.returncode == 0, result.stderr


def test_pip_upgrade_found_whatever_case_each_installer_wrote(prefix: Path) -> None:
    """conda-forge's pyyaml writes `Name: PyYAML`; pip's wheel of it may be named `pyyaml`:
    one distribution (PEP 503 names are case-insensitive), so the upgrade is found."""
    files = add_conda_package(prefix, "pyyaml", "6.0.2", [("PyYAML", "6.0.2")])
    shutil.rmtree(prefix / Path(files[0]).parent)
    add_dist(prefix, "pyyaml", "6.0.3", installer="pip")

    problems = verify_prefix(prefix)

    assert len(problems) == 1
    assert "conda installed 6.0.2 (package pyyaml), but the prefix has 6.0.3 (pip)" in problems[0]
