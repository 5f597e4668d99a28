"""Fetch the info/ part of locked conda packages, in parallel, cached by package hash.

Only `info/` is read: conda-package-streaming fetches it from a `.conda` with
HTTP range requests (the zip's directory, then the small info tarball). A
`.tar.bz2` is streamed from the start and closed as soon as its file list has
been read. A server that ignores Range (`python -m http.server`, some proxies)
answers 200 with the whole file: a `.conda` is then read from that answer,
through a temporary file, because a zip is read from its end (conda also stores info/ last, so
a front-to-back read needs the whole file anyway). The package hash in the
lockfile covers the whole file: it is checked where the whole file was read
(lock/package_digest.py), never by reading more. The cache key is that hash
together with the URL, so an edited hash is a new key, never a stale hit, and
a hash copied from another package's line never answers with that package.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import tempfile
import threading
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path
from typing import IO, Any

import requests
from conda_package_streaming import package_streaming
from conda_package_streaming.lazy_wheel import HTTPRangeRequestUnsupported
from conda_package_streaming.url import conda_reader_for_url

from lockstep.lock.conda_metadata import distributions_from_paths, paths_from_info
from lockstep.lock.package_digest import DigestMismatch, HashingReader, PackageDigest
from lockstep.shared import settings
from lockstep.shared.errors import FetchError
from lockstep.shared.explicit_lockfile import ExplicitLockfile, LockedPackage
from lockstep.shared.model import PythonDistribution

CACHE_FORMAT = 1
DOWNLOAD_CHUNK_BYTES = 256 * 1024


class _RangeIgnored(Exception):
    """The server answered a range request with 200: the response carries the whole file."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"{response.url}: the server ignored the Range header")
        self.response = response


