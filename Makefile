# The template's user interface. `make` alone prints the menu.
# Every public target carries a `## description` on its rule line; the test
# suite checks that none is missing from `make help`.

.DEFAULT_GOAL := help
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
MAKEFLAGS += --no-builtin-rules

.PHONY: help
help: ## Show this menu
	@awk -v sections='$(subst ','\'',$(MENU_SECTIONS))' 'BEGIN {FS = ":.*## "} \
	  /^[a-zA-Z0-9_-]+:.*## / {about[$$1] = $$2; order[++count] = $$1} \
	  END {printf "Usage: make TARGET [NAME=value ...]\n"; \
	    for (s = split(sections, section, ";"); i < s; ) { \
	      split(section[++i], part, ":"); sub(/^ +/, "", part[1]); printf "\n%s:\n", part[1]; \
	      for (n = split(part[2], names, " "); j < n; ) { name = names[++j]; \
	        if (name in about) {printf "  %-18s %s\n", name, about[name]; shown[name] = 1} } j = 0 } \
	    for (k = 1; k <= count; k++) if (!(order[k] in shown)) other = other sprintf("  %-18s %s\n", order[k], about[order[k]]); \
	    if (other != "") printf "\nOther:\n%s", other}' $(MAKEFILE_LIST)
	@awk 'BEGIN {printf "\nSettings (default in brackets):\n"} \
	  /^#: / {about = substr($$0, 4); next} \
	  /^[A-Z0-9_]+ \?=/ {name = $$1; value = $$0; sub(/^[A-Z0-9_]+ \?= ?/, "", value); \
	    printf "  %-18s %s [%s]\n", name, about, value} {about = ""}' $(MAKEFILE_LIST)
# The menu's sections, `Title:target ...` separated by `;`; a target in none is
# listed under "Other", so a new one is never missing from the menu.
MENU_SECTIONS := Daily work:build shell jupyter run test-image env-check doctor clean help;\
  Locks:env-update env-upgrade env-bootstrap env-import lockfile-digests sbom;\
  Images:push pin-base-images;\
  This template's own checks:test test-ranges bench test-e2e tools-pins clean-venvs;\
  Starting a project:init

# ---------------------------------------------------------------- settings
# What users set: `make TARGET NAME=value`, or exported. Each `#:` line is the
# description `make help` prints beside the setting and its default. Everything
# below the settings is plumbing.

# the images
#: image names: IMAGE:TAG, IMAGE-dev:TAG, IMAGE-tools:TAG
IMAGE ?= envreport
#: the tag of all three images
TAG ?= latest
#: the Docker client to call
DOCKER ?= docker
#: extra `docker build` flags, e.g. --no-cache, --progress=plain, --platform linux/arm64
BUILD_FLAGS ?=
#: extra `docker run` flags, e.g. --network host to reach a mirror on this machine
RUN_FLAGS ?=
#: the command of `make run` (empty: the image's python -m envreport)
CMD ?=
#: 1 gives shell, run, test-image and jupyter every GPU of the host (--gpus all)
GPU ?=
#: the host port of `make jupyter` (bound to 127.0.0.1 only)
PORT ?= 8888
#: the Docker volume caching lockstep's and Poetry's downloads
CACHE_VOLUME ?= $(IMAGE)-lockstep-cache

# mirrors and base images
#: a conda mirror replacing https://conda.anaconda.org (channel names and locked URLs)
CONDA_MIRROR ?=
#: a PEP 503 index replacing PyPI for uv, pip and Poetry
PYPI_MIRROR ?=
#: the tools' base image (empty: the Dockerfile's mambaorg/micromamba:2.5.0-debian12-slim)
MICROMAMBA_IMAGE ?=
#: the runtime's base image (empty: the Dockerfile's debian:12-slim)
RUNTIME_BASE_IMAGE ?=

# locks
#: conda platforms to lock and check instead of environment.yml's (comma-separated)
CONDA_PLATFORMS ?=
#: env-import's other input, a file inside the project: an environment.yml or a requirements file
FROM ?=
#: 1: env-import refuses a FROM environment whose python disagrees with requires-python (default: FROM's python defines it)
KEEP_REQUIRES_PYTHON ?=

