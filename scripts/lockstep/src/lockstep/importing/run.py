"""`lockstep import`: the steps, in a staging copy swapped in all at once.

Read environment.yml (or `--from` another one) and pyproject.toml, converting
UTF-16 or a byte-order mark; rewrite environment.yml; gather the pip entries
(its `pip:` section, `-r` files, or a `--from` requirements file); write them to
pyproject.toml, leaving on the conda side what both sides list; check the result
as `lockstep lock` and `lockstep check` will; swap the changed files in. A failure
or Ctrl-C before the swap changes no file, and the swap itself holds SIGINT back
(shared/staging.py), as for `lock`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from lockstep.importing.derive_python import conda_python_for
from lockstep.importing.environment_file import (
    SYSTEM_MARKERS,
    EnvironmentImport,
    other_system_on_pypi,
    rewrite_environment,
)
from lockstep.importing.pyproject_writer import ExampleEntries, write_pyproject
from lockstep.importing.requirements import (
    Dependency,
    Requirements,
    parse_lines,
    read_requirements_file,
)
from lockstep.importing.unified_lockfile import (
    UNIFIED_NAME,
    ImportedEnvironment,
    UnifiedLockfile,
    convert,
    looks_unified,
    read_unified_lockfile,
    source_environment,
)
from lockstep.init.manifest import read_manifest_if_present
from lockstep.shared.conda_input_hash import conda_input_hashes
from lockstep.shared.environment import EnvironmentSpec, check_python_agrees, load_environment
from lockstep.shared.errors import InputError
from lockstep.shared.project import (
    ENVIRONMENT_FILE,
    PYPROJECT_FILE,
    ProjectFiles,
    conda_lock_name,
)
from lockstep.shared.pyproject import requires_python
from lockstep.shared.staging import Staging, run_lock
from lockstep.shared.text_files import ConvertedText, read_converting
from lockstep.shared.toml_reader import check_pyproject_shapes, load_toml
from lockstep.shared.yaml_files import load_yaml

OUTPUTS = (ENVIRONMENT_FILE, PYPROJECT_FILE)
YAML_SUFFIXES = (".yml", ".yaml")
NEXT_STEP = "run `make env-update` to lock them"


@dataclass(frozen=True)
class ImportResult:
    # One line per entry moved, rewritten, removed, added or kept, in that order of files.
    lines: tuple[str, ...]
    # The project files swapped in; empty when there was nothing to import.
    changed: tuple[str, ...]

    @property
    def summary(self) -> str:
        if not self.changed:
            return "lockstep: nothing to import; environment.yml and pyproject.toml are in shape"
        return f"lockstep: imported into {', '.join(self.changed)}; {NEXT_STEP}"


@dataclass(frozen=True)
class Inputs:
    environment: Path
    environment_text: ConvertedText
    pyproject_text: ConvertedText
    requirements: Path | None
    # A unified conda-lock.yml: given with --from, or beside the environment.yml imported.
    unified: UnifiedLockfile | None = None

    @property
    def outputs(self) -> tuple[str, ...]:
        platforms = () if self.unified is None else self.unified.platforms
        return (*OUTPUTS, *(conda_lock_name(platform) for platform in platforms))


def import_project(
    *, project: Path, source: Path | None = None, keep_requires_python: bool = False
) -> ImportResult:
    """Import into the project's environment.yml and pyproject.toml, all or nothing.

    With `source` an environment.yml, its python defines requires-python where the two
    disagree, unless `keep_requires_python`: then the disagreement is refused, as `lock`
    refuses it.
    """
    files = ProjectFiles(project.resolve())
    with run_lock(files.root):
        inputs = read_inputs(files, source)
        # The writer edits with tomlkit, which assumes the tables it edits are tables.
        pyproject_data = load_toml(inputs.pyproject_text.text, path=files.pyproject)
        check_pyproject_shapes(pyproject_data, path=files.pyproject)
        allowed_pythons = requires_python(pyproject_data)
        environment = rewrite_environment(
            inputs.environment_text.text,
            path=inputs.environment,
            python_if_missing=conda_python_for(allowed_pythons),
            python_if_unversioned=(
                None if allowed_pythons is None else conda_python_for(allowed_pythons)
            ),
        )
        requirements = gather_requirements(files, inputs, environment)
        lines = [*_conversions(inputs), *environment.lines, *requirements.notes]
        dependencies, sides = split_sides(requirements.dependencies, environment.conda_names)
        lines += sides
        with Staging(files, outputs=inputs.outputs) as staging, _quiet_conda_lock():
            staged = staging.files
            staged.environment.write_bytes(environment.text.encode("utf-8"))
            with _naming_real_files(staging, inputs.environment):
                parsed = load_environment(staged.environment, requires_python=None)
                # Another file's python defines the project's; the project's own two
                # files disagreeing is for the user to settle (validate refuses it).
                python_disagrees = inputs.environment != files.environment and (
                    _python_disagrees(parsed, allowed_pythons, keep=keep_requires_python)
                )
            pyproject = write_pyproject(
                inputs.pyproject_text.text,
                path=files.pyproject,
                dependencies=dependencies,
                indexes=requirements.indexes,
                python_spec=parsed.python_spec,
                python_defines_from=inputs.environment if python_disagrees else None,
                example=_example_entries(files.root, environment, inputs.environment),
                data=pyproject_data,
            )
            staged.pyproject.write_bytes(pyproject.text.encode("utf-8"))
            lines += pyproject.lines
            with _naming_real_files(staging, inputs.environment):
                input_hashes = validate(
                    staged,
                    parsed,
                    virtual_packages=files.virtual_packages,
                    written_pyproject=pyproject.data,
                )
            if inputs.unified is not None:
                imported = ImportedEnvironment(
                    original=inputs.environment,
                    imported=staged.environment,
                    input_hashes=input_hashes,
                )
                conversion = convert(inputs.unified, imported, platforms=parsed.platforms)
                for name, text in conversion.lockfiles.items():
                    (staging.root / name).write_text(text, encoding="utf-8")
                lines += conversion.lines
            changed = staging.commit()
    return ImportResult(lines=tuple(lines), changed=tuple(changed))


def _python_disagrees(
    environment: EnvironmentSpec, requires_python: str | None, *, keep: bool
) -> bool:
    """environment.yml's python selects other Pythons than requires-python; refused when
    the project keeps its requires-python."""
    if requires_python is None or not _is_specifier(requires_python):
        return False  # validate() names an invalid one, as `lock` does
    try:
        check_python_agrees(environment.path, environment.python_spec, requires_python)
    except InputError as disagreement:
        if keep:
            raise InputError(
                f"{disagreement}, or import without --keep-requires-python to let its python"
                " define requires-python"
            ) from None
        return True
    return False


def _is_specifier(text: str) -> bool:
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        return False
    return True


def _example_entries(
    root: Path, environment: EnvironmentImport, source: Path
) -> ExampleEntries | None:
    """Before `make init`, the example's dependencies (template.toml), which an import replaces."""
    manifest = read_manifest_if_present(root)
    if manifest is None:
        return None
    return ExampleEntries(
        entries=frozenset(str(Requirement(entry)) for entry in manifest.example_dependencies),
        conda_names=environment.conda_names,
        source=source.name,
    )


