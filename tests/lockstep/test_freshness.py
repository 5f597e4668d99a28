"""`lockstep check`: offline freshness of conda lockfiles, poetry.lock and the recorded digests."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lockstep.check.freshness import check_project, poetry_content_hash
from lockstep.shared.model import Pin
from lockstep.shared.pyproject import render_generated_sections
from lockstep.shared.toml_reader import tomllib
from tests.lockstep.lock_scenario import REPO_ROOT
from tests.support.in_process import run_lockstep
from tests.support.standin_conda_lock import SolvedPackage, render_lockfiles

ENVIRONMENT = """\
channels: [conda-forge]
dependencies:
  - python=3.11
  - six
platforms: [linux-64, linux-aarch64]
"""

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.11,<3.12"
dependencies = ["six"]

[tool.poetry]
package-mode = false
"""

SOURCE = """
[[tool.poetry.source]]
name = "pypi-simple"
url = "https://pypi.org/simple/"
priority = "primary"
"""


CHANNEL = "https://conda.anaconda.org/conda-forge"


def _solution(platform: str, python_build: str) -> list[SolvedPackage]:
    """What a solver would answer for ENVIRONMENT on `platform` (the URLs are never fetched)."""
    python = f"{CHANNEL}/{platform}/python-3.11.10-{python_build}_cpython.conda"
    six = f"{CHANNEL}/noarch/six-1.16.0-pyh6c4a22f_0.tar.bz2"
    return [
        SolvedPackage(python, hashlib.md5(python.encode(), usedforsecurity=False).hexdigest()),
        SolvedPackage(
            six, hashlib.md5(six.encode(), usedforsecurity=False).hexdigest(), depends=("python",)
        ),
    ]


SOLUTIONS = {
    "linux-64": _solution("linux-64", "hc5c86c4_3"),
    "linux-aarch64": _solution("linux-aarch64", "h1683364_3"),
}


# What the real Poetry 2.5.1 locked for the demo project with its conda group
# (tests/data/recorded/README.md says how): the content hash comes from Poetry, not lockstep.
POETRY_RECORDING = REPO_ROOT / "tests" / "data" / "recorded" / "poetry-2.5.1-demo"


def _poetry_inputs(text: str) -> dict[str, Any]:
    """pyproject.toml's data without [tool.lockstep] (lockfile digests Poetry never hashes)."""
    data: dict[str, Any] = tomllib.loads(text)
    data["tool"].pop("lockstep", None)
    return data


def fresh_project(root: Path) -> Path:
    """A project whose three kinds of lockfile all match their inputs.

    The conda lockfiles are written by conda-lock itself (its solver replaced),
    so their `# input_hash:` is conda-lock's, not one lockstep computed; the digests
    recorded for them are sha256 of their bytes (hashlib, as the design says); and
    poetry.lock is the one real Poetry wrote for this pyproject.toml.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / "environment.yml").write_text(ENVIRONMENT)
    render_lockfiles(root, SOLUTIONS)
    digests = {
        path.name: "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.glob("conda-*.lock"))
    }
    text = render_generated_sections(
        PYPROJECT + SOURCE, pins=[Pin("six", "1.16.0")], lockfile_digests=digests
    )
    recorded = (POETRY_RECORDING / "pyproject.toml").read_text()
    # Guard: what Poetry locked is this project (else the recording needs redoing).
    assert _poetry_inputs(text) == _poetry_inputs(recorded)
    (root / "pyproject.toml").write_text(text)
    shutil.copyfile(POETRY_RECORDING / "poetry.lock", root / "poetry.lock")
    return root


def reasons(root: Path) -> list[tuple[str, str]]:
    return [(item.path.name, item.reason) for item in check_project(root)]


def test_fresh_project_has_nothing_stale(tmp_path: Path) -> None:
    """It reports nothing for a project whose lockfiles match their inputs."""
    assert check_project(fresh_project(tmp_path)) == []


def test_comment_edits_keep_conda_lockfiles_fresh(tmp_path: Path) -> None:
    """It compares parsed specs, so a comment in environment.yml stales nothing."""
    root = fresh_project(tmp_path)
    environment = root / "environment.yml"
    environment.write_text("# a note\n" + environment.read_text())

    assert check_project(root) == []


def test_each_kind_of_drift_is_named(tmp_path: Path) -> None:
    """It names every stale file and why: changed spec, edited lockfile, changed pyproject."""
    root = fresh_project(tmp_path)
    (root / "environment.yml").write_text(ENVIRONMENT.replace("  - six\n", "  - six>=1.16\n"))
    arm = root / "conda-linux-aarch64.lock"
    arm.write_text(arm.read_text() + "# edited by hand\n")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('["six"]', '["six>=1.16"]'))

    assert reasons(root) == [
        ("conda-linux-64.lock", "environment.yml changed since it was locked"),
        ("conda-linux-aarch64.lock", "environment.yml changed since it was locked"),
        ("conda-linux-aarch64.lock", "changed since the conda group was pinned"),
        ("poetry.lock", "pyproject.toml changed since it was locked"),
    ]


def test_missing_and_extra_lockfiles(tmp_path: Path) -> None:
    """It asks for a bootstrap when a lockfile is missing; flags a dropped platform's lockfile."""
    root = fresh_project(tmp_path)
    (root / "poetry.lock").unlink()
    (root / "environment.yml").write_text(ENVIRONMENT.replace(", linux-aarch64", ""))
    stale = check_project(root)

    assert [(item.path.name, item.reason, item.fix) for item in stale] == [
        (
            "conda-linux-aarch64.lock",
            "its platform is no longer in environment.yml",
            "run `make env-update`",
        ),
        ("poetry.lock", "missing", "run `make env-bootstrap`"),
    ]


