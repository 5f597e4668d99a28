"""Running the external tools: a failure is one line that says why, not a traceback's tail."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from lockstep.shared.errors import StepError
from lockstep.shared.runner import run_tool

FAILING_TOOL = """
import sys
print("resolving dependencies...")
print("problem: nothing provides requested numpy >=9", flush=True)
def deep():
    raise RuntimeError("exit status 1")
deep()
"""


def test_a_tool_ending_in_a_traceback_is_summed_up_by_what_it_said(tmp_path: Path) -> None:
    """The error names the tool's own words; the traceback's frames and exception are left out."""
    with pytest.raises(StepError) as caught:
        run_tool([sys.executable, "-c", FAILING_TOOL], cwd=tmp_path)

    reason = str(caught.value).split("exited with 1: ", 1)[1]
    assert reason == "resolving dependencies... | problem: nothing provides requested numpy >=9"


def test_a_caller_names_the_reason_itself(tmp_path: Path) -> None:
    """A summarizer given by the caller sees every line and words the error."""
    seen: list[str] = []

    def summarize(lines: Sequence[str]) -> str:
        seen.extend(lines)
        return "the reason"

    with pytest.raises(StepError, match=r"exited with 1: the reason$"):
        run_tool([sys.executable, "-c", FAILING_TOOL], cwd=tmp_path, summarize=summarize)
    assert seen[0] == "resolving dependencies..."
    assert seen[-1] == "RuntimeError: exit status 1"
