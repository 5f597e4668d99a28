"""`lockstep import --from FILE` with the template's own files in place, as a new user runs it.

Every real environment.yml of tests/data/realworld (inputs/env and each pair's) is imported
into a copy of the template's pyproject.toml, environment.yml and template.toml, the
project not initialised yet. The imported python defines requires-python, the example's
dependencies give way to what the file names, and at least 90 % import; a refusal is one
line naming the file read and why. Run in this process (the real command is run for a
sample in test_import_realworld.py and below for the flag).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from lockstep.importing.run import import_project
from lockstep.shared.environment import CANDIDATE_PYTHONS, load_environment
from lockstep.shared.errors import EXIT_BAD_INPUT, InputError
from lockstep.shared.pyproject import read_pyproject, requires_python
from tests.lockstep.lock_scenario import REPO_ROOT

REALWORLD = REPO_ROOT / "tests" / "data" / "realworld"
SOURCES = sorted(
    [
        *(REALWORLD / "inputs" / "env").glob("*.yml"),
        *(REALWORLD / "pairs").glob("*/environment.yml"),
    ]
)
TEMPLATE_FILES = ("pyproject.toml", "environment.yml", "template.toml", "README.md")
# What is refused however the template's files look, and why (the same refusals as with
# each file's own project, test_import_realworld.py; a pair missing its `-r` file).
REFUSED = {
    "1kastner-pinned-utf16.yml": "is a package list (`conda list --export`",
    "fv3net-dataflow.yml": "is a local path whose package name lockstep cannot read",
    "s-parastell.yml": "names no package; write it as `NAME @ git+https",
}


def template_copy(root: Path, source: Path) -> Path:
    root.mkdir(parents=True)
    for name in TEMPLATE_FILES:
        shutil.copyfile(REPO_ROOT / name, root / name)
    imported = root / "from" / source.name
    imported.parent.mkdir()
    shutil.copyfile(source, imported)
    return imported


def label(source: Path) -> str:
    return source.name if source.parent.name == "env" else f"{source.parent.name}/{source.name}"


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str | None]]:
    base = tmp_path_factory.mktemp("template-import")
    found: dict[str, tuple[Path, str | None]] = {}
    for number, source in enumerate(SOURCES):
        root = base / str(number)
        imported = template_copy(root, source)
        try:
            import_project(project=root, source=imported)
        except InputError as error:
            found[label(source)] = (root, str(error))
        else:
            found[label(source)] = (root, None)
    return found


def test_at_least_90_percent_import_and_each_refusal_is_one_line(
    outcomes: dict[str, tuple[Path, str | None]],
) -> None:
    """86 of the 89 import (97 %); the 3 refused are refused with any pyproject.toml."""
    assert len(outcomes) == len(SOURCES) == 89
    refused = {name: refusal for name, (_, refusal) in outcomes.items() if refusal is not None}
    assert sorted(refused) == sorted(REFUSED)
    for name, refusal in refused.items():
        assert "\n" not in refusal, name
        # It names the file read: the --from copy.
        assert refusal.startswith(f"{outcomes[name][0]}/from/{name}: "), refusal
        assert REFUSED[name] in refusal
    assert 1 - len(refused) / len(outcomes) >= 0.9


def test_the_imported_python_defines_requires_python(
    outcomes: dict[str, tuple[Path, str | None]],
) -> None:
    """Each import leaves the two sides selecting the same Pythons, as `lock` demands,
    whatever the example's `>=3.12,<3.13` was."""
    rewritten = 0
    for name, (root, refusal) in outcomes.items():
        if refusal is not None:
            continue
        allowed = requires_python(read_pyproject(root / "pyproject.toml"))
        # load_environment refuses a disagreement in one InputError.
        environment = load_environment(root / "environment.yml", requires_python=allowed)
        assert allowed is not None, name
        rewritten += allowed != ">=3.12,<3.13"
        assert [v for v in CANDIDATE_PYTHONS if v in SpecifierSet(allowed)], name
        assert environment.python_spec, name
    # Most real files name another python than the template's 3.12.
    assert rewritten >= 40


def test_the_example_entries_never_win(outcomes: dict[str, tuple[Path, str | None]]) -> None:
    """The example's numpy>=2.1 and packaging>=24 are gone wherever the imported file
    names numpy or packaging, on either side."""
    checked = 0
    for name, (root, refusal) in outcomes.items():
        if refusal is not None:
            continue
        environment = (root / "environment.yml").read_text()
        dependencies = read_pyproject(root / "pyproject.toml")["project"]["dependencies"]
        for entry in dependencies:
            requirement = Requirement(entry)
            if str(requirement) in {"numpy>=2.1", "packaging>=24"}:
                key = canonicalize_name(requirement.name)
                assert f"- {key}" not in environment.replace("_", "-"), (name, entry)
                checked += 1
    assert checked > 0


def run_import(root: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lockstep", "import", "--project", str(root), *arguments],
        capture_output=True,
        text=True,
        check=False,
    )


def test_keep_requires_python_refuses_in_one_line(tmp_path: Path) -> None:
    source = REALWORLD / "inputs" / "env" / "stylegan3.yml"
    imported = template_copy(tmp_path / "p", source)
    before = {name: (tmp_path / "p" / name).read_bytes() for name in TEMPLATE_FILES}

    result = run_import(tmp_path / "p", "--from", str(imported), "--keep-requires-python")

    assert result.returncode == EXIT_BAD_INPUT, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"lockstep: error: {imported}: python "), lines
    assert "disagrees with requires-python '>=3.12,<3.13'" in lines[0]
    assert lines[0].endswith(
        "make them select the same Pythons, or import without --keep-requires-python to let"
        " its python define requires-python"
    )
    after = {name: (tmp_path / "p" / name).read_bytes() for name in TEMPLATE_FILES}
    assert after == before
