# Two commands: `make run` installs and starts the app; `make test` installs and runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test lint run bench check-processes clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

check-processes: install
	$(BIN)/python manage.py process_check processes

bench: install
	$(BIN)/python bench/engine.py

run: install
	@echo "make run: not yet - the officers' inbox arrives with the cases issue."
	@echo "Meanwhile: 'make check-processes' checks the diagrams, 'make test' runs the suite."

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
