"""What to do about a file operation the system refused, for the one error line.

The system's reason ("No space left on device", "Is a directory") says what went
wrong; a user also needs the fix. Standard library only: the prefix commands use it.
"""

from __future__ import annotations

import errno

_FIXES = {
    errno.ENOSPC: "free some disk space, then run it again",
    errno.EDQUOT: "free some of your disk quota, then run it again",
    errno.EISDIR: "a directory is where that file belongs; move it away",
    errno.EEXIST: "something is in the way there; move it away",
    errno.ENOTDIR: "a file is where a directory belongs; move it away",
    errno.EACCES: "give your user access to it (or run as its owner)",
    errno.EPERM: "give your user access to it (or run as its owner)",
    errno.EROFS: "remount it read-write, or work on a copy that can be written",
    # A bind mount over the one file (Docker's one-file `-v`) refuses to be renamed over.
    errno.EBUSY: (
        "a mount or another program holds it; mount the project's directory rather than"
        " the one file, or stop that program, then run it again"
    ),
}


def with_fix(reason: str, error: OSError) -> str:
    """The reason, followed by the fix for the error's errno where there is one."""
    fix = _FIXES.get(error.errno) if error.errno is not None else None
    return f"{reason}; {fix}" if fix else reason
