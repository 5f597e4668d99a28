"""A Poetry version constraint (`^3.10`, `~3.10`, `3.10.*`, `>=3.9,<4`) as PEP 440.

lockstep's python agreement check (shared/environment.py) speaks PEP 440; a Poetry 1
project states its Python as `[tool.poetry.dependencies] python`, in Poetry's
own language. This follows poetry-core's parser (constraints/version/parser.py
and patterns.py: the rules Poetry documents under "Dependency specification");
the tests compare it with that very parser, as conda-lock vendors it, over many
constraints and versions. It is a translation rather than a call into that copy
because `lockstep check` reads it on every run, and importing conda-lock costs
about half a second.
"""

from __future__ import annotations

import itertools
import re

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

# Python 3 releases a constraint could allow, to tell alternatives for Python 2 only apart.
_PYTHON3 = tuple(
    Version(f"3.{minor}.{patch}") for minor, patch in itertools.product(range(31), range(31))
)
# poetry-core's splitting: `||` (or `|`) separates alternatives; a comma or spaces
# separate the parts of one, but not the space after an operator.
_OR = re.compile(r"\s*\|\|?\s*")
_AND = re.compile(r"(?<!^)(?<![\^~=>< ,]) *(?<!-)[, ](?!-) *(?!,|$)")
_ANY = re.compile(r"(?i)^v?[x*](\.[x*])*$")
_WILDCARD = re.compile(r"^(?P<op>!=|==)?\s*v?(?P<version>\d+(?:\.\d+){0,2})(?:\.\*)+$")
_CLAUSE = re.compile(r"^(?P<op><>|!=|>=?|<=?|==?|\^|~=|~)?\s*(?P<version>\S+?)(?:\.\*)?$")


class PoetryConstraintError(ValueError):
    """Not a constraint Poetry reads, or one that a PEP 440 specifier set cannot say."""


def poetry_to_pep440(constraint: str) -> str | None:
    """The PEP 440 specifier set allowing the same versions; None when it allows any.

    Alternatives (`||`) allowing no Python 3 are dropped (`~2.7 || ^3.8` is `>=3.8,<4`):
    lockstep compares with conda's Python 3 only. Two or more alternatives left cannot
    be one specifier set and raise PoetryConstraintError, as a constraint Poetry rejects does.
    """
    text = constraint.strip()
    if text in ("", "*"):
        return None
    groups = []
    for alternative in _OR.split(text):
        parts = _AND.split(alternative.rstrip(",").rstrip())
        groups.append(",".join(clause for part in parts for clause in _clauses(part, constraint)))
    python3 = [group for group in groups if _allows_python3(group)] or groups[:1]
    if len(python3) > 1:
        raise PoetryConstraintError(
            f"{constraint!r} has alternatives (||) that one PEP 440 range cannot express"
        )
    return python3[0] or None


def _clauses(part: str, constraint: str) -> list[str]:
    """One Poetry clause as PEP 440 clauses: a caret or tilde range becomes two."""
    part = part.strip()
    if _ANY.match(part):
        return []
    wildcard = _WILDCARD.match(part)
    if wildcard:
        return [f"{wildcard.group('op') or '=='}{wildcard.group('version')}.*"]
    match = _CLAUSE.match(part)
    if match is None:
        raise PoetryConstraintError(f"{constraint!r}: cannot read {part!r}")
    try:
        version = Version(match.group("version"))
    except InvalidVersion:
        raise PoetryConstraintError(f"{constraint!r}: {part!r} names no version") from None
    op = match.group("op") or "=="
    if op == "<>":
        # poetry-core 2.0 read it as !=, the 2.5 of Poetry 2.5.1 as ==: say which.
        raise PoetryConstraintError(f"{constraint!r}: `<>` is ambiguous; write != instead")
    release = version.release
    if op == "^":
        return [f">={version}", f"<{_caret_ceiling(release)}"]
    if op == "~":
        return [f">={version}", f"<{_bump(release, 0 if len(release) == 1 else 1)}"]
    if op == "~=":
        return [f">={version}", f"<{_bump(release, max(len(release) - 2, 0))}"]
    # After an ordering operator Poetry ignores a trailing `.*`; so does this.
    return [f"{'==' if op == '=' else op}{version}"]


def _caret_ceiling(release: tuple[int, ...]) -> str:
    """poetry-core's Version.next_breaking: the first release a caret range excludes."""
    if release[0] > 0 or len(release) == 1:
        return _bump(release, 0)
    if release[1] > 0 or len(release) == 2:
        return _bump(release, 1)
    return _bump(release, 2)


def _bump(release: tuple[int, ...], index: int) -> str:
    """The release with segment `index` incremented and the segments after it dropped."""
    parts = [*release, 0, 0][: index + 1]
    parts[index] += 1
    return ".".join(str(part) for part in parts)


def _allows_python3(specifiers: str) -> bool:
    allowed = SpecifierSet(specifiers)
    return any(allowed.contains(version) for version in _PYTHON3)
