#!/usr/bin/env bash
# Install a hash-pinned requirements file (exported from poetry.lock) into the
# conda prefix with uv: --no-deps, so it never resolves on its own, and
# --require-hashes, so every wheel is the one poetry.lock names. The distributions
# conda provides are pinned to conda's versions in poetry.lock, so uv finds them
# already installed and leaves them alone (`lockstep verify` checks that after).
# Usage: _install_requirements.sh REQUIREMENTS PREFIX [UV_OPTION...]
set -euo pipefail

requirements="$1" prefix="$2"
shift 2
if ! grep -q '^[A-Za-z0-9]' "$requirements"; then
  echo "$(basename "$requirements"): nothing to install"
  exit 0
fi
# Compiled as pip would, but with hash-based .pyc files (Python switches to them when
# SOURCE_DATE_EPOCH is set): a .pyc then records no file time, so two builds match.
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-0}" uv pip install --python "$prefix/bin/python" \
  --no-deps --require-hashes --compile-bytecode --requirement "$requirements" "$@"
