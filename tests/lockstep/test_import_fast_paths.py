"""Each shortcut an import of many pip entries takes gives what the library it saves a call
to gives: packaging for a requirement read once, tomlkit for a TOML string, fnmatch for the
other-system patterns. The oracle each time is that library, on real pip entries (the
`pip:` sections of tests/data/realworld/inputs/env) and on generated ones.
"""

from __future__ import annotations

import fnmatch
from dataclasses import replace
from pathlib import Path

import pytest
import tomlkit
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.utils import canonicalize_name

from lockstep.importing.environment_file import OTHER_OS_PACKAGES, other_system_on_pypi
from lockstep.importing.pyproject_writer import _basic_string, pep508
from lockstep.importing.requirements import Dependency, parse_lines
from lockstep.shared.errors import InputError
from tests.lockstep.lock_scenario import REPO_ROOT
from tests.support.user_runs import assert_refused, digest, lockstep

REAL_ENVIRONMENTS = REPO_ROOT / "tests" / "data" / "realworld" / "inputs" / "env"


def _real_pip_lines() -> list[str]:
    lines = []
    for path in sorted(REAL_ENVIRONMENTS.rglob("*.y*ml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        for entry in data.get("dependencies") or [] if isinstance(data, dict) else []:
            if isinstance(entry, dict) and isinstance(entry.get("pip"), list):
                lines += [line for line in entry["pip"] if isinstance(line, str)]
    return lines


def _readable(lines: list[str], where: Path) -> list[Dependency]:
    dependencies = []
    for line in lines:
        try:
            dependencies += parse_lines([line], where=where, project_root=where.parent).dependencies
        except InputError:  # a line the import refuses has no entry to write
            continue
    return dependencies


def test_real_pip_entries_are_written_as_packaging_normalises_them(tmp_path: Path) -> None:
    """The requirement as read (no second parse) is the string packaging makes of the
    fields again, for every real pip entry that is a plain requirement."""
    dependencies = _readable(_real_pip_lines(), tmp_path / "environment.yml")
    plain = [dependency for dependency in dependencies if dependency.as_read is not None]
    assert len(plain) > 200  # the sample is real and large, not a handful

    for dependency in plain:
        assert pep508(dependency) == pep508(replace(dependency, as_read=None)), dependency.line


_NAMES = st.from_regex(r"\A[A-Za-z0-9]([A-Za-z0-9._-]{0,10}[A-Za-z0-9])?\Z")
_CLAUSES = st.lists(
    st.tuples(
        st.sampled_from(["==", ">=", "<=", "!=", "~=", "<", ">"]),
        st.from_regex(r"\A[0-9]{1,3}(\.[0-9]{1,3}){1,2}\Z"),
    ),
    max_size=3,
)
_MARKERS = st.sampled_from(
    [
        "",
        ' ; sys_platform == "win32"',
        "; python_version<'3.11'",
        ' ; platform_machine == "x86_64" and os_name != "nt"',
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    name=_NAMES,
    extras=st.lists(_NAMES, max_size=2),
    clauses=_CLAUSES,
    marker=_MARKERS,
)
def test_generated_requirements_are_written_as_packaging_normalises_them(
    name: str, extras: list[str], clauses: list[tuple[str, str]], marker: str
) -> None:
    line = name + (f"[{','.join(extras)}]" if extras else "")
    line += ",".join(f"{operator}{version}" for operator, version in clauses) + marker
    where = Path("/project/environment.yml")
    try:
        [dependency] = parse_lines([line], where=where, project_root=where.parent).dependencies
    except InputError:  # ~= 1 and the like: refused, nothing to write
        return
    assert dependency.as_read is not None
    assert pep508(dependency) == pep508(replace(dependency, as_read=None))


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_a_toml_string_is_what_tomlkit_writes(text: str) -> None:
    assert _basic_string(text) == tomlkit.string(text).as_string()


@pytest.mark.parametrize(
    "text", ['numpy>=1; sys_platform == "win32"', "a\\b", "naïve", "tab\there", "\x7f", ""]
)
def test_strings_that_need_escapes_are_tomlkits(text: str) -> None:
    assert _basic_string(text) == tomlkit.string(text).as_string()


def _by_fnmatch(name: str) -> str | None:
    canonical = canonicalize_name(name)
    for pattern, system in OTHER_OS_PACKAGES.items():
        if fnmatch.fnmatchcase(canonical, canonicalize_name(pattern)):
            return system
    return None


_PATTERN_LIKE = st.sampled_from(list(OTHER_OS_PACKAGES)).flatmap(
    lambda pattern: st.builds(
        lambda stars, suffix: pattern.replace("*", stars) + suffix,
        st.from_regex(r"\A[a-z0-9._-]{0,6}\Z"),
        st.sampled_from(["", "x", "-1", "_win-64"]),
    )
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(_PATTERN_LIKE, _NAMES))
def test_other_system_is_fnmatchs_answer(name: str) -> None:
    assert other_system_on_pypi(name) == _by_fnmatch(name)


def test_every_pattern_of_a_system_is_found_as_fnmatch_finds_it() -> None:
    for pattern, system in OTHER_OS_PACKAGES.items():
        name = pattern.replace("*", "abc")
        assert other_system_on_pypi(name) == _by_fnmatch(name) == system, pattern


# A marker's quoted value with a backslash: packaging reads it as a Python literal and
# writes the result back unescaped. PEP 508 has no escapes, so the entry is refused.
ESCAPED_MARKERS = [
    "a2 ; os_name == 'a\\nb'",  # comes back with a line break in it
    "a2 ; os_name == 'x\\x00y'",  # comes back with a NUL
    "a2 ; os_name == 'a\\\\b'",  # comes back as a backspace
    "a2 @ https://example.org/a2-1.0-py3-none-any.whl ; os_name == 'a\\nb'",
    "pywin32 ; os_name == 'a\\nb'",  # also given Windows' marker on the way
]


@pytest.mark.parametrize("line", ESCAPED_MARKERS)
def test_a_marker_that_does_not_read_back_is_refused_naming_the_file(
    tmp_path: Path, line: str
) -> None:
    """Was: exit 0 writing a string nothing reads (or exit 70). Run as a user runs it."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
    )
    (project / "environment.yml").write_text(
        "channels: [conda-forge]\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n"
        f"    - {line}\n"
    )
    before = digest(project)

    result = lockstep("import", "--project", str(project))

    assert_refused(
        result,
        2,
        project,
        before,
        str(project / "environment.yml"),
        "is not a requirement",
        "fix it",
    )
