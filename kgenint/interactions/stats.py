"""Statistical non-additivity tests on the double-mutant grid: Tukey's one-degree-of-freedom
test and the two-way ANOVA interaction F-test.

The two table tests (:func:`anova_interaction`, :func:`tukey_nonadditivity`) take plain arrays;
the detectors (:func:`anova_pairs`, :func:`tukey_pairs`) build the grid through any
``predict(x) -> (N, T)`` callable by writing motif instances into background sequences, and
return the pair table (``docs/api.md``).

When to use which
-----------------
* ``anova``: the classical test of "A and B together differ from the sum of their parts",
  per distance and orientation, with backgrounds as blocks. It is the in-silico scan's contrast
  with an F-test whose error term is the background-to-background scatter of all four cells
  (more residual degrees of freedom than the scan's paired t-test, no equivalence margin).
* ``tukey``: detects *multiplicative* non-additivity, ``y_ij = m + a_i + b_j + lambda a_i b_j``,
  on a grid of motif variants of different strengths (absent and several PWM samples of A x the
  same for B). One degree of freedom, so it has power when the interaction scales with the main
  effects (a saturating output, a gate) and none for an interaction unrelated to them. The sign
  of ``lambda`` says synergy (> 0) or saturation/antagonism (< 0).
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np

from .._validate import check_onehot, check_seed
from ..errors import InputError
from ..motifs.motif import Motif

__all__ = ["AnovaResult", "TukeyResult", "anova_interaction", "tukey_nonadditivity",
           "double_mutant_grid", "anova_pairs", "tukey_pairs"]

ORIENTATIONS = ("++", "+-", "-+", "--")


class AnovaResult(NamedTuple):
    """Interaction F-test of a 2 x 2 design in blocks."""

    effect: float       #: mean double difference y11 - y10 - y01 + y00 (output units)
    f: float            #: F statistic of the A x B term
    p_value: float
    df_num: int         #: 1
    df_den: int         #: 3 (N - 1)
    ss_interaction: float
    ss_residual: float


class TukeyResult(NamedTuple):
    """Tukey's one-degree-of-freedom test for non-additivity."""

    lam: float          #: coefficient of a_i b_j (1 / output units); > 0 synergy
    f: float
    p_value: float
    df_num: int         #: 1
    df_den: int         #: (r - 1)(c - 1) - 1
    ss_nonadditivity: float
    ss_residual: float


def _f_pvalue(ss_num: float, df_num: int, ss_den: float, df_den: int, scale: float) -> tuple[float, float]:
    from scipy import stats

    tiny = 1e-12 * max(scale, 1e-300)
    if ss_den <= tiny:
        if ss_num <= tiny:
            return float("nan"), 1.0
        return float("inf"), 0.0
    f = (ss_num / df_num) / (ss_den / df_den)
    return float(f), float(stats.f.sf(f, df_num, df_den))


