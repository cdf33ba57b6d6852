# Two commands for a new machine: `make demo` (serve the app with demo data) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: install system-deps browser-deps demo serve test test-sqlite test-postgres test-browser lint format messages clean
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

HOST ?= 127.0.0.1
PORT ?= 8000

$(BIN)/python:
	@echo "==> Creating $(VENV) with $$($(PYTHON) --version)"
	$(PYTHON) -m venv $(VENV)

# Shows each package as pip collects it (a first install takes a few minutes); pip's errors still show and
# still fail the step (pipefail).
$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	@echo "==> Installing the app and its dependencies into $(VENV)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install -c constraints.txt -e '.[dev]' \
		| awk '/^(Collecting|Successfully installed)/ { print "    " $$0; fflush() }'
	$(BIN)/python -c "import app.main" # fails here, not at start-up, if the install is incomplete
	rm -f $(VENV)/.installed-*
	touch $(STAMP)
	@echo "==> Installed"

install: $(STAMP)

## Debian packages the tests use: LibreOffice recalculates the budget workbook's formulas (idempotent)
system-deps:
	@command -v soffice >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui; }

## Set up the SQLite database, load demo data, serve on http://$(HOST):$(PORT) (e.g. `make demo PORT=8080`)
demo: install
	$(BIN)/grants demo --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/grants serve --host $(HOST) --port $(PORT)

## Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser of its own)
browser-deps:
	@command -v chromium >/dev/null || { \
	  echo "installing chromium (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

## The whole suite, on SQLite and on PostgreSQL (127.0.0.1:5432, user postgres), then the browser tests.
## Each run is spread over TEST_WORKERS processes (pytest-xdist; each has a database of its own):
## `make test TEST_WORKERS=0` runs in one process.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -q -n $(TEST_WORKERS) --dist worksteal

test: install system-deps lint test-sqlite test-postgres test-browser

test-sqlite: install system-deps
	GRANTS_TEST_DB=sqlite $(PYTEST)

test-postgres: install system-deps
	GRANTS_TEST_DB=postgres $(PYTEST)

## Journeys in a real Chromium against a live server, on both databases (tests/e2e, docs/pages.md)
test-browser: install browser-deps
	GRANTS_TEST_DB=sqlite $(PYTEST) tests/e2e
	GRANTS_TEST_DB=postgres $(PYTEST) tests/e2e

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## After changing page texts: collect them into the catalogues (then translate the new French ones)
messages: install
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ --no-location --sort-output --omit-header \
	  -o app/web/locales/messages.pot .
	$(BIN)/pybabel -q update -i app/web/locales/messages.pot -d app/web/locales \
	  --ignore-obsolete --no-fuzzy-matching --ignore-pot-creation-date -w 110

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
