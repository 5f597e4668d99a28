"""A stand-in for `micromamba create` at the process boundary (conda-forge is unreachable here).

It takes what lockstep's Python-for-Poetry step passes (`create --yes --prefix P
--override-channels --channel C... SPEC...`) and behaves as micromamba 2.5.0
does with a channel that offers, as `python`, the interpreters found on this
machine (`machine_pythons`: the one running this, pyenv's, `python3.X` on PATH):

- each SPEC is parsed as a conda MatchSpec (conda's own parser, vendored by
  conda-lock). `python >=3.12,<3.13` and `python[version='>=3.12,<3.13']` are
  valid; `python=>=3.12,<3.13` is not, and micromamba rejects it with
  `critical libmamba Error parsing version ">=3.12"` and exit status 1;
- the newest interpreter whose version the spec matches (conda's version-spec
  semantics) is installed: the prefix is a venv made from it, without pip,
  with the conda-meta/history file micromamba writes;
- when none matches (or a SPEC names another package) it fails as a solver
  does: `Could not solve for environment specs`, naming the spec, exit 1.

`--version` prints the recorded version (tests/data/recorded/micromamba-version.txt).
Each call is appended to $LOCKSTEP_STANDIN_MICROMAMBA_LOG when that is set. Under
pytest its `main` runs forked from a server that has imported conda's parser already
(tests/support/preforked.py).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
MICROMAMBA_VERSION = (
    (REPO_ROOT / "tests" / "data" / "recorded" / "micromamba-version.txt").read_text().strip()
)
LOG_VARIABLE = "LOCKSTEP_STANDIN_MICROMAMBA_LOG"
OPTIONS_WITH_VALUE = {"--prefix", "-p", "--channel", "-c", "--root-prefix", "-r"}
VERSION_PROBE = "import sys; print('.'.join(map(str, sys.version_info[:3])))"
# A build string conda-forge's CPython builds have; specs rarely constrain it.
PYTHON_BUILD = "h0_0_cpython"


class SpecError(Exception):
    """micromamba could not parse a spec."""


@dataclass(frozen=True)
class MachinePython:
    version: str
    executable: Path

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.version.split("."))


def _candidates() -> list[Path]:
    """Interpreters to probe; for a version found twice the first wins (installations first)."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found = sorted(pyenv_root.glob("versions/*/bin/python3"))
    shims = pyenv_root / "shims"
    for minor in range(6, 21):
        on_path = shutil.which(f"python3.{minor}")
        # pyenv's shims are bash scripts that run pyenv (about a hundred commands each)
        # to reach an installation the glob above has found already.
        if on_path and Path(on_path).parent != shims:
            found.append(Path(on_path))
    found.append(Path(sys.executable))
    return found


@functools.cache
def machine_pythons() -> tuple[MachinePython, ...]:
    """The CPython interpreters on this machine, newest first, one per version."""
    by_version: dict[str, MachinePython] = {}
    for candidate in _candidates():
        try:
            probe = subprocess.run(
                [str(candidate), "-c", VERSION_PROBE],
                capture_output=True,
                text=True,
                check=True,
                timeout=30,
            )
        except (OSError, subprocess.SubprocessError):
            continue  # e.g. a pyenv shim for a version that is not installed
        version = probe.stdout.strip()
        if re.fullmatch(r"\d+\.\d+\.\d+", version):
            by_version.setdefault(version, MachinePython(version, candidate))
    return tuple(sorted(by_version.values(), key=lambda python: python.version_tuple, reverse=True))


def parse_spec(spec: str) -> Any:
    """The spec as a MatchSpec; SpecError with micromamba's message when it is not one."""
    from tests.support.conda_match_specs import InvalidMatchSpecError, MatchSpec

    try:
        return MatchSpec(spec)
    except InvalidMatchSpecError:
        version = re.sub(r"^[A-Za-z0-9_.-]+\s*=?", "", spec).split(",")[0].strip()
        raise SpecError(f'Error parsing version "{version}"') from None


def pythons_matching(spec: str, pythons: Sequence[MachinePython]) -> list[MachinePython]:
    """The interpreters `spec` accepts as conda's python package, newest first."""
    from tests.support.conda_match_specs import spec_accepts

    match_spec = parse_spec(spec)
    return [
        python
        for python in pythons
        if spec_accepts(
            match_spec, {"name": "python", "version": python.version, "build": PYTHON_BUILD}
        )
    ]


def _parse_create(argv: list[str]) -> tuple[Path | None, list[str]]:
    prefix, specs = None, []
    rest = iter(argv[1:])
    for arg in rest:
        if arg in OPTIONS_WITH_VALUE:
            value = next(rest)
            if arg in ("--prefix", "-p"):
                prefix = Path(value)
        elif not arg.startswith("-"):
            specs.append(arg)
    return prefix, specs


def _unsolvable(spec: str) -> int:
    # micromamba 2's report of a request no channel provides (as in mamba-org/mamba#3828).
    print("error    libmamba Could not solve for environment specs", file=sys.stderr)
    print("    The following package could not be installed", file=sys.stderr)
    print(f"    └─ {spec} does not exist (perhaps a typo or a missing channel).", file=sys.stderr)
    print("critical libmamba Could not solve for environment specs", file=sys.stderr)
    return 1


def create(argv: list[str]) -> int:
    prefix, specs = _parse_create(argv)
    if prefix is None:
        print("critical libmamba No target prefix given", file=sys.stderr)
        return 1
    try:
        for spec in specs:
            parse_spec(spec)
    except SpecError as error:
        print(f"critical libmamba {error}", file=sys.stderr)
        return 1
    pythons = machine_pythons()
    chosen: MachinePython | None = None
    for spec in specs:
        matching = pythons_matching(spec, pythons)
        if not matching:
            return _unsolvable(spec)
        chosen = matching[0]
    if chosen is None:
        print("critical libmamba No specs given", file=sys.stderr)
        return 1
    subprocess.run([str(chosen.executable), "-m", "venv", "--without-pip", str(prefix)], check=True)
    (prefix / "conda-meta").mkdir()
    (prefix / "conda-meta" / "history").write_text(f"# cmd: micromamba {' '.join(argv)}\n")
    return 0


def main(argv: list[str]) -> int:
    log = os.environ.get(LOG_VARIABLE)
    if log:
        with Path(log).open("a") as stream:
            stream.write(json.dumps(argv) + "\n")
    if argv == ["--version"]:
        print(MICROMAMBA_VERSION)
        return 0
    if argv[:1] == ["create"]:
        return create(argv)
    print(f"stand-in micromamba: unsupported call {argv}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.support.preforked import run_main

    raise SystemExit(run_main("tests.support.standin_micromamba", main, sys.argv[1:]))
