#!/usr/bin/env bash
# Install the project's wheel into LAYER (a prefix holding only the project's
# files, which the runtime copies as a small layer of its own), then merge LAYER
# into the environment PREFIX. With uv, hash-checked, no index, no deps:
# everything else is installed already.
# Usage: _install_project.sh WHEEL_DIR PREFIX LAYER
set -euo pipefail

wheel_dir="$1" prefix="$2" layer="$3"
requirements="$(mktemp)"
trap 'rm -f "$requirements"' EXIT
"$(dirname "$0")/_wheel_requirements.sh" "$wheel_dir" > "$requirements"
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-0}" uv pip install --python "$prefix/bin/python" \
  --prefix "$layer" --no-cache --no-deps --no-index --require-hashes --compile-bytecode \
  --requirement "$requirements"
# uv's lock file for the target prefix: nothing the environment should carry.
rm -f "$layer/.lock"
# uv records when it unpacked a local wheel (uv_cache.json, listed in RECORD): the
# only build-time datum in the layer, so two builds of one commit would differ.
for record in "$layer"/lib/python*/site-packages/*.dist-info/RECORD; do
  [ -f "$record" ] || continue
  rm -f "$(dirname "$record")/uv_cache.json"
  sed -i '/\/uv_cache\.json,/d' "$record"
done
cp -a "$layer/." "$prefix/"
