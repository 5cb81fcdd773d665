"""Deep Feature Interaction Maps (after Greenside et al. 2018): how much the attribution of a
target motif changes when a source motif is destroyed.

For each pair of hits (A, B) in a sequence ``x`` and an attribution callable ``attribute``::

    FIS(A -> B) = sum_{j in B} attr(x)_j . x_j  -  mean_m sum_{j in B} attr(x^(m))_j . x^(m)_j

where ``x^(m)`` has A's window replaced by mutation ``m`` (a shuffle of its bases, or random
bases at the sequence's GC content). The instance score is the mean of both directions,
``(FIS(A -> B) + FIS(B -> A)) / 2``: > 0 when each motif raises the other's attribution
(synergy), < 0 when it lowers it. The null is the same experiment with the source window
moved to a random position without any hit (same width, same target), as in DFIM.

When to use it: when you trust an attribution method and want interactions *in the
sequences you have* (not in synthetic constructs), at the distances the data hold. It needs
hits of both motifs in the same sequences; its power depends on the attribution (DeepSHAP or
integrated gradients see interactions gradient x input can miss at saturation).
Cost: ``2 (n_mutations + n_null)`` attribution rows per hit pair, plus one per sequence.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from .._validate import check_onehot, check_seed
from ..errors import InputError
from ._instances import aggregate_instances, check_hits, hit_pairs, null_windows

__all__ = ["mutate_window", "window_attribution", "dfim_scores", "dfim_pairs"]

AttributeFn = Callable[[np.ndarray], np.ndarray]


def mutate_window(x: np.ndarray, start: int, end: int, mode: str, rng) -> np.ndarray:
    """A copy of ``x`` ``(L, 4)`` with ``[start, end)`` replaced: ``"shuffle"`` permutes its bases
    (same composition), ``"gc"`` draws i.i.d. bases at the whole sequence's GC content."""
    y = x.copy()
    w = end - start
    if mode == "shuffle":
        y[start:end] = x[start:end][rng.permutation(w)]
    elif mode == "gc":
        gc = float(x[:, 1:3].sum() / max(1.0, x.sum()))
        p = np.array([1 - gc, gc, gc, 1 - gc]) / 2
        y[start:end] = np.eye(4, dtype=x.dtype)[rng.choice(4, size=w, p=p)]
    else:
        raise InputError(f"mutation must be 'shuffle' or 'gc'. Received: mutation={mode!r}")
    return y


def _attr(attribute: AttributeFn, x: np.ndarray, batch_size: int) -> np.ndarray:
    out = []
    for s in range(0, len(x), batch_size):
        a = np.asarray(attribute(x[s:s + batch_size]), dtype=np.float32)
        if a.shape != x[s:s + batch_size].shape:
            raise InputError(f"attribute must return an array shaped like its input (B, L, 4); received "
                             f"{a.shape} for {x[s:s + batch_size].shape}.")
        if not np.all(np.isfinite(a)):
            raise InputError("attribute returned NaN or infinite values.")
        out.append(a)
    return np.concatenate(out) if out else np.zeros((0,) + x.shape[1:], np.float32)


def window_attribution(attr: np.ndarray, x: np.ndarray, start: int, end: int) -> np.ndarray:
    """``sum_{j in [start, end)} attr_j . x_j`` per sequence: the attribution of the bases present."""
    return (attr[:, start:end] * x[:, start:end]).sum(axis=(1, 2))


