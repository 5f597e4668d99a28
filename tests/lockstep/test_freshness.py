"""`lockstep check`: offline freshness of conda lockfiles, poetry.lock and the recorded digests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conda_lock.content_hash import backwards_compatible_content_hashes
from conda_lock.lookup import DEFAULT_MAPPING_URL
from conda_lock.src_parser import make_lock_spec
from conda_lock.virtual_package import default_virtual_package_repodata

from lockstep._toml import tomllib
from lockstep.freshness import check_project, poetry_content_hash
from lockstep.input_hash import conda_input_hashes
from lockstep.model import Pin
from lockstep.pyproject import file_digest, render_generated_sections
from tests.lockstep.lock_scenario import REPO_ROOT
from tests.support.conda_packages import explicit_lockfile_text

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


def fresh_project(root: Path) -> Path:
    """A project whose three kinds of lockfile all match their inputs."""
    root.mkdir(parents=True, exist_ok=True)
    environment = root / "environment.yml"
    environment.write_text(ENVIRONMENT)
    hashes = conda_input_hashes(environment, ["linux-64", "linux-aarch64"])
    for platform, input_hash in hashes.items():
        (root / f"conda-{platform}.lock").write_text(
            explicit_lockfile_text(platform=platform, input_hash=input_hash, urls_and_md5s=[])
        )
    digests = {path.name: file_digest(path) for path in sorted(root.glob("conda-*.lock"))}
    text = render_generated_sections(
        PYPROJECT, pins=[Pin("six", "1.16.0")], lockfile_digests=digests
    )
    (root / "pyproject.toml").write_text(text)
    content_hash = poetry_content_hash(tomllib.loads(text))
    (root / "poetry.lock").write_text(f'[metadata]\ncontent-hash = "{content_hash}"\n')
    return root


def reasons(root: Path) -> list[tuple[str, str]]:
    return [(item.path.name, item.reason) for item in check_project(root)]


def test_fresh_project_has_nothing_stale(tmp_path: Path) -> None:
    """It reports nothing for a project whose lockfiles match their inputs."""
    assert check_project(fresh_project(tmp_path)) == []


def test_input_hash_is_conda_locks_own(tmp_path: Path) -> None:
    """Its input hash is one conda-lock itself accepts for the same environment.yml."""
    environment = tmp_path / "environment.yml"
    environment.write_text(ENVIRONMENT)
    ours = conda_input_hashes(environment, ["linux-64"])["linux-64"]

    spec = make_lock_spec(
        src_files=[environment], platform_overrides=["linux-64"], mapping_url=DEFAULT_MAPPING_URL
    )
    with default_virtual_package_repodata(cuda_version="default") as repodata:
        accepted = backwards_compatible_content_hashes(spec, repodata, "linux-64")

    assert ours in accepted


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
        return subprocess.run(
            [sys.executable, "-m", "lockstep", "check", "--project", str(root)],
            capture_output=True,
            text=True,
            check=False,
        )

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
