# Two commands matter: `make run` and `make test`. Everything else is for developers.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-faults lint format bench bench-scaling bench-synth bench-ingest bench-link serve \
	ui clean browser

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# `outcomes run` never generates data: make the demo deliveries (deterministic, marked
# SYNTHETIC) explicitly, then run on exactly that folder.
DATA := data
run: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/outcomes synth --preset demo --seed 42 --out $(DATA)
	PATH=$(CURDIR)/$(BIN):$$PATH OUTCOMES_DATA_DIR=$(DATA) OUTCOMES_LANDING_DIR=$(DATA)/landing \
		$(BIN)/outcomes run

# Debian's Chromium for the browser tests (skipped when already present).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

test: $(STAMP) browser
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -c "from pipelines.transform.project import prepare_manifest; prepare_manifest()"
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pytest -n 2 -q -m "not faults"

# SIGKILL `outcomes run` in each stage and rerun (seven runs, ~16 min): CI runs it after `test`.
test-faults: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pytest -q -m faults

lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check pipelines tests scripts
	$(BIN)/ruff format --check pipelines tests scripts
	cd dbt_project && PATH=$(CURDIR)/$(BIN):$$PATH ../$(BIN)/sqlfluff lint models

format: $(STAMP)
	$(BIN)/ruff format pipelines tests scripts
	$(BIN)/ruff check --fix pipelines tests scripts

# End to end (docs/benchmarks.md): national preset, full build + one new month, 3 repeats.
# Needs an otherwise idle machine; results in bench/results.json (committed) and the docs.
bench: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m scripts.bench_pipeline

bench-scaling: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m scripts.bench_pipeline --scaling 0.25,0.5,1,2 --repeats 1

bench-synth: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m scripts.bench_synth

bench-ingest: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m scripts.bench_ingest

bench-link: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m scripts.bench_link

serve: $(STAMP)
	$(BIN)/outcomes serve

# The Dagster UI (dagster dev) on the instance `outcomes run` records into (OUTCOMES_DAGSTER_HOME).
ui: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/outcomes ui

clean:
	rm -rf data dbt_project/target gx_docs
