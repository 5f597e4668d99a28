"""Benchmark `lockstep check` and `make test`'s pytest run; prints figures, asserts nothing.

`lockstep check` runs on a fresh project made of real files (a pair from
tests/data/realworld/pairs/ laid out as `lockstep lock` leaves it), as the
median of several runs, next to `python -c pass` measured in the same run,
alternating, so the ratio holds when the machine is busy. The slow path (an
edited environment.yml, so conda-lock's own hash decides) is timed too. Then
the whole pytest suite once, as `make test` runs it (wall time).

Run: make bench
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
# What the benchmarks share with lockstep's tests (never tests/ itself, which `make init`
# leaves out of a project).
sys.path.insert(0, str(REPO_ROOT / "scripts" / "lockstep" / "testing"))

from figures import print_figures  # noqa: E402  (beside this script)

from lockstep_testing.realworld_projects import locked_pair  # noqa: E402

RUNS = 10
# A real poetry.lock's package tables, so that check reads a lockfile of a real size.
POETRY_PACKAGES_OF = "karaoke-prep-2023"
TARGET_RATIO = 4.0
LOCKSTEP = Path(sys.executable).with_name("lockstep")
LOCKSTEP_SOURCE = REPO_ROOT / "scripts" / "lockstep" / "src"


def timed(command: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, check=False)
    return time.perf_counter() - started, result.returncode


def check_figures(runs: int) -> list[tuple[str, str]]:
    # `make test` installs lockstep editable, and with PYTHONDONTWRITEBYTECODE set (as on
    # some CI machines) every run would compile its modules anew; the tools image's pip
    # install compiles them once. Measure lockstep as installed.
    compileall.compile_dir(LOCKSTEP_SOURCE, quiet=1)
    environment = dict(os.environ)
    with tempfile.TemporaryDirectory() as scratch:
        # It sets LOCKSTEP_PLATFORMS to the pair's platforms: for these runs only. The
        # poetry.lock holds a large real project's package tables (184 kB).
        files = locked_pair(
            "esmvalcore", Path(scratch) / "project", poetry_packages_of=POETRY_PACKAGES_OF
        )
        sizes = ", ".join(
            f"{path.name} {path.stat().st_size // 1000} kB"
            for path in (*files.existing_conda_locks(), files.poetry_lock)
        )
        check = [str(LOCKSTEP), "check", "--project", str(files.root)]
        baseline, fast, codes = [], [], set()
        # One untimed run of each first: the first reads its files from disk, not the cache.
        timed([sys.executable, "-c", "pass"])
        timed(check)
        for _ in range(runs):
            baseline.append(timed([sys.executable, "-c", "pass"])[0])
            seconds, code = timed(check)
            fast.append(seconds)
            codes.add(code)
        files.environment.write_text("# edited\n" + files.environment.read_text())
        slow = [timed(check)[0] for _ in range(max(1, runs // 3))]
    os.environ.clear()
    os.environ.update(environment)
    if codes != {0}:
        raise SystemExit(f"bench: lockstep check did not call the fresh project fresh: {codes}")
    ratio = statistics.median(fast) / statistics.median(baseline)
    return [
        ("python -c pass", f"{1000 * statistics.median(baseline):.0f} ms median of {runs}"),
        ("fresh project's lockfiles", sizes),
        (
            "lockstep check, fresh project",
            f"{1000 * statistics.median(fast):.0f} ms median of {runs}",
        ),
        ("check / python -c pass", f"{ratio:.1f} x  (target <= {TARGET_RATIO:g} x)"),
        (
            "lockstep check, inputs edited",
            f"{1000 * statistics.median(slow):.0f} ms median of {len(slow)}"
            "  (conda-lock's own hash decides)",
        ),
    ]


def pytest_figures(workers: int) -> list[tuple[str, str]]:
    """The suite as `make test` runs it (same workers); wall time, and the CPU time of every
    process it started, which a busy machine does not inflate as it does the wall time.
    `make bench` gives it the environment `make test` gives pytest (TEST_RUN_ENV)."""
    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--numprocesses",
            str(workers),
            "--dist",
            "loadscope",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    summary = (result.stdout.strip().splitlines() or ["?"])[-1]
    return [
        (
            f"pytest wall time (make test, {workers} workers)",
            f"{seconds:.0f} s  (target <= 60 s; {summary})",
        ),
        ("pytest CPU time, all processes", f"{cpu:.0f} s  on {os.cpu_count()} cores"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--no-pytest", action="store_true", help="skip timing the test suite")
    parser.add_argument("--workers", type=int, default=4, help="pytest-xdist workers, as make test")
    args = parser.parse_args()
    rows = check_figures(args.runs)
    if not args.no_pytest:
        rows += pytest_figures(args.workers)
    print_figures(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