def test_cli_exit_codes(tmp_path: Path) -> None:
    """`lockstep check` exits 0 fresh, 1 stale (one line per file with the fix), 2 bad input."""
    root = fresh_project(tmp_path / "project")

    def check() -> subprocess.CompletedProcess[str]:
        return run_lockstep(["check", "--project", str(root)])

    fresh = check()
    (root / "poetry.lock").write_text("[metadata]\ncontent-hash = 'old'\n")
    stale = check()
    (root / "environment.yml").write_text("dependencies: [numpy]\n")
    bad = check()

    assert (fresh.returncode, fresh.stdout) == (0, "lockstep: lockfiles are fresh\n")
    assert stale.returncode == 1
    assert stale.stdout == (
        "stale: poetry.lock: pyproject.toml changed since it was locked; run `make env-update`\n"
    )
    assert bad.returncode == 2
    assert "environment.yml: names no python" in bad.stderr


POETRY_PROJECTS = {
    "pep621": PYPROJECT,
    "groups-and-extras": PYPROJECT.replace(
        'dependencies = ["six"]',
        'dependencies = ["six"]\n\n[project.optional-dependencies]\nfast = ["msgpack>=1"]',
    )
    + '\n[tool.poetry.group.dev.dependencies]\nidna = ">=3"\n',
    "generated-conda-group": render_generated_sections(
        PYPROJECT,
        pins=[
            Pin("six", "1.16.0", 'sys_platform == "linux"'),
            Pin("six", "1.17.0", 'sys_platform == "darwin"'),
        ],
        lockfile_digests={},
    ),
    "legacy-tool-poetry": (
        '[tool.poetry]\nname = "demo"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n'
        'package-mode = false\n\n[tool.poetry.dependencies]\npython = ">=3.11,<3.12"\nsix = "*"\n'
    ),
}


@pytest.mark.network
@pytest.mark.parametrize("name", sorted(POETRY_PROJECTS))
def test_poetry_content_hash_matches_real_poetry(tmp_path: Path, name: str) -> None:
    """Its content hash equals the one real `poetry lock` (Poetry 2.5.1) writes."""
    text = POETRY_PROJECTS[name] + SOURCE
    (tmp_path / "pyproject.toml").write_text(text)
    poetry = str(REPO_ROOT / ".venvs" / "bin" / "poetry")

    result = subprocess.run(
        [poetry, "lock", "--directory", str(tmp_path)], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr
    written = tomllib.loads((tmp_path / "poetry.lock").read_text())["metadata"]["content-hash"]
    assert poetry_content_hash(tomllib.loads(text)) == written
