# Two commands for a fresh machine with Python 3.11+:
#   make run   build the site and serve it with the working form on http://127.0.0.1:8000
#   make check ruff and the unit tier (tests/unit: pure logic, no server, no browser), under
#              a minute: run it after every change
#   make test  install what the tests need and run the whole suite (and list the
#              Spanish pages behind their English page: a warning, never a failure)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: `make run` installs what the service and the site need, nothing more;
# the tests, lint and benchmarks add the test extras (pytest, Playwright, ruff, ...).
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
export NO_MKDOCS_2_WARNING := 1
# apt-get behind one lock of our own: `make test` installs npm's, pip's and Debian's
# parts side by side, and two apt-gets at once would fail on apt's lock.
APT := flock /tmp/.make-apt-get.lock apt-get

.PHONY: run check test test-parts system suite clock build lint backup-drill caddy bench bench-service bench-site bench-desk soak clean browser node wrk

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

# One pip run for the test extras and what `make run` needs (a fresh clone's `make test`
# no longer installs the package twice); it stamps both.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(RUN_STAMP) $(STAMP)

# The web editor at /admin/ (Sveltia CMS): npm installs the exact versions in
# package-lock.json, and the build copies it into site/admin/.
NODE_STAMP := node_modules/.package-lock.json

node:
	@if command -v npm >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's nodejs and npm for the web editor"; \
		$(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq nodejs npm >/dev/null; \
	else \
		echo "npm is missing and we are not root: install Node.js (sudo apt-get install nodejs npm)" >&2; \
		exit 1; \
	fi

$(NODE_STAMP): package.json package-lock.json
	$(MAKE) node
	npm ci --ignore-scripts --no-audit --no-fund

build: $(RUN_STAMP) $(NODE_STAMP)
	$(BIN)/mkdocs build --strict

run: build
	mkdir -p var
	$(BIN)/forms-service serve

browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests"; \
		$(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq chromium >/dev/null; \
	elif [ "$$CI" = "true" ]; then \
		echo "chromium is missing and cannot be installed (not root): failing under CI" >&2; exit 1; \
	else \
		echo "chromium is missing and we are not root: browser tests will be skipped." \
		     "Install it with: sudo apt-get install chromium"; \
	fi

# Debian's caddy for the reverse-proxy tests (tests/operations/test_caddy.py), installed
# as chromium is; apt's package starts a caddy service on port 80, stopped at once.
caddy:
	@if command -v caddy >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's caddy for the reverse-proxy tests"; \
		$(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq caddy >/dev/null; \
		if command -v systemctl >/dev/null 2>&1; then systemctl disable --now caddy >/dev/null 2>&1 || true; fi; \
	elif [ "$$CI" = "true" ]; then \
		echo "caddy is missing and cannot be installed (not root): failing under CI" >&2; exit 1; \
	else \
		echo "caddy is missing and we are not root: reverse-proxy tests will be skipped." \
		     "Install it with: sudo apt-get install caddy"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: lint
	$(BIN)/python -m pytest -q tests/unit

# Debian's chromium and caddy in one apt-get (one package list, one dpkg lock), for
# `make test`; `make browser` and `make caddy` alone still install either.
SYSTEM_PACKAGES := chromium caddy
system:
	@missing="$$(for p in $(SYSTEM_PACKAGES); do command -v $$p >/dev/null 2>&1 || echo $$p; done)"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's" $$missing "for the browser and reverse-proxy tests"; \
		$(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq $$missing >/dev/null; \
		if command -v systemctl >/dev/null 2>&1; then systemctl disable --now caddy >/dev/null 2>&1 || true; fi; \
	fi
	@$(MAKE) --no-print-directory browser caddy

# What `make test` needs, installed side by side: pip, npm and apt wait on the network
# and on their own locks, not on one another.
test-parts:
	@$(MAKE) --no-print-directory -j3 --output-sync=target $(STAMP) $(NODE_STAMP) system

# The suite over PYTEST_WORKERS workers of pytest-xdist (its tests mostly wait on
# sockets, timers and Chromium, so more workers than cores), the built site shared, one
# Chromium per worker; `make clock` runs beside it, under its fake clock (each one's
# output shown whole when it ends).
PYTEST_WORKERS ?= 4
test: test-parts
	$(MAKE) --no-print-directory lint
	$(BIN)/python tools/translations.py
	$(MAKE) --no-print-directory -j2 --output-sync=target suite clock

suite: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal

# No test depends on the hour, the day or the time zone: the unit tier and the service
# tests that act on days (the desk's sessions and digest, retention, the daily purge) run
# again with every process's wall clock starting 30 s before midnight UTC.
CLOCK_TESTS := tests/unit tests/service/test_desk.py tests/service/test_retention.py \
	tests/service/test_operations.py
CLOCK_WORKERS ?= 2
clock: $(STAMP)
	$(BIN)/python tools/fake_clock.py '2026-12-03 23:59:30' -- \
		$(BIN)/python -m pytest -q -p no:cacheprovider -n $(CLOCK_WORKERS) $(CLOCK_TESTS)

wrk:
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null; \
		else echo "wrk is missing: sudo apt-get install wrk" >&2; exit 1; fi; }

bench-service: build $(STAMP) wrk
	$(BIN)/python bench/service.py

bench-site: $(STAMP) browser
	$(BIN)/python bench/site.py

soak: build $(STAMP)
	$(BIN)/python bench/soak.py

bench-desk: build $(STAMP)
	$(BIN)/python bench/desk.py

bench: bench-service bench-site bench-desk soak

# A lost server rehearsed: moto's S3 on 127.0.0.1, the service under Litestream, posts,
# SIGKILL of every process, database and log deleted, `forms-service restore`, start again.
backup-drill: build $(STAMP)
	$(BIN)/python -m tests.operations.drill

clean:
	rm -rf site var node_modules .pytest_cache .ruff_cache
