"""The GitHub Actions workflow users get: valid, and with no medium-or-worse zizmor finding."""

from __future__ import annotations

import re

import yaml

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
    targets = set(re.findall(r"run: make ([a-z0-9-]+)", (REPO_ROOT / WORKFLOW).read_text()))
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert targets
    for target in targets:
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE), target


def steps_by_name(job: str) -> dict[str, dict[str, object]]:
    workflow = yaml.safe_load((REPO_ROOT / WORKFLOW).read_text())
    return {step.get("name", step.get("uses", "")): step for step in workflow["jobs"][job]["steps"]}


def test_a_first_push_without_lockfiles_creates_them_instead_of_failing() -> None:
    """env-check runs only when lockfiles exist; otherwise they are bootstrapped, with a warning."""
    steps = steps_by_name("image")
    check = steps["Lockfiles are fresh"]
    bootstrap = steps["Lockfiles are created (none committed yet)"]
    assert check["if"] == "hashFiles('conda-*.lock', 'poetry.lock') != ''"
    assert bootstrap["if"] == "hashFiles('conda-*.lock', 'poetry.lock') == ''"
    assert "make env-bootstrap" in str(bootstrap["run"])
    assert "::warning::" in str(bootstrap["run"])


def test_the_runtime_build_reads_its_own_cache_and_is_labelled() -> None:
    """The runtime build reads the cache scope it writes, and gets the lockfile digests."""
    runtime = steps_by_name("image")["Build the runtime image"]["with"]
    assert isinstance(runtime, dict)
    assert "type=gha,scope=runtime" in runtime["cache-from"].split()
    assert runtime["cache-to"].startswith("type=gha,scope=runtime")
    assert "LOCKFILE_DIGESTS=${{ steps.digests.outputs.value }}" in runtime["build-args"]
    digests = steps_by_name("image")["Lockfile digests for the image label"]
    assert "make -s lockfile-digests" in str(digests["run"])


def test_the_end_to_end_suite_runs_in_the_users_ci() -> None:
    """A job of its own runs `make test-e2e`."""
    assert steps_by_name("e2e")["End-to-end suite"]["run"] == "make test-e2e"


def test_main_pushes_both_platforms_with_the_shared_cache() -> None:
    """On pushes to main, `make push` publishes amd64 and arm64 with a registry cache."""
    workflow = yaml.safe_load((REPO_ROOT / WORKFLOW).read_text())
    publish = workflow["jobs"]["publish"]
    assert publish["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert publish["permissions"] == {"contents": "read", "packages": "write"}
    (push,) = [step for step in publish["steps"] if "make push" in str(step.get("run", ""))]
    assert "DOCKER_PLATFORMS=linux/amd64,linux/arm64" in push["run"]
    assert 'CACHE_REF="$registry/envreport-cache"' in push["run"]
