"""The end-to-end suite (`make test-e2e`) itself, without an engine.

`docker` and `make` are stand-ins at the process boundary: shell scripts that
log each call and answer as the real programs do (the messages are the real
client's). The conda channel and the package index are loopback HTTP servers.
The BuildKit parser reads real `--progress=plain` output (tests/data/buildkit/).
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from envreport.report import DependencyStatus, EnvironmentReport, render
from lockstep.prefix.doctor import DoctorRow, render_table
from lockstep.shared.toml_reader import tomllib
from tests.e2e import e2e
from tests.e2e.buildkit import parse_plain_progress, steps_matching
from tests.e2e.project_copy import copy_project
from tests.e2e.world import World, dockerfile_arg_defaults, reachable
from tests.template.make import REPO_ROOT

E2E = REPO_ROOT / "tests" / "e2e" / "e2e.py"
BUILDKIT = REPO_ROOT / "tests" / "data" / "buildkit"
MULTISTAGE = BUILDKIT / "plain-progress-multistage-cache-mount.txt"
CACHE_IMPORT = BUILDKIT / "plain-progress-cache-import.txt"
TOTAL = len(e2e.STEPS)

DOCKER = """#!/bin/sh
echo "$*" >> "{log}"
case "$1 $2" in
  "info "*) {info} ;;
  "buildx version") {buildx} ;;
  "version --format") echo "{client_version}" ;;
  "image inspect")
    case "$*" in *" e2e-"*) echo "Error response from daemon: No such image: $3" >&2; exit 1 ;; esac
    {image_inspect} ;;
  "volume inspect") echo "Error response from daemon: get $3: no such volume" >&2; exit 1 ;;
  "pull "*) {pull} ;;
esac
exit 0
"""
OK = "exit 0"
DAEMON_DOWN = (
    'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. '
    'Is the docker daemon running?" >&2; exit 1'
)
NO_BUILDX = 'echo "docker: unknown command: docker buildx" >&2; exit 1'
NO_SUCH_IMAGE = 'echo "Error response from daemon: No such image: $3" >&2; exit 1'
PULL_FAILS = (
    'echo "Error response from daemon: Get \\"https://registry-1.docker.io/v2/\\": dial tcp: '
    'lookup registry-1.docker.io on 127.0.0.53:53: server misbehaving" >&2; exit 1'
)

MAKE = """#!/bin/sh
echo "$* | MAKEFLAGS=$MAKEFLAGS" >> "{log}"
case " $* " in
  *" build "*) echo "stand-in make: the build failed here"; exit 2 ;;
