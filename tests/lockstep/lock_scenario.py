"""A temporary project, a served channel and the tools on PATH, for `lockstep lock` tests.

`conda-lock` on PATH is tests/support/standin_conda_lock.py: the real conda-lock
4.0.3 run with only its solver replaced (conda channels are unreachable here),
answering with the packages this module builds and serves. Poetry is the real
one unless a test swaps in a shim.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.conda_packages import DistSpec, PackageSpec, build_package, md5_of
from tests.support.http_server import LoopbackServer
from tests.support.in_process import run_lockstep

REPO_ROOT = Path(__file__).resolve().parents[2]
STANDIN = REPO_ROOT / "tests" / "support" / "standin_conda_lock.py"
STANDIN_MICROMAMBA = REPO_ROOT / "tests" / "support" / "standin_micromamba.py"

ENVIRONMENT_YML = """\
# The demo project's conda side.
channels:
  - conda-forge
dependencies:
  - python=3.11
  - six
  - msgpack-python
platforms:
  - linux-64
  - linux-aarch64
"""

PYPROJECT_TOML = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.11,<3.12"
# msgpack comes from conda (conda package msgpack-python).
dependencies = ["msgpack>=1.0"]

[tool.poetry]
package-mode = false

# Test fixture only: this machine's PyPI answers only the simple API.
[[tool.poetry.source]]
name = "pypi-simple"
url = "https://pypi.org/simple/"
priority = "primary"
"""

