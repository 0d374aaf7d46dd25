# Two commands on a fresh machine: `make run` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench install schemas clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: migrate an embedded SQLite database under var/, load demo data, print tokens, serve.
run: $(STAMP)
	$(BIN)/ijw demo --serve

## make test: lint + the whole suite (PostgreSQL tests run when IJW_TEST_POSTGRES_URL is set).
test: $(STAMP)
	$(BIN)/ruff check --output-format concise app tests bench tools
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check app tests bench tools
	$(BIN)/ruff format --check app tests bench tools

bench: $(STAMP)
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

## regenerate schemas/xsd from the declarative model
schemas: $(STAMP)
	$(BIN)/ijw schemas write

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
