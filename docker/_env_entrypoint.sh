#!/usr/bin/env bash
# Activate the conda environment, then run the given command in its place, so
# `docker run IMAGE python ...` works without a shell and signals reach it.
# ENV_SKIP_ACTIVATE=1 runs the command as is.
set -e

if [ "${ENV_SKIP_ACTIVATE:-0}" != "1" ]; then
  # shellcheck source=/dev/null
  source "${ENV_ACTIVATE_SCRIPT:-/usr/local/bin/_activate_env.sh}"
fi
exec "$@"