def anova_interaction(y) -> AnovaResult:
    """Two-way ANOVA interaction F-test on a 2 x 2 grid replicated over backgrounds (blocks).

    Model: ``y[n, i, j] = mu + block_n + alpha_i + beta_j + (alpha beta)_ij + e``; the test of
    ``(alpha beta) = 0`` with 1 and ``3 (N - 1)`` degrees of freedom (a randomised complete block
    design; statsmodels' ``y ~ C(block) + C(a) * C(b)`` gives the same F).

    Parameters
    ----------
    y : float array (N, 2, 2)
        ``y[n, i, j]``: output for background ``n`` with motif A absent/present (``i`` = 0/1) and
        B absent/present (``j``). ``N >= 2``.

    Returns
    -------
    AnovaResult
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 3 or y.shape[1:] != (2, 2):
        raise InputError(f"y must have shape (N, 2, 2): backgrounds x A absent/present x B absent/present. "
                         f"Received shape {y.shape}.")
    n = y.shape[0]
    if n < 2:
        raise InputError(f"the ANOVA needs at least 2 backgrounds (blocks); received {n}.")
    if not np.all(np.isfinite(y)):
        raise InputError("y holds NaN or infinite values.")
    gm = y.mean()
    cell = y.mean(axis=0)
    block = y.mean(axis=(1, 2))
    a = cell.mean(axis=1) - gm
    b = cell.mean(axis=0) - gm
    inter = cell - gm - a[:, None] - b[None, :]
    fitted = gm + (block - gm)[:, None, None] + a[None, :, None] + b[None, None, :] + inter[None]
    ss_res = float(((y - fitted) ** 2).sum())
    ss_ab = float(n * (inter ** 2).sum())
    df_den = 3 * (n - 1)
    f, p = _f_pvalue(ss_ab, 1, ss_res, df_den, float(((y - gm) ** 2).sum()))
    eff = float(cell[1, 1] - cell[1, 0] - cell[0, 1] + cell[0, 0])
    return AnovaResult(eff, f, p, 1, df_den, ss_ab, ss_res)


def tukey_nonadditivity(table) -> TukeyResult:
    """Tukey's (1949) one-degree-of-freedom test for non-additivity in a two-way table.

    With ``a_i`` the row effects and ``b_j`` the column effects of the additive fit,
    ``SS_N = (sum_ij a_i b_j y_ij)^2 / (sum a_i^2 sum b_j^2)`` is tested against the remaining
    interaction sum of squares with ``(r - 1)(c - 1) - 1`` degrees of freedom. Equivalent to
    adding the squared fitted values of the additive model as a covariate.

    Parameters
    ----------
    table : float array (r, c)
        One value per cell (e.g. the mean output over backgrounds), ``(r - 1)(c - 1) >= 2``.

    Returns
    -------
    TukeyResult
        ``lam = sum a_i b_j y_ij / (sum a_i^2 sum b_j^2)``: the fitted ``lambda`` of
        ``y_ij = m + a_i + b_j + lambda a_i b_j``.
    """
    y = np.asarray(table, dtype=np.float64)
    if y.ndim != 2:
        raise InputError(f"table must be 2-dimensional (rows x columns). Received shape {y.shape}.")
    r, c = y.shape
    if (r - 1) * (c - 1) < 2:
        raise InputError(f"Tukey's test needs (rows - 1)(columns - 1) >= 2 to leave a residual degree of "
                         f"freedom; received a {r} x {c} table.")
    if not np.all(np.isfinite(y)):
        raise InputError("table holds NaN or infinite values.")
    gm = y.mean()
    a = y.mean(axis=1) - gm
    b = y.mean(axis=0) - gm
    resid = y - gm - a[:, None] - b[None, :]
    ss_int = float((resid ** 2).sum())
    saa, sbb = float((a ** 2).sum()), float((b ** 2).sum())
    num = float((a[:, None] * b[None, :] * y).sum())
    if saa * sbb <= 0:
        lam, ss_n = 0.0, 0.0
    else:
        lam = num / (saa * sbb)
        ss_n = num ** 2 / (saa * sbb)
    df_den = (r - 1) * (c - 1) - 1
    ss_res = max(ss_int - ss_n, 0.0)
    f, p = _f_pvalue(ss_n, 1, ss_res, df_den, float(((y - gm) ** 2).sum()))
    return TukeyResult(float(lam), f, p, 1, df_den, ss_n, ss_res)


# ----------------------------------------------------------------------------- grids through a model
def _call(predict, x: np.ndarray, task: int, batch_size: int) -> np.ndarray:
    out = []
    for s in range(0, len(x), batch_size):
        y = np.asarray(predict(x[s:s + batch_size]))
        if y.ndim == 1:
            y = y[:, None]
        if y.ndim != 2 or y.shape[0] != len(x[s:s + batch_size]):
            raise InputError(f"predict must return an array of shape (N, T); received shape {y.shape} "
                             f"for {len(x[s:s + batch_size])} sequences.")
        if not 0 <= task < y.shape[1]:
            raise InputError(f"task={task} is out of range: predict returns {y.shape[1]} output(s).")
        col = y[:, task].astype(np.float64)
        if not np.all(np.isfinite(col)):
            raise InputError("predict returned NaN or infinite values.")
        out.append(col)
    return np.concatenate(out)


def _consensus(m: Motif) -> np.ndarray:
    w = m.width
    inst = np.zeros((w, 4), np.float32)
    inst[np.arange(w), np.argmax(m.pwm, axis=1)] = 1.0
    return inst


def _sample(m: Motif, n: int, rng) -> np.ndarray:
    cum = np.cumsum(m.pwm, axis=1)
    cum[:, -1] = 1.0
    u = rng.random((n, m.width))
    idx = (u[:, :, None] > cum[None]).sum(axis=2)
    out = np.zeros((n, m.width, 4), np.float32)
    out[np.arange(n)[:, None], np.arange(m.width)[None], idx] = 1.0
    return out


def _starts(wa: int, wb: int, d: int, length: int) -> tuple[int, int] | None:
    """Centre the span of A at 0 and B at ``d``; None when they overlap or leave the sequence."""
    if not (d >= wa or d <= -wb):
        return None
    lo, hi = min(0, d), max(wa, d + wb)
    sa = (length - (hi - lo)) // 2 - lo
    sb = sa + d
    if sa < 0 or sb < 0 or sa + wa > length or sb + wb > length:
        return None
    return sa, sb


def double_mutant_grid(predict: Callable, backgrounds, inst_a: np.ndarray, inst_b: np.ndarray,
                       distance: int, orientation: str = "++", *, task: int = 0,
                       batch_size: int = 1024) -> np.ndarray:
    """The 2 x 2 grid ``y[n, i, j]`` of one motif pair at one distance and orientation.

    Parameters
    ----------
    predict : callable ``(N, L, 4) -> (N, T)``
    backgrounds : float32 (N, L, 4)
    inst_a, inst_b : float32 (W, 4)
        One-hot instances (forward strand) of A and B.
    distance : int
        ``start_B - start_A`` (bp); the pair's span is centred in the sequence.
    orientation : str
        Strand of A + strand of B.

    Returns
    -------
    float64 (N, 2, 2): ``[n, 0, 0]`` neither, ``[n, 1, 0]`` A only, ``[n, 0, 1]`` B only,
    ``[n, 1, 1]`` both.
    """
    bg = check_onehot(backgrounds, "backgrounds")
    if orientation not in ORIENTATIONS:
        raise InputError(f"orientation must be one of {ORIENTATIONS}. Received {orientation!r}.")
    n, L, _ = bg.shape
    st = _starts(inst_a.shape[0], inst_b.shape[0], int(distance), L)
    if st is None:
        raise InputError(f"motifs of widths {inst_a.shape[0]} and {inst_b.shape[0]} at distance {distance} "
                         f"overlap or do not fit in sequences of length {L}.")
    x = _grid_inputs(bg, inst_a, inst_b, int(distance), orientation)
    y = _call(predict, x.reshape(4 * n, L, 4), task, batch_size).reshape(4, n)
    return np.stack([np.stack([y[0], y[2]], 1), np.stack([y[1], y[3]], 1)], 1)


def _grid_inputs(bg: np.ndarray, inst_a: np.ndarray, inst_b: np.ndarray, distance: int, orientation: str) -> np.ndarray:
    """``(4, N, L, 4)``: backgrounds with neither, A, B, both (the pair's span centred)."""
    st = _starts(inst_a.shape[0], inst_b.shape[0], distance, bg.shape[1])
    assert st is not None  # both callers keep only placements that fit
    sa, sb = st
    x = np.repeat(bg[None], 4, axis=0)
    wa, wb = inst_a.shape[0], inst_b.shape[0]
    a = inst_a if orientation[0] == "+" else inst_a[::-1, ::-1]
    b = inst_b if orientation[1] == "+" else inst_b[::-1, ::-1]
    x[1:4:2, :, sa:sa + wa] = a
    x[2:4, :, sb:sb + wb] = b
    return x


def _check_common(predict, motifs, backgrounds, orientations, distances):
    if not callable(predict):
        raise InputError(f"predict must be a callable (N, L, 4) -> (N, T). Received {type(predict).__name__}.")
    motifs = list(motifs)
    if len(motifs) < 2 or not all(isinstance(m, Motif) for m in motifs):
        raise InputError("motifs must be a list of at least two Motif objects.")
    names = [m.name for m in motifs]
    if len(set(names)) != len(names):
        raise InputError(f"motif names must be unique; received {names}.")
    bg = check_onehot(backgrounds, "backgrounds")
    oris = list(orientations)
    for o in oris:
        if o not in ORIENTATIONS:
            raise InputError(f"orientations must be drawn from {ORIENTATIONS}. Received {o!r}.")
    d = np.unique(np.asarray(list(distances), dtype=np.int64))
    if d.size == 0:
        raise InputError("distances is empty.")
    return motifs, bg, oris, d


def anova_pairs(predict: Callable, motifs: Sequence[Motif], backgrounds, *,
                distances: Sequence[int] = range(-60, 61, 10), orientations: Sequence[str] = ORIENTATIONS,
                task: int = 0, batch_size: int = 1024, progress: bool = False):
    """Two-way ANOVA interaction test of every unordered motif pair through a model.

    For each pair (A, B), signed distance and orientation, consensus instances are written into
    every background (2 x 2 grid per background) and :func:`anova_interaction` tests the A x B
    term. Pair p-value: the smallest cell p-value times the number of cells (Bonferroni, capped
    at 1); BH q-values over pairs. ``effect``: the mean double difference of that cell (output
    units, the in-silico scan's effect). Model calls: ``4 N`` per cell.

    Use it as the textbook check of the in-silico scan (same experiment, an F-test with the
    scatter of all four cells as the error term) on a coarse distance grid.

    Parameters
    ----------
    predict : callable ``(N, L, 4) float32 -> (N, T)``
    motifs : list of Motif (K >= 2, unique names)
    backgrounds : float32 (N, L, 4), N >= 2
    distances : ints, signed bp between the starts (overlapping placements are skipped)
    orientations : subset of ``("++", "+-", "-+", "--")``
    task : int
        Output column of ``predict``.

    Returns
    -------
    pandas.DataFrame, the pair table (``method="anova"``) with ``f``, ``n_cells``.
    """
    from .pair_table import finish_pair_table

    motifs, bg, oris, dist = _check_common(predict, motifs, backgrounds, orientations, distances)
    if bg.shape[0] < 2:
        raise InputError("backgrounds must hold at least 2 sequences for the ANOVA's error term.")
    rows = []
    K = len(motifs)
    for i in range(K):
        for j in range(i + 1, K):
            ia, ib = _consensus(motifs[i]), _consensus(motifs[j])
            cells = [(int(d), o) for d in dist if _starts(ia.shape[0], ib.shape[0], int(d), bg.shape[1]) is not None
                     for o in oris]
            best = None
            n_cells = len(cells)
            if cells:
                # every cell of the pair in one model call: (cells, 4, N, L, 4)
                xs = np.stack([_grid_inputs(bg, ia, ib, d, o) for d, o in cells])
                y = _call(predict, xs.reshape(-1, *bg.shape[1:]), task, batch_size).reshape(len(cells), 4, -1)
                for (d, o), yc in zip(cells, y):
                    grid = np.stack([np.stack([yc[0], yc[2]], 1), np.stack([yc[1], yc[3]], 1)], 1)
                    res = anova_interaction(grid)
                    if best is None or (res.p_value, -abs(res.effect)) < (best[0].p_value, -abs(best[0].effect)):
                        best = (res, d, o)
            if best is None:
                continue
            res, d, o = best
            rows.append({"motif_a": motifs[i].name, "motif_b": motifs[j].name, "distance": d, "orientation": o,
                         "effect": res.effect, "p_value": min(1.0, res.p_value * n_cells), "f": res.f,
                         "n_cells": n_cells})
            if progress:
                import sys
                print(f"anova: {motifs[i].name}-{motifs[j].name} done", file=sys.stderr)
    if not rows:
        raise InputError("no distance in distances places the motifs without overlap inside the sequences.")
    df = finish_pair_table(rows, "anova")
    df["distance"] = df["distance"].astype("Int64")
    return df


def tukey_pairs(predict: Callable, motifs: Sequence[Motif], backgrounds, *, n_variants: int = 4,
                distances: Sequence[int] = (20,), orientation: str = "++", task: int = 0,
                batch_size: int = 1024, seed=0):
    """Tukey's 1-df non-additivity test of every unordered motif pair through a model.

    The grid: rows = A absent + ``n_variants`` instances of A sampled from its PWM (different
    strengths), columns = the same for B; each cell is the mean output over the backgrounds with
    that A variant and that B variant written at ``distance``. Pair p-value: smallest over
    ``distances`` times their number; ``effect`` = ``lam`` of that distance (1 / output units).

    Use it for multiplicative (scaling) interactions and as a cheap screen: ``(n_variants + 1)^2
    N`` model calls per pair and distance.

    Returns
    -------
    pandas.DataFrame, the pair table (``method="tukey"``) with ``f``, ``n_cells``.
    """
    from .pair_table import finish_pair_table

    motifs, bg, _, dist = _check_common(predict, motifs, backgrounds, [orientation], distances)
    if isinstance(n_variants, bool) or int(n_variants) < 2:
        raise InputError(f"n_variants must be an integer >= 2 (Tukey needs a 3 x 3 grid). Received {n_variants!r}.")
    rng = check_seed(seed)
    n, L, _ = bg.shape
    V = int(n_variants)
    rows = []
    K = len(motifs)
    variants = [_sample(m, V, rng) for m in motifs]
    for i in range(K):
        for j in range(i + 1, K):
            best, n_cells = None, 0
            for d in dist:
                st = _starts(motifs[i].width, motifs[j].width, int(d), L)
                if st is None:
                    continue
                sa, sb = st
                x = np.repeat(bg[None, None], V + 1, axis=0).repeat(V + 1, axis=1)  # (V+1, V+1, N, L, 4)
                va = variants[i] if orientation[0] == "+" else variants[i][:, ::-1, ::-1]
                vb = variants[j] if orientation[1] == "+" else variants[j][:, ::-1, ::-1]
                x[1:, :, :, sa:sa + va.shape[1]] = va[:, None, None]
                x[:, 1:, :, sb:sb + vb.shape[1]] = vb[None, :, None]
                y = _call(predict, x.reshape(-1, L, 4), task, batch_size).reshape(V + 1, V + 1, n).mean(axis=2)
                res = tukey_nonadditivity(y)
                n_cells += 1
                if best is None or res.p_value < best[0].p_value:
                    best = (res, int(d))
            if best is None:
                continue
            res, d = best
            rows.append({"motif_a": motifs[i].name, "motif_b": motifs[j].name, "distance": d,
                         "orientation": orientation, "effect": res.lam,
                         "p_value": min(1.0, res.p_value * n_cells), "f": res.f, "n_cells": n_cells})
    if not rows:
        raise InputError("no distance in distances places the motifs without overlap inside the sequences.")
    df = finish_pair_table(rows, "tukey")
    df["distance"] = df["distance"].astype("Int64")
    return df
