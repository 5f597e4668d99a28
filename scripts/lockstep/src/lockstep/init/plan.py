"""What init changes: the files it writes (new text) and the paths it removes. Reads only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lockstep.init import rewrite
from lockstep.init.manifest import MANIFEST_FILE, Manifest
from lockstep.init.names import ProjectName
from lockstep.init.new_package import package_files
from lockstep.init.pyproject_edit import project_pyproject, pruned_mypy_files

# It documents what init does to the example, so it keeps naming it.
INIT_DOCUMENT = "docs/init.md"
PYPROJECT = "pyproject.toml"
MAKEFILE = "Makefile"
ENVIRONMENT = "environment.yml"


@dataclass
class Plan:
    writes: dict[str, bytes] = field(default_factory=dict)
    removals: list[str] = field(default_factory=list)


def _is_under(path: str, roots: Sequence[str]) -> bool:
    return any(path == root or path.startswith(f"{root}/") for root in roots)


def removed_paths(project: Path, manifest: Manifest, *, keep_template_tests: bool) -> list[str]:
    """The top-most paths init removes, in a stable order."""
    found: list[str] = [MANIFEST_FILE, *manifest.example_paths]
    if not keep_template_tests:
        for pattern in manifest.template_paths:
            for match in sorted(project.glob(pattern)):
                relative = match.relative_to(project).as_posix()
                if relative not in manifest.template_keep:
                    found.append(relative)
    removals: list[str] = []
    for path in sorted(set(found), key=lambda item: (item.count("/"), item)):
        if (project / path).exists() and not _is_under(path, removals):
            removals.append(path)
    return sorted(removals)


def _edited(
    path: str, text: str, manifest: Manifest, name: ProjectName, *, removals: list[str], keep: bool
) -> str:
    if path == PYPROJECT:
        drop = () if keep else manifest.pyproject_settings
        text = project_pyproject(text, name, drop_settings=drop)
    if path == MAKEFILE and not keep:
        text = rewrite.without_make_targets(text, manifest.make_targets)
        text = rewrite.without_make_settings(text, manifest.make_settings)
    if path == ENVIRONMENT:
        text = rewrite.without_conda_dependencies(text, manifest.example_conda_dependencies)
    if path == manifest.mypy_config and not keep:
        text = pruned_mypy_files(text, removals)
    if not keep:
        for job in manifest.workflow_jobs:
            workflow, _, job_name = job.rpartition(":")
            if path == workflow:
                text = rewrite.without_workflow_job(text, job_name)
    text = rewrite.replace_example_blocks(text, name)
    return rewrite.rename(text, manifest.example_name, name)


def build_plan(
    project: Path,
    manifest: Manifest,
    name: ProjectName,
    *,
    tracked: Sequence[str],
    keep_template_tests: bool,
) -> Plan:
    """Every change init makes to `project`, computed from its tracked files."""
    plan = Plan(removals=removed_paths(project, manifest, keep_template_tests=keep_template_tests))
    for path in tracked:
        if _is_under(path, plan.removals) or path == INIT_DOCUMENT:
            continue
        source = project / path
        if source.is_symlink() or not source.is_file():
            continue
        data = source.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # not text: nothing in it names the example
        edited = _edited(
            path, text, manifest, name, removals=plan.removals, keep=keep_template_tests
        )
        if edited != text:
            plan.writes[path] = edited.encode("utf-8")
    for path, text in package_files(name).items():
        plan.writes[path] = text.encode("utf-8")
    return plan
