# Stages: tools -> env -> dev | runtime. `make build` drives them; see README.md.

# Base images and versions: the one place each is set.
# micromamba 2.5.0: conda-lock 4.0.x cannot solve with micromamba 2.6.x.
ARG MICROMAMBA_IMAGE=mambaorg/micromamba:2.5.0-debian12-slim
ARG RUNTIME_IMAGE=debian:12-slim
# The Python that runs conda-lock, Poetry and lockstep (not the project's Python).
ARG TOOLS_PYTHON=3.12
ARG ENV_PREFIX=/opt/env

# ---------------------------------------------------------------- tools
# conda-lock, Poetry and lockstep. It copies no project file, so it builds
# before any lockfile exists: the Docker-only bootstrap starts here.
FROM ${MICROMAMBA_IMAGE} AS tools
# Re-declared: an ARG before the first FROM is not visible inside a stage.
ARG TOOLS_PYTHON
# The build stages write /opt as root; `make` runs the tools with --user (the
# host user) and the runtime stage switches to a non-root user.
# hadolint ignore=DL3002
USER 0
RUN --mount=type=cache,target=/opt/conda/pkgs,sharing=locked \
    micromamba create --yes --prefix /opt/tools-python --channel conda-forge \
      "python=${TOOLS_PYTHON}"
COPY scripts/lockstep /opt/lockstep-src
# Two environments: conda-lock 4.0.3 and Poetry 2.5.1 need disjoint dulwich ranges.
# Their versions come from constraints.txt and poetry.txt, pinned there only.
RUN --mount=type=cache,target=/root/.cache/pip \
    /opt/tools-python/bin/python -m venv /opt/lockstep \
    && /opt/lockstep/bin/pip install --constraint /opt/lockstep-src/constraints.txt /opt/lockstep-src \
    && /opt/tools-python/bin/python -m venv /opt/poetry \
    && /opt/poetry/bin/pip install --requirement /opt/lockstep-src/poetry.txt \
    && ln -s /opt/lockstep/bin/lockstep /opt/lockstep/bin/conda-lock /opt/poetry/bin/poetry /usr/local/bin/ \
    && install --directory --mode=1777 /cache
# One cache directory, mounted as a named volume by `make env-update`, writable
# by whichever uid runs the tools (the host user, so lockfiles stay theirs).
ENV XDG_CACHE_HOME=/cache \
    LOCKSTEP_CACHE_DIR=/cache/lockstep \
    POETRY_CACHE_DIR=/cache/pypoetry \
    CONDA_PKGS_DIRS=/cache/conda-pkgs \
    LOCKSTEP_CONDA_EXE=/bin/micromamba
WORKDIR /project

# ---------------------------------------------------------------- env
# The conda environment from the lockfile of the target architecture, then
# Poetry's main group and the project, installed by pip on top without deps.
FROM tools AS env
ARG TARGETARCH
ARG ENV_PREFIX
# Lockfiles before sources: editing src/ reuses every layer up to `COPY src`.
# Package caches are the tools' (XDG_CACHE_HOME, CONDA_PKGS_DIRS), as cache mounts.
COPY conda-*.lock /tmp/locks/
COPY --chmod=755 docker/_install_conda_env.sh /usr/local/bin/
RUN --mount=type=cache,target=/cache/conda-pkgs,sharing=locked \
    _install_conda_env.sh "${TARGETARCH}" /tmp/locks "${ENV_PREFIX}"
COPY pyproject.toml poetry.lock /tmp/project/
COPY --chmod=755 docker/_pip_install_group.sh /usr/local/bin/
RUN --mount=type=cache,target=/cache/pip \
    _pip_install_group.sh main /tmp/project "${ENV_PREFIX}"
COPY README.md /tmp/project/
COPY src /tmp/project/src
# The project itself, then the check that pip replaced nothing conda installed.
RUN --mount=type=cache,target=/cache/pip \
    "${ENV_PREFIX}/bin/python" -m pip install --no-deps /tmp/project \
    && PYTHONPATH=/opt/lockstep-src/src "${ENV_PREFIX}/bin/python" -m lockstep verify "${ENV_PREFIX}"

# ---------------------------------------------------------------- dev
# env plus the dev group: `make shell`, `make test-image`.
FROM env AS dev
ARG ENV_PREFIX
RUN --mount=type=cache,target=/cache/pip \
    _pip_install_group.sh dev /tmp/project "${ENV_PREFIX}" \
    && PYTHONPATH=/opt/lockstep-src/src "${ENV_PREFIX}/bin/python" -m lockstep verify "${ENV_PREFIX}"
# Named apart from the micromamba base image's own _entrypoint.sh.
COPY --chmod=755 docker/_env_entrypoint.sh /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/_env_entrypoint.sh"]
CMD ["bash"]

# ---------------------------------------------------------------- runtime
# Slim Debian with only the environment: no micromamba, conda-lock or Poetry.
FROM ${RUNTIME_IMAGE} AS runtime
ARG ENV_PREFIX
ARG APP_UID=10001
ARG REVISION=unknown
ARG LOCKFILE_DIGESTS=unknown
LABEL org.opencontainers.image.title="envreport" \
      org.opencontainers.image.revision="${REVISION}" \
      io.lockstep.lockfiles="${LOCKFILE_DIGESTS}"
RUN useradd --uid "${APP_UID}" --create-home --shell /bin/bash app
# Same path as in env: conda environments are not relocatable.
COPY --from=env ${ENV_PREFIX} ${ENV_PREFIX}
COPY --from=env /usr/local/bin/_activate_env.sh /usr/local/bin/
COPY --chmod=755 docker/_env_entrypoint.sh /usr/local/bin/
USER ${APP_UID}
WORKDIR /home/app
ENTRYPOINT ["/usr/local/bin/_env_entrypoint.sh"]
CMD ["python", "-m", "envreport"]
