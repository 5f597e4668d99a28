"""`lockstep init`: refuse what could not be undone alone, plan every change, apply it all."""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lockstep.init.manifest import read_manifest
from lockstep.init.names import ProjectName, project_name
from lockstep.init.plan import build_plan
from lockstep.init.swap import RollbackError, apply_plan
from lockstep.shared.errors import EXIT_IO_ERROR, InputError, LockstepError
from lockstep.shared.staging import run_lock

_SHOWN_DIRTY_PATHS = 3


class InitIOError(LockstepError):
    """The system refused a file operation of the swap; every step was undone."""

    exit_code = EXIT_IO_ERROR


@dataclass(frozen=True)
class InitResult:
    name: ProjectName
    lines: list[str]


def _git(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = ["git", "-C", str(project), *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise InputError(
            "init: git is not installed; init needs it to refuse a tree with uncommitted work"
        ) from None


def _tracked_files(project: Path) -> list[str]:
    """The files git tracks, after refusing a tree that is not a clean git work tree."""
    if _git(project, "rev-parse", "--is-inside-work-tree").returncode != 0:
        raise InputError(
            f"init: {project} is not a git work tree: init's changes must be reviewable and"
            " undoable (git init && git add -A && git commit -m template), then retry"
        )
    status = _git(project, "status", "--porcelain", "--untracked-files=normal", "--", ".")
    changed = [line[3:] for line in status.stdout.splitlines() if line.strip()]
    if status.returncode != 0 or changed:
        shown = ", ".join(changed[:_SHOWN_DIRTY_PATHS]) or status.stderr.strip()
        more = (
            f" and {len(changed) - _SHOWN_DIRTY_PATHS} more"
            if len(changed) > _SHOWN_DIRTY_PATHS
            else ""
        )
        raise InputError(
            f"init: the git tree has uncommitted changes ({shown}{more}): commit or stash"
            " them first, so that init's changes can be reviewed and undone on their own"
        )
    listed = _git(project, "ls-files", "-z", "--", ".")
    if listed.returncode != 0:
        raise InputError(f"init: {shlex.join(['git', 'ls-files'])} failed: {listed.stderr}")
    return [path for path in listed.stdout.split("\0") if path]


def init_project(*, project: Path, name: str, keep_template_tests: bool) -> InitResult:
    """Turn the template at `project` into the project NAME, all or nothing."""
    project = project.resolve()
    manifest = read_manifest(project)
    names = project_name(name)
    tracked = _tracked_files(project)
    with run_lock(project):
        plan = build_plan(
            project, manifest, names, tracked=tracked, keep_template_tests=keep_template_tests
        )
        try:
            apply_plan(project, plan)
        except RollbackError as error:
            raise InitIOError(
                f"init: undoing a failed init failed too ({error}): restore the tree with"
                " `git checkout -- . && git clean -fd`"
            ) from error
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            raise InitIOError(
                f"init: {where}{error.strerror or error}; no file was changed"
            ) from error
    left_out = (
        "the example's code and tests (the template's own tests kept)"
        if keep_template_tests
        else "the example's code and tests, the template's own tests, benchmarks and settings"
    )
    image = names.distribution
    lines = [
        f"init: {image}: package {names.package} (src/{names.package}), images {image},"
        f" {image}-dev and {image}-tools, conda environment {image}",
        f"init: wrote {len(plan.writes)} files; removed {len(plan.removals)} paths: {left_out}",
        "next: review with `git status`, commit, then `make env-bootstrap` to lock the project",
    ]
    return InitResult(name=names, lines=lines)