# publishing and builders (buildx)
#: the registry `make push` publishes the runtime image to, as REGISTRY/IMAGE:TAG
REGISTRY ?=
#: Docker platforms of the runtime image (buildx), e.g. linux/amd64,linux/arm64
DOCKER_PLATFORMS ?=
#: a registry image holding BuildKit's layer cache for every builder (buildx)
CACHE_REF ?=
#: the buildx builder to build with, e.g. a remote or Kubernetes one (buildx)
BUILDER ?=
#: 1 builds the runtime image reproducibly: every file time clamped to SOURCE_DATE_EPOCH (BuildKit 0.13+)
REPRODUCIBLE ?=
#: the runtime image's timestamps, seconds since 1970 (empty: the last commit's time)
SOURCE_DATE_EPOCH ?=

# this template's own checks (on the host)
#: the host Python of `make test`, `make bench`, `make test-e2e` (3.10+)
PYTHON ?= python3
#: extra pytest arguments for `make test`, e.g. -k freshness
PYTEST_ARGS ?=
#: pytest workers of `make test` (pytest-xdist; 0 runs in one process)
PYTEST_WORKERS ?= 4
#: options of `make test-e2e`, e.g. --keep
E2E_FLAGS ?=

# starting a project
#: the project name of `make init`, e.g. my-project (package my_project)
NAME ?=
#: 1 makes `make init` keep the template's own tests, benchmarks and their settings
KEEP_TEMPLATE_TESTS ?=

# The old names, read for one release: LOCK_PLATFORMS and PLATFORMS said less about
# which platforms they meant (conda subdirs, Docker platforms).
ifneq ($(LOCK_PLATFORMS),)
$(warning LOCK_PLATFORMS is deprecated: set CONDA_PLATFORMS (conda platforms, e.g. linux-64))
CONDA_PLATFORMS := $(or $(CONDA_PLATFORMS),$(LOCK_PLATFORMS))
endif
ifneq ($(PLATFORMS),)
$(warning PLATFORMS is deprecated: set DOCKER_PLATFORMS (Docker platforms, e.g. linux/arm64))
DOCKER_PLATFORMS := $(or $(DOCKER_PLATFORMS),$(PLATFORMS))
endif

# ---------------------------------------------------------------- the image
# Docker targets: each is one docker call (plus the tools image it needs).
TOOLS_IMAGE := $(IMAGE)-tools:$(TAG)
DEV_IMAGE := $(IMAGE)-dev:$(TAG)
RUNTIME_IMAGE := $(IMAGE):$(TAG)
BUILD_ARGS := $(foreach setting,CONDA_MIRROR PYPI_MIRROR MICROMAMBA_IMAGE RUNTIME_BASE_IMAGE,\
  $(if $($(setting)),--build-arg $(setting)=$($(setting))))
# A registry cache, several platforms, a chosen builder or a reproducible build need
# buildx itself; otherwise `docker build` with BuildKit (built into Docker 20.10-22,
# buildx on 23+).
USE_BUILDX := $(strip $(CACHE_REF)$(DOCKER_PLATFORMS)$(BUILDER)$(filter 1,$(REPRODUCIBLE)))
comma := ,
# build_with TARGET: the build command for one stage, with its own cache in CACHE_REF.
cache_of = --cache-from type=registry$(comma)ref=$(CACHE_REF):$(1) \
  --cache-to type=registry$(comma)ref=$(CACHE_REF):$(1)$(comma)mode=max
build_with = $(if $(USE_BUILDX),$(DOCKER) buildx build $(if $(BUILDER),--builder $(BUILDER)) \
  $(if $(CACHE_REF),$(call cache_of,$(1))),DOCKER_BUILDKIT=1 $(DOCKER) build) \
  $(BUILD_FLAGS) $(strip $(BUILD_ARGS))
# Images `make` runs here are loaded into the local engine; a multi-platform runtime
# stays in the builder until `make push` publishes it.
LOAD := $(if $(USE_BUILDX),--load)
# REPRODUCIBLE=1: BuildKit rewrites every file time in the layers to SOURCE_DATE_EPOCH
# as it exports the image into the engine.
# No provenance attestation: it records when the build ran.
REPRODUCIBLE_OUTPUT := --output type=docker$(comma)rewrite-timestamp=true --provenance=false
RUNTIME_OUTPUT := $(if $(DOCKER_PLATFORMS),--platform $(DOCKER_PLATFORMS),$(if $(filter 1,$(REPRODUCIBLE)),$(REPRODUCIBLE_OUTPUT),$(LOAD)))
PUSHED_IMAGE := $(REGISTRY)/$(IMAGE):$(TAG)
# The commit the image is built from, marked -dirty when the tree has changes, new
# files included (`git describe --dirty` sees only changes to tracked ones).
REVISION := $(shell rev="$$(git rev-parse --short HEAD 2>/dev/null)" || rev=unknown; \
  [ "$$rev" = unknown ] || [ -z "$$(git status --porcelain 2>/dev/null)" ] || rev="$$rev-dirty"; \
  echo "$$rev")
