"""Numba kernel: letter codes of one-hot DNA rows, the one row policy of the Numba code.

A row ``x[i, j]`` (ACGT order) is the base ``k`` (code 0-3) when it holds one 1 (in channel ``k``)
and three 0s, and N (code 4, :data:`kgenint._alphabet.N_CODE`) when it is all 0 or all 0.25;
anything else is not one-hot DNA. The C core decodes rows by the same rule
(``one_hot_decode``); the motif scanner (:func:`kgenint._kernels.scan.onehot_to_codes`) and the
shuffles and backgrounds (:func:`kgenint.sequence.shuffle.onehot_codes`) call this kernel.
"""
from __future__ import annotations

import numba
import numpy as np

from . import pjit

__all__ = ["onehot_codes_kernel"]


@pjit
def onehot_codes_kernel(x, codes, nvals):  # pragma: no cover - compiled
    """Fill the letter codes of one-hot ``x`` and return where the first invalid row is.

    Parameters
    ----------
    x : float32 array, shape (N, L, 4)
        One-hot DNA, ACGT order.
    codes : int8 or uint8 array, shape (N, L)
        Filled with 0-3 for A, C, G, T and 4 for N; also 4 at an invalid row.
    nvals : float32 array, shape (N,)
        Filled with the value of each sequence's first N row (0.0 when it has none).

    Returns
    -------
    int64
        ``i * L + j`` of the first invalid row (lowest ``i``, then lowest ``j``; the same on
        any number of threads), or -1 when every row is valid.
    """
    N, L = x.shape[0], x.shape[1]
    bad = np.full(N, -1, dtype=np.int64)
    for i in numba.prange(N):
        seen_n = False
        nvals[i] = 0.0
        for j in range(L):
            a, c, g, t = x[i, j, 0], x[i, j, 1], x[i, j, 2], x[i, j, 3]
            ones = np.int64(a == 1.0) + np.int64(c == 1.0) + np.int64(g == 1.0) + np.int64(t == 1.0)
            zeros = np.int64(a == 0.0) + np.int64(c == 0.0) + np.int64(g == 0.0) + np.int64(t == 0.0)
            if ones == 1 and zeros == 3:
                codes[i, j] = np.int64(c == 1.0) + 2 * np.int64(g == 1.0) + 3 * np.int64(t == 1.0)
            else:
                codes[i, j] = 4
                if zeros == 4 or (a == 0.25 and c == 0.25 and g == 0.25 and t == 0.25):
                    if not seen_n:
                        seen_n = True
                        nvals[i] = a
                elif bad[i] < 0:
                    bad[i] = i * L + j
    for i in range(N):
        if bad[i] >= 0:
            return bad[i]
    return -1
