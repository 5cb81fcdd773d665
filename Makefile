# Quick start (see README.md):
#   make demo   -- create .venv, install kgenint, run the main job on the embedded default data
#   make test   -- create .venv, install kgenint with its test extras, run ruff, mypy and the test suite
#   make bench  -- every benchmarks/bench_*.py (BENCH_ARGS=--quick for small sizes) -> benchmarks/RESULTS_all.md
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.kgenint-installed
# mypy on the public API (permissive config in pyproject.toml [tool.mypy]). interactions/adaptive.py
# and cli/cmd_interactions.py rejoin once adaptive.py's design_summary dict is typed and
# scan_pairs_adaptive takes distances: Sequence[int] | np.ndarray | None like scan_pairs
TYPED  := kgenint/_io.py kgenint/_deprecation.py kgenint/results kgenint/evaluate kgenint/sequence \
          kgenint/motifs kgenint/simulate kgenint/data kgenint/_alphabet.py kgenint/_validate.py \
          kgenint/_stats.py kgenint/errors.py kgenint/attribution kgenint/seqlets kgenint/keras \
          kgenint/plot kgenint/report \
          $(filter-out kgenint/interactions/adaptive.py,$(wildcard kgenint/interactions/*.py)) \
          $(filter-out kgenint/cli/cmd_interactions.py,$(wildcard kgenint/cli/*.py))

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
