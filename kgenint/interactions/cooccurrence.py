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

Memory is bounded by ``max_memory`` (beyond the input table): the cells are counted in blocks of
upstream motifs and only observed cells are kept (:class:`CooccurrenceScan`, sparse), so 834
JASPAR motifs at 1-bp bins up to 150 bp (6.7 GB per dense array) run in the default 2 GiB. When
the observed cells themselves would not fit, those with the largest p-values are dropped
(``p_value_cutoff``); the pair table and the q-values below the cutoff stay exact.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from typing import Any, cast

import numpy as np

from .._kernels.cooccurrence import (
    block_cells,
    fisher_exact,
    pair_summary,
    presence_counts,
)
from ..errors import InputError
from .cooccurrence_result import CooccurrenceScan, cells_qvalues, new_summary

__all__ = ["DEFAULT_MAX_MEMORY", "CooccurrenceScan", "cooccurrence", "cooccurrence_memory", "fisher_pvalues"]

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



#: default memory ceiling of :func:`cooccurrence` (bytes)
DEFAULT_MAX_MEMORY = 2 * 2**30
# bytes per observed cell of a block (at most A * K * D * 4 of them): coordinates and counts (40)
# and the temporaries of its Fisher tests and odds ratios; a block is at most 1/4 of the budget
_BLOCK_CELL_BYTES = 136
# bytes per kept observed cell: index, counts, odds, p (56), q at the end, and the temporaries of
# pruning, BH, saving and reading back; the kept cells are at most 1/2 of the budget
_KEPT_CELL_BYTES = 150
# fixed part: presence counts (2, K, K, 4) and the pair summary (K, K) x 4 and the pair table's
# temporaries, per K^2; hit arrays sorted and indexed, per hit
_PER_K2_BYTES = 200
_PER_HIT_BYTES = 160


