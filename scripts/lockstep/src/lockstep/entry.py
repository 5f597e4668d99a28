"""The `lockstep` command: a signal while lockstep's own modules load exits as the table says.

A Ctrl-C (or SIGTERM, SIGHUP) can arrive while `lockstep.cli` and what it imports are
being loaded, before `main` has a `try` around anything: Python would print a
traceback, or die by the signal. Nothing has been written yet, so the run says it
was interrupted and exits 130, 143 or 129.
"""

from __future__ import annotations

import gc

from lockstep.shared.signals import exit_interrupted, install_exit_handlers, interrupted_underneath

# A young-generation collection every 200,000 allocations, not every 700: reading a large
# input makes millions of objects that live to the end of the run, and the collector
# traversing them again and again took 4.7 s of importing 10 MB of pip entries (5,949
# collections in 20.4 s of CPU; with this, 1.2 s in 28). What it would free it still frees.
_YOUNG_COLLECTION_EVERY = 200_000


def run() -> int:
    install_exit_handlers()
    gc.set_threshold(_YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])
    try:
        from lockstep.cli import main  # noqa: PLC0415 - the import is what is guarded
    except BaseException as error:
        if interrupted_underneath(error):
            exit_interrupted(error)
        raise
    return main()
