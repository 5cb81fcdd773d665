"""Integrated / Expected Hessians between motif windows, block-wise.

The Integrated Hessian of features ``i != j`` (Janizek, Sturmfels & Lee 2021) with baseline
``x'`` and ``delta = x - x'``::

    Gamma_ij = delta_i delta_j  int_0^1 int_0^1 a b H_ij(x' + a b delta) da db
             = delta_i delta_j  int_0^1 (-t ln t) H_ij(x' + t delta) dt

(``t = a b`` has density ``-ln t`` on (0, 1)). The interaction of two windows A and B is the
block sum over positions x bases, ``Gamma_AB + Gamma_BA = 2 sum_{i in A, j in B} Gamma_ij``,
and each quadrature node costs *one* Hessian-vector product::

    sum_{i in A, j in B} delta_i H_ij delta_j = < delta * 1_A , H(x' + t delta) (delta * 1_B) >

so the full ``4L x 4L`` Hessian is never formed: memory is that of one forward-over-backward
pass per batch row (:func:`kgenint.keras.derivatives.hvp_fn`). Averaging over several
references gives Expected Hessians. For ``f(x) = (w1 . x_A)(w2 . x_B)`` and a zero baseline
the block interaction is ``f(x) / 2`` (the Hessian is constant, ``int -t ln t dt = 1/4``).

When to use it: a smooth model (softplus/GELU/sigmoid/exp activations) and sequences that
already hold both motifs; it attributes interaction to the *observed* instances without
building synthetic sequences. On ReLU / max-pool models the exact Hessian is zero almost
everywhere: use the softplus surrogate of :func:`kgenint.keras.derivatives.softplus_surrogate`.
Cost: ``n_steps x R`` HVPs per hit pair (and per null pair), each about 3 to 4 model passes.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from .._validate import check_onehot
from ..errors import InputError
from ._instances import aggregate_instances, check_hits, hit_pairs, null_windows

__all__ = ["quadrature", "block_interactions", "hessian_pairs"]

HvpFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def quadrature(n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``t`` in (0, 1) and weights ``w`` with ``sum w g(t) ~ int_0^1 (-t ln t) g(t) dt``.

    Gauss-Legendre nodes on (0, 1) with the weight function folded in: exact
    (``sum w = 1/4``) for constant ``g`` and accurate for smooth ``g``.
    """
    if isinstance(n_steps, bool) or int(n_steps) < 1:
        raise InputError(f"n_steps must be a positive integer. Received: n_steps={n_steps!r}")
    u, wu = np.polynomial.legendre.leggauss(int(n_steps))
    t = 0.5 * (u + 1.0)
    w = 0.5 * wu * (-t * np.log(t))
    w *= 0.25 / w.sum()  # exact normalisation of the weight function
    return t, w


def _check_references(references, x: np.ndarray) -> np.ndarray:
    L = x.shape[1]
    if references is None or (isinstance(references, str) and references == "zeros"):
        return np.zeros((1, L, 4), np.float32)
    if isinstance(references, str):
        raise InputError(f"references must be 'zeros' or an array (R, L, 4). Received {references!r}.")
    r = np.asarray(references, dtype=np.float32)
    if r.ndim == 2:
        r = r[None]
    if r.ndim != 3 or r.shape[1:] != (L, 4):
        raise InputError(f"references must have shape (R, {L}, 4) like the sequences. Received {r.shape}.")
    if not np.all(np.isfinite(r)):
        raise InputError("references hold NaN or infinite values.")
    return r


