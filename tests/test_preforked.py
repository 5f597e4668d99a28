"""The stand-ins' commands forked from a server (tests/support/preforked.py) behave as
the processes they stand for: the command's arguments, directory, environment, umask,
streams, exit status and signals are the child's, and the child never outlives it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import preforked

PROBE = Path(__file__).resolve().parent / "support" / "process_probe.py"


@pytest.fixture(scope="module")
def server() -> Iterator[Path]:
    with preforked.serving(["tests.support.process_probe"]) as socket_path:
        yield socket_path


def probe(
    *args: str, socket_path: Path | None, cwd: Path | None = None, umask: int = -1
) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if key != preforked.SOCKET_VARIABLE}
    if socket_path is not None:
        env[preforked.SOCKET_VARIABLE] = str(socket_path)
    env["PROBE_VARIABLE"] = "from the command"
    return subprocess.Popen(
        [sys.executable, str(PROBE), *args],
        env=env,
        cwd=cwd,
        umask=umask,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("forked", [True, False], ids=["forked", "plain"])
def test_the_child_has_the_commands_directory_environment_streams_and_status(
    server: Path, tmp_path: Path, forked: bool
) -> None:
    command = probe(
        "report", "3", socket_path=server if forked else None, cwd=tmp_path, umask=0o027
    )
    stdout, stderr = command.communicate("what the caller wrote", timeout=60)

    assert command.returncode == 3
    report = json.loads(stdout)
    assert report["cwd"] == str(tmp_path)
    assert report["argv"] == [str(PROBE), "report", "3"]
    assert report["variable"] == "from the command"
    assert report["umask"] == 0o027
    assert report["stdin"] == "what the caller wrote"
    assert stderr == "a line on stderr\n"
    # Forked, main ran in another process than the command's; without a server, in it.
    assert (report["pid"] != command.pid) is forked


def _started_child(tmp_path: Path, server: Path) -> tuple[subprocess.Popen[str], int]:
    pidfile = tmp_path / "pid"
    command = probe("wait", str(pidfile), socket_path=server)
    deadline = time.monotonic() + 60
    while not pidfile.exists() or not pidfile.read_text():
        assert time.monotonic() < deadline and command.poll() is None, command.stderr
        time.sleep(0.02)
    return command, int(pidfile.read_text())


def _gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


def test_sigterm_to_the_command_reaches_the_childs_handler(server: Path, tmp_path: Path) -> None:
    command, child = _started_child(tmp_path, server)

    command.terminate()
    stdout, _ = command.communicate(timeout=60)

    assert stdout == "SIGTERM reached main\n"
    assert command.returncode == 128 + signal.SIGTERM
    assert _gone(child)


def test_ctrl_c_ends_the_child_and_the_command_as_python_ends(server: Path, tmp_path: Path) -> None:
    command, child = _started_child(tmp_path, server)

    command.send_signal(signal.SIGINT)
    _, stderr = command.communicate(timeout=60)

    # The child's traceback (in the probe's main), then killed by SIGINT, as python is.
    assert "KeyboardInterrupt" in stderr
    assert "time.sleep(0.1)" in stderr  # the line main waits on, in the probe
    assert command.returncode == -signal.SIGINT
    assert _gone(child)


def test_a_killed_command_takes_its_child_along(server: Path, tmp_path: Path) -> None:
    command, child = _started_child(tmp_path, server)

    command.kill()
    command.communicate(timeout=60)

    assert _gone(child)


def test_a_server_that_cannot_import_fails_its_commands_at_once(tmp_path: Path) -> None:
    """A broken preload is one error naming it, not a wait for a socket that never comes."""
    with preforked.serving(["tests.support.no_such_module"]) as socket_path:
        started = time.monotonic()
        command = probe("report", "0", socket_path=socket_path, cwd=tmp_path)
        _, stderr = command.communicate(timeout=60)

    assert command.returncode == 1
    assert "preforked: the server failed" in stderr
    assert "No module named 'tests.support.no_such_module'" in stderr
    assert time.monotonic() - started < preforked.READY_TIMEOUT_SECONDS


def test_a_failure_report_is_never_seen_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command polling for the report reads all of it or nothing (it once read an empty
    file, the server having opened but not yet written it)."""
    socket_path = tmp_path / "server.socket"
    report = preforked._failure_path(socket_path)
    seen_mid_write = []
    write_text = Path.write_text

    def write_in_two_parts(path: Path, text: str) -> int:
        write_text(path, text[:10])
        seen_mid_write.append(report.read_text() if report.exists() else None)
        return write_text(path, text)

    monkeypatch.setattr(Path, "write_text", write_in_two_parts)
    preforked._report_failure(socket_path, "Traceback: No module named 'x'\n")

    assert seen_mid_write == [None]
    assert report.read_text() == "Traceback: No module named 'x'\n"
