"""environment.yml in the template's shape, rewritten line by line.

PyYAML, the only YAML library at hand, drops comments when it writes. So the file
is never dumped again: PyYAML's node positions (`yaml.compose`) say which lines
hold the entries to change, those lines alone are removed or edited, and every
other byte stays as it was. The result is parsed again and must be exactly the
intended data, or the import refuses.

What changes: the `pip:` section is taken out (its entries go to pyproject.toml);
`conda env export` leftovers are undone: `prefix:` removed, `name=version=build`
pinned to `name=version`, packages of other operating systems removed; and
`platforms:` is written down when absent.
"""

from __future__ import annotations

import copy
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from packaging.utils import canonicalize_name
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lockstep.shared import settings
from lockstep.shared.errors import InputError
from lockstep.shared.text_files import uses_crlf
from lockstep.shared.yaml_files import SAFE_LOADER, load_yaml, yaml_input_error

# What `conda env export` lists on Windows or macOS that cannot be solved for Linux:
# packages built for that system only, on conda-forge and on Anaconda's defaults
# (checked on anaconda.org), or whose Linux build there does nothing. Their own
# system's packages pulled them in, so nothing on Linux misses them. Keys are
# fnmatch patterns; values the system (conda's platform prefix) they belong to.
# Deliberately not here: libcxx, llvm-openmp, intel-openmp, tbb (real Linux builds).
OTHER_OS_PACKAGES: Mapping[str, str] = {
    # Microsoft's C/C++ and OpenMP runtimes, the Windows SDK's, Intel's for Windows.
    "vc": "win",
    "vs2015_runtime": "win",
    "vc14_runtime": "win",
    "vcomp14": "win",
    "ucrt": "win",
    "icc_rt": "win",
    # MSYS2 and MinGW-w64 builds of Unix tools and libraries, for Windows.
    "m2-*": "win",
    "m2w64-*": "win",
    "msys2-*": "win",
    # Windows APIs, consoles and certificate store. conda-forge's Linux pywin32 is an
    # empty placeholder; its wincertstore and win_inet_pton are noarch no-ops off Windows.
    "pywin32": "win",
    "winpty": "win",
    "pywinpty": "win",
    "wincertstore": "win",
    "win_inet_pton": "win",
    # macOS's App Nap switch (a no-op elsewhere) and its framework-build Python launcher.
    "appnope": "osx",
    "python.app": "osx",
    # Packages for one target system, named after it (vs2019_win-64, clang_osx-arm64).
    "*_win-64": "win",
    "*_win-32": "win",
    "*_win-arm64": "win",
    "*_osx-64": "osx",
    "*_osx-arm64": "osx",
}
SYSTEM_NAMES = {"win": "Windows", "osx": "macOS"}
# PEP 508's name for each, for a pip entry of one of these packages.
SYSTEM_MARKERS = {"win": 'sys_platform == "win32"', "osx": 'sys_platform == "darwin"'}

# `conda env export`'s exact pin: name=version=build, with no range and no wildcard.
_EXPORTED_PIN = re.compile(
    r"^(?P<name>(?:[^\s:]+::)?[A-Za-z0-9_.+-]+)=(?P<version>[A-Za-z0-9_.+!]+)=[A-Za-z0-9_.+]+$"
)
# conda-lock's platform selectors (`- pywin32  # [win]`): the user decided, leave it.
_SELECTOR = re.compile(r"#\s*\[[^\]]*\]")
_NAME_END = re.compile(r"[\s=<>!~\[]")


@dataclass(frozen=True)
class EnvironmentImport:
    text: str
    # One line each for the report: what was removed, rewritten or added.
    lines: tuple[str, ...]
    # The `pip:` section's entries, in order.
    pip_lines: tuple[str, ...]
    # Canonical names of the conda packages it keeps, to tell what both sides list.
    conda_names: frozenset[str]


class _Layout(Exception):
    """An entry shares its lines with other content (flow style): not editable by line."""


