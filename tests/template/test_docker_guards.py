"""The Makefile's guards: one line saying what to do instead of Docker's own errors.

`docker` is a stand-in at the process boundary (no engine here): a shell script
that logs each call and answers as the real client does in each situation;
the messages it prints are the real client's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.template.make import REPO_ROOT, make

STANDIN = """#!/bin/sh
echo "$*" >> "{log}"
case "$1 $2" in
  "info "*) {info} ;;
  "buildx version") {buildx} ;;
  "version --format") echo "{client_version}" ;;
  "image inspect") {image_inspect} ;;
  "volume inspect") {volume_inspect} ;;
esac
exit 0
"""
OK = "exit 0"
PERMISSION_DENIED = (
    'echo "permission denied while trying to connect to the Docker daemon socket at '
    'unix:///var/run/docker.sock: Get \\"http://%2Fvar%2Frun%2Fdocker.sock/v1.47/info\\": '
    'dial unix /var/run/docker.sock: connect: permission denied" >&2; exit 1'
)
NO_BUILDX = "echo \"docker: 'buildx' is not a docker command.\" >&2; exit 1"
NO_SUCH_IMAGE = 'echo "Error: No such image: $3" >&2; exit 1'
NO_SUCH_VOLUME = 'echo "Error: No such volume: $3" >&2; exit 1'


def standin_docker(tmp_path: Path, template: str = STANDIN, **answers: str) -> tuple[Path, Path]:
    """A docker client script and the log of its calls; `answers` override the healthy
    defaults, for the cases `template` has (GPU_STANDIN, INSPECT_STANDIN add some)."""
    log = tmp_path / "docker-calls"
    script = tmp_path / "docker"
    behaviour = {
        "info": OK,
        "buildx": OK,
        "client_version": "28.2.2",
        "image_inspect": OK,
        "volume_inspect": OK,
        "runtimes": OK,
        "inspect": OK,
        **answers,
    }
    script.write_text(template.format(log=log, **behaviour))
    script.chmod(0o755)
    return script, log


def calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def guard_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("make: ") and "***" not in line]


def test_missing_buildx_on_docker_23_stops_before_any_build(project: Path, tmp_path: Path) -> None:
    """Docker 23+ without the buildx plugin: one line saying how to install it, no build run."""
    docker, log = standin_docker(tmp_path, buildx=NO_BUILDX, client_version="26.1.5")

    result = make("build", f"DOCKER={docker}", cwd=project)

    assert result.returncode != 0
    (line,) = guard_lines(result.stderr)
    assert line.startswith("make: Docker's buildx plugin (BuildKit) is missing: install it")
    assert "docker-buildx" in line
    assert not any(call.startswith("build ") for call in calls(log))


def test_docker_20_builds_with_its_own_buildkit(project: Path, tmp_path: Path) -> None:
    """A client older than 23 has BuildKit built in: no buildx needed, the build runs."""
    docker, log = standin_docker(tmp_path, buildx=NO_BUILDX, client_version="20.10.24+dfsg1")

    make("env-check", f"DOCKER={docker}", cwd=project)

    assert any(call.startswith("build ") and "--target tools" in call for call in calls(log))


def test_permission_denied_says_how_to_join_the_docker_group(project: Path, tmp_path: Path) -> None:
    """A user outside the `docker` group is told so, not that the daemon does not answer."""
    docker, _ = standin_docker(tmp_path, info=PERMISSION_DENIED)

    result = make("shell", f"DOCKER={docker}", cwd=project)

    assert result.returncode != 0
    (line,) = guard_lines(result.stderr)
    assert line.startswith("make: no permission to use the Docker daemon: add yourself")
    assert "usermod -aG docker" in line


@pytest.mark.parametrize(
    ("target", "image"),
    [
        ("shell", "envreport-dev:latest"),
        ("test-image", "envreport-dev:latest"),
        ("jupyter", "envreport-dev:latest"),
        ("run", "envreport:latest"),
        ("doctor", "envreport:latest"),
    ],
)
def test_an_image_not_built_yet_says_make_build_first(
    project: Path, tmp_path: Path, target: str, image: str
) -> None:
    """Before any build, the run targets say `make build` instead of trying to pull."""
    docker, log = standin_docker(tmp_path, image_inspect=NO_SUCH_IMAGE)

    result = make(target, f"DOCKER={docker}", cwd=project)

    assert result.returncode != 0
    assert guard_lines(result.stderr) == [f"make: no image {image} yet: run `make build` first"]
    assert not any(call.startswith("run ") for call in calls(log))


def test_clean_with_nothing_to_clean_says_so_without_errors(project: Path, tmp_path: Path) -> None:
    """`make clean` on a machine with none of the images succeeds and says what was absent."""
    docker, log = standin_docker(
        tmp_path, image_inspect=NO_SUCH_IMAGE, volume_inspect=NO_SUCH_VOLUME
    )

    result = make("clean", f"DOCKER={docker}", cwd=project)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "no image envreport:latest: nothing to remove",
        "no image envreport-dev:latest: nothing to remove",
        "no image envreport-tools:latest: nothing to remove",
        "no volume envreport-lockstep-cache: nothing to remove",
    ]
    assert not any(" rm " in f" {call} " for call in calls(log))


def test_buildx_features_need_buildx_even_on_docker_20(project: Path, tmp_path: Path) -> None:
    """CACHE_REF (like DOCKER_PLATFORMS and BUILDER) needs buildx itself: one line, no build."""
    docker, log = standin_docker(tmp_path, buildx=NO_BUILDX, client_version="20.10.24+dfsg1")

    result = make("build", f"DOCKER={docker}", "CACHE_REF=ghcr.io/acme/cache", cwd=project)

    assert result.returncode != 0
    (line,) = guard_lines(result.stderr)
    assert line.startswith("make: Docker's buildx plugin (BuildKit) is missing")
    assert "(CACHE_REF, DOCKER_PLATFORMS and BUILDER need it)" in line
    assert not any(call.startswith("build") for call in calls(log) if call != "buildx version")


RUNC_ONLY = 'echo \'{"io.containerd.runc.v2":{"path":"runc"},"runc":{"path":"runc"}}\''
WITH_NVIDIA = (
    'echo \'{"io.containerd.runc.v2":{"path":"runc"},'
    '"nvidia":{"path":"nvidia-container-runtime"},"runc":{"path":"runc"}}\''
)
GPU_STANDIN = STANDIN.replace(
    '  "info "*) {info} ;;', '  "info --format") {runtimes} ;;\n  "info "*) {info} ;;'
)


def gpu_docker(tmp_path: Path, runtimes: str) -> tuple[Path, Path]:
    return standin_docker(tmp_path, GPU_STANDIN, runtimes=runtimes)


def test_gpu_without_nvidias_runtime_says_what_to_install(project: Path, tmp_path: Path) -> None:
    """An engine without the NVIDIA runtime: one line naming the toolkit, no container run."""
    docker, log = gpu_docker(tmp_path, RUNC_ONLY)

    result = make("run", "GPU=1", f"DOCKER={docker}", cwd=project)

    assert result.returncode != 0
    (line,) = guard_lines(result.stderr)
    assert line.startswith("make: GPU=1 needs the NVIDIA Container Toolkit on the Docker host")
    assert "nvidia-ctk runtime configure --runtime=docker" in line
    assert not any(call.startswith("run ") for call in calls(log))


def test_gpu_with_nvidias_runtime_runs_with_every_gpu(project: Path, tmp_path: Path) -> None:
    """With the runtime registered, the container runs with `--gpus all`."""
    docker, log = gpu_docker(tmp_path, WITH_NVIDIA)

    result = make("run", "GPU=1", f"DOCKER={docker}", cwd=project)

    assert result.returncode == 0, result.stderr
    (run,) = [call for call in calls(log) if call.startswith("run ")]
    assert "--gpus all" in run


# The shape of `docker buildx imagetools inspect NAME` (Docker's documentation, buildx reference).
IMAGETOOLS = """Name:      docker.io/{name}
MediaType: application/vnd.oci.image.index.v1+json
Digest:    sha256:{digest}

