"""Hostile input, run as a user runs lockstep: a real process, exit 2 and one line naming
the file and the fix, never exit 70 ("internal error, please report").

Each case is one an outside battery of real runs found exiting 70 (or a Python
traceback): a table that is not one, nesting deep enough to exhaust Python's stack,
a setting that is no number, conda-meta records of other types than conda writes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lockstep.shared.errors import EXIT_BAD_INPUT

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCKSTEP = str(Path(sys.executable).parent / "lockstep")
REAL_LOCKFILE = REPO_ROOT / "tests/data/realworld/inputs/lock/pangeo-base-linux-64.lock"


def lockstep(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LOCKSTEP, *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
        timeout=120,
    )


def assert_one_line_refusal(result: subprocess.CompletedProcess[str], *names: str) -> str:
    assert result.returncode == EXIT_BAD_INPUT, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for name in names:
        assert name in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The template's own inputs, no lockfiles."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("environment.yml", "pyproject.toml"):
        shutil.copy(REPO_ROOT / name, root / name)
    return root


def pyproject_with(project: Path, text: str) -> None:
    (project / "pyproject.toml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('project = "envreport"\n', "project"),
        ("tool = 5\n", "tool"),
        ('[project]\nname = "x"\n[tool]\nlockstep = "x"\n', "tool.lockstep"),
        ('[project]\nname = "x"\n[tool.lockstep]\nlockfiles = "x"\n', "tool.lockstep.lockfiles"),
        ('[project]\nname = "x"\n[tool.poetry]\ngroup = ["dev"]\n', "tool.poetry.group"),
        ('[project]\nname = "x"\nrequires-python = 3.12\n', "project.requires-python"),
        ('[project]\nname = "x"\n[tool.poetry]\nsource = 1\n', "tool.poetry.source"),
    ],
)
@pytest.mark.parametrize("command", ["check", "import"])
def test_a_pyproject_part_of_another_shape_is_bad_input(
    project: Path, text: str, key: str, command: str
) -> None:
    """`project`, `tool`, `tool.lockstep(.lockfiles)`... not tables: exit 2 naming the key."""
    pyproject_with(project, text)

    result = lockstep(command, "--project", str(project))

    assert_one_line_refusal(result, "pyproject.toml", key)


def test_a_toml_array_nested_3000_deep_is_bad_input(project: Path) -> None:
    """tomllib recurses per level: RecursionError becomes one line, not exit 70."""
    pyproject_with(project, '[project]\nname = "x"\nx = ' + "[" * 3000 + "]" * 3000 + "\n")

    result = lockstep("check", "--project", str(project))

    assert_one_line_refusal(result, "pyproject.toml", "nested too deep")


def test_yaml_nested_20000_deep_is_bad_input(project: Path) -> None:
    """environment.yml nested 20,000 deep: one line naming it."""
    (project / "environment.yml").write_text("dependencies: " + "[" * 20000 + "]" * 20000 + "\n")

    result = lockstep("check", "--project", str(project))

    line = assert_one_line_refusal(result, "environment.yml")
    # PyYAML's Python reader runs out of stack; libyaml's refuses past its depth limit.
    assert "nested too deep" in line or "not valid YAML" in line


@pytest.mark.parametrize("value", ["abc", "0", "-5", "nan", "inf"])
def test_a_fetch_timeout_that_is_no_number_of_seconds_is_bad_input(
    tmp_path: Path, value: str
) -> None:
    """LOCKSTEP_FETCH_TIMEOUT=abc: one line saying what to set, before any request."""
    result = lockstep("pins", "--lockfile", str(REAL_LOCKFILE), LOCKSTEP_FETCH_TIMEOUT=value)

    assert_one_line_refusal(result, f"LOCKSTEP_FETCH_TIMEOUT={value}", "30")


def conda_prefix(tmp_path: Path, record: object) -> Path:
    prefix = tmp_path / "env"
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / "numpy-2.1.3-py312_0.json").write_text(json.dumps(record))
    return prefix


@pytest.mark.parametrize(
    ("record", "named"),
    [
        (["numpy", "2.1.3"], "is not"),
        ({"name": "numpy", "version": "2.1.3", "files": 5}, "files"),
        ({"name": "numpy", "version": "2.1.3", "files": [5]}, "files"),
        ({"name": 1, "version": "2.1.3"}, "name and version"),
    ],
)
@pytest.mark.parametrize("command", ["verify", "doctor"])
def test_a_conda_record_of_another_shape_is_bad_input(
    tmp_path: Path, record: object, named: str, command: str
) -> None:
    """A conda-meta record that is a list, or has `files: 5`: one line naming the record."""
    prefix = conda_prefix(tmp_path, record)

    result = lockstep(command, str(prefix))

    assert_one_line_refusal(result, "numpy-2.1.3-py312_0.json", named)


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b'[project\nname = "x"\n', "not valid TOML"),
        ('[project]\nname = "x"\n'.encode("utf-16"), "not UTF-8"),
        (b'tool = "x"\n', "tool"),
        (b"[tool.poetry.group.conda.dependencies]\nnumpy = {optional = true}\n", "version"),
        (b"[tool.poetry.group.conda.dependencies]\nnumpy = 2\n", "version"),
    ],
)
def test_doctor_on_a_bad_pyproject_is_bad_input(tmp_path: Path, content: bytes, named: str) -> None:
    """doctor's pyproject.toml: invalid, UTF-16, not tables, a pin without a version."""
    prefix = conda_prefix(tmp_path, {"name": "numpy", "version": "2.1.3", "files": []})
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_bytes(content)

    result = lockstep("doctor", str(prefix), "--project", str(project))

    assert_one_line_refusal(result, "pyproject.toml", named)
