"""Numba kernels of seqlet discovery (:mod:`kgenint.seqlets`).

* :func:`greedy_select` -- best-first choice of non-overlapping spans per sequence.
* :func:`gapped_kmer_features` -- the coarse, offset- and strand-free seqlet embedding.
* :func:`pair_similarity` -- continuous Jaccard over all offsets and both strands, for a list of
  seqlet pairs (the fine similarity of the graph).
* :func:`align_to_template` -- the same similarity of one template against many windows, with the
  offset and strand of the best match (alignment of a cluster).

All helpers live in this module (Numba's cache keys a function by its own file). Results do not
depend on the number of threads: every parallel loop writes only to its own output slots.
"""
from __future__ import annotations

import numpy as np
from numba import prange

from . import jit, pjit

__all__ = ["greedy_select", "gapped_kmer_features", "pair_similarity", "align_to_template"]


@jit
def greedy_select(rows, starts, ends, order, n_rows, length, gap):
    """Accept spans best first, skipping any that overlaps an accepted span of the same row.

    Parameters
    ----------
    rows, starts, ends : int64 (M,)
        Sequence index and half-open span ``[start, end)`` of each candidate.
    order : int64 (M,)
        Candidate indices sorted best first.
    n_rows, length : int
        Number of sequences and sequence length.
    gap : int
        Minimum number of free positions required between two accepted spans (>= 0).

    Returns
    -------
    keep : bool (M,)
    """
    occupied = np.zeros((n_rows, length), dtype=np.bool_)
    keep = np.zeros(rows.shape[0], dtype=np.bool_)
    for t in range(order.shape[0]):
        k = order[t]
        r = rows[k]
        lo = max(starts[k] - gap, 0)
        hi = min(ends[k] + gap, length)
        free = True
        for p in range(lo, hi):
            if occupied[r, p]:
                free = False
                break
        if free:
            keep[k] = True
            for p in range(max(starts[k], 0), min(ends[k], length)):
                occupied[r, p] = True
    return keep


@jit
def _kmer_code(bases, p0, p1, p2, p3):
    return ((bases[p0] * 4 + bases[p1]) * 4 + bases[p2]) * 4 + bases[p3]


@jit
def _rc_code(code):
    # reverse complement of a 4-mer coded base-4, A=0 C=1 G=2 T=3 (complement = 3 - b)
    out = 0
    for _ in range(4):
        b = code % 4
        code //= 4
        out = out * 4 + (3 - b)
    return out


@pjit
def gapped_kmer_features(bases, weights, max_gap):
    """Contribution-weighted gapped 4-mer counts, merged over the two strands.

    A gapped 4-mer is two base pairs separated by ``g`` unread positions (``g = 0 .. max_gap``;
    ``g = 0`` is a plain 4-mer). Each occurrence adds the mean of its four positions' weights to
    the feature of its canonical form (the smaller of the k-mer and its reverse complement), so
    a site and its reverse complement give the same vector and the vector does not depend on
    where the site sits in the window.

    Parameters
    ----------
    bases : int8 (n, W)
        Observed base per position (0..3 for A, C, G, T; -1 for N or padding).
    weights : float32 (n, W)
        Contribution per position, oriented so that the seqlet's own sign is positive.
    max_gap : int
        Largest gap.

    Returns
    -------
    features : float32 (n, (max_gap + 1) * 256)
    """
    n, w = bases.shape
    out = np.zeros((n, (max_gap + 1) * 256), dtype=np.float32)
    for i in prange(n):
        for g in range(max_gap + 1):
            span = 4 + g
            for p in range(w - span + 1):
                p0, p1, p2, p3 = p, p + 1, p + 2 + g, p + 3 + g
                if bases[i, p0] < 0 or bases[i, p1] < 0 or bases[i, p2] < 0 or bases[i, p3] < 0:
                    continue
                wt = 0.25 * (weights[i, p0] + weights[i, p1] + weights[i, p2] + weights[i, p3])
                if wt <= 0.0:
                    continue
                c = _kmer_code(bases[i], p0, p1, p2, p3)
                rc = _rc_code(c)
                if rc < c:
                    c = rc
                out[i, g * 256 + c] += wt
    return out


