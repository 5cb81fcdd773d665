"""Numba kernels of integer motif-score distributions under a 0-order background: the p-value
tail of one motif (:func:`pmf_tail`), thresholds and tails of many (:func:`survival_tails`) and the
words whose score lies in a band (:func:`band_words`).

Split from :mod:`kgenint._kernels.scan` (which re-exports these names); the scan kernels
themselves stay there. Helpers live in this module (Numba's cache keys a function by its own file).
"""
from __future__ import annotations

import numpy as np
from numba import prange

from . import jit, pjit

__all__ = ["pmf_tail", "survival_tails", "band_words"]


# --------------------------------------------------------------------------- score distribution
@jit
def _column_range(a, fin):  # pragma: no cover - compiled
    """Best and worst finite entry of each column: int64 ``(hi, lo)``, shape (W,) each."""
    w = a.shape[0]
    hi = np.empty(w, dtype=np.int64)
    lo = np.empty(w, dtype=np.int64)
    for i in range(w):
        h = -(1 << 62)
        m = 1 << 62
        for c in range(4):
            if fin[i, c]:
                h = max(h, a[i, c])
                m = min(m, a[i, c])
        hi[i] = h
        lo[i] = m
    return hi, lo


@jit
def pmf_tail(a, fin, bg, cut):  # pragma: no cover - compiled
    """Probability mass function of an integer motif score under a 0-order background.

    The score of a word ``x_1..x_W`` is ``sum_i a[i, x_i]``; letters whose entry is not finite
    (``fin[i, c]`` False, a zero probability without pseudocount) make the score ``-inf``, so
    their mass is dropped.  States that cannot reach ``cut`` any more (their partial score plus
    the best possible rest is below ``cut``) are dropped as well, so the result is exact only for
    scores ``>= cut``; give ``cut`` very negative for the whole distribution.

    Parameters
    ----------
    a : int64 array, shape (W, 4)
        Integer log-odds matrix.
    fin : bool array, shape (W, 4)
        Which entries are finite.
    bg : float64 array, shape (4,)
        Background probabilities of A, C, G, T.
    cut : int64
        Lowest score needed.

    Returns
    -------
    base : int64
        Score of ``pmf[0]``.
    pmf : float64 array, shape (K,)
        ``pmf[s - base] = P(S = s)`` for ``s >= cut`` (exact); empty when no word reaches
        ``cut``.
    """
    w = a.shape[0]
    hi, lo = _column_range(a, fin)
    rest = np.zeros(w, dtype=np.int64)  # best score of columns after i
    for i in range(w - 2, -1, -1):
        rest[i] = rest[i + 1] + hi[i + 1]

    old = np.ones(1, dtype=np.float64)
    cur_lo = 0
    cur_hi = 0
    for i in range(w):
        new_hi = cur_hi + hi[i]
        keep_lo = max(cur_lo + lo[i], cut - rest[i])
        if keep_lo > new_hi:
            return np.int64(0), np.zeros(0, dtype=np.float64)
        new = np.zeros(new_hi - keep_lo + 1, dtype=np.float64)
        for c in range(4):
            if not fin[i, c]:
                continue
            p = bg[c]
            sh = a[i, c]
            j0 = max(cur_lo, keep_lo - sh)
            d = sh - keep_lo
            for s in range(j0, cur_hi + 1):
                new[s + d] += p * old[s - cur_lo]
        old = new
        cur_lo = keep_lo
        cur_hi = new_hi
    return np.int64(cur_lo), old


@jit
def _sf(pmf):  # pragma: no cover - compiled
    """Survival function ``sf[k] = sum(pmf[k:])``, summed from the top (small tails stay exact)."""
    n = pmf.shape[0]
    sf = np.empty(n, dtype=np.float64)
    acc = 0.0
    for k in range(n - 1, -1, -1):
        acc += pmf[k]
        sf[k] = acc
    return sf


@jit
def _threshold_from_sf(base, sf, thr):  # pragma: no cover - compiled
    """Smallest score ``t >= base`` with ``sf[t - base] <= thr``; ``base + len(sf)`` if none."""
    n = sf.shape[0]
    for k in range(n):
        if sf[k] <= thr:
            return base + k
    return base + n


