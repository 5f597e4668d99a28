"""Errors at the CLI boundary: one line each, and never exit 1 (which means "stale")."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lockstep import cli
from tests.support.in_process import run_lockstep

PYPROJECT = '[project]\nname = "demo"\nversion = "0.1.0"\n'
ENVIRONMENT = "dependencies:\n  - python=3.11\n"
# A bug, put into a real lockstep process: the YAML reader raises what lockstep's
# code never expects (deep nesting used to do that; it is bad input now).
WITH_A_BUG = """
import sys, yaml
def broken(*args, **kwargs):
    raise ZeroDivisionError("injected bug")
yaml.safe_load = yaml.load = broken
from lockstep.cli import main
sys.exit(main())
"""
INTERNAL_HINT = "(please report this; run with LOCKSTEP_DEBUG=1 for the traceback)"


def assert_internal_error_line(line: str) -> None:
    """The exception's type and message, then the hint."""
    assert line == f"lockstep: internal error: ZeroDivisionError: injected bug {INTERNAL_HINT}"


def project_with(root: Path, *, environment: str) -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "environment.yml").write_text(environment)
    return root


def lockstep(
    *args: str, project: Path, bug: bool = False, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {key: value for key, value in os.environ.items() if key != "LOCKSTEP_DEBUG"}
    start = ["-c", WITH_A_BUG] if bug else ["-m", "lockstep"]
    return subprocess.run(
        [sys.executable, *start, *args, "--project", str(project)],
        capture_output=True,
        text=True,
        check=False,
        env={**environ, **env},
        timeout=120,
    )


@pytest.mark.parametrize("command", ["check", "lock"])
def test_unexpected_error_is_one_line_and_exit_70(tmp_path: Path, command: str) -> None:
    """It reports an unexpected exception as an internal error in one line and exits 70."""
    project = project_with(tmp_path / "project", environment=ENVIRONMENT)

    result = lockstep(command, project=project, bug=True)

    assert result.returncode == 70
    assert "Traceback" not in result.stderr
    # `lock` prints its progress first; the error is the last line.
    assert_internal_error_line(result.stderr.splitlines()[-1])


def test_lockstep_debug_prints_the_traceback(tmp_path: Path) -> None:
    """With LOCKSTEP_DEBUG=1 it prints the traceback before the internal-error line."""
    project = project_with(tmp_path / "project", environment=ENVIRONMENT)

    result = lockstep("check", project=project, bug=True, LOCKSTEP_DEBUG="1")

    assert result.returncode == 70
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert_internal_error_line(result.stderr.splitlines()[-1])


def test_directory_named_environment_yml_is_an_io_error(tmp_path: Path) -> None:
    """It says environment.yml cannot be read when it is a directory, and exits 74: the
    system refused the read, as it refuses poetry.lock's below (it was 2 here, 74 there)."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "environment.yml").mkdir()

    result = run_lockstep(["check", "--project", str(project)])

    assert result.returncode == 74
    assert result.stderr == (
        f"lockstep: error: {project / 'environment.yml'}: cannot be read (Is a directory);"
        " a directory is where that file belongs; move it away\n"
    )


def test_os_error_on_a_project_file_is_one_line(tmp_path: Path) -> None:
    """It reports an OSError on a project file as that file and the system's reason; exit 74."""
    project = project_with(tmp_path / "project", environment=ENVIRONMENT)
    (project / "poetry.lock").mkdir()

    result = run_lockstep(["check", "--project", str(project)])

    assert result.returncode == 74
    assert result.stderr == (
        f"lockstep: error: {project / 'poetry.lock'}: Is a directory;"
        " a directory is where that file belongs; move it away\n"
    )


def test_os_error_without_a_file_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """It reports a disk-full error (no file name attached) as one line and exits 74."""

    def disk_full(_project: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("lockstep.check.freshness.check_project", disk_full)

    code = cli.main(["check", "--project", str(tmp_path)])

    assert code == 74
    assert capsys.readouterr().err == (
        "lockstep: error: No space left on device; free some disk space, then run it again\n"
    )
