"""`lockstep init` / `make init`: the template becomes the user's project, all or nothing.

Each test works on a git copy of this repository's tracked files as they are now
(the template a user clones), and runs init as a real process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from lockstep.init import rewrite
from lockstep.init.names import project_name
from lockstep.shared.errors import (
    EXIT_BAD_INPUT,
    EXIT_HANGUP,
    EXIT_INTERRUPTED,
    EXIT_IO_ERROR,
    EXIT_TERMINATED,
    InputError,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
}
# Runs lockstep's CLI with Path.rename failing, or signalling this process, at call N
# (a fault at a chosen step of the swap), or counting the calls.
FAULTY_RENAME = textwrap.dedent(
    """
    import atexit, os, signal, sys
    from pathlib import Path

    fail_at, how = int(sys.argv[1]), sys.argv[2]
    real = Path.rename
    calls = 0

    def rename(self, target):
        global calls
        calls += 1
        if calls == fail_at:
            if how == "error":
                raise OSError(28, "No space left on device", str(self))
            os.kill(os.getpid(), getattr(signal, how))
        return real(self, target)

    Path.rename = rename
    if how == "count":
        atexit.register(lambda: print(f"renames: {calls}", file=sys.stderr))
    from lockstep.cli import main
    sys.exit(main(sys.argv[3:]))
    """
)


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_IDENTITY},
    ).stdout


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's tracked files as they are in the work tree, committed in a new repo."""
    root = tmp_path_factory.mktemp("template") / "repo"
    root.mkdir()
    listed = git(REPO_ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for relative in filter(None, listed.split("\0")):
        source = REPO_ROOT / relative
        if source.is_file():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / relative)
    git(root, "init", "--quiet")
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "template")
    return root


@pytest.fixture
def clone(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    subprocess.run(["git", "clone", "--quiet", str(template), str(root)], check=True)
    return root


def lockstep(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lockstep", *args, "--project", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file outside .git: its bytes and mode."""
    files = {}
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if relative.parts[0] != ".git" and path.is_file():
            files[relative.as_posix()] = (path.read_bytes(), path.stat().st_mode)
    return files


def directories(root: Path) -> set[str]:
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_dir() and ".git" not in path.relative_to(root).parts
    }


@pytest.mark.parametrize(
    ("name", "distribution", "package"),
    [
        ("my-project", "my-project", "my_project"),
        ("My.Project", "my-project", "my_project"),
        ("data__Lab-2", "data-lab-2", "data_lab_2"),
        ("x", "x", "x"),
    ],
)
def test_names_are_normalized(name: str, distribution: str, package: str) -> None:
    """The distribution is PEP 503-normalized; the package is that with underscores."""
    names = project_name(name)
    assert (names.distribution, names.package) == (distribution, package)
    assert names.package.isidentifier()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("-x", "not a valid project name"),
        ("my project", "not a valid project name"),
        ("ok-", "not a valid project name"),
        ("2fast", "starts with a digit"),
        ("json", "standard library"),
        ("class", "keyword"),
        ("lockstep", "the template uses"),
    ],
)
def test_invalid_names_are_refused(name: str, reason: str) -> None:
    """Each invalid name is refused with what is wrong and what a valid name is."""
    with pytest.raises(InputError, match=reason):
        project_name(name)


