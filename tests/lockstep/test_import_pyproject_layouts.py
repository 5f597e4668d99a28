"""`lockstep import` into pyproject.toml files TOML allows however their tables are written.

A table split by another one (`[project]`, `[tool.poetry]`, `[project.urls]`: beets's
file), dotted keys, an inline table, and a file whose last line has no newline: each
real `lockstep import` process adds its entries there, the file stays valid TOML, what
the project had reads back the same (tomllib), the bytes outside the edit stay, and
Poetry finds nothing new to report (`poetry check`).
"""

from __future__ import annotations

import difflib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from lockstep.shared.toml_reader import tomllib
from tests.lockstep.lock_scenario import REPO_ROOT

POETRY = str(REPO_ROOT / ".venvs" / "bin" / "poetry")
BEETS = REPO_ROOT / "tests/data/realworld/inputs/poetry-pre-2.3/beets/pyproject.toml"
ENVIRONMENT = """\
name: demo
channels:
  - conda-forge
dependencies:
  - python=3.12
  - pip
  - pip:
    - requests>=2.31
    - --extra-index-url https://download.pytorch.org/whl/cu118
"""
POETRY1_HEAD = 'name = "x"\nversion = "1"\ndescription = ""\nauthors = []\n'


def beets_without_dependencies() -> str:
    """beets's pyproject.toml (at the commit SOURCES names) minus [project] dependencies."""
    text = BEETS.read_text(encoding="utf-8")
    edited, count = re.subn(r"(?m)^dependencies = \[\n(?:    .*\n)*\]\n", "", text, count=1)
    assert count == 1
    assert "dependencies" not in tomllib.loads(edited)["project"]
    return edited


# (layout, pyproject.toml, which style the import writes in)
LAYOUTS = [
    ("beets-split-project", beets_without_dependencies(), "pep621"),
    (
        "split-project",
        '[project]\nname = "x"\nversion = "1"\n\n[tool.poetry]\npackage-mode = false\n\n'
        '[project.urls]\nHomepage = "https://example.org"\n\n'
        '[tool.poetry.dependencies]\nlocal = { path = "." }\n',
        "pep621",
    ),
    (
        "dotted-project",
        'project.name = "x"\nproject.version = "1"\n\n[tool.poetry]\npackage-mode = false\n',
        "pep621",
    ),
    ("inline-project", 'project = { name = "x", version = "1" }\n', "pep621"),
    (
        "project-last-no-newline",
        '[tool.poetry]\npackage-mode = false\n\n[project]\nname = "x"\nversion = "1" # ours',
        "pep621",
    ),
    (
        "poetry1-split",
        f'[tool.poetry]\n{POETRY1_HEAD}\n[build-system]\nrequires = ["poetry-core"]\n\n'
        '[tool.poetry.dependencies]\nclick = "^8"\n',
        "poetry",
    ),
    (
        "poetry1-dependency-table-after-another",
        f'[tool.poetry]\n{POETRY1_HEAD}\n[tool.poetry.dependencies]\nclick = "^8"\n\n'
        '[build-system]\nrequires = ["poetry-core"]\n\n'
        '[tool.poetry.dependencies.attrs]\nversion = "^23"\n',
        "poetry",
    ),
    (
        "poetry1-dotted",
        f'[tool.poetry]\n{POETRY1_HEAD}dependencies.click = "^8"\n',
        "poetry",
    ),
    (
        "poetry1-dotted-in-root",
        "".join(f"tool.poetry.{line}\n" for line in POETRY1_HEAD.splitlines())
        + 'tool.poetry.dependencies.click = "^8"\n',
        "poetry",
    ),
    (
        "poetry1-inline-dependencies",
        f'[tool.poetry]\n{POETRY1_HEAD}dependencies = {{ click = "^8" }}\n',
        "poetry",
    ),
    (
        "poetry1-last-no-newline",
        f'[tool.poetry]\n{POETRY1_HEAD}\n[tool.poetry.dependencies]\nclick = "^8"',
        "poetry",
    ),
]


def poetry_check(root: Path) -> tuple[int, str]:
    result = subprocess.run(
        [POETRY, "check", "--directory", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def without(data: dict[str, Any], *path: str) -> dict[str, Any]:
    """data without the key at `path` (and the tables only it left behind)."""
    copy = dict(data)
    if len(path) == 1:
        copy.pop(path[0], None)
    elif path[0] in copy:
        inner = without(copy[path[0]], *path[1:])
        if inner:
            copy[path[0]] = inner
        else:
            del copy[path[0]]
    return copy


def only_inserted(before: str, after: str) -> bool:
    """`after` is `before` with text inserted, nothing removed or changed (a last line
    without a newline may gain one: a new line follows it)."""
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    return all(tag in {"equal", "insert"} for tag, *_ in matcher.get_opcodes())


@pytest.mark.parametrize(("layout", "text", "style"), LAYOUTS, ids=[case[0] for case in LAYOUTS])
def test_the_import_adds_its_entries_in_any_layout(
    tmp_path: Path, layout: str, text: str, style: str
) -> None:
    root = tmp_path / layout
    root.mkdir()
    (root / "pyproject.toml").write_text(text, encoding="utf-8", newline="")
    (root / "environment.yml").write_text(ENVIRONMENT, encoding="utf-8")
    checked_before = poetry_check(root)

    result = subprocess.run(
        [sys.executable, "-m", "lockstep", "import", "--project", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    after = (root / "pyproject.toml").read_bytes().decode()
    data = tomllib.loads(after)  # valid TOML
    original = tomllib.loads(text)
    if style == "pep621":
        [requests] = [
            Requirement(entry)
            for entry in data["project"]["dependencies"]
            if Requirement(entry).name == "requests"
        ]
        assert requests.specifier == SpecifierSet(">=2.31")
        python = data["project"].get("requires-python")
        added: list[tuple[str, ...]] = [("project", "dependencies"), ("project", "requires-python")]
    else:
        dependencies = data["tool"]["poetry"]["dependencies"]
        assert SpecifierSet(dependencies["requests"]) == SpecifierSet(">=2.31")
        python = dependencies["python"]
        added = [("tool", "poetry", "dependencies", key) for key in ("requests", "python")]
    kept = without(data, "tool", "poetry", "source")
    for path in added:
        if path[-1] not in original.get(path[0], {}):
            kept = without(kept, *path)
    assert kept == original
    if "requires-python" not in original.get("project", {}):
        assert python is not None
        allowed = SpecifierSet(python)
        assert "3.12.4" in allowed and "3.11.9" not in allowed and "3.13.0" not in allowed
    sources = data["tool"]["poetry"]["source"]
    assert [source["url"] for source in sources] == ["https://download.pytorch.org/whl/cu118"]
    assert only_inserted(text, after), "".join(
        difflib.unified_diff(text.splitlines(True), after.splitlines(True))
    )
    checked_after = poetry_check(root)
    if layout.startswith("beets"):
        # Poetry reports the same about beets's file before and after: its dependency
        # groups' `include-groups`, which this Poetry's schema does not know.
        assert checked_after == checked_before
    else:
        assert checked_after[0] == 0, checked_after[1]
        assert "invalid" not in checked_after[1].lower(), checked_after[1]
