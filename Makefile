# tryghed: `make help` lists the targets. Every target bootstraps .venv from requirements.lock first.
# Python 3.11, 3.12 or 3.13 (the first found; PYTHON=/path/to/python3.x to choose).
PYTHON ?= $(shell for v in python3.11 python3.12 python3.13 python3; do command -v $$v && break; done)
# uv installs the lock in seconds: the uv on the PATH, else one pip fetches from PyPI into .venv/uv, else pip does the
# work (UV=false forces pip).
UV     ?= $(shell command -v uv)
VENV   ?= .venv
BIN    := $(VENV)/bin
LOCKED := $(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
# what a run needs: the package's own dependencies, at the versions pinned in requirements.lock (make report)
RUNTIME := $(VENV)/.installed-run-$(LOCKED)
# every pinned package: tests, lint, JupyterLab, Dask (make setup, test, test-fast, lint, bench)
STAMP  := $(VENV)/.installed-all-$(LOCKED)
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

# Python writes no .pyc files when PYTHONDONTWRITEBYTECODE is set, and then every notebook kernel compiles pandas,
# scipy, statsmodels and matplotlib from source again (a fresh clone's first report took 30-50 CPU seconds more).
# .venv is this project's own: let the first run cache the bytecode of what it imports.
unexport PYTHONDONTWRITEBYTECODE

# $(call install,ARGS): `pip install ARGS` into $(VENV), by uv when it can be had, else by pip. Neither compiles
# bytecode at install: `make report` compiles only what its run imports; `make setup` compiles the rest (below).
define install
	@uv="$(UV)"; \
	if [ -z "$$uv" ] && [ -x $(VENV)/uv/bin/uv ]; then uv=$(VENV)/uv/bin/uv; fi; \
	if [ -z "$$uv" ] && $(PYTHON) -m pip install --quiet --disable-pip-version-check --no-deps --only-binary :all: \
	     --target $(VENV)/uv uv >/dev/null 2>&1; then uv=$(VENV)/uv/bin/uv; fi; \
	if [ -n "$$uv" ] && $$uv pip install --quiet --python $(BIN)/python $(1); then \
	  echo "installed $(1) with $$uv"; \
	else \
	  echo "installing $(1) with pip"; \
	  $(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade --default-pip >/dev/null \
	  && $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile $(1) || exit 1; \
	fi
endef

# the virtualenv without pip (uv needs none; the pip fallback adds it), then the package and what a run needs
$(RUNTIME): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else "tryghed needs Python 3.11, 3.12 or 3.13; set PYTHON=/path/to/python3.x")'
	$(PYTHON) -m venv --without-pip $(VENV)
	$(call install,-c requirements.lock -e .)
	rm -f $(VENV)/.installed-* && touch $(RUNTIME)

# the rest of the lock; then the bytecode of every installed module, once, on every core (pip's default at install;
# the packages' own test folders left out), so that no test run compiles pandas, scipy or statsmodels again
$(STAMP): $(RUNTIME)
	$(call install,-r requirements.lock)
	@echo "compiling the bytecode of $(VENV)"
	@$(BIN)/python -m compileall -q -j 0 -x '/tests?/' $(VENV)/lib >/dev/null 2>&1 || true
	touch $(STAMP)

setup: $(STAMP) ## create .venv with every pinned package (tests, JupyterLab, Dask) and the tryghed command

$(DEMO): | $(RUNTIME)
	$(BIN)/tryghed demo-data

demo: $(RUNTIME) $(DEMO) ## write the synthetic demo data into data/raw/demo (if missing)

report: $(RUNTIME) $(DEMO) ## run sikker-by for YEAR (default 2017) on the demo data (installs only what a run needs)
	$(BIN)/tryghed run sikker-by --year $(YEAR)

test: $(STAMP) $(DEMO) ## the whole test suite and nbval over every notebook (each chain in order), on every core
	$(BIN)/python -m pytest tests notebooks $(XDIST) --durations=25

test-fast: $(STAMP) $(DEMO) ## everything that starts no notebook kernel (no nbval, no pipeline run)
	$(BIN)/python -m pytest tests -m "not slow" -n auto

lint: $(STAMP) ## ruff over the package and tests
	$(BIN)/ruff check tryghed tests

bench: $(STAMP) $(DEMO) ## measure the performance targets as ratios in one run; writes BENCHMARKS.md
	$(BIN)/python benchmarks/bench_pipeline.py --out BENCHMARKS.md $(BENCH_ARGS)

lock: ## regenerate requirements.lock from pyproject.toml (the dependencies and every extra) in a fresh environment
	rm -rf build/lockenv && $(PYTHON) -m venv build/lockenv
	build/lockenv/bin/python -m pip install --quiet --upgrade pip
	build/lockenv/bin/python -m pip install --quiet '.[lab,dask,test]'
	{ echo "# Every package pinned. Generated from pyproject.toml by 'make lock' (do not edit by hand)."; \
	  build/lockenv/bin/python -m pip freeze --exclude-editable | grep -v '^tryghed'; } > requirements.lock
	rm -rf build/lockenv

clean: ## delete the disposable outputs (processed data, figures, reports, scratch)
	rm -rf data/processed figures reports build .staging
