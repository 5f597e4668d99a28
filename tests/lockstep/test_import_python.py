"""Python version ranges: requires-python derived from conda's python, and Poetry 1's
`python` read as PEP 440 (so lockstep's agreement check covers Poetry 1 projects)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from lockstep.importing.derive_python import requires_python_for
from lockstep.importing.poetry_constraint import PoetryConstraintError, poetry_to_pep440
from lockstep.shared.environment import load_environment
from lockstep.shared.errors import InputError
from lockstep.shared.pyproject import requires_python
from tests.support.in_process import run_lockstep

# Every form Poetry documents ("Dependency specification"), and real projects' pythons.
POETRY_CONSTRAINTS = [
    "^3",
    "^3.8",
    "^3.10.2",
    "^0.2.3",
    "^0.0.3",
    "^0.0",
    "^0",
    "~3",
    "~3.9",
    "~3.9.1",
    "~=3.9",
    "~=3.9.1",
    # poetry-core 2.0.1 (vendored by conda-lock) read this as >=3,<3.1; 2.5.0 as >=3,<4.
    "~=3",
    ">=3.8",
    ">3.8",
    ">3.10.4",
    "<3.12",
    "<=3.11",
    "<3.11.2",
    "==3.10",
    "3.10",
    "3.10.4",
    "==3.11.4",
    "=3.11",
    "!=3.10",
    "!=3.10.4",
    "3.*",
    "3.10.*",
    "==3.10.*",
    "!=3.10.*",
    ">=3.10.*",
    "*",
    "x",
    ">=3.8,<4",
    ">=3.8 <3.12",
    ">= 3.9, < 3.13",
    ">=3.8.0",
    "v3.10",
    "^v3.10",
    "^3.8 || ^2.7",
    "~2.7 || >=3.4",
    ">=2.7,!=3.0.*,!=3.1.*",
    ">=3.10,<3.14",
]
VERSIONS = [f"3.{minor}.{patch}" for minor in range(16) for patch in range(13)] + ["4.0.0"]

# Run by Poetry's own interpreter: Poetry 2.5.1's poetry-core answers for each pair.
POETRY_ORACLE = """
import json, sys
from poetry.core.constraints.version import Version, parse_marker_version_constraint
constraints, versions = json.loads(sys.stdin.read())
print(json.dumps({c: [parse_marker_version_constraint(c).allows(Version.parse(v))
                      for v in versions] for c in constraints}))
