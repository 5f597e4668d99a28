"""Is there a world to build the image in? One reason when there is not.

The end-to-end suite (e2e.py) and the engine tests of `make test`
(tests/template/test_docker_engine.py) both ask `find_problem()` first: it
returns None when everything `make build` needs answers, otherwise one line
saying what is missing, checked in this order:

1. a Docker client: `$DOCKER` (default `docker`) found on PATH;
2. a daemon that answers `docker info` (a permission problem is named as such);
3. BuildKit: `docker buildx version` works, or the client is older than 23
   (BuildKit built in);
4. the base images, present locally (`docker image inspect`) or pullable
   (`docker pull`, within `E2E_PULL_TIMEOUT` seconds, default 600):
   `$MICROMAMBA_IMAGE` and `$RUNTIME_BASE_IMAGE`, by default the Dockerfile's own
   `ARG` defaults. An engine that answers but cannot pull is reported as such;
5. the conda channel: `$CONDA_MIRROR` (default https://conda.anaconda.org)
   + `/conda-forge/noarch/repodata.json`, a HEAD request (a one-byte ranged GET
   where HEAD is refused), within 15 s;
6. the package index: `$PYPI_MIRROR` (default https://pypi.org/simple/), likewise.

Standard library only: it runs with the host's python3, outside any virtual environment.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MICROMAMBA_IMAGE = "mambaorg/micromamba:2.5.0-debian12-slim"
DEFAULT_RUNTIME_BASE_IMAGE = "debian:12-slim"
DEFAULT_CONDA_URL = "https://conda.anaconda.org"
DEFAULT_PYPI_URL = "https://pypi.org/simple/"
CONDA_PROBE_PATH = "/conda-forge/noarch/repodata.json"
HTTP_TIMEOUT_SECONDS = 15.0
DOCKER_TIMEOUT_SECONDS = 60.0
DEFAULT_PULL_TIMEOUT_SECONDS = 600.0
FIRST_CLIENT_WITHOUT_BUILTIN_BUILDKIT = 23
MAX_DETAIL_CHARS = 240

_ARG = re.compile(r"^ARG\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>\S+)\s*$")
_HEAD_REFUSED = {403, 405, 501}


@dataclass(frozen=True)
class World:
    """What the probe checks, read from the environment (the make variables of the same names)."""

    docker: tuple[str, ...]
    micromamba_image: str
    runtime_base_image: str
    conda_url: str
    pypi_url: str
    pull_timeout: float = DEFAULT_PULL_TIMEOUT_SECONDS
    http_timeout: float = HTTP_TIMEOUT_SECONDS

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], *, project: Path | None = None) -> World:
        defaults = dockerfile_arg_defaults(project / "Dockerfile") if project else {}
        return cls(
            docker=tuple(shlex.split(environ.get("DOCKER") or "docker")) or ("docker",),
            micromamba_image=environ.get("MICROMAMBA_IMAGE")
            or defaults.get("MICROMAMBA_IMAGE", DEFAULT_MICROMAMBA_IMAGE),
            runtime_base_image=environ.get("RUNTIME_BASE_IMAGE")
            or defaults.get("RUNTIME_BASE_IMAGE", DEFAULT_RUNTIME_BASE_IMAGE),
            conda_url=environ.get("CONDA_MIRROR") or DEFAULT_CONDA_URL,
            pypi_url=environ.get("PYPI_MIRROR") or DEFAULT_PYPI_URL,
            pull_timeout=float(environ.get("E2E_PULL_TIMEOUT") or DEFAULT_PULL_TIMEOUT_SECONDS),
        )

    @property
    def docker_name(self) -> str:
        return " ".join(self.docker)

    @property
    def conda_probe_url(self) -> str:
        return self.conda_url.rstrip("/") + CONDA_PROBE_PATH


def dockerfile_arg_defaults(dockerfile: Path) -> dict[str, str]:
    """The `ARG NAME=value` defaults of a Dockerfile (empty when it cannot be read)."""
    try:
        lines = dockerfile.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    found: dict[str, str] = {}
    for line in lines:
        match = _ARG.match(line.strip())
        if match and match["name"] not in found:
            found[match["name"]] = match["value"].strip("\"'")
    return found


def one_line(text: str, limit: int = MAX_DETAIL_CHARS) -> str:
    """Text squeezed onto one line and cut to `limit` characters."""
    squeezed = " ".join(text.split())
    return squeezed if len(squeezed) <= limit else squeezed[: limit - 3] + "..."


def _last_words(result: subprocess.CompletedProcess[str]) -> str:
    for stream in (result.stderr, result.stdout):
        lines = [line for line in (stream or "").splitlines() if line.strip()]
        if lines:
            return one_line(lines[-1])
    return f"exit code {result.returncode}"


class _Docker:
    def __init__(self, world: World) -> None:
        self.world = world

    def run(
        self, *args: str, timeout: float = DOCKER_TIMEOUT_SECONDS
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.world.docker, *args],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
        )


def _client(world: World) -> str | None:
    if shutil.which(world.docker[0]) is None:
        return (
            f"no Docker client: '{world.docker[0]}' is not on PATH; install Docker "
            "(https://docs.docker.com/get-docker/) or set DOCKER"
        )
    return None


def _daemon(world: World) -> str | None:
    docker = _Docker(world)
    try:
        result = docker.run("info")
    except subprocess.TimeoutExpired:
        seconds = f"{DOCKER_TIMEOUT_SECONDS:.0f} s"
        return f"the Docker daemon does not answer: '{world.docker_name} info' took over {seconds}"
    if result.returncode == 0:
        return None
    detail = _last_words(result)
    if "permission denied" in (result.stderr + result.stdout).lower():
        return (
            f"no permission to use the Docker daemon ('{world.docker_name} info': {detail}); "
            "add yourself to the 'docker' group"
        )
    return (
        f"the Docker daemon does not answer ('{world.docker_name} info' failed: {detail}); start it"
    )


def _client_major(version: str) -> int | None:
    match = re.match(r"\s*(\d+)\.", version)
    return int(match.group(1)) if match else None


def _buildkit(world: World) -> str | None:
    docker = _Docker(world)
    if docker.run("buildx", "version").returncode == 0:
        return None
    major = _client_major(docker.run("version", "--format", "{{.Client.Version}}").stdout)
    if major is not None and major < FIRST_CLIENT_WITHOUT_BUILTIN_BUILDKIT:
        return None
    return (
        "BuildKit is missing: 'docker buildx version' failed and the Docker client is 23 or "
        "newer; install the buildx plugin (docker-buildx or docker-buildx-plugin)"
    )


def _image(world: World, image: str) -> str | None:
    docker = _Docker(world)
    if docker.run("image", "inspect", image).returncode == 0:
        return None
    try:
        pulled = docker.run("pull", image, timeout=world.pull_timeout)
    except subprocess.TimeoutExpired:
        return (
            f"the Docker engine answers but cannot pull {image}: not present locally and "
            f"'docker pull' took over {world.pull_timeout:.0f} s (E2E_PULL_TIMEOUT)"
        )
    if pulled.returncode != 0:
        return (
            f"the Docker engine answers but cannot pull {image}: not present locally and "
            f"'docker pull' failed: {_last_words(pulled)}"
        )
    return None


def _images(world: World) -> str | None:
    for image in (world.micromamba_image, world.runtime_base_image):
        problem = _image(world, image)
        if problem:
            return problem
    return None


def reachable(url: str, timeout: float) -> str | None:
    """None when `url` answers a HEAD (or a one-byte ranged GET) with success; else why not."""
    headers = {"User-Agent": "envreport-e2e-probe"}
    try:
        try:
            request = urllib.request.Request(url, method="HEAD", headers=headers)
            with urllib.request.urlopen(request, timeout=timeout):
                return None
        except urllib.error.HTTPError as error:
            if error.code not in _HEAD_REFUSED:
                raise
        ranged = urllib.request.Request(url, headers={**headers, "Range": "bytes=0-0"})
        with urllib.request.urlopen(ranged, timeout=timeout) as response:
            response.read(1)
            return None
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code} {error.reason}"
    except urllib.error.URLError as error:
        return one_line(str(error.reason))
    except TimeoutError:
        return f"no answer within {timeout:.0f} s"
    except (OSError, ValueError) as error:
        return one_line(str(error))


def _conda(world: World) -> str | None:
    if not world.conda_url.startswith(("http://", "https://")):
        return f"CONDA_MIRROR must be an http(s) URL, not {world.conda_url!r}"
    problem = reachable(world.conda_probe_url, world.http_timeout)
    if problem:
        return (
            f"the conda channel is not reachable: {world.conda_probe_url}: {problem} "
            "(set CONDA_MIRROR to use a mirror)"
        )
    return None


def _pypi(world: World) -> str | None:
    if not world.pypi_url.startswith(("http://", "https://")):
        return f"PYPI_MIRROR must be an http(s) URL, not {world.pypi_url!r}"
    problem = reachable(world.pypi_url, world.http_timeout)
    if problem:
        return (
            f"the package index is not reachable: {world.pypi_url}: {problem} "
            "(set PYPI_MIRROR to use a mirror)"
        )
    return None


Check = Callable[[World], "str | None"]
CHECKS: Sequence[Check] = (_client, _daemon, _buildkit, _images, _conda, _pypi)


def find_problem(world: World | None = None, *, checks: Sequence[Check] = CHECKS) -> str | None:
    """None when the world can build the image; otherwise one line saying what is missing."""
    if world is None:
        world = World.from_environ(os.environ)
    for check in checks:
        try:
            problem = check(world)
        except (OSError, subprocess.SubprocessError) as error:
            problem = f"{check.__name__.lstrip('_')} check failed: {one_line(str(error))}"
        if problem:
            return problem
    return None