esac
exit 0
"""


class Standins:
    def __init__(self, root: Path) -> None:
        self.bin = root / "bin"
        self.bin.mkdir()
        self.docker_log = root / "docker-calls"
        self.make_log = root / "make-calls"

    def docker(self, **answers: str) -> Path:
        behaviour = {
            "info": OK,
            "buildx": OK,
            "client_version": "28.2.2",
            "image_inspect": OK,
            "pull": OK,
            **answers,
        }
        script = self.bin / "docker"
        script.write_text(DOCKER.format(log=self.docker_log, **behaviour))
        script.chmod(0o755)
        return script

    def make(self) -> Path:
        script = self.bin / "make"
        script.write_text(MAKE.format(log=self.make_log))
        script.chmod(0o755)
        return script

    def docker_calls(self) -> list[str]:
        return self.docker_log.read_text().splitlines() if self.docker_log.exists() else []

    def make_calls(self) -> list[str]:
        return self.make_log.read_text().splitlines() if self.make_log.exists() else []


@pytest.fixture
def standins(tmp_path: Path) -> Standins:
    found = Standins(tmp_path)
    found.make()
    return found


class _Mirror(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[str]:
    """A loopback conda channel and package index: conda-forge/noarch/repodata.json, simple/."""
    root = tmp_path / "mirror"
    (root / "conda-forge" / "noarch").mkdir(parents=True)
    (root / "conda-forge" / "noarch" / "repodata.json").write_text('{"packages": {}}')
    (root / "simple").mkdir()
    (root / "simple" / "index.html").write_text("<html><body></body></html>")
    handler = type("Handler", (_Mirror,), {})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: handler(*a, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def run_e2e(
    standins: Standins, tmp_path: Path, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {
        **{k: v for k, v in os.environ.items() if k not in {"CONDA_MIRROR", "PYPI_MIRROR"}},
        "PATH": f"{standins.bin}{os.pathsep}{os.environ['PATH']}",
        "TMPDIR": str(tmp_path),
        **env,
    }
    return subprocess.run(
        [sys.executable, str(E2E), *args],
        capture_output=True,
        text=True,
        check=False,
        env=environ,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def the_one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("e2e: cannot run: ")
    return lines[0]


# ---------------------------------------------------------------- the world check
def test_a_daemon_that_does_not_answer_stops_the_suite_at_once(standins, tmp_path) -> None:
    """No daemon: one line naming it, exit 2, and no make (let alone a build) runs."""
    docker = standins.docker(info=DAEMON_DOWN)

    line = the_one_line(run_e2e(standins, tmp_path, DOCKER=str(docker)))

    assert "the Docker daemon does not answer" in line
    assert "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" in line
    assert standins.make_calls() == []
    assert standins.docker_calls() == ["info"]


def test_an_engine_that_cannot_pull_is_reported_as_such(standins, tmp_path) -> None:
    """The daemon answers but the base image is neither present nor pullable: said so, exit 2."""
    docker = standins.docker(image_inspect=NO_SUCH_IMAGE, pull=PULL_FAILS)
    micromamba = dockerfile_arg_defaults(REPO_ROOT / "Dockerfile")["MICROMAMBA_IMAGE"]

    line = the_one_line(run_e2e(standins, tmp_path, DOCKER=str(docker)))

    assert f"the Docker engine answers but cannot pull {micromamba}" in line
    assert "registry-1.docker.io" in line
    assert standins.make_calls() == []
    assert not [call for call in standins.docker_calls() if call.split()[0] in {"build", "run"}]


def test_the_engine_test_skips_when_the_engine_cannot_pull(standins, tmp_path) -> None:
    """`make test`'s engine test skips, with the reason, when the daemon answers but cannot
    pull the base images (an engine that answers is not enough), and builds nothing."""
    docker = standins.docker(image_inspect=NO_SUCH_IMAGE, pull=PULL_FAILS)
    environ = {
        **os.environ,
        "PATH": f"{standins.bin}{os.pathsep}{os.environ['PATH']}",
        "DOCKER": str(docker),
    }

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-rs",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            str(REPO_ROOT / "tests" / "template" / "test_docker_engine.py"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=environ,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout
    assert re.search(r"\d+ skipped", result.stdout) and " passed" not in result.stdout
    assert (
        "needs a Docker engine that can build the image: the Docker engine answers but cannot pull"
        in result.stdout
    )
    assert not [call for call in standins.docker_calls() if call.split()[0] in {"build", "run"}]


def test_the_base_images_are_the_settings_when_given(standins, tmp_path) -> None:
    """MICROMAMBA_IMAGE names the image checked and pulled, as it names the one built from."""
    docker = standins.docker(image_inspect=NO_SUCH_IMAGE, pull=PULL_FAILS)

    line = the_one_line(
        run_e2e(standins, tmp_path, DOCKER=str(docker), MICROMAMBA_IMAGE="mirror.local/mm:1")
    )

    assert "cannot pull mirror.local/mm:1" in line
    assert "pull mirror.local/mm:1" in standins.docker_calls()


def test_no_docker_client_is_one_line(standins, tmp_path) -> None:
    """A DOCKER that does not exist: one line saying so."""
    line = the_one_line(run_e2e(standins, tmp_path, DOCKER=str(tmp_path / "no-such-docker")))

    assert "no Docker client" in line
    assert standins.make_calls() == []


def test_docker_23_without_buildx_is_one_line(standins, tmp_path) -> None:
    """A client of 23 or newer without the buildx plugin has no BuildKit: said so."""
    docker = standins.docker(buildx=NO_BUILDX, client_version="26.1.5")

    line = the_one_line(run_e2e(standins, tmp_path, DOCKER=str(docker)))

    assert "BuildKit is missing" in line


def test_an_unreachable_conda_channel_is_named(standins, tmp_path, mirror) -> None:
    """The channel's repodata cannot be reached: the URL tried and CONDA_MIRROR are named."""
    docker = standins.docker()
    channel = closed_port_url()

    line = the_one_line(
        run_e2e(
            standins,
            tmp_path,
            DOCKER=str(docker),
            CONDA_MIRROR=channel,
            PYPI_MIRROR=f"{mirror}/simple/",
        )
    )

    assert f"the conda channel is not reachable: {channel}/conda-forge/noarch/repodata.json" in line
    assert "CONDA_MIRROR" in line