@jit(fastmath=True)
def _jaccard_at(a, b, lo):
    """Continuous Jaccard of flat ``a`` (K,) with ``b[lo:lo+K]`` (branch-free, vectorisable)."""
    num = np.float32(0.0)
    den = np.float32(0.0)
    for q in range(a.shape[0]):
        x = a[q]
        y = b[lo + q]
        ax = abs(x)
        ay = abs(y)
        mn = min(ax, ay)
        num += mn if x * y >= 0 else -mn
        den += max(ax, ay)
    return num / den if den > 0 else np.float32(0.0)


@jit
def _jaccard_best(core, ext, ext_rc, n_off, n_chan):
    """Best continuous Jaccard of flat ``core`` (W*C,) against flat windows ``ext``/``ext_rc``
    (E*C,) shifted by ``o = 0 .. n_off-1`` positions of ``n_chan`` channels.

    Returns (similarity, offset, strand) with strand 0 = forward, 1 = reverse complement; ties
    keep the first (forward strand, smallest offset).
    """
    best = np.float32(-2.0)
    best_o = 0
    best_s = 0
    for s in range(2):
        src = ext if s == 0 else ext_rc
        for o in range(n_off):
            sim = _jaccard_at(core, src, o * n_chan)
            if sim > best:
                best = sim
                best_o = o
                best_s = s
    return best, best_o, best_s


@pjit
def pair_similarity(x, x_rc, flank, pi, pj):
    """Fine similarity of seqlet pairs: core of ``pi`` against every shift of ``pj``'s window.

    Parameters
    ----------
    x, x_rc : float32 (n, W + 2 * flank, C)
        Normalised seqlet windows (core plus ``flank`` positions each side) and their reverse
        complements.
    flank : int
        Flank width; shifts are ``-flank .. +flank`` positions.
    pi, pj : int64 (P,)
        The pairs.

    Returns
    -------
    sim : float32 (P,)
        Continuous Jaccard similarity, in [-1, 1].
    offset : int32 (P,)
        Best shift of ``pj``'s window, ``0 .. 2 * flank`` (``flank`` = no shift).
    strand : int8 (P,)
        0 when the best match is on ``pj``'s own strand, 1 when on its reverse complement.
    """
    n, e, c = x.shape
    w = e - 2 * flank
    n_off = 2 * flank + 1
    xf = x.reshape(n, e * c)
    xr = x_rc.reshape(n, e * c)
    m = pi.shape[0]
    sim = np.empty(m, dtype=np.float32)
    off = np.empty(m, dtype=np.int32)
    strand = np.empty(m, dtype=np.int8)
    for t in prange(m):
        a = pi[t]
        b = pj[t]
        s, o, st = _jaccard_best(xf[a, flank * c:(flank + w) * c], xf[b], xr[b], n_off, c)
        sim[t] = s
        off[t] = o
        strand[t] = st
    return sim, off, strand


@pjit
def align_to_template(template_core, x, x_rc, flank):
    """Best shift and strand of every window in ``x`` against one template core.

    Parameters
    ----------
    template_core : float32 (W, C)
    x, x_rc : float32 (n, W + 2 * flank, C)
    flank : int

    Returns
    -------
    sim : float32 (n,), offset : int32 (n,), strand : int8 (n,)
        As in :func:`pair_similarity`.
    """
    n, e, c = x.shape
    n_off = 2 * flank + 1
    xf = x.reshape(n, e * c)
    xr = x_rc.reshape(n, e * c)
    tc = template_core.reshape(template_core.shape[0] * c)
    sim = np.empty(n, dtype=np.float32)
    off = np.empty(n, dtype=np.int32)
    strand = np.empty(n, dtype=np.int8)
    for t in prange(n):
        s, o, st = _jaccard_best(tc, xf[t], xr[t], n_off, c)
        sim[t] = s
        off[t] = o
        strand[t] = st
    return sim, off, strand
