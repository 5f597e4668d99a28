#!/usr/bin/env bash
# Print a hash-pinned requirement line for each wheel in WHEEL_DIR
# (`name @ file:///...whl --hash=sha256:...`), so a local wheel is installed
# under --require-hashes like every other distribution.
# Usage: _wheel_requirements.sh WHEEL_DIR
set -euo pipefail

shopt -s nullglob
wheels=("$1"/*.whl)
if [ ${#wheels[@]} -eq 0 ]; then
  echo "_wheel_requirements.sh: no wheel in $1" >&2
  exit 1
fi
for wheel in "${wheels[@]}"; do
  path="$(readlink -f "$wheel")"
  name="$(basename "$wheel")"
  digest="$(sha256sum "$path" | cut -d' ' -f1)"
  printf '%s @ file://%s --hash=sha256:%s\n' "${name%%-*}" "$path" "$digest"
done
