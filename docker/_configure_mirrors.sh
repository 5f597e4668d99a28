#!/usr/bin/env bash
# Point micromamba, pip, uv and Poetry at the mirrors named by CONDA_MIRROR and
# PYPI_MIRROR (make's variables of the same names, passed as build arguments).
# With neither set it writes nothing: the tools use conda-forge and PyPI.
# Usage: _configure_mirrors.sh [ROOT]   (files go under ROOT/etc; default /etc)
set -euo pipefail

etc="${1:-}/etc"

if [ -n "${CONDA_MIRROR:-}" ]; then
  # Channel names (conda-forge, bioconda...) resolve under the mirror.
  mkdir -p "$etc/conda"
  printf 'channel_alias: %s\n' "${CONDA_MIRROR%/}" > "$etc/conda/.condarc"
fi
if [ -n "${PYPI_MIRROR:-}" ]; then
  mkdir -p "$etc"
  printf '[global]\nindex-url = %s\n' "$PYPI_MIRROR" > "$etc/pip.conf"
  # Read by poetry-plugin-pypi-mirror (pinned in poetry.txt); POETRY_CONFIG_DIR points here.
  mkdir -p "$etc/pypoetry"
  printf '[plugins.pypi_mirror]\nurl = "%s"\n' "$PYPI_MIRROR" > "$etc/pypoetry/config.toml"
  # uv reads its system configuration from /etc/uv/uv.toml.
  mkdir -p "$etc/uv"
  printf '[pip]\nindex-url = "%s"\n' "$PYPI_MIRROR" > "$etc/uv/uv.toml"
fi
