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
        from lockstep.shared.toml_reader import tomllib  # noqa: PLC0415 - fails only on 3.10 without tomli
    except ImportError:
        raise InputError("doctor needs Python 3.11+ (tomllib) or the tomli package") from None
    try:
        with pyproject.open("rb") as stream:
            data: dict[str, Any] = tomllib.load(stream)
    except FileNotFoundError:
        return None
    dependencies = (
        data.get("tool", {})
        .get("poetry", {})
        .get("group", {})
        .get("conda", {})
        .get("dependencies", {})
    )
    pins: dict[str, list[str]] = {}
    for name, constraint in dependencies.items():
        constraints = constraint if isinstance(constraint, list) else [constraint]
        versions = [c["version"] if isinstance(c, dict) else c for c in constraints]
        pins[normalize_name(name)] = [str(version).lstrip("=") for version in versions]
    return pins


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
