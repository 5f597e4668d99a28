"""One digest of everything conda-lock's input hash depends on, computed without conda-lock.

`lockstep lock` records it in `[tool.lockstep]`. When `lockstep check` finds the
same digest, the conda lockfiles were locked from these very inputs and, their
own digests matching too, are fresh: no need to import conda-lock (most of
`check`'s time) to recompute the input hash. Any difference, a comment-only
edit included, sends `check` to conda-lock's own hash, which has the last word.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

from lockstep.shared import settings
from lockstep.shared.project import VIRTUAL_PACKAGE_FILES, ProjectFiles

# Bumped whenever what goes into the digest changes, so old records miss.
FORMAT = 1


def _normalized_digest(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def conda_lock_version() -> str | None:
    """conda-lock's installed version, read from its dist-info's name: importing it is slow."""
    spec = importlib.util.find_spec("conda_lock")
    if spec is None or spec.origin is None:
        return None
    site = Path(spec.origin).parent.parent
    found = sorted(site.glob("conda_lock-*.dist-info"))
    if len(found) != 1:
        return None
    return found[0].name.removeprefix("conda_lock-").removesuffix(".dist-info")


def inputs_fingerprint(files: ProjectFiles, *, requires_python: str | None) -> str | None:
    """The digest of the conda side's inputs, or None when one of them cannot be read."""
    environment = _normalized_digest(files.environment)
    version = conda_lock_version()
    if environment is None or version is None:
        return None
    inputs = {
        "format": FORMAT,
        "environment.yml": environment,
        "virtual-packages": {
            name: _normalized_digest(files.root / name)
            for name in VIRTUAL_PACKAGE_FILES
            if (files.root / name).exists()
        },
        # It decides whether environment.yml's python is still acceptable.
        "requires-python": requires_python,
        "platforms": settings.platform_override(),
        "conda-lock": version,
    }
    return "sha256:" + hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
