"""README.md and the Makefile agree: every command it shows exists, every target is documented."""

from __future__ import annotations

import argparse
import re

from lockstep.cli import build_parser
from tests.template.make import REPO_ROOT
from tests.template.test_makefile import rule_targets, settings

README = (REPO_ROOT / "README.md").read_text()


def test_every_make_command_in_the_readme_exists() -> None:
    """Each `make X` the README mentions is a Makefile target."""
    mentioned = set(re.findall(r"make ([a-z][a-z0-9-]+)", README))
    assert mentioned
    assert mentioned <= rule_targets()


def test_every_target_is_in_the_readme_table() -> None:
    """Each public target has a row in the README's table of targets."""
    rows = set(re.findall(r"^\| `([a-z0-9-]+)` \|", README, flags=re.MULTILINE))
    assert rule_targets() <= rows


def lockstep_subcommands() -> set[str]:
    """The subcommands lockstep's own parser accepts."""
    parser = build_parser()
    (commands,) = [
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    ]
    return set(commands.choices)


def test_every_lockstep_subcommand_is_documented() -> None:
    """Each lockstep subcommand has a row in the README."""
    commands = lockstep_subcommands()
    assert {"lock", "check", "import"} <= commands
    for command in commands:
        assert f"| `lockstep {command}" in README, command


def test_every_setting_is_in_the_readme() -> None:
    """Each variable users set (`NAME ?= ...` in the Makefile) has a row in the README."""
    documented = set(re.findall(r"`([A-Z0-9_]+)`", README))
    assert settings() <= documented
