#!/usr/bin/env python3
"""`make test-e2e`: the template's commands run for real, in a copy of the project, as a user would.

What it runs
------------
First it checks that a world exists (tests/e2e/world.py): a Docker client, a
daemon that answers, BuildKit, the two base images present or pullable, the
conda channel and the package index reachable. If anything is missing it prints
ONE line on stderr saying what, and exits 2 before running anything else.

Then, in a scratch directory, with a fresh `IMAGE=e2e-<random>` passed to every
make call (so no image, tag or cache volume of yours is touched):

 1. copies the project (`git ls-files -co --exclude-standard`, or a plain copy
    without .git, .venvs/ and caches when there is no git) and removes its
    lockfiles, so that the first build bootstraps them;
 2. `make build`: the lockfiles `conda-<platform>.lock` (every locked platform)
    and `poetry.lock` now exist and belong to you (uid and gid);
 3. `make env-check` exits 0 and says `lockstep: lockfiles are fresh`;
 4. `make run`: the report names numpy as installed by conda, packaging by uv;
 5. `make run CMD="python -c 'import numpy, envreport; print(numpy.__version__)'"`;
 6. `make run CMD="id -u"`: the runtime user is not root;
 7. `make shell` with a command on stdin: sys.prefix is the environment's;
 8. `make shell` in a pseudo-terminal: the prompt names the environment and
    `command -v python` answers the environment's python;
 9. `make test-image`;
10. `make doctor`: its table lists numpy, installed by conda;
11. `make sbom`: the image's conda-meta and dist-info are what the SBOM lists, and
    the image's /opt/sbom/cyclonedx.json is the file `make sbom` wrote;
12. `make build REPRODUCIBLE=1` twice, every layer rebuilt (--no-cache), with one
    SOURCE_DATE_EPOCH: both builds give the same runtime image ID. Skipped, with
    the reason, where the builder's BuildKit is older than 0.13 (make refuses);
13. a comment appended to a module in src/, then `make build`: BuildKit's plain
    output shows the environment layers (`_install_conda_env.sh`, the main and
    dev requirement installs) CACHED and the project's layers rebuilt;
14. `"tabulate>=0.9"` added to `[project].dependencies`: `make env-check` fails
    (lockstep check exit 1) naming poetry.lock;
15. `make env-update`, `make build`, `make run CMD="python -c 'import tabulate'"`;
16. `make shell` with `touch /project/created-in-shell` creates a file of yours,
    and every file in the copy belongs to you;
17. `make clean` (always, also after a failure or Ctrl-C, unless --keep):
    afterwards `docker image inspect` fails for the three images.
The image sizes are printed before the clean. Each step is one line with its
time; the first failing step stops the run (after it only step 17 runs) and
shows the last lines of its command's output. The last line is `N passed, M failed, K skipped`.

Settings (environment variables; `make test-e2e VAR=...` exports them too)
--------------------------------------------------------------------------
CONDA_MIRROR, PYPI_MIRROR, MICROMAMBA_IMAGE, RUNTIME_BASE_IMAGE, CONDA_PLATFORMS
(conda platforms to lock, comma-separated, e.g. linux-64), BUILD_FLAGS,
RUN_FLAGS (e.g. `--network host` for a mirror on this machine) and DOCKER are
passed to every make call as make variables; the suite adds `--progress=plain`
to BUILD_FLAGS to read BuildKit's output. The project's files are never edited
to apply a setting. E2E_TIMEOUT: seconds per make call (default 3600);
E2E_PULL_TIMEOUT: seconds per base-image pull in the world check (default 600).

Exit codes: 0 every step passed or was skipped; 1 a step failed; 2 no world to run in (or a
bad option); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import secrets
import select
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # run as a script: `python3 tests/e2e/e2e.py`
    sys.path.insert(0, str(REPO_ROOT))

from tests.e2e.buildkit import parse_plain_progress, steps_matching  # noqa: E402
from tests.e2e.project_copy import LOCKFILE_PATTERNS, copy_project  # noqa: E402
from tests.e2e.world import World, dockerfile_arg_defaults, find_problem, one_line  # noqa: E402

USAGE = """\
End to end, for real: build, run, shell, relock in a copy of the project
(needs Docker with BuildKit that can pull, conda-forge and PyPI, or mirrors).
Exit codes: 0 passed, 1 a step failed, 2 no world to run in, 130 interrupted.

