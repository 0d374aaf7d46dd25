# Two commands on a fresh machine: `make run` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench install schemas clean lock

# Versions come from the lock file (constraints: a dependency added to pyproject.toml but not
# yet locked still installs); `make lock` refreshes it.
$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements-dev.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: migrate an embedded SQLite database under var/, load demo data, print tokens, serve.
## make run GGK=1: the same with the GGk simulator next to it (port 8001), see docs/ggk.md.
run: $(STAMP)
ifeq ($(GGK),1)
	$(BIN)/ijw ggk demo
else
	$(BIN)/ijw demo --serve
endif

SOURCES := app tests bench tools testkit

## make test: lint, format, layer contracts, types, then the whole suite (PostgreSQL tests run
## when IJW_TEST_POSTGRES_URL is set).
test: lint
	$(BIN)/pytest

## make lint: ruff (lint and format), import-linter's layer contracts and mypy on app/.
lint: $(STAMP)
	$(BIN)/ruff check --output-format concise $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

## regenerate app/ijw/xsd from the declarative model
schemas: $(STAMP)
	$(BIN)/ijw schemas write

## make lock: pin every dependency (requirements.lock for the service, -dev for development).
lock:
	$(PYTHON) -m venv $(VENV)-lock && $(VENV)-lock/bin/pip install --quiet pip-tools
	$(VENV)-lock/bin/pip-compile --quiet --no-emit-index-url --no-emit-find-links --strip-extras \
	    --output-file requirements.lock pyproject.toml
	$(VENV)-lock/bin/pip-compile --quiet --no-emit-index-url --no-emit-find-links --strip-extras \
	    --extra dev --output-file requirements-dev.lock pyproject.toml
	rm -rf $(VENV)-lock

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