# The time the runtime image says it was made: the commit's, not the build's, so that two
# builds of one commit can be the same image (BuildKit 0.11+ reads this build argument).
BUILD_EPOCH := $(or $(SOURCE_DATE_EPOCH),$(shell git log -1 --format=%ct 2>/dev/null))
RUNTIME_LABELS = --build-arg REVISION=$(REVISION) --build-arg LOCKFILE_DIGESTS=$(LOCKFILE_DIGESTS) \
  $(if $(BUILD_EPOCH),--build-arg SOURCE_DATE_EPOCH=$(BUILD_EPOCH))
LOCKFILE_DIGESTS = $(shell sha256sum conda-*.lock poetry.lock 2>/dev/null | awk '{printf "%s%s=sha256:%s", (NR > 1 ? "," : ""), $$2, $$1}')
# stdin always reaches the container (`echo CMD | make shell`); a tty only on a terminal.
TTY_FLAGS := --interactive $(shell [ -t 0 ] && echo --tty)
# The host user: files written into the project stay theirs; HOME must be writable.
AS_HOST_USER := --user "$$(id -u):$$(id -g)" --env HOME=/tmp
DOCKER_RUN = $(DOCKER) run --rm $(RUN_FLAGS)
# What GPU=1 adds to the containers that run the project's code.
GPU_FLAGS := $(if $(filter 1,$(GPU)),--gpus all)
LOCKSTEP_RUN = $(DOCKER_RUN) $(TTY_FLAGS) $(AS_HOST_USER) \
  $(if $(CONDA_PLATFORMS),--env LOCKSTEP_PLATFORMS=$(CONDA_PLATFORMS)) \
  --volume "$(CURDIR):/project" --volume "$(CACHE_VOLUME):/cache" $(TOOLS_IMAGE)
# FROM relative to the project (the container sees only the project): empty when it is outside.
IMPORT_FROM = $(patsubst $(CURDIR)/%,%,$(filter $(CURDIR)/%,$(abspath $(FROM))))
LOCKFILES_PRESENT := $(and $(wildcard conda-*.lock),$(wildcard poetry.lock))

# Guards: one line saying what to do, instead of Docker's own errors.
.PHONY: .docker
.docker:
	@command -v $(DOCKER) >/dev/null 2>&1 || \
	  { echo "make: '$(DOCKER)' not found: install Docker (https://docs.docker.com/get-docker/) and retry" >&2; exit 1; }
	@answer="$$($(DOCKER) info 2>&1 >/dev/null)" || { \
	  case "$$answer" in \
	    *"permission denied"*) echo "make: no permission to use the Docker daemon: add yourself to the 'docker' group (sudo usermod -aG docker $$(id -un)), log in again and retry" >&2 ;; \
	    *) echo "make: the Docker daemon does not answer ('$(DOCKER) info' failed): start Docker and retry" >&2 ;; \
	  esac; exit 1; }

# Docker 23+ builds with BuildKit only through the buildx plugin; older clients have it
# built in, unless a buildx feature is asked for (CACHE_REF, DOCKER_PLATFORMS, BUILDER).
.PHONY: .buildkit
.buildkit: .docker
	@if ! $(DOCKER) buildx version >/dev/null 2>&1; then \
	  major="$$($(DOCKER) version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1)"; \
	  if [ -n "$(USE_BUILDX)" ] || ! [ "$$major" -lt 23 ] 2>/dev/null; then \
	    echo "make: Docker's buildx plugin (BuildKit) is missing$(if $(USE_BUILDX), (CACHE_REF$(comma) DOCKER_PLATFORMS and BUILDER need it)): install it (Debian/Ubuntu: docker-buildx or docker-buildx-plugin; Arch: docker-buildx; https://github.com/docker/buildx#installing) and retry" >&2; exit 1; fi; \
	fi

