"""The example package's environment report, against real dist-info directories."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

from envreport.report import build_report, render


def make_distribution(site: Path, name: str, version: str, installer: str | None) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    if installer is not None:
        (info / "INSTALLER").write_text(f"{installer}\n")


def finder(site: Path):
    def find(name: str) -> metadata.Distribution | None:
        return next(iter(metadata.distributions(name=name, path=[str(site)])), None)

    return find


def test_reports_version_and_installer_of_each_dependency(tmp_path: Path) -> None:
    """It names conda and pip as the installers recorded in each distribution's metadata."""
    make_distribution(tmp_path, "numpy", "2.1.3", "conda")
    make_distribution(tmp_path, "packaging", "24.2", "pip")

    report = build_report(["numpy>=2.1", "packaging>=24"], finder(tmp_path))

    rows = {status.name: (status.version, status.installer) for status in report.dependencies}
    assert rows == {"numpy": ("2.1.3", "conda"), "packaging": ("24.2", "pip")}


def test_marks_a_missing_distribution(tmp_path: Path) -> None:
    """It lists a declared but absent distribution as not installed."""
    make_distribution(tmp_path, "numpy", "2.1.3", "conda")

    report = build_report(["numpy", "Typing_Extensions>=4"], finder(tmp_path))

    missing = [status for status in report.dependencies if not status.installed]
    assert [status.name for status in missing] == ["typing-extensions"]
    assert "typing-extensions  -        NOT INSTALLED" in render(report)


def test_unknown_installer_when_metadata_has_none(tmp_path: Path) -> None:
    """It says 'unknown' when a distribution has no INSTALLER file."""
    make_distribution(tmp_path, "numpy", "2.1.3", None)

    (status,) = build_report(["numpy"], finder(tmp_path)).dependencies

    assert status.installer == "unknown"


def test_skips_extras_and_other_platforms(tmp_path: Path) -> None:
    """It reports only requirements whose markers apply to this interpreter."""
    report = build_report(
        ["numpy", "rich ; extra == 'pretty'", "pywin32 ; sys_platform == 'nonexistent'"],
        finder(tmp_path),
    )

    assert [status.name for status in report.dependencies] == ["numpy"]


def test_module_reports_the_installed_project() -> None:
    """`python -m envreport` reads the installed project's own declared dependencies."""
    result = subprocess.run(
        [sys.executable, "-m", "envreport"], capture_output=True, text=True, check=False
    )

    assert result.stdout.startswith("Python ")
    declared = {line.split()[0] for line in result.stdout.splitlines()[3:]}
    assert declared == {"numpy", "packaging"}
    packaging_row = next(
        line for line in result.stdout.splitlines() if line.startswith("packaging")
    )
    assert packaging_row.split()[1] == metadata.version("packaging")
    # numpy is conda's in the image; in the host test environment it may be absent.
    assert result.returncode == (0 if _installed("numpy") else 1)


def _installed(name: str) -> bool:
    try:
        metadata.version(name)
    except metadata.PackageNotFoundError:
        return False
    return True