settings (environment variables, passed to every make call):
  CONDA_MIRROR, PYPI_MIRROR        mirrors of conda.anaconda.org and PyPI
  MICROMAMBA_IMAGE, RUNTIME_BASE_IMAGE   base images (default: the Dockerfile's)
  CONDA_PLATFORMS                   conda platforms to lock, e.g. linux-64
  BUILD_FLAGS, RUN_FLAGS           extra docker build / run flags (--progress=plain is added)
  DOCKER                           the docker client (default: docker)
  E2E_TIMEOUT, E2E_PULL_TIMEOUT    seconds per make call (3600) / per image pull (600)
"""

PASSED_THROUGH = (
    "CONDA_MIRROR",
    "PYPI_MIRROR",
    "MICROMAMBA_IMAGE",
    "RUNTIME_BASE_IMAGE",
    "CONDA_PLATFORMS",
    "RUN_FLAGS",
    "DOCKER",
)
# A parent make's flags and command-line variables must not leak into the copy's make calls.
PARENT_MAKE_VARIABLES = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")
TAG = "latest"
DEFAULT_TIMEOUT_SECONDS = 3600.0
PTY_PROMPT_WAIT_SECONDS = 120.0
DEFAULT_ENV_PREFIX = "/opt/env"
# lockstep's default when environment.yml lists no `platforms:`.
DEFAULT_CONDA_PLATFORMS = ("linux-64", "linux-aarch64")
TAIL_LINES = 25
ADDED_DEPENDENCY = '"tabulate>=0.9"'
ADDED_MODULE = "tabulate"
SRC_EDIT = "\n# e2e: appended by the end-to-end suite; changes no dependency\n"
SHELL_CREATED = "created-in-shell"
# The start of make's one-line refusal where the builder cannot build reproducibly.
REPRODUCIBLE_REFUSAL = "REPRODUCIBLE=1 needs BuildKit 0.13 or newer"
# The reproducible builds' timestamp when the project has no commit to take it from.
FALLBACK_SOURCE_DATE_EPOCH = "1700000000"

# Steps of the Dockerfile, by what their RUN line contains: after an edit in
# src/ the environment layers must come from the cache, the project's must rerun.
ENVIRONMENT_LAYERS = (
    ("the conda environment", "_install_conda_env.sh"),
    ("Poetry's main group", "_install_requirements.sh /tmp/requirements/main.txt"),
    ("the dev group", "_install_requirements.sh /tmp/requirements/dev.txt"),
    # The runtime's copy of the environment, by its source path as BuildKit shows it
    # (ARGs expanded): the layer that would otherwise hold all of /opt/env again after
    # every source edit. Any `COPY --from=deps` would also match the activation script's.
    (
        "the runtime's copy of the environment",
        f"COPY --from=deps {DEFAULT_ENV_PREFIX} {DEFAULT_ENV_PREFIX}",
    ),
)
PROJECT_LAYERS = (
    ("the project's wheels", "_build_wheels.py"),
    ("the project in the runtime environment", "_install_project.sh"),
)

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Z0-9]")


class StepSkipped(Exception):
    """A step that cannot run in this world (one line saying why): neither passed nor failed."""


class StepFailed(Exception):
    """A step's check did not hold: a one-line reason and the output it was read from."""

    def __init__(self, reason: str, output: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.output = output


@dataclass(frozen=True)
class Run:
    command: str
    returncode: int
    output: str


def _shown(line: str) -> str:
    # After a carriage return a terminal writes over the line: keep what was written last.
    written = [part for part in line.split("\r") if part.strip()]
    return written[-1].rstrip() if written else ""


def output_lines(text: str) -> list[str]:
    """Lines of terminal output as shown: no colours, cursor moves or carriage returns."""
    return [_shown(line) for line in _ANSI.sub("", text).split("\n")]


def tail(text: str, count: int = TAIL_LINES) -> list[str]:
    lines = [line for line in output_lines(text) if line.strip()]
    return lines[-count:]


def yaml_platforms(text: str) -> list[str]:
    """The `platforms:` list of an environment.yml (block or flow style), read without YAML."""
    lines = text.splitlines()
    for number, line in enumerate(lines):
        match = re.match(r"^platforms:\s*(?P<inline>[^#]*)", line)
        if match is None:
            continue
        inline = match["inline"].strip()
        if inline.startswith("["):
            return [
                item.strip().strip("'\"") for item in inline.strip("[]").split(",") if item.strip()
            ]
        found = []
        for following in lines[number + 1 :]:
            stripped = following.strip()
            if not stripped or stripped.startswith("#"):
                continue
            item = re.match(r"^\s*-\s+(?P<name>[^\s#]+)", following)
            if item is None:
                break
            found.append(item["name"].strip("'\""))
        return found
    return []


def add_project_dependency(pyproject: Path, requirement: str) -> None:
    """Add a requirement (a TOML string) to `[project].dependencies`, as a user would."""
    text = pyproject.read_text(encoding="utf-8")
    section = re.search(r"(?ms)^\[project\]\s*$(?P<body>.*?)(?=^\[|\Z)", text)
    if section is None:
        raise StepFailed(f"{pyproject.name} has no [project] table")
    opening = re.search(r"(?m)^dependencies\s*=\s*\[", section["body"])
    if opening is None:
        raise StepFailed(f"{pyproject.name}: [project] has no `dependencies = [` line")
    at = section.start("body") + opening.end()
    pyproject.write_text(f"{text[:at]}\n    {requirement},{text[at:]}", encoding="utf-8")


def table_rows(output: str, header: Sequence[str]) -> dict[str, list[str]]:
    """Rows of the last whitespace-aligned table headed by `header`, by first column."""
    lines = output_lines(output)
    starts = [i for i, line in enumerate(lines) if line.split()[: len(header)] == list(header)]
    rows: dict[str, list[str]] = {}
    if not starts:
        return rows
    for line in lines[starts[-1] + 1 :]:
        cells = line.split()
        if len(cells) < len(header) - 1 or line.startswith("make"):
            break
        rows[cells[0]] = cells[1:]
    return rows


def human_size(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


class Session:
    """One run of the suite: the copy, its image names and the make calls in it."""

    def __init__(self, *, project: Path, scratch: Path, environ: Mapping[str, str]) -> None:
        self.project = project
        self.scratch = scratch
        self.copy = scratch / "project"
        self.logs = scratch / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.environ = environ
        self.image = f"e2e-{secrets.token_hex(4)}"
        self.docker = tuple(shlex.split(environ.get("DOCKER") or "docker")) or ("docker",)
        self.timeout = float(environ.get("E2E_TIMEOUT") or DEFAULT_TIMEOUT_SECONDS)
        self.uid, self.gid = os.getuid(), os.getgid()
        self.log: Path = self.logs / "00-setup.log"
        self.state: dict[str, str] = {}

    # ---------------------------------------------------------------- names
    @property
    def images(self) -> dict[str, str]:
        return {
            "runtime": f"{self.image}:{TAG}",
            "dev": f"{self.image}-dev:{TAG}",
            "tools": f"{self.image}-tools:{TAG}",
        }

    @property
    def cache_volume(self) -> str:
        return f"{self.image}-lockstep-cache"

    def make_variables(self) -> dict[str, str]:
        variables = {"IMAGE": self.image, "TAG": TAG, "CACHE_VOLUME": self.cache_volume}
        for name in PASSED_THROUGH:
            if self.environ.get(name):
                variables[name] = self.environ[name]
        variables["BUILD_FLAGS"] = " ".join(
            flag
            for flag in (self.environ.get("BUILD_FLAGS", "").strip(), "--progress=plain")
            if flag
        )
        return variables

    def child_environ(self) -> dict[str, str]:
        return {
            name: value for name, value in self.environ.items() if name not in PARENT_MAKE_VARIABLES
        }

    def make_argv(self, target: str, *assignments: str) -> list[str]:
        # An assignment of the step's replaces the session's value of that variable.
        assigned = {assignment.split("=", 1)[0] for assignment in assignments}
        variables = [
            f"{name}={value}"
            for name, value in self.make_variables().items()
            if name not in assigned
        ]
        return ["make", "--no-print-directory", target, *variables, *assignments]

    def source_date_epoch(self) -> str:
        """The project's last commit time (the copy has no .git), else a fixed time."""
        try:
            result = subprocess.run(
                ["git", "-C", str(self.project), "log", "-1", "--format=%ct"],
                capture_output=True,
                text=True,
                check=False,
            )
        except OSError:
            return FALLBACK_SOURCE_DATE_EPOCH
        stamp = result.stdout.strip()
        return stamp if result.returncode == 0 and stamp.isdigit() else FALLBACK_SOURCE_DATE_EPOCH

    @property
    def env_prefix(self) -> str:
        return dockerfile_arg_defaults(self.copy / "Dockerfile").get(
            "ENV_PREFIX", DEFAULT_ENV_PREFIX
        )

    def lock_platforms(self) -> list[str]:
        chosen = self.environ.get("CONDA_PLATFORMS", "")
        if chosen.strip():
            return [name.strip() for name in chosen.split(",") if name.strip()]
        environment = self.copy / "environment.yml"
        listed = (
            yaml_platforms(environment.read_text(encoding="utf-8")) if environment.exists() else []
        )
        return listed or list(DEFAULT_CONDA_PLATFORMS)

    # ---------------------------------------------------------------- commands
    def _record(self, run: Run) -> None:
        with self.log.open("a", encoding="utf-8") as log:
            log.write(f"$ {run.command}\n{run.output}\n[exit {run.returncode}]\n\n")

    def make(
        self, target: str, *assignments: str, stdin: str | None = None, expect: int | None = 0
    ) -> Run:
        """Run make in the copy; StepFailed when it exits otherwise than `expect` (None: any)."""
        argv = self.make_argv(target, *assignments)
        shown = shlex.join(["make", target, *assignments])
        try:
            result = subprocess.run(
                argv,
                cwd=self.copy,
                env=self.child_environ(),
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                timeout=self.timeout,
                check=False,
            )
            run = Run(shown, result.returncode, result.stdout)
        except subprocess.TimeoutExpired as expired:
            partial = (
                expired.output.decode(errors="replace")
                if isinstance(expired.output, bytes)
                else expired.output or ""
            )
            self._record(Run(shown, -1, partial))
            raise StepFailed(
                f"`{shown}` did not finish within {self.timeout:.0f} s (E2E_TIMEOUT)", partial
            ) from None
        self._record(run)
        if expect is not None and run.returncode != expect:
            raise StepFailed(f"`{shown}` exited {run.returncode}", run.output)
        return run

    def make_in_terminal(self, target: str, *, typed: str, wait_for: str) -> Run:
        """Run make under a pseudo-terminal; type `typed` once `wait_for` was printed."""
        argv = self.make_argv(target)
        shown = f"make {target} (in a terminal, typing {typed.strip()!r})"
        returncode, output = run_in_pty(
            argv,
            cwd=self.copy,
            env=self.child_environ(),
            typed=typed.encode(),
            wait_for=wait_for.encode(),
            timeout=self.timeout,
        )
        run = Run(shown, -1 if returncode is None else returncode, output.decode(errors="replace"))
        self._record(run)
        if returncode is None:
            raise StepFailed(f"`{shown}` did not finish within {self.timeout:.0f} s", run.output)
        return run

    def docker_run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.docker, *args],
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
            timeout=120,
            env=self.child_environ(),
        )

    def image_size(self, image: str) -> int | None:
        try:
            result = self.docker_run("image", "inspect", "--format", "{{.Size}}", image)
        except (OSError, subprocess.SubprocessError):
            return None
        text = result.stdout.strip()
        return int(text) if result.returncode == 0 and text.isdigit() else None

    # ---------------------------------------------------------------- checks
    def not_owned(self, paths: Sequence[Path]) -> list[str]:
        wrong = []
        for path in paths:
            info = path.lstat()
            if (info.st_uid, info.st_gid) != (self.uid, self.gid):
                wrong.append(
                    f"{path.relative_to(self.copy)} (uid {info.st_uid}, gid {info.st_gid})"
                )
        return wrong


def run_in_pty(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    typed: bytes,
    wait_for: bytes,
    timeout: float,
    prompt_wait: float = PTY_PROMPT_WAIT_SECONDS,
) -> tuple[int | None, bytes]:
    """Run argv with a pseudo-terminal as stdin/stdout/stderr, typing once `wait_for` shows.

    Returns the exit code (None after `timeout`) and everything the terminal showed.
    """
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
    finally:
        os.close(slave)
    output = bytearray()
    started = time.monotonic()
    typed_yet = False
    try:
        while True:
            elapsed = time.monotonic() - started
            if elapsed > timeout:
                return None, bytes(output)
            if not typed_yet and (wait_for in output or elapsed > prompt_wait):
                os.write(master, typed)
                typed_yet = True
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: every process holding the terminal has exited
                    chunk = b""
                if not chunk:
                    break
                output += chunk
            elif process.poll() is not None:
                break
        return process.wait(timeout=60), bytes(output)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()


# -------------------------------------------------------------------- the steps
def step_copy(session: Session) -> str:
    copied = copy_project(session.project, session.copy)
    left = [
        name
        for pattern in LOCKFILE_PATTERNS
        for name in sorted(p.name for p in session.copy.glob(pattern))
    ]
    if left:
        raise StepFailed(f"lockfiles left in the copy: {', '.join(left)}")
    if not (session.copy / "Makefile").is_file():
        raise StepFailed("the copy has no Makefile")
    return f"{len(copied)} files"


def step_build_bootstrap(session: Session) -> str:
    session.make("build")
    expected = [f"conda-{platform}.lock" for platform in session.lock_platforms()] + ["poetry.lock"]
    missing = [name for name in expected if not (session.copy / name).is_file()]
    if missing:
        raise StepFailed(f"after `make build` these lockfiles are missing: {', '.join(missing)}")
    wrong = session.not_owned([session.copy / name for name in expected])
    if wrong:
        raise StepFailed(
            f"lockfiles not owned by uid {session.uid} gid {session.gid}: {', '.join(wrong)}"
        )
    return ", ".join(expected)


def step_env_check(session: Session) -> None:
    run = session.make("env-check")
    if "lockstep: lockfiles are fresh" not in run.output:
        raise StepFailed("`make env-check` did not say `lockstep: lockfiles are fresh`", run.output)


def step_run_default(session: Session) -> str:
    run = session.make("run", "CMD=")
    rows = table_rows(run.output, ("dependency", "version", "installer"))
    expected = {"numpy": "conda", "packaging": "uv"}
    for name, installer in expected.items():
        row = rows.get(name)
        if row is None or len(row) < 2 or row[1] != installer:
            found = " ".join(row) if row else "not listed"
            raise StepFailed(
                f"the report should list {name} installed by {installer}; it says: {found}",
                run.output,
            )
    session.state["numpy"] = rows["numpy"][0]
    return f"numpy {rows['numpy'][0]} by conda, packaging {rows['packaging'][0]} by uv"


def step_run_numpy(session: Session) -> str:
    run = session.make("run", "CMD=python -c 'import numpy, envreport; print(numpy.__version__)'")
    versions = [
        line for line in output_lines(run.output) if re.fullmatch(r"\d+\.\d+(\.\d+)?\S*", line)
    ]
    expected = session.state.get("numpy")
    if not versions or (expected and versions[-1] != expected):
        raise StepFailed(
            f"expected numpy's version ({expected or 'a version'}) on the last line", run.output
        )
    return f"numpy {versions[-1]}"


def step_run_not_root(session: Session) -> str:
    run = session.make("run", "CMD=id -u")
    uids = [line for line in output_lines(run.output) if line.isdigit()]
    if not uids:
        raise StepFailed("`id -u` printed no uid", run.output)
    if int(uids[-1]) == 0:
        raise StepFailed("the runtime image runs as root (uid 0)", run.output)
    return f"uid {uids[-1]}"


def step_shell_stdin(session: Session) -> None:
    run = session.make("shell", stdin="python -c 'import sys; print(sys.prefix)'\n")
    if session.env_prefix not in output_lines(run.output):
        raise StepFailed(f"sys.prefix in `make shell` is not {session.env_prefix}", run.output)


def step_shell_terminal(session: Session) -> None:
    prefix = session.env_prefix
    marker = f"({prefix})"
    run = session.make_in_terminal("shell", typed="command -v python; exit\r", wait_for=marker)
    if run.returncode != 0:
        raise StepFailed(f"`make shell` in a terminal exited {run.returncode}", run.output)
    if marker not in run.output:
        raise StepFailed(f"the prompt does not name the environment ({marker})", run.output)
    if f"{prefix}/bin/python" not in output_lines(run.output):
        raise StepFailed(f"`command -v python` did not answer {prefix}/bin/python", run.output)


def step_test_image(session: Session) -> None:
    session.make("test-image")


def step_doctor(session: Session) -> None:
    run = session.make("doctor")
    rows = table_rows(run.output, ("name", "version", "installer"))
    numpy = rows.get("numpy")
    if numpy is None or len(numpy) < 2 or numpy[1] != "conda":
        found = " ".join(numpy) if numpy else "not listed"
        raise StepFailed(
            f"`make doctor` should list numpy with installer conda; it says: {found}", run.output
        )


def step_sbom(session: Session) -> str:
    """`make sbom` checks the image against the SBOM; its copy in the image is the same file."""
    session.make("sbom")
    written = (session.copy / "build" / "sbom" / "cyclonedx.json").read_text(encoding="utf-8")
    shown = session.docker_run(
        "run", "--rm", "--entrypoint", "cat", session.images["runtime"], "/opt/sbom/cyclonedx.json"
    )
    if shown.returncode != 0 or shown.stdout != written:
        raise StepFailed(
            "the runtime image's /opt/sbom/cyclonedx.json is not the SBOM `make sbom` wrote"
            f" ({one_line(shown.stderr) or 'the contents differ'})"
        )
    return f"{len(json.loads(written)['components'])} components"


def step_reproducible(session: Session) -> str:
    epoch = session.source_date_epoch()
    build_flags = f"{session.make_variables()['BUILD_FLAGS']} --no-cache"
    image_ids = []
    for _ in range(2):
        run = session.make(
            "build",
            "REPRODUCIBLE=1",
            f"SOURCE_DATE_EPOCH={epoch}",
            f"BUILD_FLAGS={build_flags}",
            expect=None,
        )
        refusal = next(
            (line for line in output_lines(run.output) if REPRODUCIBLE_REFUSAL in line), None
        )
        if run.returncode != 0 and refusal is not None:
            raise StepSkipped(refusal.removeprefix("make: "))
        if run.returncode != 0:
            raise StepFailed(f"`make build REPRODUCIBLE=1` exited {run.returncode}", run.output)
        inspected = session.docker_run(
            "image", "inspect", "--format", "{{.Id}}", session.images["runtime"]
        )
        if inspected.returncode != 0:
            raise StepFailed(f"no runtime image after the build: {one_line(inspected.stderr)}")
        image_ids.append(inspected.stdout.strip())
    first, second = image_ids
    if first != second:
        raise StepFailed(
            f"two builds of one commit gave two runtime images: {first} and {second}"
            f" (compare them: docker save both, diff the layers)"
        )
    return f"both {first[:19]}, SOURCE_DATE_EPOCH={epoch}"


def step_source_edit(session: Session) -> str:
    modules = sorted((session.copy / "src").rglob("*.py"))
    if not modules:
        raise StepFailed("no Python module under src/ to edit")
    with modules[0].open("a", encoding="utf-8") as module:
        module.write(SRC_EDIT)
    run = session.make("build")
    steps = parse_plain_progress(run.output)
    if not steps:
        raise StepFailed(
            "no BuildKit step in the output of `make build` (was --progress=plain passed?)",
            run.output,
        )
    problems = []
    for label, needle in ENVIRONMENT_LAYERS:
        found = steps_matching(steps, needle)
        rebuilt = [step.describe() for step in found if not step.cached]
        if not found:
            problems.append(f"no step runs {needle!r}")
        elif rebuilt:
            problems.append(f"{label} was not CACHED: {'; '.join(rebuilt)}")
    for label, needle in PROJECT_LAYERS:
        found = steps_matching(steps, needle)
        if not found:
            problems.append(f"no step runs {needle!r}")
        elif not any(step.ran for step in found):
            problems.append(
                f"{label} was not rebuilt: {'; '.join(step.describe() for step in found)}"
            )
    if problems:
        raise StepFailed(one_line(" | ".join(problems), 600), run.output)
    return f"edited {modules[0].relative_to(session.copy)}"


def step_dependency_added(session: Session) -> None:
    add_project_dependency(session.copy / "pyproject.toml", ADDED_DEPENDENCY)
    run = session.make("env-check", expect=None)
    if run.returncode == 0:
        raise StepFailed(
            "`make env-check` passed after pyproject.toml gained a dependency", run.output
        )
    if not re.search(r"(?m)^stale: poetry\.lock", run.output):
        raise StepFailed("`make env-check` did not name poetry.lock as stale", run.output)
    exit_code = re.search(r"env-check\] Error (\d+)", run.output)
    if exit_code and exit_code.group(1) != "1":
        raise StepFailed(f"`lockstep check` exited {exit_code.group(1)}, not 1 (stale)", run.output)


def step_relock(session: Session) -> None:
    session.make("env-update")
    lock = session.copy / "poetry.lock"
    if f'name = "{ADDED_MODULE}"' not in lock.read_text(encoding="utf-8"):
        raise StepFailed(f"poetry.lock does not list {ADDED_MODULE} after `make env-update`")
    session.make("build")
    session.make("run", f"CMD=python -c 'import {ADDED_MODULE}'")


def step_ownership(session: Session) -> str:
    session.make("shell", stdin=f"touch /project/{SHELL_CREATED}\n")
    created = session.copy / SHELL_CREATED
    if not created.exists():
        raise StepFailed(
            f"`touch /project/{SHELL_CREATED}` in `make shell` created no file in the project"
        )
    everything = [
        Path(directory) / name
        for directory, dirs, files in os.walk(session.copy)
        for name in [*dirs, *files]
    ]
    wrong = session.not_owned(everything)
    if wrong:
        shown = ", ".join(wrong[:10]) + (f" and {len(wrong) - 10} more" if len(wrong) > 10 else "")
        raise StepFailed(f"not owned by uid {session.uid} gid {session.gid}: {shown}")
    return f"{len(everything)} paths"


def step_clean(session: Session) -> None:
    session.make("clean")
    left = [
        image
        for image in session.images.values()
        if session.docker_run("image", "inspect", image).returncode == 0
    ]
    if session.docker_run("volume", "inspect", session.cache_volume).returncode == 0:
        left.append(f"volume {session.cache_volume}")
    if left:
        raise StepFailed(f"still present after `make clean`: {', '.join(left)}")


@dataclass(frozen=True)
class Step:
    title: str
    run: Callable[[Session], str | None]


STEPS: tuple[Step, ...] = (
    Step("copy the project, without lockfiles", step_copy),
    Step("make build (no lockfiles: bootstraps them)", step_build_bootstrap),
    Step("make env-check", step_env_check),
    Step("make run (the image's default: python -m envreport)", step_run_default),
    Step(
        "make run CMD=\"python -c 'import numpy, envreport; print(numpy.__version__)'\"",
        step_run_numpy,
    ),
    Step('make run CMD="id -u" (the runtime user is not root)', step_run_not_root),
    Step("make shell, a command on stdin (sys.prefix)", step_shell_stdin),
    Step("make shell in a terminal (pty): prompt and command -v python", step_shell_terminal),
    Step("make test-image", step_test_image),
    Step("make doctor", step_doctor),
    Step("make sbom: the image holds what the SBOM lists, and carries it", step_sbom),
    Step("make build REPRODUCIBLE=1 twice, --no-cache: one runtime image ID", step_reproducible),
    Step("edit src/, make build: environment layers CACHED, project rebuilt", step_source_edit),
    Step(
        f"add {ADDED_DEPENDENCY} to [project].dependencies: make env-check names poetry.lock",
        step_dependency_added,
    ),
    Step(
        f"make env-update, make build, make run CMD=\"python -c 'import {ADDED_MODULE}'\"",
        step_relock,
    ),
    Step("files in the project belong to you (also one made in make shell)", step_ownership),
    Step("make clean removes the images", step_clean),
)
CLEAN_STEP = STEPS[-1]


# -------------------------------------------------------------------- running
def _label(number: int) -> str:
    return f"[{number:>2}/{len(STEPS)}]"


def list_steps(out: Callable[[str], None]) -> None:
    for number, step in enumerate(STEPS, start=1):
        out(f"{_label(number)} {step.title}")


def run_step(session: Session, number: int, step: Step) -> bool | None:
    """True passed, False failed, None skipped (the reason printed)."""
    slug = re.sub(r"[^a-z0-9]+", "-", step.title.lower()).strip("-")[:40]
    session.log = session.logs / f"{number:02d}-{slug}.log"
    print(f"{_label(number)} {step.title} ... ", end="", flush=True)
    started = time.monotonic()
    try:
        note = step.run(session)
    except StepSkipped as skipped:
        print(f"skipped {time.monotonic() - started:.1f}s ({skipped})", flush=True)
        return None
    except StepFailed as failure:
        print(f"FAILED {time.monotonic() - started:.1f}s")
        print(f"    {failure.reason}")
        for line in tail(failure.output):
            print(f"    | {line}")
        print(f"    (full output: {session.log})", flush=True)
        return False
    except (OSError, subprocess.SubprocessError) as error:
        print(f"FAILED {time.monotonic() - started:.1f}s")
        print(f"    {type(error).__name__}: {one_line(str(error))}", flush=True)
        return False
    suffix = f" ({note})" if note else ""
    print(f"ok {time.monotonic() - started:.1f}s{suffix}", flush=True)
    return True


def print_sizes(session: Session) -> None:
    sizes = []
    for label, image in session.images.items():
        size = session.image_size(image)
        sizes.append(f"{label} {human_size(size) if size is not None else 'not built'} ({image})")
    print(f"image sizes: {', '.join(sizes)}", flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="tests/e2e/e2e.py",
        description=USAGE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="What each step checks: see the top of tests/e2e/e2e.py, or --list.",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the copy and the images for debugging"
    )
    parser.add_argument(
        "--project",
        type=Path,
        default=REPO_ROOT,
        metavar="DIR",
        help="the project to copy and test (default: this repository)",
    )
    parser.add_argument("--list", action="store_true", help="print the steps and exit")
    return parser.parse_args(argv)


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    interrupted: bool = False

    def add(self, passed: bool | None) -> None:
        if passed is None:
            self.skipped += 1
        elif passed:
            self.passed += 1
        else:
            self.failed += 1

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 0 if self.failed == 0 else 1


def run_steps(session: Session, tally: Tally) -> None:
    """Every step but the clean, in order; after a failure the rest are listed as not run."""
    for number, step in enumerate(STEPS[:-1], start=1):
        if tally.failed:
            print(f"{_label(number)} {step.title} ... not run", flush=True)
        else:
            tally.add(run_step(session, number, step))


def finish(session: Session, tally: Tally, *, keep: bool) -> None:
    """The image sizes, then the clean (unless keep); always runs, also after a failure."""
    print_sizes(session)
    if keep:
        print(f"kept: {session.copy} and the images {', '.join(session.images.values())}")
        print(f"remove them with: make -C {session.copy} clean IMAGE={session.image}", flush=True)
        return
    tally.add(run_step(session, len(STEPS), CLEAN_STEP))
    shutil.rmtree(session.copy, ignore_errors=True)
    if tally.failed == 0 and not tally.interrupted:
        shutil.rmtree(session.scratch, ignore_errors=True)
    else:
        print(f"logs kept in {session.logs}", flush=True)


def refusal(project: Path) -> str | None:
    """Why the suite cannot run at all (one line), or None."""
    if not (project / "Makefile").is_file():
        return f"no Makefile in {project} (--project)"
    return find_problem(World.from_environ(os.environ, project=project))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        list_steps(print)
        return 0
    project: Path = args.project.resolve()
    problem = refusal(project)
    if problem is not None:
        print(f"e2e: cannot run: {problem}", file=sys.stderr)
        return 2

    session = Session(
        project=project,
        scratch=Path(tempfile.mkdtemp(prefix="envreport-e2e-")),
        environ=dict(os.environ),
    )
    print(f"e2e: a copy of {project} in {session.copy}, IMAGE={session.image}")
    print(f"e2e: the output of every command goes to {session.logs}", flush=True)
    tally = Tally()
    try:
        run_steps(session, tally)
    except KeyboardInterrupt:
        tally.interrupted = True
        print("\ninterrupted", flush=True)
    finally:
        finish(session, tally, keep=args.keep)
    print(f"{tally.passed} passed, {tally.failed} failed, {tally.skipped} skipped", flush=True)
    return tally.exit_code


if __name__ == "__main__":
    raise SystemExit(main())
