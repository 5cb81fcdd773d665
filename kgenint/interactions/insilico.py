"""Exhaustive in-silico pairwise motif-distance scans through any model.

For every ordered pair of motifs ``(a, b)``, every distance ``d`` (bp from the start of A to the
start of B, signed: ``d > 0`` puts B downstream of A on the + strand of the sequence) and every
orientation ``o`` in ``("++", "+-", "-+", "--")`` (strand of A, strand of B), motif instances are
written into ``N`` background sequences and the model's output ``f`` is read four ways::

    interaction(a, b, d, o; n) = f(A and B) - f(A) - f(B) + f(neither)

per background ``n``. A purely additive model gives 0 (the double difference is the classical
epistasis contrast). Work that repeats is done once: ``f(neither)`` once per background,
``f(A at p, strand s)`` once per motif, used position and strand; only ``f(A and B)`` grows as
K^2 * D * O * N.

Placement (``anchor``):

* ``"center"`` (default): the span covered by both motifs is centred in the sequence, so neither
  motif approaches the edges more than it must;
* ``"a"``: motif A's start is fixed at the centre and B moves;
* an ``int``: A's start is fixed at that 0-based position.

Placements where the two motifs overlap, or that would leave the sequence, are skipped (their
cells are NaN) and counted in ``InteractionScan.skipped``.

Statistics per cell: mean effect across backgrounds, standard error, a two-sided t confidence
interval, and the p-value of a one-sample t-test of the per-background contrasts (the paired
test of ``f(AB) - f(A)`` against ``f(B) - f(neither)``) against an *equivalence margin*
``margin``: the null is ``|mean| <= margin`` (``margin = 0`` gives the ordinary t-test). Models are
deterministic, so background-to-background variation can be tiny and a plain t-test would call
effects far too small to matter; the margin states the smallest interaction worth reporting
(default: :func:`auto_margin`, which also absorbs the model's generic, scan-wide
non-additivity, and :func:`distance_margins`, which raises the margin at the distances where the
model treats *any* two motifs non-additively, typically when they nearly touch).
Benjamini-Hochberg q-values over all valid cells of the scan. Per unordered pair ``{a, b}``: the
strongest cell (largest lower confidence bound of ``|effect|``), its effect, distance and
orientation, and a pair p-value, the smallest cell p-value times the number of valid cells tried
for that pair (Bonferroni, capped at 1; Simes on request), BH-corrected over pairs
(:meth:`InteractionScan.pairs`).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .._kernels.insilico import assemble_jobs
from .._validate import check_onehot, check_seed
from ..errors import InputError
from ..motifs.motif import Motif
from ..progress import progress
from .pair_table import bh_qvalues

__all__ = [
    "ORIENTATIONS",
    "InteractionScan",
    "scan_pairs",
    "pair_effect",
    "motif_instances",
    "placements",
    "check_predict",
    "auto_margin",
    "distance_margins",
]

ORIENTATIONS: tuple[str, ...] = ("++", "+-", "-+", "--")
FORMAT_VERSION = 1

PredictFn = Callable[[np.ndarray], np.ndarray]


# ----------------------------------------------------------------------------- inputs
def check_predict(predict: PredictFn, x: np.ndarray, output: int) -> np.ndarray:
    """Call ``predict`` on ``x`` and check the result; returns float64 ``(N,)`` for ``output``.

    Raises
    ------
    InputError
        When the result is not ``(N, T)`` with ``T > output``, or holds NaN/inf.
    """
    y = np.asarray(predict(x))
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != x.shape[0]:
        raise InputError(
            f"predict must return an array of shape (N, T) for an input of N={x.shape[0]} "
            f"sequences. Received shape {y.shape}."
        )
    if not 0 <= output < y.shape[1]:
        raise InputError(
            f"output={output} is out of range: predict returns {y.shape[1]} output(s) per sequence."
        )
    col = y[:, output].astype(np.float64)
    if not np.all(np.isfinite(col)):
        i = int(np.flatnonzero(~np.isfinite(col))[0])
        raise InputError(
            f"predict returned a non-finite value ({col[i]}) for batch item {i}; check the model "
            f"and its input."
        )
    return col


def motif_instances(
    motifs: Sequence[Motif], n: int, *, mode: str = "consensus", seed=0
) -> tuple[np.ndarray, np.ndarray]:
    """One-hot instances of each motif for each of ``n`` backgrounds.

    Parameters
    ----------
    motifs : list of Motif, length K
    n : int
        Number of backgrounds (one instance per motif and background).
    mode : {"consensus", "sample"}
        ``"consensus"``: the most probable base at each position (the same instance for every
        background). ``"sample"``: each instance drawn from the motif's probability matrix.
    seed : int or numpy Generator
        Seed for ``mode="sample"``.

    Returns
    -------
    inst : float32 (K, n, Wmax, 4)
        Forward-strand instances, zero-padded beyond each motif's width.
    widths : int64 (K,)
    """
    if mode not in ("consensus", "sample"):
        raise InputError(f"instances must be 'consensus' or 'sample'. Received: instances={mode!r}")
    rng = check_seed(seed)
    K = len(motifs)
    widths = np.array([m.width for m in motifs], dtype=np.int64)
    inst = np.zeros((K, n, int(widths.max()), 4), dtype=np.float32)
    for k, m in enumerate(motifs):
        w = m.width
        if mode == "consensus":
            idx = np.argmax(m.pwm, axis=1)
            inst[k, :, np.arange(w), idx] = 1.0
        else:
            cum = np.cumsum(m.pwm, axis=1)
            cum[:, -1] = 1.0
            u = rng.random((n, w))
            idx = (u[:, :, None] > cum[None, :, :]).sum(axis=2)
            rows = np.broadcast_to(np.arange(w), (n, w))
            inst[k, np.arange(n)[:, None], rows, idx] = 1.0
    return inst, widths


def placements(
    wa: int, wb: int, d: int, length: int, anchor: str | int = "center", min_gap: int = 0
) -> tuple[int, int] | None:
    """Starts ``(start_a, start_b)`` of motifs of widths ``wa``, ``wb`` at distance ``d``.

    ``d = start_b - start_a``. Returns ``None`` when the motifs overlap, leave fewer than
    ``min_gap`` bases between them, or a motif leaves the sequence of length ``length``. See the
    module docstring for ``anchor``.
    """
    if not (d >= wa + min_gap or d <= -(wb + min_gap)):
        return None  # overlap, or closer than min_gap
    if anchor == "center":
        lo = min(0, d)
        hi = max(wa, d + wb)
        left = (length - (hi - lo)) // 2
        sa = left - lo
    elif anchor == "a":
        sa = (length - wa) // 2
    else:
        sa = int(anchor)
    sb = sa + d
    if sa < 0 or sb < 0 or sa + wa > length or sb + wb > length:
        return None
    return sa, sb


def _check_anchor(anchor, length):
    if anchor in ("center", "a"):
        return anchor
    if isinstance(anchor, (int, np.integer)) and 0 <= int(anchor) < length:
        return int(anchor)
    raise InputError(
        f"anchor must be 'center', 'a' or a start position in [0, {length}). Received: anchor={anchor!r}"
    )


def _check_orientations(orientations) -> list[int]:
    out = []
    for o in orientations:
        if o not in ORIENTATIONS:
            raise InputError(f"orientations must be drawn from {ORIENTATIONS}. Received {o!r}.")
        out.append(ORIENTATIONS.index(o))
    if not out:
        raise InputError("orientations is empty; give at least one of '++', '+-', '-+', '--'.")
    return out


# ----------------------------------------------------------------------------- result
@dataclass
class InteractionScan:
    """Result of an in-silico pairwise scan.

    Attributes
    ----------
    motif_names : list of str, length K
    distances : int64 (D,)
        Signed bp from the start of A to the start of B.
    orientations : tuple of str, length O
    effect, se, ci_low, ci_high, t, p, q : float64 (K, K, D, O)
        Mean interaction effect (output units, logits by default), standard error, confidence
        interval, t statistic, p-value and BH q-value. NaN where the placement was skipped.
    n_backgrounds : int
    contrasts : float32 (K, K, D, O, N) or None
        Per-background contrasts (kept for resampling and plots).
    main_effects : float64 (K, O_s=2)
        Mean ``f(A) - f(neither)`` of each motif at the sequence centre on each strand.
    margin : float
        Scan-wide equivalence margin (output units).
    margin_by_distance : float64 (D,) or None
        The margin actually used at each distance (``>= margin``): with ``margin="auto"`` the
        per-distance empirical null of :func:`distance_margins`; None means ``margin``
        everywhere.
    params : dict
        The scan's parameters (anchor, instances, output, seed ...).
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
    contrasts: np.ndarray | None = None
    main_effects: np.ndarray | None = None
    margin: float = 0.0
    skipped: int = 0
    params: dict = field(default_factory=dict)
    margin_by_distance: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return self.effect.shape  # type: ignore[return-value]

    @property
    def cell_margin(self) -> np.ndarray:
        """Margin of every cell, float64 ``(1, 1, D, 1)`` (broadcasts against ``effect``)."""
        return _cell_margins(self.margin, self.margin_by_distance, self.effect.shape[2])

    def to_frame(self, *, valid_only: bool = True):
        """Tidy table, one row per cell.

        Columns: ``motif_a motif_b distance orientation effect se ci_low ci_high t p q margin``
        (``margin``: the equivalence margin the cell was tested against).
        """
        import pandas as pd

        K, _, D, O = self.effect.shape
        a, b, d, o = np.meshgrid(np.arange(K), np.arange(K), np.arange(D), np.arange(O), indexing="ij")
        names = np.array(self.motif_names, dtype=object)
        df = pd.DataFrame(
            {
                "motif_a": names[a.ravel()],
                "motif_b": names[b.ravel()],
                "distance": self.distances[d.ravel()],
                "orientation": np.array(self.orientations, dtype=object)[o.ravel()],
                "effect": self.effect.ravel(),
                "se": self.se.ravel(),
                "ci_low": self.ci_low.ravel(),
                "ci_high": self.ci_high.ravel(),
                "t": self.t.ravel(),
                "p": self.p.ravel(),
                "q": self.q.ravel(),
                "margin": np.broadcast_to(self.cell_margin, self.effect.shape).ravel(),
            }
        )
        if valid_only:
            df = df[np.isfinite(df["effect"].to_numpy())].reset_index(drop=True)
        return df

    def pairs(self, method: str = "bonferroni"):
        """One row per unordered motif pair: the strongest cell and a pair-level p and q.

        Parameters
        ----------
        method : {"bonferroni", "simes"}
            How the cell p-values of a pair are combined into the pair p-value (below).

        Columns: ``motif_a motif_b distance orientation effect se t lcb margin p_cell n_cells p q
        score``.

        * The strongest cell of a pair is the one with the largest ``score = lcb - margin``,
          the lower confidence bound on ``|effect|`` (``lcb = max(ci_low, -ci_high)``, output
          units) minus the cell's equivalence margin (ties broken by ``|effect|``): the cell
          whose interaction *surely* exceeds what the model does to any pair at that distance
          by the most. With a constant margin this is the largest ``lcb``. Cells that still tie
          form a plateau (a deterministic model with a spacing window gives the same effect at
          every distance of the window): the first orientation holding most of the plateau is
          taken, and in it the plateau distance nearest the median, so the reported distance
          is the window's centre rather than its edge. ``distance`` and ``orientation`` are in
          the ``(motif_a, motif_b)`` convention of that cell.
        * ``score`` of that cell ranks the pairs. Ranking by ``|t|`` instead would reward
          consistency over size: a model that ignores both motifs gives contrasts at the
          float32 round-off level whose ``|t|`` is arbitrary, and a tiny but very regular
          non-additivity (a few % of a main effect) outranks a large planted interaction
          that varies between backgrounds. The confidence bound keeps the units of the
          effect and still penalises noisy cells.
        * ``p`` is the smallest cell p-value of the pair (both ordered blocks ``(a, b)`` and
          ``(b, a)``) times the number of valid cells tried (``"bonferroni"``: valid under any
          dependence, capped at 1), or Simes' combination ``min_i m p_(i) / i`` over the ``m``
          valid cells (``"simes"``: valid under positive dependence, as between neighbouring
          distances; much more powerful when the interaction holds at many distances, as for
          AND/XOR/OR rules or sampled instances, and close to Bonferroni when it holds at a
          few); ``q`` is Benjamini-Hochberg over the pairs.

        Sorted by q, then score, then ``|effect|``.
        """
        import pandas as pd

        if method not in ("bonferroni", "simes"):
            raise InputError(f"method must be 'bonferroni' or 'simes'. Received {method!r}.")
        K = self.effect.shape[0]
        with np.errstate(invalid="ignore"):
            lcb_all = np.fmax(self.ci_low, -self.ci_high)
            excess_all = lcb_all - self.cell_margin
        marg = np.broadcast_to(self.cell_margin, self.effect.shape)
        rows = []
        for a in range(K):
            for b in range(a, K):
                blocks = [(a, b)] if a == b else [(a, b), (b, a)]
                best = None
                n_cells = 0
                for (i, j) in blocks:
                    valid = np.isfinite(self.effect[i, j])
                    n_cells += int(valid.sum())
                    if not valid.any():
                        continue
                    # strongest: largest lower bound on |effect|, ties by |effect|
                    k1 = np.where(valid, np.nan_to_num(excess_all[i, j], nan=-np.inf), -np.inf)
                    k2 = np.where(valid, np.abs(np.nan_to_num(self.effect[i, j])), -np.inf)
                    top = np.flatnonzero(k1.ravel() == k1.max())
                    top = top[k2.ravel()[top] == k2.ravel()[top].max()]
                    di, oi = _plateau_centre(top, k1.shape)
                    cand = (float(k1[di, oi]), float(k2[di, oi]), i, j, di, oi)
                    if best is None or cand[:2] > best[:2]:
                        best = cand
                if best is None:
                    continue
                score, _, i, j, di, oi = best
                pc = np.concatenate([self.p[x, y].ravel() for (x, y) in blocks])
                pc = np.sort(pc[np.isfinite(pc)])
                if method == "simes":
                    pair_p = float(np.min(pc * pc.size / np.arange(1, pc.size + 1))) if pc.size else np.nan
                else:
                    pair_p = float(pc[0] * pc.size) if pc.size else np.nan
                rows.append(
                    {
                        "motif_a": self.motif_names[i],
                        "motif_b": self.motif_names[j],
                        "distance": int(self.distances[di]),
                        "orientation": self.orientations[oi],
                        "effect": float(self.effect[i, j, di, oi]),
                        "se": float(self.se[i, j, di, oi]),
                        "t": float(self.t[i, j, di, oi]),
                        "lcb": float(lcb_all[i, j, di, oi]),
                        "margin": float(marg[i, j, di, oi]),
                        "p_cell": float(self.p[i, j, di, oi]),
                        "n_cells": n_cells,
                        "p": float(min(1.0, pair_p)),
                        "score": float(score),
                    }
                )
        df = pd.DataFrame(rows)
        if len(df):
            df["q"] = bh_qvalues(df["p"].to_numpy())
            df["_abs"] = df["effect"].abs()
            df = df.sort_values(["q", "score", "_abs"], ascending=[True, False, False], kind="mergesort")
            df = df.drop(columns="_abs").reset_index(drop=True)
        return df

    def restat(self, margin: float | str | None = None, confidence: float | None = None) -> "InteractionScan":
        """The same scan with its statistics recomputed from the stored per-background contrasts.

        Parameters
        ----------
        margin : float or "auto", optional
            New equivalence margin (output units), the same at every distance; ``"auto"`` for
            :func:`auto_margin` with the per-distance null of :func:`distance_margins`; default
            the scan's own (scan-wide and per distance).
        confidence : float, optional
            New confidence level of the intervals; default the scan's own.

        Returns
        -------
        InteractionScan
            A new object (``self`` is unchanged).

        Raises
        ------
        InputError
            When the scan was made with ``keep_contrasts=False``.
        """
        import dataclasses

        if self.contrasts is None:
            raise InputError(
                "This scan has no per-background contrasts (it was made with keep_contrasts=False); "
                "run scan_pairs again with keep_contrasts=True to recompute its statistics."
            )
        if isinstance(margin, str) and margin == "auto":
            if self.main_effects is None:
                raise InputError("margin='auto' needs the scan's main effects, which this scan lacks.")
            m, m_d = _auto_margins(self.main_effects, self.effect)
        elif margin is None:
            m, m_d = self.margin, self.margin_by_distance
        else:
            m, m_d = float(margin), None
        if not m >= 0:
            raise InputError(f"margin must be >= 0. Received: margin={margin}")
        c = self.params.get("confidence", 0.95) if confidence is None else float(confidence)
        if not 0 < c < 1:
            raise InputError(f"confidence must be in (0, 1). Received: confidence={confidence}")
        mean, se, lo, hi, t, p = cell_statistics(self.contrasts, _cell_margins(m, m_d, self.effect.shape[2]), c)
        rule = "auto" if isinstance(margin, str) else "user" if margin is not None else \
            self.params.get("margin_rule", "user")
        params = {**self.params, "margin": m, "confidence": c, "margin_rule": rule}
        return dataclasses.replace(self, effect=mean, se=se, ci_low=lo, ci_high=hi, t=t, p=p,
                                   q=bh_qvalues(p), margin=m, margin_by_distance=m_d, params=params)

    def strongest(self) -> np.ndarray:
        """``(K, K)`` signed effect of the strongest cell of each ordered pair: the largest
        ``lcb - margin``, ties by ``|effect|`` (the criterion of :meth:`pairs`, so the heatmap
        and the pair table show the same cell)."""
        K, _, D, O = self.effect.shape
        with np.errstate(invalid="ignore"):
            excess = np.fmax(self.ci_low, -self.ci_high) - self.cell_margin
        k1 = np.nan_to_num(excess, nan=-np.inf).reshape(K, K, D * O)
        k2 = np.abs(np.nan_to_num(self.effect, nan=-np.inf)).reshape(K, K, D * O)
        ties = k1 == k1.max(axis=-1, keepdims=True)
        best = np.argmax(np.where(ties, k2, -np.inf), axis=-1)
        out = np.take_along_axis(self.effect.reshape(K, K, D * O), best[..., None], axis=-1)[..., 0]
        out[~np.isfinite(self.effect).reshape(K, K, D * O).any(axis=-1)] = np.nan
        return out

    def save(self, path: str | os.PathLike) -> None:
        """Write the scan to HDF5 atomically (layout in :func:`load`)."""
        import h5py

        path = os.fspath(path)
        tmp = path + ".tmp"
        with h5py.File(tmp, "w") as h:
            _write_scan(h, self)
        os.replace(tmp, path)


