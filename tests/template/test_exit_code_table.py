"""One exit-code table: the code's (errors.EXIT_CODES), `lockstep --help`'s and the README's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from lockstep.shared.errors import EXIT_CODES
from tests.template.make import REPO_ROOT

LOCKSTEP = Path(sys.executable).parent / "lockstep"
# The decided table (issue 16, Deliver 1, and the project's brief), written down: 0 ok, 1 stale,
# 2 bad input, 3 the lock failed, 70 internal, 74 I/O, 75 busy, 129 SIGHUP, 130 SIGINT, 143 SIGTERM.
DECIDED_CODES = [0, 1, 2, 3, 70, 74, 75, 129, 130, 143]


def readme_table() -> list[tuple[int, str]]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## lockstep exit codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (.+?) \|$", section, flags=re.MULTILINE)
    return [(int(code), meaning) for code, meaning in rows]


def help_table() -> list[tuple[int, str]]:
    shown = subprocess.run(
        [str(LOCKSTEP), "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={"COLUMNS": "200"},
    ).stdout
    section = shown.split("exit codes:\n", 1)[1]
    rows = re.findall(r"^ +(\d+)  (.+)$", section, flags=re.MULTILINE)
    return [(int(code), meaning) for code, meaning in rows]


def test_the_readme_and_help_carry_the_codes_table() -> None:
    """Every code, in order, with the same words: README.md, `lockstep --help`, the code."""
    assert [code for code, _ in readme_table()] == DECIDED_CODES
    assert readme_table() == list(EXIT_CODES)
    assert help_table() == list(EXIT_CODES)


def test_only_check_and_verify_exit_1() -> None:
    """1 means stale: no error class of lockstep's says it (a lock failure is 3)."""
    from lockstep.shared import errors

    classes = [value for value in vars(errors).values() if isinstance(value, type)]
    codes = {cls.__name__: getattr(cls, "exit_code", None) for cls in classes}
    assert 1 not in codes.values(), codes
    assert codes["StepError"] == 3
