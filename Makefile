# Two commands on a fresh machine: `make run` (install, demo data, start the app) and
# `make test` (install, lint, every test on SQLite and PostgreSQL).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run demo test lint benchmarks screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# Demo data goes into the embedded database once (the command skips what exists).
run: install
	$(BIN)/marrowpath demo
	$(BIN)/marrowpath gui

demo: install
	$(BIN)/marrowpath demo

lint: install
	$(BIN)/ruff check marrowpath tests benchmarks scripts
	$(BIN)/ruff format --check marrowpath tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

# Two workers (pytest-xdist): each migrates its own throw-away PostgreSQL database and
# SQLite template (tests/conftest.py). `make test TEST_WORKERS=0` runs in one process.
TEST_WORKERS ?= 2

test: lint
	$(BIN)/pytest -n $(TEST_WORKERS)

benchmarks: install
	$(BIN)/python benchmarks/bench_report.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

screenshots: install
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/screenshots.py docs/screenshots
