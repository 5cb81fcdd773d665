"""Numba kernels of the TOMTOM-like motif comparison (:mod:`kgenint.motifs.compare`).

One query at a time (the caller runs interleaved blocks of queries on its own threads; the
kernels release the GIL; each block allocates its workspace once), in four stages that all
read one per-query table of binned column scores:

1. **Column scores** of every query column ``i`` against every target column ``j`` of the
   database, both orientations (the reverse-complement motifs are part of the target columns,
   as in TOMTOM): Pearson correlation (dot product of centred, normalised columns prepared by
   the caller) or the negated Euclidean distance.
2. **Binning**: ``z = floor((s - lo) * scale + 0.5)`` with ``[lo, hi]`` the metric's full
   range (``[-1, 1]`` Pearson, ``[-sqrt 2, 0]`` ED) and ``scale = bins / (hi - lo)``. Per
   query column, the histogram of ``z`` over all target columns is the column's null
   distribution (TOMTOM's null: a target column drawn uniformly from the database). With
   complete scoring each query column is shifted by its lower median bin ``m_i``, so an
   unaligned column contributes 0, i.e. exactly its median, as in TOMTOM's complete scores.
3. **Alignment sums**: every (query column, target column) pair belongs to exactly one
   alignment offset, so all offsets of all targets are one pass over ``z``. Targets are
   grouped by width and orientation with their columns interleaved, so the pass is a series
   of contiguous vector additions, one per (group, query column, target column).
4. **Null distributions** of the sum over each contiguous range of query columns ``[a, b]``
   by dynamic programming (exact convolution of the column histograms on integer bins),
   kept as survival functions summed from the top (full relative precision in the tail);
   the p-value of every alignment is a table look-up.

Offsets follow TOMTOM: query column ``i`` is aligned with target column ``i + offset`` of the
target in the reported orientation.

Per-target p-values:

* complete scoring (default): ``p = P(max over the alignments tried, both strands, of the
  complete score >= observed best)`` with the alignments independent,
  ``1 - prod_o (1 - sf_o(Z))^2``, accumulated as ``acc <- acc + s - acc * s`` so that tiny
  p-values keep full relative precision;
* incomplete scoring: the smallest per-alignment p-value ``p_min`` corrected for the number of
  alignments tried ``n``: ``1 - (1 - p_min)^n`` (TOMTOM's ``EV`` correction).

Nothing here imports TensorFlow.
"""
from __future__ import annotations

import math

import numpy as np

from . import jit

__all__ = ["compare_kernel", "column_scores_kernel", "METRIC_PEARSON", "METRIC_ED"]

METRIC_PEARSON = 0
METRIC_ED = 1
_PAD = 4  # guard cells in front of the DP buffers


@jit
def _metric_range(metric):
    """``(lo, hi)``: the full range of the column similarity (bins span it for every query)."""
    if metric == METRIC_PEARSON:
        return -1.0, 1.0
    return -math.sqrt(2.0), 0.0


@jit(fastmath=True)
def _zbin_into(Q, c0, wq, T, metric, bins, Z):
    """Binned column scores ``Z[i, j] = floor((s_ij - lo) * scale + 0.5)`` clipped to [0, bins]."""
    nt = T.shape[1]
    lo, hi = _metric_range(metric)
    scale = bins / (hi - lo)
    off = 0.5 - lo * scale
    t0 = T[0]
    t1 = T[1]
    t2 = T[2]
    t3 = T[3]
    for i in range(wq):
        q0 = Q[c0 + i, 0]
        q1 = Q[c0 + i, 1]
        q2 = Q[c0 + i, 2]
        q3 = Q[c0 + i, 3]
        zr = Z[i]
        if metric == METRIC_PEARSON:
            for j in range(nt):
                s = q0 * t0[j] + q1 * t1[j] + q2 * t2[j] + q3 * t3[j]
                v = math.floor(s * scale + off)
                v = min(max(v, 0.0), float(bins))
                zr[j] = np.int16(v)
        else:
            for j in range(nt):
                d0 = q0 - t0[j]
                d1 = q1 - t1[j]
                d2 = q2 - t2[j]
                d3 = q3 - t3[j]
                s = -math.sqrt(d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3)
                v = math.floor(s * scale + off)
                v = min(max(v, 0.0), float(bins))
                zr[j] = np.int16(v)
    return lo, scale


