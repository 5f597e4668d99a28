"""The GitHub Actions workflow users get: valid, and with no medium-or-worse zizmor finding."""

from __future__ import annotations

import re

from tests.template.make import REPO_ROOT, run_tool

WORKFLOW = ".github/workflows/image.yml"


def test_workflow_matches_githubs_schema() -> None:
    """check-jsonschema's built-in GitHub workflow schema accepts it."""
    result = run_tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_medium_or_worse() -> None:
    """zizmor (offline audits) reports no finding of medium or high severity."""
    result = run_tool("zizmor", "--offline", "--min-severity", "medium", WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actions_are_pinned_by_commit() -> None:
    """Every action is pinned by a full commit SHA with its version in a comment."""
    uses = re.findall(r"uses: (\S+)(.*)", (REPO_ROOT / WORKFLOW).read_text())
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", action), action
        assert re.search(r"# v\d", comment), action


def test_workflow_runs_make_targets_that_exist() -> None:
    """Every `make X` the workflow runs is a target of the Makefile."""
    targets = set(re.findall(r"run: make ([a-z-]+)", (REPO_ROOT / WORKFLOW).read_text()))
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert targets
    for target in targets:
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE), target
