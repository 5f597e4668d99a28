#!/usr/bin/env bash
# Create the conda environment from the lockfile of the target architecture.
# With CONDA_MIRROR set, the locked conda.anaconda.org URLs are fetched from the
# mirror instead; the locked hashes still check every package.
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

if [ -n "${CONDA_MIRROR:-}" ]; then
  public=https://conda.anaconda.org/
  mirrored="$lock_dir/mirrored-$platform.lock"
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in
      "$public"*) line="${CONDA_MIRROR%/}/${line#"$public"}" ;;
    esac
    printf '%s\n' "$line"
  done < "$lockfile" > "$mirrored"
  lockfile="$mirrored"
fi

# SOURCE_DATE_EPOCH makes the Python that compiles noarch packages write hash-based
# .pyc files: they record no file time, which the reproducible export rewrites.
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-0}" \
  "${MAMBA_EXE:-/bin/micromamba}" create --yes --prefix "$prefix" --file "$lockfile"
# micromamba heads each entry of conda-meta/history with the time it ran: a
# build-time datum, so two builds of one lockfile would differ.
history="$prefix/conda-meta/history"
if [ -f "$history" ]; then
  sed -i -E 's/^==> [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} <==$/==> 1970-01-01 00:00:00 <==/' "$history"
fi
