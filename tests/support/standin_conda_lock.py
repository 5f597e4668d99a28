"""A stand-in for `conda-lock lock` at the process boundary (conda channels are unreachable here).

It is conda-lock itself with only the solver replaced. The installed conda-lock
4.0.3 runs in this process through its own command line
(`conda_lock.conda_lock.main`, the `conda-lock` console script's entry) with
exactly the arguments it was given, so conda-lock parses environment.yml,
computes the `# input_hash:`, builds its lock content and renders the explicit
lockfiles. What is replaced is what conda channels would be needed for: the
solver processes conda-lock starts. `StandinSolver` answers them as micromamba
2.5.0 does:

- `EXE --version` prints the recorded version (tests/data/recorded/micromamba-version.txt);
- `EXE create --prefix P --dry-run --json [--override-channels] [--channel C]... SPEC...`
  (conda-lock's `solve_specs_for_arch`, platform in $CONDA_SUBDIR) prints the
  transaction as JSON, the records shaped like those of
  tests/data/recorded/create-dry-run.json, listed as FETCH actions (what a
  dry run prints when the package cache is empty). The packages are the
  scenario's for that platform; a spec that none of them satisfies fails as a
  solver does: exit 1 and `{"solver_problems": [...], "success": false}` on
  stdout (the shape of micromamba's `--json` failure, mamba-org/mamba#2513).

Only conda-lock's solver seam is swapped (`determine_conda_executable`, which
would otherwise download a solver, and the `subprocess` module its two solver
calls go through); every other process and function is conda-lock's own.

As a process (`python standin_conda_lock.py lock ...`) it reads a scenario
(JSON file named by $LOCKSTEP_STANDIN_SCENARIO): `lockfiles` (platform ->
packages, each `{"url", "md5", "sha256"?, "depends"?}` or `[url, md5]`), `calls` (a file
each invocation is appended to) and `behaviour`: `ok`, `fail` (the solver
reports the last requested spec unsatisfiable) or `hang` (the solver answers
nothing for HANG_SECONDS, then fails). Under pytest the process's `main` runs in a
child forked from a server that has imported conda-lock already
(tests/support/preforked.py), so the import is paid once per worker, not per call.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCENARIO_VARIABLE = "LOCKSTEP_STANDIN_SCENARIO"
HANG_SECONDS = 60
REPO_ROOT = Path(__file__).resolve().parents[2]
RECORDED = REPO_ROOT / "tests" / "data" / "recorded"
MICROMAMBA_VERSION = (RECORDED / "micromamba-version.txt").read_text().strip()
# What conda-lock calls a solver it has to find by itself; never run.
DEFAULT_SOLVER = "micromamba"
PACKAGE_SUFFIXES = (".conda", ".tar.bz2")
# `create` options conda-lock passes that take a value (invoke_conda._get_conda_flags).
OPTIONS_WITH_VALUE = {"--prefix", "-p", "--channel", "-c"}


@dataclass(frozen=True)
class SolvedPackage:
    """One package of a solution, as its channel serves it."""

    url: str
    md5: str
    sha256: str | None = None
    depends: tuple[str, ...] = ()

    @classmethod
    def from_explicit_line(cls, line: str) -> SolvedPackage:
        """A package from an explicit lockfile line, `URL#MD5`."""
        url, _, md5 = line.strip().partition("#")
        return cls(url=url, md5=md5)

    @classmethod
    def from_scenario(cls, entry: Any) -> SolvedPackage:
        if isinstance(entry, dict):
            return cls(
                url=entry["url"],
                md5=entry["md5"],
                sha256=entry.get("sha256"),
                depends=tuple(entry.get("depends", ())),
            )
        url, md5 = entry
        return cls(url=url, md5=md5)

    def record(self) -> dict[str, Any]:
        """The package's record as micromamba prints it in a transaction."""
        channel_subdir, _, filename = self.url.rpartition("/")
        channel, _, subdir = channel_subdir.rpartition("/")
        stem = filename
        for suffix in PACKAGE_SUFFIXES:
            stem = stem.removesuffix(suffix)
        name, version, build = stem.rsplit("-", 2)
        record: dict[str, Any] = {
            "build": build,
            "build_number": 0,
            "build_string": build,
            "channel": channel,
            "depends": list(self.depends),
            "fn": filename,
            "md5": self.md5,
            "name": name,
            "subdir": subdir,
            "url": self.url,
            "version": version,
        }
        if self.sha256:
            record["sha256"] = self.sha256
        return record