# REPRODUCIBLE=1 needs BuildKit 0.13+ (rewrite-timestamp); `docker buildx inspect` names the
# builder's version ("BuildKit version: v0.13.2", or "Buildkit: v0.12.5" from older buildx).
.PHONY: .reproducible
.reproducible: .docker
ifeq ($(REPRODUCIBLE),1)
	@version="$$({ $(DOCKER) buildx inspect $(BUILDER) 2>/dev/null || true; } | \
	  awk '/^ *Build[Kk]it( version)?:/ {print $$NF; exit}')"; version="$${version#v}"; \
	major="$${version%%.*}"; minor="$${version#*.}"; minor="$${minor%%.*}"; \
	shown="$${version:-unknown: $(DOCKER) buildx inspect names none (is the buildx plugin installed?)}"; \
	if ! { [ "$$major" -gt 0 ] || [ "$$minor" -ge 13 ]; } 2>/dev/null; then \
	  echo "make: REPRODUCIBLE=1 needs BuildKit 0.13 or newer (Docker Engine 26+, or BUILDER= a buildx builder running moby/buildkit v0.13+); this builder's BuildKit is $$shown" >&2; exit 1; fi
	@[ -n "$(BUILD_EPOCH)" ] || { echo "make: REPRODUCIBLE=1 needs the time to stamp the image with: set SOURCE_DATE_EPOCH=SECONDS (there is no git commit here to take it from)" >&2; exit 1; }
endif

# With GPU=1, the engine needs NVIDIA's runtime, or `--gpus` ends in Docker's own error.
.PHONY: .gpu
.gpu: .docker
ifeq ($(GPU),1)
	@$(DOCKER) info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"nvidia"' || \
	  { echo "make: GPU=1 needs the NVIDIA Container Toolkit on the Docker host: install it (https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html), run 'sudo nvidia-ctk runtime configure --runtime=docker', restart Docker and retry" >&2; exit 1; }
endif

# image-exists IMAGE: fail with one line when IMAGE has not been built yet.
image-exists = @$(DOCKER) image inspect $(1) >/dev/null 2>&1 || \
  { echo "make: no image $(1) yet: run \`make build\` first" >&2; exit 1; }

# timed TITLE,COMMAND: run COMMAND between a line saying what runs and one saying how long it took.
timed = @echo "==> $(1)" >&2; started=$$(date +%s); $(2); \
  echo "==> $(1): done in $$(( $$(date +%s) - started ))s" >&2

.PHONY: .tools-image
.tools-image: .buildkit
	$(call timed,tools image $(TOOLS_IMAGE),$(call build_with,tools) $(LOAD) --target tools --tag $(TOOLS_IMAGE) .)

.PHONY: build
build: .reproducible .tools-image $(if $(LOCKFILES_PRESENT),,env-bootstrap) ## Build the runtime and dev images (locks first when there are no lockfiles)
	$(call timed,check the lockfiles,$(LOCKSTEP_RUN) lockstep check --project /project)
	$(call timed,dev image $(DEV_IMAGE),$(call build_with,dev) $(LOAD) --target dev --tag $(DEV_IMAGE) .)
	$(if $(DOCKER_PLATFORMS),,$(call timed,SBOM $(SBOM_FILE),$(WRITE_SBOM) "$$($(DOCKER) version --format '{{.Server.Arch}}')"))
	$(call timed,runtime image $(RUNTIME_IMAGE)$(if $(DOCKER_PLATFORMS), for $(DOCKER_PLATFORMS)),\
	  $(call build_with,runtime) $(RUNTIME_OUTPUT) --target runtime --tag $(RUNTIME_IMAGE) $(RUNTIME_LABELS) $(SBOM_LABEL) .)

# Before the build, which can take many minutes.
.PHONY: .registry
.registry:
	@[ -n "$(REGISTRY)" ] || { echo "make: set REGISTRY, e.g. make push REGISTRY=ghcr.io/acme" >&2; exit 1; }

.PHONY: push
push: .registry build ## Publish the runtime image as REGISTRY/IMAGE:TAG (every DOCKER_PLATFORMS, through buildx)
ifneq ($(DOCKER_PLATFORMS),)
	$(call build_with,runtime) --platform $(DOCKER_PLATFORMS) --push --target runtime \
	  --tag $(PUSHED_IMAGE) $(RUNTIME_LABELS) .
else
	$(DOCKER) tag $(RUNTIME_IMAGE) $(PUSHED_IMAGE)
	$(DOCKER) push $(PUSHED_IMAGE)
endif

.PHONY: env-bootstrap
env-bootstrap: env-update ## First lock of a fresh project (the same as env-update)

.PHONY: env-update
env-update: .tools-image ## Relock after editing environment.yml or pyproject.toml (all or nothing)
	$(call timed,lock with conda-lock and Poetry,$(LOCKSTEP_RUN) lockstep lock --project /project)

.PHONY: env-upgrade
env-upgrade: .tools-image ## Relock everything to the newest versions the specs allow
	$(call timed,relock to the newest versions,$(LOCKSTEP_RUN) lockstep lock --upgrade --project /project)

