"""One splitmix64 module for every random kernel (issue 13), with its Numba cache key checked."""
from __future__ import annotations

import hashlib
import importlib
from pathlib import Path

import numpy as np

from kgenint._kernels import rng

MASK = (1 << 64) - 1


def _mix64_py(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def test_callers_carry_the_current_rng_hash():
    """Numba's cache of a caller does not notice an edit of rng.py: every caller holds rng.py's
    hash, so editing rng.py fails here until the callers are edited too (which recompiles them)."""
    h = hashlib.sha256(Path(rng.__file__).read_bytes()).hexdigest()[:12]
    for name in rng.CALLERS:
        mod = importlib.import_module(name)
        assert getattr(mod, "_RNG_SOURCE", None) == h, (
            f"kgenint/_kernels/rng.py changed: set _RNG_SOURCE = {h!r} in {name} (and every other "
            f"module of rng.CALLERS) so that Numba recompiles its cached kernels")


def test_no_other_copy_of_splitmix64():
    root = Path(rng.__file__).resolve().parents[1]
    copies = [p for p in root.rglob("*.py") if p.name != "rng.py" and "0x9E3779B97F4A7C15" in p.read_text().upper()]
    assert copies == []


def test_splitmix64_against_python_reference():
    # the first outputs of splitmix64 from state 0 (Vigna's reference: e220a8397b1dcdaf, ...)
    state, out = np.uint64(0), []
    for _ in range(3):
        state, bits = rng.next_bits(state)
        state = np.uint64(state)  # a Python int would be typed int64 on the way back in
        out.append(int(bits))
    assert out[0] == 0xE220A8397B1DCDAF
    ref, s = [], 0
    for _ in range(3):
        s = (s + 0x9E3779B97F4A7C15) & MASK
        ref.append(_mix64_py(s))
    assert out == ref
    st = np.zeros(1, np.uint64)
    assert [int(rng.next_st(st)) for _ in range(3)] == ref
    st = np.zeros(1, np.uint64)
    u = rng.uniform_st(st)
    assert u == (ref[0] >> 11) * 2.0 ** -53
    assert int(rng.stream_seed(np.uint64(7), np.uint64(3))) == _mix64_py(
        _mix64_py(7) ^ _mix64_py((3 + 0x9E3779B97F4A7C15) & MASK))
