"""Model-free, exhaustive motif-pair co-occurrence scans over hit tables.

Given motif hits (from :func:`kgenint.motifs.scan` or seqlets) in two groups of sequences
(positives vs negatives, or high vs low predicted score), every ordered pair of hits in a
sequence with ``0 <= d = start_b - start_a <= max_distance`` is counted into a
``(K, K, D, O)`` histogram (motif of the upstream hit, motif of the downstream hit, distance
bin, orientation ``strand_a strand_b``). Each cell is tested for enrichment between the groups
with Fisher's exact test on *sequence* counts (sequences with at least one such pair vs
without, in each group), which keeps the unit of replication the sequence; Benjamini-Hochberg
q-values over every cell observed at least once. ``window`` pools neighbouring distance bins.

Distances here are non-negative: the upstream hit is ``a``; ``(b, a, d)`` is the same geometry
seen from the other motif's side, so both ordered pairs are kept.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .._kernels.cooccurrence import fisher_exact, pair_histograms
from ..errors import InputError
from .insilico import ORIENTATIONS, bh_qvalues

__all__ = ["cooccurrence", "CooccurrenceScan", "fisher_pvalues"]

_ALT = {"two-sided": 0, "greater": 1, "less": 2}


def fisher_pvalues(x, n1, t, n, alternative: str = "two-sided") -> np.ndarray:
    """Vectorised Fisher's exact test for 2x2 tables ``[[x, n1 - x], [t - x, n - n1 - (t - x)]]``.

    Parameters
    ----------
    x : int array
        Group-1 items with the feature.
    n1 : int
        Group-1 size.
    t : int array
        Items with the feature in both groups.
    n : int
        Total items.
    alternative : {"two-sided", "greater", "less"}
        "greater" tests enrichment in group 1.
    """
    if alternative not in _ALT:
        raise InputError(f"alternative must be one of {sorted(_ALT)}. Received {alternative!r}.")
    x = np.ascontiguousarray(x, dtype=np.int64).ravel()
    t = np.ascontiguousarray(t, dtype=np.int64).ravel()
    return fisher_exact(x, int(n1), t, int(n), _ALT[alternative])


@dataclass
class CooccurrenceScan:
    """Result of :func:`cooccurrence`.

    Attributes
    ----------
    motif_names : list of str (K,)
    distances : int64 (D,)
        Lower edge of each distance bin (bp between starts).
    bin_size, window, max_distance : int
    pair_counts : int64 (2, K, K, D, 4)
        Hit pairs per group (group 1 first).
    seq_counts : int64 (2, K, K, D, 4)
        Sequences with at least one such pair, per group.
    n_sequences : int64 (2,)
    odds_ratio, p, q : float64 (K, K, D, 4)
        Sample odds ratio (group 1 vs 2, 0.5 added to every cell), Fisher p, BH q (NaN for
        cells never observed).
    """

    motif_names: list[str]
    distances: np.ndarray
    bin_size: int
    window: int
    max_distance: int
    pair_counts: np.ndarray
    seq_counts: np.ndarray
    n_sequences: np.ndarray
    odds_ratio: np.ndarray
    p: np.ndarray
    q: np.ndarray
    alternative: str = "two-sided"
    params: dict = field(default_factory=dict)

    orientations: tuple[str, ...] = ORIENTATIONS

    def to_frame(self, *, observed_only: bool = True):
        """One row per cell: ``motif_a motif_b distance orientation n1 n2 frac1 frac2
        odds_ratio p q`` (``n1``/``n2``: sequences with the pair in group 1/2)."""
        import pandas as pd

        K, _, D, O = self.p.shape
        a, b, d, o = (v.ravel() for v in np.meshgrid(np.arange(K), np.arange(K), np.arange(D), np.arange(O), indexing="ij"))
        names = np.array(self.motif_names, dtype=object)
        df = pd.DataFrame({
            "motif_a": names[a], "motif_b": names[b], "distance": self.distances[d],
            "orientation": np.array(self.orientations, dtype=object)[o],
            "n1": self.seq_counts[0].ravel(), "n2": self.seq_counts[1].ravel(),
            "frac1": self.seq_counts[0].ravel() / max(1, self.n_sequences[0]),
            "frac2": self.seq_counts[1].ravel() / max(1, self.n_sequences[1]),
            "odds_ratio": self.odds_ratio.ravel(), "p": self.p.ravel(), "q": self.q.ravel(),
        })
        if observed_only:
            df = df[np.isfinite(df["p"].to_numpy())].reset_index(drop=True)
        return df.sort_values("p", kind="mergesort").reset_index(drop=True)

    def pairs(self):
        """One row per unordered motif pair: strongest cell, pair p (Bonferroni over its
        observed cells) and BH q over pairs."""
        import pandas as pd

        K = self.p.shape[0]
        rows = []
        for a in range(K):
            for b in range(a, K):
                blocks = [(a, b)] if a == b else [(a, b), (b, a)]
                ps = np.concatenate([self.p[i, j].ravel() for i, j in blocks])
                ok = np.isfinite(ps)
                if not ok.any():
                    continue
                k = int(np.nanargmin(ps))
                blk, rest = divmod(k, self.p.shape[2] * self.p.shape[3])
                di, oi = divmod(rest, self.p.shape[3])
                i, j = blocks[blk]
                rows.append({
                    "motif_a": self.motif_names[i], "motif_b": self.motif_names[j],
                    "distance": int(self.distances[di]), "orientation": self.orientations[oi],
                    "odds_ratio": float(self.odds_ratio[i, j, di, oi]), "p_cell": float(ps[k]),
                    "n_cells": int(ok.sum()), "p": float(min(1.0, ps[k] * ok.sum())),
                })
        df = pd.DataFrame(rows)
        if len(df):
            df["q"] = bh_qvalues(df["p"].to_numpy())
            df = df.sort_values("p", kind="mergesort").reset_index(drop=True)
        return df

    def save(self, path: str | os.PathLike) -> None:
        """Write to HDF5 atomically: attrs ``kgenint_format="cooccurrence_scan"``, ``bin_size``,
        ``window``, ``max_distance``, ``alternative``; datasets ``motif_names``, ``distances``,
        ``orientations``, ``pair_counts``, ``seq_counts``, ``n_sequences``, ``odds_ratio``,
        ``p``, ``q``."""
        import h5py

        path = os.fspath(path)
        tmp = path + ".tmp"
        sd = h5py.string_dtype()
        with h5py.File(tmp, "w") as h:
            h.attrs.update(kgenint_format="cooccurrence_scan", format_version=1, bin_size=self.bin_size,
                           window=self.window, max_distance=self.max_distance, alternative=self.alternative)
            h.create_dataset("motif_names", data=np.array(self.motif_names, dtype=object), dtype=sd)
            h.create_dataset("orientations", data=np.array(self.orientations, dtype=object), dtype=sd)
            for k in ("distances", "pair_counts", "seq_counts", "n_sequences", "odds_ratio", "p", "q"):
                h.create_dataset(k, data=getattr(self, k), compression="gzip")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "CooccurrenceScan":
        """Read a scan written by :meth:`save`."""
        import h5py

        with h5py.File(os.fspath(path), "r") as h:
            if h.attrs.get("kgenint_format") != "cooccurrence_scan":
                raise InputError(f"{path}: not a kgenint co-occurrence scan.")
            dec = lambda a: [v.decode() if isinstance(v, bytes) else str(v) for v in a]  # noqa: E731
            return cls(
                motif_names=dec(h["motif_names"][()]),
                orientations=tuple(dec(h["orientations"][()])),
                bin_size=int(h.attrs["bin_size"]), window=int(h.attrs["window"]),
                max_distance=int(h.attrs["max_distance"]), alternative=str(h.attrs["alternative"]),
                **{k: h[k][()] for k in ("distances", "pair_counts", "seq_counts", "n_sequences", "odds_ratio", "p", "q")},
            )


def _hit_columns(hits, n_sequences: int | None, motif_names):
    """Extract int arrays (seq, motif, start, end, strand) from a hit table."""
    import pandas as pd

    if isinstance(hits, pd.DataFrame):
        cols = hits
    elif isinstance(hits, np.ndarray) and hits.dtype.names:
        cols = pd.DataFrame({n: hits[n] for n in hits.dtype.names})
    else:
        raise InputError("hits must be a pandas DataFrame (or structured array) with columns seq, motif, start, strand.")
    missing = [c for c in ("seq", "start", "strand") if c not in cols.columns]
    if "motif" not in cols.columns and "motif_id" not in cols.columns:
        missing.append("motif")
    if missing:
        raise InputError(f"hits is missing column(s) {missing}; expected seq, motif (or motif_id), start, strand (end optional).")
    seq = cols["seq"].to_numpy()
    if not np.issubdtype(seq.dtype, np.integer):
        raise InputError("hits['seq'] must hold integer sequence indices (0-based).")
    mcol = cols["motif_id"] if "motif_id" in cols.columns else cols["motif"]
    if motif_names is None:
        if np.issubdtype(mcol.to_numpy().dtype, np.integer) and "motif_id" not in cols.columns:
            K = int(mcol.max()) + 1 if len(mcol) else 0
            motif_names = [str(i) for i in range(K)]
            motif = mcol.to_numpy().astype(np.int64)
        else:
            motif_names = sorted(pd.unique(mcol.astype(str)))
            lookup = {n: i for i, n in enumerate(motif_names)}
            motif = mcol.astype(str).map(lookup).to_numpy().astype(np.int64)
    else:
        motif_names = [str(m) for m in motif_names]
        lookup = {n: i for i, n in enumerate(motif_names)}
        if np.issubdtype(mcol.to_numpy().dtype, np.integer) and "motif_id" not in cols.columns:
            motif = mcol.to_numpy().astype(np.int64)
            if len(motif) and (motif.min() < 0 or motif.max() >= len(motif_names)):
                raise InputError("hits['motif'] holds an index outside the motif_names list.")
        else:
            unknown = set(mcol.astype(str)) - set(lookup)
            if unknown:
                raise InputError(f"hits name motif(s) not in motif_names: {sorted(unknown)[:5]}.")
            motif = mcol.astype(str).map(lookup).to_numpy().astype(np.int64)
    start = cols["start"].to_numpy().astype(np.int64)
    if "end" in cols.columns:
        end = cols["end"].to_numpy().astype(np.int64)
    else:
        end = start + 1
    st = cols["strand"].astype(str).to_numpy()
    bad = ~np.isin(st, ["+", "-"])
    if bad.any():
        raise InputError(f"hits['strand'] must be '+' or '-'; row {int(np.flatnonzero(bad)[0])} holds {st[bad][0]!r}.")
    strand = (st == "-").astype(np.int64)
    if len(seq) and seq.min() < 0:
        raise InputError("hits['seq'] holds a negative sequence index.")
    if n_sequences is not None and len(seq) and seq.max() >= n_sequences:
        raise InputError(
            f"hits refer to sequence {int(seq.max())} but groups covers only {n_sequences} sequences."
        )
    return seq.astype(np.int64), motif, start, end, strand, motif_names


def cooccurrence(
    hits,
    groups: Sequence[int] | np.ndarray,
    *,
    motif_names: Sequence[str] | None = None,
    max_distance: int = 150,
    bin_size: int = 1,
    window: int = 0,
    allow_overlap: bool = False,
    alternative: str = "two-sided",
    threads: int | None = None,
) -> CooccurrenceScan:
    """Exhaustive motif-pair co-occurrence histograms and enrichment tests.

    Parameters
    ----------
    hits : pandas.DataFrame
        Motif hits with columns ``seq`` (int, 0-based sequence index), ``motif`` (int index)
        or ``motif_id`` (name), ``start`` (0-based), ``end`` (optional, exclusive) and
        ``strand`` ('+'/'-'), as returned by :func:`kgenint.motifs.scan`.
    groups : int array (S,)
        Group of every sequence: 1 = group 1 (e.g. positives), 0 = group 2 (negatives),
        -1 = leave out.
    motif_names : list of str, optional
        The K motifs (order defines indices). Default: from the hit table.
    max_distance : int
        Largest distance between hit starts (bp).
    bin_size : int
        Width of the distance bins (bp).
    window : int
        Pool this many neighbouring bins on each side into each bin (0: none).
    allow_overlap : bool
        Count pairs whose hit intervals overlap (default False: two sites must not overlap).
    alternative : {"two-sided", "greater", "less"}
        Fisher test alternative; "greater" = enriched in group 1.
    threads : int, optional
        Threads for the counting kernel (default: Numba's).

    Returns
    -------
    CooccurrenceScan
    """
    import numba

    g = np.asarray(groups)
    if g.ndim != 1 or g.size == 0:
        raise InputError(f"groups must be a 1-D array with one entry per sequence. Received shape {g.shape}.")
    if not np.isin(g, [-1, 0, 1]).all():
        raise InputError("groups must hold 1 (group 1), 0 (group 2) or -1 (left out) per sequence.")
    g = g.astype(np.int64)
    n1, n2 = int((g == 1).sum()), int((g == 0).sum())
    if n1 == 0 or n2 == 0:
        raise InputError(f"both groups need sequences; received {n1} in group 1 and {n2} in group 2.")
    for name, v, lo in (("max_distance", max_distance, 0), ("bin_size", bin_size, 1), ("window", window, 0)):
        if not isinstance(v, (int, np.integer)) or v < lo:
            raise InputError(f"{name} must be an integer >= {lo}. Received: {name}={v!r}")
    if alternative not in _ALT:
        raise InputError(f"alternative must be one of {sorted(_ALT)}. Received {alternative!r}.")
    seq, motif, start, end, strand, names = _hit_columns(hits, len(g), motif_names)
    K = len(names)
    if K == 0:
        raise InputError("hits is empty and no motif_names were given: nothing to count.")
    order = np.lexsort((start, seq))
    seq, motif, start, end, strand = (a[order] for a in (seq, motif, start, end, strand))
    S = len(g)
    seg = np.searchsorted(seq, np.arange(S + 1)).astype(np.int64)
    nt = int(threads or numba.get_num_threads())
    pc, sc = pair_histograms(seg, motif, start, end, strand, g, K, int(max_distance), int(bin_size),
                             int(window), bool(allow_overlap), 2, nt)
    # group index 1 = group 1 (reported first)
    pair_counts = pc[::-1].copy()
    seq_counts = sc[::-1].copy()
    x = seq_counts[0].ravel()
    t = x + seq_counts[1].ravel()
    p = np.full(x.shape, np.nan)
    obs = t > 0
    p[obs] = fisher_pvalues(x[obs], n1, t[obs], n1 + n2, alternative)
    shape = seq_counts.shape[1:]
    p = p.reshape(shape)
    a1, a2 = seq_counts[0] + 0.5, seq_counts[1] + 0.5
    odds = (a1 / (n1 - seq_counts[0] + 0.5)) / (a2 / (n2 - seq_counts[1] + 0.5))
    odds = np.where(np.isfinite(p), odds, np.nan)
    D = shape[2]
    return CooccurrenceScan(
        motif_names=list(names), distances=np.arange(D, dtype=np.int64) * bin_size, bin_size=int(bin_size),
        window=int(window), max_distance=int(max_distance), pair_counts=pair_counts, seq_counts=seq_counts,
        n_sequences=np.array([n1, n2], dtype=np.int64), odds_ratio=odds, p=p, q=bh_qvalues(p),
        alternative=alternative, params={"allow_overlap": bool(allow_overlap)},
    )
