"""One-call motif discovery from attribution maps: :func:`discover`."""
from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from .._validate import check_onehot, check_same_shape
from ..errors import InputError
from ..motifs.motif import Motif
from .aggregate import MotifAggregator, Pattern
from .calling import LaplaceSeqletCaller, RecursiveSeqletCaller
from .clustering import SeqletClusterer
from .result import DiscoveryResult
from .similarity import SeqletSimilarity, SeqletWindows

__all__ = ["DiscoveryResult", "discover", "check_attributions"]


def check_attributions(onehot, contributions=None, hypothetical=None):
    """Validate the three arrays; returns float32 C-contiguous ``(onehot, contributions, hypothetical)``.

    ``contributions`` default to ``hypothetical * onehot``; ``hypothetical`` defaults to
    ``contributions`` (then only the observed bases carry signal).

    Raises
    ------
    InputError
        Shapes that differ, non-finite values, all-zero attributions, neither array given.
    """
    x = check_onehot(onehot, "onehot")
    arrays = {}
    for name, a in (("contributions", contributions), ("hypothetical", hypothetical)):
        if a is None:
            continue
        try:
            arr = np.asarray(a, dtype=np.float32)
        except (TypeError, ValueError) as err:
            raise InputError(f"{name} must be a numeric array of shape (N, L, 4) ({err}).") from None
        if arr.ndim == 2 and arr.shape[-1] == 4 and x.shape[0] == 1:
            arr = arr[None]
        check_same_shape(x, arr, "onehot", name)
        bad = ~np.isfinite(arr)
        if bad.any():
            i, j, _ = np.argwhere(bad)[0]
            raise InputError(
                f"{name} has a non-finite value (NaN or inf) in sequence {i}, position {j}; "
                f"{int(bad.sum())} values in all. Recompute the attributions or replace them."
            )
        if not np.any(arr):
            raise InputError(
                f"{name} are all zero: there is nothing to discover. Check that the attribution "
                f"step ran on the right model output."
            )
        arrays[name] = np.ascontiguousarray(arr)
    if not arrays:
        raise InputError("Give contributions or hypothetical contributions (arrays of shape (N, L, 4)).")
    c = arrays.get("contributions")
    h = arrays.get("hypothetical")
    if c is None:
        c = np.ascontiguousarray(h * x)
    if h is None:
        h = c
    return x, c, h


