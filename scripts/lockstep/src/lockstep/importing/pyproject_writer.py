"""pyproject.toml gains the imported dependencies, package indexes and requires-python.

In the style the project already uses: PEP 621 (`[project] dependencies`, PEP 508
strings) or Poetry 1 (`[tool.poetry.dependencies]`, Poetry's tables). Edited with
tomlkit, so every byte outside the entries added stays as it was; tomlkit writes
what it adds with LF, which becomes CRLF in a file whose lines all end in CRLF.
An entry the project already has is kept as the project has it.
"""

from __future__ import annotations

import enum
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from tomlkit.container import Container
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Array, Comment, InlineTable, Table, Whitespace
from tomlkit.toml_document import TOMLDocument

from lockstep.importing.derive_python import requires_python_for
from lockstep.importing.requirements import PYPI_INDEXES, Dependency, Index
from lockstep.shared.errors import InputError
from lockstep.shared.text_files import uses_crlf, with_crlf
from lockstep.shared.toml_reader import tomllib

# A one-line [project] dependencies array with more entries, or longer, once the import
# added to it, is written one entry per line.
_ONE_LINE_MAX = 3
_ONE_LINE_WIDTH = 80


class Style(enum.Enum):
    PEP621 = "[project] dependencies"
    POETRY = "[tool.poetry.dependencies]"


@dataclass(frozen=True)
class PyprojectImport:
    text: str
    # One line each for the report: what was added, or kept as the project had it.
    lines: tuple[str, ...]
    # The text as tomllib reads it (read once, by the check that the rest stays).
    data: Mapping[str, Any]


def project_style(document: Mapping[str, Any], *, path: Path) -> Style:
    """PEP 621 when [project] declares its dependencies, else Poetry 1's table."""
    project = document.get("project")
    poetry = document.get("tool", {}).get("poetry")
    if project is not None and "dependencies" not in project.get("dynamic", []):
        return Style.PEP621
    if poetry is not None or project is not None:
        return Style.POETRY
    raise InputError(
        f"{path}: has neither [project] nor [tool.poetry]; add a [project] table with the"
        " project's name and version, then run the import again"
    )


def pep508(dependency: Dependency) -> str:
    """The dependency as a [project] dependencies string; a path's location goes elsewhere."""
    if dependency.as_read is not None:
        return dependency.as_read
    extras = f"[{','.join(dependency.extras)}]" if dependency.extras else ""
    if dependency.git is not None:
        reference = f"git+{dependency.git}"
        reference += f"@{dependency.rev}" if dependency.rev else ""
        reference += f"#subdirectory={dependency.subdirectory}" if dependency.subdirectory else ""
        text = f"{dependency.name}{extras} @ {reference}"
    elif dependency.url is not None:
        text = f"{dependency.name}{extras} @ {dependency.url}"
    else:
        text = f"{dependency.name}{extras}{dependency.specifier}"
    if dependency.marker:
        # PEP 508 needs the space before `;` after a URL.
        text += f" ; {dependency.marker}"
    return str(Requirement(text))


def poetry_value(dependency: Dependency) -> str | InlineTable:
    """The dependency's value in [tool.poetry.dependencies]: a version, or Poetry's table."""
    fields: dict[str, Any] = {}
    if dependency.git is not None:
        fields["git"] = dependency.git
        if dependency.rev:
            fields["rev"] = dependency.rev
        if dependency.subdirectory:
            fields["subdirectory"] = dependency.subdirectory
    elif dependency.url is not None:
        fields["url"] = dependency.url
    elif dependency.path is not None:
        fields["path"] = dependency.path
        if dependency.editable:
            fields["develop"] = True
    else:
        fields["version"] = dependency.specifier or "*"
    if dependency.extras:
        fields["extras"] = list(dependency.extras)
    if dependency.marker:
        fields["markers"] = dependency.marker
    if list(fields) == ["version"]:
        return str(fields["version"])
    table = tomlkit.inline_table()
    table.update(fields)
    return table


@dataclass(frozen=True)
class ExampleEntries:
    """pyproject.toml's dependencies that belong to the template's example (template.toml),
    until `make init` removes them: an imported entry for the same package replaces one, and
    a package the imported conda side lists removes one (conda has the final say)."""

    entries: frozenset[str]  # as Requirement strings, normalised
    conda_names: frozenset[str]  # canonical names the imported environment.yml lists
    source: str  # the imported file, for the report


