"""A unified conda-lock.yml (conda-lock's default output) as the template's explicit lockfiles.

conda-lock's own reader and renderer do the work (`parse_conda_lock_file` and
`render_lockfile_for_platform`, what `conda-lock render --kind explicit` runs), so a
converted file is what `conda-lock render` writes. A platform is converted only where
the content hash conda-lock recorded for it is the one it computes for the environment.yml
as imported: `lock` then reuses that file as it reuses any fresh lockfile, and the user
keeps the versions they ran. Any other platform is left for `make env-update` to solve.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from conda_lock.conda_lock import render_lockfile_for_platform
from conda_lock.lockfile import parse_conda_lock_file

from lockstep.shared.conda_input_hash import conda_hashes_and_sides, conda_sides
from lockstep.shared.errors import FetchError, InputError, LockstepError
from lockstep.shared.project import conda_lock_name
from lockstep.shared.settings import PYPI_MAPPING_VARIABLE
from lockstep.shared.yaml_files import libyaml_for_safe_load

# conda-lock's default output name: one beside the imported environment.yml is imported too.
UNIFIED_NAME = "conda-lock.yml"
_SOLVES_IT = "`make env-update` solves it"


@dataclass(frozen=True)
class UnifiedLockfile:
    path: Path
    platforms: tuple[str, ...]
    # The files conda-lock locked it from, relative to the lockfile's directory.
    sources: tuple[str, ...]
    content_hashes: Mapping[str, str]
    # Each platform's explicit lockfile, as `conda-lock render --kind explicit` writes it.
    explicit: Mapping[str, str]


@dataclass(frozen=True)
class Conversion:
    # The explicit lockfiles to write, by file name.
    lockfiles: Mapping[str, str]
    # One line per platform: converted, or why not.
    lines: tuple[str, ...]


def read_unified_lockfile(path: Path) -> UnifiedLockfile:
    """The lockfile and its explicit renderings; one InputError line when conda-lock
    cannot read it."""
    try:
        with libyaml_for_safe_load():
            lockfile = parse_conda_lock_file(path)
        platforms = tuple(lockfile.metadata.platforms)
        explicit = {
            platform: "\n".join(
                render_lockfile_for_platform(
                    lockfile=lockfile,
                    include_dev_dependencies=True,
                    extras=None,
                    kind="explicit",
                    platform=platform,
                    suppress_warning_for_pip_and_explicit=True,
                )
            )
            + "\n"
            for platform in platforms
        }
    except Exception as error:  # YAML, pydantic and conda-lock's own errors: all bad input
        reason = " ".join(str(error).split())
        raise InputError(
            f"{path}: conda-lock cannot read it as a unified lockfile ({reason}); import its"
            " environment.yml alone"
        ) from None
    return UnifiedLockfile(
        path=path,
        platforms=platforms,
        sources=tuple(str(source) for source in lockfile.metadata.sources),
        content_hashes=dict(lockfile.metadata.content_hash),
        explicit=explicit,
    )


def looks_unified(data: object) -> bool:
    """A YAML document conda-lock's unified format: `metadata` and `package` at the top."""
    return isinstance(data, dict) and "package" in data and "metadata" in data


def source_environment(unified: UnifiedLockfile) -> Path:
    """The one environment.yml the lockfile was locked from, beside it."""
    yaml_sources = [source for source in unified.sources if source.endswith((".yml", ".yaml"))]
    if len(unified.sources) != 1 or not yaml_sources:
        listed = ", ".join(unified.sources) or "none"
        raise InputError(
            f"{unified.path}: was locked from {listed}, not one environment.yml; import that"
            " environment.yml with --from, and the lockfile beside it is imported too"
        )
    recorded = yaml_sources[0]
    # conda-lock records the path it was given: absolute paths on the author's machine
    # (a Windows one too) name the file by its last part, looked for beside the lockfile.
    name = PureWindowsPath(recorded).name if "\\" in recorded else PurePosixPath(recorded).name
    for environment in (unified.path.parent / recorded, unified.path.parent / name):
        if environment.is_file():
            return environment
    raise InputError(
        f"{unified.path}: was locked from {recorded}, which is not beside it; put {name}"
        " there, then run the import again"
    )


