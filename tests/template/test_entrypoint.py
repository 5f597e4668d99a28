"""The image's entrypoint, run on the host against a synthetic prefix.

The activation script is the one the image build writes (docker/_write_activation.sh)
from what the real micromamba 2.5.0 printed (tests/data/recorded/), for this prefix.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.template.docker_scripts import write_activation
from tests.template.make import REPO_ROOT

ENTRYPOINT = REPO_ROOT / "docker" / "_env_entrypoint.sh"


@pytest.fixture
def prefix(tmp_path: Path) -> Path:
    root = tmp_path / "env"
    (root / "bin").mkdir(parents=True)
    tool = root / "bin" / "envtool"
    tool.write_text('#!/bin/sh\necho "envtool from $CONDA_PREFIX: $*"\nexit "${ENVTOOL_EXIT:-0}"\n')
    tool.chmod(0o755)
    return root


@pytest.fixture
def activate(tmp_path: Path, prefix: Path) -> Path:
    return write_activation(tmp_path, prefix)


def run(args: list[str], activate: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ENTRYPOINT), *args],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "ENV_ACTIVATE_SCRIPT": str(activate), **env},
    )


def test_activates_then_runs_the_command(activate: Path, prefix: Path) -> None:
    """It sources the activation script, so the environment's commands are found by name."""
    result = run(["envtool", "a b", "c"], activate)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"envtool from {prefix}: a b c\n"


def test_passes_the_exit_code_through(activate: Path) -> None:
    """It execs the command, so the command's exit code is the container's."""
    assert run(["envtool"], activate, ENVTOOL_EXIT="7").returncode == 7


def test_exec_replaces_the_shell(activate: Path) -> None:
    """The command takes the entrypoint's process (signals reach it directly)."""
    result = subprocess.run(
        ["bash", "-c", f"echo $$; exec \"{ENTRYPOINT}\" sh -c 'echo $$'"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "ENV_ACTIVATE_SCRIPT": str(activate)},
    )
    shell_pid, command_pid = result.stdout.split()
    assert shell_pid == command_pid


def test_skip_variable_runs_without_activation(activate: Path) -> None:
    """With ENV_SKIP_ACTIVATE=1 the environment is not activated."""
    result = run(
        ["sh", "-c", 'echo "prefix=${CONDA_PREFIX:-none}"'], activate, ENV_SKIP_ACTIVATE="1"
    )

    assert result.stdout == "prefix=none\n"


def test_missing_activation_script_fails(tmp_path: Path) -> None:
    """It fails rather than run the command in an unactivated environment."""
    result = run(["true"], tmp_path / "missing.sh")

    assert result.returncode != 0
    assert "missing.sh" in result.stderr
    assert os.access(ENTRYPOINT, os.X_OK)
