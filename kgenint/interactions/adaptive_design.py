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
    "FUTILITY_TESTS",
    "look_schedule",
    "moderated_pvalues",
    "moderated_variances",
    "nominal_levels",
    "sequential_pvalues",
    "spending",
]

SPENDING: tuple[str, ...] = ("obrien_fleming", "pocock")

#: interim statistics a futility decision may use (:func:`moderated_pvalues`)
FUTILITY_TESTS: tuple[str, ...] = ("moderated", "t")

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


def _trigamma_inverse(x: float) -> float:
    """``y`` with ``trigamma(y) = x`` (``x > 0``; trigamma is decreasing on ``(0, inf)``)."""
    from scipy import optimize, special

    return math.exp(optimize.brentq(lambda ly: special.polygamma(1, math.exp(ly)) - x, -30.0, 30.0, xtol=1e-12))


def variance_prior(s2: np.ndarray, df: np.ndarray) -> tuple[float, float]:
    """Empirical-Bayes prior of cell variances: moment estimates ``(d0, s0^2)`` of a scaled
    inverse-chi-square prior from sample variances ``s2`` with ``df`` degrees of freedom each
    (Smyth 2004, Stat. Appl. Genet. Mol. Biol. 3:3, section 6.2). ``d0 = inf`` when the variances
    vary no more than sampling explains; ``(0, nan)`` with fewer than three usable variances."""
    from scipy import special

    s2 = np.asarray(s2, dtype=np.float64).ravel()
    df = np.asarray(df, dtype=np.float64).ravel()
    ok = np.isfinite(s2) & (s2 > 0) & (df > 0)
    if ok.sum() < 3:
        return 0.0, float("nan")
    d = df[ok]
    e = np.log(s2[ok]) - special.digamma(d / 2) + np.log(d / 2)
    ebar = float(e.mean())
    excess = float(((e - ebar) ** 2).sum() / (e.size - 1) - special.polygamma(1, d / 2).mean())
    if excess <= 1e-12:
        return math.inf, math.exp(ebar)
    d0 = 2.0 * _trigamma_inverse(excess)
    if d0 < 1e-6:  # variances far more spread than sampling explains: no pooling
        return 0.0, float("nan")
    return d0, math.exp(ebar + special.digamma(d0 / 2) - math.log(d0 / 2))


def moderated_variances(contrasts: np.ndarray, groups: np.ndarray):
    """Cell means and variances with each variance shrunk towards its group's prior
    (:func:`variance_prior`; ``s~^2 = (d0 s0^2 + (n-1) s^2) / (d0 + n - 1)``, limma's moderated
    variance, Smyth 2004).

    Parameters
    ----------
    contrasts : float (..., N)
        Per-background contrasts, NaN where not measured.
    groups : int array of shape ``contrasts.shape[:-1]``
        Group label of each cell (``-1``: in no group: its own variance is kept).

    Returns
    -------
    mean, s2, df, n : float64 arrays of shape ``contrasts.shape[:-1]``
        Mean, moderated variance and its degrees of freedom (``n - 1 + d0``, ``inf`` for a
        degenerate prior), backgrounds measured. NaN variance where ``n < 2``.
    """
    c = np.asarray(contrasts, dtype=np.float64)
    fin = np.isfinite(c)
    n = fin.sum(axis=-1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, np.where(fin, c, 0.0).sum(axis=-1) / n, np.nan)
        s2 = np.where(n > 1, (np.where(fin, c - mean[..., None], 0.0) ** 2).sum(axis=-1) / (n - 1), np.nan)
    df = n - 1
    s2_flat, df_flat = s2.ravel(), df.ravel()
    s2_mod, df_mod = s2_flat.copy(), df_flat.copy()
    g_flat = np.broadcast_to(np.asarray(groups), n.shape).ravel()
    # the usable cells sorted by group (stable: each group's cells keep their order), so every
    # group is one slice: O(cells log cells) in all, not O(groups x cells)
    idx = np.flatnonzero((g_flat >= 0) & (df_flat > 0))
    idx = idx[np.argsort(g_flat[idx], kind="stable")]
    group_slices = np.split(idx, np.flatnonzero(np.diff(g_flat[idx])) + 1) if idx.size else []
    for sel in group_slices:
        d0, s02 = variance_prior(s2_flat[sel], df_flat[sel])
        if not d0 > 0 or not np.isfinite(s02):
            continue
        if math.isinf(d0):
            s2_mod[sel] = s02
            df_mod[sel] = np.inf
        else:
            s2_mod[sel] = (d0 * s02 + df_flat[sel] * s2_flat[sel]) / (d0 + df_flat[sel])
            df_mod[sel] = df_flat[sel] + d0
    return mean, s2_mod.reshape(n.shape), df_mod.reshape(n.shape), n


def moderated_pvalues(contrasts: np.ndarray, margin, groups: np.ndarray, *,
                      moderated: tuple | None = None) -> np.ndarray:
    """Interim p-values of cells with their variances moderated towards their group's.

    A cell measured in ``n`` backgrounds has a t statistic with ``n - 1`` degrees of freedom; at
    an early look (``n = 4``: 3 df) its variance estimate is so noisy that weak but real
    interactions look no different from noise. Cells of one motif pair share their backgrounds
    and have similar spreads, so each cell's variance is shrunk towards the pair's
    (:func:`moderated_variances`) and tested with ``n - 1 + d0`` degrees of freedom against
    ``|mu| <= margin`` (limma's moderated t, Smyth 2004). The adaptive scan uses these only to
    decide futility stops, which are non-binding (module docstring): they change which cells get
    more backgrounds, never the validity of the reported p-values.

    Parameters
    ----------
    contrasts, groups
        As in :func:`moderated_variances`.
    margin : float or float array broadcastable to ``contrasts.shape[:-1]``
    moderated : tuple, optional
        :func:`moderated_variances` of these contrasts and groups, when the caller has it already.

    Returns
    -------
    float64 array of shape ``contrasts.shape[:-1]``, NaN where fewer than 2 backgrounds.
    """
    from scipy import stats

    mean, s2_mod, df_mod, n = moderated_variances(contrasts, groups) if moderated is None else moderated
    margin = np.broadcast_to(np.asarray(margin, dtype=np.float64), mean.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(s2_mod / n)
        shifted = np.where(se > 0, (np.abs(mean) - margin) / se, np.where(np.abs(mean) > margin, np.inf, -np.inf))
        p = np.where(np.isinf(df_mod), 2 * stats.norm.sf(shifted),
                     2 * stats.t.sf(shifted, np.where(np.isinf(df_mod), 1.0, np.maximum(df_mod, 1.0))))
    p = np.minimum(1.0, p)
    p[~(n > 1)] = np.nan
    return p
