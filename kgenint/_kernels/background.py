"""Numba kernels: random background DNA with a given GC content.

Each sequence i uses its own splitmix64 stream derived from (seed, i), so the output does not
depend on the number of threads.
"""
from __future__ import annotations

import numba
import numpy as np

from . import pjit

from .rng import stream_seed as _stream_seed, uniform as _uniform  # noqa: E402

_RNG_SOURCE = "4294cb031608"  # kgenint/_kernels/rng.py's hash (its module docstring: Numba cache key)


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
