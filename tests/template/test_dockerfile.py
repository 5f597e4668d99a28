"""The Dockerfile's structure, parsed with dockerfile-parse, and hadolint/shellcheck on it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from dockerfile_parse import DockerfileParser

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


def test_stages_in_order_runtime_last() -> None:
    """It has the stages tools, env, dev and runtime, runtime last."""
    assert list(stages()) == ["tools", "env", "dev", "runtime"]


def test_tools_copies_no_project_file() -> None:
    """The tools stage copies lockstep's own source only, so it builds before any lockfile."""
    copies = [i["value"] for i in stages()["tools"] if i["instruction"] == "COPY"]
    assert copies == ["scripts/lockstep /opt/lockstep-src"]


def test_env_copies_lockfiles_before_sources_and_verifies() -> None:
    """Lockfiles come before src/, and the last step verifies the prefix."""
    env = stages()["env"]
    copies = [i["value"] for i in env if i["instruction"] == "COPY"]
    lock_copy = next(n for n, value in enumerate(copies) if value.startswith("conda-*.lock"))
    poetry_copy = next(n for n, value in enumerate(copies) if "poetry.lock" in value)
    src_copy = next(n for n, value in enumerate(copies) if value.startswith("src "))
    assert lock_copy < poetry_copy < src_copy
    runs = [i["value"] for i in env if i["instruction"] == "RUN"]
    assert "-m lockstep verify" in runs[-1]


def test_package_caches_are_cache_mounts() -> None:
    """Every micromamba and pip install step uses a BuildKit cache mount."""
    for name in ("tools", "env", "dev"):
        for instruction in stages()[name]:
            value = instruction["value"]
            if instruction["instruction"] == "RUN" and ("micromamba" in value or "pip" in value):
                assert "--mount=type=cache" in value, value


def test_cache_mounts_are_where_the_tools_cache() -> None:
    """In env and dev, cache mounts sit where XDG_CACHE_HOME and CONDA_PKGS_DIRS point."""
    tools_env = " ".join(i["value"] for i in stages()["tools"] if i["instruction"] == "ENV")
    assert "XDG_CACHE_HOME=/cache" in tools_env
    assert "CONDA_PKGS_DIRS=/cache/conda-pkgs" in tools_env
    for name in ("env", "dev"):
        for instruction in stages()[name]:
            targets = re.findall(r"--mount=type=cache,target=([^, ]+)", instruction["value"])
            assert set(targets) <= {"/cache/pip", "/cache/conda-pkgs"}, instruction["value"]


def test_runtime_is_slim_non_root_and_has_no_package_manager() -> None:
    """The runtime stage copies only the environment and runs as a numeric non-root user."""
    runtime = stages()["runtime"]
    text = " ".join(i["value"] for i in runtime if i["instruction"] != "COMMENT")
    users = [i["value"] for i in runtime if i["instruction"] == "USER"]
    assert users == ["${APP_UID}"]
    for tool in ("micromamba", "poetry", "conda-lock", "lockstep-src", "/opt/tools-python"):
        assert tool not in text
    from_env = [
        i["value"] for i in runtime if i["instruction"] == "COPY" and "--from=env" in i["value"]
    ]
    assert from_env == [
        "--from=env ${ENV_PREFIX} ${ENV_PREFIX}",
        "--from=env /usr/local/bin/_activate_env.sh /usr/local/bin/",
    ]
    labels = " ".join(i["value"] for i in runtime if i["instruction"] == "LABEL")
    assert "org.opencontainers.image.revision" in labels
    assert "LOCKFILE_DIGESTS" in labels
    entrypoint = [i["value"] for i in runtime if i["instruction"] == "ENTRYPOINT"]
    assert entrypoint == ['["/usr/local/bin/_env_entrypoint.sh"]']


def test_versions_are_set_once_before_the_first_from() -> None:
    """Base images are ARGs before the first FROM; tool versions are not repeated here."""
    text = (REPO_ROOT / "Dockerfile").read_text()
    head = text[: text.index("\nFROM ")]
    assert "ARG MICROMAMBA_IMAGE=mambaorg/micromamba:2.5.0-debian12-slim" in head
    assert "ARG RUNTIME_IMAGE=debian:12-slim" in head
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
