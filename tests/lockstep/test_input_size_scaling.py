"""Work grows linearly with the input: n and 4n entries, timed in the same run.

Not a timed test: a fixed machine speed is never assumed, only the ratio between two sizes
measured one after the other (best of three each). Linear work gives a ratio near 4; the
quadratic code this guards against (one scan of [tool.poetry.dependencies] per added
dependency; PyYAML's per-character reader is linear, only slow) gives 16 and more.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from lockstep.importing.environment_file import rewrite_environment
from lockstep.importing.pyproject_writer import write_pyproject
from lockstep.importing.requirements import Dependency, parse_lines

SMALL = 1000
# Generous: linear is ~4, quadratic ~16; a busy machine moves single runs, not best-of-3.
MAX_RATIO = 9.0
POETRY_PYPROJECT = """[tool.poetry]
name = "demo"
version = "0.1.0"

[tool.poetry.dependencies]
python = "^3.10"
requests = "^2.31"

# The dev group follows.
[tool.poetry.group.dev.dependencies]
pytest = "^8"
"""


def _best_of_three(work: Callable[[], object]) -> float:
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return min(timings)


def _ratio(work_for: Callable[[int], Callable[[], object]], *, n: int = SMALL) -> float:
    small, large = work_for(n), work_for(4 * n)
    small()  # warm-up: imports and caches, outside the timing
    return _best_of_three(large) / _best_of_three(small)


def test_adding_poetry_dependencies_is_linear(tmp_path: Path) -> None:
    def work_for(n: int) -> Callable[[], object]:
        lines = [f"pkg{i}==1.0" for i in range(n)]
        requirements = parse_lines(lines, where=tmp_path / "r.txt", project_root=tmp_path)
        return lambda: write_pyproject(
            POETRY_PYPROJECT,
            path=tmp_path / "pyproject.toml",
            dependencies=requirements.dependencies,
            indexes=[],
            python_spec="3.11",
        )

    assert _ratio(work_for) < MAX_RATIO


def test_rewriting_a_commented_environment_is_linear(tmp_path: Path) -> None:
    def work_for(n: int) -> Callable[[], object]:
        comments = "".join(f"# note {i}: {'x' * 60}\n" for i in range(10 * n))
        text = f"name: demo\n{comments}dependencies:\n  - python=3.11\n  - numpy\n"
        return lambda: rewrite_environment(text, path=tmp_path / "environment.yml")

    assert _ratio(work_for) < MAX_RATIO


def test_adding_pep621_dependencies_to_a_new_array_is_linear(tmp_path: Path) -> None:
    """A PEP 621 project without a dependencies array: the array the import creates. At
    2,000 entries appending one by one (tomlkit re-indexes the array each time) gives a
    ratio of 14 and more; the linear parts would hide it at 1,000 on a busy machine."""

    def work_for(n: int) -> Callable[[], object]:
        lines = [f"pkg{i}==1.0" for i in range(n)]
        requirements = parse_lines(lines, where=tmp_path / "r.txt", project_root=tmp_path)
        return lambda: write_pyproject(
            '[project]\nname = "demo"\nversion = "0.1.0"\n',
            path=tmp_path / "pyproject.toml",
            dependencies=requirements.dependencies,
            indexes=[],
            python_spec="3.11",
        )

    assert _ratio(work_for, n=2 * SMALL) < MAX_RATIO


def test_writing_new_pep621_entries_costs_less_than_reading_them(tmp_path: Path) -> None:
    """A new [project] dependencies array of n entries is written in a fraction of the time
    packaging takes to read those n pip entries. Timed in the same run, a ratio: when each
    entry went through tomlkit (and packaging again), writing took 2.5 times the reading."""
    lines = [f"pkg{i}==1.{i % 7}" for i in range(5000)]
    where = tmp_path / "environment.yml"

    def read() -> list[Dependency]:
        return parse_lines(lines, where=where, project_root=tmp_path).dependencies

    dependencies = read()

    def write() -> object:
        return write_pyproject(
            '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n',
            path=tmp_path / "pyproject.toml",
            dependencies=dependencies,
            indexes=[],
            python_spec="3.11",
        )

    write()  # warm-up
    assert _best_of_three(write) / _best_of_three(read) < 0.5


def test_conda_lock_reads_environment_yml_at_libyaml_speed(tmp_path: Path) -> None:
    """conda-lock's own hash of a 2 MB environment.yml costs a few libyaml parses of it, not
    PyYAML's pure-Python parser's twenty-odd times that (measured: 70 s for 10 MB)."""
    from lockstep.shared.conda_input_hash import conda_input_hashes
    from lockstep.shared.yaml_files import load_yaml

    comments = "".join(f"# note {i}: {'x' * 60}\n" for i in range(28_000))
    text = f"name: demo\n{comments}channels: [conda-forge]\ndependencies:\n  - python=3.11\n"
    environment = tmp_path / "environment.yml"
    environment.write_text(text)
    conda_input_hashes(environment, ["linux-64"])  # warm-up: conda-lock's imports
    one_parse = _best_of_three(lambda: load_yaml(text))
    hashing = _best_of_three(lambda: conda_input_hashes(environment, ["linux-64", "osx-arm64"]))
    assert hashing / one_parse < 25, (hashing, one_parse)