def conda_name(spec: str) -> str:
    """The package a conda spec names: `conda-forge::numpy>=1.2` -> `numpy`."""
    return _NAME_END.split(spec.split("::", 1)[-1].strip(), maxsplit=1)[0]


# OTHER_OS_PACKAGES' patterns as PyPI names, in one expression made once, a group named
# after each pattern's system: an import asks for every pip entry.
_OTHER_OS_PYPI_PATTERN = re.compile(
    "|".join(
        f"(?P<{system}{number}>{fnmatch.translate(canonicalize_name(pattern))})"
        for number, (pattern, system) in enumerate(OTHER_OS_PACKAGES.items())
    )
)


def other_system(name: str, systems: set[str]) -> str | None:
    """The other operating system a package belongs to, if it is in OTHER_OS_PACKAGES."""
    for pattern, system in OTHER_OS_PACKAGES.items():
        if system not in systems and fnmatch.fnmatchcase(name, pattern):
            return system
    return None


def other_system_on_pypi(name: str) -> str | None:
    """The same for a PyPI name (pywin32, pywinpty, appnope are projects there too)."""
    found = _OTHER_OS_PYPI_PATTERN.match(canonicalize_name(name))
    if found is None:
        return None
    return str(found.lastgroup).rstrip("0123456789")


def rewrite_environment(
    text: str,
    *,
    path: Path,
    python_if_missing: tuple[str, str] | None = None,
    python_if_unversioned: tuple[str, str] | None = None,
) -> EnvironmentImport:
    """The file in the template's shape; InputError (naming the file) when it cannot be.

    `python_if_missing` is the conda spec to add, and where it came from, when the file
    names no python (pip entries imply one; lockstep needs it named);
    `python_if_unversioned` replaces a bare `python`, which would leave requires-python
    nothing to agree with."""
    data, root = _parse(text, path=path)
    try:
        return _Rewrite(
            text,
            data,
            root,
            path=path,
            python_if_missing=python_if_missing,
            python_if_unversioned=python_if_unversioned,
        ).run()
    except _Layout as layout:
        raise InputError(
            f"{path}: {layout} shares its line with other entries (flow style), so lockstep"
            " cannot rewrite it line by line; write the list one entry per line"
        ) from None


def _parse(text: str, *, path: Path) -> tuple[dict[str, Any], MappingNode]:
    try:
        data = load_yaml(text)
        root = yaml.compose(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as error:
        raise yaml_input_error(path, error) from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("dependencies"), list)
        or not isinstance(root, MappingNode)
    ):
        if _is_package_list(text):
            raise InputError(
                f"{path}: is a package list (`conda list --export` or `--explicit`), not an"
                " environment.yml; on the machine that has the environment run `conda env"
                " export --from-history -f environment.yml` and import that"
            )
        raise InputError(f"{path}: needs a `dependencies:` list (python and conda packages)")
    return data, root


def _is_package_list(text: str) -> bool:
    """`conda list --export` (name=version=build lines) or `--explicit` (@EXPLICIT, URLs)."""
    lines = [line.strip() for line in text.splitlines()]
    entries = [line for line in lines if line and not line.startswith("#")]
    return bool(entries) and (
        "@EXPLICIT" in entries or all(_EXPORTED_PIN.match(entry) for entry in entries)
    )


