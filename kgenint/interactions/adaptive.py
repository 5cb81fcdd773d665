"""Adaptive in-silico pair scans: every cell screened with a few backgrounds, more backgrounds
spent only where the decision is still open.

The exhaustive scan (:func:`kgenint.interactions.insilico.scan_pairs`) measures every cell
(ordered motif pair, distance, orientation) in all ``N`` backgrounds: ``4 K^2 D O N`` model calls
with control inserts. Most cells of a scan hold no interaction the scan will call, and most of
those are clear after a few backgrounds. :func:`scan_pairs_adaptive` runs the same cell statistic
(the control-adjusted contrast ``f(A,B) - f(A,C_B) - f(C_A,B) + f(C_A,C_B)``, one-sample t-test
over backgrounds against ``|effect| <= margin``) as a sequential design:

1. **Screen.** Every cell (or, with ``coarse=c > 1``, every ``c``-th distance of each pair and
   orientation) gets the first ``n_initial`` backgrounds. With ``coarse > 1`` the neighbouring
   distances (within ``c - 1`` grid steps) of every cell that is not stopped for futility are
   screened too, repeatedly, so the grid is refined around signal.
2. **Looks.** After ``n_1 < n_2 < ... < n_J = N`` backgrounds
   (:func:`~kgenint.interactions.adaptive_design.look_schedule`: ``n_initial`` doubling up to
   ``N``) each open cell is either stopped for *efficacy* (its t-test p-value is below the
   alpha-spending boundary ``a_k``), stopped for *futility* (its interim p-value is above
   ``futility``; by default a moderated t-test whose variance borrows strength from the other
   cells of the motif pair, ``futility_test="moderated"``), or given the next block of
   backgrounds. A motif pair whose cells already prove it (Simes over
   its cells' valid p-values ``<= alpha / #pairs``, so Benjamini-Hochberg will call it whatever
   the other pairs do) stops all its open cells.
3. **Decide.** Each cell gets a *valid* sequential p-value (``p``): ``A(t_{k-1}) + p_k`` for a cell
   that crossed the efficacy boundary or reached the last look (``p_k``: its t-test at the look
   where it stopped, ``A``: the error spent before that look), and 1 for a cell stopped for
   futility, stopped because its pair was decided, or never screened. Pairs are then called
   exactly as in the exhaustive scan: Simes over all the pair's cells (the same family size),
   BH over pairs (:meth:`InteractionScan.pairs`).

Error control (proofs in :mod:`kgenint.interactions.adaptive_design`): the efficacy boundary is a
Lan-DeMets spending function (O'Brien-Fleming type by default, Pocock optional) of
``alpha_cell = alpha / #cells`` applied through a union (Bonferroni) bound over looks. It needs no
normal approximation of the small-sample t statistics, and with O'Brien-Fleming spending the last
look keeps nearly all of ``alpha_cell``. Futility stops are non-binding: a stopped cell
contributes ``p = 1``, which can only remove rejections. So every cell's ``p`` is a valid p-value
under the same assumptions as the exhaustive scan's t-test (Gaussian contrasts over backgrounds),
for a fixed margin; the Simes and BH steps are unchanged. Without efficacy stops (and with
``reference="none"``) the adaptive calls are a subset of the exhaustive scan's calls on the same
backgrounds and controls, because each cell's ``p`` is then at least the exhaustive one.

Cells stopped for futility are reported with their interim statistics (``effect``, ``se``,
``ci_low``, ``ci_high``, ``t`` and ``p_interim`` from the backgrounds they got; ``n_used``
says how many) but never called. Unfilled per-background contrasts are NaN.

Same seed, same backgrounds: the motif instances and control inserts are drawn exactly as
:func:`scan_pairs` draws them, and the adaptive scan uses the backgrounds in their order (a cell
at look ``k`` has seen backgrounds ``0 .. n_k - 1``), so every contrast it measures equals the
exhaustive scan's contrast of that cell and background.

Cost unit: sequences passed to ``predict`` (counted by wrapping it): ``params["n_predicted"]``,
next to ``params["n_predicted_exhaustive"]``, what :func:`scan_pairs` would have used.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .._predict import PredictFn
from ..errors import InputError
from ..motifs.motif import Motif
from ..progress import progress as progress_bar
from .adaptive_design import (
    COMPLETED,
    EFFICACY,
    FUTILITY,
    NOT_SCANNED,
    OPEN,
    PAIR_DECIDED,
    FUTILITY_TESTS,
    SPENDING,
    STATE_NAMES,
    look_schedule,
    moderated_pvalues,
    moderated_variances,
    nominal_levels,
    sequential_pvalues,
)
from .adaptive_checkpoint import AdaptiveCheckpoint, chunk_cells
from .adaptive_engine import _CountingPredict, _Singles
from .insilico import _config_hash, _Engine, _jobs, _ScanSetup
from .pair_table import bh_qvalues
from .placement import (
    ORIENTATIONS,
)
from .scan_result import (
    REFERENCES,
    InteractionScan,
    cell_margins,
    cell_statistics,
    combine_pvalues,
    reference_bounds,
)

__all__ = ["STATE_NAMES", "AdaptiveScan", "load_adaptive", "run_design", "scan_pairs_adaptive"]


@dataclass
class AdaptiveScan(InteractionScan):
    """Result of :func:`scan_pairs_adaptive`: an :class:`InteractionScan` whose ``p`` are the
    design's valid sequential p-values, plus how the design spent its backgrounds.

    Attributes (besides those of :class:`InteractionScan`)
    ----------------------------------------------------
    p_interim : float64 (K, K, D, O)
        Fixed-sample t-test p-value of each cell over the backgrounds it got (its interim
        statistic; NaN where not screened). Not valid for calling after adaptive stopping: use ``p``.
    n_used : int64 (K, K, D, O)
        Backgrounds each cell was measured in (0: not screened or skipped placement).
    state : int8 (K, K, D, O)
        Index into :data:`STATE_NAMES`: ``not_scanned``, ``open`` (never left after a run),
        ``futility``, ``efficacy``, ``completed`` (reached the last look), ``pair_decided``; -1
        where the cell does not exist (skipped placement, pair not requested).
    looks : int64 (J,)
        Backgrounds per cell at each look.

    ``params["adaptive"]`` holds the design (alpha, spending, looks, futility, coarse) and
    ``params["n_predicted"]`` / ``params["n_predicted_exhaustive"]`` the model calls used and
    those the exhaustive scan would have used.
    """

    p_interim: np.ndarray | None = None
    n_used: np.ndarray | None = None
    state: np.ndarray | None = None
    looks: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def design_summary(self) -> dict:
        """Counts of cells per state and the model calls used vs the exhaustive scan."""
        st = np.asarray(self.state)
        out: dict[str, int | float] = {name: int((st == i).sum()) for i, name in enumerate(STATE_NAMES)}
        out["cells"] = int((st >= 0).sum())
        out["cell_backgrounds"] = int(np.asarray(self.n_used).sum())
        used = int(self.params.get("n_predicted", 0))
        exh = int(self.params.get("n_predicted_exhaustive", 0))
        out.update(n_predicted=used, n_predicted_exhaustive=exh,
                   saving=(exh / used) if used else float("nan"))
        return out

    def restat(self, margin: float | None = None, confidence: float | None = None,
               reference: str | None = None) -> AdaptiveScan:
        """Statistics recomputed from the stored contrasts with the design's rules (module
        docstring of :mod:`~kgenint.interactions.adaptive_design`): a cell's p-value counts if it
        reached the last look, or if it stopped for efficacy and its p-value at that look is still
        below the boundary under the new margin; every other cell gets ``p = 1``. Cells stopped for
        futility cannot be continued here, so a smaller margin can only lose calls, never gain any.
        """
        if self.contrasts is None:
            raise InputError("This scan has no per-background contrasts; run it again with keep_contrasts=True.")
        m, c, ref = self._restat_args(margin, confidence, reference)
        d = self.params["adaptive"]
        stats = _final_statistics(self.contrasts, self.state, self.n_used, np.asarray(self.looks), m, ref, c,
                                  d["alpha_cell"], d["spending"])
        params = {**self.params, "margin": m, "confidence": c, "reference": ref}
        return dataclasses.replace(self, **stats, margin=m, params=params, reference=ref)

    def save(self, path: str | os.PathLike) -> None:
        """Write to HDF5 atomically: the :class:`InteractionScan` layout (any scan reader accepts
        it) plus a group ``adaptive`` with ``p_interim``, ``n_used``, ``state`` and ``looks``."""
        import h5py

        from .._io import atomic_path
        from .scan_result import _write_scan

        with atomic_path(path) as tmp, h5py.File(tmp, "w") as h:
            _write_scan(h, self)
            g = h.create_group("adaptive")
            g.create_dataset("p_interim", data=self.p_interim, compression="gzip")
            g.create_dataset("n_used", data=self.n_used, compression="gzip")
            g.create_dataset("state", data=self.state, compression="gzip")
            g.create_dataset("looks", data=np.asarray(self.looks, dtype=np.int64))


def load_adaptive(path: str | os.PathLike) -> AdaptiveScan:
    """Read a scan written by :meth:`AdaptiveScan.save` (raises if it has no ``adaptive`` group;
    :func:`kgenint.interactions.load` reads it as a plain :class:`InteractionScan`)."""
    import h5py

    from .scan_result import load

    base = load(path)
    with h5py.File(os.fspath(path), "r") as h:
        if "adaptive" not in h:
            raise InputError(f"{path}: not an adaptive scan (no 'adaptive' group); use kgenint.interactions.load.")
        g = h["adaptive"]
        extra = {k: g[k][()] for k in ("p_interim", "n_used", "state", "looks")}
    return AdaptiveScan(**{f.name: getattr(base, f.name) for f in dataclasses.fields(InteractionScan)}, **extra)


# ----------------------------------------------------------------------------- the design loop

def _stop_look(n_used: np.ndarray, looks: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(looks, n_used), 0, len(looks) - 1)


def _pair_groups(shape: tuple) -> np.ndarray:
    """Unordered motif-pair label of every cell ``(K, K, D, O)``: the cells of one pair share
    their backgrounds and a variance prior (:func:`~kgenint.interactions.adaptive_design.moderated_variances`)."""
    K = shape[0]
    k = np.arange(K)
    label = np.minimum.outer(k, k) * K + np.maximum.outer(k, k)
    return np.broadcast_to(label.reshape((K, K) + (1,) * (len(shape) - 2)), shape)


def _reference_means(contrasts: np.ndarray, moderated: tuple | None = None) -> np.ndarray:
    """Cell means with the extra noise of cells measured in fewer backgrounds shrunk away.

    The leave-pair-out reference (:func:`~kgenint.interactions.scan_result.reference_bounds`) is a
    robust spread of cell means; a mean over ``n < N`` backgrounds has noise variance ``v = s^2 / n``
    instead of ``s^2 / N``, which would widen the spread and raise every margin. At each distance,
    with ``tau^2`` the spread of the true effects (robust variance of the means minus the median
    ``v``), a cell's deviation from the median is scaled by
    ``sqrt((tau^2 + v n / N) / (tau^2 + v))`` so its variance is what ``N`` backgrounds give.
    ``s^2`` is the cell's variance moderated towards its motif pair's
    (:func:`~kgenint.interactions.adaptive_design.moderated_variances`): with 3 degrees of freedom
    at the first look a cell's own ``s^2`` makes the scale factor itself noisy (measured on the
    demo's model at N = 24: the margins' median excess over the exhaustive scan's fell from 6.7 %
    to 3.4 %). Cells with all ``N`` backgrounds are unchanged. ``moderated``: the output of
    :func:`~kgenint.interactions.adaptive_design.moderated_variances` for these contrasts when
    the caller has it already.
    """
    c = np.asarray(contrasts, dtype=np.float64)
    N = c.shape[-1]
    if moderated is None:
        moderated = moderated_variances(c, _pair_groups(c.shape[:-1]))
    mean, s2, _, n = moderated
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(n > 1, s2 / n, np.nan)
    out = mean.copy()
    for d in range(c.shape[2]):
        m, vv, nn = mean[:, :, d], v[:, :, d], n[:, :, d]
        ok = np.isfinite(m) & np.isfinite(vv)
        if ok.sum() < 3 or not (nn[ok] < N).any():
            continue
        med = float(np.median(m[ok]))
        tau2 = max(0.0, (1.4826 * float(np.median(np.abs(m[ok] - med)))) ** 2 - float(np.median(vv[ok])))
        lam = np.ones(m.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            lam[ok] = np.sqrt(np.where(tau2 + vv[ok] > 0, (tau2 + vv[ok] * nn[ok] / N) / (tau2 + vv[ok]), 1.0))
        out[:, :, d] = np.where(ok, med + (m - med) * lam, m)
    return out


def _margins(contrasts: np.ndarray, margin: float, reference: str,
             moderated: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``max(margin, reference bound)`` per cell ``(K, K, D, 1)`` and the bounds ``(K, K, D)``,
    the bounds from :func:`_reference_means` (equal to ``cell_margins`` when every cell is full)."""
    if reference not in REFERENCES:
        raise InputError(f"reference must be one of {REFERENCES}. Received: reference={reference!r}")
    if reference == "none":
        return cell_margins(contrasts, margin, reference)
    bounds = reference_bounds(_reference_means(contrasts, moderated))
    return np.maximum(float(margin), bounds)[..., None], bounds


