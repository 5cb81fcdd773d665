"""Slow, obvious numpy twin of kgenint's TOMTOM-like comparison (for tests only).

Every step is written the plain way: explicit column similarities, explicit loops over
offsets and strands, ``np.convolve`` for the null distribution of a sum of columns, and the
p-value formulas written out. Definitions (as in :mod:`kgenint.motifs.compare`):

* similarity ``s``: Pearson correlation of the two 4-vectors (0 when either is constant) or
  ``-||a - b||``;
* bin ``z = floor((s - lo) * bins / (hi - lo) + 0.5)`` clipped to ``[0, bins]`` with
  ``(lo, hi) = (-1, 1)`` (Pearson) or ``(-sqrt 2, 0)`` (ED);
* the null of query column ``i`` is the histogram of ``z[i, j]`` over all target columns
  ``j`` of both orientations; ``m_i`` its lower median (the ``ceil(n / 2)``-th smallest);
* an offset ``o`` aligns query column ``i`` with target column ``i + o``.
"""
from __future__ import annotations

import math

import numpy as np

COMPLEMENT = [3, 2, 1, 0]


def similarity(a: np.ndarray, b: np.ndarray, metric: str) -> float:
    if metric == "pearson":
        ac = a - a.mean()
        bc = b - b.mean()
        na = math.sqrt(float(ac @ ac))
        nb = math.sqrt(float(bc @ bc))
        if na <= 1e-12 or nb <= 1e-12:
            return 0.0
        return float(ac @ bc) / (na * nb)
    return -math.sqrt(float(((a - b) ** 2).sum()))


def metric_range(metric: str) -> tuple[float, float]:
    return (-1.0, 1.0) if metric == "pearson" else (-math.sqrt(2.0), 0.0)


def rc(pwm: np.ndarray) -> np.ndarray:
    return pwm[::-1][:, COMPLEMENT]


