"""The one random number generator of the Numba kernels: splitmix64 streams.

Every random kernel (dinucleotide shuffles, random backgrounds, the simulator) draws from
splitmix64 (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators"): one
64-bit state advanced by the golden-ratio increment and hashed by the finaliser :func:`mix64`.
Each work item (a sequence) gets its own stream derived from ``(seed, item)``, so results do not
depend on the number of threads.

Two state conventions are offered because the callers were written that way and their output
streams must stay bit-identical: a scalar state threaded through return values
(:func:`next_bits`, :func:`uniform`) and a one-element uint64 array advanced in place
(:func:`next_st`, :func:`uniform_st`).

**Cache key.** Numba's on-disk cache keys a kernel by its own source file, so a cached kernel in
another module does not notice an edit here. Every calling module therefore carries the
constant ``_RNG_SOURCE`` (the first 12 hex digits of this file's SHA-256), and
``tests/test_rng.py`` fails when the constants differ from this file; updating them edits the
callers, which invalidates their cached machine code.
"""
from __future__ import annotations

import numpy as np

from . import jit

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
STREAM = np.uint64(0xD1B54A32D192ED03)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
S11 = np.uint64(11)
S32 = np.uint64(32)
INV53 = 1.0 / 9007199254740992.0  # 2**-53

#: modules whose kernels call this one (each holds ``_RNG_SOURCE``; see the module docstring)
CALLERS = ("kgenint._kernels.shuffle", "kgenint._kernels.background", "kgenint._kernels.simulate")


@jit
def mix64(z):
    """splitmix64 finaliser (a bijective 64-bit hash)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@jit
def next_bits(state):
    """One splitmix64 step: ``(new state, 64 random bits)``."""
    state = state + GOLDEN
    return state, mix64(state)


@jit
def uniform(state):
    """``(new state, uniform float64 in [0, 1))`` with 53 random bits."""
    state = state + GOLDEN
    return state, np.float64(mix64(state) >> S11) * INV53


@jit
def stream_seed(seed, item):
    """Start state of the independent stream of one work item."""
    return mix64(mix64(seed) ^ mix64(item + GOLDEN))


@jit
def next_st(st):
    """splitmix64 on a one-element uint64 array: advance ``st[0]``, return 64 random bits."""
    st[0] = st[0] + GOLDEN
    return mix64(st[0])


@jit
def uniform_st(st):
    """Uniform float64 in [0, 1) from the array state ``st``."""
    return np.float64(next_st(st) >> S11) * INV53
