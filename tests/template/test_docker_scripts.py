"""The image's scripts (docker/), run on the host where they do not need an engine.

micromamba is replaced by its recorded output (tests/template/recorded_micromamba.py);
pip, Poetry and the build backend are the real, pinned ones.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.template.docker_scripts import (
    DOCKER_DIR,
    install_conda_env,
    logged_calls,
    write_activation,
)
from tests.template.make import REPO_ROOT

LOCKS = REPO_ROOT / "tests" / "data" / "realworld" / "inputs" / "lock"
POETRY_PYTHON = REPO_ROOT / ".venvs" / "poetry" / "bin" / "python"
# Debian's /etc/bash.bashrc sets this prompt before our snippet runs.
DEBIAN_PROMPT = r"\u@\h:\w\$ "


def bash(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, check=False, env=env
    )


@pytest.fixture
def prefix(tmp_path: Path) -> Path:
    """A synthetic environment: bin/python answers with where it lives."""
    root = tmp_path / "env"
    (root / "bin").mkdir(parents=True)
    python = root / "bin" / "python"
    python.write_text('#!/bin/sh\necho "python of $0"\n')
    python.chmod(0o755)
    return root


def test_activation_keeps_the_callers_path(tmp_path: Path, prefix: Path) -> None:
    """Sourced, it puts the environment first and keeps every directory of the caller's PATH.

    micromamba writes the PATH it was run with (/usr/bin:/bin under `env -i`) as a fixed
    literal: in the dev image that hid /usr/local/bin (poetry, lockstep, conda-lock).
    """
    activate = write_activation(tmp_path, prefix)

    result = bash(f'. "{activate}"; echo "$PATH"', PATH="/usr/local/bin:/opt/tools:/usr/bin:/bin")

    assert result.stdout.strip() == (
        f"{prefix}/bin:/opt/conda/condabin:/usr/local/bin:/opt/tools:/usr/bin:/bin"
    )


def test_activation_sets_what_micromamba_sets(tmp_path: Path, prefix: Path) -> None:
    """Apart from PATH, the script is micromamba's own: CONDA_PREFIX and the prompt modifier."""
    activate = write_activation(tmp_path, prefix)

    result = bash(f'. "{activate}"; echo "$CONDA_PREFIX|$CONDA_PROMPT_MODIFIER"', PATH="/bin")

    assert result.stdout == f"{prefix}|({prefix}) \n"
    recorded = REPO_ROOT / "tests/data/recorded/shell-activate--env-i-PATH-usr-bin-bin.sh"
    others = [line for line in recorded.read_text().splitlines() if "PATH=" not in line]
    written = activate.read_text().replace(str(prefix), "/opt/env").splitlines()
    assert [line for line in written if "PATH=" not in line] == others


def test_activation_refuses_an_output_it_does_not_understand(tmp_path: Path) -> None:
    """A micromamba whose script has no PATH line to rewrite fails the build, loudly."""
    micromamba = tmp_path / "micromamba"
    micromamba.write_text("#!/bin/sh\necho \"export CONDA_PREFIX='/opt/env'\"\n")
    micromamba.chmod(0o755)

    result = subprocess.run(
        [str(DOCKER_DIR / "_write_activation.sh"), "/opt/env", str(tmp_path / "out.sh")],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "MAMBA_EXE": str(micromamba)},
    )

    assert result.returncode == 1
    assert "no PATH line ending in /usr/bin:/bin" in result.stderr