def test_an_index_that_answers_404_is_named(standins, tmp_path, mirror) -> None:
    """The package index answers, but not found: the status is in the line."""
    docker = standins.docker()

    line = the_one_line(
        run_e2e(
            standins,
            tmp_path,
            DOCKER=str(docker),
            CONDA_MIRROR=mirror,
            PYPI_MIRROR=f"{mirror}/no-index/",
        )
    )

    assert f"the package index is not reachable: {mirror}/no-index/: HTTP 404" in line


def test_a_server_that_refuses_head_is_asked_for_one_byte() -> None:
    """Some mirrors refuse HEAD (405): the probe retries with a one-byte ranged GET."""
    seen: list[tuple[str, str | None]] = []

    class NoHead(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            seen.append(("HEAD", None))
            self.send_response(405)
            self.end_headers()

        def do_GET(self) -> None:
            seen.append(("GET", self.headers.get("Range")))
            self.send_response(206)
            self.send_header("Content-Range", "bytes 0-0/10")
            self.send_header("Content-Length", "1")
            self.end_headers()
            self.wfile.write(b"{")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NoHead)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        problem = reachable(f"http://127.0.0.1:{server.server_address[1]}/repodata.json", 5)
    finally:
        server.shutdown()
        server.server_close()

    assert problem is None
    assert seen == [("HEAD", None), ("GET", "bytes=0-0")]


def test_the_world_reads_its_settings_from_the_environment() -> None:
    """DOCKER may be a command with arguments; mirrors replace the public URLs."""
    world = World.from_environ(
        {"DOCKER": "sudo docker", "CONDA_MIRROR": "http://m/conda/", "PYPI_MIRROR": "http://m/s/"},
        project=REPO_ROOT,
    )

    assert world.docker == ("sudo", "docker")
    assert world.conda_probe_url == "http://m/conda/conda-forge/noarch/repodata.json"
    assert world.pypi_url == "http://m/s/"
    assert (
        world.runtime_base_image
        == dockerfile_arg_defaults(REPO_ROOT / "Dockerfile")["RUNTIME_BASE_IMAGE"]
    )


# ---------------------------------------------------------------- a run, with stand-ins
@pytest.fixture
def small_project(tmp_path: Path) -> Path:
    project = tmp_path / "user-project"
    (project / "src" / "pkg").mkdir(parents=True)
    (project / "Makefile").write_text("# stand-in: make is a stand-in too\n")
    (project / "src" / "pkg" / "mod.py").write_text("VALUE = 1\n")
    (project / "conda-linux-64.lock").write_text("@EXPLICIT\n")
    (project / "poetry.lock").write_text("# lock\n")
    return project


def test_a_failing_step_stops_the_run_and_make_clean_still_runs(
    standins, tmp_path, mirror, small_project
) -> None:
    """Settings reach every make call, IMAGE is the run's own, and clean runs after a failure."""
    docker = standins.docker()

    result = run_e2e(
        standins,
        tmp_path,
        "--project",
        str(small_project),
        DOCKER=str(docker),
        CONDA_MIRROR=mirror,
        PYPI_MIRROR=f"{mirror}/simple/",
        BUILD_FLAGS="--platform linux/amd64",
        RUN_FLAGS="--network host",
        CONDA_PLATFORMS="linux-64",
        MAKEFLAGS="-j9 -- IMAGE=the-users-own",
    )

    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "2 passed, 1 failed, 0 skipped"
    assert re.match(
        rf"\[ 1/{TOTAL}\] copy the project, without lockfiles \.\.\. ok \d+\.\ds", lines[2]
    )
    assert re.match(rf"\[ 2/{TOTAL}\] make build .* \.\.\. FAILED \d+\.\ds$", lines[3])
    assert "    | stand-in make: the build failed here" in lines
    assert any(re.match(rf"\[ 3/{TOTAL}\] make env-check \.\.\. not run$", line) for line in lines)
    assert any(
        re.match(rf"\[{TOTAL}/{TOTAL}\] make clean removes the images \.\.\. ok", line)
        for line in lines
    )

    build, clean = standins.make_calls()
    image = re.search(r"\bIMAGE=(e2e-[0-9a-f]{8}) ", build)
    assert image is not None
    assert build.startswith("--no-print-directory build ")
    assert clean.startswith("--no-print-directory clean ")
    assert f"IMAGE={image.group(1)} " in clean
    for setting in (
        f"CONDA_MIRROR={mirror} ",
        "RUN_FLAGS=--network host ",
        "CONDA_PLATFORMS=linux-64 ",
        f"DOCKER={docker} ",
        "BUILD_FLAGS=--platform linux/amd64 --progress=plain ",
        f"CACHE_VOLUME={image.group(1)}-lockstep-cache ",
    ):
        assert setting in build
        assert setting in clean
    assert build.endswith("| MAKEFLAGS=")  # a parent make's flags do not leak in
    assert f"image inspect {image.group(1)}:latest" in standins.docker_calls()


