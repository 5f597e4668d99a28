"""A stand-in for micromamba 2.5.0 at the process boundary (it cannot run here), from recordings.

`shell activate --prefix P --shell bash` prints what the real micromamba printed
(tests/data/recorded/shell-activate--*.sh) for the environment it runs in,
with the recorded prefix /opt/env replaced by P; an environment that was not
recorded is refused. `create ... --file F` logs its arguments and a copy of F.
Calls are appended, one JSON object a line, to $RECORDED_MICROMAMBA_LOG.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded"
RECORDED_PREFIX = "/opt/env"
# The environments the activation scripts were recorded in: `env -i` plus these.
RECORDINGS = {
    "/usr/bin:/bin": "shell-activate--env-i-PATH-usr-bin-bin.sh",
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin": (
        "shell-activate--env-i-full-PATH.sh"
    ),
}
# Not the caller's: PWD is exported by the wrapper script's shell, the log path is
# the wrapper's own, LC_CTYPE is Python's C-locale coercion (PEP 538).
ADDED_HERE = {"PWD", "RECORDED_MICROMAMBA_LOG", "LC_CTYPE"}
ALLOWED_VARIABLES = {"PATH", "MAMBA_ROOT_PREFIX", "HOME", *ADDED_HERE}


def _option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def _log(entry: dict[str, object]) -> None:
    with Path(os.environ["RECORDED_MICROMAMBA_LOG"]).open("a") as log:
        log.write(json.dumps(entry) + "\n")


def shell_activate(argv: list[str]) -> int:
    unrecorded = set(os.environ) - ALLOWED_VARIABLES
    recording = RECORDINGS.get(os.environ.get("PATH", ""))
    if unrecorded or recording is None or os.environ.get("MAMBA_ROOT_PREFIX") != "/opt/conda":
        print(f"recorded micromamba: no recording for this environment ({sorted(os.environ)})")
        return 3
    script = (RECORDED / recording).read_text()
    sys.stdout.write(script.replace(RECORDED_PREFIX, _option(argv, "--prefix")))
    _log({"argv": argv})
    return 0


def create(argv: list[str]) -> int:
    lockfile = Path(_option(argv, "--file"))
    _log({"argv": argv, "file": lockfile.read_text()})
    return 0


def main(argv: list[str]) -> int:
    if argv[:2] == ["shell", "activate"]:
        return shell_activate(argv)
    if argv[:1] == ["create"] and "--file" in argv:
        return create(argv)
    print(f"recorded micromamba: unsupported call {argv}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
