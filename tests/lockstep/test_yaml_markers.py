"""YAML document markers (`---` at the top, `...` at the end) survive `lockstep import`.

nf-core's modules start every environment.yml with `---` (two of them are in
tests/data/realworld/inputs/env/, nfcore-*.yml); `...` ends a document in files
that YAML tools write. `platforms:` must go inside the document: after `...`
YAML starts a second one, which no environment.yml reader accepts.
Each case runs a real `python -m lockstep import` process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lockstep.shared.errors import EXIT_FAILURE, EXIT_OK
from tests.lockstep.lock_scenario import REPO_ROOT

REAL = REPO_ROOT / "tests" / "data" / "realworld" / "inputs" / "env"
NFCORE = ("nfcore-fastqc.yml", "nfcore-samtools-sort.yml")
PYPROJECT = '[project]\nname = "demo"\nversion = "0.1.0"\ndependencies = []\n'
# The line the refusal of a file without python asks for.
PYTHON_LINE = '  - "conda-forge::python=3.12"\n'


def _lockstep(*args: str, project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lockstep", *args, "--project", str(project)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _project(tmp_path: Path, environment: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "environment.yml").write_text(environment)
    (project / "pyproject.toml").write_text(PYPROJECT)
    return project


def _with_python(name: str) -> str:
    return (REAL / name).read_text() + PYTHON_LINE


@pytest.mark.parametrize("name", NFCORE)
def test_a_real_nfcore_file_gets_a_python_and_keeps_its_marker(tmp_path: Path, name: str) -> None:
    """As nf-core writes it (no python): the import adds one, says so, keeps `---`."""
    project = _project(tmp_path, (REAL / name).read_text())

    result = _lockstep("import", project=project)

    assert result.returncode == 0, result.stderr
    assert "added: python" in result.stdout + result.stderr
    written = (project / "environment.yml").read_text()
    assert written.startswith("---\n")
    assert "python" in written


@pytest.mark.parametrize("name", NFCORE)
@pytest.mark.parametrize("end_marker", ["", "...\n", "...\n# vim: set filetype=yaml:\n"])
def test_markers_survive_import_and_the_result_is_valid(
    tmp_path: Path, name: str, end_marker: str
) -> None:
    """With python added, the import keeps `---` and the `...` end marker (and what follows
    it), writes `platforms:` inside the document, and `lockstep check` then takes the file
    as valid input (exit 1: valid, not locked yet)."""
    original = _with_python(name) + end_marker
    project = _project(tmp_path, original)

    result = _lockstep("import", project=project)

    assert result.returncode == EXIT_OK, result.stderr
    written = (project / "environment.yml").read_text()
    assert written.startswith("---\n# yaml-language-server: ")
    assert written.endswith(end_marker)
    data = yaml.safe_load(written)
    assert data["platforms"] == ["linux-64", "linux-aarch64"]
    assert data["dependencies"] == yaml.safe_load(original)["dependencies"]
    # Every line of the original is still there, in order: only platforms: was added.
    lines = iter(written.splitlines())
    assert all(line in lines for line in original.splitlines())
    check = _lockstep("check", project=project)
    assert check.returncode == EXIT_FAILURE, check.stdout + check.stderr
    assert "missing" in check.stdout
