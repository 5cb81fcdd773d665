"""Model-free, exhaustive motif-pair co-occurrence scans over hit tables.

Given motif hits (from :func:`kgenint.motifs.scan` or seqlets) in two groups of sequences
(positives vs negatives, or high vs low predicted score), every ordered pair of hits in a
sequence with ``0 <= d = start_b - start_a <= max_distance`` is counted into a
``(K, K, D, O)`` histogram (motif of the upstream hit, motif of the downstream hit, distance
bin, orientation ``strand_a strand_b``). Each cell is tested for enrichment between the groups
with Fisher's exact test on *sequence* counts (sequences with at least one such pair vs
without, in each group), which keeps the unit of replication the sequence; Benjamini-Hochberg
q-values over every cell observed at least once. ``window`` pools neighbouring distance bins.

Two nulls for the cells (``null``):

* ``"conditional"`` (default): the test is restricted to the sequences that contain both
  motifs (for ``a == b``: at least two hits of the motif). It asks whether *this geometry*
  (distance and orientation) is enriched beyond the mere presence of both motifs. Without the
  restriction any two motifs that each raise the label (main effects, no interaction) are
  enriched together in the positives at every distance they happen to be planted at, so the
  marginal test calls additive pairs (measured on the simulator's ``additive`` preset:
  SP1-NFYA, q = 0.002, see ``benchmarks/RESULTS_validation.md``).
* ``"marginal"``: all sequences of both groups (the pair is enriched, for whatever reason).

Interactions that depend on presence only (AND, XOR, OR: both motifs together behave
differently from the sum of each alone, at any distance) have no geometry to test.
:meth:`CooccurrenceScan.pairs` can add (``presence=True``, off by default) a
presence-interaction test: with the sequences of each group split by the presence of A and of B
(none / A only / B only / both), the contrast ``logit(AB) - logit(A) - logit(B) + logit(none)``
of the group-1 log-odds (0.5 added to every count) is tested with its Woolf variance (z test),
the co-occurrence analogue of the in-silico double difference. It is off by default because
it is biased whenever the presence of A and B is associated with other label-relevant motifs
(the marginal odds ratio is not collapsible, and in designed data sets a sequence that carries
one pair tends to carry fewer others): on the simulator's additive-only preset with 100,000
sequences it called 66 of 153 pairs, all of them through this test (benchmarks/
RESULTS_validation.md). Presence-only interactions need a model: use the in-silico scan.

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
from .pair_table import bh_qvalues
from .placement import ORIENTATIONS

__all__ = ["cooccurrence", "CooccurrenceScan", "fisher_pvalues", "cooccurrence_memory", "DEFAULT_MAX_MEMORY"]

_ALT = {"two-sided": 0, "greater": 1, "less": 2}


def fisher_pvalues(x, n1, t, n, alternative: str = "two-sided") -> np.ndarray:
    """Vectorised Fisher's exact test for 2x2 tables ``[[x, n1 - x], [t - x, n - n1 - (t - x)]]``.

    Parameters
    ----------
    x : int array
        Group-1 items with the feature.
    n1 : int or int array
        Group-1 size (one per table, or one for all).
    t : int array
        Items with the feature in both groups.
    n : int or int array
        Total items (one per table, or one for all).
    alternative : {"two-sided", "greater", "less"}
        "greater" tests enrichment in group 1.
    """
    if alternative not in _ALT:
        raise InputError(f"alternative must be one of {sorted(_ALT)}. Received {alternative!r}.")
    x = np.ascontiguousarray(x, dtype=np.int64).ravel()
    t = np.ascontiguousarray(t, dtype=np.int64).ravel()
    n1 = np.ascontiguousarray(np.broadcast_to(np.asarray(n1, dtype=np.int64).ravel(), x.shape))
    n = np.ascontiguousarray(np.broadcast_to(np.asarray(n, dtype=np.int64).ravel(), x.shape))
    return fisher_exact(x, n1, t, n, _ALT[alternative])


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
        cells never observed), under ``null``.
    presence : int64 (2, K, K, 4) or None
        Sequences per group with neither motif, A only, B only, both (for ``a == b``: 0, 1, -, 2+
        hits of the motif, "B only" is 0).
    null : {"conditional", "marginal"}
        The cells' null (module docstring).
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
    presence: np.ndarray | None = None
    null: str = "marginal"

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

    def pairs(self, presence: bool = False):
        """One row per unordered motif pair: the strongest cell and a pair-level p and q.

        Parameters
        ----------
        presence : bool
            Also run the presence-interaction test (module docstring; biased when presence is
            confounded with other motifs, hence off by default).

        Columns ``motif_a motif_b distance orientation odds_ratio p_cell n_cells p_geometry
        presence_log_or p_presence effect p q``:

        * ``p_geometry``: the smallest cell p of the pair times the number of observed cells
          (Bonferroni over distances and orientations);
        * ``presence_log_or``, ``p_presence``: the presence-interaction contrast and its z-test
          p-value (module docstring; NaN without presence counts or for ``a == b``);
        * ``p = p_geometry``, or with ``presence=True`` ``min(1, 2 * min(p_geometry,
          p_presence))`` (Bonferroni over the two tests); ``q`` BH over the pairs; ``effect``
          is the log odds ratio of the test that gave ``p`` (its sign: > 0 synergy /
          enrichment in group 1).
        """
        import pandas as pd
        from scipy import stats

        K = self.p.shape[0]
        rows = []
        for a in range(K):
            for b in range(a, K):
                blocks = [(a, b)] if a == b else [(a, b), (b, a)]
                ps = np.concatenate([self.p[i, j].ravel() for i, j in blocks])
                ok = np.isfinite(ps)
                lor, pp = np.nan, np.nan
                if presence and self.presence is not None and a != b:
                    c = self.presence[:, a, b, :].astype(np.float64) + 0.5  # (2 groups, 4 categories)
                    lo = np.log(c[0] / c[1])
                    lor = float(lo[3] - lo[1] - lo[2] + lo[0])
                    se = float(np.sqrt((1.0 / c).sum()))
                    pp = float(2 * stats.norm.sf(abs(lor) / se))
                if not ok.any() and not np.isfinite(pp):
                    continue
                if ok.any():
                    k = int(np.nanargmin(ps))
                    blk, rest = divmod(k, self.p.shape[2] * self.p.shape[3])
                    di, oi = divmod(rest, self.p.shape[3])
                    i, j = blocks[blk]
                    pg = float(min(1.0, ps[k] * ok.sum()))
                    cell = {"distance": int(self.distances[di]), "orientation": self.orientations[oi],
                            "odds_ratio": float(self.odds_ratio[i, j, di, oi]), "p_cell": float(ps[k])}
                else:
                    i, j, pg = a, b, 1.0
                    cell = {"distance": 0, "orientation": "++", "odds_ratio": np.nan, "p_cell": np.nan}
                use_presence = np.isfinite(pp) and pp < pg
                pbest = pp if use_presence else pg
                n_tests = 2 if np.isfinite(pp) else 1
                rows.append({
                    "motif_a": self.motif_names[i], "motif_b": self.motif_names[j], **cell,
                    "n_cells": int(ok.sum()), "p_geometry": pg, "presence_log_or": lor, "p_presence": pp,
                    "effect": lor if use_presence else float(np.log(cell["odds_ratio"])),
                    "p": float(min(1.0, pbest * n_tests)),
                })
        df = pd.DataFrame(rows)
        if len(df):
            df["q"] = bh_qvalues(df["p"].to_numpy())
            df = df.sort_values("p", kind="mergesort").reset_index(drop=True)
        return df

    def save(self, path: str | os.PathLike, *, overwrite: bool = True) -> None:
        """Write to HDF5 atomically: attrs ``kgenint_format="cooccurrence_scan"``, ``bin_size``,
        ``window``, ``max_distance``, ``alternative``; datasets ``motif_names``, ``distances``,
        ``orientations``, ``pair_counts``, ``seq_counts``, ``n_sequences``, ``odds_ratio``,
        ``p``, ``q``, optional ``presence``; attr ``null``."""
        import h5py

        from .._io import atomic_path

        path = os.fspath(path)
        sd = h5py.string_dtype()
        with atomic_path(path, overwrite=overwrite, check=lambda p: CooccurrenceScan.load(p)) as tmp, \
                h5py.File(tmp, "w") as h:
            h.attrs.update(kgenint_format="cooccurrence_scan", format_version=1, bin_size=self.bin_size,
                           window=self.window, max_distance=self.max_distance, alternative=self.alternative)
            h.create_dataset("motif_names", data=np.array(self.motif_names, dtype=object), dtype=sd)
            h.create_dataset("orientations", data=np.array(self.orientations, dtype=object), dtype=sd)
            for k in ("distances", "pair_counts", "seq_counts", "n_sequences", "odds_ratio", "p", "q"):
                h.create_dataset(k, data=getattr(self, k), compression="gzip")
            if self.presence is not None:
                h.create_dataset("presence", data=self.presence)
            h.attrs["null"] = self.null

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
                presence=h["presence"][()] if "presence" in h else None,
                null=str(h.attrs.get("null", "marginal")),
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
    badc = (start < 0) | (end <= start)
    if badc.any():
        r = int(np.flatnonzero(badc)[0])
        raise InputError(f"hits row {r}: start {int(start[r])}, end {int(end[r])} is not a valid 0-based half-open "
                         f"interval (start >= 0, end > start).")
    if len(seq) and seq.min() < 0:
        raise InputError("hits['seq'] holds a negative sequence index.")
    if n_sequences is not None and len(seq) and seq.max() >= n_sequences:
        raise InputError(
            f"hits refer to sequence {int(seq.max())} but groups covers only {n_sequences} sequences."
        )
    return seq.astype(np.int64), motif, start, end, strand, motif_names


#: default ceiling on the estimated peak memory of :func:`cooccurrence` (bytes)
DEFAULT_MAX_MEMORY = 4 * 2**30


def cooccurrence_memory(n_motifs: int, max_distance: int, bin_size: int = 1, threads: int = 1) -> int:
    """Estimated peak memory (bytes) of :func:`cooccurrence` for ``n_motifs`` motifs.

    Per-thread dense pair and sequence counts (2 groups) and a stamp array while counting, then
    the result's counts, p, q, odds ratios and temporaries: ``8 * K**2 * D * 4 * (5 * threads + 12)``
    with ``D = max_distance // bin_size + 1``.
    """
    cells = int(n_motifs) ** 2 * (int(max_distance) // max(int(bin_size), 1) + 1) * 4
    return 8 * cells * (5 * max(int(threads), 1) + 12)


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
    null: str = "conditional",
    threads: int | None = None,
    max_memory: float = DEFAULT_MAX_MEMORY,
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
    null : {"conditional", "marginal"}
        ``"conditional"``: each cell is tested among the sequences that contain both motifs
        (is the geometry enriched beyond co-presence?); ``"marginal"``: among all sequences.
        See the module docstring for why the default is conditional.
    threads : int, optional
        Threads for the counting kernel (default: Numba's).
    max_memory : float
        Ceiling in bytes (default 4 GiB) on the estimated peak memory: the counts are dense
        ``(2, K, K, D, 4)`` arrays (one copy per thread while counting) and the result holds
        several more of that size, about ``8 * K**2 * D * 4 * (5 * threads + 12)`` bytes
        (:func:`cooccurrence_memory`). Above it a one-line :class:`~kgenint.errors.InputError`
        says how to reduce the problem instead of a ``MemoryError`` after minutes.

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
    if null not in ("conditional", "marginal"):
        raise InputError(f"null must be 'conditional' or 'marginal'. Received {null!r}.")
    seq, motif, start, end, strand, names = _hit_columns(hits, len(g), motif_names)
    K = len(names)
    if K == 0:
        raise InputError("hits is empty and no motif_names were given: nothing to count.")
    nt = int(threads or numba.get_num_threads())
    need = cooccurrence_memory(K, int(max_distance), int(bin_size), nt)
    if need > float(max_memory):
        D = int(max_distance) // int(bin_size) + 1
        raise InputError(
            f"counting {K} motifs x {K} x {D} distance bins x 4 orientations needs about {need / 2**30:.1f} GiB, "
            f"above the ceiling of {float(max_memory) / 2**30:.1f} GiB (max_memory, --max-memory): use fewer motifs "
            f"(e.g. only those enriched, or one per cluster of similar motifs), a larger bin size or a smaller "
            f"maximum distance, or fewer threads.")
    order = np.lexsort((start, seq))
    seq, motif, start, end, strand = (a[order] for a in (seq, motif, start, end, strand))
    S = len(g)
    seg = np.searchsorted(seq, np.arange(S + 1)).astype(np.int64)
    pc, sc = pair_histograms(seg, motif, start, end, strand, g, K, int(max_distance), int(bin_size),
                             int(window), bool(allow_overlap), 2, nt)
    # group index 1 = group 1 (reported first)
    pair_counts = pc[::-1].copy()
    seq_counts = sc[::-1].copy()
    presence = _presence_counts(seq, motif, g, K)  # (2, K, K, 4), group 1 first
    shape = seq_counts.shape[1:]
    x = seq_counts[0].ravel()
    t = x + seq_counts[1].ravel()
    p = np.full(x.shape, np.nan)
    obs = t > 0
    if null == "marginal":  # reference set of every cell: all sequences of each group
        m1, m2 = np.full(shape, n1), np.full(shape, n2)
    else:  # the sequences with both motifs of the cell's pair, per group
        both = presence[:, :, :, 3]
        m1 = np.broadcast_to(both[0][:, :, None, None], shape)
        m2 = np.broadcast_to(both[1][:, :, None, None], shape)
    p[obs] = fisher_pvalues(x[obs], m1.ravel()[obs], t[obs], (m1 + m2).ravel()[obs], alternative)
    p = p.reshape(shape)
    a1, a2 = seq_counts[0] + 0.5, seq_counts[1] + 0.5
    odds = (a1 / (m1 - seq_counts[0] + 0.5)) / (a2 / (m2 - seq_counts[1] + 0.5))
    odds = np.where(np.isfinite(p), odds, np.nan)
    D = shape[2]
    return CooccurrenceScan(
        motif_names=list(names), distances=np.arange(D, dtype=np.int64) * bin_size, bin_size=int(bin_size),
        window=int(window), max_distance=int(max_distance), pair_counts=pair_counts, seq_counts=seq_counts,
        n_sequences=np.array([n1, n2], dtype=np.int64), odds_ratio=odds, p=p, q=bh_qvalues(p),
        alternative=alternative, params={"allow_overlap": bool(allow_overlap)},
        presence=presence, null=null,
    )


def _presence_counts(seq: np.ndarray, motif: np.ndarray, groups: np.ndarray, K: int) -> np.ndarray:
    """Sequences per group (group 1 first) with neither, A only, B only, both motifs.

    Returns int64 ``(2, K, K, 4)``; on the diagonal ``a == b`` the categories are 0 hits,
    exactly 1 hit, (unused, 0) and 2+ hits of the motif.
    """
    S = groups.size
    cnt = np.zeros((S, K), dtype=np.int64)
    np.add.at(cnt, (seq, motif), 1)
    out = np.zeros((2, K, K, 4), dtype=np.int64)
    for gi, gv in enumerate((1, 0)):
        c = cnt[groups == gv]
        pres = (c > 0).astype(np.int64)
        n = c.shape[0]
        both = pres.T @ pres
        tot = pres.sum(axis=0)
        out[gi, :, :, 3] = both
        out[gi, :, :, 1] = tot[:, None] - both
        out[gi, :, :, 2] = tot[None, :] - both
        out[gi, :, :, 0] = n - both - out[gi, :, :, 1] - out[gi, :, :, 2]
        two = (c >= 2).sum(axis=0)
        one = (c == 1).sum(axis=0)
        idx = np.arange(K)
        out[gi, idx, idx] = np.stack([n - one - two, one, np.zeros(K, np.int64), two], axis=1)
    return out