@pytest.fixture(scope="module")
def initialised(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One project made with `make init NAME=my-project`, its changes staged in git."""
    root = tmp_path_factory.mktemp("initialised") / "project"
    subprocess.run(["git", "clone", "--quiet", str(template), str(root)], check=True)
    result = lockstep(root, "init", "my-project")
    assert result.returncode == 0, result.stderr
    assert "my-project" in result.stdout
    git(root, "add", "-A")
    yield root


def test_nothing_names_the_example_but_the_init_document(initialised: Path) -> None:
    """`git grep -i envreport` finds only docs/init.md's three lines, which tell what init
    renamed (the README lists them)."""
    found = subprocess.run(
        ["git", "-C", str(initialised), "grep", "-ic", "envreport"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.stdout.split() == ["docs/init.md:3"], found.stdout


def test_the_project_has_its_own_package_and_no_template_machinery(initialised: Path) -> None:
    """The example and the template's tests, benchmarks and manifest are gone."""
    tracked = set(git(initialised, "ls-files").split())
    assert {
        "src/my_project/__init__.py",
        "src/my_project/__main__.py",
        "tests/my_project/test_main.py",
        "tests/__init__.py",
        "scripts/lockstep/src/lockstep/cli.py",
    } <= tracked
    for gone in ("template.toml", "tests/conftest.py", "tests/ruff.toml", "src/envreport/"):
        assert not any(path == gone or path.startswith(gone) for path in tracked), gone
    prefixes = ("tests/lockstep/", "tests/template/", "tests/support/", "tests/data/")
    assert not [path for path in tracked if path.startswith(prefixes)]
    assert not [path for path in tracked if path.startswith("scripts/lockstep/benchmarks/")]
    assert not [path for path in tracked if path.startswith("scripts/lockstep/testing/")]
    environment = (initialised / "environment.yml").read_text()
    assert "name: my-project\n" in environment
    assert "numpy" not in environment
    dockerfile = (initialised / "Dockerfile").read_text()
    assert 'CMD ["python", "-m", "my_project"]' in dockerfile
    assert 'org.opencontainers.image.title="my-project"' in dockerfile


def test_the_projects_checks_pass(initialised: Path) -> None:
    """ruff, mypy (both configurations, as `make test` runs them) and pytest pass."""
    environment = {**os.environ, "PYTHONPATH": str(initialised / "src")}
    for command in (
        [BIN / "ruff", "check", "."],
        [BIN / "ruff", "format", "--check", "."],
        [BIN / "mypy", "--cache-dir", "/dev/null"],
        [
            BIN / "mypy",
            "--cache-dir",
            "/dev/null",
            "--config-file",
            "scripts/lockstep/pyproject.toml",
        ],
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
    ):
        result = subprocess.run(
            [str(part) for part in command],
            cwd=initialised,
            capture_output=True,
            text=True,
            check=False,
            env=environment,
        )
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    ran = subprocess.run(
        [sys.executable, "-m", "my_project"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0
    assert ran.stdout.startswith("my-project 0.1.0 on Python ")


def test_the_build_uses_the_projects_names(initialised: Path) -> None:
    """`make -n build` tags the new images; the menu has no template-only targets left."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MAKE")}
    build = subprocess.run(
        ["make", "-n", "build"],
        cwd=initialised,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    for tag in ("my-project-tools:latest", "my-project-dev:latest", "my-project:latest"):
        assert f"--tag {tag}" in build.stdout
    menu = subprocess.run(
        ["make"], cwd=initialised, capture_output=True, text=True, env=environment, check=False
    ).stdout
    targets = menu.split("Settings")[0].split()
    assert "init" in targets
    assert "bench" not in targets
    assert "test-e2e" not in targets
    assert "E2E_FLAGS" not in menu
    workflow = (initialised / ".github" / "workflows" / "image.yml").read_text()
    assert "make test-e2e" not in workflow
    assert 'make run CMD="python -m my_project"' in workflow


def test_running_twice_is_refused(initialised: Path) -> None:
    """A second init says the project was initialised already, and changes nothing."""
    before = snapshot(initialised)
    result = lockstep(initialised, "init", "other")
    assert result.returncode == EXIT_BAD_INPUT
    assert "already initialised from the template" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert snapshot(initialised) == before


def test_a_dirty_tree_is_refused(clone: Path) -> None:
    """Uncommitted work (here a new file) is refused in one line, before anything changes."""
    (clone / "notes.txt").write_text("mine\n")
    before = snapshot(clone)
    result = lockstep(clone, "init", "my-project")
    assert result.returncode == EXIT_BAD_INPUT
    assert "uncommitted changes (notes.txt)" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert snapshot(clone) == before


def test_an_invalid_name_is_refused_by_the_command(clone: Path) -> None:
    """The command exits 2 with one line saying what a valid name is."""
    result = lockstep(clone, "init", "my project")
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr.splitlines() == [
        "lockstep: error: init: 'my project' is not a valid project name: use letters, digits"
        " and . _ - (not first or last), starting with a letter, e.g. my-project"
    ]


def faulty_init(root: Path, fail_at: int, how: str) -> subprocess.CompletedProcess[str]:
    fault = [sys.executable, "-c", FAULTY_RENAME, str(fail_at), how]
    return subprocess.run(
        [*fault, "init", "my-project", "--project", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def swap_steps(template: Path, tmp_path_factory: pytest.TempPathFactory) -> int:
    """How many renames a whole init makes (counted on a clone of its own)."""
    root = tmp_path_factory.mktemp("count") / "project"
    subprocess.run(["git", "clone", "--quiet", str(template), str(root)], check=True)
    result = faulty_init(root, 0, "count")
    assert result.returncode == 0, result.stderr
    return int(result.stderr.rsplit("renames: ", 1)[1])


@pytest.mark.parametrize("step", ["first", "middle", "last"])
@pytest.mark.parametrize(
    ("how", "exit_code"),
    [
        ("error", EXIT_IO_ERROR),
        ("SIGINT", EXIT_INTERRUPTED),
        ("SIGTERM", EXIT_TERMINATED),
        ("SIGHUP", EXIT_HANGUP),
    ],
)
def test_a_failure_or_signal_during_the_swap_changes_no_file(
    clone: Path, swap_steps: int, step: str, how: str, exit_code: int
) -> None:
    """Whichever rename fails or is interrupted, every file is as it was, byte for byte."""
    fail_at = {"first": 1, "middle": swap_steps // 2, "last": swap_steps}[step]
    before, folders = snapshot(clone), directories(clone)
    result = faulty_init(clone, fail_at, how)
    assert result.returncode == exit_code, result.stderr
    assert snapshot(clone) == before
    assert directories(clone) == folders
    assert git(clone, "status", "--porcelain") == ""
    if how == "error":
        assert "No space left on device; no file was changed" in result.stderr
    if how == "SIGINT":
        assert "interrupted; no file was changed" in result.stderr


def test_template_tests_are_kept_on_request(clone: Path) -> None:
    """--keep-template-tests keeps the template's tests, benchmarks and their settings."""
    result = lockstep(clone, "init", "my-project", "--keep-template-tests")
    assert result.returncode == 0, result.stderr
    assert (clone / "tests" / "lockstep" / "test_init.py").is_file()
    assert (clone / "scripts" / "lockstep" / "benchmarks").is_dir()
    assert (clone / "tests" / "ruff.toml").is_file()
    assert not (clone / "template.toml").exists()
    assert not (clone / "src" / "envreport").exists()
    assert "bench:" in (clone / "Makefile").read_text()
    assert "markers" in (clone / "pyproject.toml").read_text()


NAMES = project_name("My.Project")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # Lines of the template's own files (Makefile, Dockerfile, workflow, README).
        ("IMAGE ?= envreport", "IMAGE ?= my-project"),
        ('CMD ["python", "-m", "envreport"]', 'CMD ["python", "-m", "my_project"]'),
        (
            "python -m pytest -p no:cacheprovider tests/envreport",
            "python -m pytest -p no:cacheprovider tests/my_project",
        ),
        ("src/envreport/      the example", "src/my_project/      the example"),
        ('envreport = "envreport.__main__:main"', 'my-project = "my_project.__main__:main"'),
        ("ghcr.io/acme/envreport:1.0", "ghcr.io/acme/my-project:1.0"),
        ("from envreport.report import render", "from my_project.report import render"),
        (
            "make run CMD=\"python -c 'import numpy, envreport; print(numpy.__version__)'\"",
            'make run CMD="python -m my_project"',
        ),
        (
            "exclude = ['^tests/(?!envreport/|__init__\\.py$)']",
            "exclude = ['^tests/(?!my_project/|__init__\\.py$)']",
        ),
    ],
)
def test_each_mention_becomes_the_distribution_or_the_package(before: str, after: str) -> None:
    """Paths, `python -m` and imports take the package name; images and the rest the project's."""
    assert rewrite.rename(before, "envreport", NAMES) == after


def test_example_blocks_are_replaced() -> None:
    """A marked block gives way to its replacement text, with the project's name in it."""
    text = (
        "# Title\n"
        "<!-- example: {name} is yours to describe. -->\n"
        "The example reports who installed what.\n"
        "<!-- /example -->\n"
        "Daily loop.\n"
    )
    assert rewrite.replace_example_blocks(text, NAMES) == (
        "# Title\nmy-project is yours to describe.\nDaily loop.\n"
    )


def test_make_init_passes_the_name_and_the_flag() -> None:
    """`make init` calls lockstep init with NAME, and KEEP_TEMPLATE_TESTS=1 adds the flag."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MAKE")}

    def dry_run(*settings: str) -> str:
        return subprocess.run(
            [
                "make",
                "-n",
                "--no-print-directory",
                "-o",
                ".venvs/test/.installed",
                "init",
                *settings,
            ],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            env=environment,
            check=True,
        ).stdout

    assert "lockstep init --project . 'my-project' \n" in dry_run("NAME=my-project") + "\n"
    assert "'my-project' --keep-template-tests" in dry_run(
        "NAME=my-project", "KEEP_TEMPLATE_TESTS=1"
    )
