"""Slow, obvious references for kgenint.simulate (loops over sequences and instances)."""
from __future__ import annotations

import itertools

import numpy as np

COMP = {"A": "T", "C": "G", "G": "C", "T": "A"}


def revcomp(s: str) -> str:
    return "".join(COMP[c] for c in reversed(s))


def decode(x: np.ndarray) -> list[str]:
    """(N, L, 4) one-hot -> list of strings."""
    return ["".join("ACGT"[j] for j in row.argmax(axis=1)) for row in x]


def site_score(site_on_motif_strand: str, logodds: np.ndarray) -> float:
    return float(sum(logodds[j, "ACGT".index(c)] for j, c in enumerate(site_on_motif_strand)))


def latent(truth, n: int, bias: float = 0.0) -> np.ndarray:
    """Latent activity by brute force: loop over sequences, motifs present and rule pairs."""
    main = dict(zip(truth.motif_table["motif_index"], truth.motif_table["main_effect"]))
    out = np.full(n, bias, dtype=np.float64)
    by_seq: dict[int, list] = {}
    for row in truth.instances.itertuples():
        by_seq.setdefault(row.seq, []).append(row)
    for i in range(n):
        inst = by_seq.get(i, [])
        present = {r.motif_index for r in inst}
        out[i] += sum(main[m] for m in present)
        for rule in truth.rules.itertuples():
            if rule.interaction == 0:
                continue
            oris = rule.orientations.split(",")
            ok = False
            for a, b in itertools.product(inst, inst):
                if a.motif_index == rule.index_a and b.motif_index == rule.index_b:
                    d = b.start - a.start
                    if rule.dmin <= d <= rule.dmax and (a.strand + b.strand) in oris:
                        ok = True
            if ok:
                out[i] += rule.interaction
    return out


def scan_matches(seqs: list[str], logodds: list[np.ndarray], thr: np.ndarray, planted: np.ndarray):
    """All windows scoring >= thr[k] on either strand that do not touch a planted site of the same
    motif.  ``planted`` (N, L) holds the motif index of planted bases, -1 elsewhere.

    Returns a set of (seq, motif, start, strand).
    """
    out = set()
    for i, s in enumerate(seqs):
        codes = np.array(["ACGT".index(c) for c in s])
        for k, lo in enumerate(logodds):
            w = lo.shape[0]
            rc = lo[::-1, ::-1]
            for p in range(len(s) - w + 1):
                win = codes[p : p + w]
                if np.any(planted[i, p : p + w] == k):
                    continue
                for strand, mat in (("+", lo), ("-", rc)):
                    if mat[np.arange(w), win].sum() >= thr[k]:
                        out.add((i, k, p, strand))
    return out


def score_survival(logodds_int: np.ndarray) -> dict[int, float]:
    """P(S >= s) under uniform bases by enumerating every k-mer (tiny motifs only)."""
    w = logodds_int.shape[0]
    scores = [int(sum(logodds_int[j, b] for j, b in enumerate(kmer)))
              for kmer in itertools.product(range(4), repeat=w)]
    scores = np.array(scores)
    return {int(s): float(np.mean(scores >= s)) for s in np.unique(scores)}
