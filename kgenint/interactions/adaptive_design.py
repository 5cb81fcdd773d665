"""The sequential design behind :func:`kgenint.interactions.adaptive.scan_pairs_adaptive`.

Each cell of an in-silico scan (ordered motif pair, distance, orientation) is a one-sample t-test
of the control-adjusted contrast ``d_n`` over backgrounds (:mod:`kgenint.interactions.insilico`).
The adaptive scan looks at a cell after ``n_1 < n_2 < ... < n_J = N`` backgrounds
(:func:`look_schedule`) and, at every look but the last, either stops it for *efficacy*, stops it
for *futility*, or gives it the next block of backgrounds.

Efficacy boundary: alpha spending with a union (Bonferroni) bound
-----------------------------------------------------------------
The error rate a cell may spend, ``alpha_cell``, is distributed over the looks by a Lan-DeMets
spending function of the information fraction ``t_k = n_k / N`` (Lan & DeMets 1983, Biometrika
70:659-663):

* O'Brien-Fleming type (default): ``A(t) = 2 - 2 Phi(z_{1 - alpha_cell/2} / sqrt(t))``;
* Pocock type: ``A(t) = alpha_cell * ln(1 + (e - 1) t)``.

Look ``k`` may spend ``a_k = A(t_k) - A(t_{k-1})`` (``A(t_0) = 0``; :func:`nominal_levels`). A cell
stops for efficacy at look ``k < J`` when its ordinary t-test p-value at that look (``n_k - 1``
degrees of freedom, against ``|mu| <= margin``) is ``<= a_k``. The p-value reported for a cell
that stops at look ``k`` (efficacy, or the last look) is

    p_seq = A(t_{k-1}) + p_k        (capped at 1)

where ``p_k`` is its fixed-sample t-test p-value at that look (:func:`sequential_pvalues`).
Why it is valid, for any stopping rule of the futility kind and any ``u`` in [0, 1]: the event
``p_seq <= u`` needs, at the look ``k`` where the cell stopped, ``p_k <= u - A(t_{k-1})`` and, when
``k < J``, ``p_k <= a_k``; by the union bound

    P(p_seq <= u) <= sum_k P(p_k <= min(a_k, u - A(t_{k-1}))^+) <= u,

because each ``p_k`` is an exact t-test p-value (Gaussian contrasts, any variance) and the terms
telescope. This is the Bonferroni (Haybittle-Peto-like) version of a group-sequential test
(Jennison & Turnbull 2000, *Group Sequential Methods with Applications to Clinical Trials*,
ch. 2 and 7): it ignores the positive correlation between looks, so it is conservative, but it
needs no normal approximation of the t statistics, which matters with 3-7 degrees of freedom at
the first looks; with O'Brien-Fleming spending almost all of ``alpha_cell`` is left for the last
look, so ``p_seq`` of a cell that runs to the end is its exhaustive-scan p-value plus a negligible
``A(t_{J-1})``. (The exact multivariate-normal boundaries would differ only in the correlation
term; ``tests/test_interactions_adaptive.py`` compares the two.)

Futility: non-binding, so it costs power, never type-I error
------------------------------------------------------------
A cell stops for futility at look ``k < J`` when its t-test p-value at that look exceeds the
futility threshold ``f_k``. A stopped cell enters every call with ``p_seq = 1``: stopping can only
remove rejections, so it never raises the type-I error of any cell, pair or BH list. Cells of
the coarse distance grid that are not screened at all enter with ``p = 1`` as well, so a pair's
Simes p-value is always over the pair's full family of cells (the same ``m`` as the exhaustive
scan). Consequence (``reference="none"``, same backgrounds and controls, no efficacy stop): every
cell p-value is >= the exhaustive scan's, so the adaptive calls are a subset of the exhaustive
calls; efficacy stops can only add calls of cells whose evidence crossed the boundary.

The leave-pair-out ``reference`` bound is a margin estimated from other pairs' cell means (here
from the means available at each look); like in the exhaustive scan, the error statement above
holds for a fixed margin.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import InputError

__all__ = [
    "SPENDING",
    "STATE_NAMES",
    "look_schedule",
    "nominal_levels",
    "sequential_pvalues",
    "spending",
]

SPENDING: tuple[str, ...] = ("obrien_fleming", "pocock")

#: cell states of :class:`kgenint.interactions.adaptive.AdaptiveScan` (``state`` array)
STATE_NAMES: tuple[str, ...] = ("not_scanned", "open", "futility", "efficacy", "completed", "pair_decided")
NOT_SCANNED, OPEN, FUTILITY, EFFICACY, COMPLETED, PAIR_DECIDED = range(6)


def spending(t, alpha: float, kind: str = "obrien_fleming") -> np.ndarray:
    """Lan-DeMets alpha-spending function ``A(t)``: the type-I error spent by information
    fraction ``t`` (two-sided).

    Parameters
    ----------
    t : float or array of float in [0, 1]
        Information fraction (backgrounds seen / backgrounds at the last look).
    alpha : float in (0, 1)
        Total error to spend, ``A(1) = alpha``.
    kind : {"obrien_fleming", "pocock"}
        ``2 - 2 Phi(z_{1-alpha/2} / sqrt(t))`` or ``alpha ln(1 + (e - 1) t)``.

    Returns
    -------
    float64 array, the shape of ``t``
    """
    from scipy import stats

    if kind not in SPENDING:
        raise InputError(f"spending must be one of {SPENDING}. Received: spending={kind!r}")
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be in (0, 1). Received: alpha={alpha}")
    t = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0)
    if kind == "pocock":
        return alpha * np.log1p((math.e - 1.0) * t)
    z = stats.norm.isf(alpha / 2)
    with np.errstate(divide="ignore"):
        return np.where(t > 0, 2.0 * stats.norm.sf(z / np.sqrt(np.where(t > 0, t, 1.0))), 0.0)


def look_schedule(n_initial: int, n_max: int, growth: float = 2.0) -> tuple[int, ...]:
    """Backgrounds per cell at each look: ``n_initial``, then multiplied by ``growth`` (rounded
    up), the last look always ``n_max``.

    >>> look_schedule(4, 32)
    (4, 8, 16, 32)
    >>> look_schedule(4, 12)
    (4, 8, 12)
    """
    if isinstance(n_initial, bool) or not isinstance(n_initial, (int, np.integer)) or n_initial < 2:
        raise InputError(f"n_initial must be an integer >= 2 (a t-test needs two backgrounds). "
                         f"Received: n_initial={n_initial!r}")
    if n_max < n_initial:
        raise InputError(f"n_initial={n_initial} is larger than the {n_max} backgrounds given; give more "
                         f"backgrounds or a smaller n_initial.")
    if not growth > 1:
        raise InputError(f"growth must be > 1. Received: growth={growth}")
    looks = [int(n_initial)]
    while looks[-1] < n_max:
        looks.append(min(int(n_max), max(looks[-1] + 1, math.ceil(looks[-1] * growth))))
    return tuple(looks)


def nominal_levels(looks, alpha: float, kind: str = "obrien_fleming") -> tuple[np.ndarray, np.ndarray]:
    """Per-look efficacy levels ``a_k`` and the error spent before each look ``A(t_{k-1})``.

    Parameters
    ----------
    looks : sequence of int, increasing
        Backgrounds at each look (:func:`look_schedule`); ``t_k = looks[k] / looks[-1]``.
    alpha, kind
        As in :func:`spending`.

    Returns
    -------
    a : float64 (J,)
        ``A(t_k) - A(t_{k-1})``: a cell stops for efficacy at look ``k < J-1`` when its t-test
        p-value is ``<= a[k]``.
    spent_before : float64 (J,)
        ``A(t_{k-1})`` (0 for the first look), added to the p-value of a cell that stops at ``k``.
    """
    n = np.asarray(looks, dtype=np.float64)
    if n.ndim != 1 or n.size == 0 or np.any(np.diff(n) <= 0) or n[0] < 1:
        raise InputError(f"looks must be increasing positive counts. Received: looks={list(looks)}")
    cum = spending(n / n[-1], alpha, kind)
    before = np.concatenate([[0.0], cum[:-1]])
    return cum - before, before


def sequential_pvalues(p_at_stop: np.ndarray, stop_look: np.ndarray, crossed: np.ndarray,
                       spent_before: np.ndarray) -> np.ndarray:
    """Valid p-values of cells under the design of the module docstring.

    Parameters
    ----------
    p_at_stop : float (...)
        The fixed-sample t-test p-value of each cell at the look where it stopped (NaN: not
        scanned).
    stop_look : int (...)
        Index of that look (0-based).
    crossed : bool (...)
        True for cells whose p-value counts: stopped for efficacy (``p <= a_k``) or reached the
        last look. False for cells stopped for futility or because their pair was decided: their
        p-value is 1.
    spent_before : float (J,)
        :func:`nominal_levels`' second output.

    Returns
    -------
    float64 (...)
        ``min(1, spent_before[stop_look] + p_at_stop)`` where ``crossed``, 1 elsewhere, NaN where
        ``p_at_stop`` is NaN.
    """
    p = np.asarray(p_at_stop, dtype=np.float64)
    k = np.clip(np.asarray(stop_look, dtype=np.int64), 0, len(spent_before) - 1)
    out = np.where(np.asarray(crossed, dtype=bool), np.minimum(1.0, np.asarray(spent_before)[k] + p), 1.0)
    out[~np.isfinite(p)] = np.nan
    return out