@jit
def _sim(Q, qc, T, j, metric):
    """Similarity of query column ``qc`` and target column ``j`` (float64, unbinned)."""
    if metric == METRIC_PEARSON:
        return Q[qc, 0] * T[0, j] + Q[qc, 1] * T[1, j] + Q[qc, 2] * T[2, j] + Q[qc, 3] * T[3, j]
    d0 = Q[qc, 0] - T[0, j]
    d1 = Q[qc, 1] - T[1, j]
    d2 = Q[qc, 2] - T[2, j]
    d3 = Q[qc, 3] - T[3, j]
    return -math.sqrt(d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3)


@jit
def _hist_into(Z, wq, nt, bins, H, H4):
    """Per-column histograms ``H[i, x]`` (counts, float) of the binned scores."""
    for i in range(wq):
        zr = Z[i]
        for r in range(4):
            for x in range(bins + 1):
                H4[r, x] = 0
        n4 = nt - nt % 4
        for j in range(0, n4, 4):
            H4[0, zr[j]] += 1
            H4[1, zr[j + 1]] += 1
            H4[2, zr[j + 2]] += 1
            H4[3, zr[j + 3]] += 1
        for j in range(n4, nt):
            H4[0, zr[j]] += 1
        for x in range(bins + 1):
            H[i, x] = float(H4[0, x] + H4[1, x] + H4[2, x] + H4[3, x])


@jit
def _lower_median_bin(h, bins, n):
    """Smallest bin ``x`` with ``count(z <= x) >= ceil(n / 2)``."""
    k = (n + 1) // 2
    c = 0.0
    for x in range(bins + 1):
        c += h[x]
        if c >= k:
            return x
    return bins


@jit
def _offset_sums(Z, wq, g_width, g_size, g_col0, g_sum0, sums):
    """Alignment sums of every target, offset and strand, one group of targets at a time.

    Targets of one width and strand form a group whose columns are interleaved
    (``column jj of member g`` is ``g_col0[h] + jj * g_size[h] + g``), so each step adds a
    contiguous run of ``g_size[h]`` values: ``sums[g_sum0[h] + (o + wq - 1) * n + g] =
    sum_i Z[i, column i + o of member g]``.
    """
    tot = 0
    for h in range(g_width.shape[0]):
        g_sum0[h] = tot
        tot += (wq + g_width[h] - 1) * g_size[h]
    for h in range(g_width.shape[0]):
        w = g_width[h]
        n = g_size[h]
        c0 = g_col0[h]
        s0 = g_sum0[h]
        for x in range(s0, s0 + (wq + w - 1) * n):
            sums[x] = 0
        for i in range(wq):
            zi = Z[i]
            for jj in range(w):
                src = zi[c0 + jj * n:c0 + jj * n + n]
                d = s0 + (jj - i + wq - 1) * n
                dst = sums[d:d + n]
                for g in range(n):
                    dst[g] += src[g]


@jit
def _sf_at(row, rlo, rhi, x):
    """``P(S >= x)`` from the survival function ``row`` of a range's sum, held on ``[rlo, rhi]``."""
    if x <= rlo:
        return 1.0
    if x > rhi:
        return 0.0
    return row[x]