@dataclass
class StandinSolver:
    """micromamba 2.5.0 as conda-lock calls it, answering from fixed solutions per platform."""

    solutions: Mapping[str, Sequence[SolvedPackage]]
    behaviour: str = "ok"
    executable: str = DEFAULT_SOLVER
    solves: list[tuple[str, list[str]]] = field(default_factory=list)

    def determine_executable(
        self, conda_executable: str | Path | None, mamba: bool, micromamba: bool
    ) -> str:
        """conda-lock's `determine_conda_executable`: `--conda` if given; never a download."""
        del mamba, micromamba
        if conda_executable:
            self.executable = str(conda_executable)
        return self.executable

    def is_solver(self, args: Sequence[Any]) -> bool:
        return bool(args) and str(args[0]) == self.executable

    def version_output(self) -> str:
        return MICROMAMBA_VERSION + "\n"

    def create_dry_run(
        self, args: Sequence[str], env: Mapping[str, str]
    ) -> subprocess.CompletedProcess[str]:
        """`EXE create --dry-run --json ... SPEC...` for the platform in $CONDA_SUBDIR."""
        platform = env["CONDA_SUBDIR"]
        prefix, specs = _parse_create(args)
        self.solves.append((platform, specs))
        packages = [package.record() for package in self.solutions.get(platform, ())]
        problems = _unsatisfied(specs, packages)
        if self.behaviour == "hang":
            time.sleep(HANG_SECONDS)
            problems = [f"stand-in solver: no answer in {HANG_SECONDS}s"]
        elif self.behaviour == "fail":
            problems = [f"nothing provides requested {specs[-1]}"]
        if problems:
            answer: dict[str, Any] = {"solver_problems": problems, "success": False}
            stderr = "critical libmamba Could not solve for environment specs\n"
            return subprocess.CompletedProcess(list(args), 1, json.dumps(answer, indent=4), stderr)
        answer = {
            "actions": {"FETCH": packages, "LINK": packages, "PREFIX": prefix},
            "dry_run": True,
            "prefix": prefix,
            "success": True,
        }
        return subprocess.CompletedProcess(list(args), 0, json.dumps(answer, indent=4), "")


def solution_of_lockfile(lockfile: Path) -> tuple[str, list[SolvedPackage]]:
    """The platform and packages of a lockfile conda-lock wrote, as its solver's answer.

    Explicit lockfiles keep no dependencies, and conda-lock renders only the
    packages a request reaches through them; so `python` (requested in these
    environments) is made to depend on every other package.
    """
    lines = lockfile.read_text(encoding="utf-8").splitlines()
    platform = lines[1].removeprefix("# platform: ")
    packages = [SolvedPackage.from_explicit_line(line) for line in lines if "://" in line]
    names = [package.record()["name"] for package in packages]
    assert "python" in names, lockfile
    return platform, [
        dataclasses.replace(package, depends=tuple(n for n in names if n != "python"))
        if package.record()["name"] == "python"
        else package
        for package in packages
    ]


def _parse_create(args: Sequence[str]) -> tuple[str, list[str]]:
    """(prefix, specs) of a `create` command line as conda-lock builds it."""
    if list(args[1:2]) != ["create"]:
        raise AssertionError(f"stand-in solver: unexpected call {list(args)}")
    prefix, specs = "", []
    rest = iter(args[2:])
    for arg in rest:
        if arg in OPTIONS_WITH_VALUE:
            value = next(rest)
            if arg in ("--prefix", "-p"):
                prefix = value
        elif not arg.startswith("-"):
            specs.append(arg)
    return prefix, specs


def _unsatisfied(specs: Sequence[str], records: Sequence[Mapping[str, Any]]) -> list[str]:
    """The solver problems of `specs` against the packages on offer (conda's MatchSpec)."""
    from tests.support.conda_match_specs import MatchSpec, spec_accepts

    problems = []
    for spec in specs:
        match_spec = MatchSpec(spec)
        if not any(spec_accepts(match_spec, record) for record in records):
            problems.append(f"nothing provides requested {spec}")
    return problems


