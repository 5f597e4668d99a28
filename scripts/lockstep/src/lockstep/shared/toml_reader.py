"""tomllib on Python 3.11+, its backport tomli on 3.10, and the checks every TOML reader needs.

Standard library only otherwise: `lockstep doctor` reads pyproject.toml inside
a conda environment.
"""

from __future__ import annotations

import datetime
import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lockstep.shared.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

__all__ = ["check_pyproject_shapes", "dotted", "load_toml", "table_at", "tomllib"]

_DATES = (datetime.date, datetime.time)
# TOML's bare keys: ASCII letters, digits, `-` and `_`; any other key is quoted (a JSON
# string is a TOML basic string).
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")  # datetime.datetime is a date

# The tables of pyproject.toml lockstep reads, by their keys.
_PYPROJECT_TABLES = (
    ("project",),
    ("dependency-groups",),
    ("tool",),
    ("tool", "poetry"),
    ("tool", "poetry", "dependencies"),
    ("tool", "poetry", "group"),
    ("tool", "lockstep"),
    ("tool", "lockstep", "lockfiles"),
)
_PYPROJECT_STRINGS = (("project", "requires-python"), ("tool", "lockstep", "inputs"))


def load_toml(text: str, *, path: Path) -> dict[str, Any]:
    """The file's TOML data; a syntax error, or nesting too deep to read, is bad input."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: not valid TOML ({error}); fix the syntax") from None
    except RecursionError:
        # tomllib recurses once per nested array or inline table: a few hundred levels
        # exhaust Python's stack, and no real project nests more than a handful.
        raise InputError(f"{path}: nested too deep to read; flatten the nested arrays") from None


def dotted(keys: Sequence[str]) -> str:
    """Keys as a TOML header names them: tool.poetry.group."my group"."""
    return ".".join(
        key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False) for key in keys
    )


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, _DATES):
        return "a date or time"
    return "a table"


def table_at(data: Mapping[str, Any], keys: Sequence[str], *, path: Path) -> Mapping[str, Any]:
    """data[keys[0]][keys[1]]...; {} where a key is missing; bad input where one is not a table."""
    current: Mapping[str, Any] = data
    for depth, key in enumerate(keys):
        value = current.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            where = dotted(keys[: depth + 1])
            raise InputError(
                f"{path}: {where} is {_kind(value)}, not a table; write it as a [{where}]"
                f" section (or remove the `{key} =` line)"
            )
        current = value
    return current


def _string_at(data: Mapping[str, Any], keys: Sequence[str], *, path: Path) -> None:
    value = table_at(data, keys[:-1], path=path).get(keys[-1])
    if value is not None and not isinstance(value, str):
        raise InputError(
            f'{path}: {dotted(keys)} is {_kind(value)}; write it as a string, e.g. ">=3.12"'
        )


def _strings_at(data: Mapping[str, Any], keys: Sequence[str], *, path: Path) -> None:
    """An array of requirement strings, where PEP 621 has one."""
    value = table_at(data, keys[:-1], path=path).get(keys[-1])
    if value is None or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return
    example = json.dumps([value] if isinstance(value, str) else ["numpy>=2"])
    what = _kind(value) if not isinstance(value, list) else "an array of other things than strings"
    raise InputError(
        f"{path}: {dotted(keys)} is {what}; write it as an array of requirement strings,"
        f" e.g. {dotted(keys[-1:])} = {example}"
    )


def check_pyproject_shapes(data: Mapping[str, Any], *, path: Path) -> None:
    """Bad input naming the key and the fix where a part lockstep reads has another shape.

    Every reader of pyproject.toml relies on these (tables where tables are expected),
    so they are checked once, where the file is read, instead of at each `.get()`.
    """
    for keys in _PYPROJECT_TABLES:
        table_at(data, keys, path=path)
    for keys in _PYPROJECT_STRINGS:
        _string_at(data, keys, path=path)
    _strings_at(data, ("project", "dependencies"), path=path)
    for extra in table_at(data, ("project", "optional-dependencies"), path=path):
        _strings_at(data, ("project", "optional-dependencies", extra), path=path)
    for name in table_at(data, ("tool", "poetry", "group"), path=path):
        table_at(data, ("tool", "poetry", "group", name, "dependencies"), path=path)
    sources = table_at(data, ("tool", "poetry"), path=path).get("source", [])
    if not isinstance(sources, list) or not all(isinstance(item, dict) for item in sources):
        raise InputError(
            f"{path}: tool.poetry.source is {_kind(sources)} of other things than tables;"
            " write each source as a [[tool.poetry.source]] section"
        )
    for name, digest in table_at(data, ("tool", "lockstep", "lockfiles"), path=path).items():
        if not isinstance(digest, str):
            raise InputError(
                f"{path}: {dotted(('tool', 'lockstep', 'lockfiles', name))} is {_kind(digest)};"
                " lockstep writes it: run make env-update to write it again"
            )
