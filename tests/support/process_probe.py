"""A command that reports the process it runs in, for tests/test_preforked.py.

`report CODE`: prints its pid, working directory, arguments, $PROBE_VARIABLE, umask
and what it read on stdin as JSON, a line on stderr, and exits with CODE.
`wait PIDFILE`: writes its pid to PIDFILE, then waits for a signal; on SIGTERM it says so
and exits 143, on SIGINT it ends as Python does (a traceback naming this file).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    action, value = argv
    if action == "report":
        mask = os.umask(0)
        os.umask(mask)
        report = {
            "pid": os.getpid(),
            "cwd": str(Path.cwd()),
            "argv": sys.argv,
            "variable": os.environ.get("PROBE_VARIABLE"),
            "umask": mask,
            "stdin": sys.stdin.read(),
        }
        print(json.dumps(report))
        print("a line on stderr", file=sys.stderr)
        return int(value)
    signal.signal(signal.SIGTERM, _terminated)
    Path(value).write_text(str(os.getpid()))
    while True:
        time.sleep(0.1)


def _terminated(_signum: int, _frame: object) -> None:
    print("SIGTERM reached main", flush=True)
    raise SystemExit(128 + signal.SIGTERM)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.support.preforked import run_main

    raise SystemExit(run_main("tests.support.process_probe", main, sys.argv[1:]))
