# cs231n-lite — the two commands: `make demo` (main job) and `make test` (everything CI runs).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHARED_BUILDER := ../shared/datasets/build_cifar10.py
NBVAL_ENV := CS231N_LITE_DATASET=synthetic MPLBACKEND=Agg

.PHONY: venv demo test test-fast test-slow nbval notebooks lint bench data data-shared clean sysdeps-demo sysdeps-test

# Debian packages: bubblewrap (the grading sandbox), chromium (browser tests), postgresql (the shared-gradebook
# tests start a throw-away server; Debian keeps its binaries in /usr/lib/postgresql/<v>/bin, off PATH).
# Installed with apt-get when missing and we are root; otherwise the command to run is printed.
define apt_need
	@missing=""; for c in $(1); do command -v $${c%%:*} >/dev/null 2>&1 || missing="$$missing $${c#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "apt-get install$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing Debian packages:$$missing -- run: sudo apt-get install$$missing"; exit 1; fi; \
	fi
endef

venv: $(STAMP)

# The checkout goes on sys.path through a plain .pth line (no build step, no setuptools editable shim and its
# "transitional" warning). The line is appended after site-packages, so a student bundle's own cs231n_lite (no
# reference), found first from the notebook's folder, still shadows the repo's. An older editable install is removed.
$(STAMP): requirements.txt pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	-$(BIN)/python -m pip uninstall -q -y cs231n-lite 2>/dev/null
	$(BIN)/python -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()["purelib"], "cs231n_lite_checkout.pth").write_text("$(CURDIR)\n")'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (cs231n-lite)" >/dev/null
	touch $(STAMP)

## Main job: release the assignment, grade a sample class in parallel sandboxes, write feedback + grades.
demo: venv sysdeps-demo
	$(BIN)/python -m autograder demo

## Everything CI runs: lint, unit + slow tests (kernels, sandbox, browser, real data when present), nbval.
test: venv sysdeps-test lint
	$(BIN)/python -m pytest -m "slow or not slow" --durations=25 tests
	$(MAKE) nbval

## The quick loop while developing (no kernels, no browser).
test-fast: venv
	$(BIN)/python -m pytest tests

test-slow: venv
	$(BIN)/python -m pytest -m slow tests

nbval: venv
	$(NBVAL_ENV) $(BIN)/python -m pytest -p no:cacheprovider -o addopts="" --nbval-lax \
		--nbval-sanitize-with notebooks/nbval_sanitize.cfg notebooks/*.ipynb

## Rebuild notebooks/*.ipynb from their sources notebooks/src/*.py (validates the cell markers, runs on synthetic data).
notebooks: venv
	$(BIN)/python notebooks/_build.py

lint: venv
	$(BIN)/ruff check .

bench: venv data-shared
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

## CIFAR-10: the official download (needs the internet) ...
data: venv
	$(BIN)/python -m cs231n_lite.datasets fetch

## ... or, on machines with ../shared, rebuild it offline from the shared JPEG mirror (~10 s).
data-shared: venv
	@if [ -d data/cifar-10-batches-py ]; then echo "data/cifar-10-batches-py already present"; \
	elif [ -f $(SHARED_BUILDER) ]; then $(BIN)/python $(SHARED_BUILDER) data; \
	else echo "no $(SHARED_BUILDER): run 'make data' on a machine with internet access"; fi

sysdeps-demo:
	$(call apt_need,bwrap:bubblewrap)

sysdeps-test:
	$(call apt_need,bwrap:bubblewrap chromium:chromium chromedriver:chromium-driver)
	$(call apt_need,$(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb) initdb):postgresql)

clean:
	rm -rf build test-artifacts .pytest_cache
