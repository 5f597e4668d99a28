"""Property-based fuzz of every input reader: bad input is lockstep's InputError, nothing else.

Each reader gets real files real projects wrote (tests/data/realworld, tests/data/recorded),
mutated byte by byte, and structured data of the wrong shapes. In-process, hypothesis
drives the reader functions; a seeded sample of mutants then goes through a real `lockstep`
process, which must exit 0, 1 or 2 with at most one error line.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lockstep.check.freshness import check_project
from lockstep.importing.unified_lockfile import read_unified_lockfile, source_environment
from lockstep.prefix.installed import conda_records
from lockstep.shared.environment import load_environment
from lockstep.shared.errors import InputError
from lockstep.shared.explicit_lockfile import parse_explicit_lockfile
from lockstep.shared.pyproject import read_pyproject, recorded_digests, requires_python
from lockstep.shared.virtual_packages import read_virtual_packages

DATA = Path(__file__).resolve().parents[1] / "data"
CUDA = DATA / "realworld" / "pairs-cuda" / "ultrasound-2024"
PAIR = DATA / "realworld" / "pairs" / "karaoke-prep-2023"
SEEDS = {
    "environment.yml": (CUDA / "environment.yml").read_bytes(),
    "virtual-packages.yml": (CUDA / "virtual-packages.yml").read_bytes(),
    "conda-linux-64.lock": (CUDA / "conda-linux-64.lock").read_bytes()[:4000],
    "pyproject.toml": (PAIR / "pyproject.toml").read_bytes(),
    "poetry.lock": (PAIR / "poetry.lock").read_bytes()[:6000],
    "record.json": (DATA / "recorded" / "conda-meta-numpy.json").read_bytes()[:6000],
    # The smallest real unified lockfile whole: a cut one would rarely parse at all.
    "conda-lock.yml": (
        DATA / "realworld" / "unified" / "anaconda-fastapi" / "conda-lock.yml"
    ).read_bytes(),
}
LOCKSTEP = Path(sys.executable).parent / "lockstep"
ENVIRONMENT = (
    b"name: x\nchannels: [conda-forge]\ndependencies: [python=3.12]\nplatforms: [linux-64]\n"
)
PYPROJECT = b'[project]\nname = "x"\nversion = "0.1.0"\nrequires-python = ">=3.12"\n'
# A few seconds per reader in `make test`, the same examples on every run.
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

KEYS = st.sampled_from(
    ["name", "version", "dependencies", "channels", "platforms", "pip", "project", "tool",
     "poetry", "lockstep", "lockfiles", "subdirs", "packages", "files", "source", "metadata",
     "content-hash", "requires-python", "group", "conda", "inputs", "__cuda", "linux-64"]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12)
)
TREES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(KEYS | st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
TOP = st.dictionaries(KEYS, TREES, max_size=6)


def mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """`data` with each edit applied: (kind, position, byte): replace, insert or delete."""
    buffer = bytearray(data)
    for kind, position, byte in edits:
        at = position % (len(buffer) + 1)
        if kind == 0 and at < len(buffer):
            buffer[at] = byte
        elif kind == 1:
            buffer.insert(at, byte)
        elif at < len(buffer):
            del buffer[at : at + byte % 8 + 1]
    return bytes(buffer)


EDITS = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 1 << 20), st.integers(0, 255)),
    min_size=1,
    max_size=12,
)


def toml_of(tree: dict[str, Any]) -> bytes:
    import tomlkit

    def without_none(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: without_none(child) for key, child in value.items() if child is not None}
        if isinstance(value, list):
            return [without_none(child) for child in value if child is not None]
        return value

    return tomlkit.dumps(without_none(tree)).encode()


def only_input_errors(read: Callable[[], object]) -> None:
    """Run a reader: it returns, or raises InputError; anything else is the bug fuzzing finds."""
    try:
        read()
    except InputError as error:
        assert "\n" not in str(error)


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def read_pyproject_fully(path: Path) -> None:
    data = read_pyproject(path)
    requires_python(data)
    recorded_digests(data)


@FUZZ
@given(edits=EDITS)
def test_environment_yml_mutated(tmp_path: Path, edits: list[tuple[int, int, int]]) -> None:
    path = write(tmp_path / "e" / "environment.yml", mutate(SEEDS["environment.yml"], edits))
    only_input_errors(lambda: load_environment(path, requires_python=None))


@FUZZ
@given(tree=TOP)
def test_environment_yml_structured(tmp_path: Path, tree: dict[str, Any]) -> None:
    path = write(tmp_path / "e" / "environment.yml", yaml.safe_dump(tree).encode())
    only_input_errors(lambda: load_environment(path, requires_python=">=3.10"))


@FUZZ
@given(edits=EDITS)
def test_pyproject_mutated(tmp_path: Path, edits: list[tuple[int, int, int]]) -> None:
    path = write(tmp_path / "p" / "pyproject.toml", mutate(SEEDS["pyproject.toml"], edits))
    only_input_errors(lambda: read_pyproject_fully(path))


@FUZZ
@given(tree=TOP)
def test_pyproject_structured(tmp_path: Path, tree: dict[str, Any]) -> None:
    path = write(tmp_path / "p" / "pyproject.toml", toml_of(tree))
    only_input_errors(lambda: read_pyproject_fully(path))


@FUZZ
@given(edits=EDITS)
def test_explicit_lockfile_mutated(tmp_path: Path, edits: list[tuple[int, int, int]]) -> None:
    text = mutate(SEEDS["conda-linux-64.lock"], edits).decode("utf-8", "replace")
    only_input_errors(lambda: parse_explicit_lockfile(text, path=tmp_path / "conda-linux-64.lock"))


@FUZZ
@given(edits=EDITS)
def test_poetry_lock_mutated(tmp_path: Path, edits: list[tuple[int, int, int]]) -> None:
    root = tmp_path / "p"
    write(root / "pyproject.toml", PYPROJECT)
    write(root / "environment.yml", ENVIRONMENT)
    write(root / "poetry.lock", mutate(SEEDS["poetry.lock"], edits))
    only_input_errors(lambda: check_project(root))


@FUZZ
@given(edits=EDITS)
def test_conda_meta_record_mutated(tmp_path: Path, edits: list[tuple[int, int, int]]) -> None:
    write(tmp_path / "env" / "conda-meta" / "numpy.json", mutate(SEEDS["record.json"], edits))
    only_input_errors(lambda: conda_records(tmp_path / "env"))


@FUZZ
@given(tree=TREES)
def test_conda_meta_record_structured(tmp_path: Path, tree: object) -> None:
    write(tmp_path / "env" / "conda-meta" / "numpy.json", json.dumps(tree).encode())
    only_input_errors(lambda: conda_records(tmp_path / "env"))


@FUZZ
@given(edits=EDITS)
def test_virtual_packages_mutated(tmp_path: Path, edits: list[tuple[int, int, int]]) -> None:
    path = write(
        tmp_path / "v" / "virtual-packages.yml", mutate(SEEDS["virtual-packages.yml"], edits)
    )
    only_input_errors(lambda: read_virtual_packages(path))


@FUZZ
@given(tree=TOP)
def test_virtual_packages_structured(tmp_path: Path, tree: dict[str, Any]) -> None:
    path = write(tmp_path / "v" / "virtual-packages.yml", yaml.safe_dump(tree).encode())
    only_input_errors(lambda: read_virtual_packages(path))


def read_unified_fully(path: Path) -> None:
    source_environment(read_unified_lockfile(path))


@FUZZ
@given(edits=EDITS)
def test_unified_lockfile_mutated(tmp_path: Path, edits: list[tuple[int, int, int]]) -> None:
    path = write(tmp_path / "u" / "conda-lock.yml", mutate(SEEDS["conda-lock.yml"], edits))
    write(tmp_path / "u" / "environment.yml", ENVIRONMENT)
    only_input_errors(lambda: read_unified_fully(path))


@FUZZ
@given(tree=TOP)
def test_unified_lockfile_structured(tmp_path: Path, tree: dict[str, Any]) -> None:
    path = write(
        tmp_path / "u" / "conda-lock.yml",
        yaml.safe_dump({"version": 1, "metadata": {}, "package": [], **tree}).encode(),
    )
    only_input_errors(lambda: read_unified_fully(path))


def seeded_mutants(seed: bytes, count: int = 20) -> list[bytes]:
    """`count` mutants of `seed`, the same on every run."""
    rng = random.Random(len(seed))  # noqa: S311 - a fixed sample, no secret
    return [
        mutate(
            seed,
            [
                (rng.randrange(3), rng.randrange(len(seed) + 1), rng.randrange(256))
                for _ in range(rng.randint(1, 8))
            ],
        )
        for _ in range(count)
    ]


# Which real command reads the file, where it goes, and how many mutants: `check` of a
# project that was never locked imports conda-lock (3.5 s a run here), so those take 6.
PROCESS_CASES = {
    "environment.yml": ("check", "environment.yml", 20),
    "virtual-packages.yml": ("check", "virtual-packages.yml", 6),
    "pyproject.toml": ("check", "pyproject.toml", 20),
    "poetry.lock": ("check", "poetry.lock", 6),
    "record.json": ("verify", "env/conda-meta/numpy-2.1.3-h0_0.json", 20),
}


@pytest.mark.parametrize("seed", sorted(PROCESS_CASES))
def test_real_process_on_seeded_mutants(tmp_path: Path, seed: str) -> None:
    """Seeded mutants through a real `lockstep`: exit 0, 1 or 2, at most one error line."""
    command, relative, count = PROCESS_CASES[seed]
    environ = {key: value for key, value in os.environ.items() if key != "LOCKSTEP_DEBUG"}
    for number, mutant in enumerate(seeded_mutants(SEEDS[seed], count)):
        root = tmp_path / str(number)
        write(root / "pyproject.toml", PYPROJECT)
        write(root / "environment.yml", ENVIRONMENT)
        (root / "env" / "conda-meta").mkdir(parents=True)
        write(root / relative, mutant)
        target = [str(root / "env")] if command == "verify" else ["--project", str(root)]
        result = subprocess.run(
            [str(LOCKSTEP), command, *target],
            capture_output=True,
            text=True,
            check=False,
            env=environ,
            timeout=120,
        )
        errors = [line for line in result.stderr.splitlines() if line.startswith("lockstep:")]
        assert result.returncode in (0, 1, 2), (number, result.stderr)
        assert len(errors) <= 1, (number, result.stderr)
        assert "Traceback" not in result.stderr
        shutil.rmtree(root)
