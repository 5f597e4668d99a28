"""Daily work in the image: `make jupyter` and the dev container configuration.

`docker` is a stand-in at the process boundary that records its arguments and
the JUPYTER_TOKEN it was given. The dev container configuration is read by the
real Dev Containers CLI (from npm), with the same kind of stand-in `docker`.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from lockstep.shared.toml_reader import tomllib
from tests.template.make import REPO_ROOT, make

DEVCONTAINER_CLI = REPO_ROOT / ".venvs" / "node" / "node_modules" / ".bin" / "devcontainer"


def recording_docker(tmp_path: Path) -> tuple[Path, Path]:
    log = tmp_path / "docker-calls.jsonl"
    script = tmp_path / "docker"
    script.write_text(
        "#!/bin/sh\n"
        f'printf \'{{"args": "%s", "token": "%s"}}\\n\' "$*" "${{JUPYTER_TOKEN:-}}" >> {log}\n'
        "exit 0\n"
    )
    script.chmod(0o755)
    return script, log


def test_jupyter_runs_as_you_on_loopback_with_a_token_out_of_sight(
    project: Path, tmp_path: Path
) -> None:
    """It binds 127.0.0.1:PORT, runs as your uid with a HOME, and prints the URL with a fresh
    token that reaches the container through the environment, not the command line."""
    docker, log = recording_docker(tmp_path)

    first = make("jupyter", f"DOCKER={docker}", "PORT=9123", cwd=project)
    second = make("jupyter", f"DOCKER={docker}", "PORT=9123", cwd=project)

    assert first.returncode == 0, first.stderr
    (run,) = [json.loads(line) for line in log.read_text().splitlines() if '"run ' in line][:1]
    args = run["args"]
    assert "--publish 127.0.0.1:9123:9123" in args
    assert f"--volume {project}:/project --workdir /project" in args
    assert re.search(r"--user \d+:\d+ --env HOME=/tmp", args)
    assert args.endswith("python -m jupyterlab --ip=0.0.0.0 --port=9123 --no-browser")
    token = run["token"]
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert token not in args
    assert f"JupyterLab: http://127.0.0.1:9123/lab?token={token}" in first.stdout
    assert token not in second.stdout


def test_jupyter_listens_on_8888_unless_told(project: Path) -> None:
    """PORT defaults to JupyterLab's own 8888, on loopback only."""
    lines = make("-n", "jupyter", cwd=project).stdout.replace("\\\n", " ")

    assert "--publish 127.0.0.1:8888:8888" in lines
    assert "--port=8888" in lines
    assert "http://127.0.0.1:8888/lab?token=" in lines


def test_build_says_which_step_runs_and_how_long_it_took(project: Path, tmp_path: Path) -> None:
    """A first `make build` (no lockfiles) names each long step before it runs and its time
    after, in order: tools image, the lock, the check, dev image, runtime image. The docker
    client is a stand-in at the process boundary that succeeds at everything."""
    docker, _ = recording_docker(tmp_path)

    result = make("build", f"DOCKER={docker}", cwd=project)

    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("==> ")]
    steps = [
        "tools image envreport-tools:latest",
        "lock with conda-lock and Poetry",
        "check the lockfiles",
        "dev image envreport-dev:latest",
        "SBOM build/sbom/cyclonedx.json",
        "runtime image envreport:latest",
    ]
    assert [line for line in progress if ": done in " not in line] == [f"==> {s}" for s in steps]
    finished = [line for line in progress if re.search(r": done in \d+s$", line)]
    assert [line.rsplit(": done in", 1)[0] for line in finished] == [f"==> {s}" for s in steps]


def test_jupyterlab_is_in_the_dev_group() -> None:
    """The dev image has JupyterLab (and so a kernel of the environment's own python)."""
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert "jupyterlab" in pyproject["tool"]["poetry"]["group"]["dev"]["dependencies"]


@pytest.mark.skipif(
    not DEVCONTAINER_CLI.exists(),
    reason="needs node and npm: `make test` installs the Dev Containers CLI from npm if they exist",
)
def test_the_dev_container_builds_the_dev_stage_and_opens_the_project(tmp_path: Path) -> None:
    """The Dev Containers CLI reads it: dev stage, project at /project, your uid, env's python."""
    docker, _ = recording_docker(tmp_path)

    result = subprocess.run(
        [
            str(DEVCONTAINER_CLI),
            "read-configuration",
            "--workspace-folder",
            str(REPO_ROOT),
            "--docker-path",
            str(docker),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout)
    configuration = read["configuration"]
    assert configuration["build"] == {
        "dockerfile": "../Dockerfile",
        "context": "..",
        "target": "dev",
    }
    assert (REPO_ROOT / ".devcontainer" / configuration["build"]["dockerfile"]).resolve() == (
        REPO_ROOT / "Dockerfile"
    )
    assert read["workspace"] == {
        "workspaceFolder": "/project",
        "workspaceMount": f"source={REPO_ROOT},target=/project,type=bind",
    }
    assert configuration["updateRemoteUserUID"] is True
    assert configuration["remoteUser"] == "mambauser"
    prefix = re.search(r"^ARG ENV_PREFIX=(\S+)$", (REPO_ROOT / "Dockerfile").read_text(), re.M)
    assert prefix is not None
    settings = configuration["customizations"]["vscode"]["settings"]
    assert settings["python.defaultInterpreterPath"] == f"{prefix.group(1)}/bin/python"
