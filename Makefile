# Manyi. From a fresh clone, set-up is two commands (see README.md):
#   make demo    virtualenv, pinned dependencies, static files, translations, demo data, servers
#   make test    the whole suite on SQLite, then again on PostgreSQL when one is reachable
# Needs GNU make, python3 (3.11+), pip, node/npm; apt-get is used (as root) for gettext and
# Debian's chromium when they are missing. No browser is ever downloaded by Playwright.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
PORT ?= 8000
PYTEST_ARGS ?=
# The PostgreSQL run of `make test` (pytest-django creates and drops test_<name>).
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
PG_BENCH_URL ?= postgres://postgres@127.0.0.1:5432/manyi_bench
BENCH_DATABASE_URL ?=
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get
IS_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo yes)
PG_UP := $(PYTHON) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2).close()"

.PHONY: help demo test lint bench clean distclean static messages chromium venv .venv

help:
	@echo "make demo    set up everything and run the demo (http://127.0.0.1:$(PORT)/)"
	@echo "make test    run the test suite (SQLite, then PostgreSQL if reachable)"
	@echo "make lint    ruff, ruff format --check, mypy, makemigrations --check"
	@echo "make bench   run the benchmarks in bench/"
	@echo "make clean   remove generated files (database, caches, static, compiled messages)"

# --- set-up -----------------------------------------------------------------------------------

venv .venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Manyi needs Python 3.11 or newer as '$(PYTHON)' (make PYTHON=python3.11 ...)"; exit 1; }
	@if [ ! -x $(PIP) ]; then \
		rm -rf $(VENV); \
		$(PYTHON) -m venv $(VENV) || { \
			if [ "$(IS_ROOT)" = yes ]; then \
				echo "python3 -m venv failed: installing python3-venv"; \
				rm -rf $(VENV); \
				$(APT_GET) update -qq && $(APT_GET) install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); \
			else \
				echo "python3 -m venv failed: install the python3-venv package"; exit 1; \
			fi; \
		}; \
	fi
	$(PIP) install -q -r requirements.lock
	$(PIP) install -q --no-deps -e .
	@touch $@

# Front-end libraries come from the npm registry (versions pinned in package-lock.json) and are
# copied to manyi/static/vendor/ by scripts/vendor_static.sh; nothing third-party is committed.
static:
	@if [ ! -f package.json ]; then \
		echo "static: no package.json yet: no front-end libraries to fetch"; exit 0; \
	fi; \
	if [ ! -d node_modules ] || [ package.json -nt node_modules ] || [ package-lock.json -nt node_modules ]; then \
		if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; \
		else npm install --no-audit --no-fund --loglevel=error; fi && touch node_modules; \
	fi; \
	if [ -f scripts/vendor_static.sh ]; then bash scripts/vendor_static.sh; \
	else echo "static: scripts/vendor_static.sh is missing: libraries not copied"; fi

messages: $(STAMP)
	@command -v msgfmt >/dev/null || { \
		if [ "$(IS_ROOT)" = yes ]; then \
			echo "messages: installing gettext (msgfmt)"; \
			$(APT_GET) update -qq && $(APT_GET) install -y -qq gettext; \
		else \
			echo "messages: msgfmt is missing; install gettext (apt-get install gettext)"; exit 1; \
		fi; \
	}
	@$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$(IS_ROOT)" = yes ]; then \
			echo "chromium: installing Debian's chromium for the browser tests"; \
			$(APT_GET) update -qq && $(APT_GET) install -y -qq chromium fonts-noto-cjk; \
		else \
			echo "chromium: /usr/bin/chromium is missing and we are not root: install it (apt-get install chromium) for the browser tests"; \
		fi; \
	fi

# --- the two commands ---------------------------------------------------------------------------

demo: $(STAMP) static messages
	$(VENV)/bin/manyi demo --port $(PORT)

# Both runs always happen; the target fails if either failed. Serial on purpose: with two
# cores and the browser tests, `-n 2` (pytest-xdist) was slower here; PYTEST_ARGS="-n 2" to try.
test: $(STAMP) static messages chromium
	@status=0; \
	echo "== tests on SQLite"; \
	$(PY) -m pytest $(PYTEST_ARGS) || status=1; \
	if $(PG_UP) 2>/dev/null; then \
		echo "== tests on PostgreSQL ($(PG_TEST_URL))"; \
		DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest $(PYTEST_ARGS) || status=1; \
	else \
		echo "== PostgreSQL is not reachable at 127.0.0.1:5432: tested on SQLite only"; \
	fi; \
	if [ $$status -ne 0 ]; then echo "== tests FAILED"; fi; \
	exit $$status

# --- the rest -----------------------------------------------------------------------------------

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy manyi config
	$(PY) manage.py makemigrations --check --dry-run

# Benchmarks empty their database: it must be a dedicated one whose name contains "bench".
bench: $(STAMP)
	@mkdir -p var
	@url="$(BENCH_DATABASE_URL)"; \
	if [ -z "$$url" ]; then \
		if $(PG_UP) 2>/dev/null && $(PY) bench/ensure_database.py "$(PG_BENCH_URL)"; then \
			url="$(PG_BENCH_URL)"; \
		else \
			url="sqlite:///$(CURDIR)/var/manyi_bench.sqlite3"; \
		fi; \
	fi; \
	for f in bench/bench_*.py; do \
		echo "== $$f ($$url)"; \
		DATABASE_URL="$$url" $(PY) $$f || exit 1; \
	done

clean:
	rm -rf var node_modules manyi/static/vendor .pytest_cache .mypy_cache .ruff_cache *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find locale -name '*.mo' -delete

distclean: clean
	rm -rf $(VENV)
