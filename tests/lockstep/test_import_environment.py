"""`lockstep import`, environment.yml: export dumps undone, `pip:` taken out, all else kept."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lockstep.importing.environment_file import (
    OTHER_OS_PACKAGES,
    other_system,
    rewrite_environment,
)
from lockstep.shared.errors import InputError
from lockstep.shared.text_files import read_converting

PATH = Path("environment.yml")
REALWORLD = Path(__file__).resolve().parents[1] / "data" / "realworld" / "inputs" / "env"

EXPORT_DUMP = """\
name: work
channels:
  - defaults
dependencies:
  - blas=1.0=mkl
  - numpy=1.24.3=py310h055cbcc_1
  - python=3.10.12=h966fe2a_0
  - pywin32=305=py310h2bbff1b_0
  - ucrt=10.0.22621.0=h57928b3_0
  - vc=14.2=h21ff451_1
  - vs2015_runtime=14.27.29016=h5e58377_2
  - m2w64-gcc-libs=5.3.0=7
  - vs2019_win-64=19.29.30139=he1865b1_14
  - pip:
      - absl-py==1.4.0
      - numpy==1.24.3
prefix: C:\\Users\\someone\\anaconda3\\envs\\work
"""

EXPORT_DUMP_IMPORTED = """\
name: work
channels:
  - defaults
dependencies:
  - blas=1.0
  - numpy=1.24.3
  - python=3.10.12
platforms:
  - linux-64
  - linux-aarch64
"""


def test_an_export_dump_is_made_solvable_for_linux() -> None:
    """It removes prefix: and the Windows-only packages, drops build strings, takes the
    pip: section out and writes platforms: down, one line each."""
    result = rewrite_environment(EXPORT_DUMP, path=PATH)
    assert result.text == EXPORT_DUMP_IMPORTED
    assert result.pip_lines == ("absl-py==1.4.0", "numpy==1.24.3")
    assert result.conda_names == {"blas", "numpy", "python"}
    assert result.lines == (
        "removed: prefix: C:\\Users\\someone\\anaconda3\\envs\\work"
        " (a path on the machine that exported it)",
        "rewritten: blas=1.0=mkl -> blas=1.0 (the build string is one system's)",
        "rewritten: numpy=1.24.3=py310h055cbcc_1 -> numpy=1.24.3"
        " (the build string is one system's)",
        "rewritten: python=3.10.12=h966fe2a_0 -> python=3.10.12 (the build string is one system's)",
        "removed: pywin32=305=py310h2bbff1b_0 (a Windows-only package)",
        "removed: ucrt=10.0.22621.0=h57928b3_0 (a Windows-only package)",
        "removed: vc=14.2=h21ff451_1 (a Windows-only package)",
        "removed: vs2015_runtime=14.27.29016=h5e58377_2 (a Windows-only package)",
        "removed: m2w64-gcc-libs=5.3.0=7 (a Windows-only package)",
        "removed: vs2019_win-64=19.29.30139=he1865b1_14 (a Windows-only package)",
        "added: platforms: linux-64, linux-aarch64 (lockstep's defaults, now written down)",
    )


def test_comments_and_layout_outside_the_changed_entries_stay_byte_for_byte() -> None:
    """It keeps every comment, blank line and quoting it does not have to change, including
    comments inside the pip: section's neighbours, and the comment lines under it go too."""
    text = """\
# The lab's environment.
name: lab   # short name
channels: [conda-forge]
dependencies:
  # conda side
  - python=3.11   # pinned on purpose
  - "scipy=1.11.4=py311h64a7726_0"

  - pip:
    # from PyPI
    - requests
    - rich  # pretty
    # a trailing note about rich

  # more conda
  - numpy
platforms: [linux-64]  # only x86
"""
    result = rewrite_environment(text, path=PATH)
    assert (
        result.text
        == """\
# The lab's environment.
name: lab   # short name
channels: [conda-forge]
dependencies:
  # conda side
  - python=3.11   # pinned on purpose
  - "scipy=1.11.4"


  # more conda
  - numpy
platforms: [linux-64]  # only x86
"""
    )
    assert result.pip_lines == ("requests", "rich")


def test_packages_of_the_locked_systems_and_selected_lines_are_kept() -> None:
    """It keeps a Windows package when win-64 is locked too, or when a selector says when
    it applies; ranged and wildcard build specs (a deliberate choice) are kept as well."""
    text = """\
dependencies:
  - python=3.12
  - pywin32  # [win]
  - tensorflow>=2.14.0=*cuda118*
  - pytorch=2.1=cuda*
  - vc
platforms:
  - linux-64
  - win-64
"""
    result = rewrite_environment(text, path=PATH)
    assert result.text == text
    assert result.lines == ()
    assert other_system("vc", {"linux"}) == "win"
    assert other_system("appnope", {"linux", "win"}) == "osx"
    assert other_system("libcxx", {"linux"}) is None


