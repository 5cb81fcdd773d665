# Quick start (see README.md):
#   make demo   -- create .venv, install kgenint, run the main job on the embedded default data
#   make test   -- create .venv, install kgenint with its test extras, run ruff, mypy and the test suite
#   make bench  -- every benchmarks/bench_*.py (BENCH_ARGS=--quick for small sizes) -> benchmarks/RESULTS_all.md
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.kgenint-installed
# mypy on the whole package (permissive config in pyproject.toml [tool.mypy])
TYPED  := kgenint

.PHONY: demo test install bench lint typecheck clean

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
	$(PY) -m ruff check kgenint tests benchmarks
	$(PY) -m mypy $(TYPED)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check kgenint tests benchmarks

# the mypy step of `make test` alone
typecheck: $(STAMP)
	$(PY) -m mypy $(TYPED)

bench: $(STAMP)
	$(PY) -m pip install -q -e ".[test,bench]"
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

clean:
	rm -rf build kgenint/*.so kgenint-demo .pytest_cache
