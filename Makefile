# The two commands of the README: `make demo` (main job on the embedded DuckDB with demo
# data) and `make test` (lint + the whole test suite). Both create .venv on first use.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench docs

# constraints.txt pins every package to the version tested; pyproject.toml holds the ranges.
$(BIN)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/bizstats demo

lint: $(BIN)/.installed
	$(BIN)/ruff check bizstats tests_py flows benchmarks
	$(BIN)/sqlfluff lint models macros tests

test: lint
	$(BIN)/pytest

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_build.py

# The metric catalogue: dbt docs for the embedded DuckDB (run `make demo` first).
docs: $(BIN)/.installed
	$(BIN)/dbt docs generate --project-dir . --profiles-dir .
	$(BIN)/dbt docs serve --project-dir . --profiles-dir . --port 8080
