"""The lockfile an image build installs: the one of the target architecture, its locked
URLs under CONDA_MIRROR when one is set (the locked hashes still check every package).

The Dockerfile's deps stage runs it (docker/_install_conda_env.sh), so that the image and
lockstep's metadata fetch share one platform map (shared/platforms.py) and one mirror
rewrite (shared/settings.py). Standard library and lockstep only.

Usage: python -m lockstep.image_lockfile TARGETARCH LOCK_DIR
Prints the path of the file to give micromamba's --file; exit 1 with one line when
there is none.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lockstep.shared.platforms import DOCKER_ARCH_PLATFORMS
from lockstep.shared.settings import conda_mirror, fetch_url


class NoLockfileError(Exception):
    """No lockfile for the architecture: the message says what to do."""


def lockfile_for(arch: str, lock_dir: Path) -> Path:
    """The lockfile to install for `arch`, written mirrored beside it when CONDA_MIRROR is set."""
    platform = DOCKER_ARCH_PLATFORMS.get(arch)
    if platform is None:
        known = " or ".join(DOCKER_ARCH_PLATFORMS.values())
        raise NoLockfileError(f"unsupported architecture '{arch}': lock {known}")
    lockfile = lock_dir / f"conda-{platform}.lock"
    if not lockfile.is_file():
        raise NoLockfileError(
            f"no {lockfile.name}: add {platform} to platforms: in environment.yml,"
            " then make env-update"
        )
    if conda_mirror() is None:
        return lockfile
    mirrored = lock_dir / f"mirrored-{platform}.lock"
    lines = lockfile.read_text(encoding="utf-8").splitlines(keepends=True)
    mirrored.write_text("".join(_mirrored(line) for line in lines), encoding="utf-8")
    return mirrored


def _mirrored(line: str) -> str:
    body = line.rstrip("\r\n")
    return fetch_url(body) + line[len(body) :]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m lockstep.image_lockfile TARGETARCH LOCK_DIR", file=sys.stderr)
        return 2
    try:
        print(lockfile_for(argv[0], Path(argv[1])))
    except NoLockfileError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
