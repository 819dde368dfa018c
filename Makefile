# tryghed: `make help` lists the targets. Every target bootstraps .venv from requirements.lock first.
# Python 3.11, 3.12 or 3.13 (the first found; PYTHON=/path/to/python3.x to choose).
PYTHON ?= $(shell for v in python3.11 python3.12 python3.13 python3; do command -v $$v && break; done)
# uv installs the lock in seconds; found on PATH, else installed from PyPI into .venv, else pip does the work.
UV     ?= $(shell command -v uv)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
DEMO   := data/raw/demo/SYNTHETIC.md
YEAR   ?= 2017
# numpy's multithreaded BLAS fights pytest-xdist and the notebook kernels for the same cores: one thread each
OPENBLAS_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS
# pytest-xdist: every core; a module (or an nbval notebook chain) per worker, longest first (tests/conftest.py)
XDIST  ?= -n auto --dist loadscope

.DEFAULT_GOAL := help
.PHONY: help setup demo report test test-fast lint bench lock clean

help: ## show this list
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else "tryghed needs Python 3.11, 3.12 or 3.13; set PYTHON=/path/to/python3.x")'
	$(PYTHON) -m venv $(VENV)
	@uv="$(UV)"; \
	if [ -z "$$uv" ] && $(BIN)/python -m pip install --quiet --disable-pip-version-check uv; then uv=$(BIN)/uv; fi; \
	if [ -n "$$uv" ] && $$uv pip install --quiet --python $(BIN)/python -r requirements.lock \
	   && $$uv pip install --quiet --python $(BIN)/python --no-deps -e .; then \
	  echo "installed requirements.lock with $$uv"; \
	else \
	  echo "installing requirements.lock with pip"; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock \
	  && $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . || exit 1; \
	fi
	rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP) ## create .venv with every pinned package and the tryghed command

$(DEMO): | $(STAMP)
	$(BIN)/tryghed demo-data

demo: $(STAMP) $(DEMO) ## write the synthetic demo data into data/raw/demo (if missing)

report: $(STAMP) $(DEMO) ## run the sikker-by pipeline for YEAR (default 2017) on the demo data
	$(BIN)/tryghed run sikker-by --year $(YEAR)

test: $(STAMP) $(DEMO) ## the whole test suite and nbval over every notebook (each chain in order), on every core
	$(BIN)/python -m pytest tests notebooks $(XDIST) --durations=25

test-fast: $(STAMP) $(DEMO) ## everything that starts no notebook kernel (no nbval, no pipeline run)
	$(BIN)/python -m pytest tests -m "not slow" -n auto

lint: $(STAMP) ## ruff over the package and tests
	$(BIN)/ruff check tryghed tests

bench: $(STAMP) $(DEMO) ## measure the performance targets as ratios in one run; writes BENCHMARKS.md
	$(BIN)/python benchmarks/bench_pipeline.py --out BENCHMARKS.md $(BENCH_ARGS)

lock: ## regenerate requirements.lock from pyproject.toml in a fresh environment
	rm -rf build/lockenv && $(PYTHON) -m venv build/lockenv
	build/lockenv/bin/python -m pip install --quiet --upgrade pip
	build/lockenv/bin/python -m pip install --quiet '.[test]'
	{ echo "# Every package pinned. Generated from pyproject.toml by 'make lock' (do not edit by hand)."; \
	  build/lockenv/bin/python -m pip freeze --exclude-editable | grep -v '^tryghed'; } > requirements.lock
	rm -rf build/lockenv

clean: ## delete the disposable outputs (processed data, figures, reports, scratch)
	rm -rf data/processed figures reports build .staging
