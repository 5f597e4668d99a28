"""Benchmark lockstep's metadata fetch and `lockstep check`; prints figures, asserts nothing.

Builds realistic `.conda` packages (megabytes of incompressible payload, like
wheels and shared libraries, plus a dist-info), serves them on 127.0.0.1 with
HTTP range support, and measures what reading their Python distributions
costs cold (empty cache) and warm, then times `lockstep check` on this
repository's example project.

Run: make bench  (or .venvs/test/bin/python scripts/lockstep/benchmarks/bench_pins.py)
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO_ROOT))

from lockstep.explicit import read_explicit_lockfile  # noqa: E402
from lockstep.package_info import distributions_by_platform  # noqa: E402
from tests.support.conda_packages import (  # noqa: E402
    DistSpec,
    PackageSpec,
    build_package,
    write_explicit_lockfile,
)
from tests.support.http_server import serving  # noqa: E402

DEFAULT_PACKAGES = 60
MIN_PAYLOAD = 1_000_000
MAX_PAYLOAD = 6_000_000
CHECK_RUNS = 5


def build_channel(root: Path, count: int) -> list[Path]:
    sizes = random.Random(42)  # noqa: S311 - package sizes, not secrets
    packages = []
    for index in range(count):
        name = f"bench-pkg-{index:03d}"
        spec = PackageSpec(
            name,
            "1.0.0",
            dists=[DistSpec(name, "1.0.0")],
            payload_bytes=sizes.randint(MIN_PAYLOAD, MAX_PAYLOAD),
        )
        packages.append(build_package(spec, root / "linux-64"))
    return packages


def time_check() -> tuple[float, int]:
    timings = []
    code = 0
    for _ in range(CHECK_RUNS):
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "lockstep", "check", "--project", str(REPO_ROOT)],
            capture_output=True,
            check=False,
        )
        timings.append(time.perf_counter() - started)
        code = result.returncode
    return statistics.median(timings), code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=DEFAULT_PACKAGES)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        print(f"building {args.packages} .conda packages ...", file=sys.stderr, flush=True)
        packages = build_channel(root / "channel", args.packages)
        total_bytes = sum(path.stat().st_size for path in packages)
        with serving(root / "channel") as server:
            lockfile = write_explicit_lockfile(
                root / "conda-linux-64.lock",
                platform="linux-64",
                input_hash="bench",
                packages=packages,
                base_url=f"{server.url}/linux-64",
            )
            lock = read_explicit_lockfile(lockfile)

            started = time.perf_counter()
            cold = distributions_by_platform([lock], cache_dir=root / "cache")
            cold_seconds = time.perf_counter() - started
            cold_bytes, cold_requests = server.state.bytes_sent, len(server.state.requests)

            server.state.reset_counters()
            started = time.perf_counter()
            warm = distributions_by_platform([lock], cache_dir=root / "cache")
            warm_seconds = time.perf_counter() - started
            warm_requests = len(server.state.requests)
        if warm != cold or len(cold["linux-64"]) != args.packages:
            raise SystemExit("bench: the warm run disagrees with the cold one")

    check_seconds, check_code = time_check()
    rows = [
        ("packages", f"{args.packages}"),
        ("total package bytes", f"{total_bytes:,}"),
        ("bytes fetched (cold)", f"{cold_bytes:,}"),
        ("fetched / total", f"{100 * cold_bytes / total_bytes:.2f} %  (target <= 5 %)"),
        ("requests (cold)", f"{cold_requests}"),
        ("wall time cold", f"{cold_seconds:.2f} s"),
        ("wall time warm", f"{warm_seconds:.3f} s"),
        ("requests (warm)", f"{warm_requests}  (target 0)"),
        (
            "lockstep check, example project",
            f"{check_seconds:.2f} s median of {CHECK_RUNS}  (target < 1 s; exit {check_code})",
        ),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label.ljust(width)}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
