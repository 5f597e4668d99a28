"""A locked package's md5/sha256 against the bytes read of it, with real packages served
over loopback or read from disk.

Checked where the whole file is read anyway (a server ignoring Range, a file on
disk, a small `.tar.bz2` streamed to its end); never where only part of it is
(a `.conda` by ranges, a large `.tar.bz2` closed after its info/).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from lockstep.lock.package_info import distributions_by_platform
from lockstep.shared.errors import EXIT_BAD_INPUT, InputError
from lockstep.shared.explicit_lockfile import ExplicitLockfile, LockedPackage
from lockstep.shared.model import PythonDistribution
from tests.support.conda_packages import DistSpec, PackageSpec, build_package, md5_of
from tests.support.http_server import LoopbackServer, serving

LOCKFILE = "conda-linux-64.lock"
LARGE_PAYLOAD = 4_000_000
NUMPY = [PythonDistribution("numpy", "2.1.3")]
# Digests of other bytes, as an edited line would carry.
WRONG_MD5 = hashlib.md5(b"not the package").hexdigest()  # noqa: S324 - conda-lock's digest
WRONG_SHA256 = hashlib.sha256(b"not the package").hexdigest()


@pytest.fixture
def no_range_server(channel: Path) -> Iterator[LoopbackServer]:
    """A second server on the same channel that answers every GET with 200 and the whole file."""
    with serving(channel, ranges=False) as running:
        yield running


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def numpy(channel: Path, *, extension: str = ".conda", payload_bytes: int = 0) -> Path:
    spec = PackageSpec(
        "numpy",
        "2.1.3",
        dists=[DistSpec("numpy", "2.1.3")],
        extension=extension,
        payload_bytes=payload_bytes,
    )
    return build_package(spec, channel / "linux-64")


def lockfile(*packages: LockedPackage) -> ExplicitLockfile:
    return ExplicitLockfile(
        path=Path("/project") / LOCKFILE, platform="linux-64", input_hash=None, packages=packages
    )


def read(cache_dir: Path, *packages: LockedPackage) -> list[PythonDistribution]:
    return distributions_by_platform([lockfile(*packages)], cache_dir=cache_dir)["linux-64"]


# Each way lockstep reads a whole package file: (how it is reached, its format).
WHOLE_READS = {
    "conda from a server ignoring Range": ("no-range", ".conda"),
    "conda on disk": ("file", ".conda"),
    "tar.bz2 on disk": ("file", ".tar.bz2"),
    "small tar.bz2 streamed to its end": ("ranges", ".tar.bz2"),
}


def url_of(path: Path, route: str, server: LoopbackServer, no_range_server: LoopbackServer) -> str:
    if route == "file":
        return path.as_uri()
    return (no_range_server if route == "no-range" else server).url_for(path)


def cache_entries(cache_dir: Path) -> list[Path]:
    root = cache_dir / "packages"
    return sorted(root.iterdir()) if root.exists() else []


@pytest.mark.parametrize("read_whole", WHOLE_READS)
def test_a_wrong_md5_is_refused_naming_the_lockfile_and_the_package(
    channel: Path,
    server: LoopbackServer,
    no_range_server: LoopbackServer,
    cache_dir: Path,
    read_whole: str,
) -> None:
    """A whole file whose md5 is not the lockfile's: one line of bad input naming the
    lockfile, the package, both digests and the fix; nothing cached."""
    route, extension = WHOLE_READS[read_whole]
    path = numpy(channel, extension=extension)
    url = url_of(path, route, server, no_range_server)

    with pytest.raises(InputError) as raised:
        read(cache_dir, LockedPackage(url=url, md5=WRONG_MD5))

    message = str(raised.value)
    assert raised.value.exit_code == EXIT_BAD_INPUT
    assert message.startswith(
        f"{LOCKFILE}: {path.name}: its md5 in the lockfile does not match the package"
    )
    assert f"{WRONG_MD5} locked, {md5_of(path)} read from {url}" in message
    assert message.endswith(f"delete {LOCKFILE} and run `make env-update` to solve it again")
    assert "\n" not in message
    assert cache_entries(cache_dir) == []


@pytest.mark.parametrize("read_whole", WHOLE_READS)
def test_the_right_md5_passes(
    channel: Path,
    server: LoopbackServer,
    no_range_server: LoopbackServer,
    cache_dir: Path,
    read_whole: str,
) -> None:
    """The same whole read with the package's own md5 gives its distributions."""
    route, extension = WHOLE_READS[read_whole]
    path = numpy(channel, extension=extension)
    url = url_of(path, route, server, no_range_server)

    assert read(cache_dir, LockedPackage(url=url, md5=md5_of(path))) == NUMPY


