"""The `lockstep` command: a signal while lockstep's own modules load exits as the table says.

A Ctrl-C (or SIGTERM, SIGHUP) can arrive while `lockstep.cli` and what it imports are
being loaded, before `main` has a `try` around anything: Python would print a
traceback, or die by the signal. Nothing has been written yet, so the run says it
was interrupted and exits 130, 143 or 129.
"""

from __future__ import annotations

from lockstep.shared.signals import exit_interrupted, install_exit_handlers, interrupted_underneath


def run() -> int:
    install_exit_handlers()
    try:
        from lockstep.cli import main  # noqa: PLC0415 - the import is what is guarded
    except BaseException as error:
        if interrupted_underneath(error):
            exit_interrupted(error)
        raise
    return main()
