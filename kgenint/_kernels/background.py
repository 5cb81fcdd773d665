"""Numba kernels: random background DNA with a given GC content.

Each sequence i uses its own splitmix64 stream derived from (seed, i), so the output does not
depend on the number of threads.
"""
from __future__ import annotations

import numba
import numpy as np

from . import pjit, jit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@jit
def _mix64(z):
    """splitmix64 finaliser (a bijective 64-bit hash)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@jit
def _uniform(state):
    """(new state, uniform float64 in [0, 1)) from one splitmix64 step."""
    state = state + _GOLDEN
    return state, np.float64(_mix64(state) >> _S11) * _INV53


@jit
def _stream_seed(seed, item):
    return _mix64(_mix64(seed) ^ _mix64(item + _GOLDEN))


@pjit
def iid_background_kernel(gc, L, seed):
    """float32 (n, L, 4) i.i.d. bases: P(C) = P(G) = gc[i]/2, P(A) = P(T) = (1 - gc[i])/2.

    One splitmix64 draw per position, turned into the letter without branches (a branch on a
    random bit is mispredicted half of the time).
    """
    n = gc.shape[0]
    out = np.zeros((n, L, 4), dtype=np.float32)
    useed = np.uint64(seed)
    for i in numba.prange(n):
        state = _stream_seed(useed, np.uint64(i))
        g = gc[i]
        half_g = 0.5 * g
        half_at = g + 0.5 * (1.0 - g)
        for j in range(L):
            state, u = _uniform(state)
            is_gc = np.int64(u < g)
            c = is_gc * (1 + np.int64(u >= half_g)) + (1 - is_gc) * 3 * np.int64(u >= half_at)
            out[i, j, c] = 1.0
    return out


@pjit
def exact_gc_background_kernel(n_gc, L, seed):
    """float32 (n, L, 4): sequence i has exactly n_gc[i] G/C placed uniformly at random.

    Positions are filled left to right; a position is G/C with probability
    (G/C still to place) / (positions left), which places the G/C uniformly; G vs C and A vs T
    are fair coins.
    """
    n = n_gc.shape[0]
    out = np.zeros((n, L, 4), dtype=np.float32)
    useed = np.uint64(seed)
    for i in numba.prange(n):
        state = _stream_seed(useed, np.uint64(i))
        left = n_gc[i]
        for j in range(L):
            state, u = _uniform(state)
            v = u * (L - j)  # u < left / (L - j)  <=>  v < left, without a division
            is_gc = np.int64(v < left)
            left -= is_gc
            # G vs C: v / left_before uniform in [0, 1); A vs T: likewise for the rest.
            c_gc = 1 + np.int64(2.0 * v >= (left + is_gc))
            c_at = 3 * np.int64(2.0 * (v - (left + is_gc)) >= (L - j - left - is_gc))
            c = is_gc * c_gc + (1 - is_gc) * c_at
            out[i, j, c] = 1.0
    return out
