#!/usr/bin/env bash
# Install one Poetry group into the conda prefix with pip: exact versions and
# hashes from poetry.lock, and --no-deps so pip never resolves on its own.
# Distributions conda provides are pinned to conda's versions in poetry.lock,
# so pip finds them already satisfied and leaves them alone.
# Usage: _pip_install_group.sh GROUP PROJECT_DIR PREFIX
set -euo pipefail

group="$1" project="$2" prefix="$3"
requirements="$(mktemp)"
# CONDA_PREFIX makes Poetry take the project's own Python (the prefix) as its
# environment, whatever Python the tools run on.
CONDA_PREFIX="$prefix" poetry export --directory "$project" --only "$group" --format requirements.txt --output "$requirements"
"$prefix/bin/python" -m pip install --no-deps --require-hashes --requirement "$requirements"
rm -f "$requirements"
