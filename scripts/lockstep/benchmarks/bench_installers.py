"""Benchmark the image's PyPI installer: pip against uv, the same requirements, the same run.

The dev group of this project's pyproject.toml is locked by the pinned Poetry (in a
scratch copy) and exported by docker/_export_requirements.sh, the script the image
uses, so both installers get the hash-pinned file the dev image installs. Each
installs it with --no-deps --require-hashes into a fresh venv of a Python that
satisfies requires-python: pip as the image used to (it compiles bytecode by
default), uv as the image does now (--compile-bytecode). Each installer has a
cache of its own in the scratch directory: the first, untimed-for-the-ratio run
fills it (it downloads, so its time is network-bound), and the ratio compares the
medians of the runs after, as the image's cache mounts make every rebuild.

Needs PyPI (or PIP_INDEX_URL/UV_INDEX_URL mirrors). Prints figures, asserts nothing.
Run: make bench  (or .venvs/test/bin/python scripts/lockstep/benchmarks/bench_installers.py)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import tomlkit
from figures import print_figures  # beside this script
from packaging.specifiers import SpecifierSet

REPO_ROOT = Path(__file__).resolve().parents[3]
EXPORT_SCRIPT = REPO_ROOT / "docker" / "_export_requirements.sh"
# Poetry's per-version JSON API is not reachable everywhere (a mirror may serve only
# the simple index); the simple index answers wherever PyPI does.
SIMPLE_INDEX = "https://pypi.org/simple/"
DEFAULT_REPEATS = 3


def tool(name: str) -> str:
    """The pinned tool: beside this Python (the test venv), in .venvs/bin, or on PATH."""
    for candidate in (Path(sys.executable).parent / name, REPO_ROOT / ".venvs" / "bin" / name):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"bench_installers: {name} not found; run `make test` once first")
    return found


def project_python(requires_python: str) -> str:
    """An interpreter satisfying requires-python: pythonX.Y on PATH, or a pyenv version."""
    allowed = SpecifierSet(requires_python)
    names = [f"python3.{minor}" for minor in range(20, 7, -1)]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [*names, *sorted(str(p) for p in pyenv_root.glob("*/bin/python3"))]
    for candidate in candidates:
        try:
            answer = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                capture_output=True,
                text=True,
                check=False,
            )
        except OSError:
            continue
        if answer.returncode == 0 and answer.stdout.strip() in allowed:
            return candidate
    raise SystemExit(f"bench_installers: no Python {requires_python} here; pass --python PATH")


def export_dev_requirements(scratch: Path) -> Path:
    """poetry lock of a copy of the project, then the image's own export of its groups."""
    project = scratch / "project"
    project.mkdir()
    shutil.copy(REPO_ROOT / "README.md", project / "README.md")
    document = tomlkit.parse((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    poetry = document.setdefault("tool", tomlkit.table()).setdefault("poetry", tomlkit.table())
    source = tomlkit.table()
    source.update({"name": "pypi-simple", "url": SIMPLE_INDEX, "priority": "primary"})
    poetry["source"] = tomlkit.aot()
    poetry["source"].append(source)
    (project / "pyproject.toml").write_text(tomlkit.dumps(document), encoding="utf-8")
    poetry_bin = tool("poetry")
    environ = {**os.environ, "PATH": f"{Path(poetry_bin).parent}{os.pathsep}{os.environ['PATH']}"}
    print("==> poetry lock of a scratch copy of pyproject.toml", file=sys.stderr, flush=True)
    subprocess.run([poetry_bin, "lock", "--directory", str(project)], check=True, env=environ)
    out = scratch / "requirements"
    subprocess.run([str(EXPORT_SCRIPT), str(project), str(out)], check=True, env=environ)
    return out / "dev.txt"


def fresh_venv(python: str, where: Path) -> Path:
    shutil.rmtree(where, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(where)], check=True)
    return where / "bin" / "python"


def timed(argv: Sequence[str], environ: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(list(argv), check=True, env=environ, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def install_commands(requirements: Path, venv_python: Path, uv: str) -> dict[str, list[str]]:
    common = ["--no-deps", "--require-hashes", "--requirement", str(requirements)]
    return {
        "pip": [str(venv_python), "-m", "pip", "install", "--disable-pip-version-check", *common],
        "uv": [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(venv_python),
            "--compile-bytecode",
            *common,
        ],
    }


def measure(requirements: Path, python: str, scratch: Path, repeats: int) -> dict[str, list[float]]:
    """Seconds per run, by installer; the first run of each fills its cache."""
    uv = tool("uv")
    environ = {
        **os.environ,
        "PIP_CACHE_DIR": str(scratch / "cache" / "pip"),
        "UV_CACHE_DIR": str(scratch / "cache" / "uv"),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    seconds: dict[str, list[float]] = {"pip": [], "uv": []}
    for run in range(repeats + 1):
        # Alternating, so a slower minute of the machine weighs on both alike.
        for installer in ("pip", "uv"):
            venv_python = fresh_venv(python, scratch / f"venv-{installer}")
            argv = install_commands(requirements, venv_python, uv)[installer]
            what = "cold cache" if run == 0 else f"run {run}/{repeats}"
            print(f"==> {installer} install ({what})", file=sys.stderr, flush=True)
            seconds[installer].append(timed(argv, environ))
    return seconds


def report(requirements: Path, python: str, seconds: dict[str, list[float]]) -> None:
    count = sum(1 for line in requirements.read_text().splitlines() if line[:1].isalnum())
    pip_warm, uv_warm = (statistics.median(seconds[name][1:]) for name in ("pip", "uv"))
    version = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print_figures(
        [
            ("dev group (exported, hash-pinned)", f"{count} distributions, Python {version}"),
            ("pip, cold cache (downloads)", f"{seconds['pip'][0]:.1f} s"),
            ("uv, cold cache (downloads)", f"{seconds['uv'][0]:.1f} s"),
            (f"pip, warm cache (median of {len(seconds['pip']) - 1})", f"{pip_warm:.1f} s"),
            (f"uv, warm cache (median of {len(seconds['uv']) - 1})", f"{uv_warm:.1f} s"),
            ("pip / uv, warm", f"{pip_warm / uv_warm:.1f}x"),
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", help="the interpreter to install for (default: found)")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS)
    args = parser.parse_args(argv)
    pyproject = tomlkit.parse((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    python = args.python or project_python(str(pyproject["project"]["requires-python"]))
    with tempfile.TemporaryDirectory(prefix="bench-installers-") as scratch_name:
        scratch = Path(scratch_name)
        requirements = export_dev_requirements(scratch)
        seconds = measure(requirements, python, scratch, max(args.repeats, 1))
        report(requirements, python, seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