"""


def pep440_allows(constraint: str) -> list[bool]:
    translated = poetry_to_pep440(constraint)
    allowed = SpecifierSet(translated or "")
    return [allowed.contains(version) for version in VERSIONS]


def test_poetry_constraints_mean_the_same_as_for_poetry_2_5_itself() -> None:
    """It reads every documented Poetry form as the poetry-core Poetry 2.5.1 runs on does,
    for every Python 3 release from 3.0.0 to 3.15.12 (the real tool, not conda-lock's
    private vendored copy of an older poetry-core)."""
    poetry = shutil.which("poetry")
    if poetry is None:
        pytest.skip("Poetry is not on PATH (make test puts .venvs/bin there)")
    python = Path(poetry).resolve().parent / "python"
    answer = subprocess.run(
        [str(python), "-c", POETRY_ORACLE],
        input=json.dumps([POETRY_CONSTRAINTS, VERSIONS]),
        capture_output=True,
        text=True,
        check=True,
    )
    for constraint, expected in json.loads(answer.stdout).items():
        assert pep440_allows(constraint) == expected, constraint


def test_alternatives_pep440_cannot_express_are_refused() -> None:
    """It refuses two Python 3 alternatives, which one PEP 440 specifier set cannot say,
    and a constraint that is no constraint."""
    with pytest.raises(PoetryConstraintError, match="alternatives"):
        poetry_to_pep440("~3.8 || ^3.11")
    with pytest.raises(PoetryConstraintError, match=r"cannot read|names no version"):
        poetry_to_pep440(">=three")
    # Poetry 2.5.1 reads `<>3.10` as ==3.10, older Poetry as !=3.10: neither is guessed.
    with pytest.raises(PoetryConstraintError, match="ambiguous; write != instead"):
        poetry_to_pep440("<>3.10")


@pytest.mark.parametrize(
    ("conda", "derived"),
    [
        ("3.10", ">=3.10,<3.11"),
        ("3.10.*", ">=3.10,<3.11"),
        ("3.10.4", ">=3.10,<3.11"),
        ("3.6", ">=3.6,<3.7"),
        (">=3.9", ">=3.9"),
        ("<3.12", "<3.12"),
        (">=3.8,<3.12", ">=3.8,<3.12"),
        ("3.10.*|3.12.*", ">=3.10,<3.13"),
        ("*", None),
    ],
)
def test_requires_python_is_derived_from_condas_python(conda: str, derived: str | None) -> None:
    """It derives the minor-version range conda's spec selects, with conda's own VersionSpec,
    leaving open an end the spec leaves open."""
    assert requires_python_for(conda) == derived


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"project": {"requires-python": ">=3.10"}}, ">=3.10"),
        ({"tool": {"poetry": {"dependencies": {"python": "^3.9"}}}}, ">=3.9,<4"),
        ({"tool": {"poetry": {"dependencies": {"python": "*"}}}}, None),
        (
            {
                "project": {"requires-python": ">=3.9"},
                "tool": {"poetry": {"dependencies": {"python": "~3.11"}}},
            },
            ">=3.9,>=3.11,<3.12",
        ),
        ({"project": {"name": "x"}}, None),
    ],
)
def test_requires_python_reads_poetry_1_python_too(
    data: dict[str, object], expected: str | None
) -> None:
    """It reads [tool.poetry.dependencies] python as PEP 440, joined with requires-python
    when both are set (Poetry locks for the Pythons both allow)."""
    assert requires_python(data) == expected


def test_a_poetry_python_pep440_cannot_say_is_bad_input() -> None:
    """It refuses a Poetry python with alternatives in one line naming pyproject.toml."""
    data = {"tool": {"poetry": {"dependencies": {"python": "~3.8 || ^3.11"}}}}
    with pytest.raises(InputError, match=r"^pyproject.toml: \[tool.poetry.dependencies\] python"):
        requires_python(data)


POETRY1_PROJECT = """\
[tool.poetry]
name = "demo"
version = "0.1.0"
description = ""
authors = []

[tool.poetry.dependencies]
python = "{python}"
"""


def poetry1_project(root: Path, *, poetry_python: str, conda_python: str) -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text(POETRY1_PROJECT.format(python=poetry_python))
    (root / "environment.yml").write_text(
        f"channels: [conda-forge]\ndependencies:\n  - python={conda_python}\n"
    )
    return root


@pytest.mark.parametrize(
    ("poetry_python", "conda_python", "agrees"),
    [
        # A caret range allows every later minor version: ^3.9 is >=3.9,<4.
        ("^3.9", "3.12", True),
        ("^3.9", "3.8", False),
        ("~3.9", "3.12", False),
        ("~3.10", "3.10.*", True),
        (">=3.10,<3.13", "3.13", False),
    ],
)
def test_poetry_1_python_must_agree_with_environment_yml(
    tmp_path: Path, poetry_python: str, conda_python: str, agrees: bool
) -> None:
    """It checks a Poetry 1 project's python against environment.yml's, as requires-python."""
    project = poetry1_project(
        tmp_path / "p", poetry_python=poetry_python, conda_python=conda_python
    )
    data = {"tool": {"poetry": {"dependencies": {"python": poetry_python}}}}
    if agrees:
        load_environment(project / "environment.yml", requires_python=requires_python(data))
    else:
        with pytest.raises(InputError, match="disagrees with requires-python"):
            load_environment(project / "environment.yml", requires_python=requires_python(data))


@pytest.mark.parametrize("command", ["check", "lock"])
def test_a_disagreeing_poetry_1_project_exits_2_before_anything_runs(
    tmp_path: Path, command: str
) -> None:
    """`lockstep check` and `lockstep lock` exit 2 on `~3.9` against `python=3.12`, the
    error's one line naming environment.yml; before, Poetry 1 projects were not checked."""
    project = poetry1_project(tmp_path / "p", poetry_python="~3.9", conda_python="3.12")
    result = run_lockstep([command, "--project", str(project)])
    assert result.returncode == 2, result.stderr
    error = [line for line in result.stderr.splitlines() if line.startswith("lockstep: error")]
    assert len(error) == 1
    assert "environment.yml: python '3.12.*'" in error[0]
    assert "disagrees with requires-python '>=3.9,<3.10'" in error[0]
    assert "Traceback" not in result.stderr
