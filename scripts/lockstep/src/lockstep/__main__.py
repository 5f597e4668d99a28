import sys

try:
    from lockstep.entry import run
except KeyboardInterrupt:  # Ctrl-C before lockstep's own handlers exist: nothing written yet
    sys.stderr.write("lockstep: interrupted; no file was changed\n")
    raise SystemExit(130) from None

raise SystemExit(run())
