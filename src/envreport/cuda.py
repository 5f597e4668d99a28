"""Is a CUDA driver visible? Asked of the driver itself, without importing a framework.

`libcuda.so.1` is the driver's user-space library: on a host with an NVIDIA
driver it is installed system-wide, and in a container the NVIDIA Container
Toolkit mounts the host's copy only when a GPU is passed (`docker run --gpus`).
`cuDriverGetVersion` needs no device and no `cuInit`; it answers with the
highest CUDA version the driver supports, as 1000 * major + 10 * minor.
`/proc/driver/nvidia/version` names the kernel module's version, which tells a
machine with a driver but no reachable library from one with no driver at all.
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass
from pathlib import Path

LIBCUDA = "libcuda.so.1"
KERNEL_VERSION_FILE = Path("/proc/driver/nvidia/version")
CUDA_SUCCESS = 0
# "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.14  Thu Feb 22 ...": its first
# dotted number (the open module says "Open Kernel Module for x86_64  570.86.15").
_KERNEL_MODULE = re.compile(r"^NVRM version:.*?\s(\d+\.\d+(?:\.\d+)?)\s", re.MULTILINE)


@dataclass(frozen=True)
class CudaDriver:
    """What the process can see: the CUDA version the driver supports, or why none."""

    version: str | None
    source: str
    kernel_module: str | None = None

    def describe(self) -> str:
        """One line: `CUDA driver: 12.4 (libcuda.so.1)` or `CUDA driver: none visible`."""
        if self.version is not None:
            return f"CUDA driver: {self.version} ({self.source})"
        if self.kernel_module is not None:
            return (
                f"CUDA driver: none visible (NVIDIA kernel module {self.kernel_module} is"
                f" loaded, but {self.source} cannot be used)"
            )
        return "CUDA driver: none visible"


def decode_version(value: int) -> str:
    """cuDriverGetVersion's integer as major.minor: 12040 -> 12.4, 11080 -> 11.8."""
    return f"{value // 1000}.{value % 1000 // 10}"


def library_version(library: str = LIBCUDA) -> str | None:
    """The CUDA version `library`'s cuDriverGetVersion reports; None if it cannot answer."""
    try:
        driver = ctypes.CDLL(library)
        get_version = driver.cuDriverGetVersion
    except (OSError, AttributeError):
        return None
    get_version.argtypes = [ctypes.POINTER(ctypes.c_int)]
    get_version.restype = ctypes.c_int
    value = ctypes.c_int(0)
    if get_version(ctypes.byref(value)) != CUDA_SUCCESS or value.value <= 0:
        return None
    return decode_version(value.value)


def kernel_module_version(path: Path = KERNEL_VERSION_FILE) -> str | None:
    """The NVIDIA kernel module's version from /proc, if the file is there and says one."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found = _KERNEL_MODULE.search(text)
    return found.group(1) if found else None


def detect_driver(
    library: str = LIBCUDA, kernel_version_file: Path = KERNEL_VERSION_FILE
) -> CudaDriver:
    version = library_version(library)
    if version is not None:
        return CudaDriver(version=version, source=Path(library).name)
    return CudaDriver(
        version=None,
        source=Path(library).name,
        kernel_module=kernel_module_version(kernel_version_file),
    )