def block_interactions(hvp: HvpFn, x, blocks, *, references=None, n_steps: int = 8,
                       batch_size: int = 64) -> np.ndarray:
    """Block-summed Integrated (or Expected) Hessian interaction of window pairs.

    Parameters
    ----------
    hvp : callable ``(x (B, L, 4), v (B, L, 4)) -> (B, L, 4)``
        Hessian-vector product of the model's output (one task) w.r.t. its input, per row:
        ``out[b] = H(x[b]) v[b]``.
    x : float32 (N, L, 4)
    blocks : int array (M, 5)
        Rows ``(seq, a_start, a_end, b_start, b_end)``, 0-based half-open, windows disjoint.
    references : None, "zeros" or float32 (R, L, 4)
        Baselines; ``R > 1`` averages over them (Expected Hessians with quadrature on the path).
    n_steps : int
        Quadrature nodes on the path (:func:`quadrature`).
    batch_size : int
        HVP rows per call; memory is about ``batch_size`` forward-over-backward passes.

    Returns
    -------
    float64 (M,): ``Gamma_AB + Gamma_BA`` (output units).
    """
    if not callable(hvp):
        raise InputError(f"hvp must be a callable (x, v) -> H(x) v. Received {type(hvp).__name__}.")
    x = check_onehot(x, "x")
    N, L, _ = x.shape
    blocks = np.asarray(blocks, dtype=np.int64)
    if blocks.ndim != 2 or blocks.shape[1] != 5:
        raise InputError(f"blocks must have shape (M, 5): seq, a_start, a_end, b_start, b_end. Received {blocks.shape}.")
    if len(blocks):
        s, a0, a1, b0, b1 = blocks.T
        bad = (s < 0) | (s >= N) | (a0 < 0) | (a1 <= a0) | (a1 > L) | (b0 < 0) | (b1 <= b0) | (b1 > L) | \
              ((a0 < b1) & (b0 < a1))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"blocks row {i} ({blocks[i].tolist()}) is not two disjoint windows of a sequence "
                             f"(N={N}, L={L}).")
    if isinstance(batch_size, bool) or int(batch_size) < 1:
        raise InputError(f"batch_size must be a positive integer. Received {batch_size!r}.")
    refs = _check_references(references, x)
    t, w = quadrature(n_steps)
    R, T = refs.shape[0], t.size
    out = np.zeros(len(blocks))
    # one job = (block m, reference r, node k)
    jobs = np.stack(np.meshgrid(np.arange(len(blocks)), np.arange(R), np.arange(T), indexing="ij"), -1).reshape(-1, 3)
    for s0 in range(0, len(jobs), int(batch_size)):
        jb = jobs[s0:s0 + int(batch_size)]
        m, r, k = jb[:, 0], jb[:, 1], jb[:, 2]
        xs = x[blocks[m, 0]]
        delta = xs - refs[r]
        pts = (refs[r] + t[k][:, None, None] * delta).astype(np.float32)
        v = np.zeros_like(delta)
        va = np.zeros_like(delta)
        for q, mm in enumerate(m):
            _, a0, a1, b0, b1 = blocks[mm]
            v[q, b0:b1] = delta[q, b0:b1]
            va[q, a0:a1] = delta[q, a0:a1]
        hv = np.asarray(hvp(pts, v.astype(np.float32)), dtype=np.float64)
        if hv.shape != pts.shape:
            raise InputError(f"hvp returned shape {hv.shape} for inputs of shape {pts.shape}.")
        contrib = (va * hv).sum(axis=(1, 2)) * w[k] / R
        np.add.at(out, m, contrib)
    return 2.0 * out


def hessian_pairs(hvp: HvpFn, x, hits: pd.DataFrame, *, references=None, n_steps: int = 8,
                  max_distance: int | None = None, n_null: int = 1, max_pairs_per_seq: int | None = 10,
                  by: str = "pair", distance_bin: int = 10, margin: float = 0.0, batch_size: int = 64,
                  seed=0) -> pd.DataFrame:
    """Block Integrated/Expected Hessians as a pair detector.

    Every pair of non-overlapping hits of different motifs in a sequence (at most
    ``max_pairs_per_seq`` per sequence) gets :func:`block_interactions`; ``n_null`` random window
    pairs of the same widths and distance that overlap no hit give the null. Per pair: mean score
    (``effect``), Mann-Whitney p-value against the null scores, BH q-values (pair table,
    ``method="hessian"``). ``margin``: smallest block interaction worth reporting (output units),
    as in :func:`kgenint.interactions.dfim.dfim_pairs`.

    Parameters
    ----------
    hvp : callable, see :func:`block_interactions`
    x : float32 (N, L, 4)
    hits : DataFrame
        Motif hits (:func:`kgenint.motifs.scan` output or ``seq start end strand motif``).

    Returns
    -------
    pandas.DataFrame, the pair table with ``n_instances``, ``best_cell_effect``; ``attrs``:
    ``hvp_calls`` (rows passed to ``hvp``).
    """
    x = check_onehot(x, "x")
    h = check_hits(hits, x.shape[0], x.shape[1])
    pairs = hit_pairs(h, max_distance=max_distance, max_per_seq=max_pairs_per_seq, seed=seed)
    if len(pairs) == 0:
        raise InputError("no sequence holds hits of two different motifs: nothing to test.")
    null = null_windows(pairs, h, x.shape[1], n_null=n_null, seed=seed)
    cols = ["seq", "a_start", "a_end", "b_start", "b_end"]
    blocks = np.r_[pairs[cols].to_numpy(), null[cols].to_numpy()] if len(null) else pairs[cols].to_numpy()
    scores = block_interactions(hvp, x, blocks, references=references, n_steps=n_steps, batch_size=batch_size)
    inst = pairs.copy()
    inst["score"] = scores[:len(pairs)]
    df = aggregate_instances(inst, scores[len(pairs):], "hessian", by=by, distance_bin=distance_bin, margin=margin)
    R = _check_references(references, x).shape[0]
    df.attrs["hvp_calls"] = int(len(blocks) * R * quadrature(n_steps)[0].size)
    return df
