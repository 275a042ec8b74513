# Two commands set everything up on a fresh machine:
#   make demo   build the virtualenv if missing, then run the course end to end
#   make test   build the virtualenv if missing, then run the whole test suite
# TORCH picks the torch build installed first: a pinned release keeps the install
# quick and reproducible (on Linux, PyPI's build of it is the CUDA one).
PYTHON ?= python3
VENV   ?= .venv
TORCH  ?= torch==2.13.0
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Jupyter's CLIs (nbgrader, alembic, jupyter) must be found on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: demo test test-fast lint lab bench venv clean catalogue system-demo system-test

# The system programs each command needs (bubblewrap, Chromium, PostgreSQL): one list, in
# tools/system_programs.py. Installed with apt-get when run as root, else one line per missing
# program with the command that installs it, before anything else is built.
system-demo system-test: system-%:
	$(PYTHON) tools/system_programs.py install $*

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

DEMO_OUT ?= demo-out

# The course end to end: the library's models, the notebooks executed and
# rendered to HTML, then the assignment released and a class of example
# submissions graded, with the gradebook summary printed.
demo: system-demo $(STAMP)
	$(BIN)/python -m d2lblocks.demo
	$(BIN)/python notebooks/run_notebooks.py --html $(DEMO_OUT)/notebooks
	$(BIN)/python examples/demo.py $(DEMO_OUT)
	@echo "Demo outputs are in $(DEMO_OUT)/"

# Lint and type-check first: they take seconds, the suite takes minutes.
test: system-test lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/mypy

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

bench: $(STAMP)
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

# The message catalogue: one gettext domain, d2lblocks, for the library, the grader and the
# exercises' verifiers (each folder when it exists). Extracts every marked message into a
# template, then merges it into each language's .po, which translators edit and commit.
# tests/lib/test_catalogue.py reads these settings and extracts the same way.
CATALOGUE_DIRS     := d2lblocks grader exercises/verifiers
CATALOGUE_KEYWORDS := N_ _ gettext translate
# Folders skipped (pybabel's own default would also skip _paramtree and every _private folder).
CATALOGUE_IGNORE   := .* __pycache__
CATALOGUE_LANGS    := en ja
LOCALE_DIR         := d2lblocks/locale

catalogue: $(STAMP)
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg --no-default-keywords $(addprefix -k ,$(CATALOGUE_KEYWORDS)) \
		--ignore-dirs='$(CATALOGUE_IGNORE)' --add-location=file --sort-by-file --project=d2lblocks \
		--omit-header -o build/d2lblocks.pot $(wildcard $(CATALOGUE_DIRS))
	for lang in $(CATALOGUE_LANGS); do \
		$(BIN)/pybabel update -i build/d2lblocks.pot -d $(LOCALE_DIR) -D d2lblocks -l $$lang \
			--init-missing --ignore-obsolete --omit-header || exit 1; \
	done

clean:
	rm -rf $(VENV) demo-out .pytest_cache