CONDA_ONLY_DIST = "lockstep-test-conda-only-dist"


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root (relative path -> sha256), to prove nothing changed."""
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _package_specs() -> dict[str, list[PackageSpec]]:
    six = PackageSpec(
        "six", "1.16.0", noarch=True, dists=[DistSpec("six", "1.16.0")], depends=["python"]
    )
    return {
        "linux-64": [
            PackageSpec("python", "3.11.10", "h_x86"),
            six,
            # conda-lock keeps only what a request reaches: conda-only comes in as a dependency.
            PackageSpec(
                "msgpack-python",
                "1.1.0",
                dists=[DistSpec("msgpack", "1.1.0")],
                depends=["python >=3.11,<3.12.0a0", "conda-only"],
            ),
            PackageSpec("conda-only", "0.1", dists=[DistSpec(CONDA_ONLY_DIST, "0.1")]),
        ],
        "linux-aarch64": [
            PackageSpec("python", "3.11.10", "h_arm", subdir="linux-aarch64"),
            six,
            PackageSpec(
                "msgpack-python",
                "1.0.8",
                subdir="linux-aarch64",
                dists=[DistSpec("msgpack", "1.0.8")],
                depends=["python >=3.11,<3.12.0a0"],
            ),
        ],
    }


@dataclass
class LockScenario:
    root: Path
    server: LoopbackServer
    project: Path = field(init=False)
    bin_dir: Path = field(init=False)
    scenario_file: Path = field(init=False)
    calls_file: Path = field(init=False)
    packages: dict[str, list[Path]] = field(default_factory=dict)
    specs: dict[str, list[PackageSpec]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._name_paths()
        self.project.mkdir()
        (self.project / "environment.yml").write_text(ENVIRONMENT_YML)
        (self.project / "pyproject.toml").write_text(PYPROJECT_TOML)
        self.bin_dir.mkdir()
        self._shim("conda-lock", f'exec "{sys.executable}" "{STANDIN}" "$@"')
        channel = self.server.state.root
        self.specs = _package_specs()
        for platform, specs in self.specs.items():
            self.packages[platform] = [
                build_package(spec, channel / ("noarch" if spec.noarch else spec.subdir))
                for spec in specs
            ]
        self.set_behaviour("ok")

    def _name_paths(self) -> None:
        self.project = self.root / "project"
        self.bin_dir = self.root / "bin"
        self.scenario_file = self.root / "scenario.json"
        self.calls_file = self.root / "calls.jsonl"

    def copy_to(self, root: Path) -> LockScenario:
        """This scenario as it stands (project, shims, solve log, metadata cache) under root,
        its solver answering `ok` with the same packages from the same server."""
        shutil.copytree(self.root, root, symlinks=True)
        twin = copy.copy(self)
        twin.root = root
        twin._name_paths()
        twin.packages = {platform: list(paths) for platform, paths in self.packages.items()}
        twin.set_behaviour("ok")
        return twin

    def _shim(self, name: str, body: str) -> None:
        path = self.bin_dir / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)

    def add_standin_micromamba(self) -> Path:
        """Put a micromamba stand-in (process boundary) on PATH; returns its call log."""
        log = self.root / "micromamba-calls.jsonl"
        command = f'exec "{sys.executable}" "{STANDIN_MICROMAMBA}" "$@"'
        self._shim("micromamba", f'LOCKSTEP_STANDIN_MICROMAMBA_LOG="{log}" {command}')
        return log

    def hang_poetry(self) -> None:
        """Replace Poetry with a shim that hangs (a stand-in at the process boundary)."""
        self._shim("poetry", "echo 'Resolving dependencies...' >&2; exec sleep 60")

    def fail_poetry(self) -> None:
        """Replace Poetry with a shim that fails at once, for runs that must not need it."""
        self._shim("poetry", "echo 'stand-in: Poetry must not run here' >&2; exit 1")

    def restore_poetry(self) -> None:
        """The real Poetry again, after hang_poetry or fail_poetry."""
        (self.bin_dir / "poetry").unlink()

    def set_behaviour(self, behaviour: str) -> None:
        """What the solver answers: the served packages (`ok`), a solver failure, or a hang."""
        lockfiles = {
            platform: [
                {
                    "url": self.server.url_for(path),
                    "md5": md5_of(path),
                    "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                    "depends": list(spec.depends),
                }
                for spec, path in zip(self.specs[platform], paths, strict=True)
            ]
            for platform, paths in self.packages.items()
        }
        scenario = {"behaviour": behaviour, "lockfiles": lockfiles, "calls": str(self.calls_file)}
        self.scenario_file.write_text(json.dumps(scenario))

    def solve_calls(self) -> int:
        return len(self.calls_file.read_text().splitlines()) if self.calls_file.exists() else 0

    def environ(self, **extra: str) -> dict[str, str]:
        poetry_dir = Path(shutil.which("poetry") or "/nonexistent").parent
        env = {
            **os.environ,
            "PATH": os.pathsep.join([str(self.bin_dir), str(poetry_dir), os.environ["PATH"]]),
            "LOCKSTEP_STANDIN_SCENARIO": str(self.scenario_file),
            "LOCKSTEP_CACHE_DIR": str(self.root / "cache"),
            "PYTHONPATH": str(REPO_ROOT),
        }
        env.update(extra)
        return env

    def lockstep(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        """`lockstep ARGS --project PROJECT`, in this process (tests/support/in_process.py)."""
        return run_lockstep([*args, "--project", str(self.project)], env=self.environ(**extra_env))

    def lockstep_process(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        """The same as a real `python -m lockstep` process, for tests of the process itself."""
        return subprocess.run(
            [sys.executable, "-m", "lockstep", *args, "--project", str(self.project)],
            capture_output=True,
            text=True,
            check=False,
            env=self.environ(**extra_env),
            timeout=300,
        )

    def interrupt_lock_at(
        self, marker: str, number: int = signal.SIGINT, **extra_env: str
    ) -> tuple[int, str]:
        """Run `lockstep lock`, send the signal once `marker` is on stderr; (exit code, stderr)."""
        process = subprocess.Popen(
            [sys.executable, "-m", "lockstep", "lock", "--project", str(self.project)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=self.environ(**extra_env),
            start_new_session=True,
        )
        seen = []
        assert process.stderr is not None
        for line in process.stderr:
            seen.append(line)
            if marker in line:
                time.sleep(0.3)
                process.send_signal(number)
                break
        _, rest = process.communicate(timeout=60)
        return process.returncode, "".join(seen) + (rest or "")


@dataclass(frozen=True)
class FirstLock:
    """A scenario after its first `lockstep lock`, and what that lock printed."""

    scenario: LockScenario
    result: subprocess.CompletedProcess[str]
