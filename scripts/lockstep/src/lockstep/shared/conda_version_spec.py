"""conda's version specs (`3.12.*`, `>=3.10,<3.13`, `3.10.4`, `3.12|3.13`) matched against
versions, through py-rattler's public `VersionSpec` and `Version` (prefix.dev's conda
library), not a dependency's private copy of conda.

Before, conda-lock's vendored `conda_lock._vendor.conda` did this: a private module any
conda-lock release may move or drop.
"""

from __future__ import annotations

from rattler import Version, VersionSpec
from rattler.exceptions import InvalidVersionSpecError

from lockstep.shared.errors import InputError


class CondaVersionSpec:
    """One conda version spec, matched as conda matches it."""

    def __init__(self, spec: str, *, source: str = "environment.yml") -> None:
        # conda-lock's parser lets through specs conda's solvers refuse (`*!3`): bad input,
        # named in one line, not an internal error. `source` is the file the spec is from.
        try:
            self._spec = VersionSpec(spec)
        except InvalidVersionSpecError as error:
            raise InputError(
                f"{source}: python {spec!r} is not a conda version spec ({error}); "
                "write one such as `python=3.12` or `python>=3.10,<3.13`"
            ) from None

    def match(self, version: str) -> bool:
        """Whether the spec selects `version` (a plain release such as `3.12.4`)."""
        return self._spec.matches(Version(version))
