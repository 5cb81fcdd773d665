"""Numba kernels for first-layer convolution filters: the convolution and the site collection.

Both kernels take stride-1, dilation-1 convolutions with explicit zero padding on the left
(``pad_left``); the output length is passed in by the caller, so 'valid', 'same' and 'causal'
padding are one kernel.  Input rows outside the sequence are zero (as Keras pads), and they count
as nothing when sites are collected.

* :func:`conv1d` is parallel over sequences: each output element is written by one thread and is
  a float64 sum in a fixed order, so results do not depend on the number of threads.
* :func:`collect_sites` is parallel over fixed blocks of sequences with one buffer per block,
  summed in block order afterwards, so again results are thread-count independent.

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
def collect_sites(x, act, cutoff, width, pad_left, n_blocks):  # pragma: no cover - compiled
    """Count the windows whose activation reaches ``cutoff[f]`` into per-filter count matrices.

    Sequences are split into ``n_blocks`` fixed blocks (a function of the input, not of the
    thread count), each block accumulates into its own buffers, and the buffers are summed in
    block order: results are identical for any number of threads.

    Parameters
    ----------
    x : float32[N, L, 4]
        One-hot sequences; only entries equal to 1 are counted (N rows, 0.25 rows and padding
        count as nothing).
    act : float32[N, L', F]
        Activations.
    cutoff : float64[F]
        Absolute activation cutoff per filter; filters with ``cutoff = +inf`` collect nothing.
    width : int
        Filter width ``W``.
    pad_left : int
        Window of output ``j`` starts at input position ``j - pad_left``.
    n_blocks : int
        Number of sequence blocks (>= 1).

    Returns
    -------
    counts : float64[F, W, 4]
    n_sites : int64[F]
    sum_act : float64[F]
        Sum of the activations of the collected sites.
    """
    n_seq, out_len, n_filt = act.shape
    length = x.shape[1]
    n_blocks = max(1, min(n_blocks, n_seq))
    b_counts = np.zeros((n_blocks, n_filt, width, 4), dtype=np.float64)
    b_sites = np.zeros((n_blocks, n_filt), dtype=np.int64)
    b_sum = np.zeros((n_blocks, n_filt), dtype=np.float64)
    for blk in prange(n_blocks):
        lo = blk * n_seq // n_blocks
        hi = (blk + 1) * n_seq // n_blocks
        for n in range(lo, hi):
            for j in range(out_len):
                s = j - pad_left
                for f in range(n_filt):
                    a = act[n, j, f]
                    if a >= cutoff[f]:
                        b_sites[blk, f] += 1
                        b_sum[blk, f] += a
                        for k in range(width):
                            p = s + k
                            if p < 0 or p >= length:
                                continue
                            for c in range(4):
                                if x[n, p, c] == 1.0:
                                    b_counts[blk, f, k, c] += 1.0
    counts = np.zeros((n_filt, width, 4), dtype=np.float64)
    n_sites = np.zeros(n_filt, dtype=np.int64)
    sum_act = np.zeros(n_filt, dtype=np.float64)
    for blk in range(n_blocks):
        counts += b_counts[blk]
        n_sites += b_sites[blk]
        sum_act += b_sum[blk]
    return counts, n_sites, sum_act
