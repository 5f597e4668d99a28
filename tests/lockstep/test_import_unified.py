"""A unified conda-lock.yml imports to the template's explicit lockfiles (issue 17, point 4).

The data: 16 real unified lockfiles with their environment.yml from the same commit
(tests/data/realworld/unified, SOURCES.tsv; `fresh_platforms` there was measured with
conda-lock's own content hash when the files were collected). Each is imported with
`--from conda-lock.yml` into a copy of the template. The oracle is the real `conda-lock
render --kind explicit` (conda-lock 4.0.3) on the same file: every converted lockfile has
its package lines byte for byte, and is the whole rendered file where the lockfile has no
pip packages. Afterwards `lock` would solve none of the converted platforms again.

conda-lock reads an environment.yml's `pip:` section with a PyPI-to-conda name mapping it
downloads from raw.githubusercontent.com, out of reach here. LOCKSTEP_PYPI_MAPPING stands
in for that download (a network boundary) with an empty mapping: conda-lock takes a name
the mapping lacks as its own, and the one name a `pip:` section looks up is `pip`, which
the real mapping maps to `pip` too. The real lockfiles' recorded content hashes, which a
different reading would not reproduce, are what shows it.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from pathlib import Path

import pytest

from lockstep.importing.run import import_project
from lockstep.lock.pipeline import platforms_to_solve
from lockstep.shared.environment import load_environment
from lockstep.shared.errors import InputError
from lockstep.shared.project import ProjectFiles
from tests.lockstep.lock_scenario import REPO_ROOT

UNIFIED = REPO_ROOT / "tests" / "data" / "realworld" / "unified"
ROWS = {
    row["name"]: row for row in csv.DictReader((UNIFIED / "SOURCES.tsv").open(), delimiter="\t")
}
TEMPLATE_FILES = ("pyproject.toml", "environment.yml", "template.toml", "README.md")
CONDA_LOCK = shutil.which("conda-lock") or "conda-lock"
# Refused by conda-lock's own reader (and by its `render`, SOURCES.tsv says): four pip
# packages lack `category` and `optional`.
UNREADABLE = {"cantera-papers"}
# Fresh as collected, but the import adds the python the file did not name (the template
# needs one): another conda side than the one locked, so `make env-update` solves it.
PYTHON_ADDED = {"readcon"}


@pytest.fixture(autouse=True)
def _mapping_stand_in(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    mapping = tmp_path_factory.getbasetemp() / "empty-pypi-mapping.json"
    mapping.write_text("{}\n")
    monkeypatch.setenv("LOCKSTEP_PYPI_MAPPING", str(mapping))


def template_with(root: Path, name: str) -> Path:
    root.mkdir(parents=True)
    for file in TEMPLATE_FILES:
        shutil.copyfile(REPO_ROOT / file, root / file)
    source = root / "from"
    shutil.copytree(UNIFIED / name, source)
    return source / "conda-lock.yml"


def rendered(unified: Path, out: Path) -> dict[str, str]:
    """What the real `conda-lock render --kind explicit` writes, per platform."""
    out.mkdir()
    shutil.copyfile(unified, out / "conda-lock.yml")
    subprocess.run(
        [CONDA_LOCK, "render", "--kind", "explicit", "--filename-template", "r-{platform}",
         "conda-lock.yml"],
        cwd=out, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return {p.name.removeprefix("r-"): p.read_text() for p in out.glob("r-*")}


def package_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize("name", sorted(set(ROWS) - UNREADABLE))
def test_converted_lockfiles_are_what_conda_lock_renders(tmp_path: Path, name: str) -> None:
    unified = template_with(tmp_path / "p", name)
    root = tmp_path / "p"

    result = import_project(project=root, source=unified)

    environment = load_environment(root / "environment.yml", requires_python=None)
    fresh = set(ROWS[name]["fresh_platforms"].split()) - {"-"}
    expected = set() if name in PYTHON_ADDED else fresh & set(environment.platforms)
    converted = {
        path.name.removeprefix("conda-").removesuffix(".lock")
        for path in ProjectFiles(root).existing_conda_locks()
    }
    assert converted == expected, result.lines
    oracle = rendered(unified, tmp_path / "render")
    for platform in converted:
        text = (root / f"conda-{platform}.lock").read_text()
        assert package_lines(text) == package_lines(oracle[platform]), platform
        if ROWS[name]["pip_packages"] == "no":
            assert text == oracle[platform]
    # Each platform of the project gets its line: converted, or why not.
    assert len([line for line in result.lines if "converted: " in line]) == len(
        environment.platforms
    )
    # `lock` reuses the converted files as fresh and solves only the others.
    to_solve = platforms_to_solve(ProjectFiles(root), environment, upgrade=False)
    assert set(to_solve) == set(environment.platforms) - converted


def test_at_least_six_projects_keep_their_versions() -> None:
    """The data holds what the issue measured: most real unified lockfiles are fresh."""
    fresh = [name for name, row in ROWS.items() if row["fresh_platforms"] != "-"]
    assert len(ROWS) == 16
    assert len(fresh) >= 6


def test_beside_the_environment_yml_it_is_imported_too(tmp_path: Path) -> None:
    unified = template_with(tmp_path / "p", "agu24workshop")

    result = import_project(project=tmp_path / "p", source=unified.parent / "environment.yml")

    assert (tmp_path / "p" / "conda-linux-64.lock").is_file()
    assert result.lines[-2].startswith("converted: conda-lock.yml's linux-64 -> conda-linux-64")


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_one_conda_lock_cannot_read_is_refused_in_one_line(tmp_path: Path, name: str) -> None:
    unified = template_with(tmp_path / "p", name)
    before = {file: (tmp_path / "p" / file).read_bytes() for file in TEMPLATE_FILES}

    with pytest.raises(InputError) as refused:
        import_project(project=tmp_path / "p", source=unified)

    message = str(refused.value)
    assert message.startswith(f"{unified}: conda-lock cannot read it as a unified lockfile (")
    assert "\n" not in message
    assert {file: (tmp_path / "p" / file).read_bytes() for file in TEMPLATE_FILES} == before
    # The real `conda-lock render` refuses it too.
    with pytest.raises(subprocess.CalledProcessError):
        rendered(unified, tmp_path / "render")