def read_inputs(files: ProjectFiles, source: Path | None) -> Inputs:
    environment, requirements, unified = files.environment, None, None
    if source is not None:
        if not source.is_file():
            raise InputError(
                f"{source}: not found; --from names an environment.yml, a conda-lock.yml or"
                " a requirements file"
            )
        if source.suffix.lower() not in YAML_SUFFIXES:
            requirements = source
        elif _is_unified_lockfile(source):
            unified = read_unified_lockfile(source)
            environment = source_environment(unified)
        else:
            environment = source
    beside = environment.parent / UNIFIED_NAME
    if unified is None and beside.is_file():
        unified = read_unified_lockfile(beside)
    return Inputs(
        environment=environment,
        environment_text=_read(environment, "a project needs an environment.yml"),
        pyproject_text=_read(files.pyproject, "a project needs a pyproject.toml"),
        requirements=requirements,
        unified=unified,
    )


def _is_unified_lockfile(path: Path) -> bool:
    """A unified conda-lock.yml, not an environment.yml; a file that is neither is left to
    the environment.yml reader, whose messages say what is wrong with it."""
    try:
        return looks_unified(load_yaml(read_converting(path).text))
    except (InputError, yaml.YAMLError, RecursionError, UnicodeError):
        return False


def _read(path: Path, missing: str) -> ConvertedText:
    try:
        return read_converting(path)
    except FileNotFoundError:
        raise InputError(f"{path}: not found; {missing}") from None