def _plateau_centre(flat_idx: np.ndarray, shape: tuple[int, int]) -> tuple[int, int]:
    """``(distance index, orientation index)`` at the centre of tied cells ``flat_idx`` of a
    ``(D, O)`` block: the first orientation with most tied cells, the tied distance index in it
    nearest the median (the lower one of two)."""
    di, oi = np.unravel_index(flat_idx, shape)
    counts = np.bincount(oi, minlength=shape[1])
    o = int(np.argmax(counts))
    ds = np.sort(di[oi == o])
    return int(ds[(len(ds) - 1) // 2]), o


def _write_scan(h, scan: InteractionScan) -> None:
    h.attrs["kgenint_format"] = "interaction_scan"
    h.attrs["format_version"] = FORMAT_VERSION
    h.attrs["params"] = json.dumps(scan.params)
    h.attrs["margin"] = scan.margin
    h.attrs["n_backgrounds"] = scan.n_backgrounds
    h.attrs["skipped"] = scan.skipped
    h.create_dataset("motif_names", data=np.array(scan.motif_names, dtype=object), dtype=_str_dtype())
    h.create_dataset("distances", data=scan.distances)
    h.create_dataset("orientations", data=np.array(scan.orientations, dtype=object), dtype=_str_dtype())
    for name in ("effect", "se", "ci_low", "ci_high", "t", "p", "q"):
        h.create_dataset(name, data=getattr(scan, name), compression="gzip")
    if scan.main_effects is not None:
        h.create_dataset("main_effects", data=scan.main_effects)
    if scan.margin_by_distance is not None:
        h.create_dataset("margin_by_distance", data=np.asarray(scan.margin_by_distance, dtype=np.float64))
    if scan.contrasts is not None:
        h.create_dataset("contrasts", data=scan.contrasts, compression="gzip", chunks=True)


def _str_dtype():
    import h5py

    return h5py.string_dtype()


def load(path: str | os.PathLike) -> InteractionScan:
    """Read an :class:`InteractionScan` written by :meth:`InteractionScan.save`.

    HDF5 layout (``format_version`` 1): attrs ``kgenint_format="interaction_scan"``,
    ``params`` (JSON), ``margin``, ``n_backgrounds``, ``skipped``; datasets ``motif_names (K,)``,
    ``distances (D,)``, ``orientations (O,)``, ``effect se ci_low ci_high t p q (K, K, D, O)``,
    optional ``main_effects (K, 2)``, ``margin_by_distance (D,)`` (the margin used at each
    distance; absent: ``margin`` everywhere) and ``contrasts (K, K, D, O, N)``.
    """
    import h5py

    path = os.fspath(path)
    try:
        h = h5py.File(path, "r")
    except OSError as err:
        raise InputError(f"{path}: cannot open as HDF5 ({err}).") from None
    with h:
        if h.attrs.get("kgenint_format") != "interaction_scan":
            raise InputError(f"{path}: not a kgenint interaction scan (attribute kgenint_format missing).")
        dec = lambda a: [v.decode() if isinstance(v, bytes) else str(v) for v in a]  # noqa: E731
        return InteractionScan(
            motif_names=dec(h["motif_names"][()]),
            distances=h["distances"][()],
            orientations=tuple(dec(h["orientations"][()])),
            **{k: h[k][()] for k in ("effect", "se", "ci_low", "ci_high", "t", "p", "q")},
            n_backgrounds=int(h.attrs["n_backgrounds"]),
            contrasts=h["contrasts"][()] if "contrasts" in h else None,
            main_effects=h["main_effects"][()] if "main_effects" in h else None,
            margin=float(h.attrs["margin"]),
            skipped=int(h.attrs["skipped"]),
            params=json.loads(h.attrs["params"]),
            margin_by_distance=h["margin_by_distance"][()] if "margin_by_distance" in h else None,
        )


# ----------------------------------------------------------------------------- statistics
def auto_margin(main_effects: np.ndarray, cell_means: np.ndarray) -> float:
    """The default equivalence margin of a scan (output units).

    ``max(0.01, 0.05 * max|main effect|, |median(m)| + 3 * 1.4826 * MAD(m))`` where ``m`` are
    the mean effects of all valid cells of the scan.

    * The first terms state the smallest interaction worth reporting relative to the motifs'
      own effects (``main_effects``: ``f(A) - f(neither)``, shape ``(K, 2)``).
    * The last term is an empirical null (Efron's idea for large-scale testing): an exhaustive
      scan is made mostly of cells without an interaction, so the bulk of the cell means
      measures the model's *generic* non-additivity - approximation error, saturation of
      ReLU/dense layers, max-pool overlap - which is consistent across backgrounds and would
      otherwise be called everywhere by the per-background t-test. Median and MAD are robust to
      the few cells that hold real interactions. For a model that is additive apart from its
      interactions (the simulator's rules) the MAD is 0 and only the first terms act. Measured
      on CNNs trained on the simulator's additive-only preset, the 5 % rule alone called
      29-65 % of the pairs; see benchmarks/RESULTS_validation.md.

    Parameters
    ----------
    main_effects : float (K, 2)
    cell_means : float (K, K, D, O)
        NaN where skipped.
    """
    main = np.asarray(main_effects, dtype=np.float64)
    m = np.asarray(cell_means, dtype=np.float64)
    m = m[np.isfinite(m)]
    rel = 0.05 * float(np.nanmax(np.abs(main))) if main.size else 0.0
    bulk = _robust_bound(m) if m.size else 0.0
    return float(max(0.01, rel, bulk))


def _robust_bound(v: np.ndarray) -> float:
    """``|median(v)| + 3 * 1.4826 * MAD(v)``: the edge of the bulk of ``v`` (robust 3 sd)."""
    med = float(np.median(v))
    return abs(med) + 3.0 * 1.4826 * float(np.median(np.abs(v - med)))


def _auto_margins(main_effects: np.ndarray, cell_means: np.ndarray) -> tuple[float, np.ndarray]:
    """``margin="auto"``: the scan-wide margin and the per-distance margins from the cell means."""
    with np.errstate(invalid="ignore"):
        m = auto_margin(main_effects, cell_means)
        return m, distance_margins(cell_means, m)


def _cell_margins(margin: float, by_distance: np.ndarray | None, D: int) -> np.ndarray:
    """Margins as float64 ``(1, 1, D, 1)``: ``by_distance`` when given, else ``margin`` everywhere."""
    m = np.full(D, float(margin)) if by_distance is None else np.asarray(by_distance, dtype=np.float64)
    return m.reshape(1, 1, D, 1)


def distance_margins(cell_means: np.ndarray, base: float, *, min_cells: int = 50) -> np.ndarray:
    """Per-distance empirical null of a scan: the margin to use at each distance (output units).

    ``margin_d = max(base, |median(m_d)| + 3 * 1.4826 * MAD(m_d))`` where ``m_d`` are the mean
    effects of all valid cells at distance ``d`` (every motif pair and orientation).

    Why: a trained CNN is often non-additive for *any* two motifs placed close together, even
    when every pair it was trained on acts additively: the two sites share first-layer windows
    and pooling units, and such close pairs are rare in training data. The effect is the same
    in sign and size for most pairs at a given distance and fades with distance (measured on
    the additive-only preset, 100,000 sequences: median cell effect -0.43 logits at 8 bp
    between starts, -0.10 at 20 bp, -0.06 beyond 30 bp; without this null 72 of 171 pairs were
    called, all at 8-14 bp). As in :func:`auto_margin`, the bulk of the cells at one distance
    estimates the model's generic behaviour there (few pairs truly interact), and only a pair
    that stands out from it is called. When a distance has fewer than ``min_cells`` valid
    cells (few motifs), neighbouring distances are pooled until it has; a scan with fewer
    cells than that in all returns ``base`` everywhere.

    Parameters
    ----------
    cell_means : float (K, K, D, O)
        Mean effect of every cell, NaN where skipped.
    base : float
        Scan-wide margin (:func:`auto_margin`); no distance gets less.
    min_cells : int
        Smallest number of cells an estimate is made from.

    Returns
    -------
    float64 (D,)
    """
    m = np.asarray(cell_means, dtype=np.float64)
    if m.ndim != 4:
        raise InputError(f"cell_means must have shape (K, K, D, O). Received shape {m.shape}.")
    D = m.shape[2]
    per_d = [m[:, :, d, :][np.isfinite(m[:, :, d, :])] for d in range(D)]
    counts = np.array([v.size for v in per_d])
    out = np.full(D, float(base))
    if counts.sum() < min_cells:
        return out
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
        v = np.concatenate(per_d[lo : hi + 1])
        if v.size:
            out[d] = max(float(base), _robust_bound(v))
    return out


def cell_statistics(contrasts: np.ndarray, margin: float | np.ndarray = 0.0, confidence: float = 0.95):
    """Mean, se, CI, t and p of contrasts ``(..., N)`` along the last axis.

    ``margin`` is a number or an array that broadcasts against ``contrasts.shape[:-1]`` (for
    example ``(1, 1, D, 1)``: one margin per distance).

    The p-value tests ``H0: |mu| <= margin`` (two one-sided shifts of the t statistic:
    ``t = (|mean| - margin) / se``, ``p = 2 * P(T_{N-1} >= t)`` capped at 1); with ``margin = 0``
    it is the two-sided one-sample t-test. Cells with ``se = 0`` get ``p = 0`` when
    ``|mean| > margin`` and ``1`` otherwise. NaN cells stay NaN.
    """
    from scipy import stats

    c = np.asarray(contrasts, dtype=np.float64)
    n = c.shape[-1]
    mean = c.mean(axis=-1)
    if n > 1:
        sd = c.std(axis=-1, ddof=1)
        se = sd / math.sqrt(n)
        tcrit = stats.t.ppf(0.5 + confidence / 2, n - 1)
    else:
        se = np.full(mean.shape, np.nan)
        tcrit = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, mean / se, np.sign(mean) * np.inf)
        shifted = np.where(se > 0, (np.abs(mean) - margin) / se, np.where(np.abs(mean) > margin, np.inf, -np.inf))
    if n > 1:
        p = np.minimum(1.0, 2 * stats.t.sf(shifted, n - 1))
    else:
        p = np.full(mean.shape, np.nan)
    nan = ~np.isfinite(mean)
    t[nan] = np.nan
    p[nan] = np.nan
    p[mean == 0] = np.where(se[mean == 0] > 0, p[mean == 0], 1.0)
    return mean, se, mean - tcrit * se, mean + tcrit * se, t, p


# ----------------------------------------------------------------------------- engine
class _Engine:
    """Batches jobs (background + up to two insertions) through ``predict``."""

    def __init__(self, predict, background, inst, widths, output, batch_size):
        self.predict = predict
        self.background = background
        self.inst = inst
        self.widths = widths
        self.output = output
        self.batch_size = int(batch_size)
        L = background.shape[1]
        self.buf = np.empty((self.batch_size, L, 4), dtype=np.float32)
        self.n_predicted = 0
        self.predict_seconds = 0.0

    def run(self, jobs: np.ndarray, bar=None) -> np.ndarray:
        """``jobs`` int64 (J, 7) -> outputs float64 (J,)."""
        J = jobs.shape[0]
        out = np.empty(J, dtype=np.float64)
        for s in range(0, J, self.batch_size):
            e = min(J, s + self.batch_size)
            jb = jobs[s:e]
            assemble_jobs(
                self.background, self.inst, self.widths,
                jb[:, 0], jb[:, 1], jb[:, 2], jb[:, 3], jb[:, 4], jb[:, 5], jb[:, 6], self.buf,
            )
            t0 = time.perf_counter()
            out[s:e] = check_predict(self.predict, self.buf[: e - s], self.output)
            self.predict_seconds += time.perf_counter() - t0
            self.n_predicted += e - s
            if bar is not None:
                bar.update(e - s)
        return out


def _jobs(n_idx, k1, p1, s1, k2, p2, s2) -> np.ndarray:
    cols = np.broadcast_arrays(*(np.asarray(v, dtype=np.int64) for v in (n_idx, k1, p1, s1, k2, p2, s2)))
    return np.stack([c.ravel() for c in cols], axis=1)


def _config_hash(params: dict, background: np.ndarray, motifs: Sequence[Motif]) -> str:
    h = hashlib.sha256(json.dumps(params, sort_keys=True).encode())
    h.update(np.ascontiguousarray(background).tobytes())
    for m in motifs:
        h.update(m.name.encode())
        h.update(m.pwm.tobytes())
    return h.hexdigest()


def scan_pairs(
    predict: PredictFn,
    motifs: Sequence[Motif],
    background: np.ndarray,
    *,
    distances: Sequence[int] | None = None,
    orientations: Sequence[str] = ORIENTATIONS,
    pairs: Sequence[tuple[int, int]] | None = None,
    output: int = 0,
    instances: str = "consensus",
    anchor: str | int = "center",
    min_gap: int = 0,
    margin: float | str = "auto",
    confidence: float = 0.95,
    batch_size: int = 2048,
    seed=0,
    checkpoint: str | os.PathLike | None = None,
    keep_contrasts: bool = True,
    verify: int = 0,
    show_progress: bool = True,
) -> InteractionScan:
    """Exhaustive in-silico pairwise scan (see the module docstring for the definitions).

    Parameters
    ----------
    predict : callable
        ``predict(x: float32 (B, L, 4)) -> (B, T)``; for Keras use
        :func:`kgenint.keras.as_predict_fn` (logits by default).
    motifs : list of Motif, length K
    background : float32 (N, L, 4)
        Background sequences (GC-matched or dinucleotide-shuffled from your own sequences;
        see :mod:`kgenint.sequence`).
    distances : sequence of int, optional
        Signed distances between motif starts (bp). Default ``0 .. min(150, L - 2)``: with
        ordered pairs, ``(a, b, +d)`` and ``(b, a, +d)`` together cover both sides.
    orientations : sequence of str
        Subset of ``("++", "+-", "-+", "--")``.
    pairs : sequence of (int, int), optional
        Ordered motif index pairs ``(a, b)`` to scan; default every ordered pair including
        ``a == b`` (homotypic). Cells of other pairs are NaN.
    output : int
        Column of ``predict``'s output to analyse.
    instances : {"consensus", "sample"}
        Motif instances: consensus, or one sample per background from the PWM (seeded).
    anchor : {"center", "a"} or int
        Where the pair is placed (module docstring).
    min_gap : int
        Smallest number of background bases between the two motifs (bp); closer placements are
        skipped like overlapping ones (NaN cells, counted in ``skipped``). 0 (default) keeps
        back-to-back placements, which composite elements need. Motifs that nearly touch share
        first-layer windows, so a CNN can respond to them in ways its training data never showed
        (measured: a CNN trained on data whose sites were >= 2 bp apart, and rarely that close,
        was sub-additive by up to 1.3 logits for one additive pair at gaps of 0-2 bp and not at
        >= 3 bp; benchmarks/RESULTS_validation.md); set ``min_gap`` (e.g. 3) to leave
        near-touching arrangements out when the question is about spacing beyond a site's
        immediate flanks.
    margin : float or "auto"
        Equivalence margin of the tests (output units). A number: that margin at every
        distance. ``"auto"``: see :func:`auto_margin` (the larger of 5 % of the largest main
        effect and three robust standard deviations of the scan-wide bulk of cell effects),
        raised per distance by :func:`distance_margins` where the model is non-additive for
        most motif pairs (motifs nearly touching).
    confidence : float
        Level of the confidence intervals.
    batch_size : int
        Sequences per ``predict`` call.
    seed : int
        Seed for sampled instances.
    checkpoint : path, optional
        HDF5 file where finished motif pairs are stored as they complete; a scan interrupted
        and started again with the same arguments resumes from it. Removed on success.
    keep_contrasts : bool
        Keep per-background contrasts ``(K, K, D, O, N)`` in the result.
    verify : int
        Recompute this many random cells the naive way (four explicit sequences per
        background) and raise if they disagree with the batched result (fastISM-style
        self-check of the shared-work shortcuts).
    show_progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    InteractionScan

    Examples
    --------
    >>> import numpy as np
    >>> from kgenint.motifs import Motif
    >>> a, b = Motif.from_consensus("GATA", name="A"), Motif.from_consensus("CCAAT", name="B")
    >>> def predict(x):  # detects the two consensus words and their product
    ...     s = x.argmax(-1)
    ...     has = lambda w: np.array([[w in "".join("ACGT"[i] for i in r)] for r in s], float)
    ...     return has("GATA") + has("CCAAT") + 2 * has("GATA") * has("CCAAT")
    >>> bg = np.zeros((4, 40, 4), np.float32); bg[..., 3] = 1  # poly-T
    >>> res = scan_pairs(predict, [a, b], bg, distances=[10], orientations=["++"], show_progress=False)
    >>> float(res.effect[0, 1, 0, 0])
    2.0
    """
    bg = check_onehot(background, "background")
    N, L, _ = bg.shape
    motifs = list(motifs)
    if not motifs:
        raise InputError("motifs is empty: give at least one Motif to scan.")
    for m in motifs:
        if not isinstance(m, Motif):
            raise InputError(f"motifs must be kgenint Motif objects. Received {type(m).__name__}.")
        if m.width > L:
            raise InputError(
                f"Motif {m.name!r} is {m.width} bp wide, longer than the {L} bp background sequences."
            )
    names = [m.name for m in motifs]
    if len(set(names)) != len(names):
        raise InputError("motif names must be unique; rename duplicates before scanning.")
    anchor = _check_anchor(anchor, L)
    if isinstance(min_gap, bool) or not isinstance(min_gap, (int, np.integer)) or min_gap < 0:
        raise InputError(f"min_gap must be an integer >= 0 (bp between the two motifs). Received: min_gap={min_gap!r}")
    min_gap = int(min_gap)
    o_idx = _check_orientations(orientations)
    if distances is None:
        distances = np.arange(0, min(150, L - 2) + 1)
    dist = np.unique(np.asarray(list(distances), dtype=np.int64))
    if dist.size == 0:
        raise InputError("distances is empty.")
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be in (0, 1). Received: confidence={confidence}")
    K, D, O = len(motifs), dist.size, len(o_idx)
    orients = tuple(ORIENTATIONS[i] for i in o_idx)
    inst, widths = motif_instances(motifs, N, mode=instances, seed=seed)

    # --- placements of every cell; -1 where skipped
    starts = np.full((K, K, D, 2), -1, dtype=np.int64)
    for a in range(K):
        for b in range(K):
            for di, d in enumerate(dist):
                pl = placements(int(widths[a]), int(widths[b]), int(d), L, anchor, min_gap)
                if pl is not None:
                    starts[a, b, di] = pl
    if pairs is not None:
        keep = np.zeros((K, K), dtype=bool)
        for pr in pairs:
            try:
                a, b = (int(v) for v in pr)
            except (TypeError, ValueError):
                raise InputError(f"pairs must hold (a, b) motif index pairs. Received {pr!r}.") from None
            if not (0 <= a < K and 0 <= b < K):
                raise InputError(f"pair {pr!r} refers to a motif index outside 0..{K - 1}.")
            keep[a, b] = True
        params_pairs = [[int(a), int(b)] for a, b in np.argwhere(keep)]
    else:
        keep = np.ones((K, K), dtype=bool)
        params_pairs = None
    skipped = int((keep[:, :, None] & (starts[..., 0] < 0)).sum()) * O
    starts[~keep] = -1
    valid_ab = starts[..., 0] >= 0  # (K, K, D)
    if not valid_ab.any():
        raise InputError(
            f"No motif pair fits at any requested distance in {L} bp sequences: every placement "
            f"overlaps, is closer than min_gap={min_gap} bp or leaves the sequence. Use smaller "
            f"|distances|, a smaller min_gap or longer backgrounds."
        )

    params = {
        "distances": dist.tolist(), "orientations": list(orients), "output": int(output),
        "instances": instances, "anchor": anchor, "min_gap": min_gap,
        "seed": int(seed) if isinstance(seed, (int, np.integer)) else None,
        "confidence": confidence, "motifs": names, "n_backgrounds": N, "length": L,
        "pairs": params_pairs,
    }
    engine = _Engine(predict, bg, inst, widths, output, batch_size)

    ck = None
    if checkpoint is not None:
        ck = _Checkpoint(os.fspath(checkpoint), _config_hash(params, bg, motifs), (K, K, D, O, N))

    # --- which single placements are needed: every used (motif, strand, start) + the centre
    strand_of = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.int64)[o_idx]  # (O, 2)
    single_index = np.full((K, 2, L), -1, dtype=np.int64)
    for a in range(K):
        for b in range(K):
            for di in range(D):
                if not valid_ab[a, b, di]:
                    continue
                sa, sb = starts[a, b, di]
                for oi in range(O):
                    single_index[a, strand_of[oi, 0], sa] = 0
                    single_index[b, strand_of[oi, 1], sb] = 0
    centre = (L - widths) // 2
    for k in range(K):  # main effects at the centre, both strands, always computed
        single_index[k, :, centre[k]] = 0
    cfg = np.argwhere(single_index >= 0)  # (S, 3): motif, strand, pos
    single_index[cfg[:, 0], cfg[:, 1], cfg[:, 2]] = np.arange(len(cfg))
    S = len(cfg)
    n_pair_jobs = int(valid_ab.sum()) * O * N
    total = N + S * N + n_pair_jobs
    bar = progress(total=total, desc="in-silico pair scan", unit="seq", disable=None if show_progress else True)

    # --- f(neither) once per background, f(A) - f(neither) once per single placement
    restored = ck.load_singles() if ck is not None else None
    if restored is not None:
        f_none, f_single = restored
        bar.update(N + S * N)
    else:
        f_none = engine.run(_jobs(np.arange(N), -1, 0, 0, -1, 0, 0), bar)
        sj = _jobs(
            np.tile(np.arange(N), S), np.repeat(cfg[:, 0], N), np.repeat(cfg[:, 2], N),
            np.repeat(cfg[:, 1], N), -1, 0, 0,
        )
        f_single = (engine.run(sj, bar) - np.tile(f_none, S)).reshape(S, N)
        if ck is not None:
            ck.save_singles(f_none, f_single)

    main = np.stack(
        [[f_single[single_index[k, s, centre[k]]].mean() for s in (0, 1)] for k in range(K)]
    )
    if margin != "auto":
        margin_v = float(margin)
        if not margin_v >= 0:
            raise InputError(f"margin must be >= 0 or 'auto'. Received: margin={margin}")

    # --- pairs, one motif pair (a, b) at a time; checkpointed
    contrasts = np.full((K, K, D, O, N), np.nan, dtype=np.float32)
    done = np.zeros((K, K), dtype=bool)
    if ck is not None:
        ck.restore(contrasts, done)
        bar.update(int(valid_ab[done].sum()) * O * N)
    n_idx = np.arange(N)
    try:
        for a in range(K):
            for b in range(K):
                if done[a, b]:
                    continue
                dv = np.flatnonzero(valid_ab[a, b])
                if dv.size:
                    sa = starts[a, b, dv, 0][:, None, None]
                    sb = starts[a, b, dv, 1][:, None, None]
                    s1 = strand_of[:, 0][None, :, None]
                    s2 = strand_of[:, 1][None, :, None]
                    jobs = _jobs(n_idx[None, None, :], a, sa, s1, b, sb, s2)  # (dv, O, N)
                    f_pair = engine.run(jobs, bar).reshape(dv.size, O, N)
                    shape = (dv.size, O)
                    ia = single_index[a, np.broadcast_to(strand_of[:, 0], shape), np.broadcast_to(sa[:, :, 0], shape)]
                    ib = single_index[b, np.broadcast_to(strand_of[:, 1], shape), np.broadcast_to(sb[:, :, 0], shape)]
                    contrasts[a, b, dv] = (
                        f_pair - f_none[None, None, :] - f_single[ia] - f_single[ib]
                    ).astype(np.float32)
                done[a, b] = True
                if ck is not None:
                    ck.save_pair(a, b, contrasts[a, b])
    finally:
        bar.close()

    margin_d = None
    if margin == "auto":
        with np.errstate(invalid="ignore"):
            margin_v, margin_d = _auto_margins(main, contrasts.mean(axis=-1, dtype=np.float64))
    params["margin"] = margin_v
    params["margin_rule"] = "auto" if margin == "auto" else "user"
    mean, se, lo, hi, t, p = cell_statistics(contrasts, _cell_margins(margin_v, margin_d, D), confidence)
    q = bh_qvalues(p)
    params["predict_seconds"] = engine.predict_seconds
    params["n_predicted"] = engine.n_predicted
    scan = InteractionScan(
        motif_names=names, distances=dist, orientations=orients,
        effect=mean, se=se, ci_low=lo, ci_high=hi, t=t, p=p, q=q, n_backgrounds=N,
        contrasts=contrasts if keep_contrasts else None, main_effects=main,
        margin=margin_v, skipped=skipped, params=params, margin_by_distance=margin_d,
    )
    if verify:
        _verify(scan, predict, bg, inst, widths, starts, strand_of, output, int(verify), contrasts)
    if ck is not None:
        ck.remove()
    return scan


