"""The Makefile: its menu, and what each Docker target would run (`make -n`, no engine needed)."""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

import pytest

from tests.template.make import REPO_ROOT, make, make_alone, user_environment

DOCKER_TARGETS = [
    "build",
    "env-bootstrap",
    "env-update",
    "env-upgrade",
    "env-check",
    "env-import",
    "shell",
    "run",
    "test-image",
    "doctor",
    "clean",
]


def rule_targets() -> set[str]:
    text = (REPO_ROOT / "Makefile").read_text()
    return {
        match
        for match in re.findall(r"^([a-z][a-z0-9-]*):", text, flags=re.MULTILINE)
        if not match.startswith(".")
    }


def test_help_is_the_default_and_lists_every_target() -> None:
    """`make` alone prints the menu, and no public target is missing from it."""
    result = make()

    assert result.returncode == 0
    menu = result.stdout.split("Settings (default in brackets):\n")[0]
    listed = {line.split()[0] for line in menu.splitlines() if line.startswith("  ")}
    assert listed == rule_targets()
    titles = [line for line in menu.splitlines() if line.endswith(":")]
    assert titles == [
        "Daily work:",
        "Locks:",
        "Images:",
        "This template's own checks:",
        "Starting a project:",
    ]
    assert set(DOCKER_TARGETS) <= listed
    assert {"help", "test"} <= listed


def dry_run(project: Path, target: str, *variables: str) -> list[str]:
    """The commands `make -n` prints, a backslash-continued command on one line, and each
    docker command of a line on its own (the timed builds wrap it in `echo ...; ...;`)."""
    result = make("-n", target, *variables, cwd=project)
    assert result.returncode == 0, result.stderr
    joined = result.stdout.replace("\\\n", " ")
    commands: list[str] = []
    for line in joined.splitlines():
        parts = line.split("; ")
        docker = [
            part for part in parts if part.lstrip().startswith(("docker ", "DOCKER_BUILDKIT"))
        ]
        commands.extend(" ".join(part.split()) for part in (docker or [line]))
    return commands


def test_env_update_runs_lockstep_in_the_tools_stage_as_the_host_user(project: Path) -> None:
    """It builds the tools stage only, then runs lockstep lock with project and cache mounted."""
    lines = dry_run(project, "env-update")

    builds = [line for line in lines if " build " in line]
    assert builds == [
        "DOCKER_BUILDKIT=1 docker build --target tools --tag envreport-tools:latest ."
    ]
    (run,) = [line for line in lines if " run " in line]
    assert '--user "$(id -u):$(id -g)"' in run
    assert f'--volume "{project}:/project"' in run
    assert '--volume "envreport-lockstep-cache:/cache"' in run
    assert run.endswith("envreport-tools:latest lockstep lock --project /project")


def test_env_upgrade_and_check(project: Path) -> None:
    """env-upgrade passes --upgrade; env-check runs the offline check."""
    assert dry_run(project, "env-upgrade")[-1].endswith(
        "lockstep lock --upgrade --project /project"
    )
    assert dry_run(project, "env-check")[-1].endswith("lockstep check --project /project")


def test_env_import_runs_lockstep_import_in_the_tools_stage(project: Path) -> None:
    """env-import imports as the host user; FROM, a path in the project, is passed as the
    container sees it."""
    (project / "requirements").mkdir()
    (project / "requirements" / "base.txt").write_text("requests\n")

    (plain,) = [line for line in dry_run(project, "env-import") if " run " in line]
    (with_file,) = [
        line
        for line in dry_run(project, "env-import", "FROM=requirements/base.txt")
        if " run " in line
    ]

    assert '--user "$(id -u):$(id -g)"' in plain
    assert plain.endswith("envreport-tools:latest lockstep import --project /project")
    assert with_file.endswith(
        "lockstep import --project /project --from /project/requirements/base.txt"
    )


@pytest.mark.parametrize("outside", ["/etc/hostname", "../elsewhere.txt", "missing.txt"])
def test_env_import_refuses_a_file_the_container_cannot_see(project: Path, outside: str) -> None:
    """A FROM outside the project (or missing) is one line before any image is built."""
    result = make("env-import", f"FROM={outside}", "DOCKER=/nonexistent/docker", cwd=project)

    assert result.returncode != 0
    messages = [line for line in result.stderr.splitlines() if line.startswith("make: FROM")]
    assert messages == [
        f"make: FROM={outside} is not a file inside this project: copy it into the project"
        " and retry"
    ]