# The tools container sees the project only: FROM must be a file inside it.
.PHONY: .import-from
.import-from:
ifneq ($(FROM),)
	@[ -n "$(IMPORT_FROM)" ] && [ -f "$(FROM)" ] || \
	  { echo "make: FROM=$(FROM) is not a file inside this project: copy it into the project and retry" >&2; exit 1; }
endif

.PHONY: env-import
env-import: .import-from .tools-image ## Bring an existing environment.yml (pip: section, conda env export) and requirements (FROM) into shape
	$(LOCKSTEP_RUN) lockstep import --project /project $(if $(IMPORT_FROM),--from /project/$(IMPORT_FROM)) \
	  $(if $(filter 1,$(KEEP_REQUIRES_PYTHON)),--keep-requires-python)

.PHONY: env-check
env-check: .tools-image ## Offline: are the lockfiles fresh? (exit 1 naming what is stale)
	$(LOCKSTEP_RUN) lockstep check --project /project

# Tags roll: this records today's digest of each base image's tag in the Dockerfile
# (`name:tag@sha256:...`), so every later build starts from the very same image.
.PHONY: pin-base-images
pin-base-images: .buildkit ## Pin the Dockerfile's base images by digest (commit the result)
	@for setting in MICROMAMBA_IMAGE RUNTIME_BASE_IMAGE; do \
	  reference="$$(sed -n "s/^ARG $$setting=//p" Dockerfile)"; tag="$${reference%@*}"; \
	  digest="$$($(DOCKER) buildx imagetools inspect "$$tag" | awk '$$1 == "Digest:" {print $$2; exit}')"; \
	  case "$$digest" in sha256:*) ;; *) echo "make: no digest for $$tag from the registry: check the name and your network, then retry" >&2; exit 1 ;; esac; \
	  sed "s|^ARG $$setting=.*|ARG $$setting=$$tag@$$digest|" Dockerfile > Dockerfile.pinning && mv Dockerfile.pinning Dockerfile; \
	  echo "$$setting: $$tag@$$digest"; \
	done

# The SBOM (docs/sbom.md): lockstep writes it from the lockfiles, here and in the image
# build alike. The label carries its digest, read when the recipe runs (after
# WRITE_SBOM); a multi-platform build has one SBOM per platform, so none is labelled.
SBOM_FILE := build/sbom/cyclonedx.json
SBOM_IN_IMAGE := /opt/sbom/cyclonedx.json
WRITE_SBOM = $(LOCKSTEP_RUN) lockstep sbom --project /project --output /project/$(SBOM_FILE) --platform
SBOM_LABEL = $(if $(DOCKER_PLATFORMS),,--build-arg SBOM_DIGEST="sha256:$$(sha256sum $(SBOM_FILE) | cut -d' ' -f1)")

.PHONY: sbom
sbom: .tools-image ## Write the runtime image's SBOM (build/sbom/cyclonedx.json) and check it against the image
	$(call image-exists,$(RUNTIME_IMAGE))
	$(WRITE_SBOM) "$$($(DOCKER) image inspect --format '{{.Architecture}}' $(RUNTIME_IMAGE))"
	$(DOCKER_RUN) --volume "$(CURDIR)/$(SBOM_FILE):/tmp/sbom.json:ro" \
	  --volume "$(CURDIR)/scripts/lockstep/src/lockstep:/opt/lockstep-prefix/lockstep:ro" \
	  --env PYTHONPATH=/opt/lockstep-prefix \
	  $(RUNTIME_IMAGE) python -m lockstep.prefix.sbom_check /opt/env /tmp/sbom.json
	@$(DOCKER_RUN) --entrypoint cat $(RUNTIME_IMAGE) $(SBOM_IN_IMAGE) | cmp --quiet - $(SBOM_FILE) || \
	  { echo "make: the image's $(SBOM_IN_IMAGE) is not $(SBOM_FILE): rebuild the image (make build)" >&2; exit 1; }
	@echo "$(SBOM_FILE): the runtime image $(RUNTIME_IMAGE) holds what it lists, and carries it at $(SBOM_IN_IMAGE)"

.PHONY: lockfile-digests
lockfile-digests: ## Print the lockfile digests the runtime image is labelled with
	@echo "$(LOCKFILE_DIGESTS)"

.PHONY: shell
shell: .docker .gpu ## Shell in the dev image as you, environment active, project at /project
	$(call image-exists,$(DEV_IMAGE))
	$(DOCKER_RUN) $(TTY_FLAGS) $(AS_HOST_USER) $(GPU_FLAGS) --volume "$(CURDIR):/project" \
	  --workdir /project $(DEV_IMAGE) bash

