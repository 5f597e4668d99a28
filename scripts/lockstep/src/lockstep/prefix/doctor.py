"""`lockstep doctor PREFIX`: every distribution in a prefix, who installed it, what pins it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockstep.prefix.installed import conda_records, installed_distributions
from lockstep.shared.errors import InputError
from lockstep.shared.model import normalize_name

NOT_PINNED = "-"


@dataclass(frozen=True)
class DoctorRow:
    name: str
    version: str
    installer: str
    pinned: str


def conda_group_pins(pyproject: Path) -> dict[str, list[str]] | None:
    """Versions pinned per name in the generated conda group; None without a pyproject."""
    try:
        from lockstep.shared import toml_reader  # noqa: PLC0415 - fails only on 3.10 without tomli
    except ImportError:
        raise InputError("doctor needs Python 3.11+ (tomllib) or the tomli package") from None
    try:
        raw = pyproject.read_bytes()
    except FileNotFoundError:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{pyproject}: not UTF-8 text; save it as UTF-8") from None
    data = toml_reader.load_toml(text, path=pyproject)
    toml_reader.check_pyproject_shapes(data, path=pyproject)
    keys = ("tool", "poetry", "group", "conda", "dependencies")
    dependencies = toml_reader.table_at(data, keys, path=pyproject)
    pins: dict[str, list[str]] = {}
    for name, constraint in dependencies.items():
        constraints = constraint if isinstance(constraint, list) else [constraint]
        versions = [_pinned_version(c, pyproject, (*keys, name)) for c in constraints]
        pins[normalize_name(name)] = [version.lstrip("=") for version in versions]
    return pins


def _pinned_version(constraint: Any, pyproject: Path, keys: Sequence[str]) -> str:
    """A pin's version: the string itself, or a table's `version` string."""
    found = constraint.get("version") if isinstance(constraint, dict) else constraint
    if isinstance(found, str):
        return found
    raise InputError(
        f"{pyproject}: {'.'.join(keys)} has no version string; it is lockstep's generated group:"
        " run make env-update to write it again"
    )


def _pinned_column(version: str, pinned: Sequence[str] | None) -> str:
    if not pinned:
        return NOT_PINNED
    text = " | ".join(pinned)
    return text if version in pinned else f"{text} (MISMATCH)"


def doctor_rows(prefix: Path, pins: Mapping[str, Sequence[str]] | None) -> list[DoctorRow]:
    records = conda_records(prefix)
    return [
        DoctorRow(
            name=dist.name,
            version=dist.version,
            installer=dist.installer,
            pinned=_pinned_column(dist.version, (pins or {}).get(dist.name)),
        )
        for dist in installed_distributions(prefix, records)
    ]


def render_table(rows: Sequence[DoctorRow], *, pins_known: bool) -> str:
    header = ("name", "version", "installer", "conda pin")
    body = [(row.name, row.version, row.installer, row.pinned) for row in rows]
    widths = [max(len(line[column]) for line in [header, *body]) for column in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, *body]
    ]
    if not pins_known:
        lines.append("(no pyproject.toml found: the conda pin column is empty)")
    return "\n".join(lines)


def print_doctor_table(*, prefix: Path, project: Path) -> None:
    pins = conda_group_pins(project / "pyproject.toml")
    print(render_table(doctor_rows(prefix, pins), pins_known=pins is not None))
