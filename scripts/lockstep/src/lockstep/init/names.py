"""The new project's names: its distribution (PEP 503) and its import package (PEP 8)."""

from __future__ import annotations

import keyword
import re
import sys
from dataclasses import dataclass

from lockstep.shared.errors import InputError

# PEP 508's project name: letters, digits, and . _ - inside, not at either end.
_VALID = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
# Names a project's package would shadow in the image or in `make test`.
_TAKEN = frozenset({"lockstep", "lockstep_testing", "tests", "test", "src", "docker"})
WHAT_IS_VALID = (
    "letters, digits and . _ - (not first or last), starting with a letter, e.g. my-project"
)


@dataclass(frozen=True)
class ProjectName:
    """`distribution` names the project, its images and its environment; `package` its code."""

    distribution: str
    package: str


def project_name(name: str) -> ProjectName:
    """The normalized names of NAME, or an InputError saying what a valid one is."""
    if not _VALID.match(name):
        raise InputError(f"init: {name!r} is not a valid project name: use {WHAT_IS_VALID}")
    distribution = re.sub(r"[-_.]+", "-", name).lower()
    package = distribution.replace("-", "_")
    if not package[0].isalpha():
        raise InputError(
            f"init: {name!r} cannot name a Python package ({package} starts with a digit):"
            f" use {WHAT_IS_VALID}"
        )
    if keyword.iskeyword(package) or package in sys.stdlib_module_names or package in _TAKEN:
        raise InputError(
            f"init: {name!r} would give the package {package}, which is a Python keyword,"
            " a standard library module or a name the template uses: choose another name"
        )
    return ProjectName(distribution=distribution, package=package)