class _FetchSession(requests.Session):
    """A session whose every request has a timeout (requests has no session-wide one).

    A 200 answer to a range request is raised as _RangeIgnored: conda-package-streaming
    would raise HTTPRangeRequestUnsupported for its first range request and leave the
    answer unread, and would write a later one's whole body at the range's offset.
    Raised here, the caller reads this very answer instead of downloading the file again.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout
        self.headers["User-Agent"] = "lockstep (conda-package-streaming)"

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self._timeout)
        response: requests.Response = super().request(method, url, *args, **kwargs)
        if response.status_code == 200 and "Range" in response.request.headers:
            raise _RangeIgnored(response)
        return response


def _downloaded_body(response: requests.Response, digest: PackageDigest) -> IO[bytes]:
    """The whole body in a seekable file (zipfile seeks), the response closed once read,
    every byte passed to digest.

    A real temporary file: Python 3.10's SpooledTemporaryFile lacks `seekable()`, which
    zipfile calls.
    """
    # Returned open, for the caller to read and close: hence no `with`.
    body = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        with closing(response):
            response.raise_for_status()
            for chunk in response.iter_content(chunk_size=DOWNLOAD_CHUNK_BYTES):
                digest.update(chunk)
                body.write(chunk)
        digest.read_whole()
    except BaseException:
        body.close()
        raise
    body.seek(0)
    return body


def read_key(package: LockedPackage) -> str:
    """What one read of a package is known by: its hash and its URL.

    The hash alone would let a line whose hash was copied from another line be answered
    with that other package's distributions, from the cache or from the same run.
    """
    url = hashlib.sha256(package.url.encode()).hexdigest()[:32]
    return f"{package.cache_key}-url-{url}"


def _body_size(response: requests.Response) -> int | None:
    """The file's size from Content-Length; None when unknown, or when the body is
    content-encoded (then the bytes on the wire are not the file's)."""
    if response.headers.get("Content-Encoding", "identity") != "identity":
        return None
    try:
        return int(response.headers["Content-Length"])
    except (KeyError, ValueError):
        return None


class MetadataCache:
    """One small JSON file per package hash; written atomically so readers never see half."""

    def __init__(self, root: Path) -> None:
        self.root = root / "packages"

    def _path(self, package: LockedPackage) -> Path:
        return self.root / f"{read_key(package)}.json"

    def get(self, package: LockedPackage) -> list[PythonDistribution] | None:
        try:
            data = json.loads(self._path(package).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("format") != CACHE_FORMAT:
            return None
        return [PythonDistribution(name, version) for name, version in data["distributions"]]

    def put(self, package: LockedPackage, distributions: Sequence[PythonDistribution]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": CACHE_FORMAT,
            "url": package.url,
            "distributions": [[dist.name, dist.version] for dist in distributions],
        }
        descriptor, temporary = tempfile.mkstemp(dir=self.root, suffix=".tmp")
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            json.dump(payload, stream)
        Path(temporary).replace(self._path(package))


class PackageReader:
    """Reads packages' file lists over http(s) or file://, one requests session per thread."""

    def __init__(self, *, timeout: float) -> None:
        self._timeout = timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = _FetchSession(self._timeout)
            self._local.session = session
        return session

    @contextmanager
    def _info_members(self, url: str, digest: PackageDigest) -> Iterator[Any]:
        parsed = urllib.parse.urlparse(url)
        filename = parsed.path.rsplit("/", 1)[-1]
        if parsed.scheme == "file":
            local = Path(urllib.request.url2pathname(parsed.path))
            digest.hash_local_file(local)
            with local.open("rb") as stream:
                yield package_streaming.stream_conda_info(filename, stream)
        elif filename.endswith(".tar.bz2"):
            # Checked here: conda-package-streaming would parse an error page as bz2.
            response = self._session().get(url, stream=True)
            try:
                response.raise_for_status()
                # Still closed early: the digest is checked only if the stream ran out.
                counted = HashingReader(response.raw, digest, size=_body_size(response))
                yield package_streaming.stream_conda_info(filename, counted)
            finally:
                response.close()
        else:
            with closing(self._open_conda(url, digest)) as conda:
                yield package_streaming.stream_conda_info(filename, conda)

    def _open_conda(self, url: str, digest: PackageDigest) -> Any:
        """A seekable reader of the .conda at url: lazily by ranges (digest unchecked),
        else the whole file (passed to digest)."""
        try:
            _, lazy_reader = conda_reader_for_url(url, session=self._session())
        except _RangeIgnored as ignored:
            return _downloaded_body(ignored.response, digest)
        except HTTPRangeRequestUnsupported:
            # The library's own check, for a non-206 answer the session lets through.
            return _downloaded_body(self._session().get(url, stream=True), digest)
        return lazy_reader

    def distributions(self, package: LockedPackage) -> list[PythonDistribution]:
        """Its distributions; DigestMismatch when its whole file was read and is not the
        one locked (checked after the parse: bytes that are no package at all, such as a
        proxy's error page, are a failed fetch, not a wrong lockfile)."""
        digest = PackageDigest(package)
        try:
            with self._info_members(settings.fetch_url(package.url), digest) as members:
                try:
                    paths = paths_from_info(members)
                finally:
                    members.close()
        except requests.Timeout:
            raise FetchError(
                f"{package.url}: no answer within {self._timeout:g}s; retry, or check the mirror"
            ) from None
        except requests.HTTPError as error:
            status = error.response.status_code if error.response is not None else "?"
            raise FetchError(f"{package.url}: HTTP {status} while reading its metadata") from None
        except (
            requests.RequestException,
            OSError,
            ValueError,
            LookupError,
            zipfile.BadZipFile,
            tarfile.TarError,
        ) as error:
            raise FetchError(f"{package.url}: cannot read its metadata ({error})") from None
        digest.check()
        return distributions_from_paths(paths)


def distributions_by_platform(
    lockfiles: Sequence[ExplicitLockfile],
    *,
    cache_dir: Path | None = None,
    workers: int = settings.DEFAULT_FETCH_WORKERS,
    timeout: float = settings.DEFAULT_FETCH_TIMEOUT_SECONDS,
) -> dict[str, list[PythonDistribution]]:
    """Each platform's Python distributions; a package shared by platforms is read once.

    A package whose whole file was read and is not the one locked is bad input naming
    the first lockfile that lists it (DigestMismatch.in_lockfile).
    """
    cache = MetadataCache(cache_dir if cache_dir is not None else settings.cache_dir())
    unique = {read_key(package): package for lock in lockfiles for package in lock.packages}
    found: dict[str, list[PythonDistribution]] = {}
    missing = []
    for key, package in unique.items():
        cached = cache.get(package)
        if cached is None:
            missing.append(package)
        else:
            found[key] = cached
    if missing:
        reader = PackageReader(timeout=timeout)
        pool = ThreadPoolExecutor(max_workers=max(1, workers))
        try:
            for package, dists in zip(
                missing, pool.map(reader.distributions, missing), strict=True
            ):
                cache.put(package, dists)
                found[read_key(package)] = dists
        except DigestMismatch as mismatch:
            name = next(lock.path.name for lock in lockfiles if mismatch.package in lock.packages)
            raise mismatch.in_lockfile(name) from None
        finally:
            # On a failure or Ctrl-C, do not wait for the other downloads to finish.
            pool.shutdown(wait=False, cancel_futures=True)
    return {
        lock.platform: sorted({dist for pkg in lock.packages for dist in found[read_key(pkg)]})
        for lock in lockfiles
    }
