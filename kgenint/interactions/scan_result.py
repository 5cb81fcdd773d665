"""The result of an in-silico pair scan: per-cell statistics, the pair table, HDF5 storage.

Statistics are computed from per-background contrasts only: nothing in a cell's or a pair's
p-value, confidence interval, ranking or choice of strongest cell depends on the other pairs of
the scan (the q-values, by definition, are the only quantities taken over several pairs).
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import warnings
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from ..errors import InputError
from .pair_table import bh_qvalues, finish_pair_table

__all__ = ["InteractionScan", "load", "cell_statistics", "combine_pvalues", "reference_bounds", "cell_margins",
           "REFERENCES", "FORMAT_VERSION"]

FORMAT_VERSION = 2
_CELL_ARRAYS = ("effect", "se", "ci_low", "ci_high", "t", "p", "q")


def cell_statistics(contrasts: np.ndarray, margin: float | np.ndarray = 0.0, confidence: float = 0.95):
    """Mean, se, CI, t and p of contrasts ``(..., N)`` along the last axis.

    The p-value tests ``H0: |mu| <= margin`` (the two one-sided shifts of the t statistic:
    ``t = (|mean| - margin) / se``, ``p = 2 * P(T_{N-1} >= t)`` capped at 1); with ``margin = 0``
    it is the two-sided one-sample t-test. Cells with ``se = 0`` get ``p = 0`` when
    ``|mean| > margin`` and ``1`` otherwise. NaN cells stay NaN; with ``N = 1`` every p is NaN.

    Returns
    -------
    mean, se, ci_low, ci_high, t, p : float64 arrays of shape ``contrasts.shape[:-1]``
    """
    from scipy import stats

    c = np.asarray(contrasts, dtype=np.float64)
    n = c.shape[-1]
    fin = np.isfinite(c)
    if not (fin.all(axis=-1) | ~fin.any(axis=-1)).all():
        return _cell_statistics_partial(c, fin, margin, confidence)
    mean = c.mean(axis=-1)
    if n > 1:
        se = c.std(axis=-1, ddof=1) / math.sqrt(n)
        tcrit = stats.t.ppf(0.5 + confidence / 2, n - 1)
    else:
        se = np.full(mean.shape, np.nan)
        tcrit = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, mean / se, np.sign(mean) * np.inf)
        shifted = np.where(se > 0, (np.abs(mean) - margin) / se,
                           np.where(np.abs(mean) > margin, np.inf, -np.inf))
    p = np.minimum(1.0, 2 * stats.t.sf(shifted, n - 1)) if n > 1 else np.full(mean.shape, np.nan)
    nan = ~np.isfinite(mean)
    t[nan] = np.nan
    p[nan] = np.nan
    if n > 1:
        zero = (mean == 0) & ~(se > 0)
        p[zero] = 1.0
    return mean, se, mean - tcrit * se, mean + tcrit * se, t, p


def _cell_statistics_partial(c, fin, margin, confidence):
    """:func:`cell_statistics` for cells with different numbers of finite contrasts (an adaptive
    scan: unfilled backgrounds are NaN); each cell uses its own ``n`` (NaN statistics where n < 2)."""
    from scipy import stats

    n = fin.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, np.nansum(c, axis=-1) / n, np.nan)
        dev = np.where(fin, c - mean[..., None], 0.0)
        se = np.where(n > 1, np.sqrt((dev ** 2).sum(axis=-1) / (n - 1) / n), np.nan)
        df = np.where(n > 1, n - 1, np.nan)
        tcrit = stats.t.ppf(0.5 + confidence / 2, df)
        t = np.where(se > 0, mean / se, np.sign(mean) * np.inf)
        shifted = np.where(se > 0, (np.abs(mean) - margin) / se, np.where(np.abs(mean) > margin, np.inf, -np.inf))
        p = np.minimum(1.0, 2 * stats.t.sf(shifted, df))
    bad = ~(n > 1) | ~np.isfinite(mean)
    t[~np.isfinite(mean)] = np.nan
    p[bad] = np.nan
    p[(mean == 0) & ~(se > 0) & (n > 1)] = 1.0
    return mean, se, mean - tcrit * se, mean + tcrit * se, t, p


def combine_pvalues(p: np.ndarray, method: str = "simes") -> float:
    """One p-value for a family of cell p-values (NaN ignored; NaN when none is finite).

    ``"simes"``: ``min_i m p_(i) / i`` (valid under independence and positive dependence, as
    between neighbouring distances of one pair; powerful when an interaction holds at many
    cells). ``"bonferroni"``: ``min(1, m p_(1))`` (valid under any dependence).
    """
    pc = np.sort(np.asarray(p, dtype=np.float64)[np.isfinite(p)])
    if pc.size == 0:
        return float("nan")
    if method == "simes":
        return float(min(1.0, np.min(pc * pc.size / np.arange(1, pc.size + 1))))
    if method == "bonferroni":
        return float(min(1.0, pc[0] * pc.size))
    raise InputError(f"method must be 'simes' or 'bonferroni'. Received: method={method!r}")


REFERENCES: tuple[str, ...] = ("other_pairs", "none")
MIN_REFERENCE_PAIRS = 10
MIN_REFERENCE_CELLS = 50


def _robust_bound(v: np.ndarray) -> float:
    """``|median(v)| + 3 * 1.4826 * MAD(v)``: the edge of the bulk of ``v`` (a robust 3 sd)."""
    med = float(np.median(v))
    return abs(med) + 3.0 * 1.4826 * float(np.median(np.abs(v - med)))


def reference_bounds(cell_means: np.ndarray, *, min_pairs: int = MIN_REFERENCE_PAIRS,
                     min_cells: int = MIN_REFERENCE_CELLS) -> np.ndarray:
    """What the model does to *other* motif pairs at each distance: the leave-pair-out reference.

    For the unordered pair ``{a, b}`` and distance index ``d``: ``|median| + 3 * 1.4826 * MAD`` of
    the mean control-adjusted effects of every cell (both ordered blocks, every orientation) of the
    heterotypic pairs that share *neither* motif with ``{a, b}``, at distance ``d`` (neighbouring
    distances pooled until ``min_cells`` cells). 0 where fewer than ``min_pairs`` such pairs were
    scanned: a scan of two or three motifs is tested against its controls alone.

    Why: a trained CNN is non-additive for *any* two of the motifs it learned when they sit close
    together (the features compete in the layers above; measured on models trained on purely
    additive data: 0.5-1.3 logits at 0-3 bp between the sites, for most pairs), and control inserts
    cannot carry that, since they activate none of the model's features. A pair whose interaction
    does not exceed what the model does to unrelated pairs at the same distance is not a pair
    rule. Leaving out every pair that shares a motif means a rule can never be its own reference
    (the failure of a scan-wide bulk: with one strong rule it *is* the bulk).

    Parameters
    ----------
    cell_means : float (K, K, D, O)
        Mean effect of every cell, NaN where not scanned.

    Returns
    -------
    float64 (K, K, D)
        Symmetric in ``(a, b)``; the bound for the pair's cells at each distance.
    """
    m = np.asarray(cell_means, dtype=np.float64)
    K, _, D, O = m.shape
    out = np.zeros((K, K, D))
    het = ~np.eye(K, dtype=bool)
    for a in range(K):
        for b in range(a, K):
            keep = np.ones(K, dtype=bool)
            keep[[a, b]] = False
            idx = np.flatnonzero(keep)
            if idx.size < 2:
                continue
            sub = m[np.ix_(idx, idx)]  # (k, k, D, O)
            mask = het[np.ix_(idx, idx)]
            scanned = np.isfinite(sub).any(axis=(2, 3)) & mask
            n_pairs = int(np.triu(scanned | scanned.T, 1).sum())
            if n_pairs < min_pairs:
                continue
            vals = sub[mask]  # (cells, D, O)
            per_d = [v[np.isfinite(v)] for v in np.moveaxis(vals, 1, 0).reshape(D, -1)]
            counts = np.array([v.size for v in per_d])
            for d in range(D):
                lo = hi = d
                n = counts[d]
                while n < min_cells and (lo > 0 or hi < D - 1):
                    if lo > 0:
                        lo -= 1
                        n += counts[lo]
                    if hi < D - 1 and n < min_cells:
                        hi += 1
                        n += counts[hi]
                v = np.concatenate(per_d[lo:hi + 1])
                if v.size >= min_cells:
                    out[a, b, d] = out[b, a, d] = _robust_bound(v)
    return out


def cell_margins(contrasts: np.ndarray, margin: float, reference: str) -> tuple[np.ndarray, np.ndarray]:
    """Margin of every cell, ``max(margin, reference bound)``, as ``(K, K, D, 1)``, and the bounds."""
    if reference not in REFERENCES:
        raise InputError(f"reference must be one of {REFERENCES}. Received: reference={reference!r}")
    K, _, D = contrasts.shape[:3]
    if reference == "none":
        bounds = np.zeros((K, K, D))
    else:
        with warnings.catch_warnings():  # all-NaN cells (skipped placements) give NaN means
            warnings.simplefilter("ignore", RuntimeWarning)
            bounds = reference_bounds(np.nanmean(np.asarray(contrasts, dtype=np.float64), axis=-1))
    return np.maximum(float(margin), bounds)[..., None], bounds


def _plateau_centre(flat_idx: np.ndarray, shape: tuple[int, int]) -> tuple[int, int]:
    """``(distance index, orientation index)`` at the centre of tied cells ``flat_idx`` of a
    ``(D, O)`` block: the first orientation with most tied cells, the tied distance in it nearest
    the median (the lower one of two)."""
    di, oi = np.unravel_index(flat_idx, shape)
    o = int(np.argmax(np.bincount(oi, minlength=shape[1])))
    ds = np.sort(di[oi == o])
    return int(ds[(len(ds) - 1) // 2]), o


@dataclass
class InteractionScan:
    """Result of an in-silico pairwise scan (:func:`kgenint.interactions.scan_pairs`).

    Attributes
    ----------
    motif_names : list of str, length K
    distances : int64 (D,)
        Signed bp from the start of A to the start of B.
    orientations : tuple of str, length O
    effect, se, ci_low, ci_high, t, p, q : float64 (K, K, D, O)
        Per cell: the mean interaction across backgrounds (output units: logits or outputs, see
        ``params["scale"]``), its standard error, confidence interval, t statistic, p-value (of
        ``|effect| <= margin``) and BH q-value over all cells. With ``controls="shuffle"`` the
        interaction is the control-adjusted contrast
        ``f(A,B) - f(A,C_B) - f(C_A,B) + f(C_A,C_B)``; with ``controls="none"`` the classical
        ``f(A,B) - f(A) - f(B) + f(neither)``. NaN where the placement was skipped.
    raw_effect : float64 (K, K, D, O)
        Mean classical contrast ``f(A,B) - f(A) - f(B) + f(neither)`` (equals ``effect`` without
        controls). ``raw_effect - effect`` is what any two inserts at those places do.
    main_a, main_b : float64 (K, K, D, O)
        Mean main effects ``f(A) - f(neither)`` and ``f(B) - f(neither)`` at the cell's
        placement and strands.
    n_backgrounds : int
    contrasts : float32 (K, K, D, O, N) or None
        Per-background contrasts behind ``effect`` (for :meth:`restat` and plots).
    main_effects : float64 (K, 2)
        Mean ``f(A) - f(neither)`` of each motif at the sequence centre on each strand.
    margin : float
        Smallest interaction tested for (output units; 0: the ordinary t-test).
    reference : {"other_pairs", "none"}
        Whether cells were also tested against what the model does to unrelated motif pairs at
        the same distance (:func:`reference_bounds`).
    reference_bound : float64 (K, K, D)
        That reference per pair and distance (0 where fewer than 10 unrelated pairs were scanned).
        A cell is tested against ``|effect| <= max(margin, reference_bound)``.
    controls : {"shuffle", "gc", "none"}
    skipped : int
        Cells skipped (overlap, ``min_gap``, sequence edge).
    params : dict
        The scan's parameters and cost (``n_predicted``, ``predict_seconds``).
    """

    motif_names: list[str]
    distances: np.ndarray
    orientations: tuple[str, ...]
    effect: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    t: np.ndarray
    p: np.ndarray
    q: np.ndarray
    n_backgrounds: int
    raw_effect: np.ndarray | None = None
    main_a: np.ndarray | None = None
    main_b: np.ndarray | None = None
    contrasts: np.ndarray | None = None
    main_effects: np.ndarray | None = None
    margin: float = 0.0
    controls: str = "shuffle"
    skipped: int = 0
    params: dict = field(default_factory=dict)
    reference: str = "none"
    reference_bound: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.raw_effect is None:
            self.raw_effect = self.effect
        if self.reference_bound is None:
            self.reference_bound = np.zeros(self.effect.shape[:3])
        for name in ("main_a", "main_b"):
            if getattr(self, name) is None:
                setattr(self, name, np.full(self.effect.shape, np.nan))

    def _filled(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(raw_effect, main_a, main_b, reference_bound)``, arrays once constructed:
        ``__post_init__`` fills their ``None`` defaults (the fields admit ``None`` only for it)."""
        return (cast(np.ndarray, self.raw_effect), cast(np.ndarray, self.main_a),
                cast(np.ndarray, self.main_b), cast(np.ndarray, self.reference_bound))

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return self.effect.shape  # type: ignore[return-value]

    @property
    def p_value(self) -> np.ndarray:
        """Cell p-values (alias of ``p``)."""
        return self.p

    @property
    def q_value(self) -> np.ndarray:
        """Cell q-values (alias of ``q``)."""
        return self.q

    def rel_effect(self) -> np.ndarray:
        """``effect / (|main_a| + |main_b|)`` per cell: the interaction as a fraction of the two
        main effects (NaN where both main effects are 0, as for a pure AND rule)."""
        _, main_a, main_b, _ = self._filled()
        den = np.abs(main_a) + np.abs(main_b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den > 1e-9, self.effect / den, np.nan)

    @property
    def cell_margin(self) -> np.ndarray:
        """The margin each cell was tested against, ``(K, K, D, 1)``: ``max(margin, reference_bound)``."""
        return np.maximum(self.margin, self._filled()[3])[..., None]

    def lower_bound(self) -> np.ndarray:
        """Lower confidence bound of ``|effect|`` per cell, ``max(ci_low, -ci_high)``: how large
        the interaction surely is (negative when the interval holds 0)."""
        with np.errstate(invalid="ignore"):
            return np.fmax(self.ci_low, -self.ci_high)

    def to_frame(self, *, valid_only: bool = True):
        """Tidy table, one row per cell.

        Columns: ``motif_a motif_b distance orientation effect ci_low ci_high p_value q_value se t
        raw_effect main_a main_b rel_effect``.
        """
        import pandas as pd

        K, _, D, O = self.effect.shape
        raw_effect, main_a, main_b, _ = self._filled()
        a, b, d, o = np.meshgrid(np.arange(K), np.arange(K), np.arange(D), np.arange(O), indexing="ij")
        names = np.array(self.motif_names, dtype=object)
        df = pd.DataFrame({
            "motif_a": names[a.ravel()], "motif_b": names[b.ravel()],
            "distance": self.distances[d.ravel()],
            "orientation": np.array(self.orientations, dtype=object)[o.ravel()],
            "effect": self.effect.ravel(), "ci_low": self.ci_low.ravel(), "ci_high": self.ci_high.ravel(),
            "p_value": self.p.ravel(), "q_value": self.q.ravel(), "se": self.se.ravel(), "t": self.t.ravel(),
            "raw_effect": raw_effect.ravel(), "main_a": main_a.ravel(), "main_b": main_b.ravel(),
            "rel_effect": self.rel_effect().ravel(),
        })
        if valid_only:
            df = df[np.isfinite(df["effect"].to_numpy())].reset_index(drop=True)
        return df

    def _best_cell(self, blocks, lcb, absval):
        best = None
        for (i, j) in blocks:
            valid = np.isfinite(self.effect[i, j])
            if not valid.any():
                continue
            k1 = np.where(valid, np.nan_to_num(lcb[i, j], nan=-np.inf), -np.inf)
            k2 = np.where(valid, absval[i, j], -np.inf)
            top = np.flatnonzero(k1.ravel() == k1.max())
            top = top[k2.ravel()[top] == k2.ravel()[top].max()]
            di, oi = _plateau_centre(top, k1.shape)
            cand = (float(k1[di, oi]), float(k2[di, oi]), i, j, di, oi)
            if best is None or cand[:2] > best[:2]:
                best = cand
        return best

    def pairs(self, method: str = "simes"):
        """The pair table (``docs/api.md``): one row per unordered motif pair.

        Parameters
        ----------
        method : {"simes", "bonferroni"}
            How the cell p-values of a pair (both ordered blocks, every distance and orientation)
            are combined into the pair's ``p_value`` (:func:`combine_pvalues`); ``q_value`` is BH
            over the pairs.

        Returns
        -------
        DataFrame
            ``motif_a motif_b distance orientation effect ci_low ci_high p_value q_value method``
            then ``se t raw_effect control_effect main_a main_b rel_effect rel_ci_low
            rel_ci_high lcb margin p_cell n_cells score``, sorted by ``q_value``, then ``score``.

        Notes
        -----
        The reported cell of a pair is the one whose interaction surely exceeds its margin by the
        most: the largest ``score = lcb - margin``, where ``lcb`` is the lower confidence bound of
        ``|effect|`` and ``margin`` the cell's ``max(margin, reference_bound)`` (ties by
        ``|effect|``; a plateau of tied cells, as a deterministic model gives over a spacing
        window, reports its centre). ``distance`` and ``orientation`` are in that cell's
        ``(motif_a, motif_b)`` frame. ``score`` ranks pairs with equal q-values. Without a
        reference (``reference="none"``, or fewer than 10 unrelated pairs scanned) nothing here
        depends on the other motifs of the scan; with it, only the reference bound does, and it
        never uses a pair that shares a motif with this one. ``rel_effect`` = ``effect /
        (|main_a| + |main_b|)`` with its interval (main effects taken as known); NaN when both
        main effects are 0.
        """
        if method not in ("simes", "bonferroni"):
            raise InputError(f"method must be 'simes' or 'bonferroni'. Received: method={method!r}")
        K = self.effect.shape[0]
        lcb = self.lower_bound()
        excess = lcb - self.cell_margin
        absval = np.abs(np.nan_to_num(self.effect))
        rel = self.rel_effect()
        raw_effect, main_a, main_b, _ = self._filled()
        rows = []
        for a in range(K):
            for b in range(a, K):
                blocks = [(a, b)] if a == b else [(a, b), (b, a)]
                best = self._best_cell(blocks, excess, absval)
                if best is None:
                    continue
                _, _, i, j, di, oi = best
                c = (i, j, di, oi)
                pc = np.concatenate([self.p[x, y].ravel() for (x, y) in blocks])
                den = abs(main_a[c]) + abs(main_b[c])
                rows.append({
                    "motif_a": self.motif_names[i], "motif_b": self.motif_names[j],
                    "distance": int(self.distances[di]), "orientation": self.orientations[oi],
                    "effect": float(self.effect[c]), "ci_low": float(self.ci_low[c]),
                    "ci_high": float(self.ci_high[c]), "p_value": combine_pvalues(pc, method),
                    "se": float(self.se[c]), "t": float(self.t[c]), "raw_effect": float(raw_effect[c]),
                    "control_effect": float(raw_effect[c] - self.effect[c]),
                    "main_a": float(main_a[c]), "main_b": float(main_b[c]),
                    "rel_effect": float(rel[c]),
                    "rel_ci_low": float(self.ci_low[c] / den) if den > 1e-9 else float("nan"),
                    "rel_ci_high": float(self.ci_high[c] / den) if den > 1e-9 else float("nan"),
                    "lcb": float(lcb[c]), "margin": float(self.cell_margin[c[:3]][0]),
                    "p_cell": float(self.p[c]), "n_cells": int(np.isfinite(pc).sum()),
                    "score": float(excess[c]),
                })
        df = finish_pair_table(rows, "insilico")
        if len(df):
            df = df.sort_values(["q_value", "score"], ascending=[True, False], kind="mergesort",
                                na_position="last").reset_index(drop=True)
        return df

    def _restat_args(self, margin: float | None, confidence: float | None,
                     reference: str | None) -> tuple[float, float, str]:
        """``(margin, confidence, reference)`` of :meth:`restat`: the given ones checked, or the scan's own."""
        m = self.margin if margin is None else float(margin)
        if not m >= 0:
            raise InputError(f"margin must be >= 0. Received: margin={margin}")
        c = self.params.get("confidence", 0.95) if confidence is None else float(confidence)
        if not 0 < c < 1:
            raise InputError(f"confidence must be in (0, 1). Received: confidence={confidence}")
        ref = self.reference if reference is None else reference
        return m, c, ref

    def restat(self, margin: float | None = None, confidence: float | None = None,
               reference: str | None = None) -> "InteractionScan":
        """The same scan with statistics recomputed from the stored per-background contrasts.

        Parameters
        ----------
        margin : float, optional
            New smallest interaction to test for (output units, >= 0); default the scan's own.
        confidence : float, optional
            New confidence level of the intervals; default the scan's own.
        reference : {"other_pairs", "none"}, optional
            Test against unrelated pairs too (:func:`reference_bounds`); default the scan's own.

        Returns
        -------
        InteractionScan
            A new object (``self`` is unchanged).
        """
        if self.contrasts is None:
            raise InputError(
                "This scan has no per-background contrasts (it was made with keep_contrasts=False); "
                "run scan_pairs again with keep_contrasts=True to recompute its statistics."
            )
        if isinstance(margin, str):
            raise InputError(
                f"margin must be a number (output units). Received: margin={margin!r}. The scan-wide "
                f"'auto' margin was replaced by control inserts (controls='shuffle')."
            )
        m, c, ref = self._restat_args(margin, confidence, reference)
        marg, bounds = cell_margins(self.contrasts, m, ref)
        mean, se, lo, hi, t, p = cell_statistics(self.contrasts, marg, c)
        params = {**self.params, "margin": m, "confidence": c, "reference": ref}
        return dataclasses.replace(self, effect=mean, se=se, ci_low=lo, ci_high=hi, t=t, p=p,
                                   q=bh_qvalues(p), margin=m, params=params, reference=ref,
                                   reference_bound=bounds)

    def strongest(self) -> np.ndarray:
        """``(K, K)`` signed effect of the strongest cell of each ordered pair (largest lower
        confidence bound of ``|effect|`` above the cell's margin, ties by ``|effect|``: the
        criterion of :meth:`pairs`)."""
        K, _, D, O = self.effect.shape
        k1 = np.nan_to_num(self.lower_bound() - self.cell_margin, nan=-np.inf).reshape(K, K, D * O)
        k2 = np.abs(np.nan_to_num(self.effect, nan=-np.inf)).reshape(K, K, D * O)
        ties = k1 == k1.max(axis=-1, keepdims=True)
        best = np.argmax(np.where(ties, k2, -np.inf), axis=-1)
        out = np.take_along_axis(self.effect.reshape(K, K, D * O), best[..., None], axis=-1)[..., 0]
        out[~np.isfinite(self.effect).reshape(K, K, D * O).any(axis=-1)] = np.nan
        return out

    def save(self, path: str | os.PathLike) -> None:
        """Write the scan to HDF5 atomically (layout in :func:`load`)."""
        import h5py

        from .._io import atomic_path

        def check(tmp: str) -> None:  # re-open and compare the layout before the rename (no full read)
            with h5py.File(tmp, "r") as h:
                names = [v.decode() if isinstance(v, bytes) else str(v) for v in h["motif_names"][()]]
                ok = h["effect"].shape == self.effect.shape and names == list(self.motif_names)
                ok = ok and (self.contrasts is None or h["contrasts"].shape == self.contrasts.shape)
            if not ok:
                raise OSError(f"{path}: the written scan does not read back with the layout written")

        with atomic_path(path, check=check) as tmp:
            with h5py.File(tmp, "w") as h:
                _write_scan(h, self)