def write_pyproject(
    text: str,
    *,
    path: Path,
    dependencies: Sequence[Dependency],
    indexes: Sequence[Index],
    python_spec: str,
    python_defines_from: Path | None = None,
    example: ExampleEntries | None = None,
    data: Mapping[str, Any] | None = None,
) -> PyprojectImport:
    """`python_defines_from` names the imported file when its python is to replace a
    requires-python that disagrees with it (None: an existing one is kept). `data`, the
    file as tomllib read it, lets a file with nothing to add skip tomlkit altogether."""
    if data is not None and _nothing_to_write(
        data, path=path, dependencies=dependencies, indexes=indexes, rewrite=python_defines_from,
        example=example,
    ):  # fmt: skip
        return PyprojectImport(text=text, lines=(), data=data)
    try:
        document = tomlkit.parse(text)
    except TOMLKitError as error:
        reason = " ".join(str(error).split())
        raise InputError(f"{path}: not valid TOML ({reason}); fix the syntax") from None
    style = project_style(document, path=path)
    if python_defines_from is None:
        python_lines = _add_requires_python(document, style, python_spec=python_spec)
    else:
        python_lines = _rewrite_requires_python(
            document, python_spec=python_spec, source=python_defines_from
        )
    lines = [
        *python_lines,
        *_replace_example_entries(document, dependencies, example),
    ]
    added, splice = _add_dependencies(document, style, dependencies)
    lines += [*added, *_add_indexes(document, indexes)]
    rendered = tomlkit.dumps(document)
    if splice is not None:
        rendered = splice.into(rendered)
    written = _check_the_rest_stays(text if data is None else data, rendered, path=path)
    return PyprojectImport(
        text=with_crlf(rendered) if uses_crlf(text) else rendered,
        lines=tuple(lines),
        data=written,
    )


# What the edit may change; every other value the file holds must read back the same.
_EDITED = (
    ("project", "dependencies"),
    ("project", "requires-python"),
    ("tool", "poetry", "dependencies", "python"),
    ("tool", "poetry", "source"),
)
# Where it may add values: Poetry's dependencies.
_EXTENDED = ("tool", "poetry", "dependencies")


