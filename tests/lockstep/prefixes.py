"""Real environments shaped like conda prefixes after pip installed into them.

Each prefix is a real venv (its own python and pip) with conda-meta records and
dist-info directories laid out as conda and pip leave them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

SITE = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"


def copy_prefix(template: Path, target: Path) -> Path:
    """A copy of the venv template whose files are hard links: a prefix test only adds and
    removes files, never rewrites one, and copying pip's thousand files cost a second each."""
    shutil.copytree(template, target, symlinks=True, copy_function=_link_or_copy)
    (target / "conda-meta").mkdir()
    return target


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copy2(source, target)


def add_dist(
    prefix: Path,
    name: str,
    version: str,
    *,
    installer: str,
    requires: tuple[str, ...] = (),
) -> str:
    """Write a dist-info directory; returns its path relative to the prefix."""
    relative = f"{SITE}/{name.replace('-', '_')}-{version}.dist-info"
    info = prefix / relative
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {requirement}" for requirement in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n")
    (info / "INSTALLER").write_text(f"{installer}\n")
    (info / "RECORD").write_text("")
    return relative


def add_conda_package(
    prefix: Path,
    name: str,
    version: str,
    dists: list[tuple[str, str]],
    requires: tuple[str, ...] = (),
) -> list[str]:
    """Install a conda package's dists and record it in conda-meta; returns its files."""
    files: list[str] = []
    for dist_name, dist_version in dists:
        relative = add_dist(prefix, dist_name, dist_version, installer="conda", requires=requires)
        files += [f"{relative}/METADATA", f"{relative}/INSTALLER", f"{relative}/RECORD"]
    record = {
        "name": name,
        "version": version,
        "build": "h0_0",
        "build_number": 0,
        "channel": "https://conda.anaconda.org/conda-forge/linux-64",
        "depends": [],
        "files": files,
        "paths_data": {
            "paths": [{"_path": file, "path_type": "hardlink"} for file in files],
            "paths_version": 1,
        },
    }
    (prefix / "conda-meta" / f"{name}-{version}-h0_0.json").write_text(json.dumps(record))
    return files


def prefix_python_version(prefix: Path) -> tuple[int, int]:
    """The (major, minor) the prefix's python reports for itself."""
    result = subprocess.run(
        [str(prefix / "bin" / "python"), "-c", "import sys; print(sys.version)"],
        capture_output=True,
        text=True,
        check=True,
    )
    major, minor = result.stdout.split()[0].split(".")[:2]
    return int(major), int(minor)
