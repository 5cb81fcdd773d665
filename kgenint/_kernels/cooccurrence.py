"""Numba kernels for hit co-occurrence histograms and Fisher's exact test."""
from __future__ import annotations

import math

import numpy as np
from numba import prange

from . import jit, pjit


@jit
def _pair_bins(i, j, start, end, strand, max_distance, allow_overlap, bin_size, window, D):  # pragma: no cover
    """Whether hit ``j`` pairs with hit ``i`` (same sequence, ``start[j] >= start[i]``):
    ``(use, o, blo, bhi)`` with ``use`` -1 (``j`` and every later hit too far: stop), 0 (skip:
    ``j == i`` or overlapping when ``allow_overlap`` is False) or 1; ``o = 2 * strand[i] +
    strand[j]`` the orientation code and ``blo..bhi`` the distance bins the pair counts in."""
    if j == i:
        return 0, 0, 0, 0
    d = start[j] - start[i]
    if d > max_distance:
        return -1, 0, 0, 0
    if not allow_overlap and start[j] < end[i] and start[i] < end[j]:
        return 0, 0, 0, 0
    o = 2 * strand[i] + strand[j]
    c = d // bin_size
    return 1, o, max(0, c - window), min(D - 1, c + window)


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
                    use, o, blo, bhi = _pair_bins(i, j, start, end, strand, max_distance, allow_overlap,
                                                  bin_size, window, D)
                    if use < 0:
                        break
                    if use == 0:
                        continue
                    a = motif[i]
                    b = motif[j]
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


# --------------------------------------------------------------------------- bounded memory
# The kernels below count one block of upstream motifs ``a0 <= a < a1`` at a time straight into
# sorted coordinates of the observed cells (no dense grid), and keep per ordered pair the summary
# :meth:`CooccurrenceScan.pairs` needs. Group index 0 is group 1 (``seq_group == 1``), index 1
# group 2 (``seq_group == 0``).


@jit
def _count_row(a, seg, hseq, motif, start, end, strand, seq_group, moff, by_motif, K, D, max_distance, bin_size,
               window, allow_overlap, pc, sc, stamp, touched):
    """Count the pairs of upstream motif ``a`` into ``pc``/``sc`` (flat ``(2 * C,)``, group 1
    first, cell ``(b * D + d) * 4 + o``); list the cells made non-zero in ``touched``; return
    their number. The buffers must be zero (``stamp`` -1) on entry; :func:`_reset_row` restores."""
    C = K * D * 4
    n = 0
    for k in range(moff[a], moff[a + 1]):
        i = by_motif[k]
        s = hseq[i]
        g = seq_group[s]
        if g < 0:
            continue
        off = (1 - g) * C
        lo = seg[s]
        hi = seg[s + 1]
        first = i  # first hit of the sequence with start >= start[i]
        while first > lo and start[first - 1] == start[i]:
            first -= 1
        for j in range(first, hi):
            use, o, blo, bhi = _pair_bins(i, j, start, end, strand, max_distance, allow_overlap, bin_size,
                                          window, D)
            if use < 0:
                break
            if use == 0:
                continue
            base = motif[j] * D
            for cc in range(blo, bhi + 1):
                cell = (base + cc) * 4 + o
                if pc[cell] == 0 and pc[C + cell] == 0:
                    touched[n] = cell
                    n += 1
                pc[off + cell] += 1
                if stamp[cell] != s:
                    stamp[cell] = s
                    sc[off + cell] += 1
    return n


@jit
def _reset_row(n, C, pc, sc, stamp, touched):
    for x in range(n):
        c = touched[x]
        pc[c] = 0
        pc[C + c] = 0
        sc[c] = 0
        sc[C + c] = 0
        stamp[c] = -1