def test_keep_leaves_the_copy_and_the_images(standins, tmp_path, mirror, small_project) -> None:
    """--keep: no clean; the copy stays, without its lockfiles, and the way to clean is printed."""
    docker = standins.docker()

    result = run_e2e(
        standins,
        tmp_path,
        "--keep",
        "--project",
        str(small_project),
        DOCKER=str(docker),
        CONDA_MIRROR=mirror,
        PYPI_MIRROR=f"{mirror}/simple/",
    )

    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == "1 passed, 1 failed, 0 skipped"
    assert [call.split()[1] for call in standins.make_calls()] == ["build"]
    (copy,) = tmp_path.glob("envreport-e2e-*/project")
    assert sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()) == [
        "Makefile",
        "src/pkg/mod.py",
    ]
    assert f"make -C {copy} clean IMAGE=e2e-" in result.stdout


# ---------------------------------------------------------------- the steps
def test_the_step_list_holds_every_command_of_the_card() -> None:
    """--list prints the steps in order, numbered, from the copy to `make clean`."""
    result = subprocess.run(
        [sys.executable, str(E2E), "--list"], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0
    lines = result.stdout.splitlines()
    expected = [
        "copy the project, without lockfiles",
        "make build (no lockfiles: bootstraps them)",
        "make env-check",
        "make run (the image's default: python -m envreport)",
        "make run CMD=\"python -c 'import numpy, envreport; print(numpy.__version__)'\"",
        'make run CMD="id -u"',
        "make shell, a command on stdin",
        "make shell in a terminal (pty)",
        "make test-image",
        "make doctor",
        "make sbom: the image holds what the SBOM lists",
        "make build REPRODUCIBLE=1 twice, --no-cache: one runtime image ID",
        "edit src/, make build: environment layers CACHED, project rebuilt",
        '"tabulate>=0.9" to [project].dependencies: make env-check names poetry.lock',
        "make env-update, make build, make run CMD=\"python -c 'import tabulate'\"",
        "files in the project belong to you",
        "make clean removes the images",
    ]
    assert len(lines) == len(expected)
    for number, (line, fragment) in enumerate(zip(lines, expected, strict=True), start=1):
        assert line.startswith(f"[{number:>2}/{TOTAL}] ")
        assert fragment in line


def test_help_names_the_options_and_every_setting() -> None:
    """--help is a short usage with the options and the settings it passes through."""
    result = subprocess.run(
        [sys.executable, str(E2E), "--help"], capture_output=True, text=True, check=False
    )

    assert result.returncode == 0
    for word in ("--keep", "--project", *e2e.PASSED_THROUGH, "BUILD_FLAGS", "E2E_TIMEOUT"):
        assert word in result.stdout


def test_the_suite_is_not_collected_by_pytest() -> None:
    """`make test` must not run the suite: no file under tests/e2e/ has a pytest test name."""
    names = [path.name for path in (REPO_ROOT / "tests" / "e2e").glob("*.py")]

    assert "e2e.py" in names
    assert not [name for name in names if name.startswith("test_") or name.endswith("_test.py")]


def test_the_report_and_doctor_tables_are_read_as_printed() -> None:
    """The suite reads the tables envreport and lockstep doctor really print."""
    report = render(
        EnvironmentReport(
            python="3.12.7",
            platform="linux-x86_64",
            dependencies=(
                DependencyStatus("numpy", "2.1.3", "conda"),
                DependencyStatus("packaging", "24.2", "pip"),
            ),
        )
    )
    doctor = render_table(
        [
            DoctorRow("numpy", "2.1.3", "conda", "2.1.3"),
            DoctorRow("packaging", "24.2", "pip", ""),
        ],
        pins_known=True,
    )

    rows = e2e.table_rows(f"docker run ...\n{report}\n", ("dependency", "version", "installer"))
    assert rows["numpy"] == ["2.1.3", "conda"]
    assert rows["packaging"] == ["24.2", "pip"]
    doctor_rows = e2e.table_rows(doctor, ("name", "version", "installer"))
    assert doctor_rows["numpy"][:2] == ["2.1.3", "conda"]


def test_a_dependency_is_added_where_a_user_adds_it(tmp_path) -> None:
    """The edit lands in [project].dependencies of the real pyproject.toml; the rest is kept."""
    pyproject = tmp_path / "pyproject.toml"
    original = (REPO_ROOT / "pyproject.toml").read_text()
    pyproject.write_text(original)

    e2e.add_project_dependency(pyproject, e2e.ADDED_DEPENDENCY)

    data = tomllib.loads(pyproject.read_text())
    before = tomllib.loads(original)
    assert data["project"]["dependencies"] == ["tabulate>=0.9", *before["project"]["dependencies"]]
    assert {k: v for k, v in data.items() if k != "project"} == {
        k: v for k, v in before.items() if k != "project"
    }


def test_the_locked_platforms_come_from_environment_yml() -> None:
    """Without CONDA_PLATFORMS the platforms are environment.yml's, block or flow style."""
    assert e2e.yaml_platforms((REPO_ROOT / "environment.yml").read_text()) == [
        "linux-64",
        "linux-aarch64",
    ]
    assert e2e.yaml_platforms("name: x\nplatforms: [linux-64, osx-arm64]  # two\n") == [
        "linux-64",
        "osx-arm64",
    ]
    assert e2e.yaml_platforms("name: x\ndependencies:\n  - python\n") == []


def test_a_terminal_is_a_terminal_and_typing_waits_for_the_prompt(tmp_path) -> None:
    """Under the pseudo-terminal `[ -t 0 ]` holds (make adds --tty) and typed input arrives."""
    script = '[ -t 0 ] && echo stdin-is-a-tty; printf "ready> "; read -r line; echo "got:$line"'

    code, output = e2e.run_in_pty(
        ["sh", "-c", script],
        cwd=tmp_path,
        env=os.environ,
        typed=b"hello\r",
        wait_for=b"ready> ",
        timeout=30,
    )

    lines = e2e.output_lines(output.decode())
    assert code == 0
    assert "stdin-is-a-tty" in lines
    assert "got:hello" in lines


def test_an_interactive_bash_is_read_as_its_terminal_shows_it(tmp_path) -> None:
    """A real interactive bash (prompt, bracketed paste, CR LF): its answer is one clean line."""
    bash = shutil.which("bash")
    assert bash is not None
    environ = {"PATH": os.environ["PATH"], "TERM": "xterm", "PS1": "(/opt/env) $ "}

    code, output = e2e.run_in_pty(
        [bash, "--norc", "--noprofile", "-i"],
        cwd=tmp_path,
        env=environ,
        typed=b"command -v sh; exit\r",
        wait_for=b"(/opt/env)",
        timeout=30,
    )

    lines = e2e.output_lines(output.decode())
    assert code == 0
    assert shutil.which("sh") in lines
    assert any(line.startswith("(/opt/env) $ command -v sh; exit") for line in lines)


# ---------------------------------------------------------------- the copy
@pytest.fixture
def user_tree(tmp_path: Path) -> Path:
    """A project as a user has it: tracked and untracked files, ignored ones, lockfiles."""
    project = tmp_path / "tree"
    files = {
        ".gitignore": "/.venvs/\n__pycache__/\nbuild-output.log\n",
        "Makefile": "all:\n",
        "src/pkg/mod.py": "VALUE = 1\n",
        "conda-linux-64.lock": "@EXPLICIT\n",
        "poetry.lock": "# lock\n",
        "tests/data/pair/conda-linux-64.lock": "@EXPLICIT\n",
        "notes.txt": "untracked, not ignored\n",
        ".venvs/test/bin/python": "",
        "src/pkg/__pycache__/mod.cpython-311.pyc": "",
        "build-output.log": "ignored\n",
    }
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    git = ["git", "-C", str(project)]
    subprocess.run([*git, "init", "-q"], check=True)
    tracked = [".gitignore", "Makefile", "src/pkg/mod.py", "conda-linux-64.lock"]
    subprocess.run([*git, "add", *tracked, "tests/data/pair/conda-linux-64.lock"], check=True)
    return project


def copied_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir())


