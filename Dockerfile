# Stages: tools -> requirements, wheels -> deps -> env -> runtime; deps -> dev; sbom -> runtime.
# `make build` drives them; see README.md.

# Base images and versions: the one place each is set.
# micromamba 2.5.0: conda-lock 4.0.x cannot solve with micromamba 2.6.x.
ARG MICROMAMBA_IMAGE=mambaorg/micromamba:2.5.0-debian12-slim
ARG RUNTIME_BASE_IMAGE=debian:12-slim
# The Python that runs conda-lock, Poetry and lockstep (not the project's Python).
ARG TOOLS_PYTHON=3.12
ARG ENV_PREFIX=/opt/env
# Mirrors (empty: conda-forge and PyPI themselves). CONDA_MIRROR replaces
# https://conda.anaconda.org for channel names and locked URLs alike.
ARG CONDA_MIRROR=
ARG PYPI_MIRROR=

# ---------------------------------------------------------------- tools
# conda-lock, Poetry and lockstep. It copies no project file, so it builds
# before any lockfile exists: the Docker-only bootstrap starts here.
FROM ${MICROMAMBA_IMAGE} AS tools
# Re-declared: an ARG before the first FROM is not visible inside a stage.
ARG TOOLS_PYTHON
ARG CONDA_MIRROR
ARG PYPI_MIRROR
# The build stages write /opt as root; `make` runs the tools with --user (the
# host user) and the runtime stage switches to a non-root user.
# hadolint ignore=DL3002
USER 0
# Every later step (micromamba, conda-lock, pip, uv, Poetry, lockstep) reads the
# mirrors from here; POETRY_CONFIG_DIR makes Poetry's config the same for any uid.
ENV CONDA_MIRROR=${CONDA_MIRROR} \
    PYPI_MIRROR=${PYPI_MIRROR} \
    POETRY_CONFIG_DIR=/etc/pypoetry
COPY --chmod=755 docker/_configure_mirrors.sh /usr/local/bin/
RUN _configure_mirrors.sh
RUN --mount=type=cache,target=/opt/conda/pkgs,sharing=locked \
    micromamba create --yes --prefix /opt/tools-python --channel conda-forge \
      "python=${TOOLS_PYTHON}"
# Two environments: conda-lock 4.0.3 and Poetry 2.5.1 need disjoint dulwich ranges.
# Their versions come from constraints.txt and poetry.txt, pinned there only; uv,
# which installs Poetry's groups into the environment, from uv.txt.
# lockstep is installed from a throw-away bind mount, so its build leaves no
# egg-info anywhere; the stdlib-only copy below is what the later stages run.
# Its build backend comes from constraints.txt too: build isolation would fetch the
# newest setuptools, and not every pip applies constraints to build environments.
RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=bind,source=scripts/lockstep,target=/tmp/lockstep-src,rw \
    /opt/tools-python/bin/python -m venv /opt/lockstep \
    && /opt/lockstep/bin/pip install --constraint /tmp/lockstep-src/constraints.txt setuptools \
    && /opt/lockstep/bin/pip install --no-build-isolation \
      --constraint /tmp/lockstep-src/constraints.txt /tmp/lockstep-src \
    && /opt/tools-python/bin/python -m venv /opt/poetry \
    && /opt/poetry/bin/pip install --requirement /tmp/lockstep-src/poetry.txt \
    && /opt/tools-python/bin/python -m venv /opt/uv \
    && /opt/uv/bin/pip install --requirement /tmp/lockstep-src/uv.txt \
    && ln -s /opt/lockstep/bin/lockstep /opt/lockstep/bin/conda-lock /opt/poetry/bin/poetry \
      /opt/uv/bin/uv /usr/local/bin/ \
    && install --directory --mode=1777 /cache
# `lockstep verify` and `lockstep doctor` need the standard library only: they
# run with the project's own Python from this copy of the package alone.
COPY scripts/lockstep/src/lockstep /opt/lockstep-prefix/lockstep
# One cache directory, mounted as a named volume by `make env-update`, writable
# by whichever uid runs the tools (the host user, so lockfiles stay theirs).
ENV XDG_CACHE_HOME=/cache \
    LOCKSTEP_CACHE_DIR=/cache/lockstep \
    POETRY_CACHE_DIR=/cache/pypoetry \
    CONDA_PKGS_DIRS=/cache/conda-pkgs \
    LOCKSTEP_CONDA_EXE=/bin/micromamba \
    UV_CACHE_DIR=/cache/uv
# uv installs into the conda environment's own Python and never fetches one; its
# cache is a cache mount, another filesystem, so it copies instead of hard-linking.
ENV UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy
WORKDIR /project

# ---------------------------------------------------------------- requirements
# Poetry's groups as hash-pinned requirement files. The stages that install them
# copy the files, not pyproject.toml: an edit that changes no pin reuses their layers.
FROM tools AS requirements
COPY pyproject.toml poetry.lock /project/
COPY --chmod=755 docker/_export_requirements.sh /usr/local/bin/
RUN _export_requirements.sh /project /requirements

# ---------------------------------------------------------------- wheels
# The project's wheel and its editable wheel (for dev), built by the build
# backend pinned with Poetry: no build isolation, so nothing unpinned is fetched.
FROM tools AS wheels
COPY pyproject.toml README.md /project/
COPY src /project/src
COPY docker/_build_wheels.py /usr/local/bin/
RUN /opt/poetry/bin/python /usr/local/bin/_build_wheels.py /project /wheels