Manifests:
  Name:      docker.io/{name}@sha256:{platform_digest}
  MediaType: application/vnd.oci.image.manifest.v1+json
  Platform:  linux/amd64
"""


def test_pin_base_images_records_each_tags_digest(project: Path, tmp_path: Path) -> None:
    """Each base image's tag gets the index digest the registry reports; twice is the same."""
    shutil.copy(REPO_ROOT / "Dockerfile", project / "Dockerfile")
    digests = {"mambaorg/micromamba:2.5.0-debian12-slim": "a" * 64, "debian:12-slim": "b" * 64}
    outputs = {
        name: IMAGETOOLS.format(name=name, digest=digest, platform_digest="c" * 64)
        for name, digest in digests.items()
    }
    answers = "\n".join(
        f'  "{name}") cat <<"EOF"\n{output}EOF\n  ;;' for name, output in outputs.items()
    )
    docker = tmp_path / "docker"
    docker.write_text(
        "#!/bin/sh\n"
        'if [ "$1 $2 $3" = "buildx imagetools inspect" ]; then\n'
        f'  case "$4" in\n{answers}\n  *) exit 1 ;;\n  esac\nfi\nexit 0\n'
    )
    docker.chmod(0o755)

    first = make("pin-base-images", f"DOCKER={docker}", cwd=project)
    pinned = (project / "Dockerfile").read_text()
    second = make("pin-base-images", f"DOCKER={docker}", cwd=project)

    assert first.returncode == 0, first.stderr
    assert (
        f"ARG MICROMAMBA_IMAGE=mambaorg/micromamba:2.5.0-debian12-slim@sha256:{'a' * 64}\n"
        in pinned
    )
    assert f"ARG RUNTIME_BASE_IMAGE=debian:12-slim@sha256:{'b' * 64}\n" in pinned
    assert second.returncode == 0, second.stderr
    assert (project / "Dockerfile").read_text() == pinned
    original = (REPO_ROOT / "Dockerfile").read_text().splitlines()
    changed = [line for line in pinned.splitlines() if line not in original]
    assert len(changed) == 2


