# Two commands: `make run` installs and starts the app; `make test` installs and runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# govuk-frontend's Sass built with our settings (no GOV.UK font or crown) and its JS module.
ASSETS := build/static/css/govuk.css
PORT ?= 8000
# Compiled bytecode, and pytest's rewritten test modules, kept under the virtualenv (never beside
# the sources) even where the environment says not to write them (PYTHONDONTWRITEBYTECODE):
# otherwise every process the suite, `make run` and its workers start compiles the project
# again (collecting the suite: 11.5 s of CPU per pytest worker, 3.9 s with the cache).
export PYTHONDONTWRITEBYTECODE :=
export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache

.PHONY: install test lint run bench check-processes clean topology-up topology-down topology-test

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# Front-end packages (govuk-frontend, bpmn-js, Chart.js, axe-core) from npm, served as static files.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(ASSETS): $(NODE_STAMP) $(wildcard webapp/assets/*.scss) webapp/assets/copy-js.mjs
	npm run --silent build

install: $(STAMP) $(NODE_STAMP) $(ASSETS)

# One pytest worker per core and one more (pytest-xdist), each with its own test database and
# broker keys (tests/conftest.py): with one per core the cores were busy 62 % of the run, the
# workers waiting on the browser, bin/serve and Celery workers the tests start. A test file
# stays on one worker, so its module fixtures are made once.
TEST_WORKERS ?= $(shell expr $$(nproc) + 1)
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

check-processes: $(STAMP)
	$(BIN)/python manage.py process_check processes

bench: install
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/inbox.py
	$(BIN)/python bench/timers.py
	$(BIN)/python bench/migration.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/embedded_broker.py
	$(BIN)/python bench/whatif.py
	$(BIN)/python bench/scale_out.py
	$(BIN)/python bench/national.py

# bin/serve takes its lock, migrates, loads the demo data and supervises the web server and the
# worker; exec lets a signal to make's recipe reach it.
run: install
	PORT=$(PORT) exec $(BIN)/python bin/serve --setup

# The production topology on this machine, on loopback (docs/deployment.md): nginx with a
# self-signed certificate on https://localhost:8443/, two gunicorn web processes, two Celery
# workers and one beat on PostgreSQL and Redis. Needs Debian's nginx and openssl.
topology-up: install
	$(BIN)/python bin/topology up

topology-down:
	$(BIN)/python bin/topology down

# Brings up its own copy (fresh database, free ports), runs a case through it killing each kind
# of process once, prints the recovery times and takes it down.
topology-test: install
	TOPOLOGY_TEST=1 $(BIN)/python -m pytest tests/deploy/test_topology.py -q -s -p no:cacheprovider

clean:
	rm -rf $(VENV) node_modules build .pytest_cache .ruff_cache var
