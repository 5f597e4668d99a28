"""`lockstep doctor`: a table of every distribution, its installer and its conda pin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lockstep.prefix.doctor import DoctorRow, conda_group_pins, doctor_rows, render_table
from lockstep.shared.model import Pin
from lockstep.shared.platforms import PLATFORM_MARKERS
from lockstep.shared.pyproject import render_generated_sections
from tests.lockstep.prefixes import add_conda_package, add_dist


def write_pyproject(project: Path, pins: list[Pin]) -> None:
    project.mkdir(exist_ok=True)
    text = render_generated_sections('[project]\nname = "demo"\n', pins=pins, lockfile_digests={})
    (project / "pyproject.toml").write_text(text)


def test_rows_show_installer_and_pin(prefix: Path, tmp_path: Path) -> None:
    """It lists conda's and pip's distributions with the pin the conda group holds."""
    add_conda_package(prefix, "numpy", "2.1.3", [("numpy", "2.1.3")])
    add_conda_package(prefix, "pytorch", "2.5.1", [("torch", "2.5.1")])
    add_dist(prefix, "tabulate", "0.9.0", installer="pip")
    write_pyproject(
        tmp_path / "project",
        [
            Pin("numpy", "2.1.3"),
            Pin("torch", "2.5.1", PLATFORM_MARKERS["linux-64"]),
            Pin("torch", "2.4.0", PLATFORM_MARKERS["linux-aarch64"]),
        ],
    )

    rows = doctor_rows(prefix, conda_group_pins(tmp_path / "project" / "pyproject.toml"))
    by_name = {row.name: row for row in rows}

    assert by_name["numpy"] == DoctorRow("numpy", "2.1.3", "conda", "2.1.3")
    assert by_name["torch"] == DoctorRow("torch", "2.5.1", "conda", "2.4.0 | 2.5.1")
    assert by_name["tabulate"] == DoctorRow("tabulate", "0.9.0", "pip", "-")
    assert by_name["pip"].installer == "pip"


def test_flags_a_version_the_pin_does_not_allow(prefix: Path, tmp_path: Path) -> None:
    """It marks a mismatch between the installed version and the conda pin."""
    add_dist(prefix, "numpy", "2.2.0", installer="pip")
    write_pyproject(tmp_path / "project", [Pin("numpy", "2.1.3")])

    rows = doctor_rows(prefix, conda_group_pins(tmp_path / "project" / "pyproject.toml"))

    assert {row.name: row.pinned for row in rows}["numpy"] == "2.1.3 (MISMATCH)"


def test_table_is_aligned_and_says_when_pins_are_unknown() -> None:
    """It renders aligned columns, and a note when there was no pyproject.toml."""
    table = render_table(
        [DoctorRow("numpy", "2.1.3", "conda", "2.1.3"), DoctorRow("tabulate", "0.9.0", "pip", "-")],
        pins_known=False,
    )

    assert table.splitlines() == [
        "name      version  installer  conda pin",
        "numpy     2.1.3    conda      2.1.3",
        "tabulate  0.9.0    pip        -",
        "(no pyproject.toml found: the conda pin column is empty)",
    ]


def test_cli_prints_the_table(prefix: Path, tmp_path: Path) -> None:
    """`lockstep doctor PREFIX --project DIR` prints the table sorted by name."""
    add_conda_package(prefix, "numpy", "2.1.3", [("numpy", "2.1.3")])
    write_pyproject(tmp_path / "project", [Pin("numpy", "2.1.3")])

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lockstep",
            "doctor",
            str(prefix),
            "--project",
            str(tmp_path / "project"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "version", "installer", "conda", "pin"]
    names = [line.split()[0] for line in lines[1:]]
    assert names == sorted(names)
    assert lines[1].split() == ["numpy", "2.1.3", "conda", "2.1.3"]