def test_the_copy_takes_what_git_would_and_drops_the_lockfiles(user_tree, tmp_path) -> None:
    """Tracked and untracked-not-ignored files; no .git, .venvs, caches, ignored ones, lockfiles."""
    destination = tmp_path / "copy"

    copied = copy_project(user_tree, destination)

    assert copied_files(destination) == [
        ".gitignore",
        "Makefile",
        "notes.txt",
        "src/pkg/mod.py",
        "tests/data/pair/conda-linux-64.lock",
    ]
    assert sorted(path.as_posix() for path in copied) == copied_files(destination)


def test_without_git_the_copy_leaves_out_git_venvs_and_caches(user_tree, tmp_path) -> None:
    """No git: a plain copy without .git, .venvs and caches; the lockfiles are still dropped."""
    destination = tmp_path / "copy"

    copy_project(user_tree, destination, git=None)

    files = copied_files(destination)
    assert not [name for name in files if name.startswith((".git/", ".venvs/"))]
    assert not [name for name in files if "__pycache__" in name]
    assert "conda-linux-64.lock" not in files
    assert "poetry.lock" not in files
    assert {
        "Makefile",
        "notes.txt",
        "src/pkg/mod.py",
        "tests/data/pair/conda-linux-64.lock",
    } <= set(files)


