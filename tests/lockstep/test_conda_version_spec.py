"""conda's version specs, matched through py-rattler's public API (no dependency's private
modules): conda's documented semantics, the python lines real environment.yml files
carry, and the guard that lockstep imports no underscore module of any dependency."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lockstep.importing.derive_python import requires_python_for
from lockstep.shared.conda_version_spec import CondaVersionSpec
from lockstep.shared.environment import check_python_agrees, load_environment
from lockstep.shared.errors import InputError

REPO = Path(__file__).resolve().parents[2]
LOCKSTEP = REPO / "scripts" / "lockstep"
VERSIONS = [f"3.{minor}.{patch}" for minor in range(6, 16) for patch in (0, 1, 4, 9, 10, 13)]


def minor(version: str) -> int:
    return int(version.split(".")[1])


def release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


# conda's semantics as its documentation states them ("Package match specifications" in
# conda-build's docs; the docstring of conda/models/version.py): `.*` and a trailing `*`
# are prefix matches; a bare version is an exact match in which trailing zeros do not
# count (3.10 == 3.10.0); `,` is and, `|` is or (`,` binds tighter); `~=` is "compatible
# release". Each spec with the versions (of VERSIONS) it selects, written out by hand.
CONDA_SEMANTICS = [
    ("3.12.*", {v for v in VERSIONS if v.startswith("3.12.")}),
    ("3.12*", {v for v in VERSIONS if v.startswith("3.12.")}),
    ("3.*", set(VERSIONS)),
    ("*", set(VERSIONS)),
    ("3.10", {"3.10.0"}),
    ("3.10.4", {"3.10.4"}),
    ("==3.10.13", {"3.10.13"}),
    ("!=3.10.4", set(VERSIONS) - {"3.10.4"}),
    ("!=3.11.*", {v for v in VERSIONS if not v.startswith("3.11.")}),
    (">=3.10.10", {v for v in VERSIONS if release(v) >= (3, 10, 10)}),
    ("<3.11", {v for v in VERSIONS if minor(v) <= 10}),
    (">3.13.9", {"3.13.10", "3.13.13", *(v for v in VERSIONS if minor(v) >= 14)}),
    ("<=3.6.4", {"3.6.0", "3.6.1", "3.6.4"}),
    (">=3.11,<3.15", {v for v in VERSIONS if 11 <= minor(v) <= 14}),
    ("3.12|3.13", {"3.12.0", "3.13.0"}),
    ("3.10.*|3.12.*", {v for v in VERSIONS if minor(v) in {10, 12}}),
    (">=3.8,<3.9|3.13.*", {v for v in VERSIONS if minor(v) in {8, 13}}),
    ("~=3.10.4", {"3.10.4", "3.10.9", "3.10.10", "3.10.13"}),
    ("~=3.10", {v for v in VERSIONS if minor(v) >= 10}),
]


@pytest.mark.parametrize(("spec", "selected"), CONDA_SEMANTICS)
def test_it_matches_as_conda_documents(spec: str, selected: set[str]) -> None:
    """It selects exactly the versions conda's documented semantics select."""
    matcher = CondaVersionSpec(spec)
    assert {version for version in VERSIONS if matcher.match(version)} == selected


# The python lines of tests/data/realworld's environment.yml files, as written there
# (pairs/*/environment.yml, inputs/env/*.yml), and the requires-python each selects by the
# semantics above: the minor versions it allows, an end it leaves open left open.
REAL_PYTHON_LINES = [
    ("python=3.12.*", ">=3.12,<3.13"),
    ("python=3.12", ">=3.12,<3.13"),
    ("python=3.8", ">=3.8,<3.9"),
    ("python=3.10.*", ">=3.10,<3.11"),
    ("python=3.10.4", ">=3.10,<3.11"),
    ("python=3.13.9", ">=3.13,<3.14"),
    ("python==3.10.13", ">=3.10,<3.11"),
    ("python=3.9.23=h7139b31_0_cpython", ">=3.9,<3.10"),
    ("python=3.6.1=0", ">=3.6,<3.7"),
    ("python 3.12*", ">=3.12,<3.13"),
    ("python>=3.10.10", ">=3.10"),
    ("python >=3.12", ">=3.12"),
    ("python <3.11", "<3.11"),
    ("python>=3.11,<3.15", ">=3.11,<3.15"),
    ("python >= 3.8, < 3.9", ">=3.8,<3.9"),
    # Every Python 3, the top open: conda's `3.*` is PEP 440's `>=3.0`.
    ("python=3.*", ">=3.0"),
]


