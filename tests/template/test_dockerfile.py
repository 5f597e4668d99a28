"""The Dockerfile's structure, parsed with dockerfile-parse, and hadolint/shellcheck on it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from dockerfile_parse import DockerfileParser
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from lockstep.shared.toml_reader import tomllib
from tests.template.make import REPO_ROOT, run_tool


def stages() -> dict[str, list[dict[str, Any]]]:
    """Instructions grouped by stage name, in file order."""
    parser = DockerfileParser(path=str(REPO_ROOT / "Dockerfile"))
    grouped: dict[str, list[dict[str, Any]]] = {}
    current = None
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            current = instruction["value"].split()[-1]
            grouped[current] = []
        if current is not None:
            grouped[current].append(instruction)
    return grouped


def values(stage: str, instruction: str) -> list[str]:
    return [i["value"] for i in stages()[stage] if i["instruction"] == instruction]


def test_stages_in_order_runtime_last() -> None:
    """The stages, runtime last (what a plain `docker build .` builds)."""
    assert list(stages()) == [
        "tools",
        "requirements",
        "wheels",
        "deps",
        "env",
        "sbom",
        "dev",
        "runtime",
    ]


def test_tools_copies_no_project_file() -> None:
    """The tools stage copies only lockstep and its own scripts: it builds before any lockfile."""
    copies = values("tools", "COPY")
    assert copies == [
        "--chmod=755 docker/_configure_mirrors.sh /usr/local/bin/",
        "scripts/lockstep/src/lockstep /opt/lockstep-prefix/lockstep",
    ]


def test_lockstep_on_pythonpath_is_the_package_alone() -> None:
    """What the image puts on PYTHONPATH holds lockstep's package only, no build's egg-info.

    lockstep is installed from a bind mount (its build's files are thrown away), and
    `verify` runs from a copy of `src/lockstep` alone: v1 copied the whole project and
    `pip check` then saw `lockstep.egg-info` with requirements the prefix lacks.
    """
    text = (REPO_ROOT / "Dockerfile").read_text()
    assert set(re.findall(r"PYTHONPATH=(\S+)", text)) == {"/opt/lockstep-prefix"}
    assert "--mount=type=bind,source=scripts/lockstep,target=/tmp/lockstep-src,rw" in text
    assert "COPY scripts/lockstep " not in text


def test_every_tool_is_installed_from_its_pin_file() -> None:
    """Each pip install of the tools stage is pinned by constraints.txt, poetry.txt or uv.txt, and
    lockstep's build backend too: it is installed from constraints.txt before lockstep is
    built without build isolation (which would fetch the newest setuptools)."""
    (run,) = [value for value in values("tools", "RUN") if "/opt/lockstep" in value]
    installs = [part.strip() for part in run.split("&&") if "pip install " in part]
    assert installs
    for install in installs:
        assert re.search(
            r"--(constraint|requirement) /tmp/lockstep-src/(constraints|poetry|uv)\.txt", install
        ), install
    (build,) = [install for install in installs if install.endswith(" /tmp/lockstep-src")]
    assert "--no-build-isolation" in build
    backend_first = installs[: installs.index(build)]
    lockstep = tomllib.loads((REPO_ROOT / "scripts/lockstep/pyproject.toml").read_text())
    constraints = {
        canonicalize_name(requirement.name): requirement.specifier
        for line in (REPO_ROOT / "scripts/lockstep/constraints.txt").read_text().splitlines()
        if line and not line.startswith((" ", "#"))
        for requirement in [Requirement(line.split(" ;")[0])]
    }
    for required in map(Requirement, lockstep["build-system"]["requires"]):
        name = canonicalize_name(required.name)
        assert any(install.endswith(f" {required.name}") for install in backend_first), name
        (pinned,) = [spec.version for spec in constraints[name] if spec.operator == "=="]
        assert required.specifier.contains(pinned), (name, pinned)


def test_dependencies_come_before_sources() -> None:
    """deps installs from lockfiles and exported requirements only; src/ reaches no deps layer."""
    deps = " ".join(values("deps", "COPY"))
    assert "conda-*.lock" in deps
    assert "--from=requirements /requirements/main.txt" in deps
    assert "src" not in deps.split() and "pyproject.toml" not in deps
    for stage in ("requirements",):
        assert not any(value.startswith("src ") for value in values(stage, "COPY"))


def test_the_project_is_built_without_fetching_a_backend() -> None:
    """uv installs only prebuilt wheels from the wheels stage (--no-index): no build isolation."""
    dev_installs = [v for v in values("dev", "RUN") if "/wheels/" in v]
    assert dev_installs
    for value in dev_installs:
        assert "_install_requirements.sh" in value and "--no-index" in value, value
    requirements_script = (REPO_ROOT / "docker" / "_install_requirements.sh").read_text()
    assert "--no-deps --require-hashes" in requirements_script
    assert any("_install_project.sh /wheels/wheel" in v for v in values("env", "RUN"))
    script = (REPO_ROOT / "docker" / "_install_project.sh").read_text()
    assert "--no-deps --no-index --require-hashes" in script
    assert values("wheels", "RUN") == [
        "/opt/poetry/bin/python /usr/local/bin/_build_wheels.py /project /wheels"
    ]


def test_env_and_dev_end_by_verifying_the_prefix() -> None:
    """The last RUN of env and of dev is `lockstep verify` on the environment."""
    for stage in ("env", "dev"):
        runs = [v for v in values(stage, "RUN") if "--mount" in v or "pip" in v]
        assert "-m lockstep verify" in runs[-1], stage


def test_dev_installs_its_group_before_the_sources() -> None:
    """In dev, an edit of src/ reruns only what follows `COPY src`: not the dev group."""
    dev = [(i["instruction"], i["value"]) for i in stages()["dev"]]
    group = next(n for n, (kind, value) in enumerate(dev) if "dev.txt" in value and kind == "RUN")
    sources = next(n for n, (kind, value) in enumerate(dev) if value.startswith("src "))
    assert group < sources


def test_package_caches_are_cache_mounts() -> None:
    """Every micromamba and pip install step uses a BuildKit cache mount."""
    for name in ("tools", "deps", "dev"):
        for instruction in stages()[name]:
            value = instruction["value"]
            downloads = ("micromamba", "_install_conda_env", "_install_requirements", "pip install")
            if instruction["instruction"] == "RUN" and any(word in value for word in downloads):
                assert "--mount=type=cache" in value or "--no-index" in value, value


def test_cache_mounts_are_where_the_tools_cache() -> None:
    """In env and dev, cache mounts sit where XDG_CACHE_HOME, CONDA_PKGS_DIRS and
    UV_CACHE_DIR point."""
    tools_env = " ".join(i["value"] for i in stages()["tools"] if i["instruction"] == "ENV")
    assert "XDG_CACHE_HOME=/cache" in tools_env
    assert "CONDA_PKGS_DIRS=/cache/conda-pkgs" in tools_env
    assert "UV_CACHE_DIR=/cache/uv" in tools_env
    for name in ("deps", "env", "dev"):
        for instruction in stages()[name]:
            targets = re.findall(r"--mount=type=cache,target=([^, ]+)", instruction["value"])
            assert set(targets) <= {"/cache/uv", "/cache/conda-pkgs"}, instruction["value"]


def test_runtime_is_slim_non_root_and_has_no_conda_tooling() -> None:
    """The runtime copies the environment, the project's files and the activation script only."""
    runtime = stages()["runtime"]
    text = " ".join(i["value"] for i in runtime if i["instruction"] != "COMMENT")
    assert values("runtime", "USER") == ["${APP_UID}"]
    for tool in ("micromamba", "poetry", "conda-lock", "/opt/lockstep", "/opt/tools-python"):
        assert tool not in text
    assert [v for v in values("runtime", "COPY") if "--from=" in v] == [
        "--from=deps ${ENV_PREFIX} ${ENV_PREFIX}",
        "--from=deps /usr/local/bin/_activate_env.sh /usr/local/bin/",
        "--from=sbom /sbom/cyclonedx.json /opt/sbom/cyclonedx.json",
        "--from=env /opt/project/ ${ENV_PREFIX}/",
    ]
    assert values("runtime", "ENTRYPOINT") == ['["/usr/local/bin/_env_entrypoint.sh"]']


def test_the_projects_copy_is_the_runtimes_last_layer() -> None:
    """A source edit changes /opt/project only: every other runtime layer stays cached."""
    runtime = [(i["instruction"], i["value"]) for i in stages()["runtime"]]
    layers = [value for kind, value in runtime if kind in ("RUN", "COPY", "ADD")]
    assert layers[-1] == "--from=env /opt/project/ ${ENV_PREFIX}/"


def test_revision_and_digests_come_after_every_layer() -> None:
    """REVISION and LOCKFILE_DIGESTS change on every commit: declared last, they rerun nothing."""
    runtime = [(i["instruction"], i["value"]) for i in stages()["runtime"]]
    labels = next(n for n, (kind, _) in enumerate(runtime) if kind == "LABEL")
    declared = [
        n
        for n, (kind, value) in enumerate(runtime)
        if kind == "ARG" and (value.startswith(("REVISION", "LOCKFILE_DIGESTS")))
    ]
    layers = [n for n, (kind, _) in enumerate(runtime) if kind in ("RUN", "COPY")]
    assert declared and min(declared) > max(layers)
    assert "org.opencontainers.image.revision" in runtime[labels][1]
    assert "LOCKFILE_DIGESTS" in runtime[labels][1]


def test_versions_are_set_once_before_the_first_from() -> None:
    """Base images and mirrors are ARGs before the first FROM; tool versions are not repeated."""
    text = (REPO_ROOT / "Dockerfile").read_text()
    head = text[: text.index("\nFROM ")]
    # A tag, optionally pinned by digest (`make pin-base-images`).
    digest = r"(@sha256:[0-9a-f]{64})?$"
    assert re.search(
        r"^ARG MICROMAMBA_IMAGE=mambaorg/micromamba:2\.5\.0-debian12-slim" + digest, head, re.M
    )
    assert re.search(r"^ARG RUNTIME_BASE_IMAGE=debian:12-slim" + digest, head, re.M)
    assert "ARG CONDA_MIRROR=" in head and "ARG PYPI_MIRROR=" in head
    assert "poetry==" not in text and "conda-lock==" not in text


def test_hadolint_is_clean() -> None:
    """hadolint (pinned in requirements/test.txt) finds nothing in the Dockerfile."""
    result = run_tool("hadolint", "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", sorted(p.name for p in (REPO_ROOT / "docker").glob("*.sh")))
def test_shellcheck_is_clean(script: str) -> None:
    """shellcheck finds nothing in the image's shell scripts."""
    result = run_tool("shellcheck", f"docker/{script}")
    assert result.returncode == 0, result.stdout + result.stderr
