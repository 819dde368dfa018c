# tryghed: `make help` lists the targets. Every target bootstraps .venv from requirements.lock first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
DEMO   := data/raw/demo/SYNTHETIC.md
YEAR   ?= 2017

.DEFAULT_GOAL := help
.PHONY: help setup demo report test lint bench lock clean

help: ## show this list
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "tryghed needs Python 3.11; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP) ## create .venv with every pinned package and the tryghed command

$(DEMO): | $(STAMP)
	$(BIN)/tryghed demo-data

demo: $(STAMP) $(DEMO) ## write the synthetic demo data into data/raw/demo (if missing)

report: $(STAMP) $(DEMO) ## run the sikker-by pipeline for YEAR (default 2017) on the demo data
	$(BIN)/tryghed run sikker-by --year $(YEAR)

test: $(STAMP) $(DEMO) ## the whole test suite, nbval over every notebook included
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff over the package and tests
	$(BIN)/ruff check tryghed tests

bench: $(STAMP) $(DEMO) ## time one full pipeline run on the demo data
	$(BIN)/python benchmarks/bench_pipeline.py

lock: ## regenerate requirements.lock from pyproject.toml in a fresh environment
	rm -rf build/lockenv && $(PYTHON) -m venv build/lockenv
	build/lockenv/bin/python -m pip install --quiet --upgrade pip
	build/lockenv/bin/python -m pip install --quiet '.[test]'
	{ echo "# Every package pinned. Generated from pyproject.toml by 'make lock' (do not edit by hand)."; \
	  build/lockenv/bin/python -m pip freeze --exclude-editable | grep -v '^tryghed'; } > requirements.lock
	rm -rf build/lockenv

clean: ## delete the disposable outputs (processed data, figures, reports, scratch)
	rm -rf data/processed figures reports build .staging
