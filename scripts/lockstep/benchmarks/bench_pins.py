"""Benchmark lockstep's metadata fetch; prints figures, asserts nothing.

Builds realistic `.conda` packages (megabytes of incompressible payload, like
wheels and shared libraries, plus a dist-info), serves them on 127.0.0.1 with
HTTP range support, and measures what reading their Python distributions
costs cold (empty cache) and warm. It then reads some of them from a server
that ignores Range (as `python -m http.server` does), which must send whole
packages, and what checking their md5 costs where a whole file is read
(lock/package_digest.py). (`lockstep check` is timed by bench_check.py.)

Run: make bench  (or .venvs/test/bin/python scripts/lockstep/benchmarks/bench_pins.py)
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
# What the benchmarks share with lockstep's tests (never tests/ itself, which `make init`
# leaves out of a project).
sys.path.insert(0, str(REPO_ROOT / "scripts" / "lockstep" / "testing"))

from figures import print_figures  # noqa: E402  (beside this script)

from lockstep.lock.package_digest import PackageDigest  # noqa: E402
from lockstep.lock.package_info import distributions_by_platform  # noqa: E402
from lockstep.shared.explicit_lockfile import (  # noqa: E402
    ExplicitLockfile,
    LockedPackage,
    read_explicit_lockfile,
)
from lockstep.shared.model import PythonDistribution  # noqa: E402
from lockstep_testing.conda_packages import (  # noqa: E402
    DistSpec,
    PackageSpec,
    build_package,
    write_explicit_lockfile,
)
from lockstep_testing.http_server import serving  # noqa: E402

Distributions = dict[str, list[PythonDistribution]]

DEFAULT_PACKAGES = 60
# Whole files are read without ranges: a few packages show the cost without slowing the run.
DEFAULT_NO_RANGE_PACKAGES = 8
MIN_PAYLOAD = 1_000_000
MAX_PAYLOAD = 6_000_000


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


def package_name(path: Path) -> str:
    """bench-pkg-007 from bench-pkg-007-1.0.0-h0_0.conda (also the name of its dist)."""
    return path.name.rsplit("-", 2)[0]


def served_lockfile(root: Path, packages: list[Path], base_url: str) -> ExplicitLockfile:
    path = write_explicit_lockfile(
        root / "conda-linux-64.lock",
        platform="linux-64",
        input_hash="bench",
        packages=packages,
        base_url=base_url,
    )
    return read_explicit_lockfile(path)


def read_without_ranges(root: Path, packages: list[Path]) -> tuple[Distributions, int, float]:
    """Distributions, bytes sent and seconds, from a server that ignores Range (cold cache)."""
    with serving(root / "channel", ranges=False) as server:
        lock = served_lockfile(root, packages, f"{server.url}/linux-64")
        started = time.perf_counter()
        found = distributions_by_platform([lock], cache_dir=root / "cache-no-range")
        seconds = time.perf_counter() - started
        server.state.wait_until_idle()
        return found, server.state.bytes_sent, seconds


def md5_seconds(packages: list[Path]) -> float:
    """What hashing packages read whole adds: lockstep's own digest over each file."""
    started = time.perf_counter()
    for path in packages:
        PackageDigest(LockedPackage(url=path.as_uri(), md5="0" * 32)).hash_local_file(path)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=DEFAULT_PACKAGES)
    parser.add_argument("--no-range-packages", type=int, default=DEFAULT_NO_RANGE_PACKAGES)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        print(f"building {args.packages} .conda packages ...", file=sys.stderr, flush=True)
        packages = build_channel(root / "channel", args.packages)
        total_bytes = sum(path.stat().st_size for path in packages)
        with serving(root / "channel") as server:
            lock = served_lockfile(root, packages, f"{server.url}/linux-64")

            started = time.perf_counter()
            cold = distributions_by_platform([lock], cache_dir=root / "cache")
            cold_seconds = time.perf_counter() - started
            server.state.wait_until_idle()
            cold_bytes, cold_requests = server.state.bytes_sent, len(server.state.requests)

            server.state.reset_counters()
            started = time.perf_counter()
            warm = distributions_by_platform([lock], cache_dir=root / "cache")
            warm_seconds = time.perf_counter() - started
            warm_requests = len(server.state.requests)
        if warm != cold or len(cold["linux-64"]) != args.packages:
            raise SystemExit("bench: the warm run disagrees with the cold one")

        sample = packages[: max(1, args.no_range_packages)]
        sample_bytes = sum(path.stat().st_size for path in sample)
        no_range, no_range_bytes, no_range_seconds = read_without_ranges(root, sample)
        hash_seconds = md5_seconds(sample)
        sample_names = {package_name(path) for path in sample}
        expected = [dist for dist in cold["linux-64"] if dist.name in sample_names]
        if no_range["linux-64"] != expected:
            raise SystemExit("bench: the server ignoring Range gave other distributions")

    fetched_share = cold_bytes / total_bytes
    no_range_share = no_range_bytes / sample_bytes
    rows = [
        ("packages", f"{args.packages}"),
        ("total package bytes", f"{total_bytes:,}"),
        ("bytes fetched (cold)", f"{cold_bytes:,}"),
        ("fetched / total", f"{100 * fetched_share:.2f} %  (target <= 5 %)"),
        (
            "fetched / total, server ignoring Range",
            f"{100 * no_range_share:.2f} %  ({no_range_bytes:,} of {sample_bytes:,} bytes, for"
            f" {len(sample)} of the {args.packages} packages: a sample, as each is read whole)",
        ),
        (
            "ignoring Range / with Range",
            f"{no_range_share / fetched_share:,.0f} x the bytes fetched per package byte",
        ),
        ("requests (cold)", f"{cold_requests}"),
        ("wall time cold", f"{cold_seconds:.2f} s"),
        (
            "wall time cold, ignoring Range",
            f"{no_range_seconds:.2f} s  ({len(sample)} packages)",
        ),
        (
            "md5 of the whole files read without Range",
            f"{hash_seconds:.2f} s  ({sample_bytes / hash_seconds / 2**20:,.0f} MiB/s, one thread;"
            " range reads hash nothing)",
        ),
        ("wall time warm", f"{warm_seconds:.3f} s"),
        ("requests (warm)", f"{warm_requests}  (target 0)"),
    ]
    print_figures(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
