"""template.toml: what belongs to the template, and the marker of a project not yet initialised."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockstep.shared.errors import InputError
from lockstep.shared.toml_reader import tomllib

MANIFEST_FILE = "template.toml"


@dataclass(frozen=True)
class Manifest:
    example_name: str
    example_paths: tuple[str, ...]
    example_conda_dependencies: tuple[str, ...]
    # pyproject.toml's [project] dependencies as the template ships them.
    example_dependencies: tuple[str, ...]
    template_paths: tuple[str, ...]
    template_keep: tuple[str, ...]
    make_targets: tuple[str, ...]
    make_settings: tuple[str, ...]
    workflow_jobs: tuple[str, ...]
    pyproject_settings: tuple[str, ...]
    mypy_config: str


def _strings(table: dict[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InputError(f"init: {MANIFEST_FILE}: {key} must be a list of strings")
    return tuple(value)


def read_manifest(project: Path) -> Manifest:
    """The manifest, or an InputError saying the project was initialised already."""
    manifest = read_manifest_if_present(project)
    if manifest is None:
        raise InputError(
            f"init: {project} was already initialised from the template ({MANIFEST_FILE},"
            " which init removes, is gone); edit the project's files instead"
        )
    return manifest


def read_manifest_if_present(project: Path) -> Manifest | None:
    """The manifest; None in a project made from the template (init removed it)."""
    path = project / MANIFEST_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"init: {path}: {error}") from None
    example = data.get("example", {})
    template = data.get("template", {})
    name = example.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"init: {path}: [example] name is missing")
    return Manifest(
        example_name=name,
        example_paths=_strings(example, "paths"),
        example_conda_dependencies=_strings(example, "conda-dependencies"),
        example_dependencies=_strings(example, "dependencies"),
        template_paths=_strings(template, "paths"),
        template_keep=_strings(template, "keep"),
        make_targets=_strings(template, "make-targets"),
        make_settings=_strings(template, "make-settings"),
        workflow_jobs=_strings(template, "workflow-jobs"),
        pyproject_settings=_strings(template, "pyproject-settings"),
        mypy_config=str(template.get("mypy-config", "")),
    )
