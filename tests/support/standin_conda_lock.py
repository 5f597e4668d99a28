"""A stand-in for `conda-lock lock` at the process boundary (conda channels are unreachable here).

It takes the arguments lockstep passes, and writes `conda-<platform>.lock`
files in conda-lock's explicit format with the input hash conda-lock's own
function computes, listing the packages of a scenario (JSON file named by
$LOCKSTEP_STANDIN_SCENARIO). The scenario can make it fail or hang instead,
and every call is appended to its `calls` log.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

SCENARIO_VARIABLE = "LOCKSTEP_STANDIN_SCENARIO"
HANG_SECONDS = 60


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="conda-lock")
    parser.add_argument("command", choices=["lock"])
    parser.add_argument("--file", "-f", required=True)
    parser.add_argument("--platform", "-p", action="append", required=True)
    parser.add_argument("--kind", required=True, choices=["explicit"])
    parser.add_argument("--filename-template", required=True)
    parser.add_argument("--conda")
    args = parser.parse_args(argv)

    scenario_path = Path(os.environ[SCENARIO_VARIABLE])
    scenario = json.loads(scenario_path.read_text())
    with Path(scenario["calls"]).open("a") as log:
        log.write(json.dumps({"argv": argv, "cwd": str(Path.cwd())}) + "\n")
    behaviour = scenario.get("behaviour", "ok")
    if behaviour == "fail":
        print("Could not solve for environment specs: nothing provides numpy", file=sys.stderr)
        return 1
    if behaviour == "hang":
        print("solving ...", file=sys.stderr, flush=True)
        time.sleep(HANG_SECONDS)
        return 1

    from lockstep.input_hash import conda_input_hashes
    from tests.support.conda_packages import explicit_lockfile_text

    hashes = conda_input_hashes(Path(args.file), args.platform)
    for platform in args.platform:
        entries = [tuple(entry) for entry in scenario["lockfiles"][platform]]
        text = explicit_lockfile_text(
            platform=platform, input_hash=hashes[platform], urls_and_md5s=entries
        )
        Path(args.filename_template.format(platform=platform)).write_text(text)
        print(f"Rendering lockfile(s) for {platform}...", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    raise SystemExit(main(sys.argv[1:]))
