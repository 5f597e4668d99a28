"""A loopback HTTP server for tests: static files with Range support, faults, a simple index.

It binds 127.0.0.1 on a free port, counts requests and body bytes sent, and
can be told to answer some paths with an error status or to stall on them
(for timeout and Ctrl-C tests). Stalls are bounded so the server always stops.
With `ranges=False` it ignores Range headers and answers 200 with the whole
file, as `python -m http.server` and some proxies do. Bodies are written in
chunks and a client that hangs up early is counted for what it was sent, so
tests can tell a download that stopped early from a complete one.
"""

from __future__ import annotations

import http.server
import json
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
MAX_STALL_SECONDS = 30.0
WRITE_CHUNK_BYTES = 64 * 1024
SEND_BUFFER_BYTES = 64 * 1024
JSON_SIMPLE = "application/vnd.pypi.simple.v1+json"


@dataclass
class ServerState:
    root: Path
    failures: dict[str, int] = field(default_factory=dict)
    stalls: dict[str, float] = field(default_factory=dict)
    index: dict[str, list[str]] = field(default_factory=dict)
    honours_ranges: bool = True
    requests: list[str] = field(default_factory=list)
    bytes_sent: int = 0
    in_flight: int = 0
    lock: threading.Condition = field(default_factory=threading.Condition)

    def record_request(self, path: str) -> None:
        # Before the body is written: a client that has its answer finds its request listed
        # (recorded after, a test reading the list at once missed it about one run in five).
        with self.lock:
            self.requests.append(path)

    def record_sent(self, sent: int) -> None:
        with self.lock:
            self.bytes_sent += sent

    @contextmanager
    def answering(self) -> Iterator[None]:
        with self.lock:
            self.in_flight += 1
        try:
            yield
        finally:
            with self.lock:
                self.in_flight -= 1
                self.lock.notify_all()

    def wait_until_idle(self, timeout: float = MAX_STALL_SECONDS) -> None:
        """Wait for answers still being written, e.g. to a client that hung up early."""
        with self.lock:
            if not self.lock.wait_for(lambda: self.in_flight == 0, timeout):
                raise TimeoutError(f"the loopback server is still answering after {timeout}s")

    def reset_counters(self) -> None:
        with self.lock:
            self.requests.clear()
            self.bytes_sent = 0


class _Handler(http.server.BaseHTTPRequestHandler):
    state: ServerState  # set on the per-server subclass

    def setup(self) -> None:
        # A small send buffer keeps bytes_sent close to what the client read:
        # the kernel's default (megabytes on loopback) would hide an early hang-up.
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        super().setup()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read counters, not logs."""

    def _send(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.state.record_request(self.path)
        self.end_headers()
        sent = 0 if self.command == "HEAD" else self._write_until_hangup(body)
        self.state.record_sent(sent)

    def _write_until_hangup(self, body: bytes) -> int:
        """Write body in chunks; the bytes written before the client hung up."""
        sent = 0
        try:
            for start in range(0, len(body), WRITE_CHUNK_BYTES):
                chunk = body[start : start + WRITE_CHUNK_BYTES]
                self.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            # A client that closes after the part it needs: not a server error.
            self.close_connection = True
        return sent

    def _fault(self, path: str) -> bool:
        stall = self.state.stalls.get(path)
        if stall:
            time.sleep(min(stall, MAX_STALL_SECONDS))
        status = self.state.failures.get(path)
        if status:
            self._send(status, b"injected failure\n", {"Content-Type": "text/plain"})
            return True
        return False

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        with self.state.answering():
            self._answer(unquote(urlsplit(self.path).path))

    def _answer(self, path: str) -> None:
        if self._fault(path):
            return
        if path.startswith("/simple/"):
            self._simple(path)
            return
        target = (self.state.root / path.lstrip("/")).resolve()
        if self.state.root.resolve() not in target.parents or not target.is_file():
            self._send(404, b"not found\n", {"Content-Type": "text/plain"})
            return
        data = target.read_bytes()
        if not self.state.honours_ranges:
            # Like http.server: no Accept-Ranges, and a Range header is ignored.
            self._send(200, data, {"Content-Type": "application/octet-stream"})
            return
        headers = {"Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        match = _RANGE.match(self.headers.get("Range", ""))
        if not match:
            self._send(200, data, headers)
            return
        first, last = match.groups()
        if first:
            start, end = int(first), min(int(last) if last else len(data) - 1, len(data) - 1)
        else:
            start, end = max(len(data) - int(last), 0), len(data) - 1
        if start >= len(data) or start > end:
            self._send(416, b"", {"Content-Range": f"bytes */{len(data)}"})
            return
        headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        self._send(206, data[start : end + 1], headers)

    def _simple(self, path: str) -> None:
        name = path.removeprefix("/simple/").strip("/")
        versions = self.state.index.get(name)
        if versions is None:
            self._send(404, b"not found\n", {"Content-Type": "text/plain"})
            return
        filenames = [f"{name.replace('-', '_')}-{version}-py3-none-any.whl" for version in versions]
        if JSON_SIMPLE in self.headers.get("Accept", ""):
            files = [
                {"filename": filename, "url": filename, "hashes": {}} for filename in filenames
            ]
            body = json.dumps({"meta": {"api-version": "1.0"}, "name": name, "files": files})
            self._send(200, body.encode(), {"Content-Type": JSON_SIMPLE})
            return
        anchors = "".join(f'<a href="{filename}">{filename}</a>\n' for filename in filenames)
        self._send(
            200, f"<html><body>{anchors}</body></html>".encode(), {"Content-Type": "text/html"}
        )


class LoopbackServer:
    """A running server; `url` is its base, e.g. http://127.0.0.1:PORT."""

    def __init__(self, root: Path, *, ranges: bool = True) -> None:
        self.state = ServerState(root=root, honours_ranges=ranges)
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url_for(self, path: Path) -> str:
        return f"{self.url}/{path.relative_to(self.state.root).as_posix()}"

    def fail(self, path: Path | str, status: int = 500) -> None:
        self.state.failures[self._key(path)] = status

    def stall(self, path: Path | str, seconds: float) -> None:
        self.state.stalls[self._key(path)] = seconds

    def serve_index(self, packages: Mapping[str, Sequence[str]]) -> str:
        """Serve a simple index of name -> versions; returns its URL."""
        self.state.index.update({name: list(versions) for name, versions in packages.items()})
        return f"{self.url}/simple/"

    def _key(self, path: Path | str) -> str:
        if isinstance(path, Path):
            return "/" + path.relative_to(self.state.root).as_posix()
        return path

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def serving(root: Path, *, ranges: bool = True) -> Iterator[LoopbackServer]:
    """Serve root; with ranges=False, answer every GET with the whole file."""
    server = LoopbackServer(root, ranges=ranges).start()
    try:
        yield server
    finally:
        server.stop()