def _plan(K: int, D: int, n_hits: int, threads: int, max_memory: float) -> tuple[int, int, int]:
    """``(rows per block, kept-cell capacity, smallest workable max_memory)`` in bytes."""
    C = K * D * 4
    fixed = _PER_K2_BYTES * K * K + _PER_HIT_BYTES * n_hits + 48 * C * threads  # + one row of buffers per thread
    need = fixed + 4 * _BLOCK_CELL_BYTES * C + 2 * _KEPT_CELL_BYTES * 4096
    budget = float(max_memory) - fixed
    rows = int(min(K, max(0.0, budget) // (4 * _BLOCK_CELL_BYTES * C)))
    capacity = int(max(0.0, budget) // (2 * _KEPT_CELL_BYTES))
    return rows, capacity, int(need)


def cooccurrence_memory(n_motifs: int, max_distance: int, bin_size: int = 1, threads: int = 1,
                        n_hits: int = 0) -> int:
    """Smallest ``max_memory`` (bytes) with which :func:`cooccurrence` can run.

    It counts one block of upstream motifs at a time, so the requirement is that of one motif's
    row of cells (``K * D * 4`` with ``D = max_distance // bin_size + 1``, up to 4 x 136 bytes
    each if every cell of the row is observed) plus the fixed part (about 200 bytes x K^2 for the
    presence counts and the per-pair summary, 160 bytes per hit, one row of counting buffers,
    48 bytes a cell, per thread). Any larger ceiling only makes the blocks bigger and lets more
    observed cells be kept.
    """
    D = int(max_distance) // max(int(bin_size), 1) + 1
    return _plan(int(n_motifs), D, int(n_hits), max(int(threads), 1), 0.0)[2]


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
    progress: bool = False,
) -> CooccurrenceScan:
    """Exhaustive motif-pair co-occurrence histograms and enrichment tests, in bounded memory.

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
        Threads for the counting kernels (default: Numba's).
    max_memory : float
        Memory ceiling in bytes (default 2 GiB) for the work beyond the input table. The
        ``K x K x D x 4`` cells are counted in blocks of upstream motifs (a block at most a
        quarter of the ceiling) and only observed cells are kept, with their statistics; when
        the observed cells would exceed half of the ceiling, the cells with the largest
        p-values are dropped (``p_value_cutoff`` of the result; its pair table stays exact and
        q-values below the cutoff stay exact). A ceiling too small for one motif's row of cells
        (:func:`cooccurrence_memory`) is an :class:`~kgenint.errors.InputError`.
    progress : bool
        A progress bar over the blocks on stderr.

    Returns
    -------
    CooccurrenceScan
        Sparse cells plus a per-pair summary; dense views for small scans.
    """
    import numba

    from .._kernels import set_num_threads

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
    try:
        max_memory = float(max_memory)
    except (TypeError, ValueError):
        max_memory = math.nan
    if not max_memory > 0:
        raise InputError(f"max_memory must be a positive number of bytes. Received: max_memory={max_memory!r}")
    seq, motif, start, end, strand, names = _hit_columns(hits, len(g), motif_names)
    K = len(names)
    if K == 0:
        raise InputError("hits is empty and no motif_names were given: nothing to count.")
    old_threads = numba.get_num_threads()
    set_num_threads(threads)
    try:
        nt = numba.get_num_threads()
        D = int(max_distance) // int(bin_size) + 1
        rows, capacity, need = _plan(K, D, len(seq), nt, max_memory)
        if rows < 1:
            raise InputError(
                f"counting {K} motifs x {K} x {D} distance bins x 4 orientations needs at least "
                f"{need / 2**30:.2f} GiB, above the ceiling of {max_memory / 2**30:.2f} GiB (max_memory, "
                f"--max-memory): raise the ceiling, or use fewer motifs, a larger bin size or a smaller "
                f"maximum distance.")
        return _count_and_test(seq, motif, start, end, strand, g, names, int(max_distance), int(bin_size),
                               int(window), bool(allow_overlap), alternative, null, rows, capacity, n1, n2, progress)
    finally:
        numba.set_num_threads(old_threads)


def _count_and_test(seq, motif, start, end, strand, g, names, max_distance, bin_size, window, allow_overlap,
                    alternative, null, rows, capacity, n1, n2, progress) -> CooccurrenceScan:
    """Count blocks of upstream motifs, test their observed cells, keep the best ``capacity``."""
    from ..progress import progress as _progress

    import numba

    K, S = len(names), len(g)
    n_threads = numba.get_num_threads()
    D = max_distance // bin_size + 1
    DO = D * 4
    order = np.lexsort((start, seq))
    seq, motif, start, end, strand = (a[order] for a in (seq, motif, start, end, strand))
    del order
    seg = np.searchsorted(seq, np.arange(S + 1)).astype(np.int64)
    by_motif = np.argsort(motif, kind="stable").astype(np.int64)
    moff = np.searchsorted(motif[by_motif], np.arange(K + 1)).astype(np.int64)
    presence = presence_counts(seg, motif, g, K)  # (2, K, K, 4), group 1 first
    both = presence[:, :, :, 3].reshape(2, -1)
    summary = new_summary(K)
    flat_summary = tuple(summary[k].reshape(-1) for k in ("pair_n_cells", "pair_best_p", "pair_best_cell",
                                                           "pair_best_odds"))
    kept: list[tuple[np.ndarray, ...]] = []  # (index, pair counts, seq counts, odds, p) per block
    n_kept, n_tests, cutoff = 0, 0, math.inf
    C = K * DO
    buffers = (np.zeros((n_threads, 2 * C), dtype=np.int64), np.zeros((n_threads, 2 * C), dtype=np.int64),
               np.full((n_threads, C), -1, dtype=np.int64), np.empty((n_threads, C), dtype=np.int64))
    starts = range(0, K, rows)
    bar = _progress(total=K, desc="Counting motif pairs", unit="motif") if progress else None
    try:
        for a0 in starts:
            a1 = min(K, a0 + rows)
            index, cpc, csc = block_cells(seg, seq, motif, start, end, strand, g, moff, by_motif, a0, a1, K,
                                          max_distance, bin_size, window, allow_overlap, *buffers)
            if null == "marginal":  # reference set of every cell: all sequences of each group
                m1 = np.full(index.size, n1, dtype=np.int64)
                m2 = np.full(index.size, n2, dtype=np.int64)
            else:  # the sequences with both motifs of the cell's pair, per group
                ab = index // DO
                m1, m2 = both[0][ab], both[1][ab]
                del ab
            x = csc[0]
            pv = fisher_pvalues(x, m1, x + csc[1], m1 + m2, alternative)
            odds = ((csc[0] + 0.5) / (m1 - csc[0] + 0.5)) / ((csc[1] + 0.5) / (m2 - csc[1] + 0.5))
            del m1, m2, x
            pair_summary(index, pv, odds, DO, *flat_summary)
            n_tests += index.size
            if math.isfinite(cutoff):
                sel = np.flatnonzero(pv < cutoff)
                index, cpc, csc, odds, pv = index[sel], cpc[:, sel], csc[:, sel], odds[sel], pv[sel]
            kept.append((index, cpc, csc, odds, pv))
            n_kept += index.size
            if n_kept > capacity:
                kept, n_kept, cutoff = _prune(kept, capacity, cutoff)
            if bar is not None:
                bar.update(a1 - a0)
    finally:
        if bar is not None:
            bar.close()
    if kept:
        cols = [np.concatenate([k[i] for k in kept], axis=-1) for i in range(5)]
    else:
        cols = [np.zeros(0, np.int64), np.zeros((2, 0), np.int64), np.zeros((2, 0), np.int64), np.zeros(0), np.zeros(0)]
    del kept
    index, cpc, csc, odds, pv = cols
    # cast: mypy checks a **dict[str, ndarray] against every parameter, not only the pair_* arrays
    return CooccurrenceScan(
        motif_names=list(names), distances=np.arange(D, dtype=np.int64) * bin_size, bin_size=bin_size,
        window=window, max_distance=max_distance, n_sequences=np.array([n1, n2], dtype=np.int64),
        cell_index=index, cell_pair_counts=cpc, cell_seq_counts=csc, cell_odds_ratio=odds, cell_p_value=pv,
        cell_q_value=cells_qvalues(pv, n_tests), **cast("dict[str, Any]", summary), n_tests=int(n_tests), p_value_cutoff=float(cutoff),
        alternative=alternative, params={"allow_overlap": allow_overlap}, presence=presence, null=null,
    )


def _prune(kept: list[tuple[np.ndarray, ...]], capacity: int, cutoff: float):
    """Keep only the cells with ``p < new cutoff``: about half of ``capacity`` (the cells tied at
    the cut are kept when they fit under ``capacity``, dropped otherwise)."""
    p = np.concatenate([k[4] for k in kept])
    target = max(1, capacity // 2)
    if p.size > target:
        new = float(np.partition(p, target)[target])  # the (target + 1)-th smallest
        if np.count_nonzero(p <= new) <= capacity:  # Fisher p-values tie a lot: keep the tie if it fits
            new = float(np.nextafter(new, np.inf))
        cutoff = min(cutoff, new)
    del p
    out, n = [], 0
    for index, cpc, csc, odds, pv in kept:
        sel = np.flatnonzero(pv < cutoff)
        out.append((index[sel], cpc[:, sel], csc[:, sel], odds[sel], pv[sel]))
        n += sel.size
    return out, n, cutoff