def test_build_without_lockfiles_bootstraps_first(project: Path) -> None:
    """With no lockfiles, build locks before checking and building."""
    lines = dry_run(project, "build")

    commands = [line for line in lines if line.startswith(("docker", "DOCKER_BUILDKIT"))]
    lock = next(i for i, line in enumerate(commands) if "lockstep lock" in line)
    check = next(i for i, line in enumerate(commands) if "lockstep check" in line)
    dev = next(i for i, line in enumerate(commands) if "--target dev" in line)
    assert lock < check < dev


def test_build_with_lockfiles_checks_then_builds_both_images(project: Path) -> None:
    """With lockfiles, build checks them (stopping if stale) and builds dev and runtime."""
    (project / "conda-linux-64.lock").write_text("x")
    (project / "poetry.lock").write_text("y")

    lines = dry_run(project, "build", "IMAGE=acme", "TAG=1.2")

    assert not any("lockstep lock" in line for line in lines)
    assert any(line.endswith("acme-tools:1.2 lockstep check --project /project") for line in lines)
    assert any("--target dev --tag acme-dev:1.2 ." in line for line in lines)
    (runtime,) = [line for line in lines if "--target runtime --tag acme:1.2" in line]
    assert "--build-arg LOCKFILE_DIGESTS=conda-linux-64.lock=sha256:" in runtime
    assert ",poetry.lock=sha256:" in runtime


def test_shell_run_test_image_doctor_and_clean(project: Path) -> None:
    """The other targets use the right image, mounts and variables."""
    (shell,) = [line for line in dry_run(project, "shell") if line.startswith("docker run")]
    assert shell.endswith("--workdir /project envreport-dev:latest bash")
    assert "--interactive" in shell  # `echo CMD | make shell` reaches the shell
    assert "--tty" not in shell  # no terminal under pytest
    assert '--user "$(id -u):$(id -g)" --env HOME=/tmp' in shell
    assert f'--volume "{project}:/project"' in shell

    (run,) = [
        line for line in dry_run(project, "run", "CMD=python -V") if line.startswith("docker run")
    ]
    assert run.endswith("envreport:latest python -V")

    test_image = " ".join(dry_run(project, "test-image"))
    assert "envreport-dev:latest" in test_image
    assert "python -m pytest -p no:cacheprovider tests/envreport" in test_image
    # As you, and the project read-only: nothing in it can end up owned by root.
    assert '--user "$(id -u):$(id -g)" --env HOME=/tmp' in test_image
    assert f'--volume "{project}:/project:ro"' in test_image

    doctor = " ".join(dry_run(project, "doctor"))
    # The package alone: a checkout's lockstep.egg-info must not reach the prefix's python.
    assert (
        f'--volume "{project}/scripts/lockstep/src/lockstep:/opt/lockstep-prefix/lockstep:ro"'
        in doctor
    )
    assert "--env PYTHONPATH=/opt/lockstep-prefix" in doctor
    # The runtime's own non-root user, and every mount read-only.
    mounts = re.findall(r'--volume "[^"]*"', doctor)
    assert mounts and all(mount.endswith(':ro"') for mount in mounts)
    assert "--user" not in doctor
    assert "envreport:latest python -m lockstep doctor /opt/env --project /project" in doctor

    clean = " ".join(dry_run(project, "clean"))
    assert "for image in envreport:latest envreport-dev:latest envreport-tools:latest" in clean
    assert "volume rm --force envreport-lockstep-cache" in clean


@pytest.mark.parametrize("target", DOCKER_TARGETS)
def test_without_docker_every_docker_target_stops_with_one_line(project: Path, target: str) -> None:
    """With no docker binary, each Docker target fails with one line saying what to install."""
    result = make(target, "DOCKER=/nonexistent/docker", cwd=project)

    assert result.returncode != 0
    messages = [line for line in result.stderr.splitlines() if line.startswith("make: '")]
    assert messages == [
        "make: '/nonexistent/docker' not found: install Docker "
        "(https://docs.docker.com/get-docker/) and retry"
    ]


