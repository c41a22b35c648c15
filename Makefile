# Stream Inspector: `make run`, `make check`, `make test`, `make bench`, `make screenshots`,
# `make dist`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export QT_QPA_PLATFORM ?= offscreen

.PHONY: run check test lint bench screenshots dist clean openapi-snapshot

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Names the system libraries Qt's X11 plugin lacks (and the command that installs them) first.
run: QT_QPA_PLATFORM=
run: $(STAMP)
	@$(BIN)/python -m gui.app.qtdeps
	$(BIN)/stream-inspector

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The loop to live with while working (under 2 minutes here): lint, types, layering and the
# unit tests on two workers; not the install test, the app's windows (offscreen or X), the
# benchmark scenarios or the tests marked slow (pyproject's markers). `make test` runs
# everything; CI runs that.
check: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -n 2 \
		-m "not (install or e2e or window or bench or slow)" $(PYTEST_ARGS)

# The suite also checks the benchmark scenarios at tiny sizes, peers (HTTPie) included.
test: lint $(VENV)/.bench-installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

$(VENV)/.bench-installed: pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

bench: $(VENV)/.bench-installed
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

# The demo server's endpoints as the window lists them while the server starts
# (tests/server/test_openapi_snapshot.py fails until this is run after a route changes).
openapi-snapshot: $(STAMP)
	$(BIN)/python -m embedded_server.snapshot resources/demo-openapi.json

screenshots: $(STAMP)
	$(BIN)/python -m gui.app.screenshots docs/screenshots

# The wheel and the sdist (every subpackage and resource; tests/install checks the wheel).
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

clean:
	rm -rf $(VENV) build dist *.egg-info