def base_image_home(tmp_path: Path) -> Path:
    """A HOME whose ~/.bashrc is shaped like the micromamba base image's: it activates
    `base` (putting /opt/conda/bin first) unless MAMBA_SKIP_ACTIVATE=1."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    base_activation = home / "_activate_current_env.sh"
    base_activation.write_text(
        'if [[ "${MAMBA_SKIP_ACTIVATE}" == "1" ]]; then return; fi\n'
        "export CONDA_PREFIX=/opt/conda PATH=/opt/conda/bin:$PATH\n"
        "PS1='(base) '\n"
    )
    (home / ".bashrc").write_text(f"source {base_activation}\n")
    return home


def interactive_bash(tmp_path: Path, command: str, *, entrypoint: bool, **env: str) -> str:
    """Run `command` in an interactive bash set up as in the dev image.

    The rc file plays /etc/bash.bashrc (Debian's prompt, then our snippet) followed by a
    ~/.bashrc shaped like the micromamba base image's: it activates `base` (putting
    /opt/conda/bin first) unless MAMBA_SKIP_ACTIVATE=1.
    """
    home = base_image_home(tmp_path)
    rcfile = tmp_path / "bash.bashrc"
    rcfile.write_text(f"PS1='{DEBIAN_PROMPT}'\n. {DOCKER_DIR / '_bashrc.sh'}\n. ~/.bashrc\n")
    argv = ["bash", "--rcfile", str(rcfile), "-i", "-c", command]
    if entrypoint:
        argv = [str(DOCKER_DIR / "_env_entrypoint.sh"), *argv]
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home), **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("entrypoint", [True, False], ids=["entrypoint", "docker-exec"])
def test_an_interactive_shell_finds_the_environments_python(
    tmp_path: Path, prefix: Path, entrypoint: bool
) -> None:
    """`make shell` (through the entrypoint) and `docker exec` alike: python, and a prompt."""
    activate = write_activation(tmp_path, prefix)

    out = interactive_bash(
        tmp_path,
        'python; printf "%s\\n" "$PS1"',
        entrypoint=entrypoint,
        ENV_ACTIVATE_SCRIPT=str(activate),
        MAMBA_SKIP_ACTIVATE="1",
    )

    assert out.splitlines() == [f"python of {prefix}/bin/python", f"({prefix}) {DEBIAN_PROMPT}"]


@pytest.mark.parametrize("how", ["stdin", "dash-c"])
def test_a_non_interactive_shell_finds_the_environments_python(
    tmp_path: Path, prefix: Path, how: str
) -> None:
    """`echo CMD | make shell` (bash reading its commands from a pipe) and `bash -c CMD`,
    through the entrypoint as `make shell` and `make run` start them: no rc file is read,
    and the entrypoint's activation alone puts the environment's python first."""
    activate = write_activation(tmp_path, prefix)
    command = 'python; echo "$CONDA_PREFIX"'
    argv = [str(DOCKER_DIR / "_env_entrypoint.sh"), "bash"]

    result = subprocess.run(
        [*argv, "-c", command] if how == "dash-c" else argv,
        input=command if how == "stdin" else None,
        capture_output=True,
        text=True,
        check=False,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(base_image_home(tmp_path)),
            "ENV_ACTIVATE_SCRIPT": str(activate),
            "MAMBA_SKIP_ACTIVATE": "1",
        },
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"python of {prefix}/bin/python", str(prefix)]


def test_the_dev_image_turns_the_base_activation_off() -> None:
    """The dev stage sets MAMBA_SKIP_ACTIVATE=1 and hooks the snippet into /etc/bash.bashrc."""
    text = (REPO_ROOT / "Dockerfile").read_text()
    dev = text[text.index(" AS dev") : text.index(" AS runtime")]
    runtime = text[text.index(" AS runtime") :]
    assert "ENV MAMBA_SKIP_ACTIVATE=1" in dev
    for stage in (dev, runtime):
        assert "COPY docker/_bashrc.sh /etc/bash.bashrc.d/env.sh" in stage
        assert "echo '. /etc/bash.bashrc.d/env.sh' >> /etc/bash.bashrc" in stage


@pytest.fixture
def locks(tmp_path: Path) -> Path:
    """A real lockfile conda-lock wrote (pangeo's base notebook), as the linux-64 lock."""
    directory = tmp_path / "locks"
    directory.mkdir()
    shutil.copy(LOCKS / "pangeo-base-linux-64.lock", directory / "conda-linux-64.lock")
    return directory


def test_the_lockfile_of_the_target_architecture_is_installed(tmp_path: Path, locks: Path) -> None:
    """amd64 installs conda-linux-64.lock as it is, with micromamba's --file."""
    result = install_conda_env(tmp_path, "amd64")

    assert result.returncode == 0, result.stderr
    (call,) = logged_calls(tmp_path / "micromamba-calls.jsonl")
    assert call["file"] == (locks / "conda-linux-64.lock").read_text()


def test_a_conda_mirror_serves_the_locked_urls(tmp_path: Path, locks: Path) -> None:
    """With CONDA_MIRROR, every conda.anaconda.org URL is fetched from the mirror, hash kept."""
    result = install_conda_env(tmp_path, "amd64", CONDA_MIRROR="http://127.0.0.1:8799/conda/")

    assert result.returncode == 0, result.stderr
    (call,) = logged_calls(tmp_path / "micromamba-calls.jsonl")
    original = (locks / "conda-linux-64.lock").read_text().splitlines()
    mirrored = str(call["file"]).splitlines()
    assert len(mirrored) == len(original)
    urls = [line for line in original if line.startswith("https://conda.anaconda.org/")]
    assert urls
    for before, after in zip(original, mirrored, strict=True):
        if before in urls:
            assert after == "http://127.0.0.1:8799/conda/" + before.removeprefix(
                "https://conda.anaconda.org/"
            )
        else:
            assert after == before


def test_a_missing_platform_names_the_fix(tmp_path: Path, locks: Path) -> None:
    """arm64 without conda-linux-aarch64.lock: one line saying what to add, and no install."""
    result = install_conda_env(tmp_path, "arm64")

    assert result.returncode == 1
    assert result.stderr == (
        "no conda-linux-aarch64.lock: add linux-aarch64 to platforms: in environment.yml,"
        " then make env-update\n"
    )
    assert logged_calls(tmp_path / "micromamba-calls.jsonl") == []


def test_an_empty_requirements_file_installs_nothing(tmp_path: Path) -> None:
    """A group with no package (a fresh project's dev.txt) is skipped, not an error."""
    requirements = tmp_path / "dev.txt"
    requirements.write_text("# exported by poetry\n")

    result = subprocess.run(
        [str(DOCKER_DIR / "_install_requirements.sh"), str(requirements), "/nonexistent"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert (result.returncode, result.stdout) == (0, "dev.txt: nothing to install\n")


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, root / name)
    shutil.copytree(REPO_ROOT / "src", root / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    return root


def build_wheels(project: Path, out: Path) -> subprocess.CompletedProcess[str]:
    if not POETRY_PYTHON.exists():
        pytest.skip("needs Poetry's environment (.venvs/poetry), which `make test` creates")
    return subprocess.run(
        [str(POETRY_PYTHON), str(DOCKER_DIR / "_build_wheels.py"), str(project), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_wheels_are_built_by_the_pinned_backend(tmp_path: Path, project_copy: Path) -> None:
    """A wheel with the package, and an editable wheel whose .pth points at the sources."""
    result = build_wheels(project_copy, tmp_path / "wheels")

    assert result.returncode == 0, result.stderr
    (wheel,) = (tmp_path / "wheels" / "wheel").glob("*.whl")
    (editable,) = (tmp_path / "wheels" / "editable").glob("*.whl")
    assert "envreport/__main__.py" in zipfile.ZipFile(wheel).namelist()
    with zipfile.ZipFile(editable) as archive:
        (pth,) = [name for name in archive.namelist() if name.endswith(".pth")]
        assert archive.read(pth).decode().strip() == str(project_copy / "src")


def test_another_build_backend_is_one_line(tmp_path: Path, project_copy: Path) -> None:
    """A project whose backend Poetry's environment lacks is told what to set."""
    pyproject = project_copy / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("poetry.core.masonry.api", "hatchling.build")
    )

    result = build_wheels(project_copy, tmp_path / "wheels")

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "pyproject.toml: build backend 'hatchling.build' is not Poetry's; "
        'set [build-system] build-backend = "poetry.core.masonry.api"'
    ]


def test_the_project_layer_holds_the_project_only_and_merges(
    tmp_path: Path, project_copy: Path, venv_template: Path
) -> None:
    """The runtime's small layer: the project's files alone, importable once merged."""
    # The environment is a venv of the Python running the tests, whatever its version.
    pyproject = project_copy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('">=3.12,<3.13"', '">=3.10"'))
    assert build_wheels(project_copy, tmp_path / "wheels").returncode == 0
    environment = tmp_path / "env"
    shutil.copytree(venv_template, environment, symlinks=True)
    layer = tmp_path / "layer"

    result = subprocess.run(
        [
            str(DOCKER_DIR / "_install_project.sh"),
            str(tmp_path / "wheels" / "wheel"),
            str(environment),
            str(layer),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in layer.iterdir()) == ["bin", "lib"]
    (site,) = layer.glob("lib/python3*/site-packages")
    assert sorted(path.name for path in site.iterdir()) == [
        "envreport",
        "envreport-0.1.0.dist-info",
    ]
    assert (layer / "bin" / "envreport").read_text().startswith(f"#!{environment}/bin/python")
    imported = subprocess.run(
        [str(environment / "bin" / "python"), "-c", "import envreport; print(envreport.__file__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.stdout.startswith(str(environment)), imported.stderr


def test_the_image_scripts_leave_platforms_and_mirrors_to_lockstep() -> None:
    """The arch -> conda platform map and the mirror rewrite live in lockstep only."""
    for script in sorted(DOCKER_DIR.glob("*.sh")):
        text = script.read_text()
        assert "linux-aarch64" not in text, script.name
        assert "conda.anaconda.org" not in text, script.name
