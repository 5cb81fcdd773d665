"""Test configuration shared by the whole suite.

* A private NUMBA_CACHE_DIR per checkout (``.numba_cache/``) so a stale cache from another tree is
  never used, while repeated runs stay warm.
* hypothesis: no deadline (first calls compile Numba kernels).
"""
import os
import pathlib

import sys

_ROOT = pathlib.Path(__file__).resolve().parents[1]
# tests/naive_*.py hold the brute-force references; importable with --import-mode=importlib
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
os.environ.setdefault("NUMBA_CACHE_DIR", str(_ROOT / ".numba_cache"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

from hypothesis import settings  # noqa: E402

settings.register_profile("kgenint", deadline=None, max_examples=50)
settings.register_profile("ci", deadline=None, max_examples=30, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "kgenint")