def test_the_list_of_other_systems_packages_stays_short() -> None:
    """It removes only a short, documented list of packages (see OTHER_OS_PACKAGES)."""
    assert len(OTHER_OS_PACKAGES) <= 25
    assert set(OTHER_OS_PACKAGES.values()) == {"win", "osx"}


def test_crlf_stays_crlf() -> None:
    """It keeps CRLF line endings, on the lines it adds too."""
    text = "dependencies:\r\n  - python=3.11\r\n  - pip:\r\n    - rich\r\n"
    result = rewrite_environment(text, path=PATH)
    assert result.text == (
        "dependencies:\r\n  - python=3.11\r\nplatforms:\r\n  - linux-64\r\n  - linux-aarch64\r\n"
    )


def test_a_file_in_shape_is_left_as_it_is() -> None:
    """It changes nothing in an environment.yml already in the template's shape."""
    text = (Path(__file__).resolve().parents[2] / "environment.yml").read_text()
    result = rewrite_environment(text, path=PATH)
    assert (result.text, result.lines, result.pip_lines) == (text, (), ())


@pytest.mark.parametrize("name", ["raven-utf16-2023.yml", "1kastner-pinned-utf16.yml"])
def test_utf16_files_written_by_powershell_are_read(name: str) -> None:
    """It reads the real UTF-16 files Windows PowerShell wrote, by their byte-order mark."""
    read = read_converting(REALWORLD / name)
    assert read.converted_from == "UTF-16"
    assert read.text.startswith(("name:", "# This file may be used"))


def test_utf16_without_a_bom_and_utf8_with_one_are_read(tmp_path: Path) -> None:
    """It reads UTF-16 without a byte-order mark (by its NUL bytes) and UTF-8 with one."""
    text = "dependencies:\r\n  - python=3.11\r\n"
    for encoding, data, described in [
        ("UTF-16", text.encode("utf-16-le"), "UTF-16"),
        ("UTF-16", text.encode("utf-16-be"), "UTF-16"),
        ("BOM", text.encode("utf-8-sig"), "UTF-8 with a byte-order mark"),
        ("UTF-8", text.encode(), None),
    ]:
        path = tmp_path / f"{encoding}.yml"
        path.write_bytes(data)
        assert read_converting(path) == (text, described)


def test_a_conda_list_export_is_refused_with_what_to_run() -> None:
    """It refuses a `conda list --export` file saved as .yml, saying how to make an
    environment.yml instead (the real UTF-16 one in the test data is such a file)."""
    text = read_converting(REALWORLD / "1kastner-pinned-utf16.yml").text
    with pytest.raises(InputError, match=r"is a package list .* `conda env export --from-history"):
        rewrite_environment(text, path=PATH)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dependencies: [python=3.11, {pip: [rich]}]\n", "flow style"),
        ("dependencies:\n  - pip:\n    - rich\n", "not even python"),
        ("dependencies:\n  - pip: rich\n", "must be a list of requirements"),
        ("dependencies:\n  - [unclosed\n", "not valid YAML at line"),
        ("name: x\n", "needs a `dependencies:` list"),
    ],
)
def test_what_cannot_be_rewritten_is_refused_in_one_line(text: str, message: str) -> None:
    """It refuses, naming the file, what it cannot rewrite line by line or read at all."""
    with pytest.raises(InputError, match=message) as raised:
        rewrite_environment(text, path=PATH)
    assert str(raised.value).startswith("environment.yml: ")
    assert "\n" not in str(raised.value)


def test_every_real_export_dump_reparses_to_what_was_intended() -> None:
    """It rewrites each real dump so that it parses as the original minus exactly the
    entries reported (the rewrite checks this itself; here it is checked from outside)."""
    for path in sorted(REALWORLD.glob("*.yml")):
        original = read_converting(path).text
        if "=" not in original or "prefix:" not in original:
            continue
        result = rewrite_environment(original, path=path)
        before = yaml.safe_load(original)
        after = yaml.safe_load(result.text)
        assert "prefix" not in after
        removed = sum(line.startswith("removed: ") for line in result.lines) - 1
        pip_sections = sum(isinstance(item, dict) for item in before["dependencies"])
        assert len(after["dependencies"]) == len(before["dependencies"]) - removed - pip_sections
        assert all(item.count("=") <= 1 for item in after["dependencies"]), path.name