@pytest.mark.parametrize("read_whole", WHOLE_READS)
def test_a_sha256_entry_is_checked_by_its_sha256(
    channel: Path,
    server: LoopbackServer,
    no_range_server: LoopbackServer,
    tmp_path: Path,
    read_whole: str,
) -> None:
    """A line carrying `#sha256:` (conda accepts it) is checked with sha256: the right
    one passes, another is refused naming sha256."""
    route, extension = WHOLE_READS[read_whole]
    path = numpy(channel, extension=extension)
    url = url_of(path, route, server, no_range_server)

    assert read(tmp_path / "right", LockedPackage(url=url, sha256=sha256_of(path))) == NUMPY
    with pytest.raises(InputError, match=r"its sha256 in the lockfile does not match") as raised:
        read(tmp_path / "wrong", LockedPackage(url=url, sha256=WRONG_SHA256))
    assert f"{WRONG_SHA256} locked, {sha256_of(path)} read from" in str(raised.value)


def test_a_range_read_is_not_checked(
    channel: Path, server: LoopbackServer, cache_dir: Path
) -> None:
    """A .conda read by ranges (a few kilobytes of 4 MB) cannot be checked against a hash
    of the whole file: a wrong md5 is not refused, and no more of the file is read."""
    path = numpy(channel, payload_bytes=LARGE_PAYLOAD)

    result = read(cache_dir, LockedPackage(url=server.url_for(path), md5=WRONG_MD5))
    server.state.wait_until_idle()

    assert result == NUMPY
    assert 0 < server.state.bytes_sent < 0.05 * path.stat().st_size


def test_a_tar_bz2_closed_after_its_info_is_not_checked(
    channel: Path, no_range_server: LoopbackServer, cache_dir: Path
) -> None:
    """A large .tar.bz2 is still closed once info/ (stored first) is read: a wrong md5 is
    not refused, since the rest of the file never arrived."""
    path = numpy(channel, extension=".tar.bz2", payload_bytes=LARGE_PAYLOAD)

    result = read(cache_dir, LockedPackage(url=no_range_server.url_for(path), md5=WRONG_MD5))
    no_range_server.state.wait_until_idle()

    assert result == NUMPY
    assert no_range_server.state.bytes_sent < 0.5 * path.stat().st_size


def test_a_cached_read_does_not_pass_an_edited_md5(
    channel: Path, no_range_server: LoopbackServer, cache_dir: Path
) -> None:
    """A package read and cached under its right md5 is read and checked again once the
    lockfile's md5 is edited; a refused read is refused again on the next run."""
    path = numpy(channel)
    url = no_range_server.url_for(path)
    assert read(cache_dir, LockedPackage(url=url, md5=md5_of(path))) == NUMPY

    for _ in range(2):
        with pytest.raises(InputError, match=r"its md5 in the lockfile does not match"):
            read(cache_dir, LockedPackage(url=url, md5=WRONG_MD5))


def copied_md5_lockfile(
    channel: Path, server: LoopbackServer
) -> tuple[LockedPackage, LockedPackage, Path]:
    """numpy's line, and a line for scipy carrying numpy's md5 (a hash copied by hand)."""
    numpy_path = numpy(channel)
    scipy_path = build_package(
        PackageSpec("scipy", "1.14.1", dists=[DistSpec("scipy", "1.14.1")]), channel / "linux-64"
    )
    numpy_line = LockedPackage(url=server.url_for(numpy_path), md5=md5_of(numpy_path))
    scipy_line = LockedPackage(url=server.url_for(scipy_path), md5=md5_of(numpy_path))
    return numpy_line, scipy_line, scipy_path


def test_a_hash_copied_from_another_line_is_not_answered_with_that_package(
    channel: Path, server: LoopbackServer, cache_dir: Path
) -> None:
    """Two lines with one md5 are two packages: each is read (a range read, unchecked) and
    gives its own distributions, in one run and from the cache."""
    numpy_line, scipy_line, _ = copied_md5_lockfile(channel, server)
    expected = [PythonDistribution("numpy", "2.1.3"), PythonDistribution("scipy", "1.14.1")]

    assert read(cache_dir, numpy_line, scipy_line) == expected
    assert read(cache_dir, numpy_line) == NUMPY
    assert read(cache_dir, scipy_line) == [PythonDistribution("scipy", "1.14.1")]


def test_a_hash_copied_from_another_line_is_refused_when_read_whole(
    channel: Path, no_range_server: LoopbackServer, cache_dir: Path
) -> None:
    """The same lockfile over a server ignoring Range: scipy is read whole and refused,
    though numpy's read under that md5 is already cached."""
    numpy_line, scipy_line, scipy_path = copied_md5_lockfile(channel, no_range_server)
    assert read(cache_dir, numpy_line) == NUMPY

    with pytest.raises(InputError, match=rf"^{LOCKFILE}: {scipy_path.name}: its md5 in the"):
        read(cache_dir, numpy_line, scipy_line)
