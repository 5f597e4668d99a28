"""The files of the project's new, empty package and of its one smoke test."""

from __future__ import annotations

from lockstep.init.names import ProjectName


def package_files(name: ProjectName) -> dict[str, str]:
    """Paths (relative to the project) and text of the new package and its test."""
    package, distribution = name.package, name.distribution
    return {
        f"src/{package}/__init__.py": f'"""{distribution}."""\n\n__version__ = "0.1.0"\n',
        f"src/{package}/py.typed": "",
        f"src/{package}/__main__.py": f'''\
"""`python -m {package}`: say what runs, and where (replace this with your own code)."""

from __future__ import annotations

import sys

from {package} import __version__


def main() -> int:
    print(f"{distribution} {{__version__}} on Python {{sys.version.split()[0]}} in {{sys.prefix}}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
''',
        f"tests/{package}/__init__.py": "",
        f"tests/{package}/test_main.py": f'''\
"""The package runs as a command."""

from __future__ import annotations

import subprocess
import sys


def test_runs_and_names_the_project() -> None:
    """`python -m {package}` exits 0 and names the project and its Python."""
    result = subprocess.run(
        [sys.executable, "-m", "{package}"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("{distribution} "), result.stdout
    assert sys.prefix in result.stdout
''',
    }
