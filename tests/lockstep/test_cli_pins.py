"""`lockstep pins`, run as a command."""

from __future__ import annotations

import subprocess
from pathlib import Path

from lockstep.shared.errors import EXIT_LOCK_FAILED
from tests.support.conda_packages import (
    DistSpec,
    PackageSpec,
    build_package,
    write_explicit_lockfile,
)
from tests.support.http_server import LoopbackServer
from tests.support.in_process import run_lockstep
from tests.support.real_markers import real_marker


def lockstep(*args: str, env_cache: Path) -> subprocess.CompletedProcess[str]:
    return run_lockstep(args, env={"LOCKSTEP_CACHE_DIR": str(env_cache), "PATH": "/usr/bin:/bin"})


def test_prints_sorted_pins_with_markers(
    tmp_path: Path, channel: Path, server: LoopbackServer, cache_dir: Path
) -> None:
    """It prints one PEP 503 pin per line, with markers where platforms differ."""
    x86 = [
        build_package(
            PackageSpec("pytorch", "2.5.1", dists=[DistSpec("torch", "2.5.1")]),
            channel / "linux-64",
        ),
        build_package(
            PackageSpec("numpy", "2.1.3", dists=[DistSpec("numpy", "2.1.3")]), channel / "linux-64"
        ),
    ]
    arm = [
        build_package(
            PackageSpec(
                "pytorch", "2.4.0", subdir="linux-aarch64", dists=[DistSpec("torch", "2.4.0")]
            ),
            channel / "linux-aarch64",
        ),
        build_package(
            PackageSpec(
                "numpy", "2.1.3", subdir="linux-aarch64", dists=[DistSpec("numpy", "2.1.3")]
            ),
            channel / "linux-aarch64",
        ),
    ]
    first = write_explicit_lockfile(
        tmp_path / "conda-linux-64.lock",
        platform="linux-64",
        input_hash="h",
        packages=x86,
        base_url=f"{server.url}/linux-64",
    )
    second = write_explicit_lockfile(
        tmp_path / "conda-linux-aarch64.lock",
        platform="linux-aarch64",
        input_hash="h",
        packages=arm,
        base_url=(channel / "linux-aarch64").as_uri(),
    )

    result = lockstep(
        "pins", "--lockfile", str(first), "--lockfile", str(second), env_cache=cache_dir
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "numpy==2.1.3",
        f"torch==2.4.0 ; {real_marker('linux-aarch64')}",
        f"torch==2.5.1 ; {real_marker('linux-64')}",
    ]


def test_unreadable_package_exits_1_with_one_line(
    tmp_path: Path, channel: Path, server: LoopbackServer, cache_dir: Path
) -> None:
    """It exits 1 with one error line naming the package when its metadata answers 500."""
    package = build_package(PackageSpec("numpy", "2.1.3"), channel / "linux-64")
    server.fail(package, 500)
    lock = write_explicit_lockfile(
        tmp_path / "conda-linux-64.lock",
        platform="linux-64",
        input_hash="h",
        packages=[package],
        base_url=f"{server.url}/linux-64",
    )

    result = lockstep("pins", "--lockfile", str(lock), env_cache=cache_dir)

    assert result.returncode == EXIT_LOCK_FAILED
    assert result.stderr.count("\n") == 1
    assert "numpy-2.1.3-h0_0.conda: HTTP 500" in result.stderr


def test_missing_lockfile_exits_2(tmp_path: Path, cache_dir: Path) -> None:
    """It exits 2 naming the missing file."""
    result = lockstep("pins", "--lockfile", str(tmp_path / "nope.lock"), env_cache=cache_dir)

    assert result.returncode == 2
    assert "nope.lock: no such lockfile" in result.stderr