def test_a_daemon_that_does_not_answer_stops_with_one_line(project: Path, tmp_path: Path) -> None:
    """With a docker client whose daemon is down, build stops before any docker build.

    The client is a stand-in script at the process boundary: `info` fails, anything else is logged.
    """
    log = tmp_path / "docker-calls"
    fake = tmp_path / "docker"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {log}\n[ "$1" = info ] && exit 1\nexit 0\n')
    fake.chmod(0o755)

    result = make("build", f"DOCKER={fake}", cwd=project)

    assert result.returncode != 0
    assert "the Docker daemon does not answer" in result.stderr
    assert log.read_text().splitlines() == ["info"]


def test_a_second_make_test_reinstalls_nothing() -> None:
    """With no pin file changed, both test environments are up to date (`make -q` says so)."""
    stamps = [
        ".venvs/test/.installed",
        ".venvs/test/.example-installed",
        ".venvs/poetry/.installed",
    ]
    if not all((REPO_ROOT / stamp).exists() for stamp in stamps):
        pytest.skip("the environments exist only under `make test`")

    assert make("-q", *stamps).returncode == 0


def test_the_suite_caches_bytecode_in_the_repository_where_the_user_turned_it_off(
    tmp_path: Path,
) -> None:
    """Under PYTHONDONTWRITEBYTECODE=1, the environment `make test` runs pytest in and `make
    bench` runs the benchmark in writes bytecode, under .venvs/cache/pycache only (without it,
    each of the suite's Python processes compiled every module it imported, every run)."""
    rendered = {
        target: make("-n", target, PYTHONDONTWRITEBYTECODE="1").stdout.replace("\\\n", " ")
        for target in ("test", "bench")
    }
    (pytest_line,) = [line for line in rendered["test"].splitlines() if "bin/pytest " in line]
    (bench_line,) = [line for line in rendered["bench"].splitlines() if "bench_check.py" in line]
    environment = pytest_line.split(".venvs/test/bin/pytest")[0]
    assert bench_line.startswith(environment)
    module = tmp_path / "probe_module.py"
    module.write_text("")
    report = "import sys, probe_module; print(sys.dont_write_bytecode, sys.pycache_prefix)"

    result = subprocess.run(
        ["sh", "-c", f"{environment} python3 -c '{report}'"],
        cwd=tmp_path,
        env=user_environment(PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(tmp_path)),
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    cache = REPO_ROOT / ".venvs" / "cache" / "pycache"
    assert result.stdout == f"False {cache}\n"
    assert list((cache / tmp_path.relative_to("/")).glob("probe_module.*.pyc"))
    assert not (tmp_path / "__pycache__").exists()


def settings() -> set[str]:
    """The variables a user can set, as make itself decides: those the Makefile defines
    (make's own database) whose value comes from the environment when it sets one (`?=`)."""
    listing = make_alone("-pn", "help")
    assert listing.returncode == 0, listing.stderr
    database = listing.stdout.splitlines()
    defined = {
        following.split()[0]
        for line, following in itertools.pairwise(database)
        if line.startswith("# makefile (from 'Makefile'") and following[:1].isalpha()
    }
    names = sorted(name for name in defined if name.isupper() or "_" in name)
    probe = "print-origins: ; @echo " + " ".join(f"{name}=$(origin {name})" for name in names)
    printed = make_alone(
        "--eval", probe, "print-origins", preset=dict.fromkeys(names, "by-the-user")
    )
    assert printed.returncode == 0, printed.stderr
    origins = dict(pair.split("=", 1) for pair in printed.stdout.split())
    return {name for name, origin in origins.items() if origin == "environment"}


def test_help_lists_every_setting_with_a_description_and_default() -> None:
    """Every `NAME ?= default` a user may set is in the menu, described, with its default."""
    result = make()
    lines = result.stdout.split("Settings (default in brackets):\n")[1].splitlines()
    listed = {line.split()[0]: line for line in lines}

    assert set(listed) == settings()
    assert "IMAGE" in listed and "CONDA_MIRROR" in listed
    assert listed["IMAGE"].endswith("[envreport]")
    assert listed["TAG"].endswith("[latest]")
    for name, line in listed.items():
        description = line[len(name) :].rsplit("[", 1)[0].strip()
        assert description, name


def test_the_revision_label_says_when_the_tree_has_changes(project: Path) -> None:
    """The image's revision is the commit, marked -dirty when the tree differs from it."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run([*git, "add", "."], cwd=project, check=True)
    subprocess.run([*git, "commit", "-qm", "initial"], cwd=project, check=True)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True, check=True
    ).stdout.strip()

    def revision() -> str:
        (line,) = [line for line in dry_run(project, "build") if "--target runtime" in line]
        return re.search(r"--build-arg REVISION=(\S+)", line).group(1)  # type: ignore[union-attr]

    clean = revision()
    environment = (project / "environment.yml").read_text()
    (project / "environment.yml").write_text("# edited\n")
    edited = revision()
    (project / "environment.yml").write_text(environment)
    (project / "src").mkdir()
    (project / "src" / "new_module.py").write_text("")  # a new file the build copies
    added = revision()

    assert head.startswith(clean) and len(clean) >= 7
    assert edited == f"{clean}-dirty"
    assert added == f"{clean}-dirty"


def test_mirrors_and_base_images_reach_every_build(project: Path) -> None:
    """CONDA_MIRROR, PYPI_MIRROR and both base images are build arguments of each stage built."""
    settings = {
        "CONDA_MIRROR": "https://mirror.example/conda",
        "PYPI_MIRROR": "https://mirror.example/pypi/simple/",
        "MICROMAMBA_IMAGE": "registry.example/mambaorg/micromamba:2.5.0-debian12-slim",
        "RUNTIME_BASE_IMAGE": "registry.example/debian:12-slim",
    }
    lines = dry_run(project, "build", *(f"{name}={value}" for name, value in settings.items()))

    builds = [line for line in lines if " build " in line]
    assert len(builds) == 3  # tools, dev, runtime
    for build in builds:
        for name, value in settings.items():
            assert f"--build-arg {name}={value}" in build, (name, build)
    assert not any(
        "--build-arg" in line for line in dry_run(project, "build") if "--target dev" in line
    )


def test_push_of_one_platform_tags_and_pushes_the_built_image(project: Path) -> None:
    """Without DOCKER_PLATFORMS, push publishes the local runtime image as REGISTRY/IMAGE:TAG."""
    (project / "conda-linux-64.lock").write_text("x")
    (project / "poetry.lock").write_text("y")

    lines = dry_run(project, "push", "REGISTRY=ghcr.io/acme", "TAG=1.2")

    assert lines[-2:] == [
        "docker tag envreport:1.2 ghcr.io/acme/envreport:1.2",
        "docker push ghcr.io/acme/envreport:1.2",
    ]


def test_push_without_a_registry_says_how(project: Path) -> None:
    """`make push` with no REGISTRY stops with one line showing the setting, before it
    builds anything (a stand-in docker logs every call)."""
    (project / "conda-linux-64.lock").write_text("x")
    (project / "poetry.lock").write_text("y")
    log = project / "docker-calls"
    fake = project / "docker"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexit 0\n')
    fake.chmod(0o755)

    result = make("push", f"DOCKER={fake}", cwd=project)

    assert result.returncode != 0
    assert "make: set REGISTRY, e.g. make push REGISTRY=ghcr.io/acme" in result.stderr
    assert not log.exists()


def test_several_platforms_and_a_shared_cache_go_through_buildx(project: Path) -> None:
    """DOCKER_PLATFORMS builds the runtime for each through buildx; CACHE_REF gives each stage a
    registry cache of its own; BUILDER picks the builder; the local images are loaded."""
    (project / "conda-linux-64.lock").write_text("x")
    (project / "poetry.lock").write_text("y")
    settings = (
        "REGISTRY=ghcr.io/acme",
        "DOCKER_PLATFORMS=linux/amd64,linux/arm64",
        "CACHE_REF=ghcr.io/acme/envreport-cache",
        "BUILDER=remote",
    )

    lines = [line for line in dry_run(project, "push", *settings) if "buildx build" in line]

    ref = "type=registry,ref=ghcr.io/acme/envreport-cache:{0}"
    cache = f"--cache-from {ref} --cache-to {ref},mode=max"
    tools, dev, runtime, pushed = lines
    for line, stage in ((tools, "tools"), (dev, "dev"), (runtime, "runtime"), (pushed, "runtime")):
        assert line.startswith("docker buildx build --builder remote " + cache.format(stage))
    assert "--load --target tools" in tools and "--load --target dev" in dev
    assert "--platform linux/amd64,linux/arm64 --target runtime --tag envreport:latest" in runtime
    assert "--load" not in runtime
    assert "--platform linux/amd64,linux/arm64 --push --target runtime" in pushed
    assert "--tag ghcr.io/acme/envreport:latest" in pushed
    assert "--build-arg LOCKFILE_DIGESTS=conda-linux-64.lock=sha256:" in pushed


def test_plain_builds_need_no_buildx(project: Path) -> None:
    """Without those settings, builds stay `docker build` with BuildKit (Docker 20.10 works)."""
    lines = dry_run(project, "build")

    assert not any("buildx build" in line for line in lines)
    assert any(line.startswith("DOCKER_BUILDKIT=1 docker build") for line in lines)


def test_editing_pyproject_reinstalls_the_example_not_the_tooling() -> None:
    """pyproject.toml is a prerequisite of the example's install only, not of the tooling's."""
    assert "pyproject.toml" not in prerequisites(".venvs/test/.installed")
    assert "pyproject.toml" in prerequisites(".venvs/test/.example-installed")


def prerequisites(target: str) -> list[str]:
    """The prerequisites make's own database lists for `target`."""
    database = make("--print-data-base", "--question", "help").stdout
    for line in database.splitlines():
        if line.startswith(f"{target}:"):
            return line.split(":", 1)[1].split()
    raise AssertionError(f"{target} is not in make's database")


@pytest.mark.parametrize("target", ["shell", "run", "test-image", "jupyter"])
def test_gpu_1_gives_the_container_every_gpu(project: Path, target: str) -> None:
    """GPU=1 adds `--gpus all` to the containers running the project's code; without it, none."""
    with_gpu = [line for line in dry_run(project, target, "GPU=1") if "docker run" in line]
    without = [line for line in dry_run(project, target) if "docker run" in line]

    assert with_gpu and all("--gpus all" in line for line in with_gpu)
    assert without and not any("--gpus" in line for line in without)


@pytest.mark.parametrize("target", ["build", "env-update", "env-check", "env-import"])
def test_no_gpu_is_needed_to_lock_or_build(project: Path, target: str) -> None:
    """GPU=1 changes nothing of locking and building: no --gpus, no NVIDIA runtime probe."""
    assert dry_run(project, target, "GPU=1") == dry_run(project, target)
    assert not any("--gpus" in line or "nvidia" in line for line in dry_run(project, target))


def test_gpu_1_needs_nvidias_runtime(project: Path) -> None:
    """GPU=1 first asks the engine for the NVIDIA runtime."""
    assert any("nvidia" in line for line in dry_run(project, "run", "GPU=1"))
    assert not any("nvidia" in line for line in dry_run(project, "run"))


@pytest.mark.parametrize(
    ("old", "new", "target", "expected"),
    [
        ("LOCK_PLATFORMS=linux-64", "CONDA_PLATFORMS", "env-check", "LOCKSTEP_PLATFORMS=linux-64"),
        ("PLATFORMS=linux/arm64", "DOCKER_PLATFORMS", "build", "--platform linux/arm64 --target"),
    ],
)
def test_the_old_platform_settings_still_work_with_a_warning(
    project: Path, old: str, new: str, target: str, expected: str
) -> None:
    """LOCK_PLATFORMS and PLATFORMS, renamed, are still read for one release, said so."""
    (project / "conda-linux-64.lock").write_text("x")
    (project / "poetry.lock").write_text("y")

    result = make("-n", target, old, cwd=project)

    assert result.returncode == 0, result.stderr
    assert expected in result.stdout
    (warning,) = [line for line in result.stderr.splitlines() if "deprecated" in line]
    assert f"{old.partition('=')[0]} is deprecated: set {new} (" in warning