# ---------------------------------------------------------------- the BuildKit parser
def test_cached_steps_of_a_real_multistage_build_are_read() -> None:
    """`#N [stage i/n] RUN ...` titles with `#N CACHED`, including a RUN --mount=type=cache."""
    steps = parse_plain_progress(MULTISTAGE.read_text())

    cached = {(step.stage, step.index) for step in steps if step.cached}
    ran = {(step.stage, step.index) for step in steps if step.ran}
    assert cached == {
        ("frontend-builder", 2),
        ("stage-1", 2),
        ("stage-1", 3),
        ("stage-1", 4),
        ("stage-1", 5),
        ("stage-1", 6),
    }
    assert ran == {
        ("frontend-builder", 1),
        ("frontend-builder", 3),
        ("frontend-builder", 4),
        ("frontend-builder", 5),
        ("stage-1", 1),
        ("stage-1", 7),
    }
    (pip,) = steps_matching(steps, "--mount=type=cache,target=/root/.cache/pip pip install")
    assert pip.cached
    assert (pip.vertex, pip.stage, pip.index, pip.total) == (12, "stage-1", 5, 8)
    assert pip.instruction.startswith("RUN --mount=type=cache,target=/root/.cache/pip")


def test_a_vertex_titled_twice_or_resumed_is_one_step() -> None:
    """A title printed again (#7) or a vertex resumed after `#N ...` (#14) counts once."""
    steps = parse_plain_progress(MULTISTAGE.read_text())

    assert [step.vertex for step in steps] == list(range(6, 18))
    (copy_all,) = steps_matching(steps, "COPY . .")
    assert copy_all.status == "DONE"


def test_a_step_whose_log_stops_early_is_neither_cached_nor_ran() -> None:
    """A log that ends before DONE or CACHED says nothing about that step."""
    steps = parse_plain_progress(CACHE_IMPORT.read_text())

    assert [(step.instruction, step.status) for step in steps] == [
        ("WORKDIR /workspace", "CACHED"),
        ("COPY go.mod go.sum ./", "CACHED"),
        ("RUN go mod download", "UNFINISHED"),
    ]
    assert [step.stage for step in steps] == ["build", "build", "build"]


