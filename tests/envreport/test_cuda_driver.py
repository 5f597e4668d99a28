"""The report's CUDA line, read from the driver itself (no framework imported).

The driver is a stand-in at the library boundary: a tiny `libcuda.so.1` built
with gcc that exports `cuDriverGetVersion` as the real one does (an int out
parameter, CUresult 0 on success), found by the dynamic loader through
LD_LIBRARY_PATH exactly as the real one is. This machine has no GPU, so the
unpatched report must say none is visible.
"""

from __future__ import annotations

import ctypes.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envreport.cuda import CudaDriver, decode_version, detect_driver, library_version
from envreport.report import EnvironmentReport, render

SOURCE = """\
int cuDriverGetVersion(int *version) {
    *version = VERSION;
    return RESULT;
}
"""
# The first line of /proc/driver/nvidia/version, as the proprietary and the open kernel
# modules write it.
PROC_VERSIONS = {
    "proprietary": "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22"
    " 01:44:30 UTC 2024\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n",
    "open": "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.86.15  Release"
    " Build  (dvs-builder@U16-I3-B03-4-3)  Thu Jan 23 22:50:36 UTC 2025\nGCC version: 13\n",
}


def build_libcuda(directory: Path, *, version: int = 12040, result: int = 0) -> Path:
    """A stand-in libcuda.so.1 whose cuDriverGetVersion answers `version` with `result`."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed: cannot build the stand-in libcuda.so.1")
    directory.mkdir(parents=True, exist_ok=True)
    source = directory / "libcuda.c"
    source.write_text(SOURCE)
    library = directory / "libcuda.so.1"
    defines = [f"-DVERSION={version}", f"-DRESULT={result}"]
    subprocess.run([gcc, "-shared", "-fPIC", *defines, "-o", str(library), str(source)], check=True)
    return library


def report(**env: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "envreport"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )
    return result.stdout.splitlines()


@pytest.mark.parametrize(
    ("value", "version"), [(12040, "12.4"), (11080, "11.8"), (12010, "12.1"), (13000, "13.0")]
)
def test_decodes_the_driver_api_version(value: int, version: str) -> None:
    """1000 * major + 10 * minor, as cuDriverGetVersion reports it, reads as major.minor."""
    assert decode_version(value) == version


def test_reads_the_version_from_the_driver_library(tmp_path: Path) -> None:
    """It loads the library, calls cuDriverGetVersion and decodes the answer."""
    library = build_libcuda(tmp_path / "lib", version=12080)

    assert library_version(str(library)) == "12.8"


def test_a_driver_that_answers_an_error_is_not_visible(tmp_path: Path) -> None:
    """A CUresult other than success (a broken install) means no usable driver."""
    library = build_libcuda(tmp_path / "lib", result=100)

    assert library_version(str(library)) is None
    assert detect_driver(str(library), tmp_path / "absent").describe() == (
        "CUDA driver: none visible"
    )


def test_a_library_without_the_entry_point_is_not_visible(tmp_path: Path) -> None:
    """Something named libcuda.so.1 that is not a CUDA driver: none visible, no crash."""
    other = ctypes.util.find_library("m")
    if other is None:
        pytest.skip("no libm to stand for a library without cuDriverGetVersion")

    assert library_version(other) is None


@pytest.mark.parametrize("module", sorted(PROC_VERSIONS))
def test_a_kernel_module_without_a_library_is_named(tmp_path: Path, module: str) -> None:
    """The kernel driver is loaded but its library cannot be loaded here (a container run
    without a GPU passed): the line says so, with the module's version."""
    proc = tmp_path / "version"
    proc.write_text(PROC_VERSIONS[module])

    driver = detect_driver(str(tmp_path / "missing" / "libcuda.so.1"), proc)

    version = {"proprietary": "550.54.14", "open": "570.86.15"}[module]
    assert driver.describe() == (
        f"CUDA driver: none visible (NVIDIA kernel module {version} is loaded,"
        " but libcuda.so.1 cannot be used)"
    )


def test_the_report_shows_the_driver_the_loader_finds(tmp_path: Path) -> None:
    """`python -m envreport` finds libcuda.so.1 as the real driver is found (LD_LIBRARY_PATH)
    and prints one line under the Python line."""
    library = build_libcuda(tmp_path / "lib", version=12040)

    lines = report(LD_LIBRARY_PATH=str(library.parent))

    assert lines[0].startswith("Python ")
    assert lines[1] == "CUDA driver: 12.4 (libcuda.so.1)"
    assert lines[2].split() == ["dependency", "version", "installer"]


def test_the_report_on_this_machine_sees_no_driver() -> None:
    """This machine has no GPU: the report says no CUDA driver is visible."""
    if library_version() is not None:
        pytest.skip("this machine has a CUDA driver")

    lines = report()

    assert lines[1].startswith("CUDA driver: none visible")


def test_render_puts_the_driver_line_under_the_python_line() -> None:
    """The CUDA line is the report's second line; the table follows."""
    text = render(
        EnvironmentReport(
            python="3.12.7",
            platform="linux-x86_64",
            dependencies=(),
            cuda_driver=CudaDriver(version="12.4", source="libcuda.so.1"),
        )
    )

    assert text.splitlines()[:3] == [
        "Python 3.12.7 on linux-x86_64",
        "CUDA driver: 12.4 (libcuda.so.1)",
        "dependency  version  installer",
    ]


FRAMEWORKS = {"torch", "tensorflow", "jax", "jaxlib", "cupy", "numba", "pynvml", "nvidia"}
# Every top-level module the report *tries* to import, found or not: a guarded
# `import torch` that fails leaves nothing in sys.modules, but passes through here.
RECORD_IMPORTS = """
import json, runpy, sys

attempted = set()

class Recorder:
    @staticmethod
    def find_spec(name, path=None, target=None):
        attempted.add(name.partition(".")[0])
        return None

sys.meta_path.insert(0, Recorder)
try:
    runpy.run_module("envreport", run_name="__main__")
except SystemExit:
    pass
print(json.dumps(sorted(attempted)), file=sys.stderr)
"""


def test_the_report_imports_no_framework_to_find_the_driver() -> None:
    """`python -m envreport` reads the driver without trying to import any GPU framework."""
    result = subprocess.run(
        [sys.executable, "-c", RECORD_IMPORTS], capture_output=True, text=True, check=False
    )

    attempted = set(json.loads(result.stderr.splitlines()[-1]))
    assert "ctypes" in attempted  # the recorder saw the report's own imports
    assert attempted.isdisjoint(FRAMEWORKS)
