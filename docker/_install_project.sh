#!/usr/bin/env bash
# Install the project's wheel into LAYER (a prefix holding only the project's
# files, which the runtime copies as a small layer of its own), then merge LAYER
# into the environment PREFIX. No index, no deps: everything else is installed.
# Usage: _install_project.sh WHEEL_DIR PREFIX LAYER
set -euo pipefail

wheel_dir="$1" prefix="$2" layer="$3"
"$prefix/bin/python" -m pip install --no-deps --no-index --prefix "$layer" "$wheel_dir"/*.whl
cp -a "$layer/." "$prefix/"
