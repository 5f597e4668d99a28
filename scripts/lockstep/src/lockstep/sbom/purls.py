"""Package URLs (purl spec) of conda packages and PyPI distributions.

The conda type's qualifiers, as the purl spec defines them: build, channel, subdir and
type (the archive format, `conda` or `tar.bz2`).
"""

from __future__ import annotations

import urllib.parse
from typing import NamedTuple

from lockstep.shared.errors import InputError
from lockstep.shared.model import normalize_name
from lockstep.shared.settings import PUBLIC_CONDA_CHANNELS

CONDA_SUFFIXES = (".conda", ".tar.bz2")
# Channels there are named by their name (conda-forge); any other by its URL.
ANACONDA_HOST = urllib.parse.urlsplit(PUBLIC_CONDA_CHANNELS).hostname


class CondaFile(NamedTuple):
    """What a locked package's URL says about it: .../CHANNEL/SUBDIR/NAME-VERSION-BUILD.EXT."""

    name: str
    version: str
    build: str
    channel: str
    subdir: str
    archive: str


def conda_file(url: str) -> CondaFile:
    parsed = urllib.parse.urlparse(url)
    *channel_parts, subdir, filename = parsed.path.rstrip("/").split("/")
    archive = next((suffix for suffix in CONDA_SUFFIXES if filename.endswith(suffix)), None)
    stem_parts = filename[: -len(archive)].rsplit("-", 2) if archive else []
    if archive is None or len(stem_parts) != 3:
        raise InputError(
            f"{url}: not a conda package URL (CHANNEL/SUBDIR/NAME-VERSION-BUILD.conda)"
        )
    name, version, build = stem_parts
    channel_path = "/".join(channel_parts)
    # anaconda.org's channels by name (conda-forge), as conda itself names them; any other
    # channel by its URL, which is what identifies it.
    if parsed.hostname == ANACONDA_HOST and len(channel_parts) == 2:
        channel = channel_parts[-1]
    else:
        channel = urllib.parse.urlunparse(parsed._replace(path=channel_path, fragment=""))
    return CondaFile(name, version, build, channel, subdir, archive.lstrip("."))


def conda_purl(package: CondaFile) -> str:
    qualifiers = urllib.parse.urlencode(
        {
            "build": package.build,
            "channel": package.channel,
            "subdir": package.subdir,
            "type": package.archive,
        }
    )
    return f"pkg:conda/{_quote(package.name)}@{_quote(package.version)}?{qualifiers}"


def pypi_purl(name: str, version: str) -> str:
    return f"pkg:pypi/{_quote(normalize_name(name))}@{_quote(version)}"


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="")
