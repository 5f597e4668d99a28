"""Re-exported from lockstep_testing.realworld_projects (scripts/lockstep/testing), which the
benchmarks import too: they need nothing from tests/."""

from lockstep_testing.realworld_projects import (
    PAIRS,
    PYPROJECT,
    REPO_ROOT,
    REPRODUCED,
    REQUIRES_PYTHON,
    locked_pair,
    pair_as_project,
)

__all__ = [
    "PAIRS",
    "PYPROJECT",
    "REPO_ROOT",
    "REPRODUCED",
    "REQUIRES_PYTHON",
    "locked_pair",
    "pair_as_project",
]
