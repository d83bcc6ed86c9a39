# Ochre Analytics: make demo | make test | make lint | make dev | make bench
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
LINT_VENV := .venv-lint
LINT := $(LINT_VENV)/bin
DEMO_DIR ?= data
export OCHRE_LANDING_DIR ?= $(CURDIR)/$(DEMO_DIR)/landing
export OCHRE_WAREHOUSE_DIR ?= $(CURDIR)/$(DEMO_DIR)/warehouse
DAGSTER_PORT ?= 3000

# A separate DuckDB 1.1.3 install (BI tools bundle a 1.x): the tests open the published
# file with it (tests/test_bi.py, tests/duckdb_reader.py).
DUCKDB_OLD_VENV := .venv-duckdb113
DUCKDB_OLD_VERSION := 1.1.3

.PHONY: demo test lint dev bench bench-l install install-test duckdb113 clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,spark]'
	touch $(VENV)/.installed $@

# make lint: the dependency group `lint` alone (pyproject.toml), in a venv of its own, so a
# first `make lint` installs neither the project nor Spark and Playwright.
$(LINT_VENV)/.installed: pyproject.toml
	rm -rf $(LINT_VENV)
	$(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LINT_VENV)/bin/pip install --quiet --group lint
	touch $@

$(DUCKDB_OLD_VENV)/.installed: Makefile
	rm -rf $(DUCKDB_OLD_VENV)
	$(PYTHON) -m venv $(DUCKDB_OLD_VENV)
	$(DUCKDB_OLD_VENV)/bin/python -m pip install --quiet duckdb==$(DUCKDB_OLD_VERSION) pytz
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## make duckdb113: the DuckDB 1.1.3 reader venv the tests use (make test makes it)
duckdb113: $(DUCKDB_OLD_VENV)/.installed

## make demo: demo landing data -> pipeline for yesterday -> 30-day leaderboard
demo: install
	@if [ ! -d "$(OCHRE_LANDING_DIR)/messages" ]; then \
		$(BIN)/ochre-analytics demo-data --out "$(OCHRE_LANDING_DIR)"; fi
	$(BIN)/ochre-analytics run
	$(BIN)/ochre-analytics leaderboard --period 30

## make test: every test (dbt unit + data tests run inside them), Spark included, on
## $(TEST_WORKERS) pytest-xdist workers, a test module per worker at a time (its fixtures
## build once); TEST_WORKERS=0 runs them in this process
TEST_WORKERS ?= 2
test: install-test duckdb113
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

## make lint: ruff (Python), import contracts (lint-imports: no cycles, orchestration on top),
## sqlfluff (dbt models, duckdb dialect)
lint: $(LINT_VENV)/.installed
	$(LINT)/ruff check .
	cd $(CURDIR) && PYTHONPATH=$(CURDIR) $(LINT)/lint-imports
	mkdir -p target/lint-warehouse
	OCHRE_WAREHOUSE_DIR=$(CURDIR)/target/lint-warehouse $(LINT)/sqlfluff lint dbt_project/models

## make dev: Dagster UI on the demo data (http://127.0.0.1:$(DAGSTER_PORT)), on the warehouse's
## Dagster instance ($DAGSTER_HOME, else <warehouse>/dagster), where `ochre-analytics run` and
## so `make demo` record their runs.
## Ctrl-C stops it and everything it started (orchestration/dev.py).
dev: install
	@if [ ! -d "$(OCHRE_LANDING_DIR)/messages" ]; then \
		$(BIN)/ochre-analytics demo-data --out "$(OCHRE_LANDING_DIR)"; fi
	$(BIN)/python -m orchestration.dev --port $(DAGSTER_PORT)

## make bench: benchmark against the one-query floor (prints a table, writes benchmarks/results.json)
bench: install
	$(BIN)/python -m benchmarks.run

## make bench-l: scale L (20M conversations, ~110M messages), one run of each step, without
## the 4 x history (80M conversations)
bench-l: install
	$(BIN)/python -m benchmarks.run --scales L --repeat 1 --no-4x --results benchmarks/results-L.json

clean:
	rm -rf data target logs .pytest_cache