def _write_scan(h, scan: InteractionScan) -> None:
    import h5py

    sd = h5py.string_dtype()
    h.attrs["kgenint_format"] = "interaction_scan"
    h.attrs["format_version"] = FORMAT_VERSION
    h.attrs["params"] = json.dumps(scan.params)
    h.attrs["margin"] = scan.margin
    h.attrs["controls"] = scan.controls
    h.attrs["reference"] = scan.reference
    h.attrs["n_backgrounds"] = scan.n_backgrounds
    h.attrs["skipped"] = scan.skipped
    h.create_dataset("motif_names", data=np.array(scan.motif_names, dtype=object), dtype=sd)
    h.create_dataset("distances", data=scan.distances)
    h.create_dataset("orientations", data=np.array(scan.orientations, dtype=object), dtype=sd)
    for name in _CELL_ARRAYS + ("raw_effect", "main_a", "main_b", "reference_bound"):
        h.create_dataset(name, data=getattr(scan, name), compression="gzip")
    if scan.main_effects is not None:
        h.create_dataset("main_effects", data=scan.main_effects)
    if scan.contrasts is not None:
        h.create_dataset("contrasts", data=scan.contrasts, compression="gzip", chunks=True)


def load(path: str | os.PathLike) -> InteractionScan:
    """Read an :class:`InteractionScan` written by :meth:`InteractionScan.save`.

    HDF5 layout (``format_version`` 2): attrs ``kgenint_format="interaction_scan"``,
    ``format_version``, ``params`` (JSON), ``margin``, ``controls``, ``n_backgrounds``,
    ``skipped``; datasets ``motif_names (K,)``, ``distances (D,)``, ``orientations (O,)``,
    ``effect se ci_low ci_high t p q raw_effect main_a main_b (K, K, D, O)``,
    ``reference_bound (K, K, D)``, attr ``reference``, optional
    ``main_effects (K, 2)`` and ``contrasts (K, K, D, O, N)``. Version 1 files (classical
    contrasts, no controls) are read with ``controls="none"``.
    """
    from .._io import open_result

    with open_result(os.fspath(path), "interaction_scan", FORMAT_VERSION, "interaction scan") as h:
        dec = lambda a: [v.decode() if isinstance(v, bytes) else str(v) for v in a]  # noqa: E731
        opt = lambda k: h[k][()] if k in h else None  # noqa: E731
        return InteractionScan(
            motif_names=dec(h["motif_names"][()]),
            distances=h["distances"][()],
            orientations=tuple(dec(h["orientations"][()])),
            **{k: h[k][()] for k in _CELL_ARRAYS},
            n_backgrounds=int(h.attrs["n_backgrounds"]),
            raw_effect=opt("raw_effect"), main_a=opt("main_a"), main_b=opt("main_b"),
            contrasts=opt("contrasts"), main_effects=opt("main_effects"),
            margin=float(h.attrs["margin"]),
            controls=str(h.attrs.get("controls", "none")),
            reference=str(h.attrs.get("reference", "none")), reference_bound=opt("reference_bound"),
            skipped=int(h.attrs["skipped"]),
            params=json.loads(h.attrs["params"]),
        )