@jit
def _one_query(Q, c0, wq, T, g_width, g_size, g_col0, u0, metric, bins,
               min_overlap, complete, g_sum0,
               Z, H, H4, med_cum, sums, sfbuf, s_lo, s_hi, prev, new,
               best_z, best_off, best_ov, best_strand, best_p, acc, best_score):
    """Compare one query (columns ``Q[c0:c0 + wq]``) with every target; see the module doc.

    Writes per-target results into ``best_*`` (length ``n_fwd``, targets in group order: member
    ``g`` of group ``h`` at ``u0[h] + g``) and returns ``(lo, scale)``.
    """
    nt = T.shape[1]
    lo, scale = _zbin_into(Q, c0, wq, T, metric, bins, Z)
    _hist_into(Z, wq, nt, bins, H, H4)

    # medians (complete scoring) and their prefix sums
    med_cum[0] = 0
    for i in range(wq):
        m = _lower_median_bin(H[i], bins, nt) if complete else 0
        med_cum[i + 1] = med_cum[i] + m
    # histograms -> probabilities
    inv = 1.0 / nt
    for i in range(wq):
        for x in range(bins + 1):
            H[i, x] *= inv

    _offset_sums(Z, wq, g_width, g_size, g_col0, g_sum0, sums)
    n_grp = g_width.shape[0] // 2

    # ---------------------------------------------------------------- best alignment (complete)
    # Per-target arrays are in group order: target (group h, member g) is at u = u0[h] + g.
    # Members of a group share width and offsets, so every loop below runs over members.
    for h in range(n_grp):
        w = g_width[h]
        n = g_size[h]
        u = u0[h]
        mo = min(min_overlap, wq, w)
        for g in range(u, u + n):
            best_z[g] = -(2 ** 62)
            best_off[g] = 0
            best_ov[g] = -1
            best_strand[g] = 0
            acc[g] = 0.0
            best_p[g] = 2.0  # incomplete: running minimum of per-alignment p-values
        for strand in range(2):
            hh = h + strand * n_grp
            for o in range(mo - wq, w - mo + 1):
                a = max(0, -o)
                b = min(wq - 1, w - 1 - o)
                ov = b - a + 1
                mr = med_cum[b + 1] - med_cum[a]
                r0 = g_sum0[hh] + (o + wq - 1) * n
                row = sums[r0:r0 + n]
                for g in range(n):
                    zs = row[g] - mr
                    bz = best_z[u + g]
                    if zs > bz or (zs == bz and ov > best_ov[u + g]):
                        best_z[u + g] = zs
                        best_off[u + g] = o
                        best_ov[u + g] = ov
                        best_strand[u + g] = strand

    # ---------------------------------------------------------------- null DP over ranges
    for a in range(wq):
        # chain [a, a], [a, a + 1], ..., [a, wq - 1]; prev holds the current pmf
        plo = 0
        phi = -1
        for b in range(a, wq):
            L = b - a + 1
            f = H[b]
            flo = 0
            while flo <= bins and f[flo] == 0.0:
                flo += 1
            fhi = bins
            while fhi >= 0 and f[fhi] == 0.0:
                fhi -= 1
            # prev/new hold the pmf value of x at index x + _PAD, with zero guard cells on
            # both sides of the support so the 4-tap loop below needs no edge cases
            if b == a:
                prev[flo + _PAD - 3:flo + _PAD] = 0.0
                for x in range(flo, fhi + 1):
                    prev[x + _PAD] = f[x]
                prev[fhi + _PAD + 1:fhi + _PAD + 4] = 0.0
                plo = flo
                phi = fhi
            else:
                nlo = plo + flo
                nhi = phi + fhi
                new[nlo + _PAD:nhi + _PAD + 4] = 0.0
                m = phi - plo + 4
                s0 = plo + _PAD
                p0 = prev[s0:s0 + m]
                p1 = prev[s0 - 1:s0 - 1 + m]
                p2 = prev[s0 - 2:s0 - 2 + m]
                p3 = prev[s0 - 3:s0 - 3 + m]
                # new[x + y] += f[y] * prev[x], four values of y per pass over prev
                for yb in range(flo, fhi + 1, 4):
                    k0 = f[yb]
                    k1 = f[yb + 1] if yb + 1 <= fhi else 0.0
                    k2 = f[yb + 2] if yb + 2 <= fhi else 0.0
                    k3 = f[yb + 3] if yb + 3 <= fhi else 0.0
                    d0 = plo + yb + _PAD
                    dst = new[d0:d0 + m]
                    for x in range(m):
                        dst[x] += k0 * p0[x] + k1 * p1[x] + k2 * p2[x] + k3 * p3[x]
                prev[nlo + _PAD - 3:nlo + _PAD] = 0.0
                prev[nlo + _PAD:nhi + _PAD + 1] = new[nlo + _PAD:nhi + _PAD + 1]
                prev[nhi + _PAD + 1:nhi + _PAD + 4] = 0.0
                plo = nlo
                phi = nhi
            # survival function of the range, from the top for relative precision
            row = sfbuf[L - 1]
            s = 0.0
            for x in range(phi, plo - 1, -1):
                s += prev[x + _PAD]
                row[x] = s
            s_lo[L - 1] = plo
            s_hi[L - 1] = phi

        # p-value contributions of every alignment whose query range starts at column a
        for h in range(n_grp):
            w = g_width[h]
            n = g_size[h]
            u = u0[h]
            mo = min(min_overlap, wq, w)
            if a > 0:
                if -a < mo - wq:
                    continue
                o_first = -a
                o_last = -a
            else:
                o_first = 0
                o_last = w - mo
            for o in range(o_first, o_last + 1):
                b = min(wq - 1, w - 1 - o)
                L = b - a + 1
                mr = med_cum[b + 1] - med_cum[a]
                row = sfbuf[L - 1]
                rlo = s_lo[L - 1]
                rhi = s_hi[L - 1]
                if complete:
                    for g in range(u, u + n):
                        sv = _sf_at(row, rlo, rhi, best_z[g] + mr)
                        acc[g] = acc[g] + sv - acc[g] * sv
                else:
                    for strand in range(2):
                        hh = h + strand * n_grp
                        r0 = g_sum0[hh] + (o + wq - 1) * n
                        for g in range(n):
                            x = sums[r0 + g]
                            sv = _sf_at(row, rlo, rhi, x)
                            bp = best_p[u + g]
                            better = sv < bp
                            if not better and sv == bp:
                                bov = best_ov[u + g]
                                if L > bov:
                                    better = True
                                elif L == bov:
                                    if strand < best_strand[u + g] or (
                                        strand == best_strand[u + g] and o < best_off[u + g]
                                    ):
                                        better = True
                            if better:
                                best_p[u + g] = sv
                                best_z[u + g] = x
                                best_off[u + g] = o
                                best_ov[u + g] = L
                                best_strand[u + g] = strand

    # ---------------------------------------------------------------- per-target p-values
    for h in range(n_grp):
        w = g_width[h]
        n = g_size[h]
        mo = min(min_overlap, wq, w)
        n_al = 2 * (wq + w - 2 * mo + 1)
        for g in range(n):
            t = u0[h] + g
            # unbinned score of the best alignment (reported, and breaks ties between targets)
            hh = h + best_strand[t] * n_grp
            o = best_off[t]
            a = max(0, -o)
            b = min(wq - 1, w - 1 - o)
            sc = 0.0
            for i in range(a, b + 1):
                sc += _sim(Q, c0 + i, T, g_col0[hh] + (i + o) * n + g, metric)
            if complete:
                sc -= (b - a + 1) * lo + (med_cum[b + 1] - med_cum[a]) / scale
            best_score[t] = sc
            if complete:
                p = acc[t]
                p = p + p - p * p  # both strands
            else:
                pm = best_p[t]
                if pm >= 1.0:
                    p = 1.0
                else:
                    p = -math.expm1(n_al * math.log1p(-pm))
            if p > 1.0:
                p = 1.0
            best_p[t] = p
    return lo, scale


