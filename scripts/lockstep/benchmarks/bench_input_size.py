"""Benchmark `lockstep import` and `lockstep check` on 1, 10 and 50 MB inputs; prints figures.

Three kinds of generated input, each in a fresh project: an environment.yml that is mostly
comments, one with that many `pip:` dependency lines, and a pyproject.toml with that many
[project] dependencies. Wall time of one real process each (check exits 1: nothing is
locked), and beside it, as the floor every import stands on, the one library read of the
large file no import can skip: PyYAML's (with libyaml) of environment.yml, tomllib's of
pyproject.toml, in this process. Sizes: `--sizes 1 10 50` (MB).

Run: make bench
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import print_figures  # beside this script

from lockstep.shared.toml_reader import tomllib
from lockstep.shared.yaml_files import load_yaml

LOCKSTEP = Path(sys.executable).with_name("lockstep")
PYPROJECT = '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
ENVIRONMENT = "name: demo\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n"


def _inputs(kind: str, size: int) -> tuple[str, str]:
    """(environment.yml, pyproject.toml) of about `size` bytes in all."""
    if kind == "comments":
        line = "# " + "x" * 76 + "\n"
        return "name: demo\n" + line * (size // len(line)) + ENVIRONMENT[11:], PYPROJECT
    if kind == "pip lines":
        lines = "".join(f"    - pkg{i}==1.0\n" for i in range(size // 20))
        return ENVIRONMENT + "  - pip\n  - pip:\n" + lines, PYPROJECT
    entries = "".join(f'  "pkg{i}==1.0",\n' for i in range(size // 18))
    return ENVIRONMENT, PYPROJECT + "dependencies = [\n" + entries + "]\n"


def _seconds(command: list[str], cwd: Path) -> str:
    start = time.perf_counter()
    run = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
    return f"{time.perf_counter() - start:.1f} s (exit {run.returncode})"


def _reading_alone(kind: str, environment: str, pyproject: str) -> str:
    start = time.perf_counter()
    if kind == "pyproject":
        tomllib.loads(pyproject)
    else:
        load_yaml(environment)  # PyYAML's safe loader, with libyaml
    return f"{time.perf_counter() - start:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 10, 50])
    sizes = parser.parse_args().sizes
    rows = []
    for kind in ("comments", "pip lines", "pyproject"):
        for megabytes in sizes:
            with tempfile.TemporaryDirectory() as directory:
                project = Path(directory)
                environment, pyproject = _inputs(kind, int(megabytes * 1e6))
                (project / "environment.yml").write_text(environment)
                (project / "pyproject.toml").write_text(pyproject)
                label = f"{kind}, {megabytes:g} MB:"
                floor = "tomllib" if kind == "pyproject" else "PyYAML"
                alone = _reading_alone(kind, environment, pyproject)
                rows.append((f"{label} {floor} alone", alone))
                rows.append((f"{label} import", _seconds([str(LOCKSTEP), "import"], project)))
                rows.append((f"{label} check", _seconds([str(LOCKSTEP), "check"], project)))
    print_figures(rows)


if __name__ == "__main__":
    main()