def discover(
    onehot,
    contributions=None,
    hypothetical=None,
    *,
    caller: str = "laplace",
    window: int = 21,
    flank: int = 10,
    fdr: float = 0.05,
    min_gap: int | None = None,
    max_seqlets: int | None = None,
    n_neighbors: int = 30,
    min_similarity: float = 0.3,
    resolution: float = 1.0,
    merge_threshold: float = 0.6,
    min_cluster_size: int = 20,
    min_member_similarity: float = 0.3,
    trim_threshold: float = 0.3,
    min_width: int = 4,
    annotate: bool | Any = False,
    seed: int = 0,
) -> DiscoveryResult:
    """Discover motifs from attribution maps (a fast TF-MoDISco-class pipeline).

    Parameters
    ----------
    onehot : float32 (N, L, 4)
        One-hot sequences, ACGT order.
    contributions : float32 (N, L, 4), optional
        Contribution scores (attribution x one-hot). Default ``hypothetical * onehot``.
    hypothetical : float32 (N, L, 4), optional
        Hypothetical contributions (attribution of every base). Default: ``contributions``.
    caller : {"laplace", "recursive"}
        Seqlet caller (see :mod:`kgenint.seqlets.calling`).
    window : int
        Seqlet core width (positions).
    flank : int
        Positions added each side for alignment shifts and stored patterns.
    fdr : float
        Target false-discovery rate of seqlet calling.
    min_gap : int, optional
        Free positions between seqlet cores (default ``window // 2``).
    max_seqlets : int, optional
        Cap per sign, highest-scoring kept (default: no cap).
    n_neighbors : int
        Candidate neighbours per seqlet from the k-mer prefilter.
    min_similarity, resolution, merge_threshold, min_cluster_size, min_member_similarity
        See :class:`~kgenint.seqlets.clustering.SeqletClusterer`.
    trim_threshold, min_width
        See :class:`~kgenint.seqlets.aggregate.MotifAggregator`.
    annotate : bool or list of Motif
        Annotate motifs against the default database (True) or the given motifs, with
        :func:`kgenint.motifs.annotate`; skipped with a warning if that is unavailable.
    seed : int
        Seed of every random step.

    Returns
    -------
    DiscoveryResult

    Raises
    ------
    InputError
        Bad shapes or values (see :func:`check_attributions`) or options.

    Warns
    -----
    UserWarning
        When too few seqlets pass the threshold to form a motif.
    """
    t_all = time.perf_counter()
    timings: dict[str, float] = {}
    x, c, h = check_attributions(onehot, contributions, hypothetical)
    if caller not in ("laplace", "recursive"):
        raise InputError(f"caller must be 'laplace' or 'recursive'. Received: caller={caller!r}")
    if int(flank) < 0:
        raise InputError(f"flank must be >= 0. Received: flank={flank!r}")
    options = dict(
        caller=caller, window=window, flank=flank, fdr=fdr, min_gap=min_gap, max_seqlets=max_seqlets,
        n_neighbors=n_neighbors, min_similarity=min_similarity, resolution=resolution,
        merge_threshold=merge_threshold, min_cluster_size=min_cluster_size,
        min_member_similarity=min_member_similarity, trim_threshold=trim_threshold, min_width=min_width,
        seed=seed,
    )
    clusterer = SeqletClusterer(
        min_similarity=min_similarity, resolution=resolution, merge_threshold=merge_threshold,
        min_cluster_size=min_cluster_size, min_member_similarity=min_member_similarity, seed=seed,
    )
    clusterer._validate()
    t0 = time.perf_counter()
    cls = RecursiveSeqletCaller if caller == "recursive" else LaplaceSeqletCaller
    called = cls(window=window, fdr=fdr, min_gap=min_gap, max_seqlets=max_seqlets, seed=seed).call(c)
    table = called.seqlets
    timings["calling"] = time.perf_counter() - t0
    for k in ("windows", "similarity", "clustering", "aggregation"):
        timings[k] = 0.0
    sim_step = SeqletSimilarity(n_neighbors=n_neighbors, seed=seed)
    agg = MotifAggregator(flank=flank, trim_threshold=trim_threshold, min_width=min_width)
    patterns: list[Pattern] = []
    stats: dict[str, Any] = {}
    for sign, label in ((1, "pos"), (-1, "neg")):
        rows = np.flatnonzero(table["sign"] == sign)
        st = stats[label] = {"seqlets": int(rows.size), "leiden": 0, "merged": 0, "motifs": 0, "placed": 0,
                             "dropped_narrow": 0}
        if rows.size == 0:
            continue
        if rows.size < int(min_cluster_size):
            warnings.warn(
                f"Only {rows.size} {'positive' if sign > 0 else 'negative'} seqlets passed the "
                f"threshold ({called.thresholds}); at least min_cluster_size={min_cluster_size} are "
                f"needed to form a motif, so none is reported for this sign. Use more sequences, "
                f"a higher fdr or a smaller min_cluster_size.",
                stacklevel=2,
            )
            continue
        t0 = time.perf_counter()
        win = SeqletWindows.from_arrays(x, c, h, table[rows], window, flank)
        timings["windows"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        graph = sim_step.graph(win)
        timings["similarity"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        cr = clusterer.fit(win, graph)
        timings["clustering"] += time.perf_counter() - t0
        del win, graph
        t0 = time.perf_counter()
        pats = agg.patterns(x, c, h, table, rows, cr, window, sign, first_index=len(patterns))
        timings["aggregation"] += time.perf_counter() - t0
        patterns.extend(pats)
        placed = int((table["cluster"][rows] >= 0).sum())
        st.update(leiden=cr.n_leiden, merged=cr.n_merged, motifs=len(pats), placed=placed,
                  dropped_narrow=agg.dropped_narrow)
    t0 = time.perf_counter()
    motifs: list[Motif] = [agg.motif(p, table) for p in patterns]
    timings["aggregation"] += time.perf_counter() - t0
    annotation = None
    timings["annotation"] = 0.0
    if annotate is not False and annotate is not None and motifs:
        t0 = time.perf_counter()
        annotation = _annotate(motifs, None if annotate is True else annotate)
        timings["annotation"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_all
    return DiscoveryResult(
        motifs=motifs, seqlets=table, patterns=patterns, thresholds=called.thresholds, timings=timings,
        stats=stats, options=options, annotation=annotation, sequence_length=int(x.shape[1]),
    )


def _annotate(motifs: list[Motif], database):
    try:
        from ..motifs import annotate as _ann
    except (ImportError, AttributeError) as err:
        warnings.warn(f"Motif annotation skipped: kgenint.motifs.annotate is not available ({err}).", stacklevel=3)
        return None
    df = _ann(motifs, database=database)
    try:
        for m, (_, row) in zip(motifs, df.iterrows()):
            m.metadata["annotation"] = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
    except Exception:  # the table layout belongs to kgenint.motifs.compare; keep the table regardless
        pass
    return df