def test_pin_base_images_without_an_answer_changes_nothing(project: Path, tmp_path: Path) -> None:
    """A registry that does not answer: one line, and the Dockerfile as it was."""
    shutil.copy(REPO_ROOT / "Dockerfile", project / "Dockerfile")
    docker, _ = standin_docker(tmp_path)

    result = make("pin-base-images", f"DOCKER={docker}", cwd=project)

    assert result.returncode != 0
    (line,) = guard_lines(result.stderr)
    assert line.startswith("make: no digest for mambaorg/micromamba:2.5.0-debian12-slim")
    assert (project / "Dockerfile").read_text() == (REPO_ROOT / "Dockerfile").read_text()


RECORDED = REPO_ROOT / "tests" / "data" / "recorded"
INSPECT_STANDIN = STANDIN.replace(
    '  "buildx version") {buildx} ;;',
    '  "buildx version") {buildx} ;;\n  "buildx inspect") {inspect} ;;',
)
NO_INSPECT = "echo \"docker: 'buildx' is not a docker command.\" >&2; exit 1"


def inspect_docker(tmp_path: Path, inspect: str) -> tuple[Path, Path]:
    """A docker client whose `buildx inspect` answers `inspect` (a shell command)."""
    return standin_docker(tmp_path, INSPECT_STANDIN, inspect=inspect)