.PHONY: jupyter
jupyter: .docker .gpu ## JupyterLab in the dev image as you, on 127.0.0.1:PORT; prints the URL with its token
	$(call image-exists,$(DEV_IMAGE))
	@# A fresh token per run, handed over in the environment (not visible in `ps`).
	@token="$$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"; \
	echo "JupyterLab: http://127.0.0.1:$(PORT)/lab?token=$$token"; \
	JUPYTER_TOKEN="$$token" $(DOCKER_RUN) $(TTY_FLAGS) $(AS_HOST_USER) $(GPU_FLAGS) --env JUPYTER_TOKEN \
	  --volume "$(CURDIR):/project" --workdir /project --publish 127.0.0.1:$(PORT):$(PORT) \
	  $(DEV_IMAGE) python -m jupyterlab --ip=0.0.0.0 --port=$(PORT) --no-browser

.PHONY: run
run: .docker .gpu ## Run CMD in the runtime image (default: python -m envreport)
	$(call image-exists,$(RUNTIME_IMAGE))
	$(DOCKER_RUN) $(TTY_FLAGS) $(GPU_FLAGS) $(RUNTIME_IMAGE) $(CMD)

.PHONY: test-image
test-image: .docker .gpu ## Run the example package's tests with pytest in the dev image
	$(call image-exists,$(DEV_IMAGE))
	$(DOCKER_RUN) $(AS_HOST_USER) $(GPU_FLAGS) --volume "$(CURDIR):/project:ro" --workdir /project \
	  $(DEV_IMAGE) \
	  python -m pytest -p no:cacheprovider tests/envreport

.PHONY: doctor
doctor: .docker ## Table of every distribution in the runtime image: version, installer, conda pin
	$(call image-exists,$(RUNTIME_IMAGE))
	$(DOCKER_RUN) --volume "$(CURDIR):/project:ro" \
	  --volume "$(CURDIR)/scripts/lockstep/src/lockstep:/opt/lockstep-prefix/lockstep:ro" \
	  --env PYTHONPATH=/opt/lockstep-prefix \
	  $(RUNTIME_IMAGE) python -m lockstep doctor /opt/env --project /project

.PHONY: clean
clean: .docker ## Remove this project's images and its lockstep cache volume
	@for image in $(RUNTIME_IMAGE) $(DEV_IMAGE) $(TOOLS_IMAGE); do \
	  if $(DOCKER) image inspect "$$image" >/dev/null 2>&1; then $(DOCKER) image rm --force "$$image"; \
	  else echo "no image $$image: nothing to remove"; fi; done
	@if $(DOCKER) volume inspect $(CACHE_VOLUME) >/dev/null 2>&1; then $(DOCKER) volume rm --force $(CACHE_VOLUME); \
	  else echo "no volume $(CACHE_VOLUME): nothing to remove"; fi

.PHONY: test-e2e
test-e2e: ## End to end, for real: build, run, shell, relock in a copy of the project (needs Docker that can pull)
	$(PYTHON) tests/e2e/e2e.py $(E2E_FLAGS)

# ---------------------------------------------------------------- host tests
# `make test` needs Python 3.10+ and make only: it keeps two virtual
# environments under .venvs/, rebuilt only when a pin file changes.
VENVS := .venvs
TEST_VENV := $(VENVS)/test
POETRY_VENV := $(VENVS)/poetry
# Only the `poetry` command of Poetry's environment goes on PATH, so that its
# python never shadows the test environment's.
TOOLS_BIN := $(VENVS)/bin
TEST_STAMP := $(TEST_VENV)/.installed
# The example package alone: editing pyproject.toml reinstalls it, not the tooling.
EXAMPLE_STAMP := $(TEST_VENV)/.example-installed
POETRY_STAMP := $(POETRY_VENV)/.installed
PIP_QUIET := --quiet --disable-pip-version-check
# --dist loadscope: a module's tests run in one worker, so a costly module fixture (the
# 69 real-world imports) runs once, not once for each worker given one of its tests.

# The Dev Containers CLI reads .devcontainer/ in the tests; installed only where npm is.
DEVCONTAINER_CLI_VERSION := 0.89.0
NODE_TOOLS := $(VENVS)/node
NODE_STAMP := $(NODE_TOOLS)/.installed-$(DEVCONTAINER_CLI_VERSION)

# What the suite and the benchmark run under: Poetry's command and the test tools first on
# PATH, and bytecode cached under .venvs/cache/pycache even where PYTHONDONTWRITEBYTECODE
# is set. Without a cache every one of the suite's hundreds of Python processes compiled
# each module it imported, and pytest rewrote every test module in each worker, each run.
TEST_RUN_ENV = PATH="$(abspath $(TOOLS_BIN)):$(abspath $(TEST_VENV))/bin:$$PATH" \
  PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX="$(abspath $(VENVS))/cache/pycache"

