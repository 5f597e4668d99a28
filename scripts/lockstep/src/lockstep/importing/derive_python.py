"""requires-python for a project that has none, from environment.yml's python.

conda's spec decides which Pythons it selects (py-rattler's VersionSpec, as
shared/environment.py's agreement check uses), never string tricks on the spec: the
result spans the minor versions selected, `python=3.10` and `python=3.10.4`
both giving `>=3.10,<3.11`, and so always agrees with the spec it came from.
"""

from __future__ import annotations

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from lockstep.shared.conda_version_spec import CondaVersionSpec
from lockstep.shared.environment import CANDIDATE_PYTHONS

# Versions beyond the candidates at either end: a spec matching one is open at that end.
_BELOW = ("2.7.18",)
_ABOVE = ("3.99.0",)


def requires_python_for(python_spec: str) -> str | None:
    """The PEP 440 range of the minor versions the conda spec selects; None if it is open.

    An end the spec leaves open stays open: `python>=3.9` gives `>=3.9`, not an
    upper bound nobody chose.
    """
    spec = CondaVersionSpec(python_spec)
    minors = sorted(
        {Version(version).minor for version in CANDIDATE_PYTHONS if spec.match(version)}
    )
    if not minors:
        return None
    bounds = []
    if not any(spec.match(version) for version in _BELOW):
        bounds.append(f">=3.{minors[0]}")
    if not any(spec.match(version) for version in _ABOVE):
        bounds.append(f"<3.{minors[-1] + 1}")
    return ",".join(bounds) or None


# The python a project gets when neither environment.yml nor requires-python names one:
# the template's own (environment.yml's `python=3.12`).
DEFAULT_PYTHON = "python=3.12"


def conda_python_for(requires_python: str | None) -> tuple[str, str]:
    """The conda python spec for an environment.yml naming none, and where it came from:
    the minor versions requires-python allows (`>=3.12,<3.13` -> `python=3.12`)."""
    if requires_python is None:
        return DEFAULT_PYTHON, "the template's default python"
    try:
        allowed = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return DEFAULT_PYTHON, "the template's default python"
    minors = sorted({Version(v).minor for v in CANDIDATE_PYTHONS if Version(v) in allowed})
    origin = f"from pyproject.toml's requires-python {requires_python!r}"
    if not minors:
        return DEFAULT_PYTHON, "the template's default python"
    if len(minors) == 1:
        return f"python=3.{minors[0]}", origin
    if Version(f"3.{minors[-1] + 1}.0") in allowed or Version("3.99.0") in allowed:
        return f"python>=3.{minors[0]}", origin
    return f"python>=3.{minors[0]},<3.{minors[-1] + 1}", origin
