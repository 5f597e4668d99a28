"""environment.yml validation: one clear line naming the file and the fix, before any solve."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockstep.shared.environment import load_environment
from lockstep.shared.errors import InputError
from lockstep.shared.pyproject import read_pyproject, requires_python

VALID = """\
channels: [conda-forge]
dependencies:
  - python=3.12
  - numpy>=2.1
platforms: [linux-64, osx-arm64]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "environment.yml"
    path.write_text(text)
    return path


def test_reads_platforms_and_python_spec(tmp_path: Path) -> None:
    """It returns the listed platforms and conda's python spec, parsed by conda-lock."""
    spec = load_environment(write(tmp_path, VALID), requires_python=">=3.12,<3.13")

    assert spec.platforms == ("linux-64", "osx-arm64")
    assert spec.python_spec == "3.12.*"


def test_default_platforms(tmp_path: Path) -> None:
    """It locks linux-64 and linux-aarch64 when no platforms are listed."""
    text = VALID.replace("platforms: [linux-64, osx-arm64]\n", "")

    spec = load_environment(write(tmp_path, text), requires_python=None)

    assert spec.platforms == ("linux-64", "linux-aarch64")


@pytest.mark.parametrize(
    ("python", "requires", "agrees"),
    [
        ("python=3.12", ">=3.12,<3.13", True),
        ("python=3.12", ">=3.10", True),
        ("python>=3.11,<3.13", ">=3.11,<3.13", True),
        ("python=3.12", ">=3.13", False),
        ("python>=3.11", ">=3.11,<3.13", False),  # conda could pick 3.13
        ("python=3.11.*", "==3.12.*", False),
    ],
)
def test_python_must_agree_with_requires_python(
    tmp_path: Path, python: str, requires: str, agrees: bool
) -> None:
    """It accepts conda's python only if every version it allows satisfies requires-python."""
    path = write(tmp_path, VALID.replace("python=3.12", python))
    if agrees:
        load_environment(path, requires_python=requires)
        return
    with pytest.raises(InputError, match="disagrees with requires-python") as raised:
        load_environment(path, requires_python=requires)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            VALID.replace("  - python=3.12\n", ""),
            "names no python; add one such as `- python=3.12`",
        ),
        ("channels: [conda-forge]\n", "needs a `dependencies:` list"),
        (
            VALID.replace("  - numpy>=2.1\n", "  - numpy>=2.1\n  - pip:\n    - requests\n"),
            "has a `pip:` section; PyPI packages belong in pyproject.toml",
        ),
        (VALID.replace("osx-arm64", "amiga-68k"), "unknown platform 'amiga-68k'; use one of"),
        ("dependencies: [python=3.12\n", "not valid YAML at line"),
        ("just a string\n", "needs a `dependencies:` list"),
    ],
)
def test_bad_input_is_one_line_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    """It raises one InputError line that names environment.yml and says what to do."""
    path = write(tmp_path, text)

    with pytest.raises(InputError) as raised:
        load_environment(path, requires_python=None)

    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    """It names the missing file."""
    with pytest.raises(InputError, match=r"environment\.yml: not found"):
        load_environment(tmp_path / "environment.yml", requires_python=None)


def test_the_templates_own_files_agree() -> None:
    """The template's environment.yml validates against its own pyproject.toml."""
    root = Path(__file__).resolve().parents[2]
    pyproject = read_pyproject(root / "pyproject.toml")

    spec = load_environment(root / "environment.yml", requires_python=requires_python(pyproject))

    assert spec.platforms == ("linux-64", "linux-aarch64")
    assert spec.python_spec == "3.12.*"


def test_lockstep_platforms_replaces_the_files_platforms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LOCKSTEP_PLATFORMS (make's CONDA_PLATFORMS) names the platforms without editing the file."""
    path = tmp_path / "environment.yml"
    path.write_text("dependencies: [python=3.12]\nplatforms: [linux-64, linux-aarch64]\n")
    monkeypatch.setenv("LOCKSTEP_PLATFORMS", " linux-64 ,")

    assert load_environment(path, requires_python=None).platforms == ("linux-64",)

    monkeypatch.setenv("LOCKSTEP_PLATFORMS", "linux-64,linux-arm64")
    with pytest.raises(InputError, match=r"LOCKSTEP_PLATFORMS \(make's CONDA_PLATFORMS\): unknown"):
        load_environment(path, requires_python=None)

    monkeypatch.setenv("LOCKSTEP_PLATFORMS", "")
    assert load_environment(path, requires_python=None).platforms == ("linux-64", "linux-aarch64")
