# shellcheck shell=bash
# Sourced by every interactive bash of the image (from /etc/bash.bashrc): the
# environment active, also in shells that did not start through the entrypoint
# (`docker exec`), and a prompt that names it.
if [ "${ENV_SKIP_ACTIVATE:-0}" != "1" ]; then
  if [ -z "${CONDA_PREFIX:-}" ]; then
    # The activation script sets its own PS1; keep the distribution's prompt.
    __env_prompt="${PS1:-}"
    # shellcheck source=/dev/null
    . "${ENV_ACTIVATE_SCRIPT:-/usr/local/bin/_activate_env.sh}"
    PS1="$__env_prompt"
    unset __env_prompt
  fi
  PS1="${CONDA_PROMPT_MODIFIER:-}${PS1:-}"
fi
