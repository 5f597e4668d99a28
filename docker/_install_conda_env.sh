#!/usr/bin/env bash
# Create the conda environment from the lockfile of the target architecture,
# and write the activation script the runtime image sources (generated from a
# clean environment so nothing of the build leaks into it).
# Usage: _install_conda_env.sh TARGETARCH LOCK_DIR PREFIX
set -euo pipefail

arch="$1" lock_dir="$2" prefix="$3"
case "$arch" in
  amd64) platform=linux-64 ;;
  arm64) platform=linux-aarch64 ;;
  *) echo "unsupported architecture '$arch': lock linux-64 or linux-aarch64" >&2; exit 1 ;;
esac
lockfile="$lock_dir/conda-$platform.lock"
if [ ! -f "$lockfile" ]; then
  echo "no $(basename "$lockfile"): add $platform to platforms: in environment.yml, then make env-update" >&2
  exit 1
fi

micromamba create --yes --prefix "$prefix" --file "$lockfile"
env -i PATH=/usr/bin:/bin MAMBA_ROOT_PREFIX=/opt/conda /bin/micromamba shell activate --prefix "$prefix" --shell bash \
  > /usr/local/bin/_activate_env.sh
