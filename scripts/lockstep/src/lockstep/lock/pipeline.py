"""`lockstep lock`: conda-lock, then pins, then `poetry lock`, all in a staging copy.

Steps (docs/lockstep.md, "The lock pipeline"): validate inputs; solve conda for
every platform whose lockfile is missing or stale (all of them with
--upgrade); read the Python distributions the locked packages install; write
them as pins plus the lockfile digests into pyproject.toml; `poetry lock`;
swap the changed files in. Any failure before the swap changes no file.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

from lockstep.check.freshness import poetry_lock_is_fresh, unreadable_poetry_lock
from lockstep.lock.index import missing_from_index
from lockstep.lock.package_info import distributions_by_platform
from lockstep.lock.pins import derive_pins
from lockstep.lock.poetry_python import poetry_python_prefix
from lockstep.shared import settings
from lockstep.shared.conda_input_hash import conda_input_hashes
from lockstep.shared.environment import EnvironmentSpec, load_environment
from lockstep.shared.explicit_lockfile import (
    DamagedLockfile,
    ExplicitLockfile,
    read_reusable_lockfile,
)
from lockstep.shared.inputs_fingerprint import inputs_fingerprint
from lockstep.shared.model import Pin
from lockstep.shared.progress import Progress
from lockstep.shared.project import CONDA_LOCK_TEMPLATE, ProjectFiles, conda_lock_name
from lockstep.shared.pyproject import (
    file_digest,
    primary_index_url,
    read_pyproject,
    read_pyproject_text,
    render_generated_sections,
    requires_python,
)
from lockstep.shared.runner import clean_environment, find_tool, run_tool, tail_summary
from lockstep.shared.staging import Staging, run_lock

STEPS = 6
# Poetry would otherwise pick the caller's environment (VIRTUAL_ENV, then CONDA_PREFIX).
POETRY_ENVIRONMENT_VARIABLES = ("VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV")


def platforms_to_solve(
    files: ProjectFiles, environment: EnvironmentSpec, *, upgrade: bool
) -> list[str]:
    if upgrade:
        return list(environment.platforms)
    expected = conda_input_hashes(
        files.environment, environment.platforms, virtual_packages=files.virtual_packages
    )
    return [
        platform
        for platform in environment.platforms
        if not _reusable(files.conda_lock(platform), input_hash=expected[platform])
    ]


def _reusable(path: Path, *, input_hash: str) -> bool:
    """The lockfile exists, is whole and was solved from these inputs."""
    if not path.exists():
        return False
    try:
        return read_reusable_lockfile(path).input_hash == input_hash
    except DamagedLockfile as damaged:
        _report(f"re-solving {path.name}: it {damaged.reason}")
        return False


def solve_conda(files: ProjectFiles, platforms: Sequence[str]) -> None:
    conda_lock = find_tool("conda-lock", hint="run lockstep in the tools image (make env-update)")
    command = [conda_lock, "lock", "--file", files.environment.name, "--kind", "explicit"]
    for platform in platforms:
        command += ["--platform", platform]
    command += ["--filename-template", CONDA_LOCK_TEMPLATE]
    # The lock's CUDA target: passed by name, not left to conda-lock's lookup in its directory.
    if files.virtual_packages is not None:
        command += ["--virtual-package-spec", files.virtual_packages.name]
    conda_exe = settings.conda_exe()
    if conda_exe:
        command += ["--conda", conda_exe]
    mapping = settings.pypi_mapping()
    if mapping:
        command += ["--pypi_to_conda_lookup_file", mapping]
    run_tool(command, cwd=files.root, summarize=solver_failure)


# micromamba's JSON answer to a failed solve, which conda-lock prints before its own
# traceback: {"solver_problems": ["nothing provides requested ...", ...], "success": false}
_SOLVER_PROBLEMS = re.compile(r"""["']solver_problems["']:\s*\[(.*?)\]""", re.DOTALL)
_QUOTED = re.compile(r""""((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'""")


def solver_failure(lines: Sequence[str]) -> str:
    """The solver's own problems when conda-lock printed them, else the output's tail."""
    blocks = _SOLVER_PROBLEMS.findall("\n".join(lines))
    found = [double or single for block in blocks for double, single in _QUOTED.findall(block)]
    problems = list(dict.fromkeys(found))
    if problems:
        return "the solver found no solution: " + "; ".join(problems)
    return tail_summary(lines)


def remove_unlisted_lockfiles(files: ProjectFiles, environment: EnvironmentSpec) -> None:
    wanted = {conda_lock_name(platform) for platform in environment.platforms}
    for path in files.existing_conda_locks():
        if path.name not in wanted:
            path.unlink()


def poetry_lock(files: ProjectFiles, *, upgrade: bool, python_prefix: Path | None) -> None:
    poetry = find_tool("poetry", hint="run lockstep in the tools image (make env-update)")
    command = [poetry, "lock", "--no-interaction", "--directory", str(files.root)]
    if upgrade:
        command.append("--regenerate")
    env = clean_environment(POETRY_ENVIRONMENT_VARIABLES)
    if python_prefix is not None:
        env["CONDA_PREFIX"] = str(python_prefix)
    run_tool(command, cwd=files.root, env=env)


def _drop_unreadable_poetry_lock(files: ProjectFiles) -> None:
    """A staged poetry.lock Poetry cannot read (a merge left its markers) is removed:
    Poetry then locks from pyproject.toml alone instead of stopping on it."""
    if not files.poetry_lock.exists():
        return
    reason = unreadable_poetry_lock(files.poetry_lock.read_bytes())
    if reason is not None:
        _report(f"poetry.lock {reason}: locking again from pyproject.toml")
        files.poetry_lock.unlink()


def pins_on_index(
    lockfiles: Sequence[ExplicitLockfile], *, index_url: str, cache_dir: Path | None
) -> tuple[list[Pin], list[Pin]]:
    """The pins derived from the lockfiles, split into those the index has and the rest."""
    timeout = settings.fetch_timeout()
    pins = derive_pins(distributions_by_platform(lockfiles, cache_dir=cache_dir, timeout=timeout))
    left_out = missing_from_index(pins, index_url=index_url, timeout=timeout)
    return [pin for pin in pins if pin not in left_out], left_out


def _report(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def lock_project(*, project: Path, upgrade: bool = False, cache_dir: Path | None = None) -> None:
    real = ProjectFiles(project.resolve())
    progress = Progress(total=STEPS)
    with run_lock(real.root):
        with progress.step("validate inputs"):
            pyproject = read_pyproject(real.pyproject)
            environment = load_environment(
                real.environment, requires_python=requires_python(pyproject)
            )
        with Staging(real) as staging:
            files = staging.files
            stale = platforms_to_solve(files, environment, upgrade=upgrade)
            with progress.step(f"solve conda ({', '.join(environment.platforms)})") as step:
                if stale:
                    solve_conda(files, stale)
                else:
                    step.skip("lockfiles fresh, reused")
                remove_unlisted_lockfiles(files, environment)
            with progress.step("read the Python distributions of the conda packages"):
                lockfiles = [
                    read_reusable_lockfile(files.conda_lock(p)) for p in environment.platforms
                ]
                index_url = primary_index_url(pyproject)
                kept, left_out = pins_on_index(lockfiles, index_url=index_url, cache_dir=cache_dir)
            with progress.step(f"pin {len(kept)} distributions in the conda group"):
                _write_pins(
                    files,
                    kept,
                    lockfiles=[lock.path for lock in lockfiles],
                    inputs=inputs_fingerprint(files, requires_python=requires_python(pyproject)),
                )
            for pin in left_out:
                _report(f"left out: {pin} (not on {index_url})")
            with progress.step("poetry lock") as step:
                # As `check` decides: poetry.lock records the content hash of pyproject.toml
                # as just written, so Poetry would resolve to the same lockfile; a repeat
                # run leaves it be (Poetry resolves again each time: seconds on a real
                # project). --upgrade always runs it.
                if not upgrade and poetry_lock_is_fresh(files):
                    step.skip("poetry.lock fresh, reused")
                else:
                    _drop_unreadable_poetry_lock(files)
                    python_prefix = poetry_python_prefix(
                        environment,
                        cache_dir=cache_dir or settings.cache_dir(),
                        workdir=files.root,
                    )
                    poetry_lock(files, upgrade=upgrade, python_prefix=python_prefix)
            with progress.step("swap the new files in"):
                changed = staging.commit()
    summary = ", ".join(changed) if changed else "nothing changed"
    _report(f"lockstep: locked in {progress.elapsed():.1f}s: {summary}")


def _write_pins(
    files: ProjectFiles,
    pins: Sequence[Pin],
    *,
    lockfiles: Sequence[Path],
    inputs: str | None = None,
) -> None:
    digests = {path.name: file_digest(path) for path in lockfiles}
    # Bytes in and out: text mode would turn a CRLF file's line endings into LF.
    text = read_pyproject_text(files.pyproject)
    rendered = render_generated_sections(text, pins=pins, lockfile_digests=digests, inputs=inputs)
    files.pyproject.write_bytes(rendered.encode("utf-8"))
