"""Which Dockerfile steps BuildKit took from its cache, read from `--progress=plain` output.

BuildKit prints every vertex (one Dockerfile step, or an internal task) under a
number: first a title line, then its output, then how it ended:

    #12 [deps 3/7] RUN --mount=type=cache,target=/cache/conda-pkgs _install_conda_env.sh ...
    #12 CACHED

    #14 [dev 2/6] COPY src /project/src
    #14 ...                  (interrupted by another vertex; resumed later under its title again)
    #14 [dev 2/6] COPY src /project/src
    #14 DONE 0.1s

A Dockerfile step's title is `[STAGE N/M] INSTRUCTION` (the stage is left out for a
single-stage file, a platform is put first in multi-platform builds, and N is padded
with spaces when M has two digits). Vertex numbers start again at #1 in every
`docker build`, so output holding several builds (one `make build`) is cut into
builds: at `#0 building with ...`, or when vertex #1 is titled again after any
step of the current build was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Status = Literal["CACHED", "DONE", "ERROR", "CANCELED", "UNFINISHED"]
# A vertex can be reported more than once (resumed, or a cache import that first
# says CACHED and then pulls the layers): the first of these it was reported with wins.
_PRECEDENCE: tuple[Status, ...] = ("CACHED", "ERROR", "CANCELED", "DONE")

_LINE = re.compile(r"^#(?P<vertex>\d+) (?P<rest>.*)$")
_STEP_TITLE = re.compile(
    r"^\[\s*(?:(?P<platform>[\w.-]+/[\w.-]+(?:/[\w.-]+)?)\s+)?"
    r"(?:(?P<stage>[^\s\]]+)\s+)?(?P<index>\d+)/(?P<total>\d+)\]\s(?P<instruction>.*)$"
)
_OTHER_TITLE = re.compile(r"^\[[^\]]+\]\s")
_DONE = re.compile(r"^DONE \d+(?:\.\d+)?s$")
_BUILD_START = re.compile(r"^#0 building with ")


@dataclass(frozen=True)
class BuildStep:
    """One Dockerfile step of one build, as BuildKit reported it."""

    build: int
    vertex: int
    stage: str | None
    platform: str | None
    index: int
    total: int
    instruction: str
    status: Status

    @property
    def cached(self) -> bool:
        return self.status == "CACHED"

    @property
    def ran(self) -> bool:
        return self.status == "DONE"

    def describe(self) -> str:
        stage = f"{self.stage} " if self.stage else ""
        return f"[{stage}{self.index}/{self.total}] {self.instruction} ({self.status})"


@dataclass
class _Vertex:
    build: int
    number: int
    title: str
    step: re.Match[str] | None
    statuses: list[Status]


def _final_status(statuses: Sequence[Status]) -> Status:
    for status in _PRECEDENCE:
        if status in statuses:
            return status
    return "UNFINISHED"


def _status_of(rest: str) -> Status | None:
    if rest == "CACHED":
        return "CACHED"
    if _DONE.match(rest):
        return "DONE"
    if rest.startswith("ERROR"):
        return "ERROR"
    if rest == "CANCELED":
        return "CANCELED"
    return None


def _is_title(rest: str) -> bool:
    return bool(_STEP_TITLE.match(rest) or _OTHER_TITLE.match(rest))


def parse_plain_progress(text: str) -> list[BuildStep]:
    """Every Dockerfile step in `text`, in the order BuildKit first titled them."""
    build = 0
    current: dict[int, _Vertex] = {}
    ordered: list[_Vertex] = []
    step_seen_in_build = False
    for raw_line in text.splitlines():
        line = raw_line.rstrip("\r")
        if _BUILD_START.match(line):
            build, current, step_seen_in_build = build + 1, {}, False
            continue
        match = _LINE.match(line)
        if match is None:
            continue
        number, rest = int(match["vertex"]), match["rest"]
        if _is_title(rest):
            if number == 1 and step_seen_in_build:
                build, current, step_seen_in_build = build + 1, {}, False
            vertex = current.get(number)
            if vertex is None or vertex.title != rest:
                vertex = _Vertex(build, number, rest, _STEP_TITLE.match(rest), [])
                current[number] = vertex
                ordered.append(vertex)
            step_seen_in_build = step_seen_in_build or vertex.step is not None
            continue
        status = _status_of(rest)
        if status is not None and number in current:
            current[number].statuses.append(status)
    return [
        BuildStep(
            build=vertex.build,
            vertex=vertex.number,
            stage=vertex.step["stage"],
            platform=vertex.step["platform"],
            index=int(vertex.step["index"]),
            total=int(vertex.step["total"]),
            instruction=vertex.step["instruction"],
            status=_final_status(vertex.statuses),
        )
        for vertex in ordered
        if vertex.step is not None
    ]


def _squeezed(text: str) -> str:
    return " ".join(text.split())


def steps_matching(steps: Iterable[BuildStep], needle: str) -> list[BuildStep]:
    """The steps whose instruction contains `needle` (runs of whitespace count as one space)."""
    wanted = _squeezed(needle)
    return [step for step in steps if wanted in _squeezed(step.instruction)]