def _leaves(data: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Each value outside the edited keys, by its key path (arrays whole)."""
    found: dict[tuple[str, ...], Any] = {}
    for key, value in data.items():
        at = (*prefix, key)
        if at in _EDITED:
            continue
        if isinstance(value, Mapping):
            found |= _leaves(value, at)
        else:
            found[at] = value
    return found


def _check_the_rest_stays(
    before: str | Mapping[str, Any], after: str, *, path: Path
) -> dict[str, Any]:
    """What the text written reads as; the edit refused unless it is TOML that says what
    the file said, but for the entries added. tomlkit writes a new table at the end of the
    table it is added to: after root-level dotted keys (`tool.poetry.name = ...`) those
    keys that follow would become the new table's, valid TOML that means something else."""
    original = _leaves(tomllib.loads(before) if isinstance(before, str) else before)
    try:
        data: dict[str, Any] = tomllib.loads(after)
        written = _leaves(data)
    except tomllib.TOMLDecodeError:
        written = None
    if written is None or any(
        written.get(at, written) != value for at, value in original.items()
    ) or any(
        at not in original and at[: len(_EXTENDED)] != _EXTENDED for at in written
    ):  # fmt: skip
        raise InputError(
            f"{path}: lockstep cannot add to [project] or [tool.poetry] where this file"
            " writes them (as dotted keys or inline tables) without changing what the file"
            " says; write them as [project] and [tool.poetry] tables, then run the import"
            " again"
        )
    return data


def _nothing_to_write(
    data: Mapping[str, Any],
    *,
    path: Path,
    dependencies: Sequence[Dependency],
    indexes: Sequence[Index],
    rewrite: Path | None,
    example: ExampleEntries | None,
) -> bool:
    """True when the edits below would leave the file as it is and say nothing: tomlkit
    takes seconds a megabyte to parse and write a file back unchanged."""
    if dependencies or indexes or rewrite is not None:
        return False
    if (
        example is not None
        and {canonicalize_name(Requirement(entry).name) for entry in example.entries}
        & example.conda_names
    ):
        return False
    return _states_its_python(data, project_style(data, path=path))


def _states_its_python(document: Mapping[str, Any], style: Style) -> bool:
    """The project says which Pythons it allows, where its style says it (or leaves it to
    its build backend: `dynamic`), so no requires-python is added."""
    if style is Style.PEP621:
        project: Any = document.get("project", {})
        return "requires-python" in project or "requires-python" in project.get("dynamic", [])
    return "python" in document.get("tool", {}).get("poetry", {}).get("dependencies", {})


def _child_table(parent: Any, key: str) -> Any:
    """parent[key], created as a super table (no header of its own) when missing."""
    if key not in parent:
        parent[key] = tomlkit.table(is_super_table=True)
    return parent[key]


def _homes(container: Container, path: Sequence[str]) -> list[tuple[Container, int]]:
    """Where the table at `path` is written, in file order: each (container, index in its
    body) holding a piece of it. A table has several when the file splits it: `[project]`
    then `[project.urls]` after another table, dotted keys (`project.name = ...`), or a
    `[tool.poetry.dependencies.NAME]` table after another one; tomlkit then reads it through
    a proxy that cannot be rebuilt, so the piece itself is."""
    found = []
    for index, (key, item) in enumerate(container.body):
        if key is None or key.key != path[0] or not isinstance(item, Table | InlineTable):
            continue
        found += [(container, index)] if len(path) == 1 else _homes(item.value, path[1:])
    return found


def _is_plain(item: Any) -> bool:
    return not isinstance(item, Table | AoT | Comment | Whitespace)


def _add_keys(
    document: TOMLDocument, path: Sequence[str], entries: Sequence[tuple[str, Any]], *,
    first: bool = False,
) -> None:  # fmt: skip
    """Add the entries to the table at `path` after its last entry (or before its first),
    not after the blank lines and comments that end the table: those introduce what
    follows it, and tomlkit's own `add` would put new entries below them. tomlkit has no
    public insert, so the piece of the table holding those entries is rebuilt in order,
    with its own items, and put back in its place; all the entries at once, so adding n
    dependencies stays linear in the table's size."""
    if not entries:
        return
    homes = _homes(document, path)
    with_entries = [
        (container, index)
        for container, index in homes
        if any(_is_plain(item) for _, item in container.body[index][1].value.body)
    ]
    if not with_entries:
        # Nothing to keep the new entries next to: tomlkit places them itself (at the top
        # of a table that has only tables inside, giving it its header when it had none).
        table: Any = document
        for step in path:
            table = table[step]
        for entry_key, value in entries:
            table[entry_key] = value
        return
    container, index = with_entries[0] if first else with_entries[-1]
    key, table = container.body[index]
    if isinstance(table, InlineTable):
        container.body[index] = (key, _extended_inline(table, entries))
        return
    body = table.value.body
    plain = [at for at, (_, item) in enumerate(body) if _is_plain(item)]
    if not plain:
        for entry_key, value in entries:
            table.add(entry_key, value)
        return
    at = plain[0] if first else plain[-1] + 1
    added = [(entry_key, tomlkit.item(value)) for entry_key, value in entries]
    before = body[at - 1][1] if at > 0 else None
    if before is not None and _is_plain(before) and "\n" not in before.trivia.trail:
        # The file ends on that entry, without a newline: the new entries need one between,
        # and the last of them ends the file as it did.
        added[-1][1].trivia.trail, before.trivia.trail = before.trivia.trail, "\n"
    items = [*body[:at], *added, *body[at:]]
    rebuilt = Container(parsed=True)
    for item_key, item in items:
        rebuilt.append(item_key, item)
    # In place, as the same key: the document's index of its tables stays right.
    container.body[index] = (
        key,
        Table(
            rebuilt,
            table.trivia,
            table.is_aot_element(),
            table.is_super_table(),
            table.name,
            table.display_name,
        ),
    )


def _extended_inline(table: InlineTable, entries: Sequence[tuple[str, Any]]) -> InlineTable:
    """The inline table with the entries after its last one, each after `, ` (tomlkit's
    own append would leave the space before the closing brace in front of the comma)."""
    body = table.value.body
    plain = [at for at, (_, item) in enumerate(body) if _is_plain(item)]
    at = plain[-1] + 1 if plain else len(body)
    added: list[tuple[Any, Any]] = []
    for entry_key, value in entries:
        item = tomlkit.item(value)
        item.trivia.indent = item.trivia.trail = ""
        separator = tomlkit.ws(", " if plain or added else " ")
        added += [(None, separator), (tomlkit.key(entry_key), item)]
    rebuilt = Container(parsed=True)
    for item_key, item in [*body[:at], *added, *body[at:]]:
        rebuilt.append(item_key, item)
    return InlineTable(rebuilt, table.trivia)


_POETRY = ("tool", "poetry")
_POETRY_DEPENDENCIES = (*_POETRY, "dependencies")


def _poetry(document: TOMLDocument) -> Any:
    """[tool.poetry], with its dependencies table (created when missing)."""
    poetry = _child_table(_child_table(document, "tool"), "poetry")
    if "dependencies" not in poetry:
        poetry["dependencies"] = tomlkit.table()
    return poetry


def _add_requires_python(document: TOMLDocument, style: Style, *, python_spec: str) -> list[str]:
    if _states_its_python(document, style):
        return []
    derived = requires_python_for(python_spec)
    if derived is None:
        return [
            f"not added: requires-python (environment.yml's python {python_spec!r} does not"
            " narrow it; add one to pyproject.toml if you want one)"
        ]
    if style is Style.PEP621:
        _add_keys(document, ["project"], [("requires-python", derived)])
        return [f'added: requires-python = "{derived}" (from environment.yml\'s python)']
    _poetry(document)
    _add_keys(document, _POETRY_DEPENDENCIES, [("python", derived)], first=True)
    return [
        f'added: [tool.poetry.dependencies] python = "{derived}" (from environment.yml\'s python)'
    ]


def _rewrite_requires_python(
    document: TOMLDocument, *, python_spec: str, source: Path
) -> list[str]:
    """The imported python defines the project's Pythons: requires-python and Poetry's
    python, whichever the project states, become the range it selects."""
    derived = requires_python_for(python_spec)
    if derived is None:
        raise InputError(
            f"{source}: python {python_spec!r} selects no range of Python 3 versions, so it"
            " cannot define requires-python; name one (such as `- python=3.12`) or import"
            " with --keep-requires-python"
        )
    lines = []
    project: Any = document.get("project", {})
    poetry_dependencies: Any = document.get("tool", {}).get("poetry", {}).get("dependencies", {})
    for table, key, label in (
        (project, "requires-python", "requires-python"),
        (poetry_dependencies, "python", "[tool.poetry.dependencies] python"),
    ):
        if key in table and str(table[key]) != derived:
            lines.append(
                f'rewritten: {label} = "{table[key]}" -> "{derived}" ({source.name}\'s python'
                f" {python_spec} defines it; --keep-requires-python refuses instead)"
            )
            table[key] = derived
    return lines


def _replace_example_entries(
    document: TOMLDocument, dependencies: Sequence[Dependency], example: ExampleEntries | None
) -> list[str]:
    """The example's [project] dependencies give way to the imported ones: an entry for the
    same package takes its place, and one the imported conda side lists goes."""
    array = document.get("project", {}).get("dependencies")
    if example is None or not isinstance(array, Array):
        return []
    imported = {dependency.key: dependency for dependency in dependencies}
    lines = []
    for index in reversed(range(len(array))):
        try:
            requirement = Requirement(str(array[index]))
        except InvalidRequirement:
            continue
        if str(requirement) not in example.entries:
            continue
        key = canonicalize_name(requirement.name)
        if key in example.conda_names:
            lines.append(
                f"removed: the example's {requirement} from pyproject.toml ({example.source}"
                f" lists {requirement.name} on the conda side, which has the final say)"
            )
            del array[index]
        elif key in imported:
            lines.append(
                f"replaced: the example's {requirement} in pyproject.toml by the pip entry"
                f" {imported[key].line}"
            )
            if imported[key].path is None:
                array[index] = pep508(imported[key])
            else:  # _add_dependencies writes a path's two entries
                del array[index]
    return lines[::-1]


@dataclass(frozen=True)
class _Declared:
    text: str  # as written, for the report
    same: str  # normalised, to compare with what the import would write


def _poetry_form(name: str, value: Any) -> str:
    unwrapped = value.unwrap() if hasattr(value, "unwrap") else value
    return f"{canonicalize_name(name)} = {json.dumps(unwrapped, sort_keys=True)}"


def _existing(document: TOMLDocument, style: Style) -> dict[str, _Declared]:
    """The dependencies the project declares, by canonical name."""
    found: dict[str, _Declared] = {}
    poetry_table = document.get("tool", {}).get("poetry", {}).get("dependencies", {})
    for name, value in poetry_table.items():
        if name != "python":
            text = f"{name} = {tomlkit.item(value).as_string()}"
            found[canonicalize_name(name)] = _Declared(text, _poetry_form(name, value))
    if style is Style.PEP621:
        for entry in document["project"].get("dependencies", []):
            try:
                requirement = Requirement(str(entry))
            except InvalidRequirement:
                continue
            found[canonicalize_name(requirement.name)] = _Declared(str(entry), str(requirement))
    return found


def _add_dependencies(
    document: TOMLDocument, style: Style, dependencies: Sequence[Dependency]
) -> tuple[list[str], _Splice | None]:
    lines = []
    poetry_entries: list[tuple[str, Any]] = []  # added to [tool.poetry.dependencies] at once
    project_entries: list[str] = []  # added to [project] dependencies at once
    # Read only when there is something to compare: a large pyproject.toml with nothing to
    # add is not parsed entry by entry.
    existing = _existing(document, style) if dependencies else {}
    for dependency in dependencies:
        declared = existing.get(dependency.key)
        if declared is not None:
            # What this import writes, found again: a second run, silently.
            written = {pep508(dependency), _poetry_form(dependency.name, poetry_value(dependency))}
            if declared.same not in written:
                lines.append(
                    f"kept: pyproject.toml's {declared.text} (not the pip entry {dependency.line})"
                )
            continue
        added = _add_dependency(style, dependency, poetry_entries, project_entries)
        note = (
            " (an editable git checkout becomes a plain git dependency)"
            if dependency.editable and dependency.git
            else ""
        )
        lines.append(f"moved: {dependency.line} -> {added}{note}")
    splice = _extend_project_dependencies(document, project_entries) if project_entries else None
    if poetry_entries:
        _poetry(document)
        _add_keys(document, _POETRY_DEPENDENCIES, poetry_entries)
    array = document.get("project", {}).get("dependencies")
    if lines and isinstance(array, Array):
        rendered = array.as_string()
        if "\n" not in rendered and (len(array) > _ONE_LINE_MAX or len(rendered) > _ONE_LINE_WIDTH):
            array.multiline(True)
    return lines, splice


@dataclass(frozen=True)
class _Splice:
    """A new [project] dependencies array's entries, one a line, written in place of the
    placeholder entry the document holds: tomlkit takes about 25 µs to parse or append an
    entry (its Array re-indexes itself on every append: 12,500 appends took a minute),
    and the text is what it would write."""

    placeholder_line: str
    text: str

    def into(self, rendered: str) -> str:
        before, found, after = rendered.partition(self.placeholder_line)
        if not found or self.placeholder_line in after:
            raise AssertionError("the placeholder of [project] dependencies is not there once")
        return before + self.text + after


def _extend_project_dependencies(document: TOMLDocument, entries: Sequence[str]) -> _Splice | None:
    """[project] dependencies gains the entries. An existing array keeps its own layout,
    entry by entry; a new one is written as text (_Splice)."""
    array = document["project"].get("dependencies")
    if array is not None:
        for entry in entries:
            array.append(entry)
        return None
    if isinstance(document["project"], InlineTable):
        # An inline table is one line: so is its new array, small as an import's list is.
        _add_keys(document, ["project"], [("dependencies", list(entries))])
        return None
    placeholder = f"lockstep-entries-{secrets.token_hex(16)}"
    placeholder_line = f'    "{placeholder}",\n'
    built = tomlkit.parse(f"dependencies = [\n{placeholder_line}]\n")["dependencies"]
    _add_keys(document, ["project"], [("dependencies", built)])
    return _Splice(placeholder_line, "".join(f"    {_basic_string(entry)},\n" for entry in entries))


def _basic_string(text: str) -> str:
    """`text` as tomlkit writes a TOML basic string; quoted directly when nothing in it
    needs escaping (most PEP 508 strings: a marker's quotes do)."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return tomlkit.string(text).as_string()


def _add_dependency(
    style: Style,
    dependency: Dependency,
    poetry_entries: list[tuple[str, Any]],
    project_entries: list[str],
) -> str:
    """Add one dependency to the entries for the caller to add ([tool.poetry.dependencies],
    [project] dependencies); the entry as added, for the report."""
    if style is Style.POETRY:
        value = poetry_value(dependency)
        poetry_entries.append((dependency.name, value))
        return f"[tool.poetry.dependencies] {dependency.name} = {tomlkit.item(value).as_string()}"
    entry = pep508(dependency)
    project_entries.append(entry)
    added = f"[project] dependencies: {entry}"
    if dependency.path is not None:
        # PEP 621 has no relative paths; Poetry reads them from its own table, by name.
        value = poetry_value(dependency)
        poetry_entries.append((dependency.name, value))
        added += (
            f", [tool.poetry.dependencies] {dependency.name} = {tomlkit.item(value).as_string()}"
        )
    return added


def _add_indexes(document: TOMLDocument, indexes: Sequence[Index]) -> list[str]:
    existing = document.get("tool", {}).get("poetry", {}).get("source", [])
    known = {_normalized(str(source.get("url", ""))) for source in existing}
    names = {str(source.get("name")) for source in existing}
    lines = []
    for index in indexes:
        url = _normalized(index.url)
        if url in PYPI_INDEXES:
            lines.append(f"kept: PyPI, Poetry's default index (not added for {index.line})")
            continue
        if url in known:
            continue
        known.add(url)
        name = _source_name(index.url, taken=names)
        names.add(name)
        priority = "primary" if index.primary else "supplemental"
        fields = {"name": name, "url": index.url, "priority": priority}
        if _sources_inline(document):
            _add_inline_source(document, fields)
        else:
            source = tomlkit.table()
            source.update(fields)
            # Created only now: an empty [tool.poetry] would still change the file.
            poetry = _child_table(_child_table(document, "tool"), "poetry")
            if "source" not in poetry:
                poetry["source"] = tomlkit.aot()
            poetry["source"].append(source)
            # A blank line after each source keeps the next header apart; tomlkit's own
            # spacing for new array-of-tables elements would double it.
            source.add(tomlkit.nl())
            source.trivia.indent = ""
        lines.append(f'moved: {index.line} -> [[tool.poetry.source]] "{name}" ({priority})')
    return lines


def _sources_inline(document: TOMLDocument) -> bool:
    """Poetry's sources are an array of inline tables: the project has one so, or writes
    [tool.poetry] only as dotted keys or an inline table, where a `[[tool.poetry.source]]`
    header added at the end would take the dotted keys that follow it as its own."""
    existing = document.get("tool", {}).get("poetry", {}).get("source")
    if existing is not None:
        return isinstance(existing, Array)
    homes = [container.body[index][1] for container, index in _homes(document, _POETRY)]
    return bool(homes) and not any(
        isinstance(item, Table) and not item.is_super_table() for item in homes
    )


def _add_inline_source(document: TOMLDocument, fields: Mapping[str, str]) -> None:
    source = tomlkit.inline_table()
    source.update(fields)
    poetry = document["tool"]["poetry"]
    if "source" in poetry:
        poetry["source"].append(source)
    else:
        sources = tomlkit.array()  # not a list: tomlkit makes a list of tables an AoT
        sources.append(source)
        _add_keys(document, _POETRY, [("source", sources)])


def _normalized(url: str) -> str:
    return url.strip().rstrip("/")


def _source_name(url: str, *, taken: set[str]) -> str:
    """A source name from the URL's host and last path segment: download-pytorch-org-cu118."""
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    words = [parts.hostname or "index"]
    if segments and segments[-1] != "simple":
        words.append(segments[-1])
    base = re.sub(r"[^a-z0-9]+", "-", "-".join(words).lower()).strip("-") or "index"
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}-{number}"
    return name
