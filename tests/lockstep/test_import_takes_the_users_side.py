"""Import takes the user's side (issue 17, point 2): the python of the file imported with
`--from` defines requires-python, and the template's example dependencies give way to
what the file names; after `make init` (no template.toml) a project's own entries are kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lockstep.importing.run import import_project
from lockstep.shared.errors import InputError
from lockstep.shared.toml_reader import tomllib
from tests.lockstep.lock_scenario import REPO_ROOT

FROM = """\
name: mine
channels:
  - conda-forge
dependencies:
  - python=3.10
  - numpy=1.26.3
  - pip
  - pip:
    - packaging==23.2
    - requests>=2.31
"""
POETRY_1 = """\
[tool.poetry]
name = "mine"
version = "0.1.0"
description = ""
authors = ["Me <me@example.org>"]

[tool.poetry.dependencies]
python = "^3.12"
"""


def template(root: Path, *, initialised: bool = False) -> Path:
    root.mkdir()
    for name in ("pyproject.toml", "environment.yml", "README.md", "template.toml"):
        if not (initialised and name == "template.toml"):
            shutil.copyfile(REPO_ROOT / name, root / name)
    source = root / "mine.yml"
    source.write_text(FROM)
    return source


def project_table(root: Path) -> dict[str, object]:
    data = tomllib.loads((root / "pyproject.toml").read_text())
    table: dict[str, object] = data["project"]
    return table


def test_the_imported_python_rewrites_requires_python(tmp_path: Path) -> None:
    source = template(tmp_path / "p")

    result = import_project(project=tmp_path / "p", source=source)

    assert project_table(tmp_path / "p")["requires-python"] == ">=3.10,<3.11"
    assert result.lines[1] == (
        'rewritten: requires-python = ">=3.12,<3.13" -> ">=3.10,<3.11" (mine.yml\'s python'
        " 3.10.* defines it; --keep-requires-python refuses instead)"
    )


def test_an_agreeing_requires_python_is_kept(tmp_path: Path) -> None:
    source = template(tmp_path / "p")
    source.write_text(FROM.replace("python=3.10", "python=3.12"))

    result = import_project(project=tmp_path / "p", source=source)

    assert project_table(tmp_path / "p")["requires-python"] == ">=3.12,<3.13"
    assert not [line for line in result.lines if "requires-python" in line]


def test_keep_requires_python_refuses_and_changes_nothing(tmp_path: Path) -> None:
    source = template(tmp_path / "p")
    before = (tmp_path / "p" / "pyproject.toml").read_bytes()

    with pytest.raises(InputError, match=r"mine\.yml: python '3\.10\.\*' \(it allows 3\.10\.0\)"):
        import_project(project=tmp_path / "p", source=source, keep_requires_python=True)

    assert (tmp_path / "p" / "pyproject.toml").read_bytes() == before


def test_poetry_1_python_is_rewritten_too(tmp_path: Path) -> None:
    root = tmp_path / "p"
    source = template(root, initialised=True)
    (root / "pyproject.toml").write_text(POETRY_1)

    result = import_project(project=root, source=source)

    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert data["tool"]["poetry"]["dependencies"]["python"] == ">=3.10,<3.11"
    assert any(
        line.startswith('rewritten: [tool.poetry.dependencies] python = "^3.12" -> ">=3.10,<3.11"')
        for line in result.lines
    )


def test_the_example_entries_give_way_and_say_so(tmp_path: Path) -> None:
    """numpy>=2.1 goes (the file's conda side has numpy=1.26.3: conda has the final say);
    packaging>=24 becomes the file's packaging==23.2, in its place."""
    source = template(tmp_path / "p")

    result = import_project(project=tmp_path / "p", source=source)

    assert project_table(tmp_path / "p")["dependencies"] == ["packaging==23.2", "requests>=2.31"]
    assert (
        "removed: the example's numpy>=2.1 from pyproject.toml (mine.yml lists numpy on the"
        " conda side, which has the final say)"
    ) in result.lines
    assert (
        "replaced: the example's packaging>=24 in pyproject.toml by the pip entry packaging==23.2"
    ) in result.lines


def test_after_init_the_projects_own_entries_win(tmp_path: Path) -> None:
    """Without template.toml the same entries are the project's own: kept, and said."""
    source = template(tmp_path / "p", initialised=True)

    result = import_project(project=tmp_path / "p", source=source)

    dependencies = project_table(tmp_path / "p")["dependencies"]
    assert dependencies == ["numpy>=2.1", "packaging>=24", "requests>=2.31"]
    kept = "kept: pyproject.toml's packaging>=24 (not the pip entry packaging==23.2)"
    assert kept in result.lines


def test_a_bare_python_takes_requires_python(tmp_path: Path) -> None:
    """`- python` with no version: requires-python stays and the entry is narrowed to it."""
    source = template(tmp_path / "p")
    source.write_text(FROM.replace("python=3.10", "python"))

    result = import_project(project=tmp_path / "p", source=source)

    assert "  - python=3.12\n" in (tmp_path / "p" / "environment.yml").read_text()
    assert project_table(tmp_path / "p")["requires-python"] == ">=3.12,<3.13"
    assert (
        "rewritten: python -> python=3.12 in environment.yml (it named no version; from"
        " pyproject.toml's requires-python '>=3.12,<3.13')"
    ) in result.lines


def test_template_toml_lists_the_dependencies_the_template_ships() -> None:
    """What import treats as the example's is exactly what pyproject.toml ships."""
    manifest = tomllib.loads((REPO_ROOT / "template.toml").read_text())
    shipped = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert manifest["example"]["dependencies"] == shipped
