"""Exact score distributions of log-odds PWM scores (for match thresholds and site p-values).

Scores are log2-odds against a uniform background with MEME-style pseudocounts
(:meth:`kgenint.motifs.Motif.log_odds`, ``pseudocount=0.1``), rounded per position to
``1 / SCALE`` bit as FIMO does with its score bins; the distribution of the sum under i.i.d.
uniform bases is computed exactly by convolution.
"""
from __future__ import annotations

import numpy as np

__all__ = ["SCALE", "ScoreDistribution"]

#: score resolution: 1/SCALE bit
SCALE = 100.0


class ScoreDistribution:
    """Null distribution of one motif's integer-rounded log-odds score.

    Parameters
    ----------
    logodds : ndarray, shape (W, 4)
        Log-odds matrix (bits).
    background : ndarray, shape (4,), optional
        Base probabilities of the null model (uniform by default).
    """

    def __init__(self, logodds: np.ndarray, background: np.ndarray | None = None):
        bg = np.full(4, 0.25) if background is None else np.asarray(background, dtype=np.float64)
        self.int_matrix = np.rint(np.asarray(logodds, dtype=np.float64) * SCALE).astype(np.int64)
        mins = self.int_matrix.min(axis=1)
        self.min_score = int(mins.sum())
        pmf = np.ones(1)
        for row, lo in zip(self.int_matrix, mins):
            rel = row - lo
            new = np.zeros(pmf.shape[0] + int(rel.max()))
            for b in range(4):
                new[rel[b] : rel[b] + pmf.shape[0]] += bg[b] * pmf
            pmf = new
        # survival function: sf[k] = P(S >= min_score + k)
        self.sf = np.cumsum(pmf[::-1])[::-1]
        self.sf = np.minimum(self.sf, 1.0)

    def threshold(self, p: float) -> float:
        """Smallest real score (bits) whose p-value is at most ``p`` (minus half a bin)."""
        k = np.flatnonzero(self.sf <= p * (1 + 1e-9))  # tolerate round-off of the sums
        if k.size == 0:  # even the best score is not that rare: nothing can match
            return float("inf")
        return (self.min_score + int(k[0]) - 0.5) / SCALE

    def p_value(self, score: np.ndarray) -> np.ndarray:
        """p-values of real scores (bits), shape preserved."""
        s = np.rint(np.asarray(score, dtype=np.float64) * SCALE).astype(np.int64) - self.min_score
        s = np.clip(s, 0, self.sf.shape[0])
        sf = np.append(self.sf, 0.0)
        return np.maximum(sf[s], 0.0)