class _Rewrite:
    def __init__(
        self,
        text: str,
        data: dict[str, Any],
        root: MappingNode,
        *,
        path: Path,
        python_if_missing: tuple[str, str] | None = None,
        python_if_unversioned: tuple[str, str] | None = None,
    ):
        self.path = path
        self.python_if_missing = python_if_missing
        self.python_if_unversioned = python_if_unversioned
        # Lines to insert before a line index (the python added).
        self.inserted: dict[int, str] = {}
        self.data = data
        self.lines = text.splitlines(keepends=True)
        self.newline = "\r\n" if uses_crlf(text) else "\n"
        self.nodes = {
            key.value: (key, value) for key, value in root.value if isinstance(key, ScalarNode)
        }
        self.edits: dict[int, str | None] = {}
        self.report: list[str] = []
        self.expected = copy.deepcopy(data)
        # Where the document's mapping ends: at a `...` end marker, the line it is on (the
        # mapping's last line is the one before), else the end of the text.
        self.document_end = root.end_mark.line if root.end_mark.column == 0 else len(self.lines)

    def run(self) -> EnvironmentImport:
        self._remove_prefix()
        pip_lines, kept = self._dependencies()
        self._add_platforms()
        text = self._render()
        try:
            rewritten = load_yaml(text)
        except yaml.YAMLError:
            rewritten = None
        if rewritten != self.expected:
            raise InputError(
                f"{self.path}: lockstep could not rewrite it line by line without changing"
                " other entries; move the `pip:` entries to pyproject.toml by hand"
            )
        return EnvironmentImport(
            text=text,
            lines=tuple(self.report),
            pip_lines=tuple(pip_lines),
            conda_names=frozenset(canonicalize_name(conda_name(spec)) for spec in kept),
        )

    def _remove_prefix(self) -> None:
        if "prefix" not in self.nodes:
            return
        key, value = self.nodes["prefix"]
        self._delete(key, key.start_mark.line, what="prefix", end=value)
        self.report.append(
            f"removed: prefix: {self.data['prefix']} (a path on the machine that exported it)"
        )
        del self.expected["prefix"]

    def _dependencies(self) -> tuple[list[str], list[str]]:
        platforms = self.data.get("platforms") or list(settings.DEFAULT_PLATFORMS)
        systems = {str(platform).split("-", 1)[0] for platform in platforms}
        pip_lines: list[str] = []
        kept: list[str] = []
        expected: list[Any] = []
        _, sequence = self.nodes["dependencies"]
        for node, item in zip(sequence.value, self.data["dependencies"], strict=True):
            if isinstance(item, dict) and "pip" in item:
                pip_lines += self._take_pip_section(node, item["pip"])
            elif isinstance(item, str):
                spec = self._conda_entry(node, item, systems)
                if spec is not None:
                    kept.append(spec)
                    expected.append(spec)
            else:
                expected.append(item)
        if self.python_if_missing is not None and "python" not in {
            canonicalize_name(conda_name(spec)) for spec in kept
        }:
            spec, origin = self.python_if_missing
            first = sequence.value[0].start_mark.line if sequence.value else None
            if first is not None:
                self.inserted[first] = f"{self._item_indent()}- {spec}{self.newline}"
                kept.insert(0, spec)
                expected.insert(0, spec)
                self.report.append(
                    f"added: {spec} to environment.yml (it named no python; {origin})"
                )
        if not expected:
            # An empty list would be written as `dependencies:` alone, which YAML reads as null.
            raise InputError(
                f"{self.path}: lists nothing for conda besides its `pip:` section, not even"
                " python; add one such as `- python=3.12`, then run the import again"
            )
        self.expected["dependencies"] = expected
        return pip_lines, kept

    def _take_pip_section(self, node: Node, entries: Any) -> list[str]:
        if entries is None:
            entries = []
        if not isinstance(entries, list) or not all(
            isinstance(entry, str | int | float) for entry in entries
        ):
            raise InputError(f"{self.path}: its `pip:` section must be a list of requirements")
        self._delete(node, node.start_mark.line, what="the `pip:` section", comments=True)
        return [str(entry) for entry in entries]

    def _conda_entry(self, node: Node, spec: str, systems: set[str]) -> str | None:
        """The entry as kept (rewritten or not), or None when it is removed."""
        line = self.lines[node.start_mark.line]
        has_selector = _SELECTOR.search(line[node.end_mark.column :]) is not None
        system = None if has_selector else other_system(conda_name(spec), systems)
        if system is not None:
            self._delete(node, node.start_mark.line, what=spec)
            self.report.append(f"removed: {spec} (a {SYSTEM_NAMES[system]}-only package)")
            return None
        if spec.strip() == "python" and self.python_if_unversioned is not None and not has_selector:
            new, origin = self.python_if_unversioned
            self._replace(node, spec, new)
            self.report.append(
                f"rewritten: python -> {new} in environment.yml (it named no version; {origin})"
            )
            return new
        pin = _EXPORTED_PIN.match(spec.strip())
        if pin is None:
            return spec
        new = f"{pin.group('name')}={pin.group('version')}"
        self._replace(node, spec, new)
        self.report.append(f"rewritten: {spec} -> {new} (the build string is one system's)")
        return new

    def _add_platforms(self) -> None:
        if "platforms" in self.data:
            return
        defaults = list(settings.DEFAULT_PLATFORMS)
        indent = self._item_indent()
        block = [f"platforms:{self.newline}"] + [
            f"{indent}- {platform}{self.newline}" for platform in defaults
        ]
        # Inside the document: after a `...` end marker YAML would start a second one.
        at = min(self.document_end, len(self.lines))
        if at and not self.lines[at - 1].endswith(("\n", "\r")):
            self.lines[at - 1] += self.newline
        self.lines[at:at] = block
        self.expected["platforms"] = defaults
        self.report.append(
            f"added: platforms: {', '.join(defaults)} (lockstep's defaults, now written down)"
        )

    def _item_indent(self) -> str:
        _, sequence = self.nodes["dependencies"]
        items: list[Node] = sequence.value
        for node in items:
            line: str = self.lines[node.start_mark.line]
            dash = line[: node.start_mark.column].rfind("-")
            if dash >= 0:
                return " " * dash
        return "  "

    def _delete(
        self, node: Node, first: int, *, what: str, end: Node | None = None, comments: bool = False
    ) -> None:
        """Delete an entry's lines: from its dash (or key) to its last content, and with
        `comments` the comment lines indented under it that follow."""
        last, last_column = _end(end or node)
        before = self.lines[first][: node.start_mark.column]
        after = self.lines[last][last_column:].strip()
        if before.strip() not in ("", "-") or not (after == "" or after.startswith("#")):
            raise _Layout(what)
        dash = before.rfind("-")
        while comments and last + 1 < len(self.lines):
            following = self.lines[last + 1]
            stripped = following.lstrip(" ")
            if not stripped.startswith("#") or len(following) - len(stripped) <= dash:
                break
            last += 1
        for index in range(first, last + 1):
            self.edits[index] = None

    def _replace(self, node: Node, old: str, new: str) -> None:
        line_index = node.start_mark.line
        if node.end_mark.line != line_index:
            raise _Layout(old)
        line = self.edits.get(line_index) or self.lines[line_index]
        start, end = node.start_mark.column, node.end_mark.column
        raw = line[start:end]
        if old not in raw:
            raise _Layout(old)
        self.edits[line_index] = line[:start] + raw.replace(old, new, 1) + line[end:]

    def _render(self) -> str:
        parts = []
        for index, line in enumerate(self.lines):
            parts.append(self.inserted.get(index, ""))
            if not (index in self.edits and self.edits[index] is None):
                parts.append(self.edits.get(index, line) or "")
        return "".join(parts)


def _end(node: Node) -> tuple[int, int]:
    """The line and column where a node's content ends (the last scalar's end)."""
    if isinstance(node, ScalarNode):
        line, column = node.end_mark.line, node.end_mark.column
        # A block scalar (`|`) ends at the start of the line after it.
        if column == 0 and line > node.start_mark.line:
            return line - 1, 0
        return line, column
    children: list[Node] = []
    if isinstance(node, SequenceNode):
        children = list(node.value)
    elif isinstance(node, MappingNode):
        children = [part for pair in node.value for part in pair]
    if not children:
        return node.end_mark.line, node.end_mark.column
    return max(_end(child) for child in children)
