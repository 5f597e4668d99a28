"""SIGTERM and SIGHUP handled as Ctrl-C is: the run unwinds, cleaning up as it goes.

Python's default for both is to die at once: conda-lock or Poetry left running as
orphans, the staging copy left behind. `docker stop`, CI cancellation and systemd
send SIGTERM; a closed terminal sends SIGHUP. (In a container lockstep may be PID 1,
which the kernel spares from signals it has no handler for: `docker stop` would
wait its ten seconds and kill.) Standard library only.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn, TypeVar

from lockstep.shared.errors import EXIT_HANGUP, EXIT_INTERRUPTED, EXIT_TERMINATED, SignalExit

E = TypeVar("E", bound=BaseException)

_EXIT_CODES = {signal.SIGTERM: EXIT_TERMINATED, signal.SIGHUP: EXIT_HANGUP}


def _raise_signal_exit(number: int, _frame: FrameType | None) -> None:
    name = signal.Signals(number).name
    raise SignalExit(_EXIT_CODES[signal.Signals(number)], name)


def install_exit_handlers() -> None:
    for number in _EXIT_CODES:
        # An ignored signal (nohup) stays ignored, as the user asked.
        if signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, _raise_signal_exit)


def exit_on_signal_with(code: int) -> None:
    """The run has its answer, `code`: a signal from now on ends the process with it, at
    once. Raising there gave a traceback (and SignalExit's exit 1, "stale"); ignoring the
    signal left it waiting for downloads still in flight after a failed fetch, which
    Python joins at exit, up to their timeout, past `docker stop`'s ten seconds."""

    def exit_now(_number: int, _frame: FrameType | None) -> None:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)

    numbers = (signal.SIGINT, *_EXIT_CODES)
    # Held while the handlers change: one arriving in between would still raise, outside
    # any `try`. Delivered on unblocking, to exit_now.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, numbers)
    try:
        for number in numbers:
            # An ignored signal (nohup, a background job's SIGINT) stays ignored.
            if signal.getsignal(number) is not signal.SIG_IGN:
                signal.signal(number, exit_now)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _in_chain(error: BaseException, kind: type[E]) -> E | None:
    """The first exception of `kind` in the error's cause or context chain, the error included."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def interrupted_underneath(error: BaseException) -> bool:
    """True when a KeyboardInterrupt is in the error's cause or context chain.

    Python 3.11 can wrap Ctrl-C during an import in another exception (a
    RuntimeError from `__set_name__` while a class body is being made): the
    user interrupted, so it is reported as such, not as a bug.
    """
    return _in_chain(error, KeyboardInterrupt) is not None


# The files a swap put in place, for the message of a signal it held back until it was done.
_swapped: list[str] = []


def note_swapped(names: Sequence[str]) -> None:
    """Record files swapped into place: a signal from now on stops a run that wrote them."""
    _swapped.extend(names)


def exit_interrupted(error: BaseException) -> NoReturn:
    """Say how the run was stopped and exit with the table's code for it, at once."""
    signalled = _in_chain(error, SignalExit)
    if signalled is not None:
        what, code = f"terminated ({signalled.name})", signalled.exit_code
    else:
        what, code = "interrupted", EXIT_INTERRUPTED
    if _swapped:
        outcome = f"after its files were written whole ({', '.join(_swapped)})"
    else:
        outcome = "no file was changed"
    print(f"lockstep: {what}; {outcome}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    # Exit now: metadata threads blocked on the network would otherwise hold
    # the interpreter open until their timeout (the staging copy is gone already).
    os._exit(code)


@contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP back for the block, then deliver what arrived."""
    received: list[signal.Signals] = []

    def remember(number: int, _frame: FrameType | None) -> None:
        received.append(signal.Signals(number))

    held = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = [(number, signal.signal(number, remember)) for number in held]
    try:
        yield
    finally:
        for number, handler in previous:
            signal.signal(number, handler)
        for number in received:
            signal.raise_signal(number)
