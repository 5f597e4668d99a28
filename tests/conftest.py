"""The whole suite runs with a HOME of its own: nothing is written to the user's home.

Caches that make repeat runs fast (pip's, Poetry's) live in the repository under
.venvs/cache/, which `make clean-venvs` removes; Poetry's virtualenvs and
configuration live in the throw-away HOME, so none piles up across runs and the
user's own settings cannot change what the tests see.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import preforked

REPO_ROOT = Path(__file__).resolve().parents[1]
CACHE = REPO_ROOT / ".venvs" / "cache"
# The Python the lock tests' projects ask for (tests/lockstep/lock_scenario.py).
TEST_PROJECTS_PYTHON = (3, 11)


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
        # Every test project has a new path, so Poetry makes a virtualenv for each when it
        # needs one to lock with a Python the project allows: in this run's HOME, not kept
        # across runs, and without pip, which locking does not use.
        "POETRY_VIRTUALENVS_PATH": home / "virtualenvs",
        "POETRY_VIRTUALENVS_OPTIONS_NO_PIP": "true",
        "PIP_CACHE_DIR": CACHE / "pip",
        # Poetry asks the user's keyring for index credentials; the tests' indexes need none,
        # and probing for a backend (the desktop's secret service, a macOS one that runs
        # `ldconfig` and `gcc` to look for a library) cost each Poetry run a tenth of a second.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    # Poetry runs on the Python of `make test` (PYTHON). When that is the Python the test
    # projects ask for, Poetry locks on it and needs no virtualenv at all (most of what a
    # lock test costs); on another host Python it makes one with a Python they allow.
    if sys.version_info[:2] == TEST_PROJECTS_PYTHON:
        settings["POETRY_VIRTUALENVS_CREATE"] = "false"
    patch = pytest.MonkeyPatch()
    for name, value in settings.items():
        patch.setenv(name, str(value))
    yield home
    patch.undo()


# What the stand-ins' processes import; their server imports it once (tests/support/preforked.py).
STANDIN_MODULES = (
    "conda_lock.conda_lock",
    "conda_lock.conda_solver",
    "tests.support.conda_match_specs",
    "tests.support.standin_conda_lock",
    "tests.support.standin_micromamba",
)


@pytest.fixture(autouse=True, scope="session")
def preforked_standins(isolated_home: Path) -> Iterator[None]:
    """The stand-ins' commands run as children of a server that has imported conda-lock."""
    del isolated_home  # the server starts with this run's HOME and caches
    with preforked.serving(STANDIN_MODULES) as socket_path:
        patch = pytest.MonkeyPatch()
        patch.setenv(preforked.SOCKET_VARIABLE, str(socket_path))
        yield
        patch.undo()


def _shared_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory every pytest-xdist worker of this run sees (the run's own without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if "PYTEST_XDIST_WORKER" in os.environ else base


@pytest.fixture(scope="session")
def venv_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real venv with pip for the whole run, copied by the tests that need one (making
    one costs seconds of CPU; made once under a lock, not once per xdist worker)."""
    shared = _shared_directory(tmp_path_factory)
    template = shared / "venv-template"
    with (shared / "venv-template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (template / ".complete").exists():
            subprocess.run(
                [sys.executable, "-m", "venv", "--clear", "--without-pip", str(template)],
                check=True,
            )
            _copy_pip_into(template)
            (template / ".complete").touch()
    return template


def _copy_pip_into(venv: Path) -> None:
    """The pip this interpreter has, installed by copying its files (ensurepip takes seconds
    of CPU unpacking a wheel; the venv's python is this one, so the files fit)."""
    pip = importlib.metadata.distribution("pip")
    source = Path(str(pip.locate_file("")))
    (site,) = venv.glob("lib/python*/site-packages")
    for top in {Path(str(file)).parts[0] for file in pip.files or ()}:
        if (source / top).is_dir() and top not in ("__pycache__", ".."):
            shutil.copytree(source / top, site / top)
