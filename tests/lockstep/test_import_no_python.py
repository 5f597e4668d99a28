"""An environment.yml that names no python (its pip entries imply one): import adds one,
from pyproject.toml's requires-python or the template's default, and says so."""

from __future__ import annotations

from pathlib import Path

from lockstep.importing.run import import_project
from lockstep.shared.environment import load_environment

NO_PYTHON = """\
name: demo
channels:
  - conda-forge
dependencies:
  - numpy
  - pip:
    - requests>=2.31
platforms:
  - linux-64
"""


def project(root: Path, pyproject: str, environment: str = NO_PYTHON) -> Path:
    root.mkdir()
    (root / "environment.yml").write_text(environment)
    (root / "pyproject.toml").write_text(pyproject)
    return root


def test_python_from_requires_python(tmp_path: Path) -> None:
    root = project(
        tmp_path / "p",
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.11,<3.12"\n',
    )

    result = import_project(project=root)

    text = (root / "environment.yml").read_text()
    assert text.splitlines()[3:6] == ["dependencies:", "  - python=3.11", "  - numpy"]
    assert load_environment(root / "environment.yml", requires_python=None).python_spec == "3.11.*"
    assert (
        "added: python=3.11 to environment.yml (it named no python; from pyproject.toml's"
        " requires-python '>=3.11,<3.12')"
    ) in result.lines


def test_python_from_the_template_default(tmp_path: Path) -> None:
    root = project(tmp_path / "p", '[project]\nname = "demo"\nversion = "0.1.0"\n')

    result = import_project(project=root)

    assert "  - python=3.12\n" in (root / "environment.yml").read_text()
    assert any(line.startswith("added: python=3.12 to environment.yml") for line in result.lines)


def test_only_a_pip_section(tmp_path: Path) -> None:
    """Nothing for conda but pip entries was refused; now python stands in the list."""
    environment = "dependencies:\n  - pip:\n    - requests\nplatforms:\n  - linux-64\n"
    root = project(
        tmp_path / "p",
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n',
        environment,
    )

    import_project(project=root)

    assert (root / "environment.yml").read_text() == (
        "dependencies:\n  - python>=3.10\nplatforms:\n  - linux-64\n"
    )
