#!/usr/bin/env bash
# Install a hash-pinned requirements file (exported from poetry.lock) into the
# conda prefix with pip: --no-deps, so pip never resolves on its own. The
# distributions conda provides are pinned to conda's versions in poetry.lock,
# so pip finds them already satisfied and leaves them alone.
# Usage: _pip_install_requirements.sh REQUIREMENTS PREFIX
set -euo pipefail

requirements="$1" prefix="$2"
if ! grep -q '^[A-Za-z0-9]' "$requirements"; then
  echo "$(basename "$requirements"): nothing to install"
  exit 0
fi
"$prefix/bin/python" -m pip install --no-deps --require-hashes --requirement "$requirements"
