"""What a run stopped by a signal says: "no file was changed" only when none was.

A signal held back by the swap is delivered once every file is in place; the run then
stops having written them, and says which. Real processes and real SIGTERM; the only
thing arranged is the moment: the signal is sent from inside the swap's rename (our own
function, wrapped), or before the swap starts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lockstep.shared.errors import EXIT_TERMINATED

SCRIPT = """
import os, signal, sys
from pathlib import Path
from lockstep.shared import staging as staging_module
from lockstep.shared.project import ProjectFiles
from lockstep.shared.signals import exit_interrupted, install_exit_handlers

install_exit_handlers()
root, moment = Path(sys.argv[1]), sys.argv[2]
rename = staging_module._replace

def rename_then_signal(staged, real):
    rename(staged, real)
    os.kill(os.getpid(), signal.SIGTERM)

if moment == "during-swap":
    staging_module._replace = rename_then_signal
try:
    with staging_module.Staging(ProjectFiles(root), outputs=("pyproject.toml",)) as staging:
        (staging.root / "pyproject.toml").write_text("new\\n")
        if moment == "before-swap":
            os.kill(os.getpid(), signal.SIGTERM)
        staging.commit()
    print("not stopped")
except KeyboardInterrupt as error:
    exit_interrupted(error)
"""


def stopped(root: Path, moment: str) -> subprocess.CompletedProcess[str]:
    root.mkdir()
    (root / "pyproject.toml").write_text("old\n")
    (root / "environment.yml").write_text("dependencies: [python=3.12]\n")
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(root), moment],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("moment", "content", "message"),
    [
        ("before-swap", "old\n", "no file was changed"),
        ("during-swap", "new\n", "after its files were written whole (pyproject.toml)"),
    ],
)
def test_the_message_says_what_the_run_left(
    tmp_path: Path, moment: str, content: str, message: str
) -> None:
    result = stopped(tmp_path / "p", moment)

    assert result.returncode == EXIT_TERMINATED, result.stderr
    assert result.stderr == f"lockstep: terminated (SIGTERM); {message}\n"
    assert (tmp_path / "p" / "pyproject.toml").read_text() == content
    assert not (tmp_path / "p" / ".lockstep-staging").exists()
