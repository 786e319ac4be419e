# Workbench: `make lab` sets up and opens the course notebooks in JupyterLab; `make test` sets up
# and runs the tests; `make demo` sets up and runs the headless demo.
# Setup (scripts/setup.sh) is idempotent and takes well under a second once done.

VENV   ?= .venv
PY     := $(VENV)/bin/python
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-n 2 -k matmul"`.
PYTEST_ARGS ?=
# Extra JupyterLab arguments, e.g. `make lab LAB_ARGS="--port 8899 --no-browser"`.
LAB_ARGS ?=
# Which notebooks `make notebooks` runs, e.g. `make notebooks NOTEBOOKS="03 07"` (default: all).
NOTEBOOKS ?=

.PHONY: setup lab demo test test-all bench notebooks clean help

help:
	@echo "make lab       set up, then open the course notebooks (notebooks/) in JupyterLab"
	@echo "make demo      set up, then run the demo (python -m workbench.demo)"
	@echo "make test      set up, then run the fast tests (slow ones deselected)"
	@echo "make test-all  set up, then run all tests, slow ones included"
	@echo "make bench     set up, then run every benchmarks/*.py"
	@echo "make notebooks set up, then run the course notebooks and save them with their outputs"
	@echo "make setup     create $(VENV), install workbench[dev], install Graphviz's dot"
	@echo "make clean     remove caches and build outputs (keeps $(VENV))"

setup:
	@VENV=$(VENV) bash scripts/setup.sh

# JupyterLab on notebooks/, on this machine only (127.0.0.1); as root it needs --allow-root.
# No OMP_WAIT_POLICY=PASSIVE: compiled kernels' threads would sleep between parallel loops (ResNet-18
# 17% slower); xgboost runs single-threaded, so it has no team to busy-wait beside a measurement.
lab: setup
	$(VENV)/bin/jupyter lab notebooks/ --ip=127.0.0.1 \
		$$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_ARGS)

demo: setup
	$(PY) -m workbench.demo

test: setup
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-all: setup
	$(PY) -m pytest -q -m "" $(PYTEST_ARGS)

bench: setup
	@set -e; for f in benchmarks/[!_]*.py; do \
		[ -e "$$f" ] || { echo "no benchmarks/*.py found"; exit 1; }; \
		echo "== $$f"; $(PY) "$$f"; \
	done

# Runs each course notebook top to bottom (normal sizes, ~5 minutes in all) and writes it back with
# the outputs a reader without a kernel needs (scripts/save_notebook_outputs.py says which).
notebooks: setup
	$(PY) scripts/save_notebook_outputs.py $(NOTEBOOKS)

clean:
	rm -rf build dist *.egg-info .pytest_cache .hypothesis benchmarks/out benchmarks/results
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
