"""Dependency maps at base resolution: how the attribution at ``j`` depends on the base at ``i``.

For one sequence ``x`` and an attribution callable, with ``a_j(x) = attr(x)_j . x_j`` (the
attribution of the base present at ``j``)::

    D[i, j] = a_j(x) - mean over the 3 substitutions s at i of a_j(x with base s at i)

``D[i, i]`` is set to 0 (the base itself changed). All ``3 W`` substituted sequences of a window
of ``W`` positions are attributed in batches, so a 1 kb map costs 3,000 attribution rows and
``W^2`` floats of output (4 MB at W = 1,000). Motif-block aggregation: for hits A and B,
``score = (sum_{i in A, j in B} D[i, j] + sum_{i in B, j in A} D[i, j]) / 2``, > 0 when each
motif's bases support the other's attribution. The null is the same block sum over random
window pairs of the same widths and distance in the same map, away from every hit: it costs
no extra model calls.

When to use it: to *see* which bases depend on which (plot the map), and as a detector that
needs no choice of mutation. It is the per-base, all-pairs version of DFIM; costs grow with the
window, not with the number of motif pairs.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from .._validate import check_onehot, check_seed
from ..errors import InputError
from ._instances import aggregate_instances, check_hits, hit_pairs, null_windows

__all__ = ["dependency_map", "block_sum", "dependency_pairs"]


def dependency_map(attribute: Callable[[np.ndarray], np.ndarray], x, *, window: tuple[int, int] | None = None,
                   batch_size: int = 256) -> np.ndarray:
    """The dependency map of one sequence.

    Parameters
    ----------
    attribute : callable ``(B, L, 4) -> (B, L, 4)``
    x : float32 (L, 4) or (1, L, 4)
        One strictly one-hot sequence.
    window : (start, end), optional
        Restrict ``i`` and ``j`` to ``[start, end)`` (default: the whole sequence).
    batch_size : int
        Substituted sequences per ``attribute`` call.

    Returns
    -------
    float32 (W, W): ``D[i - start, j - start]``.
    """
    if not callable(attribute):
        raise InputError(f"attribute must be a callable (N, L, 4) -> (N, L, 4). Received {type(attribute).__name__}.")
    x = check_onehot(x, "x", strict=True)
    if x.shape[0] != 1:
        raise InputError(f"dependency_map takes one sequence; received {x.shape[0]}.")
    x = x[0]
    L = x.shape[0]
    s0, s1 = (0, L) if window is None else (int(window[0]), int(window[1]))
    if not 0 <= s0 < s1 <= L:
        raise InputError(f"window must satisfy 0 <= start < end <= {L}. Received window={window!r}.")
    if isinstance(batch_size, bool) or int(batch_size) < 1:
        raise InputError(f"batch_size must be a positive integer. Received {batch_size!r}.")
    W = s1 - s0
    a0 = np.asarray(attribute(x[None]), dtype=np.float64)
    if a0.shape != (1, L, 4):
        raise InputError(f"attribute must return (B, L, 4); received {a0.shape}.")
    base = (a0[0, s0:s1] * x[s0:s1]).sum(-1)
    acc = np.zeros((W, W))
    cur = np.argmax(x, axis=1)
    # job q = (position i, alternative k in 1..3)
    pos = np.repeat(np.arange(s0, s1), 3)
    alt = (cur[pos] + np.tile(np.arange(1, 4), W)) % 4
    B = int(batch_size)
    for q0 in range(0, pos.size, B):
        p, a = pos[q0:q0 + B], alt[q0:q0 + B]
        xs = np.repeat(x[None], p.size, axis=0)
        xs[np.arange(p.size), p] = 0.0
        xs[np.arange(p.size), p, a] = 1.0
        at = np.asarray(attribute(xs), dtype=np.float64)
        if at.shape != xs.shape:
            raise InputError(f"attribute must return (B, L, 4); received {at.shape}.")
        aj = (at[:, s0:s1] * xs[:, s0:s1]).sum(-1)  # (b, W)
        np.add.at(acc, p - s0, base[None] - aj)
    D = acc / 3.0
    np.fill_diagonal(D, 0.0)
    return D.astype(np.float32)


def block_sum(D: np.ndarray, a: tuple[int, int], b: tuple[int, int], offset: int = 0) -> float:
    """``(sum D[A, B] + sum D[B, A]) / 2`` for windows ``a``, ``b`` (sequence coordinates; the map
    starts at ``offset``)."""
    a0, a1 = a[0] - offset, a[1] - offset
    b0, b1 = b[0] - offset, b[1] - offset
    return 0.5 * float(D[a0:a1, b0:b1].sum() + D[b0:b1, a0:a1].sum())


def dependency_pairs(attribute: Callable[[np.ndarray], np.ndarray], x, hits: pd.DataFrame, *,
                     n_null: int = 5, max_distance: int | None = None, max_sequences: int | None = 100,
                     pad: int = 20, by: str = "pair", distance_bin: int = 10, margin: float = 0.0,
                     batch_size: int = 256, seed=0) -> pd.DataFrame:
    """Dependency maps as a pair detector (pair table, ``method="dependency"``).

    Maps are computed for up to ``max_sequences`` sequences holding hits of two different motifs
    (chosen at random), each over the span of its hits widened by ``pad`` bp on both sides (the
    null windows are drawn inside that span too). ``margin``: smallest block score worth
    reporting, as in :func:`kgenint.interactions.dfim.dfim_pairs`.

    Returns
    -------
    pandas.DataFrame, the pair table with ``n_instances``; ``attrs["attribution_rows"]``.
    """
    x = check_onehot(x, "x", strict=True)
    h = check_hits(hits, x.shape[0], x.shape[1])
    rng = check_seed(seed)
    pairs = hit_pairs(h, max_distance=max_distance, seed=rng)
    if len(pairs) == 0:
        raise InputError("no sequence holds hits of two different motifs: nothing to test.")
    seqs = np.unique(pairs["seq"].to_numpy())
    if max_sequences is not None and seqs.size > max_sequences:
        seqs = np.sort(rng.choice(seqs, int(max_sequences), replace=False))
    pairs = pairs[pairs["seq"].isin(seqs)].reset_index(drop=True)
    L = x.shape[1]
    scores, nulls, rows = [], [], 0
    for s in seqs:
        ps = pairs[pairs["seq"] == s]
        lo = int(max(0, min(ps["a_start"].min(), ps["b_start"].min()) - pad))
        hi = int(min(L, max(ps["a_end"].max(), ps["b_end"].max()) + pad))
        D = dependency_map(attribute, x[s], window=(lo, hi), batch_size=batch_size)
        rows += 1 + 3 * (hi - lo)
        for r in ps.itertuples(index=False):
            scores.append(block_sum(D, (r.a_start, r.a_end), (r.b_start, r.b_end), lo))
        # null pairs inside the span: shift coordinates so the span is the whole "sequence"
        hs = h[h["seq"] == s].copy()
        hs[["start", "end"]] -= lo
        pl = ps.copy()
        for c in ("a_start", "a_end", "b_start", "b_end"):
            pl[c] -= lo
        nw = null_windows(pl, hs, hi - lo, n_null=n_null, seed=rng)
        for r in nw.itertuples(index=False):
            nulls.append(block_sum(D, (r.a_start, r.a_end), (r.b_start, r.b_end), 0))
    inst = pairs.copy()
    inst["score"] = scores
    df = aggregate_instances(inst, np.asarray(nulls), "dependency", by=by, distance_bin=distance_bin, margin=margin)
    df.attrs["attribution_rows"] = int(rows)
    return df
