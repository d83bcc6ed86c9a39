# Ochre Analytics: make demo | make test | make lint | make dev | make bench
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= data
export OCHRE_LANDING_DIR ?= $(CURDIR)/$(DEMO_DIR)/landing
export OCHRE_WAREHOUSE_DIR ?= $(CURDIR)/$(DEMO_DIR)/warehouse

.PHONY: demo test lint dev bench install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,spark]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## make demo: demo landing data -> pipeline for yesterday -> 30-day leaderboard
demo: install
	@if [ ! -d "$(OCHRE_LANDING_DIR)/messages" ]; then \
		$(BIN)/ochre-analytics demo-data --out "$(OCHRE_LANDING_DIR)"; fi
	$(BIN)/ochre-analytics run
	$(BIN)/ochre-analytics leaderboard --period 30

## make test: every test (dbt unit + data tests run inside them), Spark included
test: install-test
	$(BIN)/python -m pytest

## make lint: ruff (Python), import contracts (lint-imports: no cycles, orchestration on top),
## sqlfluff (dbt models, duckdb dialect)
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	mkdir -p target/lint-warehouse
	OCHRE_WAREHOUSE_DIR=$(CURDIR)/target/lint-warehouse $(BIN)/sqlfluff lint dbt_project/models

## make dev: Dagster UI on the demo data (http://127.0.0.1:3000)
dev: install
	@if [ ! -d "$(OCHRE_LANDING_DIR)/messages" ]; then \
		$(BIN)/ochre-analytics demo-data --out "$(OCHRE_LANDING_DIR)"; fi
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -m orchestration.definitions

## make bench: benchmark against the one-query floor (prints a table, writes benchmarks/results.json)
bench: install
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf data target logs .pytest_cache .dagster_home
