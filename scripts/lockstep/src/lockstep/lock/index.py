"""Which pins the package index cannot serve (conda-only or conda-rebuilt versions).

Poetry would fail to lock a pin the index lacks, so such pins are left out and
listed. Asked once per name through the simple API: PEP 691 JSON where the
index speaks it, PEP 503 HTML otherwise.
"""

from __future__ import annotations

import html.parser
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import requests
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from lockstep.shared import settings
from lockstep.shared.errors import FetchError
from lockstep.shared.model import Pin

JSON_SIMPLE = "application/vnd.pypi.simple.v1+json"
ACCEPT = f"{JSON_SIMPLE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"


class _AnchorTexts(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._in_anchor = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_anchor = tag == "a"

    def handle_endtag(self, tag: str) -> None:
        self._in_anchor = False

    def handle_data(self, data: str) -> None:
        if self._in_anchor and data.strip():
            self.texts.append(data.strip())


def _version_of(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None


def _filenames(response: requests.Response) -> list[str]:
    if response.headers.get("Content-Type", "").startswith(JSON_SIMPLE):
        return [entry["filename"] for entry in response.json().get("files", [])]
    parser = _AnchorTexts()
    parser.feed(response.text)
    return parser.texts


def available_versions(name: str, *, index_url: str, timeout: float) -> set[Version]:
    url = f"{index_url.rstrip('/')}/{name}/"
    try:
        response = requests.get(url, headers={"Accept": ACCEPT}, timeout=timeout)
        if response.status_code == 404:
            return set()
        response.raise_for_status()
        filenames = _filenames(response)
    except requests.RequestException as error:
        raise FetchError(f"{url}: cannot ask the package index ({error})") from None
    return {version for filename in filenames if (version := _version_of(filename)) is not None}


def missing_from_index(
    pins: Sequence[Pin],
    *,
    index_url: str = settings.DEFAULT_INDEX_URL,
    timeout: float = settings.DEFAULT_FETCH_TIMEOUT_SECONDS,
    workers: int = settings.DEFAULT_FETCH_WORKERS,
) -> list[Pin]:
    by_name: dict[str, list[Pin]] = defaultdict(list)
    for pin in pins:
        by_name[pin.name].append(pin)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        answers = pool.map(
            lambda name: available_versions(name, index_url=index_url, timeout=timeout), by_name
        )
        available = dict(zip(by_name, answers, strict=True))
    return sorted(
        pin
        for name, named in by_name.items()
        for pin in named
        if Version(pin.version) not in available[name]
    )
