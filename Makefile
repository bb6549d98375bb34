# Two commands from a fresh clone: `make demo` and `make test`. Both bootstrap .venv first.
#
# The bootstrap needs only Python 3.11+ (with pip and the venv module), git and make: pip installs
# the pinned uv into .venv once, and uv installs exactly what uv.lock says (`--frozen`): every
# workspace package (each folder with a pyproject.toml) editable with its test extras, and the
# dev group, which holds uv itself at the same version (so later syncs keep it up to date).
# After changing a dependency, run `.venv/bin/uv lock` and commit uv.lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
BOOTSTRAPPED := $(VENV)/.bootstrapped
PYTEST_ARGS ?=
PIP_QUIET := --quiet --disable-pip-version-check
# uv never fetches a Python of its own: the one that made .venv is the one used.
export UV_PYTHON_DOWNLOADS := never
DIST ?= dist

.PHONY: demo test lint format bench dist clean

$(BOOTSTRAPPED): pyproject.toml uv.lock $(wildcard */pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	test -x $(BIN)/uv || $(PYTHON) -m pip --python $(BIN)/python install $(PIP_QUIET) "uv==$(UV_VERSION)" \
		|| { $(BIN)/python -m ensurepip && $(BIN)/python -m pip install $(PIP_QUIET) "uv==$(UV_VERSION)"; }
	$(BIN)/uv sync --frozen --all-packages --extra test
	touch $@

# The product end to end against the sandbox (invoice-sync/README.md); DEMO_ARGS="--folder DIR".
demo: $(BOOTSTRAPPED)
	$(BIN)/invoice-sync demo $(DEMO_ARGS)

lint: $(BOOTSTRAPPED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

format: $(BOOTSTRAPPED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Runs every benchmark (benchmarks/run.py says how they are found) and writes benchmarks/RESULTS.md.
# The bench group (matplotlib, for the plots) is installed for it alone.
bench: $(BOOTSTRAPPED)
	$(BIN)/uv sync --frozen --all-packages --extra test --group bench
	$(BIN)/python benchmarks/run.py

# Wheels of every package in dist/, for installs outside the workspace, such as PyAirbyte's
# get_source(..., pip_url=...) (invoice-sync/README.md).
dist: $(BOOTSTRAPPED)
	rm -rf $(DIST)
	$(BIN)/uv build --quiet --all-packages --wheel --out-dir $(DIST)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache dist
