"""Run the external tools (conda-lock, poetry): log the exact command, fail in one line."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from lockstep.shared.errors import InputError, StepError
from lockstep.shared.signals import deferred_signals

TAIL_LINES = 5
# Enough of a failing tool's output to find its reason in, whatever it printed before.
KEPT_LINES = 400
# A Python traceback's first line; what follows, up to the exception line, is frames.
_TRACEBACK_START = "Traceback (most recent call last):"
STOP_GRACE_SECONDS = 5.0


def find_tool(name: str, *, hint: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise InputError(f"`{name}` is not on PATH; {hint}")
    return found


def without_tracebacks(lines: Sequence[str]) -> list[str]:
    """The lines outside Python tracebacks (frames and the final exception line dropped)."""
    kept: list[str] = []
    in_traceback = False
    for line in lines:
        if line.strip() == _TRACEBACK_START:
            in_traceback = True
            continue
        if in_traceback:
            # Frames are indented; the unindented line after them is the exception.
            if not line.startswith((" ", "\t")):
                in_traceback = False
            continue
        kept.append(line)
    return kept


def tail_summary(lines: Sequence[str]) -> str:
    """The last few non-empty lines a tool printed, outside any traceback."""
    meaningful = [line.strip() for line in without_tracebacks(lines) if line.strip()]
    return " | ".join(meaningful[-TAIL_LINES:])


def run_tool(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    summarize: Callable[[Sequence[str]], str] = tail_summary,
) -> None:
    """Run `command`, echoing its output live; a non-zero exit becomes a StepError.

    The error's one line is `summarize(output lines)`: by default the tail of what
    the tool printed outside tracebacks; a caller that knows the tool names its reason.

    On Ctrl-C (or any error) the child is stopped and waited for before the
    exception unwinds, so nothing writes into the staging directory afterwards.
    """
    print(f"$ {shlex.join(command)}", file=sys.stderr, flush=True)
    # A process group of its own: lockstep stops the tool and whatever it started
    # (micromamba under conda-lock, Poetry's workers) as one, on a failure, Ctrl-C or
    # SIGTERM alike. The terminal's Ctrl-C reaches lockstep alone, which forwards it.
    output: deque[str] = deque(maxlen=KEPT_LINES)
    process: subprocess.Popen[str] | None = None
    try:
        # A signal while the child is being started waits until it is known, so
        # that the handler below can stop it (Popen kills nothing it started).
        with deferred_signals():
            process = subprocess.Popen(
                list(command),
                cwd=cwd,
                env=dict(env) if env is not None else None,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        for line in process.stdout or ():
            sys.stderr.write(f"  {line}")
            output.append(line.rstrip("\n"))
        process.wait()
    except BaseException:
        if process is not None:
            _stop(process)
        raise
    if process.returncode != 0:
        raise StepError(
            f"`{shlex.join(command)}` exited with {process.returncode}: {summarize(list(output))}"
        )


def _stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM to the tool's group, SIGKILL after the grace time; then no member is left.

    A second signal (another Ctrl-C, systemd's SIGTERM after the first) waits until
    then: raised inside the wait, it left the tool running after lockstep had exited.
    """
    with deferred_signals():
        _signal_group(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_GRACE_SECONDS)
        # Grandchildren can outlive the tool itself: none may write into staging later.
        _signal_group(process.pid, signal.SIGKILL)
        process.wait()


def _signal_group(group: int, number: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # every member has exited already
        os.killpg(group, number)


def clean_environment(drop: Sequence[str]) -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in drop}
