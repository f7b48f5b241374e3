# fleetops.eks — set-up, tests and demo. `make test` and `make demo` work on a fresh machine.

SHELL := /bin/bash

# Python 3.12 (ansible-core 2.21 needs it): PYTHON=..., else python3.12 on PATH, else pyenv's.
PYTHON ?= $(shell for p in python3.12 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3.12; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { echo "$$p"; break; }; done)

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < requirements-dev.txt | cut -d' ' -f1)

.PHONY: setup test sanity unit endpoint e2e demo clean

$(STAMP): requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 not found: install it, or run make PYTHON=/path/to/python3.12" >&2; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(STAMP)

## Every test: planner and API units, the local EKS endpoint, the module end to end through ansible-playbook;
## then ansible-test sanity and units (every Python 3.9-3.13 the machine has).
test: setup
	$(BIN)/python -m pytest -n 2 -q tests
	tests/ansible-test.sh $(BIN)

sanity: setup
	tests/ansible-test.sh $(BIN)

unit: setup
	$(BIN)/python -m pytest -q tests/unit

endpoint: setup
	$(BIN)/python -m pytest -q tests/localeks

e2e: setup
	$(BIN)/python -m pytest -n 2 -q tests/e2e

## The demo: a playbook upgrading a fleet of node groups on the local EKS endpoint.
demo: setup
	$(BIN)/python demo/run.py

clean:
	rm -rf $(VENV) .tmp .pytest_cache
