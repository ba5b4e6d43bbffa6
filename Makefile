# Quick start: `make demo` and `make test` each create .venv when missing and install into it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test test-torch test-browser programs bench notebooks clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[examples]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(PY) -m tinygrad_edu demo

test: $(VENV)/.installed-dev
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -q

# The same suite with PyTorch installed, so the differential tests against it run too (the CPU
# build: on these machines `pip install torch==2.13.0` takes the wheel that lies on disk).
test-torch: $(VENV)/.installed-dev
	$(PY) -m pip install --quiet torch==2.13.0
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -q

# The backward animation's page in a real headless browser: Debian's Chromium, installed here when
# missing (as root); `make test` runs the same test and skips it, saying why, where no browser is.
test-browser: $(VENV)/.installed-dev
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	$(PY) -m pytest -q tests/test_animate.py

# Every PyTorch program of tests/programs/ under tinygrad_edu, compared with PyTorch where installed
# (`make test` runs a quick subset; `python tests/programs/run.py NAME` runs one and shows the diff).
programs: $(VENV)/.installed-dev
	TINYGRAD_EDU_PROGRAMS=all OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(PY) -m pytest -q tests/test_programs.py

bench: $(VENV)/.installed
	$(PY) -m bench

# The course: build notebooks/NN_topic.ipynb from each jupytext script and execute it at full size
# (`make test` runs them all with the quick sizes).
notebooks: $(VENV)/.installed-dev
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) notebooks/build.py

clean:
	rm -rf $(VENV) build *.egg-info