@jit
def compare_kernel(Q, q_start, T, g_width, g_size, g_col0, t_grp, t_pos, metric, bins,
                   min_overlap, complete,
                   block, n_blocks, out_p, out_z, out_off, out_ov, out_strand, out_score, out_lo,
                   out_scale):
    """Compare the queries ``block, block + n_blocks, ...`` with every target.

    Serial and ``nogil``: the caller runs the ``n_blocks`` blocks on its own threads (this
    compiles in a fraction of the time of a ``parallel=True`` kernel and caches reliably).

    Parameters
    ----------
    Q : float64 (NQ, 4)
        Query columns (prepared for the metric), queries one after another.
    q_start : int64 (M + 1,)
        Query ``m`` is ``Q[q_start[m]:q_start[m + 1]]``.
    T : float64 (4, NT)
        Target columns, letters in rows; forward motifs then their reverse complements.
    g_width, g_size, g_col0 : int64 (2 * G,)
        Target groups: the targets of one width and orientation (groups ``G..2G-1`` are the
        reverse complements of groups ``0..G-1``, same members in the same order); column
        ``jj`` of member ``g`` of group ``h`` is ``T[:, g_col0[h] + jj * g_size[h] + g]``.
    t_grp, t_pos : int64 (n_fwd,)
        Group (forward orientation) and position in it of each target.
    metric : int
        ``METRIC_PEARSON`` or ``METRIC_ED``.
    bins : int
        Number of score bins over the metric's range.
    min_overlap : int
        Minimum number of aligned columns (lowered to the width of a shorter motif).
    complete : bool
        Complete (median-shifted) scores, or incomplete scores.
    block, n_blocks : int
        This call handles the queries ``m`` with ``m % n_blocks == block``; results do not
        depend on the blocking.
    out_p, out_z, out_off, out_ov, out_strand, out_score : (M, n_fwd) arrays
        p-value, best binned score, offset, overlap, strand (0 '+', 1 '-') and the unbinned
        score of the best alignment (complete: relative to the median bins' centres).
    out_lo, out_scale : float64 (M,)
        Score-binning origin and scale of each query (score = z / scale [+ overlap * lo]).
    """
    m_total = q_start.shape[0] - 1
    nt = T.shape[1]
    n_fwd = t_grp.shape[0]
    n_groups = g_width.shape[0]
    wq_max = 1
    for m in range(m_total):
        w = q_start[m + 1] - q_start[m]
        if w > wq_max:
            wq_max = w
    axis = wq_max * bins + 1
    for _ in range(1):
        Z = np.empty((wq_max, nt), dtype=np.int16)
        H = np.empty((wq_max, bins + 1), dtype=np.float64)
        H4 = np.empty((4, bins + 1), dtype=np.int32)
        med_cum = np.empty(wq_max + 1, dtype=np.int64)
        sums = np.empty(2 * n_fwd * (wq_max - 1) + nt, dtype=np.int32)
        g_sum0 = np.empty(n_groups, dtype=np.int64)
        u0 = np.zeros(n_groups // 2 + 1, dtype=np.int64)
        for h in range(n_groups // 2):
            u0[h + 1] = u0[h] + g_size[h]
        sfbuf = np.empty((wq_max, axis), dtype=np.float64)
        s_lo = np.empty(wq_max, dtype=np.int64)
        s_hi = np.empty(wq_max, dtype=np.int64)
        prev = np.empty(axis + 2 * _PAD + 8, dtype=np.float64)
        new = np.empty(axis + 2 * _PAD + 8, dtype=np.float64)
        best_z = np.empty(n_fwd, dtype=np.int64)
        best_off = np.empty(n_fwd, dtype=np.int64)
        best_ov = np.empty(n_fwd, dtype=np.int64)
        best_strand = np.empty(n_fwd, dtype=np.int64)
        best_p = np.empty(n_fwd, dtype=np.float64)
        acc = np.empty(n_fwd, dtype=np.float64)
        best_score = np.empty(n_fwd, dtype=np.float64)
        for m in range(block, m_total, n_blocks):
            c0 = q_start[m]
            wq = q_start[m + 1] - c0
            lo, scale = _one_query(Q, c0, wq, T, g_width, g_size, g_col0, u0,
                                   metric, bins, min_overlap, complete, g_sum0, Z, H, H4,
                                   med_cum, sums, sfbuf, s_lo, s_hi, prev, new, best_z,
                                   best_off, best_ov, best_strand, best_p, acc, best_score)
            out_lo[m] = lo
            out_scale[m] = scale
            for t in range(n_fwd):
                u = u0[t_grp[t]] + t_pos[t]
                out_p[m, t] = best_p[u]
                out_z[m, t] = best_z[u]
                out_off[m, t] = best_off[u]
                out_ov[m, t] = best_ov[u]
                out_strand[m, t] = best_strand[u]
                out_score[m, t] = best_score[u]


@jit
def column_scores_kernel(Q, c0, wq, T, metric, bins):
    """Binned score table and bin parameters of one query (for tests and inspection).

    Returns ``(Z (wq, NT) int16, lo, scale)``: ``score ~ lo + Z / scale``.
    """
    nt = T.shape[1]
    Z = np.empty((wq, nt), dtype=np.int16)
    lo, scale = _zbin_into(Q, c0, wq, T, metric, bins, Z)
    return Z, lo, scale
