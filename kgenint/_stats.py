"""Multiple-testing correction shared by every module: Benjamini-Hochberg q-values.

One implementation (issue 13 found three): :func:`bh_qvalues` for any array (NaN entries are not
tests), optionally with the number of tests larger than the p-values kept (hits of a scan, cells
of a co-occurrence scan cut at a memory ceiling); :func:`bh_qvalues_rows` for a matrix whose
rows are separate families (TOMTOM-like comparison: one family per query motif).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InputError

__all__ = ["bh_qvalues", "bh_qvalues_rows"]


def _step_up(sorted_p: np.ndarray, m: int) -> np.ndarray:
    """``q_(i) = min_{j >= i} min(1, m p_(j) / j)`` for p-values sorted along the last axis."""
    n = sorted_p.shape[-1]
    ranked = sorted_p * (m / np.arange(1, n + 1))
    return np.minimum(np.minimum.accumulate(ranked[..., ::-1], axis=-1)[..., ::-1], 1.0)


def bh_qvalues(p: Any, *, n_tests: int | None = None) -> np.ndarray:
    """Benjamini-Hochberg q-values of ``p`` (any shape; NaN entries stay NaN and are not counted).

    Parameters
    ----------
    p : array_like of float
        p-values in [0, 1].
    n_tests : int, optional
        Number of tests ``m`` when ``p`` holds only the smallest of them (the others, all larger
        than every entry of ``p``, were not kept): the q-values are then upper bounds, exact
        where they are below the smallest p-value left out. Default: the finite entries.

    Returns
    -------
    float64 ndarray, the shape of ``p``
        ``q_(i) = min_{j >= i} min(1, m p_(j) / j)`` over the ``m`` finite entries.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    flat = p.ravel()
    ok = np.flatnonzero(np.isfinite(flat))
    m = ok.size
    if m == 0:
        return q
    if n_tests is not None:
        if int(n_tests) < m:
            raise InputError(f"n_tests must be at least the number of p-values ({m}). Received: n_tests={n_tests}")
        m = int(n_tests)
    order = ok[np.argsort(flat[ok], kind="mergesort")]
    qf = q.ravel()
    qf[order] = _step_up(flat[order], m)
    return qf.reshape(p.shape)


def bh_qvalues_rows(p: Any, order: np.ndarray | None = None) -> np.ndarray:
    """Benjamini-Hochberg q-values of each row of ``p`` (rows are separate families).

    Parameters
    ----------
    p : float array (R, n) (or (n,), treated as one row)
        p-values, no NaN.
    order : int array, the shape of ``p``, optional
        Each row's ordering by increasing p when the caller already has it (ties in any order).

    Returns
    -------
    float64 ndarray (R, n)
    """
    p = np.atleast_2d(np.asarray(p, dtype=np.float64))
    if order is None:
        order = np.argsort(p, axis=-1, kind="stable")
    out = np.empty_like(p)
    np.put_along_axis(out, order, _step_up(np.take_along_axis(p, order, axis=-1), p.shape[-1]), axis=-1)
    return out
