"""The `lockstep` command: a signal at any moment of the run exits as the table says.

A Ctrl-C (or SIGTERM, SIGHUP) can arrive while lockstep's own modules load, while the
arguments are parsed, or after the command has returned, all outside `main`'s `try`:
Python printed a traceback there, and a SignalExit exited 1, the code for "stale". So
this module imports nothing when the console script imports it (the script's own
`from lockstep.entry import run` has no `try` around it), and `run` holds the whole
run, its imports included, in one. Once the command has its answer, an exit signal ends
the process at once with that answer as its exit code: the run is over.
"""

from __future__ import annotations

# The table's "interrupted" (lockstep.shared.errors.EXIT_INTERRUPTED), for the one moment
# that module may not be loaded yet.
_INTERRUPTED = 130


def _interrupted(error: BaseException) -> bool:
    """A KeyboardInterrupt in the error's chain (Python 3.11 can wrap Ctrl-C during an
    import in a RuntimeError from `__set_name__`)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


# A young-generation collection every 200,000 allocations, not every 700: reading a large
# input makes millions of objects that live to the end of the run, and the collector
# traversing them again and again took 4.7 s of importing 10 MB of pip entries (5,949
# collections in 20.4 s of CPU; with this, 1.2 s in 28). What it would free it still frees.
_YOUNG_COLLECTION_EVERY = 200_000


# How long the run's answer waits for threads still running when `main` returns.
_THREADS_GRACE_SECONDS = 1.0


def _without_waiting_for_stalled_threads(code: int) -> None:
    """End the process with `code` when a thread outlives the grace: after a failed metadata
    fetch, a download in flight (cancelled where it can be) held Python's exit, which joins
    such threads, until its socket timeout. Staging is gone by now; threads that are done
    (the pool's idle workers) are joined at once and the exit is Python's own."""
    import os  # noqa: PLC0415 - kept out of this module's load (see above)
    import sys  # noqa: PLC0415
    import threading  # noqa: PLC0415
    import time  # noqa: PLC0415

    deadline = time.monotonic() + _THREADS_GRACE_SECONDS
    for thread in threading.enumerate():
        if thread is threading.main_thread() or thread.daemon:
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)


def _status(code: object) -> int:
    """The exit status Python gives SystemExit(code)."""
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


def run() -> int:
    try:
        from lockstep.shared import signals  # noqa: PLC0415 - the import is what is guarded
    except BaseException as error:
        if not _interrupted(error):
            raise
        # Before lockstep's own handlers exist: nothing has been written yet.
        import sys  # noqa: PLC0415 - loaded since Python's start

        sys.stderr.write("lockstep: interrupted; no file was changed\n")
        return _INTERRUPTED
    signals.install_exit_handlers()
    try:
        import gc  # noqa: PLC0415 - built in, and kept out of this module's load (see above)

        gc.set_threshold(_YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])
        from lockstep.cli import main  # noqa: PLC0415 - the import is what is guarded

        code = main()
        signals.exit_on_signal_with(code)
        _without_waiting_for_stalled_threads(code)
    except SystemExit as answered:  # argparse's --help and usage errors: their answer is given
        signals.exit_on_signal_with(_status(answered.code))
        raise
    except BaseException as error:
        if signals.interrupted_underneath(error):
            signals.exit_interrupted(error)
        raise
    return code