def _final_statistics(contrasts, state, n_used, looks, margin, reference, confidence, alpha_cell, spending):
    """Cell statistics from the stored contrasts and the design's valid p-values."""
    marg, bounds = _margins(contrasts, margin, reference)
    mean, se, lo, hi, t, p_int = cell_statistics(contrasts, marg, confidence)
    a, before = nominal_levels(looks, alpha_cell, spending)
    k = _stop_look(n_used, looks)
    crossed = (state == COMPLETED) | ((state == EFFICACY) & (p_int <= a[k]))
    p = sequential_pvalues(p_int, k, crossed, before)
    p[(state >= 0) & ~np.isfinite(p)] = 1.0  # never screened, or no spread: counts in the family, never called
    p[state < 0] = np.nan
    return {"effect": mean, "se": se, "ci_low": lo, "ci_high": hi, "t": t, "p": p, "q": bh_qvalues(p),
            "p_interim": p_int, "reference_bound": bounds}


def run_design(
    valid: np.ndarray,
    evaluate: Callable[[np.ndarray, int, int], np.ndarray],
    n_max: int,
    *,
    margin: float = 0.0,
    reference: str = "other_pairs",
    alpha: float = 0.05,
    n_initial: int = 4,
    growth: float = 2.0,
    futility: float = 0.1,
    coarse: int = 1,
    spending: str = "obrien_fleming",
    confidence: float = 0.95,
    futility_test: str = "moderated",
    on_look: Callable[[int, int, int], None] | None = None,
) -> dict:
    """The sequential design on any source of contrasts (the engine of :func:`scan_pairs_adaptive`;
    also replays a design on the stored contrasts of an exhaustive scan).

    Parameters
    ----------
    valid : bool (K, K, D, O)
        Cells that exist (placement fits, pair requested).
    evaluate : callable
        ``evaluate(cells: int64 (M, 4) of (a, b, d_index, o_index), n_lo, n_hi) -> float (M, n_hi - n_lo)``:
        the contrasts of those cells in backgrounds ``n_lo .. n_hi - 1``.
    n_max : int
        Backgrounds available (N, the last look).
    margin, reference, alpha, n_initial, growth, futility, coarse, spending, confidence, futility_test
        As in :func:`scan_pairs_adaptive`.
    on_look : callable, optional
        ``on_look(look, n_cells, n_backgrounds)`` before each block is evaluated (progress).

    Returns
    -------
    dict
        ``contrasts`` float32 (K, K, D, O, N) NaN where unfilled, ``state``, ``n_used``, ``looks``,
        ``alpha_cell`` and the final statistics (see :func:`_final_statistics`).
    """
    valid = np.asarray(valid, dtype=bool)
    looks = np.asarray(look_schedule(n_initial, n_max, growth), dtype=np.int64)
    J = len(looks)
    n_cells = int(valid.sum())
    alpha_cell = alpha / max(1, n_cells)
    a, before = nominal_levels(looks, alpha_cell, spending)
    n_pairs = int(np.triu(valid.any(axis=(2, 3)) | valid.any(axis=(2, 3)).T).sum())
    contrasts = np.full(valid.shape + (n_max,), np.nan, dtype=np.float32)
    state = np.where(valid, NOT_SCANNED, -1).astype(np.int8)  # -1: no placement / pair not requested
    if futility_test not in FUTILITY_TESTS:
        raise InputError(f"futility_test must be one of {FUTILITY_TESTS}. Received: futility_test={futility_test!r}")
    groups = np.where(valid, _pair_groups(valid.shape), -1)
    n_used = np.zeros(valid.shape, dtype=np.int64)

    def measure(mask: np.ndarray, n_lo: int, n_hi: int, look: int) -> None:
        cells = np.argwhere(mask)
        if not len(cells):
            return
        if on_look is not None:
            on_look(look, len(cells), n_hi - n_lo)
        vals = np.asarray(evaluate(cells, n_lo, n_hi), dtype=np.float32)
        contrasts[cells[:, 0], cells[:, 1], cells[:, 2], cells[:, 3], n_lo:n_hi] = vals
        n_used[mask] = n_hi

    def decide(mask: np.ndarray, look: int) -> None:
        """Decide the open cells in ``mask`` after ``looks[look]`` backgrounds."""
        # one empirical-Bayes fit per look, shared by the reference margins and the futility test
        mod = (moderated_variances(contrasts, groups)
               if futility_test == "moderated" or reference != "none" else None)
        marg, _ = _margins(contrasts, margin, reference, mod)
        _, _, _, _, _, p = cell_statistics(contrasts, marg, confidence)
        if look == J - 1:
            state[mask] = COMPLETED
            return
        eff = mask & (p <= a[look])
        p_fut = moderated_pvalues(contrasts, marg, groups, moderated=mod) if futility_test == "moderated" else p
        fut = mask & ~eff & ~(p_fut <= futility)  # NaN p (zero spread and mean at the margin): futile
        state[eff] = EFFICACY
        state[fut] = FUTILITY
        state[mask & ~eff & ~fut] = OPEN
        # a pair whose decided cells already prove it (BH calls it whatever the others do) stops
        if (state == EFFICACY).any():
            p_valid = sequential_pvalues(p, np.full(p.shape, look), state == EFFICACY, before)
            for x, y in np.argwhere(np.triu((state == OPEN).any(axis=(2, 3)) | (state == OPEN).any(axis=(2, 3)).T)):
                blocks = [(x, y)] if x == y else [(x, y), (y, x)]
                if not any((state[i, j] == EFFICACY).any() for i, j in blocks):
                    continue
                pc = np.concatenate([np.where(valid[i, j], np.where(state[i, j] == EFFICACY, p_valid[i, j], 1.0),
                                              np.nan).ravel() for i, j in blocks])
                if combine_pvalues(pc) <= alpha / max(1, n_pairs):
                    for i, j in blocks:
                        state[i, j][state[i, j] == OPEN] = PAIR_DECIDED

    # --- look 0: screen (the coarse grid first, then refined around open cells)
    if coarse > 1:
        rank = np.cumsum(valid, axis=2) - 1
        todo = valid & (rank % coarse == 0)
    else:
        todo = valid.copy()
    while todo.any():
        measure(todo, 0, int(looks[0]), 0)
        decide(todo, 0)
        if coarse <= 1:
            break
        live = np.isin(state, (OPEN, EFFICACY, COMPLETED, PAIR_DECIDED)) & todo
        near = np.zeros_like(valid)
        for s in range(1, coarse):
            near[:, :, s:] |= live[:, :, :-s]
            near[:, :, :-s] |= live[:, :, s:]
        todo = near & valid & (state == NOT_SCANNED)
    # --- later looks: only open cells get more backgrounds
    for look in range(1, J):
        todo = state == OPEN
        if not todo.any():
            break
        measure(todo, int(looks[look - 1]), int(looks[look]), look)
        decide(todo, look)
    stats = _final_statistics(contrasts, state, n_used, looks, margin, reference, confidence, alpha_cell, spending)
    return {"contrasts": contrasts, "state": state, "n_used": n_used, "looks": looks, "alpha_cell": alpha_cell,
            **stats}


