"""Start the stand-ins' processes forked from an interpreter that has imported conda-lock already.

A stand-in process (standin_conda_lock.py, standin_micromamba.py) spends most of its
CPU importing conda-lock, about 0.9 s; the suite starts some forty of them. Each
pytest worker keeps one server (`serving`) that imports those modules once. A
stand-in's command, when $LOCKSTEP_TEST_PREFORK_SOCKET names a server, hands it
its arguments, environment, working directory, umask and stdin/stdout/stderr; the
server forks a child that runs the stand-in's `main` with them, as the command's
own process would. The command stays the process its caller started and waits
for: it forwards SIGINT, SIGTERM and SIGHUP to the child and exits as the child
did (its exit code, or killed by the same signal). If the command dies without
forwarding (SIGKILL), the child kills itself.

Without the variable, the command runs `main` itself: the plain process path,
which tests/lockstep/test_standins.py runs.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

SOCKET_VARIABLE = "LOCKSTEP_TEST_PREFORK_SOCKET"
REPO_ROOT = Path(__file__).resolve().parents[2]
MAX_MESSAGE = 1 << 20
STANDARD_STREAMS = (0, 1, 2)
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
READY_TIMEOUT_SECONDS = 120.0
# How often the server looks whether the pytest worker that started it is gone.
PARENT_POLL_SECONDS = 1.0

Main = Callable[[list[str]], int]


# ---------------------------------------------------------------- the command's side


def run_main(module: str, main: Main, argv: list[str]) -> int:
    """`main(argv)` in a child of the server named by $LOCKSTEP_TEST_PREFORK_SOCKET, or here."""
    path = os.environ.get(SOCKET_VARIABLE)
    if not path:
        return main(argv)
    connection = _connect(Path(path))
    request = {
        "module": module,
        "argv": argv,
        "argv0": sys.argv[0],
        "cwd": str(Path.cwd()),
        "env": dict(os.environ),
        "umask": _current_umask(),
    }
    streams = [_open_or_null(fd) for fd in STANDARD_STREAMS]
    socket.send_fds(connection, [json.dumps(request).encode()], streams)
    child = json.loads(connection.recv(MAX_MESSAGE))["pid"]
    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, lambda received, _frame: _forward(child, received))
    reply = connection.recv(MAX_MESSAGE)
    if not reply:
        raise RuntimeError(f"preforked: the server at {path} ended before its child did")
    status = int(json.loads(reply)["status"])
    if status < 0:  # killed by a signal: end the same way
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    return status


def _forward(child: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has ended already
        os.kill(child, signum)


def _connect(path: Path) -> socket.socket:
    """The server's socket; it appears once the server has imported its modules."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            connection.connect(str(path))
            return connection
        except (FileNotFoundError, ConnectionRefusedError):
            connection.close()
            failure = _failure_path(path)
            if failure.exists():
                raise RuntimeError(
                    f"preforked: the server failed:\n{failure.read_text()}"
                ) from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _failure_path(socket_path: Path) -> Path:
    return socket_path.with_name(socket_path.name + ".failed")


def _report_failure(socket_path: Path, text: str) -> None:
    """What commands waiting for the socket read instead, at once; written aside and renamed,
    so that none reads it half-written."""
    failure = _failure_path(socket_path)
    written = failure.with_name(failure.name + ".partial")
    written.write_text(text)
    written.replace(failure)


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _open_or_null(fd: int) -> int:
    try:
        os.fstat(fd)
    except OSError:
        return os.open(os.devnull, os.O_RDWR)
    return fd


# ---------------------------------------------------------------- the server's side


def serve(socket_path: Path, modules: Sequence[str]) -> None:
    """Import `modules`, then fork a child for each command that connects."""
    try:
        for name in modules:
            importlib.import_module(name)
    except BaseException:
        _report_failure(socket_path, traceback.format_exc())
        raise
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    binding = socket_path.with_name(socket_path.name + ".binding")
    listener.bind(str(binding))
    listener.listen(64)
    # Commands wait for the path: it appears only once the imports are done.
    binding.replace(socket_path)
    listener.settimeout(PARENT_POLL_SECONDS)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped by the kernel
    while os.getppid() == parent:
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                _supervise(connection)
            finally:
                os._exit(0)
        connection.close()


