"""Run the `lockstep` command line inside the test process, as a process would see it.

A `lockstep` process spends most of its CPU importing conda-lock; a test of what a
command does (its files, its lines, its exit code) needs none of that. `main()` is
what the console script and `python -m lockstep` call, and lockstep reads its
settings from the environment at call time, so a call here with the environment
swapped in and stdout/stderr captured answers as the process would. Tests whose
subject is the process itself (signals, an interpreter without lockstep's
dependencies, the console script) start a real one.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence

from lockstep.cli import main


@contextlib.contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_lockstep(
    args: Sequence[str], *, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`lockstep ARGS` with `env` as its whole environment (default: this one's)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        # A copy: _environment empties os.environ before filling it in.
        _environment(dict(os.environ if env is None else env)),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code if isinstance(exit_.code, int) else 2
    return subprocess.CompletedProcess(
        ["lockstep", *args], code, stdout.getvalue(), stderr.getvalue()
    )
