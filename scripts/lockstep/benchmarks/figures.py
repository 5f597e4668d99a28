"""How the benchmarks print: one figure a line, labels aligned."""

from __future__ import annotations

from collections.abc import Sequence


def print_figures(rows: Sequence[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label.ljust(width)}  {value}")