@pytest.mark.parametrize(("line", "derived"), REAL_PYTHON_LINES)
def test_real_python_lines_select_what_conda_selects(
    tmp_path: Path, line: str, derived: str | None
) -> None:
    """Read by conda-lock's parser as lockstep reads environment.yml, each real line gives
    the requires-python conda's semantics give, which then agrees with it; a range one minor
    version narrower at the top does not."""
    environment = tmp_path / "environment.yml"
    environment.write_text(f"channels: [conda-forge]\ndependencies:\n  - {line}\n")
    spec = load_environment(environment, requires_python=None).python_spec
    assert requires_python_for(spec) == derived
    if derived is not None:
        check_python_agrees(environment, spec, derived)
    if derived is not None and "<" in derived:
        top = int(derived.rsplit("<3.", 1)[1])
        narrower = derived.replace(f"<3.{top}", f"<3.{top - 1}")
        with pytest.raises(InputError, match="disagrees with requires-python"):
            check_python_agrees(environment, spec, narrower)


# conda-lock's MatchSpec lets this through; conda's solvers (and py-rattler) refuse it.
NOT_A_VERSION_SPEC = "python *!3"


def test_a_spec_no_conda_reads_is_bad_input(tmp_path: Path) -> None:
    """`lockstep check` exits 2 with one line naming environment.yml, not 70."""
    project = tmp_path / "p"
    project.mkdir()
    (project / "environment.yml").write_text(
        f"channels: [conda-forge]\ndependencies:\n  - {NOT_A_VERSION_SPEC}\n"
    )
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\nrequires-python = ">=3.10"\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "lockstep", "check", "--project", str(project)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("lockstep: error")]
    assert len(errors) == 1, result.stderr
    assert "environment.yml: python '*!3' is not a conda version spec" in errors[0]


# Dependencies lockstep may import, and only by their public names.
DEPENDENCIES = {
    "conda_lock",
    "conda_package_streaming",
    "packaging",
    "poetry",
    "rattler",
    "requests",
    "tomli",
    "tomlkit",
    "yaml",
}


def _private_uses(path: Path) -> list[str]:
    """Each `import a._b`, `from a._b import c`, `from a import _b` and `a._b` attribute
    of a dependency in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    imported = set()
    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
            imported |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [f"{node.module}.{alias.name}" for alias in node.names]
        for module in modules:
            parts = module.split(".")
            if parts[0] in DEPENDENCIES and any(part.startswith("_") for part in parts[1:]):
                found.append(f"{path.name}:{getattr(node, 'lineno', 0)}: {module}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and isinstance(node.value, ast.Name)
            and node.value.id in imported & DEPENDENCIES
        ):
            found.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


# Private uses still there, each a line `FILE: module.attribute`: none.
KNOWN: list[str] = []


def test_lockstep_uses_no_private_module_of_a_dependency() -> None:
    """Nothing in lockstep's package, its shared test code or the tests reaches into a
    dependency's underscore modules or attributes (conda-lock's `_vendor` included): a
    release may move or drop them at any time, as tomlkit 0.15.3 dropped
    `Container._insert_after`."""
    sources = [
        *sorted((LOCKSTEP / "src").rglob("*.py")),
        *sorted((LOCKSTEP / "testing").rglob("*.py")),
        *sorted((LOCKSTEP.parents[1] / "tests").rglob("*.py")),
    ]
    assert sources
    found = [use for path in sources for use in _private_uses(path)]
    # Compared without line numbers, which other edits move.
    assert [re.sub(r":\d+:", ":", use) for use in found] == KNOWN, found
