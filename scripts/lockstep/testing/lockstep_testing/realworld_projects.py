"""Projects made of real files: an environment file and the lockfiles conda-lock wrote from it.

tests/data/realworld/pairs/ holds them with their sources; REPRODUCED names the pairs
whose `# input_hash:` conda-lock 4.0.3 reproduces (11 lockfiles in all).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

from lockstep.shared.explicit_lockfile import read_explicit_lockfile
from lockstep.shared.inputs_fingerprint import inputs_fingerprint
from lockstep.shared.project import ENVIRONMENT_FILE, ProjectFiles
from lockstep.shared.pyproject import render_generated_sections
from lockstep.shared.toml_reader import tomllib

# The real files live with the template's test data (this package holds code only).
REPO_ROOT = Path(__file__).resolve().parents[4]
PAIRS = REPO_ROOT / "tests" / "data" / "realworld" / "pairs"
REPRODUCED = ("esmvalcore", "jupyterlab-desktop", "pangeo-base-notebook", "ttyg-evaluation")
REQUIRES_PYTHON = ">=3.12"
# What the real Poetry 2.5.1 locked for PYPROJECT as `lockstep lock` leaves it (how:
# tests/data/recorded/README.md): poetry.lock's content hash comes from Poetry, not lockstep.
POETRY_RECORDING = REPO_ROOT / "tests" / "data" / "recorded" / "poetry-2.5.1-empty-demo"
PYPROJECT = f"""\
[project]
name = "demo"
version = "0.1.0"
requires-python = "{REQUIRES_PYTHON}"
dependencies = []

[tool.poetry]
package-mode = false
"""


def pair_as_project(name: str, root: Path) -> tuple[ProjectFiles, list[str]]:
    """The pair's environment file and lockfiles laid out as a lockstep project."""
    source = PAIRS / name
    (environment,) = [p for p in source.iterdir() if p.suffix in (".yml", ".yaml")]
    root.mkdir(parents=True)
    shutil.copyfile(environment, root / ENVIRONMENT_FILE)
    platforms = []
    for lockfile in sorted(source.glob("conda-*.lock")):
        shutil.copyfile(lockfile, root / lockfile.name)
        platforms.append(read_explicit_lockfile(lockfile).platform)
    return ProjectFiles(root), platforms


def locked_pair(name: str, root: Path, *, poetry_packages_of: str | None = None) -> ProjectFiles:
    """A real pair laid out as `lockstep lock` leaves a project: digests and inputs recorded.

    Its poetry.lock is the `[metadata]` Poetry would write for the pyproject.toml made
    here, after the package tables of pair `poetry_packages_of`'s real poetry.lock when
    given (a real project's size), else after none.

    Sets LOCKSTEP_PLATFORMS in os.environ to the pair's platforms (its file may have no
    `platforms:` key); callers restore the environment (pytest's monkeypatch, or exit).
    """
    files, platforms = pair_as_project(name, root)
    os.environ["LOCKSTEP_PLATFORMS"] = ",".join(platforms)
    # sha256 of each lockfile's bytes, computed here, not by the code `check` runs.
    digests = {
        path.name: "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        for path in files.existing_conda_locks()
    }
    text = render_generated_sections(
        PYPROJECT,
        pins=[],
        lockfile_digests=digests,
        inputs=inputs_fingerprint(files, requires_python=REQUIRES_PYTHON),
    )
    files.pyproject.write_text(text)
    recorded = POETRY_RECORDING / "pyproject.toml"
    if _poetry_inputs(text) != _poetry_inputs(recorded.read_text(encoding="utf-8")):
        raise AssertionError(f"the project differs from what Poetry locked ({recorded}): re-record")
    locked = tomllib.loads((POETRY_RECORDING / "poetry.lock").read_text(encoding="utf-8"))
    content_hash = locked["metadata"]["content-hash"]
    packages = ""
    if poetry_packages_of is not None:
        real = (PAIRS / poetry_packages_of / "poetry.lock").read_text(encoding="utf-8")
        packages = real[: real.rindex("\n[metadata]\n") + 1]
    files.poetry_lock.write_text(f'{packages}\n[metadata]\ncontent-hash = "{content_hash}"\n')
    return files


def _poetry_inputs(text: str) -> dict[str, Any]:
    """pyproject.toml's data without [tool.lockstep] (digests Poetry never hashes)."""
    data: dict[str, Any] = tomllib.loads(text)
    data["tool"].pop("lockstep", None)
    return data