.PHONY: test
test: $(TEST_STAMP) $(EXAMPLE_STAMP) $(POETRY_STAMP) $(if $(shell command -v npm),$(NODE_STAMP)) ## Run ruff, mypy and pytest on the host (no Docker needed)
	@echo "==> ruff"
	$(TEST_VENV)/bin/ruff check .
	$(TEST_VENV)/bin/ruff format --check .
	@echo "==> mypy"
	$(TEST_VENV)/bin/mypy
	@# lockstep and the template's own tests, with their own settings.
	$(TEST_VENV)/bin/mypy --config-file scripts/lockstep/pyproject.toml
	@echo "==> pytest"
	$(TEST_RUN_ENV) $(TEST_VENV)/bin/pytest --numprocesses $(PYTEST_WORKERS) --dist loadscope $(PYTEST_ARGS)
	@# lockstep's declared ranges, at both ends (test-ranges, below).
	@$(MAKE) --no-print-directory test-ranges

.PHONY: bench
bench: $(TEST_STAMP) $(EXAMPLE_STAMP) $(POETRY_STAMP) ## Benchmark lockstep's metadata fetch, `lockstep check`, the test suite and pip vs uv (prints figures)
	$(TEST_VENV)/bin/python scripts/lockstep/benchmarks/bench_pins.py
	$(TEST_RUN_ENV) $(TEST_VENV)/bin/python scripts/lockstep/benchmarks/bench_check.py --workers $(PYTEST_WORKERS)
	$(TEST_VENV)/bin/python scripts/lockstep/benchmarks/bench_installers.py
	$(TEST_VENV)/bin/python scripts/lockstep/benchmarks/bench_input_size.py

# Once, in a fresh copy of the template: runs on the host (no Docker needed), with the
# test environment's lockstep.

.PHONY: init
init: $(TEST_STAMP) ## Turn the template into your project NAME (once, all or nothing; docs/init.md)
	@[ -n "$(NAME)" ] || { echo "make: set NAME, e.g. make init NAME=my-project" >&2; exit 2; }
	$(TEST_VENV)/bin/lockstep init --project . '$(NAME)' $(if $(filter 1,$(KEEP_TEMPLATE_TESTS)),--keep-template-tests)

$(TEST_STAMP): requirements/test.txt scripts/lockstep/constraints.txt scripts/lockstep/pyproject.toml \
  scripts/lockstep/uv.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "make test needs Python 3.10 or newer as '$(PYTHON)'; set PYTHON=/path/to/python3.x" >&2; exit 1; }
	@echo "==> installing test tooling into $(TEST_VENV) (only when a pin file changed)"
	$(PYTHON) -m venv --clear $(TEST_VENV)
	$(TEST_VENV)/bin/python -m pip install $(PIP_QUIET) --upgrade pip
	$(TEST_VENV)/bin/python -m pip install $(PIP_QUIET) \
	  -r requirements/test.txt -r scripts/lockstep/uv.txt -c scripts/lockstep/constraints.txt \
	  -e scripts/lockstep
	@touch $@

$(EXAMPLE_STAMP): $(TEST_STAMP) pyproject.toml
	@# The example package itself, without its dependencies (its tests report what is
	@# missing); its requires-python describes the image's Python, not the host's.
	$(TEST_VENV)/bin/python -m pip install $(PIP_QUIET) --no-deps --ignore-requires-python -e .
	@touch $@

$(POETRY_STAMP): scripts/lockstep/poetry.txt
	@echo "==> installing Poetry into $(POETRY_VENV) (only when its pin changed)"
	$(PYTHON) -m venv --clear $(POETRY_VENV)
	$(POETRY_VENV)/bin/python -m pip install $(PIP_QUIET) -r scripts/lockstep/poetry.txt
	@mkdir -p $(TOOLS_BIN)
	ln -sf "$(abspath $(POETRY_VENV))/bin/poetry" $(TOOLS_BIN)/poetry
	@touch $@

# The tools' full pins (every transitive dependency, for Python 3.10+ on any
# platform), generated from the direct pins in scripts/lockstep/*.in.
# uv's version is set in scripts/lockstep/uv.txt, which the tools image installs too.
UV_PIN := scripts/lockstep/uv.txt
UV_VENV := $(VENVS)/uv
LOCKSTEP_DIR := scripts/lockstep
UV_COMPILE = $(UV_VENV)/bin/uv pip compile --quiet --universal --python-version 3.10 \
  --index-url https://pypi.org/simple/ --custom-compile-command "make tools-pins"

