"""A locked package's md5/sha256 checked against the bytes lockstep reads of it.

The lockfile's digest covers the whole file, so it is compared only where the
whole file was read anyway: a download a server sent whole, a file on disk, a
`.tar.bz2` stream that happened to reach its end. A range read of a `.conda`
fetches a few kilobytes of it: nothing is compared, and nothing more is read
to make a comparison possible (not downloading whole packages is the point).
The bytes are hashed as they pass, never read twice.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

from lockstep.shared.errors import InputError
from lockstep.shared.explicit_lockfile import LockedPackage

LOCAL_CHUNK_BYTES = 1024 * 1024


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class DigestMismatch(InputError):
    """The lockfile's digest of a package is not the digest of the package read.

    Bad input: the lockfile was edited, or the channel now serves other bytes under the
    locked name; either way that lockfile must be solved again. `lock` reuses a lockfile
    whose `# input_hash:` still matches, so the fix removes it first.
    """

    def __init__(self, package: LockedPackage, algorithm: str, actual: str) -> None:
        self.package = package
        self.filename = package.url.rsplit("/", 1)[-1]
        self.detail = (
            f"its {algorithm} in the lockfile does not match the package"
            f" ({package.sha256 or package.md5} locked, {actual} read from {package.url})"
        )
        super().__init__(f"{self.filename}: {self.detail}")

    def in_lockfile(self, name: str) -> InputError:
        """The same finding, naming the lockfile and the fix."""
        return InputError(
            f"{name}: {self.filename}: {self.detail}; delete {name} and run"
            " `make env-update` to solve it again"
        )


class PackageDigest:
    """One package's locked digest and the running digest of the bytes read of it."""

    def __init__(self, package: LockedPackage) -> None:
        self._package = package
        # conda-lock writes one digest per line: sha256 where the line has it, else md5.
        self.algorithm = "sha256" if package.sha256 else "md5"
        self._expected = package.sha256 or package.md5
        self._hash = hashlib.new(self.algorithm)
        self._whole = False

    def update(self, chunk: bytes) -> None:
        self._hash.update(chunk)

    def read_whole(self) -> None:
        """Every byte of the file has passed through update()."""
        self._whole = True

    def hash_local_file(self, path: Path) -> None:
        """A package on disk is hashed whole: a local read, no download."""
        with path.open("rb") as stream:
            while chunk := stream.read(LOCAL_CHUNK_BYTES):
                self._hash.update(chunk)
        self._whole = True

    def check(self) -> None:
        """DigestMismatch when the whole file was read and its digest is not the locked one."""
        if not self._whole or self._expected is None:
            return
        actual = self._hash.hexdigest()
        if actual != self._expected:
            raise DigestMismatch(self._package, self.algorithm, actual)


class HashingReader:
    """A front-to-back reader that feeds what it returns to a PackageDigest.

    The file counts as read whole once `size` bytes (the whole file's, when known: an
    HTTP body's Content-Length) have passed, or the stream reported its end; bz2 stops
    asking once its data ends, so the end itself is often never asked for.
    """

    def __init__(self, stream: _Readable, digest: PackageDigest, *, size: int | None) -> None:
        self._stream = stream
        self._digest = digest
        self._size = size
        self._passed = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        self._digest.update(data)
        self._passed += len(data)
        if (not data and size != 0) or (self._size is not None and self._passed >= self._size):
            self._digest.read_whole()
        return data