@pjit
def survival_tails(a_flat, fin_flat, offs, bg, coarse, thr, tail_cap, margin):  # pragma: no cover
    """Score threshold and p-value tail of many integer motifs (parallel over motifs).

    For motif ``k`` (rows ``offs[k]:offs[k+1]`` of ``a_flat``) find ``T_k``, the smallest
    integer score whose survival probability ``P(S >= T_k)`` is at most ``thr``, and the
    survival function from ``T_k`` to the best score.  A coarse pass (entries floor-divided by
    ``coarse``) first bounds ``T_k`` from below, so the fine pass only carries states that can
    still reach that bound: since ``coarse * floor(a / coarse) <= a`` the coarse score never
    exceeds the fine one, and ``P(S >= t) >= P(coarse * C >= t)``.

    Parameters
    ----------
    a_flat : int64 array, shape (sum W, 4)
    fin_flat : bool array, shape (sum W, 4)
    offs : int64 array, shape (K + 1,)
    bg : float64 array, shape (K, 4)
        Background of each motif.
    coarse : int64
        Divisor of the coarse pass (>= 1; 1 disables the bound).
    thr : float64
        p-value threshold (already including any tolerance).
    tail_cap : int64
        Size of the second axis of the returned tails.
    margin : int64 array, shape (K,)
        The tails start ``margin[k]`` integer steps below ``T_k``.

    Returns
    -------
    thresh : int64 array, shape (K,)
        ``T_k`` (``best + 1`` when even the best score has a p-value above ``thr``).
    best : int64 array, shape (K,)
        Best possible score.
    tails : float64 array, shape (K, tail_cap)
        ``tails[k, s - T_k + margin[k]] = P(S >= s)`` for ``T_k - margin[k] <= s <= best``,
        when that fits;
        ``tail_len[k]`` says how many entries are valid.
    tail_len : int64 array, shape (K,)
        Number of entries; ``-1`` marks a tail longer than ``tail_cap`` (call again with a
        bigger cap).
    """
    k_n = offs.shape[0] - 1
    thresh = np.empty(k_n, dtype=np.int64)
    best = np.empty(k_n, dtype=np.int64)
    tails = np.zeros((k_n, tail_cap), dtype=np.float64)
    tail_len = np.zeros(k_n, dtype=np.int64)
    for k in prange(k_n):
        a = a_flat[offs[k]:offs[k + 1]]
        fin = fin_flat[offs[k]:offs[k + 1]]
        w = a.shape[0]
        top = 0
        for i in range(w):
            h = -(1 << 62)
            for c in range(4):
                if fin[i, c]:
                    h = max(h, a[i, c])
            top += h
        best[k] = top
        cut = -(1 << 60)
        if coarse > 1:
            ac = np.empty_like(a)
            for i in range(w):
                for c in range(4):
                    ac[i, c] = a[i, c] // coarse
            cb, cp = pmf_tail(ac, fin, bg[k], -(1 << 60))
            csf = _sf(cp)
            # c* = largest coarse score whose survival is still above thr; one step of margin
            # against rounding in the comparison.
            cstar = -(1 << 60)
            for j in range(csf.shape[0] - 1, -1, -1):
                if csf[j] > thr:
                    cstar = cb + j
                    break
            if cstar > -(1 << 60):
                cut = coarse * (cstar - 1) + 1 - margin[k]
        base, pmf = pmf_tail(a, fin, bg[k], cut)
        sf = _sf(pmf)
        t = _threshold_from_sf(base, sf, thr)
        if pmf.shape[0] == 0 or (cut > -(1 << 60) and t < cut + margin[k]):
            # The bound was not below the threshold (cannot happen in exact arithmetic):
            # fall back to the whole distribution.
            base, pmf = pmf_tail(a, fin, bg[k], -(1 << 60))
            sf = _sf(pmf)
            t = _threshold_from_sf(base, sf, thr)
        thresh[k] = t
        start = t - margin[k]
        n = top - start + 1
        if n <= 0:
            tail_len[k] = 0
        elif n > tail_cap:
            tail_len[k] = -1
        else:
            tail_len[k] = n
            for j in range(n):
                idx = start - base + j
                tails[k, j] = sf[max(idx, 0)] if sf.shape[0] > 0 else 0.0
    return thresh, best, tails, tail_len


# --------------------------------------------------------------------------- band of scores
@jit
def band_words(a, fin, lo, bg, ilo, ihi, max_words):  # pragma: no cover - compiled
    """Every word whose integer score lies in ``[ilo, ihi]``, with its real score and probability.

    Depth-first over the columns (widest score range first, so the bounds prune early),
    pruning prefixes that can no longer land in the band.  The real score of a word is summed
    over the columns left to right in float64, the same order as :func:`hit_scores`, so a word
    gets bitwise the same real score here and in a scan.

    Parameters
    ----------
    a : int64 array, shape (W, 4)
    fin : bool array, shape (W, 4)
    lo : float64 array, shape (W, 4)
        Real log-odds (bits).
    bg : float64 array, shape (4,)
    ilo, ihi : int64
        The band of integer scores.
    max_words : int64
        Give up (return n = -1) past this many words.

    Returns
    -------
    n : int64
        Number of words (-1 when more than ``max_words``).
    scores, probs : float64 arrays, shape (max_words,)
        Real score and background probability of words ``0 .. n - 1``.
    """
    w = a.shape[0]
    col_hi, col_lo = _column_range(a, fin)
    perm = np.argsort(-(col_hi - col_lo), kind="mergesort")
    hi_rest = np.zeros(w + 1, dtype=np.int64)
    lo_rest = np.zeros(w + 1, dtype=np.int64)
    for i in range(w - 1, -1, -1):
        hi_rest[i] = hi_rest[i + 1] + col_hi[perm[i]]
        lo_rest[i] = lo_rest[i + 1] + col_lo[perm[i]]
    scores = np.empty(max_words, dtype=np.float64)
    probs = np.empty(max_words, dtype=np.float64)
    letter = np.full(w, -1, dtype=np.int64)
    word = np.zeros(w, dtype=np.int64)
    isum = np.zeros(w + 1, dtype=np.int64)
    psum = np.ones(w + 1, dtype=np.float64)
    n = 0
    i = 0
    while i >= 0:
        letter[i] += 1
        c = letter[i]
        if c == 4:
            letter[i] = -1
            i -= 1
            continue
        col = perm[i]
        if not fin[col, c]:
            continue
        s = isum[i] + a[col, c]
        if s + hi_rest[i + 1] < ilo or s + lo_rest[i + 1] > ihi:
            continue
        isum[i + 1] = s
        psum[i + 1] = psum[i] * bg[c]
        word[col] = c
        if i + 1 == w:
            if n >= max_words:
                return np.int64(-1), scores, probs
            acc = 0.0
            for j in range(w):
                acc += lo[j, word[j]]
            scores[n] = acc
            probs[n] = psum[w]
            n += 1
        else:
            i += 1
    return np.int64(n), scores, probs
