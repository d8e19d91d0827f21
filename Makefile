# Every target bootstraps its environment itself: a fresh clone needs only `make demo` or `make test`.
# `make demo` runs in a small environment of its own (.venv-demo: the package and matplotlib, what
# `pip install 'autograd-core[plot]'` gives a user) with Graphviz's `dot`; everything else runs in
# .venv, with every extra (tests, linters, notebooks, build) and Chromium for the browser test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
EXTRAS := test,lint,digits,plot,notebooks,dist
DEMO_VENV := $(VENV)-demo
# Jupyter refuses to run as root (as in containers) unless told to.
LAB_FLAGS := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: demo test lint pytest bench lab notebooks system-deps system-dot system-chromium clean

demo: $(DEMO_VENV)/.installed system-dot
	$(DEMO_VENV)/bin/backprop demo

test: lint pytest

pytest: $(VENV)/.installed system-deps
	$(PY) -m pytest -q

lint: $(VENV)/.installed
	$(PY) -m ruff check autograd_core nn tests bench notebooks
	$(PY) -m ruff format --check autograd_core nn tests bench notebooks
	$(PY) -m mypy

bench: $(VENV)/.bench-installed
	$(PY) bench/run.py

lab: $(VENV)/.installed system-dot
	$(VENV)/bin/jupyter lab $(LAB_FLAGS) notebooks/

# Execute every notebook and store it with its outputs (the tests fail when a stored one is stale).
notebooks: $(VENV)/.installed system-dot
	$(PY) notebooks/store.py

CHECK_PYTHON := $(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "autograd-core needs Python >= 3.10; this is " + sys.version.split()[0] + ". Run: make PYTHON=python3.11 ...")'

# The virtual environments, rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	@$(CHECK_PYTHON)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[$(EXTRAS)]'
	touch $@

# The venv's own pip (any pip >= 21.3 installs an editable pyproject package): no upgrade to wait for.
$(DEMO_VENV)/.installed: pyproject.toml
	@$(CHECK_PYTHON)
	test -x $(DEMO_VENV)/bin/python || $(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install -q -e '.[plot]'
	touch $@

$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[$(EXTRAS),bench]'
	@# PyTorch is a peer, never a dependency: pinned to the CPU build (a plain `torch` is gigabytes).
	$(PY) -m pip install -q torch==2.13.0 || echo "NOTE: PyTorch 2.13.0 could not be installed; the PyTorch rows are skipped."
	touch $@

# System packages: Graphviz's `dot` renders the drawings (the demo, the notebooks, the tests);
# Chromium runs the stepper's browser test (the tests only). Installed with apt-get (as root, or
# with passwordless sudo) or Homebrew where we can; otherwise a note says what to install, and
# the tests that need them skip (or fail in CI).
INSTALL := install() { \
	  if command -v apt-get >/dev/null 2>&1 && { [ "$$(id -u)" = 0 ] || sudo -n true 2>/dev/null; }; then \
	    sudo=$$([ "$$(id -u)" = 0 ] || echo "sudo -n"); \
	    echo "Installing $$1 (apt-get)..."; \
	    $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$$1" >/dev/null; \
	  elif [ -n "$$2" ] && command -v brew >/dev/null 2>&1; then \
	    echo "Installing $$2 (brew)..."; brew install "$$2"; \
	  else return 1; fi; }

system-deps: system-dot system-chromium

system-dot:
	@$(INSTALL); \
	command -v dot >/dev/null 2>&1 || install graphviz graphviz || { \
	  echo "NOTE: Graphviz's 'dot' is not installed and could not be installed automatically."; \
	  echo "      Drawings still produce DOT text; to render them install Graphviz:"; \
	  echo "      Debian/Ubuntu: sudo apt-get install graphviz   macOS: brew install graphviz   conda: conda install -c conda-forge graphviz"; }

system-chromium:
	@$(INSTALL); \
	test -x /usr/bin/chromium || install chromium || { \
	  echo "NOTE: Chromium (/usr/bin/chromium) is not installed, so the stepper's browser test is skipped"; \
	  echo "      (it fails when CI=true). Debian: sudo apt-get install chromium"; }

clean:
	rm -rf $(VENV) $(DEMO_VENV) demo-output .pytest_cache .mypy_cache .ruff_cache .hypothesis dist build
