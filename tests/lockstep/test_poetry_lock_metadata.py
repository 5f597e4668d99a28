"""`check` reads poetry.lock's content-hash from its `[metadata]` table alone; the verdict is
the one a whole parse gives. The lockfiles are real ones Poetry wrote
(tests/data/realworld/pairs/*/poetry.lock, sources in pairs/SOURCES.tsv)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockstep.check.freshness import check_project, locked_content_hash
from lockstep.shared.toml_reader import tomllib
from tests.support.realworld_projects import PAIRS, locked_pair

REAL_LOCKFILES = sorted(PAIRS.glob("*/poetry.lock"))


def _whole_parse(lockfile: bytes) -> object:
    return tomllib.loads(lockfile.decode()).get("metadata", {}).get("content-hash")


@pytest.mark.parametrize("path", REAL_LOCKFILES, ids=lambda path: path.parent.name)
@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["lf", "crlf"])
def test_the_content_hash_is_the_whole_parses(path: Path, newline: bytes) -> None:
    lockfile = path.read_bytes().replace(b"\n", newline)

    found = locked_content_hash(lockfile)

    assert isinstance(found, str) and len(found) == 64
    assert found == _whole_parse(lockfile)


def test_the_package_tables_are_not_parsed() -> None:
    """What makes it fast: a package table TOML would refuse does not reach the parser."""
    (lockfile,) = [path for path in REAL_LOCKFILES if path.parent.name == "karaoke-prep-2023"]
    data = lockfile.read_bytes()
    broken = data.replace(b"\n[[package]]\n", b"\n[[package]]\nnot toml = = =\n", 1)
    with pytest.raises(tomllib.TOMLDecodeError):
        _whole_parse(broken)

    assert locked_content_hash(broken) == _whole_parse(data)


def test_a_lockfile_without_metadata_has_no_hash() -> None:
    assert locked_content_hash(b'[[package]]\nname = "six"\nversion = "1.16.0"\n') is None


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LOCKSTEP_PLATFORMS", "")  # locked_pair sets it; restored after the test
    files = locked_pair("esmvalcore", tmp_path / "project", poetry_packages_of="karaoke-prep-2023")
    return files.root


def test_the_benchmarks_project_is_fresh(project: Path) -> None:
    """The project `make bench` times: a real project's package tables, fresh."""
    assert check_project(project) == []
    assert check_project(project, fast=False) == []


def test_a_merge_conflict_in_the_package_tables_is_stale(project: Path) -> None:
    """Two branches' `poetry update`s conflict in the packages, not in [metadata]: the whole
    file is parsed then, and its broken tables make it stale."""
    lock = project / "poetry.lock"
    text = lock.read_text()
    first = text.index("\n[[package]]\n") + 1
    second = text.index("\n[[package]]\n", first) + 1
    conflicted = (
        text[:first]
        + "<<<<<<< HEAD\n"
        + text[first:second]
        + "=======\n"
        + text[first:second].replace('version = "', 'version = "9', 1)
        + ">>>>>>> other\n"
        + text[second:]
    )
    lock.write_text(conflicted)

    assert [(item.path.name, item.reason) for item in check_project(project)] == [
        ("poetry.lock", "has merge-conflict markers (<<<<<<<); locked again from pyproject.toml")
    ]
