"""The error hierarchy. Exit codes are decided here and used only by the CLI.

Standard library only: `lockstep.prefix` imports it inside conda environments.
"""

from __future__ import annotations

EXIT_OK = 0
# `lockstep check`: a lockfile is stale. Nothing else exits 1, so CI can tell
# "run make env-update" from a failure (`verify` also uses it: the prefix changed).
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
# The lock itself failed: the solver, Poetry, the package index, a metadata fetch.
EXIT_LOCK_FAILED = 3
# From sysexits.h: EX_SOFTWARE, a bug (any exception that is not a LockstepError),
# and EX_IOERR, the system refused a file operation (disk full, permission denied).
# Neither may be 1, which `lockstep check` uses for "stale".
EXIT_INTERNAL = 70
EXIT_IO_ERROR = 74
EXIT_BUSY = 75
# 128 + the signal's number, as a shell reports a process the signal ended.
EXIT_HANGUP = 129
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

# Every exit code and what it means: `lockstep --help` prints this table, and the
# README carries the same one (tests compare the three).
EXIT_CODES: tuple[tuple[int, str], ...] = (
    (EXIT_OK, "ok"),
    (EXIT_FAILURE, "stale: `check` found a lockfile out of date (or `verify` a changed prefix)"),
    (EXIT_BAD_INPUT, "bad input: a file, argument or setting is wrong; the message says the fix"),
    (EXIT_LOCK_FAILED, "the lock failed: the solver, Poetry, the package index, a metadata fetch"),
    (EXIT_INTERNAL, "internal error: a bug in lockstep; please report it"),
    (EXIT_IO_ERROR, "I/O error: the system refused a file operation (disk full, permission)"),
    (EXIT_BUSY, "busy: another lockstep run holds the project"),
    (EXIT_HANGUP, "hung up (SIGHUP)"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C, SIGINT)"),
    (EXIT_TERMINATED, "terminated (SIGTERM)"),
)


class SignalExit(KeyboardInterrupt):
    """SIGTERM or SIGHUP, unwound like Ctrl-C: children stopped, staging removed.

    A KeyboardInterrupt, so that every path that cleans up after Ctrl-C does after
    these too; `exit_code` is the one a shell reports for a process the signal ended.
    """

    def __init__(self, exit_code: int, name: str) -> None:
        super().__init__(name)
        self.exit_code = exit_code
        self.name = name


class LockstepError(Exception):
    """A failure to report as one line, without a traceback."""

    # Each kind below names its own code; a bare one must not say "stale".
    exit_code = EXIT_INTERNAL


class InputError(LockstepError):
    """A project file is missing or malformed; the message names the file and the fix."""

    exit_code = EXIT_BAD_INPUT


class UnreadableFileError(InputError):
    """The system refused to read a project file (a directory in its place, permissions):
    an I/O error, as the same refusal on a write is, in the one line an input error has
    (it names the file the user knows, not a staged copy)."""

    exit_code = EXIT_IO_ERROR


class StepError(LockstepError):
    """A pipeline step (solve, fetch, poetry lock) failed."""

    exit_code = EXIT_LOCK_FAILED


class FetchError(StepError):
    """A conda package's metadata could not be read."""


class BusyError(LockstepError):
    """Another lockstep run holds the project's lock."""

    exit_code = EXIT_BUSY
