"""One line per pipeline step, with its elapsed time."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class StepOutcome:
    def __init__(self) -> None:
        self.note = "done"

    def skip(self, reason: str) -> None:
        self.note = reason


class Progress:
    def __init__(self, *, total: int) -> None:
        self.total = total
        self.number = 0
        self.started = time.monotonic()

    @contextmanager
    def step(self, title: str) -> Iterator[StepOutcome]:
        self.number += 1
        prefix = f"[{self.number}/{self.total}] {title}"
        print(f"{prefix} ...", file=sys.stderr, flush=True)
        outcome = StepOutcome()
        began = time.monotonic()
        try:
            yield outcome
        except BaseException:
            print(f"{prefix}: failed after {time.monotonic() - began:.1f}s", file=sys.stderr)
            raise
        print(f"{prefix}: {outcome.note} in {time.monotonic() - began:.1f}s", file=sys.stderr)

    def elapsed(self) -> float:
        return time.monotonic() - self.started
