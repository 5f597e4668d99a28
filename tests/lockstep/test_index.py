"""Which pins the package index lacks, asked over the simple API."""

from __future__ import annotations

import pytest

from lockstep.lock.index import missing_from_index
from lockstep.shared.errors import FetchError
from lockstep.shared.model import Pin
from tests.support.http_server import LoopbackServer, serving


def test_lists_pins_whose_version_or_name_is_absent(server: LoopbackServer) -> None:
    """It keeps pins the index has and lists the rest: unknown names and unknown versions."""
    index = server.serve_index({"numpy": ["2.1.3", "2.2.0"], "six": ["1.16.0"]})
    pins = [
        Pin("numpy", "2.1.3"),
        Pin("numpy", "2.0.0", "platform_machine == 'aarch64'"),
        Pin("six", "1.16"),
        Pin("conda-only-thing", "1.0"),
    ]

    missing = missing_from_index(pins, index_url=index)

    assert missing == [
        Pin("conda-only-thing", "1.0"),
        Pin("numpy", "2.0.0", "platform_machine == 'aarch64'"),
    ]
    assert sum(request.startswith("/simple/numpy") for request in server.state.requests) == 1


def test_reads_html_only_indexes(server: LoopbackServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """It understands a PEP 503 HTML page when the index does not answer in JSON."""
    index = server.serve_index({"six": ["1.16.0"]})
    monkeypatch.setattr("lockstep.lock.index.ACCEPT", "text/html")

    assert missing_from_index([Pin("six", "1.16.0"), Pin("six", "1.15.0")], index_url=index) == [
        Pin("six", "1.15.0")
    ]


def test_index_error_is_a_fetch_error(server: LoopbackServer) -> None:
    """It raises a FetchError naming the index URL when the index answers 500."""
    index = server.serve_index({"six": ["1.16.0"]})
    server.fail("/simple/six/", 500)

    with pytest.raises(FetchError, match=r"/simple/six/: cannot ask the package index"):
        missing_from_index([Pin("six", "1.16.0")], index_url=index)


def test_unreachable_index_is_a_fetch_error(tmp_path) -> None:
    """It raises a FetchError when nothing listens at the index address."""
    with serving(tmp_path) as stopped:
        url = stopped.url
    with pytest.raises(FetchError):
        missing_from_index([Pin("six", "1.16.0")], index_url=f"{url}/simple/", timeout=2)
