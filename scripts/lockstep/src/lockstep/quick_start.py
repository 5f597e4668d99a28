"""What keeps `lockstep check` quick to start: argparse's help width and the debug traceback
without importing shutil or traceback.

`make build` and editors' save hooks run `lockstep check` often, and most of its time is
Python starting up. Importing shutil (with zlib, bz2 and lzma) cost `check` a fifteenth
of its time, traceback a few milliseconds more; `scripts/lockstep/benchmarks/bench_check.py`
measures it. These helpers give argparse what it would ask shutil for, and import
traceback only when a traceback is printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

DEBUG_VARIABLE = "LOCKSTEP_DEBUG"


def terminal_columns() -> int:
    """`shutil.get_terminal_size().columns`, the width argparse wraps help to."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _help_formatter(prog: str) -> argparse.HelpFormatter:
    # argparse's own width: the terminal's, less two. Raw description: the exit-code
    # table in the epilog keeps its lines (arguments' help is still wrapped).
    return argparse.RawDescriptionHelpFormatter(prog, width=terminal_columns() - 2)


class Parser(argparse.ArgumentParser):
    """argparse's parser with the help formatter above; subcommands' parsers are of its class.

    argparse asks shutil for the width each time it makes a help formatter.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(formatter_class=_help_formatter, **options)


def print_traceback_when_debugging() -> None:
    """The current exception's traceback on stderr when LOCKSTEP_DEBUG is set (not 0)."""
    if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
        import traceback

        traceback.print_exc()