# ---------------------------------------------------------------- deps
# The conda environment from the lockfile of the target architecture, then
# Poetry's main group installed by uv on top, hash-checked, without deps.
FROM tools AS deps
ARG TARGETARCH
ARG ENV_PREFIX
# Package caches are the tools' (XDG_CACHE_HOME, CONDA_PKGS_DIRS), as cache mounts.
COPY conda-*.lock /tmp/locks/
COPY --chmod=755 docker/_install_conda_env.sh docker/_write_activation.sh /usr/local/bin/
RUN --mount=type=cache,target=/cache/conda-pkgs,sharing=locked \
    _install_conda_env.sh "${TARGETARCH}" /tmp/locks "${ENV_PREFIX}" \
    && _write_activation.sh "${ENV_PREFIX}" /usr/local/bin/_activate_env.sh
COPY --from=requirements /requirements/main.txt /tmp/requirements/
COPY --chmod=755 docker/_install_requirements.sh docker/_wheel_requirements.sh /usr/local/bin/
RUN --mount=type=cache,target=/cache/uv,sharing=locked \
    _install_requirements.sh /tmp/requirements/main.txt "${ENV_PREFIX}"

# ---------------------------------------------------------------- env
# The project installed apart (/opt/project holds only its files, a small layer
# for the runtime), merged into the environment, then the check that uv
# replaced nothing conda installed. The runtime copies from here: no verify, no image.
FROM deps AS env
ARG ENV_PREFIX
COPY --chmod=755 docker/_install_project.sh /usr/local/bin/
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    _install_project.sh /wheels/wheel "${ENV_PREFIX}" /opt/project \
    && PYTHONPATH=/opt/lockstep-prefix "${ENV_PREFIX}/bin/python" -m lockstep verify "${ENV_PREFIX}"

# ---------------------------------------------------------------- sbom
# The runtime environment's CycloneDX SBOM, written by lockstep from the lockfiles
# (docs/sbom.md); `make sbom` writes the same file on the host and checks both.
FROM tools AS sbom
ARG TARGETARCH
COPY pyproject.toml poetry.lock conda-*.lock /project/
RUN --mount=type=cache,target=/cache/lockstep,sharing=locked \
    lockstep sbom --project /project --platform "${TARGETARCH}" --output /sbom/cyclonedx.json

# ---------------------------------------------------------------- dev
# deps plus the dev group and the project as an editable install of /project:
# `make shell` mounts the working tree there, so edits need no rebuild.
FROM deps AS dev
ARG ENV_PREFIX
COPY --from=requirements /requirements/dev.txt /tmp/requirements/
RUN --mount=type=cache,target=/cache/uv,sharing=locked \
    _install_requirements.sh /tmp/requirements/dev.txt "${ENV_PREFIX}"
COPY pyproject.toml README.md /project/
COPY src /project/src
RUN --mount=type=bind,from=wheels,source=/wheels,target=/wheels \
    --mount=type=cache,target=/cache/uv,sharing=locked \
    _wheel_requirements.sh /wheels/editable > /tmp/requirements/editable.txt \
    && _install_requirements.sh /tmp/requirements/editable.txt "${ENV_PREFIX}" --no-index \
    && PYTHONPATH=/opt/lockstep-prefix "${ENV_PREFIX}/bin/python" -m lockstep verify "${ENV_PREFIX}"
COPY docker/_bashrc.sh /etc/bash.bashrc.d/env.sh
# The base image's ~/.bashrc would activate micromamba's `base` over the environment.
ENV MAMBA_SKIP_ACTIVATE=1
RUN echo '. /etc/bash.bashrc.d/env.sh' >> /etc/bash.bashrc
# Named apart from the micromamba base image's own _entrypoint.sh.
COPY --chmod=755 docker/_env_entrypoint.sh /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/_env_entrypoint.sh"]
CMD ["bash"]

# ---------------------------------------------------------------- runtime
# Slim Debian with only the environment: no micromamba, conda-lock or Poetry.
FROM ${RUNTIME_BASE_IMAGE} AS runtime
ARG ENV_PREFIX
ARG APP_UID=10001
# useradd writes the day it runs into /etc/shadow; a fixed day (1970-01-02; 0 would
# mean "change the password at next login") keeps this layer the same every day.
RUN SOURCE_DATE_EPOCH=86400 useradd --uid "${APP_UID}" --create-home --shell /bin/bash app
# Same path as in deps: conda environments are not relocatable. The environment
# layer changes only with the lockfiles.
COPY --from=deps ${ENV_PREFIX} ${ENV_PREFIX}
COPY --from=deps /usr/local/bin/_activate_env.sh /usr/local/bin/
COPY --chmod=755 docker/_env_entrypoint.sh /usr/local/bin/
COPY docker/_bashrc.sh /etc/bash.bashrc.d/env.sh
RUN echo '. /etc/bash.bashrc.d/env.sh' >> /etc/bash.bashrc
# What the environment holds, as `make sbom` checks it (docs/sbom.md).
COPY --from=sbom /sbom/cyclonedx.json /opt/sbom/cyclonedx.json
# The project's files (a few), the last layer: a source edit rebuilds this one only.
COPY --from=env /opt/project/ ${ENV_PREFIX}/
USER ${APP_UID}
WORKDIR /home/app
ENTRYPOINT ["/usr/local/bin/_env_entrypoint.sh"]
CMD ["python", "-m", "envreport"]
# Last, so that a new revision or lockfile digest reruns nothing above.
ARG REVISION=unknown
ARG LOCKFILE_DIGESTS=unknown
ARG SBOM_DIGEST=unknown
LABEL org.opencontainers.image.title="envreport" \
      org.opencontainers.image.revision="${REVISION}" \
      io.lockstep.lockfiles="${LOCKFILE_DIGESTS}" \
      io.lockstep.sbom="/opt/sbom/cyclonedx.json" \
      io.lockstep.sbom.digest="${SBOM_DIGEST}"
