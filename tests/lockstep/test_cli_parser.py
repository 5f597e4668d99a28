"""A command's own parser (what `lockstep CMD ...` builds) reads its arguments as the
whole command line does: the same values, the same help, the same usage errors."""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
from collections.abc import Callable, Sequence

import pytest

from lockstep.cli import COMMANDS, build_parser, parse_arguments
from lockstep.quick_start import terminal_columns

ARGUMENT_LINES = [
    ["lock", "--project", "p", "--upgrade"],
    ["lock"],
    ["check", "--project", "p"],
    ["import", "--from", "env.yml"],
    ["pins", "--lockfile", "a.lock", "--lockfile", "b.lock"],
    ["verify", "/opt/env"],
    ["doctor", "/opt/env", "--project", "p"],
]
REFUSED_LINES = [
    ["check", "--projet", "p"],
    ["pins"],
    ["verify"],
    ["lock", "--help"],
    ["check", "-h"],
    ["import", "--help"],
    ["chek"],
    [],
    ["--version"],
]


def _exit_and_output(
    parse: Callable[[Sequence[str]], object], argv: Sequence[str]
) -> tuple[object, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            parse(argv)
        except SystemExit as exit_:
            return exit_.code, stdout.getvalue(), stderr.getvalue()
    raise AssertionError(f"{argv} parsed")


@pytest.mark.parametrize("argv", ARGUMENT_LINES, ids=" ".join)
def test_the_same_values(argv: list[str]) -> None:
    assert vars(parse_arguments(argv)).keys() >= {"command", "handler"}
    assert parse_arguments(argv) == build_parser().parse_args(argv)


@pytest.mark.parametrize("argv", REFUSED_LINES, ids=lambda argv: " ".join(argv) or "(none)")
def test_the_same_help_and_usage_errors(argv: list[str]) -> None:
    assert _exit_and_output(parse_arguments, argv) == _exit_and_output(
        build_parser().parse_args, argv
    )


def test_a_command_alone_builds_only_its_own_parser() -> None:
    for name in COMMANDS:
        (commands,) = [
            action
            for action in build_parser(name)._actions
            if action.dest == "command"  # the subparsers action
        ]
        assert list(commands.choices or ()) == [name]


@pytest.mark.parametrize("columns", [None, "40", "132", "0", "-3", "wide", ""])
def test_help_wraps_at_the_width_argparse_would(
    monkeypatch: pytest.MonkeyPatch, columns: str | None
) -> None:
    """The help formatter's width is what argparse takes from shutil, without importing it."""
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)

    assert terminal_columns() == shutil.get_terminal_size().columns
    ours = _exit_and_output(parse_arguments, ["import", "--help"])
    argparses = _exit_and_output(_with_argparses_formatter(), ["import", "--help"])
    assert ours == argparses


def _with_argparses_formatter() -> Callable[[Sequence[str]], object]:
    parser = argparse.ArgumentParser(prog="lockstep")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    COMMANDS["import"](commands)  # type: ignore[arg-type]
    return parser.parse_args
