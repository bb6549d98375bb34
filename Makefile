# Two commands from a fresh clone: `make demo` and `make test`. Both bootstrap .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every folder with a pyproject.toml is a workspace package, installed editable with its test extras.
PACKAGES := $(patsubst %/pyproject.toml,%,$(wildcard */pyproject.toml))
BOOTSTRAPPED := $(VENV)/.bootstrapped
PYTEST_ARGS ?=

.PHONY: demo test lint format bench clean

$(BOOTSTRAPPED): pyproject.toml $(wildcard */pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1,<27"
	$(BIN)/python -m pip install --quiet --group dev $(foreach p,$(PACKAGES),-e "./$(p)[test]")
	touch $@

demo: $(BOOTSTRAPPED)
	@if [ -x $(BIN)/invoice-sync ]; then $(BIN)/invoice-sync demo; else echo "no demo yet: the invoice-sync runner has not landed"; fi

lint: $(BOOTSTRAPPED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

format: $(BOOTSTRAPPED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(BOOTSTRAPPED)
	@if [ -f benchmarks/run.py ]; then $(BIN)/python benchmarks/run.py; else echo "no benchmarks yet"; fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
