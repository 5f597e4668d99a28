"""The whole suite runs with a HOME of its own: nothing is written to the user's home.

Caches that make repeat runs fast (pip's, Poetry's and its virtualenvs) live in
the repository under .venvs/cache/, which `make clean-venvs` removes; configuration
(Poetry's config, for one) is read from the throw-away HOME, so the user's own
settings cannot change what the tests see.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CACHE = REPO_ROOT / ".venvs" / "cache"


@pytest.fixture(autouse=True, scope="session")
def isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("home")
    settings = {
        "HOME": home,
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_STATE_HOME": home / ".local" / "state",
        "XDG_CACHE_HOME": CACHE,
        "POETRY_CACHE_DIR": CACHE / "pypoetry",
        "POETRY_VIRTUALENVS_PATH": CACHE / "pypoetry" / "virtualenvs",
        # Every test project has a new path, so Poetry would make (and keep) a virtualenv
        # for each, on every run; `poetry lock` needs none. Tests of Poetry's choice of
        # environment turn this back on.
        "POETRY_VIRTUALENVS_CREATE": "false",
        "PIP_CACHE_DIR": CACHE / "pip",
    }
    patch = pytest.MonkeyPatch()
    for name, value in settings.items():
        patch.setenv(name, str(value))
    yield home
    patch.undo()
