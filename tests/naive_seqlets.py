"""Slow, obvious numpy references for kgenint.seqlets kernels (one loop per definition)."""
from __future__ import annotations

import math

import numpy as np


def window_sums(track, width):
    n, length = track.shape
    out = np.zeros((n, length - width + 1))
    for i in range(n):
        for p in range(length - width + 1):
            out[i, p] = float(np.sum(track[i, p:p + width], dtype=np.float64))
    return out


def laplace_fit(values):
    v = np.asarray(values, dtype=np.float64).ravel()
    mu = float(np.median(v))
    up = sorted(x - mu for x in v if x > mu)
    down = sorted(mu - x for x in v if x < mu)
    return mu, float(np.median(up)) / math.log(2), float(np.median(down)) / math.log(2), len(up) / len(v)


def fdr_threshold(values, mu, scale, frac, fdr, n_total):
    """Step-up: the largest k such that the k-th largest value t has null(t)/k <= fdr."""
    v = sorted((x for x in np.ravel(values) if x > mu), reverse=True)
    best = math.inf
    for k, t in enumerate(v, start=1):
        expected = n_total * frac * math.exp(-(t - mu) / scale)
        if expected / k <= fdr:
            best = t
    return best


def jaccard(x, y):
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    num = sum(min(abs(a), abs(b)) * (1 if (a >= 0) == (b >= 0) else -1) for a, b in zip(x, y))
    den = sum(max(abs(a), abs(b)) for a, b in zip(x, y))
    return num / den if den > 0 else 0.0


def revcomp8(window):
    """Reverse complement of an (E, 8) window: positions reversed, ACGT -> TGCA in each track."""
    r = window[::-1]
    return np.concatenate([r[:, [3, 2, 1, 0]], r[:, [7, 6, 5, 4]]], axis=1)


def best_similarity(core, ext, flank):
    """Best (sim, offset, strand) of core (W, C) against ext (E, C) shifted and reverse-complemented."""
    w = core.shape[0]
    best = (-2.0, 0, 0)
    for s, src in enumerate((ext, revcomp8(ext) if ext.shape[1] == 8 else ext[::-1, ::-1])):
        for o in range(2 * flank + 1):
            sim = jaccard(core, src[o:o + w])
            if sim > best[0] + 1e-6:
                best = (sim, o, s)
    return best


def gapped_kmer_features(bases, weights, max_gap):
    n, w = bases.shape
    out = np.zeros((n, (max_gap + 1) * 256))
    comp = {0: 3, 1: 2, 2: 1, 3: 0}
    for i in range(n):
        for g in range(max_gap + 1):
            for p in range(w - 3 - g):
                pos = [p, p + 1, p + 2 + g, p + 3 + g]
                b = [int(bases[i, q]) for q in pos]
                if min(b) < 0:
                    continue
                wt = sum(float(weights[i, q]) for q in pos) / 4
                if wt <= 0:
                    continue
                code = b[0] * 64 + b[1] * 16 + b[2] * 4 + b[3]
                rb = [comp[x] for x in reversed(b)]
                rcode = rb[0] * 64 + rb[1] * 16 + rb[2] * 4 + rb[3]
                out[i, g * 256 + min(code, rcode)] += wt
    return out


def greedy_nonoverlap(rows, starts, ends, scores, gap):
    """Best-first spans; a span is dropped if it comes within ``gap`` of an accepted one."""
    order = sorted(range(len(rows)), key=lambda k: (-abs(scores[k]), rows[k], starts[k]))
    acc = []
    for k in order:
        ok = all(not (rows[k] == rows[a] and starts[k] - gap < ends[a] and starts[a] < ends[k] + gap) for a in acc)
        if ok:
            acc.append(k)
    return sorted(acc)
