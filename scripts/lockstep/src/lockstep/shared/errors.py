"""The error hierarchy. Exit codes are decided here and used only by the CLI.

Standard library only: `lockstep.prefix` imports it inside conda environments.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
# From sysexits.h: EX_SOFTWARE, a bug (any exception that is not a LockstepError),
# and EX_IOERR, the system refused a file operation (disk full, permission denied).
# Neither may be 1, which `lockstep check` uses for "stale".
EXIT_INTERNAL = 70
EXIT_IO_ERROR = 74
EXIT_BUSY = 75
EXIT_INTERRUPTED = 130


class LockstepError(Exception):
    """A failure to report as one line, without a traceback."""

    exit_code = EXIT_FAILURE


class InputError(LockstepError):
    """A project file is missing or malformed; the message names the file and the fix."""

    exit_code = EXIT_BAD_INPUT


class StepError(LockstepError):
    """A pipeline step (solve, fetch, poetry lock) failed."""


class FetchError(StepError):
    """A conda package's metadata could not be read."""


class BusyError(LockstepError):
    """Another lockstep run holds the project's lock."""

    exit_code = EXIT_BUSY
