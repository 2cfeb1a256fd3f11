# Two commands: `make demo` runs the main job on built-in data, `make test` runs the tests.
# Each creates (or reuses) a local virtual environment in .venv and installs what it needs.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: demo test test-tensorflow test-jax bench lint clean notebooks docs

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,jax,docs]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m vaekit.demo

# JupyterLab on notebooks/, in this environment (the `notebooks` extra is installed once).
notebooks: $(STAMP)
	$(BIN)/python -c "import jupyterlab" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[notebooks]"
	$(BIN)/python -m jupyter lab notebooks

test: test-tensorflow test-jax

test-tensorflow: $(STAMP)
	KERAS_BACKEND=tensorflow $(BIN)/python -m pytest tests -q -n 2 --dist loadfile

# The backend-independent core runs again on JAX.
test-jax: $(STAMP)
	KERAS_BACKEND=jax $(BIN)/python -m pytest tests -q -n 2 --dist loadfile -m backends

bench: $(STAMP)
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/semi_supervised.py
	$(BIN)/python bench/sklearn_overhead.py
	$(BIN)/python bench/tabular.py

# The documentation site in site/ (API reference, guide, notebooks); --strict fails on
# a broken reference, a page missing from the nav or a link to nothing.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

lint: $(STAMP)
	$(BIN)/ruff check vaekit pipelines tests bench

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