.PHONY: tools-pins
tools-pins: ## Regenerate the tools' transitive pins (scripts/lockstep/constraints.txt, poetry.txt)
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/python -m pip install $(PIP_QUIET) -r $(UV_PIN)
	cd $(LOCKSTEP_DIR) && ../../$(UV_COMPILE) requirements.in pyproject.toml -o constraints.txt
	cd $(LOCKSTEP_DIR) && ../../$(UV_COMPILE) poetry.in -o poetry.txt

# lockstep's declared ranges (scripts/lockstep/pyproject.toml), tested: lockstep installed
# from them alone (no constraints.txt) at the newest versions they allow and at the lowest
# (uv's lowest-direct: lockstep's own dependencies lowest, theirs newest), each running
# the tests that exercise those dependencies. The Poetry-running ones are left out: Poetry
# has its own pinned environment, which the ranges do not change. Rebuilt only when a pin
# file changes, so "newest" means the newest when it was last built.
RANGES := highest lowest-direct
RANGES_STAMPS := $(foreach mode,$(RANGES),$(VENVS)/ranges-$(mode)/.installed)
RANGES_TESTS := $(addprefix tests/lockstep/,test_conda_version_spec.py test_environment.py \
  test_import_python.py test_pyproject.py test_import_project.py test_import_environment.py \
  test_package_info.py test_package_info_no_range.py test_cuda_input_hash.py test_explicit.py \
  test_freshness.py test_realworld_freshness.py)
RANGES_SKIPPED := not real_poetry and not poetry_accepts and not pip_entries_move \
  and not as_for_poetry_2_5_itself
# The test tools, at the versions requirements/test.txt pins.
RANGES_TOOLS := ^(pytest|pytest-xdist|conda-package-handling|hypothesis)==
RANGES_UV = $(TEST_VENV)/bin/uv pip install --quiet --python $(@D)/bin/python \
  --index-url $(or $(PYPI_MIRROR),https://pypi.org/simple/)

$(VENVS)/ranges-%/.installed: $(LOCKSTEP_DIR)/pyproject.toml $(UV_PIN) requirements/test.txt \
  | $(TEST_STAMP)
	@echo "==> installing lockstep from its declared ranges ($*) into $(@D) (only when a pin file changed)"
	$(TEST_VENV)/bin/uv venv --quiet --clear --python $(PYTHON) $(@D)
	grep -E '$(RANGES_TOOLS)' requirements/test.txt > $(@D)/test-tools.txt
	$(RANGES_UV) --resolution $* -r $(LOCKSTEP_DIR)/pyproject.toml -r $(@D)/test-tools.txt
	$(RANGES_UV) --no-deps -e $(LOCKSTEP_DIR)
	@touch $@

.PHONY: test-ranges
test-ranges: $(RANGES_STAMPS) $(POETRY_STAMP) ## Run lockstep's dependency tests at the newest and the lowest versions its ranges allow
	@for mode in $(RANGES); do \
	  echo "==> pytest, lockstep's dependencies at the $$mode versions of its ranges:" \
	    "$$($(TEST_VENV)/bin/uv pip tree --python $(VENVS)/ranges-$$mode/bin/python \
	      --package lockstep --depth 1 2>/dev/null | sed -n 's/^[^a-z]*\([a-z].*\) v/\1==/p' | tail -n +2 | tr '\n' ' ')"; \
	  PATH="$(abspath $(TOOLS_BIN)):$(abspath $(VENVS))/ranges-$$mode/bin:$$PATH" PYTHONDONTWRITEBYTECODE= \
	    PYTHONPYCACHEPREFIX="$(abspath $(VENVS))/cache/pycache" $(VENVS)/ranges-$$mode/bin/python -m pytest \
	    --quiet --numprocesses $(PYTEST_WORKERS) --dist loadscope -k '$(RANGES_SKIPPED)' $(RANGES_TESTS) \
	    || exit 1; \
	done

$(NODE_STAMP):
	@echo "==> installing the Dev Containers CLI into $(NODE_TOOLS) (only when its pin changed)"
	rm -rf $(NODE_TOOLS)
	npm install --prefix $(NODE_TOOLS) --no-audit --no-fund --loglevel=error \
	  @devcontainers/cli@$(DEVCONTAINER_CLI_VERSION)
	@touch $@

.PHONY: clean-venvs
clean-venvs: ## Remove the host test environments (.venvs/)
	rm -rf $(VENVS)
