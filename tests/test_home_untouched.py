"""`make test` leaves the user's home alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

# Tests that run what writes under HOME unless told otherwise: the real Poetry (its
# cache, config and virtualenvs), conda-lock, and lockstep (its metadata cache).
TOUCHY = (
    "tests/template/test_mirrors.py::test_pypi_mirror_is_poetrys_index_without_touching_the_project",
    "tests/lockstep/test_pipeline_e2e.py::test_lock_then_check_is_fresh",
)


@pytest.mark.network
def test_the_suite_writes_nothing_under_home(tmp_path: Path) -> None:
    """Run with an empty HOME, tests that run Poetry, conda-lock and `lockstep lock` leave
    it empty."""
    home = tmp_path / "home"
    home.mkdir()
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("XDG_", "POETRY_", "PIP_CACHE", "PYTEST_"))
    }

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TOUCHY],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**environment, "HOME": str(home)},
    )

    assert result.returncode == 0, result.stdout[-2000:]
    assert list(home.rglob("*")) == []
