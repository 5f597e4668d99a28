"""Pins derived from the distributions of each locked platform."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockstep.lock.pins import derive_pins, pins_for_lockfiles
from lockstep.shared.errors import InputError
from lockstep.shared.model import Pin, PythonDistribution
from tests.support.conda_packages import write_explicit_lockfile
from tests.support.real_markers import real_marker

# What real CPythons on each platform report, not lockstep's own table.
X86 = real_marker("linux-64")
ARM = real_marker("linux-aarch64")


def test_one_pin_when_platforms_agree() -> None:
    """It writes one unconditional pin for a version every platform has."""
    dists = {
        "linux-64": [PythonDistribution("numpy", "2.1.3")],
        "linux-aarch64": [PythonDistribution("numpy", "2.1.3")],
    }

    assert derive_pins(dists) == [Pin("numpy", "2.1.3")]


def test_markers_when_versions_differ() -> None:
    """It pins each platform's version behind that platform's marker."""
    dists = {
        "linux-64": [PythonDistribution("torch", "2.5.1")],
        "linux-aarch64": [PythonDistribution("torch", "2.4.0")],
    }

    assert derive_pins(dists) == [Pin("torch", "2.4.0", ARM), Pin("torch", "2.5.1", X86)]
    assert [str(pin) for pin in derive_pins(dists)] == [
        f"torch==2.4.0 ; {ARM}",
        f"torch==2.5.1 ; {X86}",
    ]


def test_markers_when_only_some_platforms_have_it() -> None:
    """It limits a distribution found on one platform to that platform."""
    dists = {
        "linux-64": [PythonDistribution("mkl-service", "2.4.1"), PythonDistribution("six", "1")],
        "linux-aarch64": [PythonDistribution("six", "1")],
    }

    assert derive_pins(dists) == [Pin("mkl-service", "2.4.1", X86), Pin("six", "1")]


def test_same_platform_twice_is_bad_input(tmp_path: Path) -> None:
    """It refuses two lockfiles for one platform, naming both."""
    first = write_explicit_lockfile(
        tmp_path / "a.lock", platform="linux-64", input_hash="h", packages=[], base_url="x"
    )
    second = write_explicit_lockfile(
        tmp_path / "b.lock", platform="linux-64", input_hash="h", packages=[], base_url="x"
    )

    with pytest.raises(InputError, match=r"b\.lock: platform linux-64 is also locked by .*a\.lock"):
        pins_for_lockfiles([first, second])


def test_unknown_platform_is_bad_input(tmp_path: Path) -> None:
    """It refuses a lockfile of a platform it has no marker for."""
    lock = write_explicit_lockfile(
        tmp_path / "a.lock", platform="linux-s390x", input_hash="h", packages=[], base_url="x"
    )

    with pytest.raises(InputError, match="unknown conda platform 'linux-s390x'"):
        pins_for_lockfiles([lock])
