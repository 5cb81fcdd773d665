"""The result type and the statistics shared by the feature-space detectors of
:mod:`kgenint.interactions.features` (re-exported there): :class:`UnitInteractions`, the
baseline of the mixed differences, the one-sided t-test with a margin, symmetric pair matrices.
No TensorFlow here.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..errors import InputError

__all__ = ["UnitInteractions", "DETECTORS", "AGGREGATES"]

DETECTORS = ("mdd", "nid", "hessian")
AGGREGATES = ("sum", "max")


class UnitInteractions(NamedTuple):
    """Pairwise interactions between the units of one layer.

    Attributes
    ----------
    effect : float64 (U, U)
        Symmetric; mean contrast over sequences (``mdd``, ``hessian``; output units) or NID
        strength (``nid``); NaN on the diagonal.
    se : float64 (U, U)
        Standard error of ``effect`` over sequences (NaN for ``nid``).
    p_value : float64 (U, U)
        Two-sided one-sample t-test of ``effect = 0`` (NaN for ``nid``).
    per_sample : float32 (N, U, U) or None
        Per-sequence contrasts (None for ``nid``).
    detector : str
        ``"mdd"``, ``"nid"`` or ``"hessian"``.
    """

    effect: np.ndarray
    se: np.ndarray
    p_value: np.ndarray
    per_sample: np.ndarray | None
    detector: str


# ---------------------------------------------------------------------------- helpers
def _baseline(z: np.ndarray, baseline: Any) -> np.ndarray:
    """Baseline features of the shape of one row of ``z``."""
    if isinstance(baseline, str):
        if baseline == "min":
            return np.broadcast_to(z.min(axis=tuple(range(z.ndim - 1))), z.shape[1:]).astype(np.float32)
        if baseline == "mean":
            return z.mean(axis=0)
        if baseline == "zero":
            return np.zeros(z.shape[1:], dtype=np.float32)
        raise InputError(f"baseline must be 'min', 'mean', 'zero' or an array. Received: baseline={baseline!r}")
    b = np.asarray(baseline, dtype=np.float32)
    if b.shape == z.shape[-1:] and z.ndim == 3:
        b = np.broadcast_to(b, z.shape[1:])
    if b.shape != z.shape[1:]:
        raise InputError(f"baseline has shape {b.shape}; expected {z.shape[1:]} (one row of the features) or ({z.shape[-1]},).")
    return np.asarray(b, dtype=np.float32)


def _check_margin(margin: Any) -> float:
    try:
        m = float(margin)
    except (TypeError, ValueError):
        raise InputError(f"margin must be a number >= 0 (output units). Received: margin={margin!r}") from None
    if not np.isfinite(m) or m < 0:
        raise InputError(f"margin must be a number >= 0 (output units). Received: margin={margin!r}")
    return m


def _ttest(per: np.ndarray, tol: float, margin: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, standard error and t-test p-value over axis 0; |mean| and sd below ``tol`` count as
    exactly zero (float32 rounding of the head), p = 1. ``margin = 0``: two-sided test of
    ``mean = 0``; ``margin > 0``: one-sided test of ``|mean| <= margin`` (p from
    ``(|mean| - margin) / se``), so effects too small to matter are not called."""
    from scipy import stats

    n = per.shape[0]
    mean = per.mean(axis=0)
    sd = per.std(axis=0, ddof=1)
    se = sd / np.sqrt(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        if margin > 0:
            p = stats.t.sf((np.abs(mean) - margin) / se, df=n - 1)
            p = np.where(se == 0, np.where(np.abs(mean) > margin, 0.0, 1.0), p)
        else:
            t = mean / se
            p = 2 * stats.t.sf(np.abs(t), df=n - 1)
    zero = np.abs(per).max(axis=0) <= tol
    p = np.where(zero, 1.0, p)
    mean = np.where(zero, 0.0, mean)
    if margin == 0:
        p = np.where(~zero & (se == 0), 0.0, p)
    if per.ndim == 2:
        per[:, zero] = 0.0  # so sums over unit pairs see exact zeros
    return mean, se, p


def _symmetric(vals: np.ndarray, iu: tuple[np.ndarray, np.ndarray], u: int) -> np.ndarray:
    m = np.full(vals.shape[:-1] + (u, u), np.nan, dtype=vals.dtype)
    m[..., iu[0], iu[1]] = vals
    m[..., iu[1], iu[0]] = vals
    return m
