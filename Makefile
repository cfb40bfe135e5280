# The two commands of the README: `make demo` (main job on the embedded DuckDB with demo
# data) and `make test` (lint + the whole test suite). Both create .venv on first use.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint bench docs browser

# constraints.txt pins every package to the version tested; pyproject.toml holds the ranges.
$(BIN)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# .venv with bizstats and the tested versions of everything (then `. .venv/bin/activate`)
install: $(BIN)/.installed

demo: $(BIN)/.installed
	$(BIN)/bizstats demo

lint: $(BIN)/.installed
	$(BIN)/ruff check bizstats tests_py flows benchmarks
	$(BIN)/mypy  # strict on bizstats/ ([tool.mypy] in pyproject.toml)
	$(BIN)/lint-imports
	$(BIN)/sqlfluff lint models macros tests

# two workers, a test file each at a time (tests of one file share its fixtures and timing)
test: lint
	$(BIN)/pytest -n 2 --dist loadfile

# What the report test renders with: Debian's chromium and a CJK font (apt-get, when missing;
# Playwright drives /usr/bin/chromium, it downloads no browser), and Debian's prometheus and
# promtool, which tests_py/test_prometheus.py runs. Run as root or with sudo.
browser:
	@command -v chromium >/dev/null && command -v prometheus >/dev/null && fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium fonts-wqy-microhei prometheus >/dev/null; }

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_build.py

# The metric catalogue: dbt docs for the embedded DuckDB (run `make demo` first). The metric
# pages (models/semantic/_semantic.yml) are generated from the registry in dbt_project.yml first.
# `make docs PORT=8081` when 8080 is taken.
PORT ?= 8080
docs: $(BIN)/.installed
	$(BIN)/python -m bizstats.registry_docs .
	$(BIN)/dbt docs generate --project-dir . --profiles-dir .
	$(BIN)/dbt docs serve --project-dir . --profiles-dir . --port $(PORT)
