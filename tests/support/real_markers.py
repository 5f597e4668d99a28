"""The PEP 508 marker a pin for one conda platform should carry, built from what real
interpreters on that platform report, never from lockstep's own platform table.

The design (docs and /work/shared/design.md, lock step 4) says a per-platform pin is
guarded by `sys_platform` and `platform_machine`; the values come from the
environments real CPythons printed: tests/data/platform_environments.json (published
recordings, sources in its `_sources` key) and tests/data/recorded/marker-environments.json
(interpreters run here, commands in tests/data/recorded/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
PUBLISHED = DATA / "platform_environments.json"
RECORDED_HERE = DATA / "recorded" / "marker-environments.json"


def recorded_interpreters() -> list[dict[str, object]]:
    """The interpreters run on this project's machine, each with its platform and command."""
    runs: list[dict[str, object]] = json.loads(RECORDED_HERE.read_text(encoding="utf-8"))
    return runs


def real_environments(platform: str) -> list[dict[str, str]]:
    """Every recorded environment of a real interpreter on `platform`."""
    published = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    found = [published[platform]] if platform in published else []
    for run in recorded_interpreters():
        if run["platform"] == platform:
            environment = run["default_environment"]
            assert isinstance(environment, dict)
            found.append(environment)
    return found


def real_marker(platform: str) -> str:
    """`sys_platform == "…" and platform_machine == "…"` with the values real interpreters on
    `platform` report; they must all agree (a disagreement is a finding, not a choice)."""
    values = {(env["sys_platform"], env["platform_machine"]) for env in real_environments(platform)}
    assert len(values) == 1, (platform, values)
    ((sys_platform, machine),) = values
    return f'sys_platform == "{sys_platform}" and platform_machine == "{machine}"'
