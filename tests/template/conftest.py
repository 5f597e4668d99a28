"""Fixtures shared by the template's tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.template.make import REPO_ROOT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the template's top level, so lockfile presence and edits can vary per test."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("Makefile", "environment.yml", "pyproject.toml"):
        shutil.copy(REPO_ROOT / name, root / name)
    return root
