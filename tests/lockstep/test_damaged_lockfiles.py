"""Damaged conda lockfiles: stale in `check`, re-solved by `lock`, never fetched as packages.

Each damage is what real tools leave behind: a copy cut short (a full disk, an
interrupted transfer), git's merge-conflict markers, a package line edited by
hand. Each case runs real `python -m lockstep` processes on a locked project.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lockstep.check.freshness import check_project
from lockstep.shared.errors import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK
from lockstep.shared.explicit_lockfile import (
    DamagedLockfile,
    read_explicit_lockfile,
    read_reusable_lockfile,
)
from tests.lockstep.lock_scenario import LockScenario

LOCKFILE = "conda-linux-64.lock"
RESOLVES = "`make env-update` re-solves it"


def _truncated(text: str) -> str:
    """Cut inside the first package URL, as a copy to a full disk leaves it."""
    cut = text.index("@EXPLICIT\n") + len("@EXPLICIT\n") + len("http://127.0.")
    return text[:cut]


def _conflicted(text: str) -> str:
    """Two branches' solves of the same platform, as `git merge` writes them."""
    head, body = text.split("@EXPLICIT\n", 1)
    other = body.replace("six-1.16.0", "six-1.17.0")
    return f"{head}@EXPLICIT\n<<<<<<< HEAD\n{body}=======\n{other}>>>>>>> feature\n"


def _hash_removed(text: str) -> str:
    """The last package's `#md5` fragment deleted by hand."""
    lines = text.splitlines(keepends=True)
    lines[-1] = lines[-1].split("#", 1)[0] + "\n"
    return "".join(lines)


def _header_only(text: str) -> str:
    """Cut before the body: the header comments survive, @EXPLICIT does not."""
    return text[: text.index("@EXPLICIT")]


def _as_powershell_writes(text: str) -> bytes:
    """`conda-lock render ... > conda-linux-64.lock` in Windows PowerShell 5: UTF-16, a BOM."""
    return text.encode("utf-16")


def _commented_in_latin_1(text: str) -> bytes:
    """A comment added by an editor saving Latin-1."""
    return ("# révisé\n" + text).encode("latin-1")


def _utf_8(damaging: Callable[[str], str]) -> Callable[[str], bytes]:
    return lambda text: damaging(text).encode("utf-8")


DAMAGES: dict[str, tuple[Callable[[str], bytes], str]] = {
    "truncated": (_utf_8(_truncated), "is not a package URL: 'http://127.0.'"),
    "conflict markers": (_utf_8(_conflicted), "has merge-conflict markers (line 5)"),
    "hash removed": (_utf_8(_hash_removed), "has no md5 or sha256 after its URL"),
    "header only": (_utf_8(_header_only), "is not a whole explicit lockfile"),
    "UTF-16": (_as_powershell_writes, "is UTF-16 (as Windows PowerShell writes)"),
    "Latin-1": (_commented_in_latin_1, "is not UTF-8 (byte 0xe9 on line 1)"),
}


@pytest.mark.network  # `locked` runs a whole lock first: the index check and `poetry lock`
@pytest.mark.parametrize("damage", DAMAGES)
def test_check_calls_a_damaged_lockfile_stale_and_lock_re_solves_it(
    locked: LockScenario, damage: str
) -> None:
    """`check` exits 1 naming the lockfile, what is wrong with it and that `make env-update`
    re-solves it; `lock` then solves that platform again (not the other), writes the
    lockfile conda-lock writes, and `check` calls the project fresh."""
    damaging, reason = DAMAGES[damage]
    lockfile = locked.project / LOCKFILE
    whole = lockfile.read_text()
    lockfile.write_bytes(damaging(whole))

    check = locked.lockstep_process("check")
    assert check.returncode == EXIT_FAILURE, check.stdout + check.stderr
    (line,) = check.stdout.splitlines()
    assert line.startswith(f"stale: {LOCKFILE}: ")
    assert reason in line
    assert line.endswith(RESOLVES)

    solves = locked.solve_calls()
    lock = locked.lockstep_process("lock")
    assert lock.returncode == EXIT_OK, lock.stderr
    assert f"re-solving {LOCKFILE}: it " in lock.stderr
    assert "cannot read its metadata" not in lock.stderr
    assert ".lockstep-staging" not in lock.stderr
    assert locked.solve_calls() == solves + 1
    assert lockfile.read_text() == whole
    assert locked.lockstep_process("check").returncode == EXIT_OK


@pytest.mark.network
@pytest.mark.parametrize("damage", DAMAGES)
def test_the_solver_path_of_check_gives_the_same_verdict(locked: LockScenario, damage: str) -> None:
    """`check` without the recorded inputs' shortcut (conda-lock's input hash compared)
    reports the damage the same way, once."""
    damaging, reason = DAMAGES[damage]
    lockfile = locked.project / LOCKFILE
    lockfile.write_bytes(damaging(lockfile.read_text()))

    (stale,) = check_project(locked.project, fast=False)

    assert (stale.path.name, stale.fix) == (LOCKFILE, RESOLVES)
    assert reason in stale.reason


@pytest.mark.parametrize(
    "name", ["template-linux-64.lock", "pangeo-base-linux-64.lock", "xhochy-linux-64.lock"]
)
def test_real_conda_lock_lockfiles_are_reusable(name: str) -> None:
    """Lockfiles real conda-lock wrote pass the check unchanged."""
    path = Path(__file__).parents[1] / "data" / "realworld" / "inputs" / "lock" / name

    assert read_reusable_lockfile(path) == read_explicit_lockfile(path)


def test_a_damaged_lockfile_elsewhere_is_bad_input(tmp_path: Path) -> None:
    """Where no caller re-solves it, the damage is bad input naming the file and the fix."""
    path = tmp_path / LOCKFILE
    path.write_text("# platform: linux-64\n@EXPLICIT\nhttps://x.invalid/a-1-0.conda\n")

    with pytest.raises(DamagedLockfile) as raised:
        read_reusable_lockfile(path)

    assert raised.value.exit_code == EXIT_BAD_INPUT
    assert str(raised.value).startswith(f"{path}: line 3 has no md5 or sha256")
    assert str(raised.value).endswith(RESOLVES)


def test_a_poetry_lock_with_conflict_markers_is_stale_and_locked_again(
    locked: LockScenario,
) -> None:
    """A merge left `<<<<<<<` in poetry.lock: check names it and the fix; lock then locks
    from pyproject.toml (real Poetry, which would stop on "Unable to read the lock file")."""
    lock = locked.project / "poetry.lock"
    text = lock.read_text()
    first = text.index("\n[[package]]\n") + 1
    lock.write_text(text[:first] + "<<<<<<< HEAD\n=======\n>>>>>>> other\n" + text[first:])

    check = locked.lockstep_process("check")

    assert check.returncode == 1, check.stderr
    assert "poetry.lock" in check.stdout + check.stderr
    assert "merge-conflict markers" in check.stdout + check.stderr

    relock = locked.lockstep_process("lock")

    assert relock.returncode == 0, relock.stderr
    assert "<<<<<<<" not in lock.read_text()
    assert locked.lockstep_process("check").returncode == 0