def _verify(scan, predict, bg, inst, widths, starts, strand_of, output, n_cells, contrasts):
    """Recompute ``n_cells`` random valid cells naively and compare."""
    rng = np.random.default_rng(12345)
    K, _, D, O, N = contrasts.shape
    valid = np.argwhere(np.isfinite(contrasts[..., 0]))
    pick = valid[rng.choice(len(valid), size=min(n_cells, len(valid)), replace=False)]

    def put(x, k, s, strand):
        w = int(widths[k])
        site = inst[k, :, :w, :]
        if strand == 1:
            site = site[:, ::-1, ::-1]
        x[:, s:s + w, :] = site
        return x

    for a, b, di, oi in pick:
        sa, sb = starts[a, b, di]
        s1, s2 = strand_of[oi]
        xa = put(bg.copy(), a, sa, s1)
        xb = put(bg.copy(), b, sb, s2)
        xab = put(put(bg.copy(), a, sa, s1), b, sb, s2)
        f = [check_predict(predict, v, output) for v in (xab, xa, xb, bg)]
        ref = f[0] - f[1] - f[2] + f[3]
        got = contrasts[a, b, di, oi].astype(np.float64)
        tol = 1e-4 * max(1.0, float(np.abs(ref).max()))
        if not np.allclose(got, ref, atol=tol):
            raise RuntimeError(
                f"Self-check failed for cell ({scan.motif_names[a]}, {scan.motif_names[b]}, "
                f"d={scan.distances[di]}, {scan.orientations[oi]}): batched {got[:3]} vs naive "
                f"{ref[:3]}. Please report this as a kgenint bug."
            )


