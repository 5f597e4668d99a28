"""lockstep run as a user runs it: the installed `lockstep` command in a real process, and
the checks every refusal gets (one error line naming the file, nothing changed)."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# The console script pip installed: what `make env-update` runs (LOCKSTEP_RUN lockstep lock).
LOCKSTEP = Path(sys.executable).with_name("lockstep")


def digest(root: Path) -> dict[str, str]:
    """Every entry under root: a file's sha256, a symlink's target, a directory's name."""
    found = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            found[key] = f"-> {path.readlink()}"
        elif path.is_file():
            found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[key] = "dir"
    return found


def lockstep(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LOCKSTEP), *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=timeout,
    )


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("lockstep: error:")]


def assert_refused(
    result: subprocess.CompletedProcess[str],
    code: int,
    project: Path,
    before: dict[str, str],
    names: str,
    *says: str,
) -> str:
    """The run exited `code` with one error line that `names` the file (or setting) and
    `says` each of the rest after that name; nothing changed. Returns what follows the name
    (a test's own path may hold any word, so nothing is looked for in it)."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert "internal error" not in result.stderr, result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert names in lines[0], lines[0]
    after = lines[0].partition(names)[2]
    for needle in says:
        assert needle in after, lines[0]
    assert not (project / ".lockstep-staging").exists()
    assert digest(project) == before
    return after


def template_project(root: Path) -> Path:
    """A throwaway project made of the template's pyproject.toml and environment.yml."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", "environment.yml"):
        shutil.copyfile(REPO_ROOT / name, root / name)
    return root
