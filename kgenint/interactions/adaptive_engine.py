"""Model-call helpers of the adaptive scan (:mod:`kgenint.interactions.adaptive`): a counting
wrapper around ``predict`` and an on-demand cache of single insertions."""
from __future__ import annotations

import numpy as np

from .insilico import _jobs


class _CountingPredict:
    """Wraps ``predict`` and counts the sequences passed to it (the cost unit)."""

    def __init__(self, predict):
        self.predict = predict
        self.n_sequences = 0
        self.scale = getattr(predict, "scale", None)

    def __call__(self, x):
        self.n_sequences += int(np.shape(x)[0])
        return self.predict(x)


class _Singles:
    """Single insertions ``f(motif k, strand s, start p) - `` and ``f(neither)`` per background,
    computed on demand and cached (the classical contrast and the main effects)."""

    def __init__(self, engine, starts, strand_of, widths, N, L):
        self.engine, self.starts, self.strand_of, self.widths = engine, starts, strand_of, widths
        K = len(widths)
        self.f = {}
        self.f0 = np.full(N, np.nan)
        self.K, self.L = K, L

    def none(self, n_lo, n_hi):
        need = np.flatnonzero(np.isnan(self.f0[n_lo:n_hi])) + n_lo
        if need.size:
            self.f0[need] = self.engine.run(_jobs(need, -1, 0, 0, -1, 0, 0))
        return self.f0[n_lo:n_hi]

    def get(self, k, strand, start, n_lo, n_hi) -> np.ndarray:
        """``f(k at start on strand) `` for each row of ``k`` (M,), ``strand``/``start`` (M, 1):
        ``(M, n_hi - n_lo)`` outputs (not minus ``f(neither)``)."""
        k = np.asarray(k).ravel()
        strand = np.asarray(strand).ravel()
        start = np.asarray(start).ravel()
        keys = list(zip(k.tolist(), strand.tolist(), start.tolist()))
        out = np.empty((len(keys), n_hi - n_lo))
        missing: dict[tuple, list[int]] = {}
        for i, key in enumerate(keys):
            row = self.f.get(key)
            if row is None or np.isnan(row[n_lo:n_hi]).any():
                missing.setdefault(key, []).append(i)
        if missing:
            ks = np.array(list(missing), dtype=np.int64).reshape(-1, 3)
            n_idx = np.arange(n_lo, n_hi)
            vals = self.engine.run(_jobs(n_idx[None, :], ks[:, 0:1], ks[:, 2:3], ks[:, 1:2], -1, 0, 0)).reshape(
                len(ks), -1)
            for new_key, v in zip(map(tuple, ks.tolist()), vals):
                row = self.f.setdefault(new_key, np.full(len(self.f0), np.nan))
                row[n_lo:n_hi] = v
        for i, key in enumerate(keys):
            out[i] = self.f[key][n_lo:n_hi]
        return out

    def n_configs_exhaustive(self) -> int:
        """Single placements the exhaustive scan computes (every used (motif, strand, start) + the centre)."""
        used = set()
        K = self.K
        for a, b, di in np.argwhere(self.starts[..., 0] >= 0):
            sa, sb = self.starts[a, b, di]
            for s1, s2 in self.strand_of:
                used.add((a, s1, sa))
                used.add((b, s2, sb))
        centre = (self.L - self.widths) // 2
        for k in range(K):
            used.update({(k, 0, int(centre[k])), (k, 1, int(centre[k]))})
        return len(used)
