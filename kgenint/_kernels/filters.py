"""Numba kernels for first-layer convolution filters: the convolution and the site collection.

Both kernels take stride-1, dilation-1 convolutions with explicit zero padding on the left
(``pad_left``); the output length is passed in by the caller, so 'valid', 'same' and 'causal'
padding are one kernel.  Input rows outside the sequence are zero (as Keras pads), and they count
as nothing when sites are collected.

* :func:`conv1d` is parallel over sequences: each output element is written by one thread and is
  a float64 sum in a fixed order, so results do not depend on the number of threads.
* :func:`collect_sites` is parallel over filters: one thread owns all sums of one filter and
  visits sequences and positions in order, so again results are thread-count independent.

Helpers stay in this module (Numba's cache keys a function by its own file).
"""
from __future__ import annotations

import numpy as np
from numba import prange

from . import jit, pjit

__all__ = ["conv1d", "collect_sites", "ACT_LINEAR", "ACT_RELU", "ACT_EXP"]

ACT_LINEAR = 0
ACT_RELU = 1
ACT_EXP = 2


@jit
def _activate(v: float, code: int) -> float:
    if code == 1:
        return v if v > 0.0 else 0.0
    if code == 2:
        return np.exp(v)
    return v


@pjit
def conv1d(x, w, b, pad_left, out_len, act_code):  # pragma: no cover - compiled
    """Cross-correlation ``out[n, j, f] = act(b[f] + sum_k sum_c x[n, j+k-pad_left, c] w[k, c, f])``.

    Parameters
    ----------
    x : float32[N, L, 4]
    w : float32[W, 4, F]
    b : float32[F]
    pad_left : int
        Zero rows added before position 0.
    out_len : int
        Output length ``L'``.
    act_code : int
        0 linear, 1 relu, 2 exp.

    Returns
    -------
    float32[N, L', F]
    """
    n_seq, length, _ = x.shape
    width, _, n_filt = w.shape
    out = np.empty((n_seq, out_len, n_filt), dtype=np.float32)
    for n in prange(n_seq):
        acc = np.empty(n_filt, dtype=np.float64)
        for j in range(out_len):
            for f in range(n_filt):
                acc[f] = b[f]
            for k in range(width):
                p = j + k - pad_left
                if p < 0 or p >= length:
                    continue
                for c in range(4):
                    xv = x[n, p, c]
                    if xv != 0.0:
                        for f in range(n_filt):
                            acc[f] += xv * w[k, c, f]
            for f in range(n_filt):
                out[n, j, f] = _activate(acc[f], act_code)
    return out


@pjit
def collect_sites(x, act_t, cutoff, width, pad_left, counts, n_sites, sum_act):  # pragma: no cover
    """Add the windows whose activation reaches ``cutoff[f]`` into per-filter count matrices.

    Parameters
    ----------
    x : float32[N, L, 4]
        One-hot sequences; only entries equal to 1 are counted (N rows, 0.25 rows and padding
        count as nothing).
    act_t : float32[F, N, L']
        Activations, filter axis first (contiguous per filter).
    cutoff : float64[F]
        Absolute activation cutoff per filter; filters with ``cutoff = +inf`` collect nothing.
    width : int
        Filter width ``W``.
    pad_left : int
        Window of output ``j`` starts at input position ``j - pad_left``.
    counts : float64[F, W, 4]
        Accumulated in place.
    n_sites : int64[F]
        Accumulated in place.
    sum_act : float64[F]
        Sum of the activations of the collected sites, accumulated in place.
    """
    n_filt, n_seq, out_len = act_t.shape
    length = x.shape[1]
    for f in prange(n_filt):
        cf = cutoff[f]
        for n in range(n_seq):
            for j in range(out_len):
                a = act_t[f, n, j]
                if a >= cf:
                    n_sites[f] += 1
                    sum_act[f] += a
                    s = j - pad_left
                    for k in range(width):
                        p = s + k
                        if p < 0 or p >= length:
                            continue
                        for c in range(4):
                            if x[n, p, c] == 1.0:
                                counts[f, k, c] += 1.0