def recorded_inspect(version: str) -> str:
    return f'cat "{RECORDED / f"buildx-inspect-buildkit-{version}.txt"}"'


def build_call(log: Path, target: str) -> str:
    (call,) = [c for c in calls(log) if "build " in f"{c} " and f"--target {target} " in c]
    return call


def test_reproducible_build_stamps_and_rewrites_only_the_runtime(
    project: Path, tmp_path: Path
) -> None:
    """BuildKit 0.13.2 (recorded `buildx inspect`): the runtime is exported with every file
    time rewritten, no provenance, SOURCE_DATE_EPOCH passed; the dev image is loaded as ever."""
    docker, log = inspect_docker(tmp_path, recorded_inspect("0.13.2"))

    result = make(
        "build", f"DOCKER={docker}", "REPRODUCIBLE=1", "SOURCE_DATE_EPOCH=1700000000", cwd=project
    )

    assert result.returncode == 0, result.stderr
    runtime = build_call(log, "runtime")
    assert runtime.startswith("buildx build ")
    assert "--output type=docker,rewrite-timestamp=true --provenance=false " in runtime
    assert "--build-arg SOURCE_DATE_EPOCH=1700000000" in runtime
    assert "--load" not in runtime
    dev = build_call(log, "dev")
    assert "--load" in dev
    assert "rewrite-timestamp" not in dev


@pytest.mark.parametrize(
    ("inspect", "named"),
    [
        (recorded_inspect("0.10.3"), "this builder's BuildKit is 0.10.3"),
        (NO_INSPECT, "this builder's BuildKit is unknown"),
    ],
)
def test_reproducible_build_refuses_an_older_buildkit_before_any_build(
    project: Path, tmp_path: Path, inspect: str, named: str
) -> None:
    """BuildKit before 0.13 cannot rewrite layer times: one line saying what can, no build."""
    docker, log = inspect_docker(tmp_path, inspect)

    result = make(
        "build", f"DOCKER={docker}", "REPRODUCIBLE=1", "SOURCE_DATE_EPOCH=1700000000", cwd=project
    )

    assert result.returncode != 0
    (line,) = guard_lines(result.stderr)
    assert line.startswith("make: REPRODUCIBLE=1 needs BuildKit 0.13 or newer (Docker Engine 26+")
    assert named in line
    assert not any("build " in f"{call} " and "--target" in call for call in calls(log))


def test_reproducible_build_without_a_commit_asks_for_the_time(
    project: Path, tmp_path: Path
) -> None:
    """No git commit to take the time from and no SOURCE_DATE_EPOCH: refused in one line."""
    docker, log = inspect_docker(tmp_path, recorded_inspect("0.13.2"))

    result = make("build", f"DOCKER={docker}", "REPRODUCIBLE=1", cwd=project)

    assert result.returncode != 0
    (line,) = guard_lines(result.stderr)
    assert "set SOURCE_DATE_EPOCH=SECONDS" in line
    assert not any("--target" in call for call in calls(log))


def test_the_runtime_image_is_stamped_with_the_commits_time(project: Path, tmp_path: Path) -> None:
    """In a git work tree the runtime build gets the last commit's time as git reports it."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    stamp = "1712345678"
    env = {"GIT_COMMITTER_DATE": f"@{stamp} +0000", "GIT_AUTHOR_DATE": f"@{stamp} +0000"}
    for argv in (
        ["init", "--quiet"],
        ["add", "."],
        ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "x"],
    ):
        subprocess.run([git, *argv], cwd=project, check=True, env={**os.environ, **env})
    docker, log = standin_docker(tmp_path)

    result = make("build", f"DOCKER={docker}", cwd=project)

    assert result.returncode == 0, result.stderr
    assert f"--build-arg SOURCE_DATE_EPOCH={stamp}" in build_call(log, "runtime")
    assert "SOURCE_DATE_EPOCH" not in build_call(log, "dev")
