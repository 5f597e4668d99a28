"""The swap of staged files into the project is all or nothing: when a later file's move
fails, the files swapped before it are put back.

Real faults in real `lockstep` processes (the installed console script): a bind mount over
one project file, what Docker's one-file `-v` makes (a rename onto it fails with EBUSY),
and a directory where the swap writes a symlinked file's new content. The swap goes in
sorted order, so environment.yml (import) and the conda lockfiles (lock) go before
pyproject.toml.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.lockstep.lock_scenario import LockScenario, tree_digest
from tests.lockstep.test_import_project import ENVIRONMENT, project

LOCKSTEP = Path(sys.executable).with_name("lockstep")
IO_ERROR = 74  # the decided table's "I/O error"

pytestmark = pytest.mark.skipif(not LOCKSTEP.exists(), reason=f"no installed {LOCKSTEP}")


@contextmanager
def bind_mounted(source: Path, target: Path) -> Iterator[None]:
    """`source` bind-mounted over the file `target` for the block; the test is skipped,
    with the system's reason, where this process may not mount (it needs root)."""
    mounted = subprocess.run(
        ["mount", "--bind", str(source), str(target)], capture_output=True, text=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot bind-mount here (needs root): {mounted.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", str(target)], check=False)


def lockstep(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LOCKSTEP), *args], capture_output=True, text=True, check=False, env=env, timeout=300
    )


def assert_nothing_changed(
    result: subprocess.CompletedProcess[str], root: Path, before: dict[str, str], names: Path
) -> str:
    """Exit 74, one error line naming the user's file (not the staged copy) and saying
    nothing was changed; every file byte-identical, no staging left. Returns the line."""
    assert result.returncode == IO_ERROR, result.stderr
    assert tree_digest(root) == before
    assert not list(root.glob(".lockstep-*"))
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("lockstep: error:")]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"lockstep: error: {names}"), lines[0]
    assert ".lockstep-staging" not in lines[0]
    assert lines[0].endswith("; nothing was changed"), lines[0]
    return lines[0]


def test_import_with_a_bind_mounted_pyproject_changes_nothing(tmp_path: Path) -> None:
    """environment.yml (swapped first, its pip: section moved out) is put back when the
    rename onto the bind-mounted pyproject.toml fails: the pip entries are not lost."""
    root = project(tmp_path / "proj")
    outside = tmp_path / "outside.toml"
    shutil.copyfile(root / "pyproject.toml", outside)
    with bind_mounted(outside, root / "pyproject.toml"):
        before = tree_digest(root)

        result = lockstep("import", "--project", str(root))

        line = assert_nothing_changed(result, root, before, root / "pyproject.toml")
        busy = "Device or resource busy; a mount or another program holds it"
        assert f"{root / 'pyproject.toml'}: {busy}" in line
    assert (root / "environment.yml").read_text() == ENVIRONMENT


def test_lock_with_a_bind_mounted_pyproject_changes_nothing(
    locked: LockScenario, tmp_path: Path
) -> None:
    """The conda lockfiles (swapped first) are put back when the rename onto the
    bind-mounted pyproject.toml, the last file swapped, fails."""
    environment = locked.project / "environment.yml"
    environment.write_text(environment.read_text().replace("  - six\n", "  - six>=1.16\n"))
    outside = tmp_path / "outside.toml"
    shutil.copyfile(locked.project / "pyproject.toml", outside)
    with bind_mounted(outside, locked.project / "pyproject.toml"):
        before = tree_digest(locked.project)

        result = lockstep("lock", "--project", str(locked.project), env=locked.environ())

        line = assert_nothing_changed(
            result, locked.project, before, locked.project / "pyproject.toml"
        )
        assert f"{locked.project / 'pyproject.toml'}: Device or resource busy" in line


def test_the_file_swapped_first_is_put_back_as_it_was(tmp_path: Path) -> None:
    """pyproject.toml is a symlink and a directory stands where its new content goes
    (beside the link's target): environment.yml, swapped before it, gets back its own
    file (the same inode), without root."""
    root = project(tmp_path / "proj")
    target = tmp_path / "shared" / "pyproject.toml"
    target.parent.mkdir()
    shutil.move(root / "pyproject.toml", target)
    (root / "pyproject.toml").symlink_to(target)
    (target.parent / ".pyproject.toml.lockstep-new").mkdir()
    environment = root / "environment.yml"
    inode = environment.stat().st_ino
    before, shared = tree_digest(root), tree_digest(target.parent)

    result = lockstep("import", "--project", str(root))

    line = assert_nothing_changed(result, root, before, root / "pyproject.toml")
    # The directory in the way is named too: it is not where the user would look.
    assert f"({target.parent / '.pyproject.toml.lockstep-new'}): Is a directory" in line
    assert tree_digest(target.parent) == shared
    assert environment.stat().st_ino == inode
    assert environment.read_text() == ENVIRONMENT
    assert (root / "pyproject.toml").is_symlink()
    assert (root / "pyproject.toml").readlink() == target


def test_lock_puts_back_a_lockfile_it_removed(locked: LockScenario, tmp_path: Path) -> None:
    """linux-aarch64 is dropped and a lockfile left from another dropped platform is
    bind-mounted: removing it fails last, and the aarch64 lockfile removed before it
    is back, as is every file swapped before that."""
    environment = locked.project / "environment.yml"
    environment.write_text(environment.read_text().replace("  - linux-aarch64\n", ""))
    stray = locked.project / "conda-osx-64.lock"
    shutil.copyfile(locked.project / "conda-linux-64.lock", stray)
    outside = tmp_path / "outside.lock"
    shutil.copyfile(stray, outside)
    with bind_mounted(outside, stray):
        before = tree_digest(locked.project)

        result = lockstep("lock", "--project", str(locked.project), env=locked.environ())

        line = assert_nothing_changed(result, locked.project, before, stray)
        assert f"{stray}: Device or resource busy" in line
    assert (locked.project / "conda-linux-aarch64.lock").is_file()
