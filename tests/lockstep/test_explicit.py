"""Reading explicit conda lockfiles in conda-lock's format."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockstep.shared.errors import InputError
from lockstep.shared.explicit_lockfile import read_explicit_lockfile
from tests.support.conda_packages import explicit_lockfile_text

MD5 = "0123456789abcdef0123456789abcdef"


def test_reads_platform_hash_and_packages(tmp_path: Path) -> None:
    """It reads the platform, the input hash and each package's URL and md5."""
    path = tmp_path / "conda-linux-64.lock"
    path.write_text(
        explicit_lockfile_text(
            platform="linux-64",
            input_hash="abc123",
            urls_and_md5s=[("https://example.invalid/linux-64/numpy-2.1.3-h0_0.conda", MD5)],
        )
    )

    lock = read_explicit_lockfile(path)

    assert (lock.platform, lock.input_hash) == ("linux-64", "abc123")
    (package,) = lock.packages
    assert package.md5 == MD5
    assert package.url.endswith("numpy-2.1.3-h0_0.conda")
    assert package.cache_key == f"md5-{MD5}"


def test_accepts_sha256_fragments(tmp_path: Path) -> None:
    """It takes a `#sha256:` fragment as the package's identity."""
    digest = "ab" * 32
    path = tmp_path / "conda-linux-64.lock"
    path.write_text(
        f"# platform: linux-64\n@EXPLICIT\nhttps://x.invalid/a-1-0.conda#sha256:{digest}\n"
    )

    (package,) = read_explicit_lockfile(path).packages

    assert package.sha256 == digest
    assert package.cache_key == f"sha256-{digest}"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("# platform: linux-64\nhttps://x.invalid/a.conda#" + MD5 + "\n", "no @EXPLICIT"),
        ("@EXPLICIT\nhttps://x.invalid/a.conda#" + MD5 + "\n", "no '# platform:'"),
    ],
)
def test_malformed_lockfile_is_bad_input(tmp_path: Path, content: str, message: str) -> None:
    """It names the file and the fix when the lockfile is not an explicit one."""
    path = tmp_path / "conda-linux-64.lock"
    path.write_text(content)

    with pytest.raises(InputError, match=message) as raised:
        read_explicit_lockfile(path)

    assert str(path) in str(raised.value)
    assert "make env-update" in str(raised.value)


def test_missing_lockfile_is_bad_input(tmp_path: Path) -> None:
    """It points at the bootstrap when the lockfile does not exist."""
    with pytest.raises(InputError, match="make env-bootstrap"):
        read_explicit_lockfile(tmp_path / "conda-linux-64.lock")
