# Quick start (see README.md):
#   make demo   -- create .venv, install kgenint, run the main job on the embedded default data
#   make test   -- create .venv, install kgenint with its test extras, run the test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.kgenint-installed

.PHONY: demo test install bench clean

$(STAMP): pyproject.toml setup.py $(wildcard csrc/*.c csrc/*.h)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/kgenint demo

test: $(STAMP)
	sh scripts/install_chromium.sh
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m pip install -q -e ".[test,bench]"
	$(PY) benchmarks/run_all.py

clean:
	rm -rf build kgenint/*.so kgenint-demo .pytest_cache
