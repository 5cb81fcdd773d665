"""Numba kernels for hit co-occurrence histograms and Fisher's exact test."""
from __future__ import annotations

import math

import numpy as np
from numba import prange

from . import jit, pjit


@pjit
def pair_histograms(seg, motif, start, end, strand, seq_group, K, max_distance, bin_size, window,
                    allow_overlap, n_groups, n_threads):
    """Count ordered hit pairs per (group, a, b, distance bin, orientation).

    Hits are sorted by (sequence, start); ``seg`` (S + 1,) holds the boundaries of each
    sequence's hits and ``seq_group`` (S,) its group (-1: ignored).

    For every ordered pair of distinct hits ``(i, j)`` in one sequence with
    ``0 <= d = start[j] - start[i] <= max_distance`` (and, unless ``allow_overlap``, non
    overlapping intervals), the cell ``(motif[i], motif[j], d // bin_size, 2*strand[i] +
    strand[j])`` is counted.  ``window > 0`` also credits the ``window`` neighbouring bins on each
    side (pooling of neighbouring distances).

    Returns
    -------
    pair_counts : int64 (G, K, K, D, 4)
        Number of hit pairs.
    seq_counts : int64 (G, K, K, D, 4)
        Number of sequences with at least one such pair.
    """
    D = max_distance // bin_size + 1
    S = seg.shape[0] - 1
    pc = np.zeros((n_threads, n_groups, K, K, D, 4), dtype=np.int64)
    sc = np.zeros((n_threads, n_groups, K, K, D, 4), dtype=np.int64)
    chunk = (S + n_threads - 1) // n_threads
    for t in prange(n_threads):
        stamp = np.full((K, K, D, 4), -1, dtype=np.int64)
        s_lo = t * chunk
        s_hi = min(S, s_lo + chunk)
        for s in range(s_lo, s_hi):
            g = seq_group[s]
            if g < 0:
                continue
            lo = seg[s]
            hi = seg[s + 1]
            first = lo  # first hit with start >= start[i]
            for i in range(lo, hi):
                while first < hi and start[first] < start[i]:
                    first += 1
                for j in range(first, hi):
                    if j == i:
                        continue
                    d = start[j] - start[i]
                    if d > max_distance:
                        break
                    if not allow_overlap and start[j] < end[i] and start[i] < end[j]:
                        continue
                    a = motif[i]
                    b = motif[j]
                    o = 2 * strand[i] + strand[j]
                    c = d // bin_size
                    blo = max(0, c - window)
                    bhi = min(D - 1, c + window)
                    for cc in range(blo, bhi + 1):
                        pc[t, g, a, b, cc, o] += 1
                        if stamp[a, b, cc, o] != s:
                            stamp[a, b, cc, o] = s
                            sc[t, g, a, b, cc, o] += 1
    return pc.sum(axis=0), sc.sum(axis=0)


@jit
def _log_comb(n, k):
    return math.lgamma(n + 1.0) - math.lgamma(k + 1.0) - math.lgamma(n - k + 1.0)


@pjit
def fisher_exact(x, n1s, t, Ns, alternative):
    """Fisher's exact test p-values of many 2x2 tables.

    Table per cell ``m``: ``x[m]`` = group-1 sequences with the feature, ``n1[m]`` group-1
    size, ``t[m]`` sequences with the feature in both groups, ``N[m]`` all sequences (``n1``
    and ``N`` per cell, so each cell can have its own reference set). ``alternative``: 0
    two-sided (sum of tables no more probable than the observed, relative tolerance 1e-7, as
    R and scipy do), 1 greater (enrichment in group 1), 2 less.
    """
    M = x.shape[0]
    out = np.empty(M, dtype=np.float64)
    for m in prange(M):
        tm = t[m]
        xm = x[m]
        n1 = n1s[m]
        n2 = Ns[m] - n1
        kmin = max(0, tm - n2)
        kmax = min(n1, tm)
        base = _log_comb(Ns[m], tm)
        lp_obs = _log_comb(n1, xm) + _log_comb(n2, tm - xm) - base
        acc = 0.0
        if alternative == 1:
            for k in range(xm, kmax + 1):
                acc += math.exp(_log_comb(n1, k) + _log_comb(n2, tm - k) - base)
        elif alternative == 2:
            for k in range(kmin, xm + 1):
                acc += math.exp(_log_comb(n1, k) + _log_comb(n2, tm - k) - base)
        else:
            thr = lp_obs + 1e-7
            for k in range(kmin, kmax + 1):
                lp = _log_comb(n1, k) + _log_comb(n2, tm - k) - base
                if lp <= thr:
                    acc += math.exp(lp)
        out[m] = min(1.0, acc)
    return out
