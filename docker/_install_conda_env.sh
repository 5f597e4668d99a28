#!/usr/bin/env bash
# Create the conda environment from the lockfile of the target architecture.
# lockstep picks it and, with CONDA_MIRROR set, rewrites its public channel
# URLs to the mirror (the locked hashes still check every package): one platform
# map and one mirror rewrite, lockstep's, for the image and the lock alike.
# Usage: _install_conda_env.sh TARGETARCH LOCK_DIR PREFIX
set -euo pipefail

arch="$1" lock_dir="$2" prefix="$3"
lockfile="$("${LOCKSTEP_PYTHON:-/opt/lockstep/bin/python}" -m lockstep.image_lockfile "$arch" "$lock_dir")"
"${MAMBA_EXE:-/bin/micromamba}" create --yes --prefix "$prefix" --file "$lockfile"