@dataclass(frozen=True)
class ImportedEnvironment:
    """The environment.yml as imported and as the user wrote it, as conda-lock reads them."""

    original: Path
    # The file as imported (in the staging copy), and its conda-lock `# input_hash:` per
    # platform; its conda side is read only when a platform needs it.
    imported: Path
    input_hashes: Mapping[str, str]


def convert(
    unified: UnifiedLockfile, imported: ImportedEnvironment, *, platforms: Sequence[str]
) -> Conversion:
    """The explicit lockfiles of the project's platforms that the unified lockfile locks
    from the same conda entries as the environment.yml imported.

    Fresh as it is (the recorded hash is the imported file's): conda-lock's rendering.
    Fresh for the file the user wrote, whose conda entries the import kept and whose pip
    entries it moved to pyproject.toml: the same conda packages (conda solves its side
    alone), without the `# pip` lines, under the imported file's hash.
    """
    lockfiles = {}
    lines = []
    name = unified.path.name
    kept_conda_side = _KeptCondaSide(unified, imported, platforms)
    for platform in platforms:
        target = conda_lock_name(platform)
        if platform not in unified.explicit:
            lines.append(f"not converted: {target} ({name} locks no {platform}; {_SOLVES_IT})")
            continue
        if unified.content_hashes.get(platform) == imported.input_hashes[platform]:
            lockfiles[target] = unified.explicit[platform]
            lines.append(
                f"converted: {name}'s {platform} -> {target} (the packages it locked;"
                " fresh for environment.yml, so `make env-update` keeps them)"
            )
            continue
        problem = kept_conda_side.problem(platform)
        if problem is not None:
            lines.append(f"not converted: {name}'s {platform} ({problem}; {_SOLVES_IT})")
            continue
        lockfiles[target] = _conda_packages_only(
            unified.explicit[platform], input_hash=imported.input_hashes[platform]
        )
        lines.append(
            f"converted: {name}'s {platform} -> {target} (its conda packages as locked, so"
            " `make env-update` keeps them; its pip packages are Poetry's now)"
        )
    return Conversion(lockfiles=lockfiles, lines=tuple(lines))


class _KeptCondaSide:
    """Whether the lockfile was fresh for the file the user wrote, and the import kept that
    file's conda side; read from the user's file once, when first asked."""

    def __init__(
        self, unified: UnifiedLockfile, imported: ImportedEnvironment, platforms: Sequence[str]
    ) -> None:
        self.unified = unified
        self.imported = imported
        self.platforms = [platform for platform in platforms if platform in unified.explicit]
        self.original: tuple[dict[str, str], dict[str, str]] | None = None
        self.unreadable: LockstepError | None = None
        self.imported_sides: dict[str, str] | None = None

    def problem(self, platform: str) -> str | None:
        if self.original is None and self.unreadable is None:
            try:
                self.original = conda_hashes_and_sides(self.imported.original, self.platforms)
            except LockstepError as error:
                self.unreadable = error
        if self.original is None:
            if isinstance(self.unreadable, FetchError):
                return (
                    "conda-lock could not download the PyPI-to-conda name mapping it reads"
                    f" {self.imported.original.name}'s pip: section with; with the network,"
                    f" or {PYPI_MAPPING_VARIABLE} naming a copy, the import keeps them"
                )
            return f"conda-lock cannot read {self.imported.original.name} as written"
        hashes, sides = self.original
        if hashes[platform] != self.unified.content_hashes.get(platform):
            return f"{self.imported.original.name} changed since it was locked"
        if self.imported_sides is None:
            self.imported_sides = conda_sides(self.imported.imported, self.platforms)
        if sides[platform] != self.imported_sides[platform]:
            return "the import changed the conda entries it was locked from"
        return None


_INPUT_HASH_LINE = re.compile(r"^# input_hash: .*$", re.MULTILINE)


def _conda_packages_only(explicit: str, *, input_hash: str) -> str:
    kept = [line for line in explicit.splitlines(keepends=True) if not line.startswith("# pip ")]
    text = "".join(kept)
    return _INPUT_HASH_LINE.sub(f"# input_hash: {input_hash}", text, count=1)