class _Checkpoint:
    """Resumable storage of finished motif pairs in an HDF5 file."""

    def __init__(self, path: str, config_hash: str, shape: tuple):
        import h5py

        self.path = path
        self.h5py = h5py
        if os.path.exists(path):
            with h5py.File(path, "r") as h:
                if h.attrs.get("config_hash") != config_hash:
                    raise InputError(
                        f"{path}: this checkpoint belongs to a scan with other arguments, motifs or "
                        f"backgrounds; remove it or choose another checkpoint path."
                    )
        else:
            tmp = path + ".tmp"
            with h5py.File(tmp, "w") as h:
                h.attrs["config_hash"] = config_hash
                h.create_dataset("contrasts", shape=shape, dtype="f4", fillvalue=np.nan, chunks=(1, 1) + tuple(shape[2:]))
                h.create_dataset("done", shape=shape[:2], dtype=bool)
            os.replace(tmp, path)

    def load_singles(self):
        with self.h5py.File(self.path, "r") as h:
            if "f_none" not in h:
                return None
            return h["f_none"][()], h["f_single"][()]

    def save_singles(self, f_none, f_single):
        with self.h5py.File(self.path, "r+") as h:
            h.create_dataset("f_single", data=f_single)
            h.flush()
            h.create_dataset("f_none", data=f_none)

    def restore(self, contrasts, done):
        with self.h5py.File(self.path, "r") as h:
            d = h["done"][()]
            for a, b in np.argwhere(d):
                contrasts[a, b] = h["contrasts"][a, b]
            done |= d

    def save_pair(self, a, b, block):
        # contrasts first, flag second: a crash between the two loses only this pair.
        with self.h5py.File(self.path, "r+") as h:
            h["contrasts"][a, b] = block
            h.flush()
            h["done"][a, b] = True

    def remove(self):
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass


