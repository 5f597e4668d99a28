"""Build the project's wheel and editable wheel: `_build_wheels.py PROJECT OUT`.

Runs with Poetry's Python in the tools image, whose pinned poetry-core is the
build backend: no build isolation, so no unpinned backend is fetched. Writes
OUT/wheel/*.whl (for the runtime) and OUT/editable/*.whl (for dev, pointing
at PROJECT's sources).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Poetry's Python: 3.12 in the tools image; any 3.10+ on a host (tomli there, Poetry's own).
if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib
from pyproject_hooks import BackendUnavailable, BuildBackendHookCaller


def main(project: Path, out: Path) -> int:
    with (project / "pyproject.toml").open("rb") as stream:
        backend = tomllib.load(stream).get("build-system", {}).get("build-backend", "")
    caller = BuildBackendHookCaller(str(project), backend)
    try:
        for kind, build in (("wheel", caller.build_wheel), ("editable", caller.build_editable)):
            (out / kind).mkdir(parents=True, exist_ok=True)
            print(f"built {kind}: {build(str(out / kind))}")
    except BackendUnavailable:
        print(
            f"pyproject.toml: build backend {backend!r} is not Poetry's; "
            'set [build-system] build-backend = "poetry.core.masonry.api"',
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]), Path(sys.argv[2])))
