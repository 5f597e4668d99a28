"""Run the external tools (conda-lock, poetry): log the exact command, fail in one line."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path

from lockstep.errors import InputError, StepError

TAIL_LINES = 5
STOP_GRACE_SECONDS = 5.0


def find_tool(name: str, *, hint: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise InputError(f"`{name}` is not on PATH; {hint}")
    return found


def run_tool(
    command: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str] | None = None,
) -> None:
    """Run `command`, echoing its output live; a non-zero exit becomes a StepError.

    On Ctrl-C (or any error) the child is stopped and waited for before the
    exception unwinds, so nothing writes into the staging directory afterwards.
    """
    print(f"$ {shlex.join(command)}", file=sys.stderr, flush=True)
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    try:
        for line in process.stdout or ():
            sys.stderr.write(f"  {line}")
            if line.strip():
                tail.append(line.strip())
        process.wait()
    except BaseException:
        _stop(process)
        raise
    if process.returncode != 0:
        raise StepError(
            f"`{shlex.join(command)}` exited with {process.returncode}: {' | '.join(tail)}"
        )


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def clean_environment(drop: Sequence[str]) -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in drop}
