"""Reading the distributions conda packages install, from their info/ only."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockstep.lock.package_info import distributions_by_platform
from lockstep.shared.errors import FetchError
from lockstep.shared.explicit_lockfile import ExplicitLockfile, LockedPackage
from lockstep.shared.model import PythonDistribution
from tests.support.conda_packages import (
    DistSpec,
    PackageSpec,
    build_mixed_channel,
    build_package,
    md5_of,
)
from tests.support.http_server import LoopbackServer


def lockfile_for(platform: str, urls_and_paths: list[tuple[str, Path]]) -> ExplicitLockfile:
    packages = tuple(LockedPackage(url=url, md5=md5_of(path)) for url, path in urls_and_paths)
    return ExplicitLockfile(
        path=Path(f"conda-{platform}.lock"), platform=platform, input_hash=None, packages=packages
    )


@pytest.mark.parametrize("extension", [".conda", ".tar.bz2"])
def test_reads_real_names_over_http(
    channel: Path, server: LoopbackServer, cache_dir: Path, extension: str
) -> None:
    """It finds `torch` in conda's `pytorch`, a noarch dist and an egg-info, in both formats."""
    built = build_mixed_channel(channel, extension)

    result = distributions_by_platform(
        [lockfile_for("linux-64", [(server.url_for(path), path) for path in built])],
        cache_dir=cache_dir,
    )

    assert result == {
        "linux-64": [
            PythonDistribution("pyyaml", "6.0.2"),
            PythonDistribution("torch", "2.5.1"),
            PythonDistribution("typing-extensions", "4.12.2"),
        ]
    }


def test_reads_file_urls(channel: Path, cache_dir: Path) -> None:
    """It reads packages given as file:// URLs."""
    path = build_package(
        PackageSpec("numpy", "2.1.3", dists=[DistSpec("numpy", "2.1.3")]), channel / "linux-64"
    )

    result = distributions_by_platform(
        [lockfile_for("linux-64", [(path.as_uri(), path)])], cache_dir=cache_dir
    )

    assert result == {"linux-64": [PythonDistribution("numpy", "2.1.3")]}


def test_fetches_only_the_info_part_of_a_large_conda(
    channel: Path, server: LoopbackServer, cache_dir: Path
) -> None:
    """It reads a few kilobytes of a 4 MB .conda package, using range requests."""
    path = build_package(
        PackageSpec("numpy", "2.1.3", dists=[DistSpec("numpy", "2.1.3")], payload_bytes=4_000_000),
        channel / "linux-64",
    )

    distributions_by_platform(
        [lockfile_for("linux-64", [(server.url_for(path), path)])], cache_dir=cache_dir
    )
    server.state.wait_until_idle()

    assert 0 < server.state.bytes_sent < 0.05 * path.stat().st_size


def test_warm_cache_makes_no_request(
    channel: Path, server: LoopbackServer, cache_dir: Path
) -> None:
    """It answers a second run from the cache, with zero requests."""
    path = build_package(
        PackageSpec("numpy", "2.1.3", dists=[DistSpec("numpy", "2.1.3")]), channel / "linux-64"
    )
    lock = lockfile_for("linux-64", [(server.url_for(path), path)])
    cold = distributions_by_platform([lock], cache_dir=cache_dir)
    server.state.wait_until_idle()
    server.state.reset_counters()

    warm = distributions_by_platform([lock], cache_dir=cache_dir)

    assert warm == cold
    assert server.state.requests == []


def test_shared_package_is_fetched_once(
    channel: Path, server: LoopbackServer, cache_dir: Path
) -> None:
    """It reads a noarch package listed by two platforms once, and gives it to both."""
    path = build_package(
        PackageSpec("six", "1.16.0", noarch=True, dists=[DistSpec("six", "1.16.0")]),
        channel / "noarch",
    )
    entry = [(server.url_for(path), path)]

    result = distributions_by_platform(
        [lockfile_for("linux-64", entry), lockfile_for("linux-aarch64", entry)],
        cache_dir=cache_dir,
        workers=1,
    )
    server.state.wait_until_idle()

    assert result["linux-64"] == result["linux-aarch64"] == [PythonDistribution("six", "1.16.0")]
    conda_reads = {request for request in server.state.requests if request.endswith(".conda")}
    assert conda_reads == {"/noarch/six-1.16.0-h0_0.conda"}


@pytest.mark.parametrize("extension", [".conda", ".tar.bz2"])
def test_server_error_names_the_package(
    channel: Path, server: LoopbackServer, cache_dir: Path, extension: str
) -> None:
    """It raises one FetchError naming the URL and the status when the server answers 500."""
    path = build_package(PackageSpec("numpy", "2.1.3", extension=extension), channel / "linux-64")
    server.fail(path, 500)

    with pytest.raises(FetchError, match=r"numpy-2\.1\.3-h0_0.*HTTP 500"):
        distributions_by_platform(
            [lockfile_for("linux-64", [(server.url_for(path), path)])], cache_dir=cache_dir
        )

    assert not (cache_dir / "packages").exists() or not any((cache_dir / "packages").iterdir())


def test_timeout_names_the_package(channel: Path, server: LoopbackServer, cache_dir: Path) -> None:
    """It gives up after the timeout with a FetchError naming the URL."""
    path = build_package(PackageSpec("numpy", "2.1.3"), channel / "linux-64")
    server.stall(path, 3.0)

    with pytest.raises(FetchError, match=r"numpy-2\.1\.3-h0_0\.conda: no answer within 0\.5s"):
        distributions_by_platform(
            [lockfile_for("linux-64", [(server.url_for(path), path)])],
            cache_dir=cache_dir,
            timeout=0.5,
        )
