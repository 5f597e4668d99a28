"""pyproject.toml edits of init, with tomlkit so that comments and layout survive."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import tomlkit
from tomlkit.items import Table

from lockstep.init.names import ProjectName


def _parent_and_key(document: Any, dotted: str) -> tuple[Any, str] | None:
    *parents, key = dotted.split(".")
    table = document
    for part in parents:
        if part not in table:
            return None
        table = table[part]
    return (table, key) if key in table else None


def project_pyproject(text: str, name: ProjectName, *, drop_settings: Iterable[str]) -> str:
    """The project's pyproject.toml: its names, no example dependencies, no template settings."""
    document = tomlkit.parse(text)
    project = document["project"]
    project["name"] = name.distribution
    project["description"] = f"{name.distribution}: a conda + Poetry project."
    dependencies = tomlkit.array()
    dependencies.multiline(False)
    project["dependencies"] = dependencies
    scripts = tomlkit.table()
    scripts[name.distribution] = f"{name.package}.__main__:main"
    project["scripts"] = scripts
    packages = tomlkit.array()
    packages.append(tomlkit.inline_table())
    packages[0].update({"include": name.package, "from": "src"})
    document["tool"]["poetry"]["packages"] = packages
    for dotted in drop_settings:
        found = _parent_and_key(document, dotted)
        if found is not None:
            parent, key = found
            del parent[key]
    return tomlkit.dumps(document)


def pruned_mypy_files(text: str, removed: Iterable[str]) -> str:
    """A mypy configuration whose `files` no longer names the paths init removed."""
    document = tomlkit.parse(text)
    mypy = document.get("tool", {}).get("mypy")
    if not isinstance(mypy, Table) or "files" not in mypy:
        return text
    gone = tuple(removed)

    def is_gone(path: str) -> bool:
        return any(path == item or path.startswith(f"{item}/") for item in gone)

    kept = [str(path) for path in mypy["files"] if not is_gone(str(path))]
    if len(kept) == len(mypy["files"]):
        return text
    files = tomlkit.array()
    files.extend(kept)
    mypy["files"] = files
    return tomlkit.dumps(document)