@pjit
def block_cells(seg, hseq, motif, start, end, strand, seq_group, moff, by_motif, a0, a1, K, max_distance,
                bin_size, window, allow_overlap, pc_buf, sc_buf, stamp_buf, touched_buf):
    """The observed cells (a pair in either group) of the upstream motifs ``a0 <= a < a1``.

    Hits are sorted by (sequence, start); ``hseq`` is each hit's sequence, ``seg`` (S + 1,) the
    boundaries of each sequence's hits, ``by_motif`` the hit indices ordered by motif (stable,
    so by sequence and start within a motif) with ``moff`` (K + 1,) the boundaries per motif.
    The pairs counted are those of :func:`pair_histograms`. Each of ``T`` threads owns one row
    of buffers (``pc_buf``, ``sc_buf`` int64 ``(T, 2 * C)`` zero, ``stamp_buf`` int64 ``(T, C)``
    -1, ``touched_buf`` int64 ``(T, C)``, with ``C = K * D * 4``; left as found) reused for its
    rows and cleared through the list of touched cells, so time and memory follow the pairs, not
    the ``K * K * D * 4`` grid. Two passes: the first sizes the output, the second fills it.

    Returns
    -------
    index : int64 (M,)
        Ascending flat indices ``a * C + (b * D + d) * 4 + o`` into ``(K, K, D, 4)``.
    pair_counts, seq_counts : int64 (2, M)
        Group 1 first.
    """
    D = max_distance // bin_size + 1
    A = a1 - a0
    C = K * D * 4
    n_threads = pc_buf.shape[0]
    nnz = np.zeros(A + 1, dtype=np.int64)  # pass 0: cells of each row; then their prefix sums
    index = np.empty(0, dtype=np.int64)
    opc = np.empty((2, 0), dtype=np.int64)
    osc = np.empty((2, 0), dtype=np.int64)
    for fill in range(2):
        if fill:
            for r in range(A):
                nnz[r + 1] += nnz[r]
            M = nnz[A]
            index = np.empty(M, dtype=np.int64)
            opc = np.empty((2, M), dtype=np.int64)
            osc = np.empty((2, M), dtype=np.int64)
        for t in prange(n_threads):
            pc = pc_buf[t]
            sc = sc_buf[t]
            stamp = stamp_buf[t]
            touched = touched_buf[t]
            for r in range(t, A, n_threads):
                n = _count_row(a0 + r, seg, hseq, motif, start, end, strand, seq_group, moff, by_motif, K, D,
                               max_distance, bin_size, window, allow_overlap, pc, sc, stamp, touched)
                if fill:
                    cells = np.sort(touched[:n])
                    m = nnz[r]
                    for x in range(n):
                        c = cells[x]
                        index[m + x] = (a0 + r) * C + c
                        opc[0, m + x] = pc[c]
                        opc[1, m + x] = pc[C + c]
                        osc[0, m + x] = sc[c]
                        osc[1, m + x] = sc[C + c]
                else:
                    nnz[r + 1] = n
                _reset_row(n, C, pc, sc, stamp, touched)
    return index, opc, osc


@jit
def pair_summary(index, p, odds, DO, n_cells, best_p, best_cell, best_odds):
    """Per ordered pair ``(a, b)`` (flat ``index // DO``): the number of cells, the smallest p
    (the first in ``index`` order on ties, as ``numpy.nanargmin``), its cell ``d * 4 + o`` and
    odds ratio. Updates the ``(K * K,)`` arrays in place; ``index`` ascending."""
    for m in range(index.shape[0]):
        ab = index[m] // DO
        n_cells[ab] += 1
        if n_cells[ab] == 1 or p[m] < best_p[ab]:
            best_p[ab] = p[m]
            best_cell[ab] = index[m] - ab * DO
            best_odds[ab] = odds[m]


@jit
def presence_counts(seg, motif, seq_group, K):
    """Sequences per group (group 1 first) with neither motif, A only, B only, both.

    ``motif`` holds the hits sorted by sequence, ``seg`` (S + 1,) the boundaries. Returns int64
    ``(2, K, K, 4)``; on the diagonal the categories are 0 hits, exactly 1 hit, (unused, 0) and
    2+ hits of the motif. Memory: the result plus O(K); time: the sum over sequences of
    (distinct motifs)^2.
    """
    S = seg.shape[0] - 1
    out = np.zeros((2, K, K, 4), dtype=np.int64)
    tot = np.zeros((2, K), dtype=np.int64)
    one = np.zeros((2, K), dtype=np.int64)
    two = np.zeros((2, K), dtype=np.int64)
    n = np.zeros(2, dtype=np.int64)
    cnt = np.zeros(K, dtype=np.int64)
    seen = np.empty(K, dtype=np.int64)
    for s in range(S):
        g = seq_group[s]
        if g < 0:
            continue
        gi = 1 - g
        n[gi] += 1
        u = 0
        for h in range(seg[s], seg[s + 1]):
            m = motif[h]
            if cnt[m] == 0:
                seen[u] = m
                u += 1
            cnt[m] += 1
        for x in range(u):
            a = seen[x]
            tot[gi, a] += 1
            if cnt[a] == 1:
                one[gi, a] += 1
            else:
                two[gi, a] += 1
            for y in range(u):
                out[gi, a, seen[y], 3] += 1
        for x in range(u):
            cnt[seen[x]] = 0
    for gi in range(2):
        for a in range(K):
            for b in range(K):
                both = out[gi, a, b, 3]
                if a == b:
                    out[gi, a, a, 0] = n[gi] - one[gi, a] - two[gi, a]
                    out[gi, a, a, 1] = one[gi, a]
                    out[gi, a, a, 2] = 0
                    out[gi, a, a, 3] = two[gi, a]
                else:
                    out[gi, a, b, 1] = tot[gi, a] - both
                    out[gi, a, b, 2] = tot[gi, b] - both
                    out[gi, a, b, 0] = n[gi] - both - out[gi, a, b, 1] - out[gi, a, b, 2]
    return out
