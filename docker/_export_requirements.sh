#!/usr/bin/env bash
# Export Poetry's main and dev groups of PROJECT as hash-pinned requirement files
# OUT/main.txt and OUT/dev.txt (dev.txt is empty when the project has no dev group).
# The generated optional `conda` group is never exported: conda installed it.
# Usage: _export_requirements.sh PROJECT OUT
set -euo pipefail

project="$1" out="$2"
mkdir -p "$out"
export_group() {
  poetry export --directory "$project" --only "$1" --format requirements.txt --output "$out/$1.txt"
}
export_group main
# Poetry's own Python reads the TOML (the tools image has no other with tomllib).
poetry_python="$(dirname "$(readlink -f "$(command -v poetry)")")/python"
if "$poetry_python" - "$project/pyproject.toml" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as stream:
    data = tomllib.load(stream)
groups = data.get("tool", {}).get("poetry", {}).get("group", {})
sys.exit(0 if "dev" in groups or "dev" in data.get("dependency-groups", {}) else 1)
PY
then
  export_group dev
else
  : > "$out/dev.txt"
fi