def target_columns(targets: list[np.ndarray]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """All target columns (forward motifs, then reverse complements) and each motif's span."""
    mats = list(targets) + [rc(t) for t in targets]
    spans, j = [], 0
    for m in mats:
        spans.append((j, j + m.shape[0]))
        j += m.shape[0]
    return np.concatenate(mats, axis=0), spans


def score_table(query: np.ndarray, cols: np.ndarray, metric: str) -> np.ndarray:
    S = np.empty((query.shape[0], cols.shape[0]))
    for i in range(query.shape[0]):
        for j in range(cols.shape[0]):
            S[i, j] = similarity(query[i], cols[j], metric)
    return S


def binned(S: np.ndarray, metric: str, bins: int) -> np.ndarray:
    lo, hi = metric_range(metric)
    return np.clip(np.floor((S - lo) * (bins / (hi - lo)) + 0.5), 0, bins).astype(np.int64)


def lower_median(row: np.ndarray) -> int:
    return int(np.sort(row)[math.ceil(row.size / 2) - 1])


def offsets(wq: int, wt: int, min_overlap: int) -> list[tuple[int, int, int]]:
    """``(offset, first, last)`` query columns of every alignment tried."""
    mo = min(min_overlap, wq, wt)
    out = []
    for o in range(-(wq - 1), wt):
        a, b = max(0, -o), min(wq - 1, wt - 1 - o)
        if b - a + 1 >= mo:
            out.append((o, a, b))
    return out


def range_pmf(Z: np.ndarray, a: int, b: int, bins: int) -> np.ndarray:
    """pmf of ``sum_{i=a..b} z_i`` on ``0 .. (b - a + 1) * bins`` (columns independent)."""
    pmf = np.array([1.0])
    for i in range(a, b + 1):
        col = np.bincount(Z[i], minlength=bins + 1) / Z.shape[1]
        pmf = np.convolve(pmf, col)
    return pmf


def survival(pmf: np.ndarray, x: int) -> float:
    """``P(S >= x)``; 1 below the support (as the kernel defines it)."""
    nz = np.flatnonzero(pmf)
    if x <= nz[0]:
        return 1.0
    if x > nz[-1]:
        return 0.0
    return float(pmf[x:].sum())


def compare_pair_tables(query: np.ndarray, targets: list[np.ndarray], metric: str = "pearson",
                        min_overlap: int = 1, bins: int = 100, complete: bool = True) -> dict:
    """Brute-force comparison of one query with every target.

    Returns a dict of arrays over targets: ``p``, ``offset``, ``overlap``, ``strand`` (0/1),
    ``z`` (best binned score), and the per-query ``Z`` table and ``medians``.
    """
    cols, spans = target_columns(targets)
    S = score_table(query, cols, metric)
    Z = binned(S, metric, bins)
    wq = query.shape[0]
    med = np.array([lower_median(Z[i]) for i in range(wq)]) if complete else np.zeros(wq, int)
    n = len(targets)
    res = {k: np.zeros(n) for k in ("p", "offset", "overlap", "strand", "z")}
    pmfs: dict[tuple[int, int], np.ndarray] = {}

    def pmf(a: int, b: int) -> np.ndarray:
        if (a, b) not in pmfs:
            pmfs[(a, b)] = range_pmf(Z, a, b, bins)
        return pmfs[(a, b)]

    for t in range(n):
        wt = targets[t].shape[0]
        offs = offsets(wq, wt, min_overlap)
        cands = []  # (strand, offset, a, b, raw score, complete score)
        for strand in (0, 1):
            j0 = spans[t + strand * n][0]
            for o, a, b in offs:
                raw = sum(int(Z[i, j0 + i + o]) for i in range(a, b + 1))
                cands.append((strand, o, a, b, raw, raw - int(med[a:b + 1].sum())))
        if complete:
            best = None
            for c in cands:  # max score, ties: larger overlap, then first (+, smaller offset)
                if best is None or c[5] > best[5] or (c[5] == best[5] and c[3] - c[2] > best[3] - best[2]):
                    best = c
            zb = best[5]
            log_keep = 0.0
            for o, a, b in offs:
                s = survival(pmf(a, b), zb + int(med[a:b + 1].sum()))
                log_keep += 2 * math.log1p(-s) if s < 1 else -math.inf
            p = -math.expm1(log_keep) if log_keep > -math.inf else 1.0
        else:
            best, best_key = None, None
            for c in cands:  # smallest p, ties: larger overlap, then +, then smaller offset
                pc = survival(pmf(c[2], c[3]), c[4])
                key = (pc, -(c[3] - c[2]), c[0], c[1])
                if best_key is None or key < best_key:
                    best, best_key = c, key
            pm = best_key[0]
            n_al = 2 * len(offs)
            p = 1.0 if pm >= 1 else -math.expm1(n_al * math.log1p(-pm))
            zb = best[4]
        res["p"][t] = min(p, 1.0)
        res["offset"][t] = best[1]
        res["overlap"][t] = best[3] - best[2] + 1
        res["strand"][t] = best[0]
        res["z"][t] = zb
    res["Z"] = Z
    res["medians"] = med
    res["cols"] = cols
    return res


def max_score_survival(Z: np.ndarray, med: np.ndarray, wt: int, min_overlap: int, x: int,
                       bins: int) -> float:
    """The model's P(best complete score of a random width-``wt`` target >= x), both strands."""
    wq = Z.shape[0]
    log_keep = 0.0
    for o, a, b in offsets(wq, wt, min_overlap):
        s = survival(range_pmf(Z, a, b, bins), x + int(med[a:b + 1].sum()))
        if s >= 1:
            return 1.0
        log_keep += 2 * math.log1p(-s)
    return -math.expm1(log_keep)


def monte_carlo_max_scores(Z: np.ndarray, med: np.ndarray, wt: int, min_overlap: int,
                           n: int, seed: int, independent: bool = True) -> np.ndarray:
    """Best complete scores of ``n`` random width-``wt`` targets, both strands.

    Target columns are drawn uniformly from the database columns (TOMTOM's null). With
    ``independent`` every alignment (offset, strand) draws its own columns -- the model the
    p-value formula is exact for; otherwise one random target (and an independent second
    strand) is shared by all its offsets, as for a real random motif.
    """
    rng = np.random.default_rng(seed)
    wq, nt = Z.shape
    offs = offsets(wq, wt, min_overlap)
    idx = rng.integers(0, nt, size=(n, 2, wt))
    best = np.full(n, -(10 ** 9), dtype=np.int64)
    for o, a, b in offs:
        if independent:
            idx = rng.integers(0, nt, size=(n, 2, wt))
        tot = np.zeros((n, 2), dtype=np.int64)
        for i in range(a, b + 1):
            tot += Z[i][idx[:, :, i + o]] - med[i]
        best = np.maximum(best, tot.max(axis=1))
    return best


def monte_carlo_range_sums(Z: np.ndarray, a: int, b: int, n: int, seed: int) -> np.ndarray:
    """Sums of ``z_i`` over query columns ``a..b``, each against an independent random column."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, Z.shape[1], size=(n, b - a + 1))
    return sum(Z[i][idx[:, i - a]] for i in range(a, b + 1))


def best_alignment_scores(query: np.ndarray, target: np.ndarray, metric: str) -> dict:
    """Unbinned summed similarity at every (strand, offset): {(strand, offset): score}."""
    out = {}
    for strand, t in ((0, target), (1, rc(target))):
        wq, wt = query.shape[0], t.shape[0]
        for o in range(-(wq - 1), wt):
            a, b = max(0, -o), min(wq - 1, wt - 1 - o)
            out[(strand, o)] = sum(similarity(query[i], t[i + o], metric) for i in range(a, b + 1))
    return out


def bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values, written as the definition: min_{k >= rank} p_(k) n / k."""
    n = p.size
    q = np.empty(n)
    for i in range(n):
        q[i] = min(1.0, min(p[j] * n / (np.sum(p <= p[j])) for j in range(n) if p[j] >= p[i]))
    return q
