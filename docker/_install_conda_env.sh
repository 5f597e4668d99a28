#!/usr/bin/env bash
# Create the conda environment from the lockfile of the target architecture.
# lockstep picks it and, with CONDA_MIRROR set, rewrites its public channel
# URLs to the mirror (the locked hashes still check every package): one platform
# map and one mirror rewrite, lockstep's, for the image and the lock alike.
# Usage: _install_conda_env.sh TARGETARCH LOCK_DIR PREFIX
set -euo pipefail

arch="$1" lock_dir="$2" prefix="$3"
lockfile="$("${LOCKSTEP_PYTHON:-/opt/lockstep/bin/python}" -m lockstep.image_lockfile "$arch" "$lock_dir")"
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
