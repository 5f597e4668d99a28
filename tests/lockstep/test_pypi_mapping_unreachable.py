"""conda-lock reads a `pip:` section with a PyPI-to-conda name mapping it downloads. When
that download fails, the failure is a failed fetch (exit 3, "the lock failed"), never
"bad input" (2): the file is fine. A real refused connection (a closed port on this
machine) stands for the unreachable host; LOCKSTEP_PYPI_MAPPING points conda-lock at it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lockstep.shared.conda_input_hash import conda_input_hashes
from lockstep.shared.errors import EXIT_LOCK_FAILED, FetchError
from tests.lockstep.lock_scenario import REPO_ROOT

ENVIRONMENT = """\
channels:
  - conda-forge
dependencies:
  - python=3.12
  - pip
  - pip:
    - requests>=2.31
platforms:
  - linux-64
"""


@pytest.fixture
def unreachable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/mapping.json"
    monkeypatch.setenv("LOCKSTEP_PYPI_MAPPING", url)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return url


def test_the_hash_of_a_pip_section_fails_as_a_fetch(tmp_path: Path, unreachable: str) -> None:
    environment = tmp_path / "environment.yml"
    environment.write_text(ENVIRONMENT)

    with pytest.raises(FetchError) as failed:
        conda_input_hashes(environment, ["linux-64"])

    assert failed.value.exit_code == EXIT_LOCK_FAILED
    message = str(failed.value)
    assert message.startswith(f"{environment}: conda-lock could not download its PyPI-to-conda")
    assert "127.0.0.1" in message
    assert message.endswith("check the network, or set LOCKSTEP_PYPI_MAPPING to a copy")


def test_import_of_a_unified_lockfile_says_why_it_kept_nothing(
    tmp_path: Path, unreachable: str
) -> None:
    """A real process: the import goes on, and says what would keep the versions."""
    root = tmp_path / "p"
    root.mkdir()
    for name in ("pyproject.toml", "environment.yml", "template.toml", "README.md"):
        shutil.copyfile(REPO_ROOT / name, root / name)
    shutil.copytree(REPO_ROOT / "tests/data/realworld/unified/ztf-lfi-demo", root / "from")

    result = subprocess.run(
        [sys.executable, "-m", "lockstep", "import", "--project", str(root),
         "--from", str(root / "from" / "conda-lock.yml")],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert (
        "not converted: conda-lock.yml's linux-64 (conda-lock could not download the"
        " PyPI-to-conda name mapping it reads environment.yaml's pip: section with; with the"
        " network, or LOCKSTEP_PYPI_MAPPING naming a copy, the import keeps them;"
        " `make env-update` solves it)"
    ) in result.stdout.splitlines()
    assert not list(root.glob("conda-*.lock"))
