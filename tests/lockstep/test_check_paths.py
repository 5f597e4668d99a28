"""`lockstep check`'s two paths: the recorded inputs digest (no conda-lock import) and
conda-lock's own input hash. They must reach the same verdict on the same files.

The projects are real: environment files and the lockfiles conda-lock wrote from them
(tests/data/realworld/pairs/, the pairs conda-lock 4.0.3 reproduces). Where a pair has
no `platforms:` key, LOCKSTEP_PLATFORMS names the platforms its lockfiles were made for.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lockstep.check.freshness import Staleness, check_project
from lockstep.shared.explicit_lockfile import read_explicit_lockfile
from lockstep.shared.inputs_fingerprint import conda_lock_version, inputs_fingerprint
from lockstep.shared.project import ProjectFiles
from tests.support import realworld_projects
from tests.support.realworld_projects import PAIRS, REPRODUCED


def locked_pair(name: str, root: Path, monkeypatch: pytest.MonkeyPatch) -> ProjectFiles:
    monkeypatch.setenv("LOCKSTEP_PLATFORMS", "")  # restored after the test
    return realworld_projects.locked_pair(name, root)


def verdicts(files: ProjectFiles) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    def key(stale: list[Staleness]) -> list[tuple[str, str]]:
        return sorted((item.path.name, item.reason) for item in stale)

    return key(check_project(files.root)), key(check_project(files.root, fast=False))


@pytest.mark.parametrize("name", REPRODUCED)
def test_both_paths_call_a_locked_project_fresh(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fresh, as conda-lock's own hash says: both paths report nothing."""
    files = locked_pair(name, tmp_path / name, monkeypatch)

    assert verdicts(files) == ([], [])


@pytest.mark.parametrize("name", REPRODUCED)
def test_a_comment_only_edit_is_still_fresh(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A comment changes the recorded digest; the fast path then defers to conda-lock: fresh."""
    files = locked_pair(name, tmp_path / name, monkeypatch)
    files.environment.write_text("# a note\n" + files.environment.read_text())

    assert verdicts(files) == ([], [])


@pytest.mark.parametrize("name", REPRODUCED)
def test_a_changed_spec_is_stale_on_both_paths(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new dependency: every lockfile stale, the same way on both paths."""
    files = locked_pair(name, tmp_path / name, monkeypatch)
    text = files.environment.read_text()
    files.environment.write_text(text.replace("dependencies:\n", "dependencies:\n  - zlib\n", 1))

    fast, slow = verdicts(files)

    assert fast == slow
    assert {reason for _, reason in fast} == {"environment.yml changed since it was locked"}
    assert len(fast) == len(files.existing_conda_locks())


def test_an_edited_lockfile_or_a_missing_one_is_seen_by_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hand edits and deletions of lockfiles: same verdict on both paths."""
    files = locked_pair("ttyg-evaluation", tmp_path / "p", monkeypatch)
    first, second = files.existing_conda_locks()[:2]
    first.write_text(first.read_text() + "# edited\n")
    second.unlink()

    fast, slow = verdicts(files)

    assert fast == slow
    assert (first.name, "changed since the conda group was pinned") in fast
    assert (second.name, "missing") in fast


def test_the_fast_path_never_imports_conda_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On unchanged inputs, `check` answers without importing conda-lock; after an edit it does."""
    files = locked_pair("esmvalcore", tmp_path / "p", monkeypatch)
    probe = (
        "import sys; from lockstep.check.freshness import check_project; "
        f"stale = check_project(__import__('pathlib').Path({str(files.root)!r})); "
        "print(len(stale), 'conda_lock' in sys.modules)"
    )

    def run() -> str:
        return subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ},
        ).stdout.strip()

    unchanged = run()
    files.environment.write_text("# a note\n" + files.environment.read_text())
    edited = run()

    assert unchanged == "0 False"
    assert edited == "0 True"


def test_the_digest_covers_what_the_input_hash_depends_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """environment.yml (not its line endings), virtual packages, requires-python, platforms."""
    monkeypatch.delenv("LOCKSTEP_PLATFORMS", raising=False)
    files = ProjectFiles(tmp_path)
    files.environment.write_text("dependencies:\n  - python=3.12\n")
    base = inputs_fingerprint(files, requires_python=">=3.12")

    files.environment.write_bytes(b"dependencies:\r\n  - python=3.12\r\n")
    crlf = inputs_fingerprint(files, requires_python=">=3.12")
    other_python = inputs_fingerprint(files, requires_python=">=3.11")
    monkeypatch.setenv("LOCKSTEP_PLATFORMS", "linux-64")
    other_platforms = inputs_fingerprint(files, requires_python=">=3.12")
    monkeypatch.delenv("LOCKSTEP_PLATFORMS")
    (tmp_path / "virtual-packages.yml").write_text("subdirs: {}\n")
    with_virtual_packages = inputs_fingerprint(files, requires_python=">=3.12")

    assert base is not None and base.startswith("sha256:")
    assert crlf == base
    assert len({base, other_python, other_platforms, with_virtual_packages}) == 4


def test_conda_lock_version_is_read_without_importing_it() -> None:
    """The version comes from conda-lock's dist-info name, and is the installed one."""
    from importlib import metadata

    assert conda_lock_version() == metadata.version("conda-lock")


def test_lockfiles_of_the_pairs_carry_the_headers_the_fast_path_trusts() -> None:
    """The data: each reproduced pair's lockfiles have an input hash at all."""
    for name in REPRODUCED:
        for path in (PAIRS / name).glob("conda-*.lock"):
            assert read_explicit_lockfile(path).input_hash


BAD_BEFORE_ANY_SOLVER_IMPORT = {
    "not YAML": "dependencies: [python\n",
    "a pip: section": "dependencies:\n  - python=3.12\n  - pip:\n    - requests\n",
    "an unknown platform": "dependencies:\n  - python=3.12\nplatforms:\n  - linux-65\n",
}


@pytest.mark.parametrize(
    "text", BAD_BEFORE_ANY_SOLVER_IMPORT.values(), ids=list(BAD_BEFORE_ANY_SOLVER_IMPORT)
)
def test_bad_input_is_reported_without_importing_conda_lock(tmp_path: Path, text: str) -> None:
    """The checks that need no solver's parser run first: their error line costs no
    conda-lock import (most of a `check`'s time)."""
    (tmp_path / "environment.yml").write_text(text)
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0"\n')
    probe = (
        "import sys; from lockstep.cli import main; "
        f"code = main(['check', '--project', {str(tmp_path)!r}]); "
        "print(code, 'conda_lock' in sys.modules)"
    )

    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LOCKSTEP_PLATFORMS": ""},
    )

    assert result.stdout.split() == ["2", "False"]
    assert len(result.stderr.splitlines()) == 1, result.stderr


def test_the_command_imports_only_what_the_fast_path_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`lockstep check` on unchanged inputs, as a process: none of the modules only other
    commands or the slow path use (each costs milliseconds of a run of about forty)."""
    files = locked_pair("esmvalcore", tmp_path / "p", monkeypatch)
    probe = (
        "import sys; from lockstep.cli import main; code = main(['check', '--project', "
        f"{str(files.root)!r}]); "
        "print(code, sorted(m for m in sys.modules if m.split('.')[0] in "
        "('conda_lock', 'shutil', 'tomlkit', 'yaml') or m in "
        "('lockstep.shared.explicit_lockfile', 'lockstep.shared.model',"
        " 'lockstep.shared.environment')))"
    )

    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    assert result.stdout.splitlines()[-1] == "0 []"