# ----------------------------------------------------------------------------- the model-facing scan

def scan_pairs_adaptive(
    predict: PredictFn,
    motifs: Sequence[Motif],
    backgrounds: np.ndarray | None = None,
    *,
    distances: Sequence[int] | np.ndarray | None = None,
    orientations: Sequence[str] = ORIENTATIONS,
    pairs: Sequence[tuple[int, int]] | None = None,
    task: int | None = None,
    instances: str = "consensus",
    controls: str = "shuffle",
    anchor: str | int = "center",
    min_gap: int = 0,
    margin: float = 0.0,
    reference: str = "other_pairs",
    confidence: float = 0.95,
    alpha: float = 0.05,
    n_initial: int = 4,
    growth: float = 2.0,
    futility: float = 0.1,
    coarse: int = 1,
    spending: str = "obrien_fleming",
    futility_test: str = "moderated",
    batch_size: int = 2048,
    seed=0,
    keep_contrasts: bool = True,
    progress: bool | None = None,
    checkpoint: str | os.PathLike | None = None,
) -> AdaptiveScan:
    """Adaptive in-silico pairwise scan: the sequential design of the module docstring.

    Parameters
    ----------
    predict, motifs, distances, orientations, pairs, task, instances, controls, anchor, min_gap,
    margin, reference, confidence, batch_size, seed
        As in :func:`kgenint.interactions.insilico.scan_pairs` (same seed and backgrounds: the
        same instances, controls and per-background contrasts).
    backgrounds : float32 (N, L, 4)
        The pool of backgrounds; ``N`` is the most any cell gets (the last look). 32 is a good
        default; the first ``n_initial`` screen every cell.
    alpha : float
        The q-value threshold the calls will be made at (BH over pairs). It sets the efficacy
        boundary (``alpha / #cells`` spent over the looks) and the pair-level stop
        (``alpha / #pairs``); the reported p-values are valid at every level.
    n_initial : int
        Backgrounds every screened cell gets first (>= 2; 4 by default).
    growth : float
        Backgrounds per look grow by this factor until ``N`` (4, 8, 16, 32 for N = 32).
    futility : float
        A cell whose t-test p-value at a look (before the last) exceeds this stops (non-binding,
        see the module docstring). Smaller: fewer model calls, more risk of missing a weak
        interaction. 0.1 by default.
    coarse : int
        1 (default): screen every distance. ``c > 1``: screen every ``c``-th distance of each pair
        and orientation, then the neighbours of every cell still open (refinement). Saves up to a
        factor ``c`` more, at the risk of missing a rule confined to one distance between grid
        points whose neighbours show nothing.
    spending : {"obrien_fleming", "pocock"}
        Lan-DeMets spending function of the efficacy boundary.
    futility_test : {"moderated", "t"}
        The interim p-value a futility stop looks at: ``"moderated"`` (default) tests each cell
        with its variance shrunk towards its motif pair's (empirical Bayes, limma's moderated t;
        :func:`~kgenint.interactions.adaptive_design.moderated_pvalues`), ``"t"`` with the cell's
        own t-test (3 degrees of freedom at the first look of 4 backgrounds). Only futility
        stops use it; the reported p-values are each cell's exact t-test either way.
    keep_contrasts : bool
        Keep the per-background contrasts ``(K, K, D, O, N)`` (NaN where unfilled; needed by
        :meth:`AdaptiveScan.restat`).
    progress : bool
        A progress bar per look on stderr (default True).
    checkpoint : path, optional
        Record every finished block of model calls (at most ``CHUNK_CALLS``, about 10 s each) in
        this HDF5 file: a scan that is stopped and started again with the same arguments resumes
        from it, with a bit-identical result (:mod:`~kgenint.interactions.adaptive_checkpoint`).
        Removed on success. ``params["n_predicted"]`` counts the restored blocks' model calls
        too; ``params["n_restored_blocks"]`` says how many were restored.

    Returns
    -------
    AdaptiveScan
        Accepted wherever an :class:`InteractionScan` is (pair table, plots, report, CLI).
    """
    progress = True if progress is None else bool(progress)
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be in (0, 1). Received: alpha={alpha}")
    if not 0 < futility <= 1:
        raise InputError(f"futility must be in (0, 1] (the p-value above which a cell stops). Received: futility={futility}")
    if isinstance(coarse, bool) or not isinstance(coarse, (int, np.integer)) or coarse < 1:
        raise InputError(f"coarse must be an integer >= 1 (screen every coarse-th distance). Received: coarse={coarse!r}")
    if spending not in SPENDING:
        raise InputError(f"spending must be one of {SPENDING}. Received: spending={spending!r}")
    if futility_test not in FUTILITY_TESTS:
        raise InputError(f"futility_test must be one of {FUTILITY_TESTS}. Received: futility_test={futility_test!r}")
    su = _ScanSetup(motifs, backgrounds, distances=distances, orientations=orientations, pairs=pairs, task=task,
                    instances=instances, controls=controls, anchor=anchor, min_gap=min_gap, margin=margin,
                    reference=reference, confidence=confidence, seed=seed)  # the instances scan_pairs draws
    task, bg, N, L, names, margin = su.task, su.bg, su.N, su.L, su.names, su.margin
    dist, K, O, orients, widths, starts = su.dist, su.K, su.O, su.orients, su.widths, su.starts
    ctrl_info, skipped, valid_ab, strand_of = su.ctrl_info, su.skipped, su.valid_ab, su.strand_of
    looks = look_schedule(n_initial, N, growth)
    valid = np.repeat(valid_ab[..., None], O, axis=-1)
    counter = _CountingPredict(predict)
    engine = _Engine(counter, bg, su.inst_all, su.widths_all, task, batch_size)
    singles = _Singles(engine, starts, strand_of, widths, N, L)
    f_ab_first = np.full(valid.shape + (looks[0],), np.nan)  # f(A,B) in the screening backgrounds (raw effect)
    bars: list = []
    ck = None
    if checkpoint is not None:
        design = {"alpha": alpha, "n_initial": int(n_initial), "growth": growth, "futility": futility,
                  "coarse": int(coarse), "spending": spending, "futility_test": futility_test,
                  "batch_size": int(batch_size)}
        ck = AdaptiveCheckpoint(checkpoint, _config_hash({**su.params, "adaptive": design}, bg, su.motifs))

    def on_look(look, n_cells, n_bg):
        if bars:
            bars.pop().close()
        per = n_bg * (1 if controls == "none" else 4)
        bars.append(progress_bar(total=n_cells * per, unit="seq", disable=None if progress else True,
                                 desc=f"adaptive scan, look {look + 1}/{len(looks)} ({looks[look]} backgrounds)"))

    def measure_block(cells: np.ndarray, n_lo: int, n_hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Contrasts and f(A,B) of ``cells`` in backgrounds ``n_lo .. n_hi - 1``."""
        a, b, di, oi = cells.T
        n_idx = np.arange(n_lo, n_hi)[None, :]
        sa, sb = starts[a, b, di, 0][:, None], starts[a, b, di, 1][:, None]
        s1, s2 = strand_of[oi, 0][:, None], strand_of[oi, 1][:, None]
        bar = bars[-1] if bars else None
        shape = (len(cells), n_hi - n_lo)
        f_ab = engine.run(_jobs(n_idx, a[:, None], sa, s1, b[:, None], sb, s2), bar).reshape(shape)
        if controls == "none":
            fa = singles.get(a, s1, sa, n_lo, n_hi)
            fb = singles.get(b, s2, sb, n_lo, n_hi)
            return f_ab - fa - fb - singles.none(n_lo, n_hi)[None, :], f_ab
        ca, cb = (K + a)[:, None], (K + b)[:, None]
        f_acb = engine.run(_jobs(n_idx, a[:, None], sa, s1, cb, sb, s2), bar).reshape(shape)
        f_cab = engine.run(_jobs(n_idx, ca, sa, s1, b[:, None], sb, s2), bar).reshape(shape)
        f_cc = engine.run(_jobs(n_idx, ca, sa, s1, cb, sb, s2), bar).reshape(shape)
        return f_ab - f_acb - f_cab + f_cc, f_ab

    variants = 1 if controls == "none" else 4

    def evaluate(cells: np.ndarray, n_lo: int, n_hi: int) -> np.ndarray:
        """The design's blocks, in chunks of at most CHUNK_CALLS model calls (taken from the
        checkpoint when it has them, recorded there when computed)."""
        out = np.empty((len(cells), n_hi - n_lo), dtype=np.float32)
        step = chunk_cells(len(cells), n_hi - n_lo, variants)
        for c0 in range(0, len(cells), step):
            sub = cells[c0:c0 + step]
            rec = ck.take(sub, n_lo, n_hi) if ck is not None else None
            if rec is None:
                before = counter.n_sequences
                vals, f_ab = measure_block(sub, n_lo, n_hi)
                vals = vals.astype(np.float32)
                if ck is not None:
                    ck.put(sub, n_lo, n_hi, vals, f_ab, counter.n_sequences - before)
            else:
                vals, f_ab, _ = rec
                if bars:
                    bars[-1].update(len(sub) * (n_hi - n_lo) * variants)
            out[c0:c0 + step] = vals
            if n_lo < looks[0]:
                a, b, di, oi = sub.T
                f_ab_first[a, b, di, oi, n_lo:min(n_hi, looks[0])] = f_ab[:, : looks[0] - n_lo]
        return out

    try:
        res = run_design(valid, evaluate, N, margin=margin, reference=reference, alpha=alpha, n_initial=n_initial,
                         growth=growth, futility=futility, coarse=int(coarse), spending=spending,
                         confidence=confidence, futility_test=futility_test, on_look=on_look)
        # raw (classical) contrasts and main effects in the screening backgrounds, for the pair table
        screened = np.argwhere(res["state"] > NOT_SCANNED)
        n1 = int(looks[0])
        a, b, di, oi = screened.T
        s1, s2 = strand_of[oi, 0][:, None], strand_of[oi, 1][:, None]
        sa, sb = starts[a, b, di, 0][:, None], starts[a, b, di, 1][:, None]
        on_look(0, len(screened), 0)
        fa = singles.get(a, s1, sa, 0, n1)
        fb = singles.get(b, s2, sb, 0, n1)
        f0 = singles.none(0, n1)[None, :]
        raw = np.full(valid.shape, np.nan)
        main_a = np.full(valid.shape, np.nan)
        main_b = np.full(valid.shape, np.nan)
        raw[a, b, di, oi] = (f_ab_first[a, b, di, oi] - fa - fb + f0).mean(axis=-1)
        main_a[a, b, di, oi] = (fa - f0).mean(axis=-1)
        main_b[a, b, di, oi] = (fb - f0).mean(axis=-1)
        centre = (L - widths) // 2
        kk = np.arange(K)
        main = np.stack([(singles.get(kk, np.full((K, 1), s), centre[:, None], 0, n1) - f0).mean(axis=-1)
                         for s in (0, 1)], axis=1)
    finally:
        while bars:
            bars.pop().close()
    if counter.n_sequences != engine.n_predicted:  # pragma: no cover - an engine bug
        raise RuntimeError("model-call count mismatch; please report this as a kgenint bug")
    params = {
        **su.params, "scale": getattr(predict, "scale", None),
        "predict_seconds": engine.predict_seconds,
        "n_predicted": counter.n_sequences + (ck.n_restored_calls if ck is not None else 0),
        "n_restored_blocks": ck.n_restored_blocks if ck is not None else 0,
        "n_predicted_exhaustive": int(N + singles.n_configs_exhaustive() * N + valid.sum() * N * variants),
        "adaptive": {"alpha": alpha, "alpha_cell": res["alpha_cell"], "spending": spending,
                     "looks": [int(v) for v in looks], "futility": futility, "coarse": int(coarse),
                     "futility_test": futility_test,
                     "n_initial": int(n_initial), "growth": growth,
                     "raw_effect_backgrounds": n1},
    }
    if ctrl_info is not None:
        params["control_info"] = ctrl_info.to_dict()
    if ck is not None:
        ck.remove()
    return AdaptiveScan(
        motif_names=names, distances=dist, orientations=orients,
        effect=res["effect"], se=res["se"], ci_low=res["ci_low"], ci_high=res["ci_high"], t=res["t"],
        p=res["p"], q=res["q"], n_backgrounds=N, raw_effect=raw, main_a=main_a, main_b=main_b,
        contrasts=res["contrasts"] if keep_contrasts else None, main_effects=main, margin=margin,
        controls=controls, skipped=skipped, params=params, reference=reference,
        reference_bound=res["reference_bound"], p_interim=res["p_interim"], n_used=res["n_used"],
        state=res["state"], looks=np.asarray(looks, dtype=np.int64),
    )
