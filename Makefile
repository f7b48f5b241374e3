# fleetops.eks — set-up, tests and demo. `make test` and `make demo` work on a fresh machine.

SHELL := /bin/bash

# Python 3.12 (ansible-core 2.21 needs it): PYTHON=..., else python3.12 on PATH, else pyenv's.
PYTHON ?= $(shell for p in python3.12 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3.12; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { echo "$$p"; break; }; done)

# Python 3.11 for the oldest supported ansible-core (2.19) with amazon.aws 10.
PYTHON311 ?= $(shell for p in python3.11 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.11*/bin/python3.11; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null && { echo "$$p"; break; }; done)

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < requirements-dev.txt | cut -d' ' -f1)

.PHONY: setup test sanity integration compat unit endpoint e2e soak bench reliability lint docs ee demo clean

$(STAMP): requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 not found: install it, or run make PYTHON=/path/to/python3.12" >&2; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(STAMP)

COMPAT_VENV := .venv-ansible-2.19
COMPAT_STAMP := $(COMPAT_VENV)/.installed-$(shell cksum < tests/requirements-ansible-2.19.txt | cut -d' ' -f1)

$(COMPAT_STAMP): tests/requirements-ansible-2.19.txt
	@test -n "$(PYTHON311)" || { echo "Python 3.11 not found: install it, or run make PYTHON311=/path/to/python3.11" >&2; exit 1; }
	rm -rf $(COMPAT_VENV)
	$(PYTHON311) -m venv $(COMPAT_VENV)
	$(COMPAT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COMPAT_VENV)/bin/python -m pip install --quiet -r tests/requirements-ansible-2.19.txt
	touch $@

## ansible-test sanity and units with the oldest supported ansible-core (2.19) and amazon.aws (10.x).
compat: $(COMPAT_STAMP)
	TEST_PYTHONS=3.11 tests/ansible-test.sh $(COMPAT_VENV)/bin

## Every test: planner and API units, the local EKS endpoint, the module end to end through ansible-playbook;
## then ansible-test sanity and units (every Python 3.9-3.13 the machine has), and ansible-test integration.
test: setup
	$(BIN)/python -m pytest -n 2 -q tests
	tests/ansible-test.sh $(BIN) sanity units integration
	$(MAKE) compat

sanity: setup
	tests/ansible-test.sh $(BIN)

## ansible-test integration: the targets of tests/integration/targets (one per module, and the nodegroup_upgrade
## role's) against the local EKS endpoint, which tests/ansible-test.sh starts and stops (about 3 minutes).
integration: setup
	tests/ansible-test.sh $(BIN) integration

unit: setup
	$(BIN)/python -m pytest -q tests/unit

endpoint: setup
	$(BIN)/python -m pytest -q tests/localeks

e2e: setup
	$(BIN)/python -m pytest -n 2 -q tests/e2e

## The stateful Hypothesis test of runs under faults with a large budget (make test runs it with a small one);
## its figures go to .tmp/stateful-soak.json.
SOAK_EXAMPLES ?= 400
SOAK_STEPS ?= 25
soak: setup
	mkdir -p .tmp
	FLEETOPS_STATEFUL_EXAMPLES=$(SOAK_EXAMPLES) FLEETOPS_STATEFUL_STEPS=$(SOAK_STEPS) FLEETOPS_STATEFUL_STATS=.tmp/stateful-soak.json \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/e2e/test_run_stateful.py
	cat .tmp/stateful-soak.json

## Benchmarks against the local EKS endpoint (about 35 minutes on 2 CPUs; at most 60, the runner's own limit, with a
## limit per benchmark): every table of docs/performance.md and docs/fleet.md, written to .tmp/bench.md (pasted into
## the docs) and .tmp/bench.json. Every process a benchmark starts is killed with its tree on a timeout, an error or
## Ctrl-C; benchmarks/leftovers.py then checks that the run left no process behind (exit 1 and a list if it did).
## The AWS CLI, one of the tools compared, gets a venv of its own (it pins an old docutils).
BENCH_AWSCLI := .tmp/bench-awscli
bench: setup
	test -x $(BENCH_AWSCLI)/bin/aws || { $(BIN)/python -m venv $(BENCH_AWSCLI) && $(BENCH_AWSCLI)/bin/pip install --quiet -r benchmarks/requirements.txt; }
	mkdir -p .tmp
	status=0; $(BIN)/python benchmarks/run.py --markdown .tmp/bench.md --json .tmp/bench.json || status=$$?; \
		$(BIN)/python benchmarks/leftovers.py || status=1; exit $$status

## The reliability matrix as a table (its cases also run in `make test`); docs/reliability.md.
reliability: setup
	$(BIN)/python scripts/reliability_matrix.py

## ansible-lint (production profile, .ansible-lint) over every playbook and role; also run by `make test`.
lint: setup
	mkdir -p .tmp/collections/ansible_collections/fleetops
	ln -sfn "$(CURDIR)" .tmp/collections/ansible_collections/fleetops/eks
	ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/.tmp/collections" PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/ansible-lint

## Regenerate docs/collection/ from the modules' and the role's documentation (a test checks it is current).
docs: setup
	docs/build.sh $(BIN)

## The execution environment's build context (.tmp/ee/context), for podman or docker build; the image tag it prints is galaxy.yml's version.
ee: setup
	ee/build-context.sh $(BIN)

## The demo: a playbook upgrading a fleet of node groups on the local EKS endpoint.
demo: setup
	$(BIN)/python demo/run.py

clean:
	rm -rf $(VENV) $(COMPAT_VENV) .tmp .pytest_cache
