#!/usr/bin/env bash
# Write the activation script the entrypoint sources: micromamba's own, which
# runs the packages' activate.d scripts and needs no micromamba at run time.
# It is generated from a clean environment so nothing of the build leaks in;
# micromamba then writes PATH as one fixed literal ending in the PATH it ran
# with, which is rewritten to end in the PATH of whoever sources the script.
# Usage: _write_activation.sh PREFIX OUTPUT
set -euo pipefail

prefix="$1" output="$2"
generation_path=/usr/bin:/bin
generated="$(env -i PATH="$generation_path" MAMBA_ROOT_PREFIX="${MAMBA_ROOT_PREFIX:-/opt/conda}" \
  "${MAMBA_EXE:-/bin/micromamba}" shell activate --prefix "$prefix" --shell bash)"

rewritten=0
while IFS= read -r line; do
  # e.g. export PATH='/opt/env/bin:/opt/conda/condabin:/usr/bin:/bin'
  if [[ "$line" == "export PATH='"*":$generation_path'" ]]; then
    entries="${line#"export PATH='"}"
    entries="${entries%":$generation_path'"}"
    line="export PATH='$entries'\"\${PATH:+:\${PATH}}\""
    rewritten=1
  fi
  printf '%s\n' "$line"
done <<< "$generated" > "$output"

if [ "$rewritten" != 1 ]; then
  echo "_write_activation.sh: no PATH line ending in $generation_path in micromamba's activation script; see $output" >&2
  exit 1
fi
