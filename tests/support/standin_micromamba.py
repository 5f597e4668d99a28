"""A stand-in for `micromamba create` at the process boundary (conda-forge is unreachable here).

It records each call in $LOCKSTEP_STANDIN_MICROMAMBA_LOG and creates, at
--prefix, a real environment of the Python running it (a venv without pip)
with a conda-meta/history file, as micromamba leaves one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    with Path(os.environ["LOCKSTEP_STANDIN_MICROMAMBA_LOG"]).open("a") as log:
        log.write(json.dumps(argv) + "\n")
    if argv[:1] != ["create"] or "--prefix" not in argv:
        print(f"stand-in micromamba: unsupported call {argv}", file=sys.stderr)
        return 2
    prefix = Path(argv[argv.index("--prefix") + 1])
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    (prefix / "conda-meta").mkdir()
    (prefix / "conda-meta" / "history").write_text(f"# cmd: micromamba {' '.join(argv)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