class _SolverProcesses:
    """The `subprocess` module as conda-lock's modules see it: the solver's calls are answered."""

    def __init__(self, solver: StandinSolver) -> None:
        self._solver = solver

    def __getattr__(self, name: str) -> Any:
        return getattr(subprocess, name)

    def check_output(self, args: Sequence[Any], **kwargs: Any) -> Any:
        if not self._solver.is_solver(args):
            return subprocess.check_output(args, **kwargs)
        if [str(arg) for arg in args[1:]] != ["--version"]:
            raise AssertionError(f"stand-in solver: unexpected call {list(args)}")
        output = self._solver.version_output()
        text = kwargs.get("encoding") or kwargs.get("text") or kwargs.get("universal_newlines")
        return output if text else output.encode()

    def run(self, args: Sequence[Any], **kwargs: Any) -> Any:
        if not self._solver.is_solver(args):
            return subprocess.run(args, **kwargs)  # noqa: PLW1510 (the caller's own check)
        env = kwargs.get("env") or os.environ
        return self._solver.create_dry_run([str(arg) for arg in args], env)


@contextmanager
def solver_replaced(solver: StandinSolver) -> Iterator[StandinSolver]:
    """conda-lock with `solver` in place of micromamba; everything restored afterwards."""
    import conda_lock.conda_lock as conda_lock_module
    import conda_lock.conda_solver as conda_solver_module

    processes = _SolverProcesses(solver)
    saved = (
        conda_lock_module.determine_conda_executable,
        conda_lock_module.subprocess,
        conda_solver_module.subprocess,
    )
    conda_lock_module.determine_conda_executable = solver.determine_executable
    conda_lock_module.subprocess = processes
    conda_solver_module.subprocess = processes
    try:
        yield solver
    finally:
        (
            conda_lock_module.determine_conda_executable,
            conda_lock_module.subprocess,
            conda_solver_module.subprocess,
        ) = saved


@contextmanager
def _logging_kept() -> Iterator[None]:
    """conda-lock's `lock` reconfigures the root logger (basicConfig force=True); undo that."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)


def run_conda_lock(argv: Sequence[str], solver: StandinSolver) -> int:
    """conda-lock's own command line with `argv`, in this process, with `solver`; its exit status.

    Exceptions conda-lock does not handle propagate, as they do from the real
    console script (a traceback and exit status 1 in a process).
    """
    from conda_lock.conda_lock import main as conda_lock_main

    with solver_replaced(solver), _logging_kept():
        try:
            conda_lock_main.main(args=list(argv), prog_name="conda-lock", standalone_mode=True)
        except SystemExit as done:
            code = done.code
            return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def lock_command(environment: str, platforms: Sequence[str], conda: str | None = None) -> list[str]:
    """The `conda-lock` arguments lockstep passes (lockstep.lock.pipeline.solve_conda)."""
    argv = ["lock", "--file", environment, "--kind", "explicit"]
    for platform in platforms:
        argv += ["--platform", platform]
    argv += ["--filename-template", "conda-{platform}.lock"]
    if conda:
        argv += ["--conda", conda]
    return argv


def render_lockfiles(
    project: Path,
    solutions: Mapping[str, Sequence[SolvedPackage]],
    *,
    environment: str = "environment.yml",
    platforms: Sequence[str] | None = None,
) -> StandinSolver:
    """Have conda-lock lock `project`'s environment file into conda-<platform>.lock files.

    `solutions` are the solver's answers per platform; the lockfiles and their
    headers are conda-lock's own rendering. Raises if conda-lock fails.
    """
    solver = StandinSolver(solutions=solutions)
    argv = lock_command(environment, list(platforms or solutions))
    previous = Path.cwd()
    os.chdir(project)
    try:
        code = run_conda_lock(argv, solver)
    finally:
        os.chdir(previous)
    if code != 0:
        raise RuntimeError(f"conda-lock {' '.join(argv)} exited with {code}")
    return solver


def main(argv: list[str]) -> int:
    scenario = json.loads(Path(os.environ[SCENARIO_VARIABLE]).read_text())
    with Path(scenario["calls"]).open("a") as log:
        log.write(json.dumps({"argv": argv, "cwd": str(Path.cwd())}) + "\n")
    solutions = {
        platform: [SolvedPackage.from_scenario(entry) for entry in entries]
        for platform, entries in scenario["lockfiles"].items()
    }
    solver = StandinSolver(solutions=solutions, behaviour=scenario.get("behaviour", "ok"))
    return run_conda_lock(argv, solver)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO_ROOT))
    from tests.support.preforked import run_main

    raise SystemExit(run_main("tests.support.standin_conda_lock", main, sys.argv[1:]))
