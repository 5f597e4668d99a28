"""`python -m envreport`: print the environment report; exit 1 if a dependency is missing."""

from __future__ import annotations

import sys
from importlib import metadata

from envreport.cuda import detect_driver
from envreport.report import PROJECT, build_report, project_requirements, render


def main() -> int:
    try:
        requires = project_requirements()
    except metadata.PackageNotFoundError:
        print(
            f"envreport: the {PROJECT} project is not installed; install it first", file=sys.stderr
        )
        return 2
    report = build_report(requires, cuda_driver=detect_driver())
    print(render(report))
    return 0 if all(status.installed for status in report.dependencies) else 1


if __name__ == "__main__":
    raise SystemExit(main())
