# The two commands of the README's quick start. Each creates .venv when it is missing and
# installs what it needs into it, so they work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: tour test bench lint docs lite clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "playground needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(VENV)/.test: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e ".[test,notebook,peers,docs,png]"
	@touch $@ $(VENV)/.runtime

## make tour: a terminal walk through every example of the seed document
tour: $(VENV)/.runtime
	$(BIN)/python -m playground tour

## make test: the whole test suite (fails if no test ran)
test: $(VENV)/.test
	$(BIN)/python -m pytest

## make bench: the benchmarks (figures printed, nothing asserted)
bench: $(VENV)/.test
	$(BIN)/python benchmarks/call_overhead.py
	$(BIN)/python benchmarks/peers.py
	$(BIN)/python benchmarks/streams.py
	$(BIN)/python benchmarks/render.py
	$(BIN)/python benchmarks/notebooks.py
	$(BIN)/python benchmarks/scale.py

## make docs: the documentation site, into site/ (warnings are errors)
docs: $(VENV)/.test
	$(BIN)/python -m mkdocs build --strict

## make lite: the course as a static site (JupyterLite, Python in the page), into lite/_output/
## (needs npm for Pyodide's core; downloads are kept in lite/_build/)
lite: $(VENV)/.test
	$(BIN)/python lite/build.py

## make lint: type checks and lint (not part of make test)
lint: $(VENV)/.test
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -m mypy playground
	$(BIN)/python -m ruff check playground tests --select F,E9

clean:
	rm -rf $(VENV) .pytest_cache build site *.egg-info lite/_build lite/_output
