"""Run the image's docker/ scripts on the host, with micromamba replaced by its recordings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.template.make import REPO_ROOT

DOCKER_DIR = REPO_ROOT / "docker"
RECORDED_MICROMAMBA = Path(__file__).with_name("recorded_micromamba.py")


def recorded_micromamba(directory: Path) -> tuple[Path, Path]:
    """An executable stand-in for micromamba (see recorded_micromamba.py) and its call log."""
    log = directory / "micromamba-calls.jsonl"
    executable = directory / "micromamba"
    executable.write_text(
        f"#!/bin/sh\nRECORDED_MICROMAMBA_LOG='{log}' exec '{sys.executable}' "
        f"'{RECORDED_MICROMAMBA}' \"$@\"\n"
    )
    executable.chmod(0o755)
    return executable, log


def logged_calls(log: Path) -> list[dict[str, object]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def write_activation(directory: Path, prefix: Path) -> Path:
    """The activation script docker/_write_activation.sh writes for `prefix`."""
    micromamba, _ = recorded_micromamba(directory)
    output = directory / "_activate_env.sh"
    subprocess.run(
        [str(DOCKER_DIR / "_write_activation.sh"), str(prefix), str(output)],
        check=True,
        env={"PATH": "/usr/bin:/bin", "MAMBA_EXE": str(micromamba)},
    )
    return output


def install_conda_env(
    tmp_path: Path, arch: str, prefix: str = "/opt/env", **env: str
) -> subprocess.CompletedProcess[str]:
    """docker/_install_conda_env.sh on tmp_path/locks, micromamba the recorded stand-in."""
    micromamba, _ = recorded_micromamba(tmp_path)
    return subprocess.run(
        [str(DOCKER_DIR / "_install_conda_env.sh"), arch, str(tmp_path / "locks"), prefix],
        capture_output=True,
        text=True,
        check=False,
        # lockstep's own Python, as the tools image's /opt/lockstep/bin/python.
        env={
            "PATH": "/usr/bin:/bin",
            "MAMBA_EXE": str(micromamba),
            "LOCKSTEP_PYTHON": sys.executable,
            **env,
        },
    )
