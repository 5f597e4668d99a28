"""Each conda platform's PEP 508 marker holds where real Pythons on that platform run, only there.

The environments are what real CPython interpreters reported on each platform,
with their sources (tests/data/platform_environments.json), what real interpreters
run on this project's machine printed (tests/data/recorded/marker-environments.json:
Debian's arm64 and ppc64el CPython under qemu-user, pyenv's 3.10/3.12/3.13), plus
this machine's own `default_environment()`; the markers are evaluated by
`packaging`, as Poetry and pip evaluate them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker, default_environment

from lockstep.shared.platforms import KNOWN_PLATFORMS, marker_for
from tests.support.real_markers import recorded_interpreters

DATA = Path(__file__).resolve().parents[1] / "data" / "platform_environments.json"
SOURCES_KEY = "_sources"


def _recorded() -> tuple[dict[str, dict[str, str]], dict[str, Any]]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    sources = data.pop(SOURCES_KEY)
    return data, sources


RECORDED, SOURCES = _recorded()


def test_every_platform_has_a_real_environment_with_its_source() -> None:
    """The data covers every platform lockstep can lock, and names where each one came from."""
    assert set(RECORDED) == set(KNOWN_PLATFORMS)
    assert {key for key in SOURCES if not key.startswith("_")} == set(RECORDED)
    for environment in RECORDED.values():
        assert {"sys_platform", "platform_machine"} <= set(environment)


@pytest.mark.parametrize("platform", KNOWN_PLATFORMS)
def test_marker_is_true_on_its_platform_and_false_on_every_other(platform: str) -> None:
    """A pin with this marker installs on the platform it was locked for and on no other."""
    marker = Marker(marker_for(platform))

    verdicts = {other: marker.evaluate(dict(env)) for other, env in RECORDED.items()}

    assert verdicts == {other: other == platform for other in RECORDED}


@pytest.mark.parametrize(
    "run",
    recorded_interpreters(),
    ids=lambda run: f"{run['platform']}-{run['default_environment']['python_full_version']}",
)
def test_interpreters_run_here_match_only_their_platforms_marker(run: dict[str, Any]) -> None:
    """Real CPythons of linux-aarch64, linux-ppc64le (emulated CPU) and linux-64 (3.10 to
    3.13), run on this machine: each satisfies its platform's marker and no other."""
    environment = run["default_environment"]

    verdicts = {p: Marker(marker_for(p)).evaluate(dict(environment)) for p in KNOWN_PLATFORMS}

    assert verdicts == {p: p == run["platform"] for p in KNOWN_PLATFORMS}


def test_this_machine_is_a_linux_64_witness() -> None:
    """On this machine (a real linux-64 Python), only linux-64's marker holds."""
    here = default_environment()
    if (here["sys_platform"], here["platform_machine"]) != ("linux", "x86_64"):
        pytest.skip(
            f"this machine is {here['sys_platform']}/{here['platform_machine']}, not linux-64"
        )

    verdicts = {platform: Marker(marker_for(platform)).evaluate() for platform in KNOWN_PLATFORMS}

    assert verdicts == {platform: platform == "linux-64" for platform in KNOWN_PLATFORMS}