def test_several_builds_in_one_output_are_kept_apart() -> None:
    """`make build` runs several builds; vertex numbers restart at #1 in each."""
    text = MULTISTAGE.read_text()
    without_banner = "\n".join(line for line in text.splitlines() if not line.startswith("#0 "))

    for joined in (text + text, without_banner + "\n" + without_banner):
        steps = parse_plain_progress(joined)
        first = [step for step in steps if step.build == steps[0].build]
        second = [step for step in steps if step.build != steps[0].build]
        assert len(first) == len(second) == 12
        assert [s.status for s in first] == [s.status for s in second]


def test_the_needles_name_the_dockerfiles_steps() -> None:
    """Every step the cache check looks for is a step of the Dockerfile, ARGs expanded.

    BuildKit names a COPY step with its ARGs expanded (`/opt/env`, not `${ENV_PREFIX}`).
    """
    text = (REPO_ROOT / "Dockerfile").read_text()
    for name, value in dockerfile_arg_defaults(REPO_ROOT / "Dockerfile").items():
        text = text.replace("${" + name + "}", value)
    dockerfile = " ".join(text.split())

    for _, needle in (*e2e.ENVIRONMENT_LAYERS, *e2e.PROJECT_LAYERS):
        assert " ".join(needle.split()) in dockerfile


REPRO_MAKE = """#!/bin/sh
echo "$*" >> "{log}"
{answer}
"""
# A docker whose `image inspect` answers the next ID of the list, one per call.
IDS_DOCKER = """#!/bin/sh
count=$(cat "{counter}" 2>/dev/null || echo 0); echo $((count + 1)) > "{counter}"
case "$count" in 0) echo "{first}" ;; *) echo "{second}" ;; esac
"""
REFUSAL_LINE = (
    "make: REPRODUCIBLE=1 needs BuildKit 0.13 or newer (Docker Engine 26+, or BUILDER= a buildx"
    " builder running moby/buildkit v0.13+); this builder's BuildKit is 0.8.2"
)


def reproducible_session(tmp_path: Path, make_answer: str, first: str, second: str) -> e2e.Session:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "make").write_text(
        REPRO_MAKE.format(log=tmp_path / "make-calls", answer=make_answer)
    )
    (bin_dir / "docker").write_text(
        IDS_DOCKER.format(counter=tmp_path / "count", first=first, second=second)
    )
    for script in bin_dir.iterdir():
        script.chmod(0o755)
    session = e2e.Session(
        project=tmp_path,
        scratch=tmp_path / "scratch",
        environ={"PATH": f"{bin_dir}:/usr/bin:/bin", "DOCKER": str(bin_dir / "docker")},
    )
    session.copy.mkdir(parents=True)
    return session


def test_the_reproducible_step_is_skipped_with_makes_refusal(tmp_path: Path) -> None:
    """Where make refuses REPRODUCIBLE=1 (the builder's BuildKit), the step says why, skipped."""
    session = reproducible_session(tmp_path, f'echo "{REFUSAL_LINE}" >&2; exit 2', "a", "a")

    with pytest.raises(e2e.StepSkipped, match=re.escape("this builder's BuildKit is 0.8.2")):
        e2e.step_reproducible(session)


def test_the_reproducible_step_builds_twice_without_cache_and_compares(tmp_path: Path) -> None:
    """Two builds, --no-cache and one SOURCE_DATE_EPOCH each; one ID passes, two fail."""
    same = reproducible_session(tmp_path / "same", "exit 0", "sha256:aaa", "sha256:aaa")
    assert "sha256:aaa" in e2e.step_reproducible(same)
    calls = (tmp_path / "same" / "make-calls").read_text().splitlines()
    assert len(calls) == 2
    for call in calls:
        assert " REPRODUCIBLE=1 " in f" {call} "
        assert "BUILD_FLAGS=--progress=plain --no-cache" in call
        assert re.search(r"SOURCE_DATE_EPOCH=\d+", call)
        assert call.count("BUILD_FLAGS=") == 1

    other = reproducible_session(tmp_path / "other", "exit 0", "sha256:aaa", "sha256:bbb")
    with pytest.raises(e2e.StepFailed, match="two runtime images: sha256:aaa and sha256:bbb"):
        e2e.step_reproducible(other)