def pair_effect(
    predict: PredictFn,
    background: np.ndarray,
    motif_a: Motif,
    motif_b: Motif,
    distance: int,
    orientation: str = "++",
    *,
    output: int = 0,
    anchor: str | int = "center",
    instances: str = "consensus",
    seed=0,
) -> tuple[float, float]:
    """Mean interaction effect and its standard error for one cell ``(a, b, d, o)``.

    A light version of :func:`scan_pairs` for monitoring during training (four predictions per
    background). Returns ``(mean, se)`` in the units of ``predict``'s output.
    """
    if motif_b.name == motif_a.name:
        motif_b = motif_b.copy(name=motif_b.name + "_b")
    res = scan_pairs(
        predict, [motif_a, motif_b], background, distances=[distance], orientations=[orientation],
        pairs=[(0, 1)], output=output,
        anchor=anchor, instances=instances, margin=0.0, seed=seed, show_progress=False,
        keep_contrasts=False,
    )
    e, s = res.effect[0, 1, 0, 0], res.se[0, 1, 0, 0]
    if not np.isfinite(e):
        raise InputError(
            f"Motifs {motif_a.name!r} and {motif_b.name!r} do not fit at distance {distance} in "
            f"{background.shape[1]} bp sequences without overlapping."
        )
    return float(e), float(s)