def _supervise(connection: socket.socket) -> None:
    """Fork the command's child, tell the command its pid, then how it ended."""
    connection.settimeout(None)
    message, fds, _, _ = socket.recv_fds(connection, MAX_MESSAGE, len(STANDARD_STREAMS))
    request = json.loads(message)
    child = os.fork()
    if child == 0:
        _run_child(request, fds, connection)
    for fd in fds:
        os.close(fd)
    connection.send(json.dumps({"pid": child}).encode())
    _, status = os.waitpid(child, 0)
    with contextlib.suppress(OSError):  # the command may be gone (killed)
        connection.send(json.dumps({"status": os.waitstatus_to_exitcode(status)}).encode())


def _run_child(request: dict[str, Any], fds: list[int], connection: socket.socket) -> NoReturn:
    """Become the command's process: its streams, directory, environment; then its `main`."""
    code = 1
    try:
        for target, fd in zip(STANDARD_STREAMS, fds, strict=True):
            os.dup2(fd, target)
        for fd in set(fds) - set(STANDARD_STREAMS):
            os.close(fd)
        os.chdir(request["cwd"])
        os.umask(request["umask"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [request["argv0"], *request["argv"]]
        _fresh_standard_streams()
        _fresh_signal_handlers()
        threading.Thread(target=_die_with_the_command, args=(connection,), daemon=True).start()
        main: Main = importlib.import_module(request["module"]).main
        code = _exit_code(main(list(request["argv"])))
    except SystemExit as done:
        code = _exit_code(done.code)
    except KeyboardInterrupt:
        # As the interpreter ends on an unhandled Ctrl-C: a traceback, then killed by SIGINT.
        traceback.print_exc()
        _flush_and_run_exit_handlers()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:
        traceback.print_exc()
        code = 1
    _flush_and_run_exit_handlers()
    os._exit(code)


def _exit_code(value: object) -> int:
    """The exit status `SystemExit(value)` gives a Python process."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF
    print(value, file=sys.stderr)
    return 1


def _fresh_standard_streams() -> None:
    """Streams on the command's descriptors, buffered as a new interpreter's would be."""
    encoding, _, errors = (os.environ.get("PYTHONIOENCODING") or "utf-8").partition(":")
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    sys.stdin = io.TextIOWrapper(open(0, "rb", closefd=False), encoding, errors or "strict")  # noqa: SIM115
    for fd, name in ((1, "stdout"), (2, "stderr")):
        binary = open(fd, "wb", closefd=False)  # noqa: SIM115
        stream = io.TextIOWrapper(
            binary,
            encoding,
            errors or ("backslashreplace" if name == "stderr" else "strict"),
            line_buffering=name == "stderr" or binary.isatty(),
            write_through=unbuffered,
        )
        setattr(sys, name, stream)


def _fresh_signal_handlers() -> None:
    """The dispositions a new interpreter starts with (the server's own are not the command's)."""
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)


def _die_with_the_command(connection: socket.socket) -> None:
    """The command never sends after its request: end of file means it was killed."""
    with contextlib.suppress(OSError):
        connection.recv(1)
    os.kill(os.getpid(), signal.SIGKILL)


def _flush_and_run_exit_handlers() -> None:
    with contextlib.suppress(Exception):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


# ---------------------------------------------------------------- starting a server


@contextlib.contextmanager
def serving(modules: Sequence[str]) -> Iterator[Path]:
    """A server importing `modules` in the background; its socket's path (there once ready)."""
    with tempfile.TemporaryDirectory(prefix="lockstep-prefork-") as scratch:
        socket_path = Path(scratch) / "server"
        log = Path(scratch) / "server.log"
        with log.open("wb") as output:
            server = subprocess.Popen(
                [sys.executable, "-m", "tests.support.preforked", str(socket_path), *modules],
                cwd=REPO_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            )
        try:
            yield socket_path
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    serve(Path(sys.argv[1]), sys.argv[2:])
