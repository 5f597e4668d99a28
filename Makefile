# The template's user interface. `make` alone prints the menu.
# Every public target carries a `## description` on its rule line; the test
# suite checks that none is missing from `make help`.

.DEFAULT_GOAL := help
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
MAKEFLAGS += --no-builtin-rules

# ---------------------------------------------------------------- host tests
# `make test` needs Python 3.10+ and make only: it keeps two virtual
# environments under .venvs/, rebuilt only when a pin file changes.
PYTHON ?= python3
VENVS := .venvs
TEST_VENV := $(VENVS)/test
POETRY_VENV := $(VENVS)/poetry
# Only the `poetry` command of Poetry's environment goes on PATH, so that its
# python never shadows the test environment's.
TOOLS_BIN := $(VENVS)/bin
TEST_STAMP := $(TEST_VENV)/.installed
POETRY_STAMP := $(POETRY_VENV)/.installed
PIP_QUIET := --quiet --disable-pip-version-check
PYTEST_ARGS ?=

.PHONY: help
help: ## Show this menu
	@awk 'BEGIN {FS = ":.*## "; printf "Usage: make TARGET [VARIABLE=value]\n\nTargets:\n"} \
	  /^[a-zA-Z0-9_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: test
test: $(TEST_STAMP) $(POETRY_STAMP) ## Run ruff, mypy and pytest on the host (no Docker needed)
	@echo "==> ruff"
	$(TEST_VENV)/bin/ruff check .
	$(TEST_VENV)/bin/ruff format --check .
	@echo "==> mypy"
	$(TEST_VENV)/bin/mypy
	@echo "==> pytest"
	PATH="$(abspath $(TOOLS_BIN)):$(abspath $(TEST_VENV))/bin:$$PATH" \
	  $(TEST_VENV)/bin/pytest $(PYTEST_ARGS)

.PHONY: bench
bench: $(TEST_STAMP) ## Benchmark lockstep's metadata fetch and check (prints figures)
	$(TEST_VENV)/bin/python scripts/lockstep/benchmarks/bench_pins.py

$(TEST_STAMP): requirements/test.txt scripts/lockstep/constraints.txt scripts/lockstep/pyproject.toml pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "make test needs Python 3.10 or newer as '$(PYTHON)'; set PYTHON=/path/to/python3.x" >&2; exit 1; }
	@echo "==> installing test tooling into $(TEST_VENV) (only when a pin file changed)"
	$(PYTHON) -m venv --clear $(TEST_VENV)
	$(TEST_VENV)/bin/python -m pip install $(PIP_QUIET) --upgrade pip
	$(TEST_VENV)/bin/python -m pip install $(PIP_QUIET) \
	  -r requirements/test.txt -c scripts/lockstep/constraints.txt -e scripts/lockstep
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

.PHONY: clean-venvs
clean-venvs: ## Remove the host test environments (.venvs/)
	rm -rf $(VENVS)