def _conversions(inputs: Inputs) -> list[str]:
    converted = [
        (ENVIRONMENT_FILE, inputs.environment_text.converted_from),
        (PYPROJECT_FILE, inputs.pyproject_text.converted_from),
    ]
    return [
        f"converted: {name} from {encoding} to UTF-8 (as every tool reads it)"
        for name, encoding in converted
        if encoding is not None
    ]


def gather_requirements(
    files: ProjectFiles, inputs: Inputs, environment: EnvironmentImport
) -> Requirements:
    """The pip entries of the `pip:` section (its `-r` files relative to environment.yml's
    directory) and of a `--from` requirements file."""
    gathered = parse_lines(
        list(environment.pip_lines), where=inputs.environment, project_root=files.root
    )
    if inputs.requirements is not None:
        gathered.extend(read_requirements_file(inputs.requirements, project_root=files.root))
    return gathered


def split_sides(
    dependencies: Sequence[Dependency], conda_names: frozenset[str]
) -> tuple[list[Dependency], list[str]]:
    """The dependencies to move, and lines for those left out: conda lists them too
    (conda has the final say), or a second entry names the same package. A package of
    another operating system (a Windows export's pywin32) gets that system's marker."""
    moving: dict[str, Dependency] = {}
    lines = []
    for dependency in map(_marked_for_its_system, dependencies):
        if dependency.key in conda_names:
            lines.append(
                f"kept on the conda side: {dependency.name} (environment.yml lists it; the pip"
                f" entry {dependency.line} is dropped)"
            )
        elif dependency.key in moving:
            first = moving[dependency.key]
            if first != dependency:
                lines.append(
                    f"dropped: {dependency.line} (a second entry for {dependency.name};"
                    f" the first, {first.line}, is imported)"
                )
        else:
            moving[dependency.key] = dependency
    return list(moving.values()), lines


def _marked_for_its_system(dependency: Dependency) -> Dependency:
    system = other_system_on_pypi(dependency.name)
    if system is None or SYSTEM_MARKERS[system] in (dependency.marker or ""):
        return dependency
    marker = SYSTEM_MARKERS[system]
    if dependency.marker:
        marker = f"({dependency.marker}) and {marker}"
    return replace(dependency, marker=marker, as_read=None)


def validate(
    staged: ProjectFiles,
    environment: EnvironmentSpec,
    *,
    virtual_packages: Path | None,
    written_pyproject: Mapping[str, Any],
) -> dict[str, str]:
    """What `lockstep lock` and `lockstep check` validate before anything else, given the
    staged environment.yml as load_environment read it (reading it again, a YAML parse and
    conda-lock's, once more per platform, was a quarter of an import's time): its python
    against the new requires-python, then conda-lock's own input hash, returned per platform
    (with the project's virtual-packages.yml, as `lock` computes it). `written_pyproject`
    is the staged pyproject.toml as the writer read it back (a 50 MB one took 6 s a read)."""
    python_range = requires_python(written_pyproject)
    if python_range is not None:
        check_python_agrees(environment.path, environment.python_spec, python_range)
    return conda_input_hashes(
        staged.environment, environment.platforms, virtual_packages=virtual_packages
    )


@contextmanager
def _naming_real_files(staging: Staging, environment: Path) -> Iterator[None]:
    """An error about a staged copy names the file the user knows, in one line (conda-lock's
    parse errors, quoted in them, may span several): for environment.yml, the file its
    entries came from (--from FILE, or the project's own)."""
    try:
        yield
    except InputError as error:
        message = str(error).replace(str(staging.files.environment), str(environment))
        message = message.replace(str(staging.root), str(staging.project.root))
        raise InputError(" ".join(message.split())) from None


@contextmanager
def _quiet_conda_lock() -> Iterator[None]:
    """conda-lock warns for each line a platform selector (`# [win]`) filters out, on every
    parse; here that is expected, and the output is one line per entry imported."""
    logger = logging.getLogger("conda_lock")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
