"""Reading packages' info/ from a channel server that ignores HTTP Range requests.

`python -m http.server` and some proxies answer a Range request with 200 and
the whole file; lockstep must then read the package from the start.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conda_package_streaming.lazy_wheel import HTTPRangeRequestUnsupported

from lockstep.lock import package_info
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
    write_explicit_lockfile,
)
from tests.support.http_server import LoopbackServer, serving
from tests.support.in_process import run_lockstep

LARGE_PAYLOAD = 4_000_000


@pytest.fixture
def no_range_server(channel: Path) -> Iterator[LoopbackServer]:
    """A second server on the same channel that answers every GET with 200 and the whole file."""
    with serving(channel, ranges=False) as running:
        yield running


def lockfile_for(urls_and_paths: list[tuple[str, Path]]) -> ExplicitLockfile:
    packages = tuple(LockedPackage(url=url, md5=md5_of(path)) for url, path in urls_and_paths)
    return ExplicitLockfile(
        path=Path("conda-linux-64.lock"), platform="linux-64", input_hash=None, packages=packages
    )


def read_from(
    server: LoopbackServer, packages: list[Path], cache_dir: Path
) -> dict[str, list[PythonDistribution]]:
    lock = lockfile_for([(server.url_for(path), path) for path in packages])
    return distributions_by_platform([lock], cache_dir=cache_dir)


def package_requests(server: LoopbackServer, package: Path) -> list[str]:
    server.state.wait_until_idle()
    return [request for request in server.state.requests if request.endswith(package.name)]


@pytest.mark.parametrize("extension", [".conda", ".tar.bz2"])
def test_reads_the_same_distributions_when_the_server_ignores_range(
    channel: Path,
    server: LoopbackServer,
    no_range_server: LoopbackServer,
    tmp_path: Path,
    extension: str,
) -> None:
    """It finds the same distributions as with range requests when the server ignores Range."""
    packages = build_mixed_channel(channel, extension)

    with_ranges = read_from(server, packages, tmp_path / "cache-ranges")
    without_ranges = read_from(no_range_server, packages, tmp_path / "cache-no-ranges")

    assert without_ranges == with_ranges
    assert with_ranges == {
        "linux-64": [
            PythonDistribution("pyyaml", "6.0.2"),
            PythonDistribution("torch", "2.5.1"),
            PythonDistribution("typing-extensions", "4.12.2"),
        ]
    }


def test_reads_a_conda_with_one_whole_download_when_the_server_ignores_range(
    channel: Path, no_range_server: LoopbackServer, cache_dir: Path
) -> None:
    """It reads the 200 answer to its first range request; the package is sent once, not twice."""
    path = build_package(
        PackageSpec(
            "numpy", "2.1.3", dists=[DistSpec("numpy", "2.1.3")], payload_bytes=LARGE_PAYLOAD
        ),
        channel / "linux-64",
    )

    result = read_from(no_range_server, [path], cache_dir)

    assert result == {"linux-64": [PythonDistribution("numpy", "2.1.3")]}
    assert package_requests(no_range_server, path) == ["/linux-64/numpy-2.1.3-h0_0.conda"]
    assert no_range_server.state.bytes_sent == path.stat().st_size


def test_stops_a_tar_bz2_download_after_its_info_when_the_server_ignores_range(
    channel: Path, no_range_server: LoopbackServer, cache_dir: Path
) -> None:
    """It closes the whole-file answer for a .tar.bz2 once info/ (stored first) has been read."""
    path = build_package(
        PackageSpec(
            "numpy",
            "2.1.3",
            dists=[DistSpec("numpy", "2.1.3")],
            payload_bytes=LARGE_PAYLOAD,
            extension=".tar.bz2",
        ),
        channel / "linux-64",
    )

    result = read_from(no_range_server, [path], cache_dir)

    assert result == {"linux-64": [PythonDistribution("numpy", "2.1.3")]}
    assert package_requests(no_range_server, path) == ["/linux-64/numpy-2.1.3-h0_0.tar.bz2"]
    assert no_range_server.state.bytes_sent < 0.5 * path.stat().st_size


def test_falls_back_to_a_plain_download_when_the_library_reports_no_range_support(
    channel: Path, server: LoopbackServer, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It downloads the .conda from the start when conda-package-streaming refuses the server."""
    path = build_package(
        PackageSpec("numpy", "2.1.3", dists=[DistSpec("numpy", "2.1.3")]), channel / "linux-64"
    )

    def refuse(url: str, **kwargs: Any) -> Any:
        raise HTTPRangeRequestUnsupported("range request is not supported")

    monkeypatch.setattr(package_info, "conda_reader_for_url", refuse)

    result = read_from(server, [path], cache_dir)

    assert result == {"linux-64": [PythonDistribution("numpy", "2.1.3")]}
    assert package_requests(server, path) == ["/linux-64/numpy-2.1.3-h0_0.conda"]
    assert server.state.bytes_sent == path.stat().st_size


def test_a_non_package_answer_is_a_fetch_error_when_the_server_ignores_range(
    channel: Path, no_range_server: LoopbackServer, cache_dir: Path
) -> None:
    """It raises one FetchError naming the URL when a whole-file answer is not a zip."""
    path = channel / "linux-64" / "numpy-2.1.3-h0_0.conda"
    path.write_bytes(b"<html>mirror maintenance</html>\n")

    with pytest.raises(FetchError, match=r"numpy-2\.1\.3-h0_0\.conda: cannot read its metadata"):
        read_from(no_range_server, [path], cache_dir)


def pins(lockfile: Path, cache_dir: Path) -> subprocess.CompletedProcess[str]:
    return run_lockstep(
        ["pins", "--lockfile", str(lockfile)],
        env={"LOCKSTEP_CACHE_DIR": str(cache_dir), "PATH": "/usr/bin:/bin"},
    )


def test_pins_command_prints_the_same_pins_when_the_server_ignores_range(
    tmp_path: Path, channel: Path, server: LoopbackServer, no_range_server: LoopbackServer
) -> None:
    """`lockstep pins` exits 0 without a traceback, with the same pins, when Range is ignored."""
    packages = [
        *build_mixed_channel(channel, ".conda"),
        build_package(
            PackageSpec("numpy", "2.1.3", dists=[DistSpec("numpy", "2.1.3")], extension=".tar.bz2"),
            channel / "linux-64",
        ),
    ]
    results = {}
    for label, running in (("ranges", server), ("no-ranges", no_range_server)):
        lockfile = write_explicit_lockfile(
            tmp_path / f"{label}-conda-linux-64.lock",
            platform="linux-64",
            input_hash="h",
            packages=packages,
            base_url=f"{running.url}/linux-64",
        )
        results[label] = pins(lockfile, tmp_path / f"cache-{label}")

    without_ranges = results["no-ranges"]
    assert without_ranges.returncode == 0, without_ranges.stderr
    assert "Traceback" not in without_ranges.stderr
    assert without_ranges.stdout == results["ranges"].stdout
    assert without_ranges.stdout.splitlines() == [
        "numpy==2.1.3",
        "pyyaml==6.0.2",
        "torch==2.5.1",
        "typing-extensions==4.12.2",
    ]