def dfim_scores(attribute: AttributeFn, x, jobs: np.ndarray, *, n_mutations: int = 3, mutation: str = "shuffle",
                batch_size: int = 256, seed=0) -> np.ndarray:
    """FIS of source -> target for each job.

    Parameters
    ----------
    attribute : callable ``(B, L, 4) -> (B, L, 4)``
    x : float32 (N, L, 4)
    jobs : int array (M, 5)
        ``(seq, source_start, source_end, target_start, target_end)``.

    Returns
    -------
    float64 (M,)
    """
    if not callable(attribute):
        raise InputError(f"attribute must be a callable (N, L, 4) -> (N, L, 4). Received {type(attribute).__name__}.")
    x = check_onehot(x, "x")
    if isinstance(n_mutations, bool) or int(n_mutations) < 1:
        raise InputError(f"n_mutations must be a positive integer. Received {n_mutations!r}.")
    jobs = np.asarray(jobs, dtype=np.int64).reshape(-1, 5)
    rng = check_seed(seed)
    seqs = np.unique(jobs[:, 0])
    base = {int(s): a for s, a in zip(seqs, _attr(attribute, x[seqs], batch_size))}
    M, V = len(jobs), int(n_mutations)
    out = np.zeros(M)
    chunk = max(1, int(batch_size) // V)
    for c0 in range(0, M, chunk):
        jb = jobs[c0:c0 + chunk]
        xm = np.stack([mutate_window(x[s], a0, a1, mutation, rng) for s, a0, a1, _, _ in jb for _ in range(V)])
        am = _attr(attribute, xm, batch_size)
        for q, (s, a0, a1, b0, b1) in enumerate(jb):
            rows = slice(q * V, (q + 1) * V)
            after = window_attribution(am[rows], xm[rows], b0, b1).mean()
            before = float((base[int(s)][b0:b1] * x[s, b0:b1]).sum())
            out[c0 + q] = before - after
    return out


def dfim_pairs(attribute: AttributeFn, x, hits: pd.DataFrame, *, n_mutations: int = 3, mutation: str = "shuffle",
               n_null: int = 1, max_distance: int | None = None, max_pairs_per_seq: int | None = 10,
               by: str = "pair", distance_bin: int = 10, margin: float = 0.0, batch_size: int = 256,
               seed=0) -> pd.DataFrame:
    """DFIM as a pair detector (pair table, ``method="dfim"``).

    Parameters
    ----------
    attribute : callable ``(B, L, 4) -> (B, L, 4)``
        Attributions of the task of interest (e.g. gradient x input, DeepSHAP or integrated
        gradients of a Keras model, see :func:`kgenint.keras.derivatives.attribution_fn`).
    x : float32 (N, L, 4)
        Sequences holding the hits.
    hits : DataFrame
        Motif hits in ``x`` (:func:`kgenint.motifs.scan`).
    n_mutations : int
        Replacements of the source window averaged per instance.
    mutation : {"shuffle", "gc"}
    n_null : int
        Null source windows (no hit, same width and distance to the target) per instance.
    by : {"pair", "bin"}
        One row per pair, or per pair, distance bin (``distance_bin`` bp) and orientation.
    margin : float >= 0
        Smallest interaction worth reporting (attribution units): the test asks whether the
        instance scores lie more than ``margin`` from the null scores. With ``0`` (default) any
        consistent difference is "significant" given enough instances (on a purely additive
        model 10 to 15 % of all pairs are called; ``benchmarks/RESULTS_detectors.md``).

    Returns
    -------
    pandas.DataFrame
        The pair table with ``fis_ab`` (mutate A, read B), ``fis_ba``, ``n_instances``;
        ``attrs["attribution_rows"]`` counts the rows passed to ``attribute``.
    """
    x = check_onehot(x, "x")
    h = check_hits(hits, x.shape[0], x.shape[1])
    rng = check_seed(seed)
    pairs = hit_pairs(h, max_distance=max_distance, max_per_seq=max_pairs_per_seq, seed=rng)
    if len(pairs) == 0:
        raise InputError("no sequence holds hits of two different motifs: nothing to test.")
    null = null_windows(pairs, h, x.shape[1], n_null=n_null, seed=rng)
    P = pairs[["seq", "a_start", "a_end", "b_start", "b_end"]].to_numpy()
    jobs = [P, P[:, [0, 3, 4, 1, 2]]]  # A -> B, B -> A
    if len(null):
        Q = null[["seq", "a_start", "a_end", "b_start", "b_end"]].to_numpy()
        inst_of = null["instance"].to_numpy()
        # null A -> B: random window replaces A as the source, real B is the target (and vice versa)
        jobs += [np.c_[Q[:, :3], P[inst_of, 3:5]], np.c_[Q[:, [0, 3, 4]], P[inst_of, 1:3]]]
    allj = np.concatenate(jobs)
    sc = dfim_scores(attribute, x, allj, n_mutations=n_mutations, mutation=mutation, batch_size=batch_size, seed=rng)
    m = len(P)
    inst = pairs.copy()
    inst["fis_ab"], inst["fis_ba"] = sc[:m], sc[m:2 * m]
    inst["score"] = 0.5 * (inst["fis_ab"] + inst["fis_ba"])
    nul = 0.5 * (sc[2 * m:2 * m + len(null)] + sc[2 * m + len(null):]) if len(null) else np.zeros(0)
    df = aggregate_instances(inst, nul, "dfim", by=by, distance_bin=distance_bin, extra=("fis_ab", "fis_ba"),
                             margin=margin)
    df.attrs["attribution_rows"] = int(len(np.unique(allj[:, 0])) + len(allj) * int(n_mutations))
    return df
