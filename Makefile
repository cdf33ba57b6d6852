# Two commands for a new machine: `make demo` (serve the app with demo data) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: install system-deps browser-deps demo serve test test-sqlite test-postgres test-browser lint format messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

## Debian packages the tests use: LibreOffice recalculates the budget workbook's formulas (idempotent)
system-deps:
	@command -v soffice >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui; }

## Set up the SQLite database, load demo data, serve on http://127.0.0.1:8000
demo: install
	$(BIN)/grants demo

serve: install
	$(BIN)/grants serve

## Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser of its own)
browser-deps:
	@command -v chromium >/dev/null || { \
	  echo "installing chromium (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

## The whole suite, on SQLite and on PostgreSQL (127.0.0.1:5432, user postgres), then the browser tests
test: install system-deps lint test-sqlite test-postgres test-browser

test-sqlite: install system-deps
	GRANTS_TEST_DB=sqlite $(BIN)/pytest -q

test-postgres: install system-deps
	GRANTS_TEST_DB=postgres $(BIN)/pytest -q

## Journeys in a real Chromium against a live server, on both databases (tests/e2e, docs/pages.md)
test-browser: install browser-deps
	GRANTS_TEST_DB=sqlite $(BIN)/pytest -q tests/e2e
	GRANTS_TEST_DB=postgres $(BIN)/pytest -q tests/e2e

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
