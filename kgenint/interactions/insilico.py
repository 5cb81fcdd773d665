"""Exhaustive in-silico pairwise motif-distance scans through any model, with control inserts.

For every ordered pair of motifs ``(a, b)``, every distance ``d`` (bp from the start of A to the
start of B, signed: ``d > 0`` puts B downstream of A on the + strand of the sequence) and every
orientation ``o`` in ``("++", "+-", "-+", "--")`` (strand of A, strand of B), motif instances are
written into ``N`` background sequences and the model's output ``f`` is read.

The classical double-mutant contrast ``f(A,B) - f(A) - f(B) + f(neither)`` is 0 for a model that
adds the two motifs' effects, but it also holds everything that writing *any* two k-mers at those
places does: bases of the background next to one site are overwritten by the other (junction
effects), both inserts share pooling windows, units saturate, sequence edges move. Those effects
are largest where the motifs nearly touch and are not interactions between the motifs. So, by
default (``controls="shuffle"``), every cell is also measured with *control inserts*: per motif
and background a dinucleotide shuffle of the instance that matches no scanned motif
(:mod:`kgenint.interactions.controls`), written at the same position and strand. The cell's
statistic is the difference in differences

    d_n = f(A,B) - f(A,C_B) - f(C_A,B) + f(C_A,C_B)          (per background n)

the interaction of motif A with motif B over and above what A does with a random k-mer at B's
place, what a random k-mer does with B, and what two random k-mers do together. Each background
draws its own controls, so the spread of ``d_n`` holds the variation between controls as well as
between backgrounds, and the one-sample t-test of ``d_n`` (paired over backgrounds) asks whether
the pair differs from its controls. Nothing in a cell's test depends on the other cells or pairs
of the scan, so a scan of two motifs is as calibrated as a scan of fifty.

Cost: ``4 K^2 D O N`` model calls for the pairs (the classical contrast alone needs ``K^2 D O N``
plus single insertions: ``controls="none"``), plus ``N (1 + 2 K L_used)`` for the main effects;
``f(neither)`` and every single insertion are computed once and shared by all cells.

Placement (``anchor``): ``"center"`` (default) centres the span of both motifs in the sequence;
``"a"`` fixes A's start at the centre; an ``int`` fixes A's start there. Placements where the
motifs overlap, leave fewer than ``min_gap`` bases between them, or leave the sequence are
skipped (NaN cells, counted in ``skipped``).

Statistics per cell (:func:`kgenint.interactions.scan_result.cell_statistics`): mean, standard
error, t confidence interval, and the p-value of ``|mean| <= margin`` (``margin = 0`` by default:
the ordinary two-sided t-test; a positive margin states the smallest interaction worth
reporting, in output units). BH q-values over cells. Pairs: see
:meth:`InteractionScan.pairs`.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from typing import Sequence

import numpy as np

from .._predict import PredictFn, check_predict
from .._validate import check_onehot, check_seed
from ..errors import InputError
from ..motifs.motif import Motif
from ..progress import progress as progress_bar
from ._engine import _Engine, _jobs, _pair_block, _pair_index  # noqa: F401 - used here and by adaptive.py
from .controls import control_instances
from .pair_table import bh_qvalues
from .placement import (ORIENTATIONS, check_anchor, check_orientations, motif_instances,
                        placements)
from .scan_result import REFERENCES, FORMAT_VERSION, InteractionScan, cell_margins, cell_statistics, load

__all__ = [
    "ORIENTATIONS", "InteractionScan", "scan_pairs", "pair_effect", "motif_instances", "placements",
    "check_predict", "load", "cell_statistics", "bh_qvalues", "FORMAT_VERSION", "CONTROLS",
]

CONTROLS: tuple[str, ...] = ("shuffle", "gc", "none")


def _renamed(kwargs: dict, old: str, new: str, value):
    """Take a deprecated keyword ``old`` out of ``kwargs`` (warning) when ``new`` was not given."""
    if old in kwargs:
        v = kwargs.pop(old)
        warnings.warn(f"{old}= is deprecated; use {new}= (docs/api.md).", DeprecationWarning, stacklevel=3)
        if value is None:
            return v
    return value


def _config_hash(params: dict, backgrounds: np.ndarray, motifs: Sequence[Motif]) -> str:
    h = hashlib.sha256(json.dumps(params, sort_keys=True).encode())
    h.update(np.ascontiguousarray(backgrounds).tobytes())
    for m in motifs:
        h.update(m.name.encode())
        h.update(m.pwm.tobytes())
    return h.hexdigest()


def _check_motifs(motifs, L: int) -> list[Motif]:
    motifs = list(motifs)
    if not motifs:
        raise InputError("motifs is empty: give at least one Motif to scan.")
    for m in motifs:
        if not isinstance(m, Motif):
            raise InputError(f"motifs must be kgenint Motif objects. Received {type(m).__name__}.")
        if m.width > L:
            raise InputError(f"Motif {m.name!r} is {m.width} bp wide, longer than the {L} bp background sequences.")
    names = [m.name for m in motifs]
    if len(set(names)) != len(names):
        raise InputError("motif names must be unique; rename duplicates before scanning.")
    return motifs


def _pair_mask(pairs, K: int):
    if pairs is None:
        return np.ones((K, K), dtype=bool), None
    keep = np.zeros((K, K), dtype=bool)
    for pr in pairs:
        try:
            a, b = (int(v) for v in pr)
        except (TypeError, ValueError):
            raise InputError(f"pairs must hold (a, b) motif index pairs. Received {pr!r}.") from None
        if not (0 <= a < K and 0 <= b < K):
            raise InputError(f"pair {pr!r} refers to a motif index outside 0..{K - 1}.")
        keep[a, b] = True
    return keep, [[int(a), int(b)] for a, b in np.argwhere(keep)]


class _ScanSetup:
    """Checked arguments, motif and control instances and the placement of every cell: what the
    exhaustive scan (:func:`scan_pairs`) and the adaptive scan
    (:func:`kgenint.interactions.adaptive.scan_pairs_adaptive`) share (the same seed draws the same
    instances and controls in both)."""

    def __init__(self, motifs, backgrounds, *, distances, orientations, pairs, task, instances, controls,
                 anchor, min_gap, margin, reference, confidence, seed):
        if backgrounds is None:
            raise InputError("backgrounds is required: (N, L, 4) sequences to write the motifs into.")
        self.task = 0 if task is None else int(task)
        self.bg = bg = check_onehot(backgrounds, "backgrounds")
        self.N, self.L = N, L = bg.shape[:2]
        if N < 2:
            warnings.warn("With a single background no p-value can be computed (every p is NaN); use >= 2, "
                          "ideally 32.", stacklevel=3)
        self.motifs = motifs = _check_motifs(motifs, L)
        self.names = [m.name for m in motifs]
        self.anchor = anchor = check_anchor(anchor, L)
        if isinstance(min_gap, bool) or not isinstance(min_gap, (int, np.integer)) or min_gap < 0:
            raise InputError(f"min_gap must be an integer >= 0 (bp between the two motifs). Received: min_gap={min_gap!r}")
        self.min_gap = min_gap = int(min_gap)
        if reference not in REFERENCES:
            raise InputError(f"reference must be one of {REFERENCES}. Received: reference={reference!r}")
        if controls not in CONTROLS:
            raise InputError(f"controls must be one of {CONTROLS}. Received: controls={controls!r}")
        if isinstance(margin, str):
            raise InputError(
                f"margin must be a number (output units). Received: margin={margin!r}. The scan-wide 'auto' "
                f"margin is gone: control inserts (controls='shuffle') now remove what any two inserts do.")
        self.margin = float(margin)
        if not self.margin >= 0:
            raise InputError(f"margin must be >= 0 (output units). Received: margin={self.margin}")
        self.o_idx = o_idx = check_orientations(orientations)
        if distances is None:
            distances = np.arange(0, min(150, L - 2) + 1)
        self.dist = dist = np.unique(np.asarray(list(distances), dtype=np.int64))
        if dist.size == 0:
            raise InputError("distances is empty.")
        if not 0 < confidence < 1:
            raise InputError(f"confidence must be in (0, 1). Received: confidence={confidence}")
        self.K, self.D, self.O = K, D, O = len(motifs), dist.size, len(o_idx)
        self.orients = tuple(ORIENTATIONS[i] for i in o_idx)
        rng = check_seed(seed)
        self.inst, self.widths = inst, widths = motif_instances(motifs, N, mode=instances, seed=rng)
        self.ctrl_info = None
        if controls != "none":
            ctrl, self.ctrl_info = control_instances(motifs, inst, widths, seed=rng,
                                                     kind="dinucleotide" if controls == "shuffle" else "gc_pattern")
            self.inst_all = np.concatenate([inst, ctrl], axis=0)
            self.widths_all = np.concatenate([widths, widths])
        else:
            self.inst_all, self.widths_all = inst, widths
        # placements of every cell; -1 where skipped
        starts = np.full((K, K, D, 2), -1, dtype=np.int64)
        for a in range(K):
            for b in range(K):
                for di, d in enumerate(dist):
                    pl = placements(int(widths[a]), int(widths[b]), int(d), L, anchor, min_gap)
                    if pl is not None:
                        starts[a, b, di] = pl
        self.keep, self.params_pairs = _pair_mask(pairs, K)
        keep = self.keep
        self.skipped = int((keep[:, :, None] & (starts[..., 0] < 0)).sum()) * O
        starts[~keep] = -1
        self.starts = starts
        self.valid_ab = starts[..., 0] >= 0  # (K, K, D)
        if not self.valid_ab.any():
            raise InputError(
                f"No motif pair fits at any requested distance in {L} bp sequences: every placement "
                f"overlaps, is closer than min_gap={min_gap} bp or leaves the sequence. Use smaller "
                f"|distances|, a smaller min_gap or longer backgrounds."
            )
        self.strand_of = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.int64)[o_idx]  # (O, 2)
        self.params = {
            "distances": dist.tolist(), "orientations": list(self.orients), "task": self.task,
            "instances": instances, "controls": controls, "anchor": anchor, "min_gap": min_gap,
            "seed": int(seed) if isinstance(seed, (int, np.integer)) else None,
            "confidence": confidence, "margin": self.margin, "reference": reference, "motifs": self.names,
            "n_backgrounds": N, "length": L, "pairs": self.params_pairs,
        }


def scan_pairs(
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
    batch_size: int = 2048,
    seed=0,
    checkpoint: str | os.PathLike | None = None,
    keep_contrasts: bool = True,
    verify: int = 0,
    progress: bool | None = None,
    client=None,
    **deprecated,
) -> InteractionScan:
    """Exhaustive in-silico pairwise scan (definitions in the module docstring).

    Parameters
    ----------
    predict : callable
        ``predict(x: float32 (B, L, 4)) -> (B, T)``; for Keras use
        :func:`kgenint.keras.as_predict_fn`.
    motifs : list of Motif, length K
    backgrounds : float32 (N, L, 4)
        Sequences the motifs are written into (N >= 2; GC-matched or dinucleotide-shuffled from
        your own sequences, see :mod:`kgenint.sequence`). 32 is a good default.
    distances : sequence or array of int, optional
        Signed distances between motif starts (bp). Default ``0 .. min(150, L - 2)``: with
        ordered pairs, ``(a, b, +d)`` and ``(b, a, +d)`` together cover both sides.
    orientations : sequence of str
        Subset of ``("++", "+-", "-+", "--")``.
    pairs : sequence of (int, int), optional
        Ordered motif index pairs ``(a, b)`` to scan; default every ordered pair including
        ``a == b`` (homotypic). Cells of other pairs are NaN.
    task : int
        Column of ``predict``'s output to analyse (default 0).
    instances : {"consensus", "sample"}
        Motif instances: consensus, or one sample per background from the PWM (seeded).
    controls : {"shuffle", "none"}
        ``"shuffle"`` (default): the control-insert contrast of the module docstring (4x the
        pair model calls). ``"none"``: the classical contrast, for a model you know to be free
        of junction effects, or to compare.
    anchor : {"center", "a"} or int
        Where the pair is placed (module docstring).
    min_gap : int
        Smallest number of background bases between the two motifs (bp); closer placements are
        skipped. 0 keeps back-to-back placements (composite elements need them).
    margin : float
        Smallest interaction worth reporting (output units, >= 0): cells are tested against
        ``|effect| <= margin``. 0 (default): the ordinary t-test.
    reference : {"other_pairs", "none"}
        ``"other_pairs"`` (default): also test each cell against what the model does to motif
        pairs that share neither motif with it at the same distance
        (:func:`kgenint.interactions.scan_result.reference_bounds`; used when >= 10 such pairs
        were scanned, so scans of a few motifs rely on the controls alone). A trained CNN is
        non-additive for most pairs of the motifs it learned when they nearly touch, which no
        control insert carries; this keeps such generic behaviour from being called a pair rule.
        ``"none"``: controls only.
    confidence : float
        Level of the confidence intervals.
    batch_size : int
        Sequences per ``predict`` call.
    seed : int or numpy Generator
        Seeds sampled instances and the controls.
    checkpoint : path, optional
        HDF5 file where finished motif pairs are stored as they complete; a scan interrupted
        and started again with the same arguments resumes from it. Removed on success.
    keep_contrasts : bool
        Keep per-background contrasts ``(K, K, D, O, N)`` in the result (for ``restat``).
    verify : int
        Recompute this many random cells the naive way (explicit sequences per background) and
        raise if they disagree with the batched result (a self-check of the shared work).
    progress : bool
        Progress on stderr (default True).
    client : distributed.Client, optional
        Run the model calls as Dask tasks (groups of motif pairs) on this client's workers
        (:mod:`kgenint.distributed`): same result as without it. For a Keras model pass
        ``predict`` as a :class:`kgenint.distributed.ModelSpec` (each worker loads the ``.keras``
        file once); a plain picklable ``predict`` is sent once to every worker.

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
    >>> res = scan_pairs(predict, [a, b], bg, distances=[10], orientations=["++"], progress=False)
    >>> float(res.effect[0, 1, 0, 0])
    2.0
    """
    backgrounds = _renamed(deprecated, "background", "backgrounds", backgrounds)
    task = _renamed(deprecated, "output", "task", task)
    progress = _renamed(deprecated, "show_progress", "progress", progress)
    if deprecated:
        raise TypeError(f"scan_pairs() got unexpected keyword argument(s) {sorted(deprecated)}")
    if backgrounds is None:
        raise InputError("backgrounds is required: (N, L, 4) sequences to write the motifs into.")
    progress = True if progress is None else bool(progress)
    su = _ScanSetup(motifs, backgrounds, distances=distances, orientations=orientations, pairs=pairs, task=task,
                    instances=instances, controls=controls, anchor=anchor, min_gap=min_gap, margin=margin,
                    reference=reference, confidence=confidence, seed=seed)
    task, bg, N, L, motifs, names = su.task, su.bg, su.N, su.L, su.motifs, su.names
    anchor, min_gap, margin, dist, K, D, O = su.anchor, su.min_gap, su.margin, su.dist, su.K, su.D, su.O
    orients, widths, ctrl_info, starts, skipped, valid_ab = (su.orients, su.widths, su.ctrl_info, su.starts,
                                                             su.skipped, su.valid_ab)
    params = {**su.params, "scale": getattr(predict, "scale", None)}
    engine = _Engine(predict, bg, su.inst_all, su.widths_all, task, batch_size)
    tasks = None
    if client is not None:  # model calls as Dask tasks (kgenint.distributed); same batches, same results
        from ._insilico_dask import PairScanTasks

        tasks = PairScanTasks(client, predict, engine, names, controls)
    ck = None
    if checkpoint is not None:
        ck = _Checkpoint(os.fspath(checkpoint), _config_hash(params, bg, motifs), (K, K, D, O, N))

    # --- single placements needed: every used (motif, strand, start) + the centre
    strand_of = su.strand_of
    single_index = np.full((K, 2, L), -1, dtype=np.int64)
    for a, b, di in np.argwhere(valid_ab):
        sa, sb = starts[a, b, di]
        single_index[a, strand_of[:, 0], sa] = 0
        single_index[b, strand_of[:, 1], sb] = 0
    centre = (L - widths) // 2
    single_index[np.arange(K), :, centre] = 0
    cfg = np.argwhere(single_index >= 0)  # (S, 3): motif, strand, pos
    single_index[cfg[:, 0], cfg[:, 1], cfg[:, 2]] = np.arange(len(cfg))
    S = len(cfg)
    variants = 1 if controls == "none" else 4
    total = N + S * N + int(valid_ab.sum()) * O * N * variants
    bar = progress_bar(total=total, desc="in-silico pair scan", unit="seq", disable=None if progress else True)

    restored = ck.load_singles() if ck is not None else None
    if restored is not None:
        f_none, f_single = restored
        bar.update(N + S * N)
    else:
        run_jobs = engine.run if tasks is None else tasks.run
        f_none = run_jobs(_jobs(np.arange(N), -1, 0, 0, -1, 0, 0), bar)
        sj = _jobs(np.tile(np.arange(N), S), np.repeat(cfg[:, 0], N), np.repeat(cfg[:, 2], N),
                   np.repeat(cfg[:, 1], N), -1, 0, 0)
        f_single = (run_jobs(sj, bar) - np.tile(f_none, S)).reshape(S, N)
        if ck is not None:
            ck.save_singles(f_none, f_single)
    main = np.stack([[f_single[single_index[k, s, centre[k]]].mean() for s in (0, 1)] for k in range(K)])

    contrasts = np.full((K, K, D, O, N), np.nan, dtype=np.float32)
    raw = np.full((K, K, D, O, N), np.nan, dtype=np.float32)
    main_cells = np.full((2, K, K, D, O), np.nan)
    done = np.zeros((K, K), dtype=bool)
    if ck is not None:
        ck.restore(contrasts, raw, done)
        bar.update(int(valid_ab[done].sum()) * O * N * variants)
    try:
        if tasks is not None:  # the pairs as Dask tasks; each finished pair is stored as below
            def store(a, b, c, r):
                dv = np.flatnonzero(valid_ab[a, b])
                contrasts[a, b, dv], raw[a, b, dv], done[a, b] = c, r, True
                if ck is not None:
                    ck.save_pair(a, b, contrasts[a, b], raw[a, b])

            todo = [(a, b) for a, b in np.argwhere(su.keep) if not done[a, b] and valid_ab[a, b].any()]
            tasks.pairs(todo, valid_ab, starts, strand_of, single_index, f_none, f_single, K, store, bar)
        for a, b in np.argwhere(su.keep):
            dv = np.flatnonzero(valid_ab[a, b])
            if not dv.size:
                done[a, b] = True
                continue
            _, _, _, _, ia, ib = _pair_index(a, b, dv, starts, strand_of, single_index)
            main_cells[0, a, b, dv] = f_single[ia].mean(axis=-1)
            main_cells[1, a, b, dv] = f_single[ib].mean(axis=-1)
            if done[a, b]:
                continue
            contrasts[a, b, dv], raw[a, b, dv] = _pair_block(engine, a, b, dv, starts, strand_of, single_index,
                                                             f_none, f_single, K, controls, bar)
            done[a, b] = True
            if ck is not None:
                ck.save_pair(a, b, contrasts[a, b], raw[a, b])
    finally:
        bar.close()

    marg, bounds = cell_margins(contrasts, margin, reference)
    mean, se, lo, hi, t, p = cell_statistics(contrasts, marg, confidence)
    params["predict_seconds"] = engine.predict_seconds
    params["n_predicted"] = engine.n_predicted
    if ctrl_info is not None:
        params["control_info"] = ctrl_info.to_dict()
    with np.errstate(invalid="ignore"):
        raw_mean = raw.mean(axis=-1, dtype=np.float64)
    scan = InteractionScan(
        motif_names=names, distances=dist, orientations=orients,
        effect=mean, se=se, ci_low=lo, ci_high=hi, t=t, p=p, q=bh_qvalues(p), n_backgrounds=N,
        raw_effect=raw_mean, main_a=main_cells[0], main_b=main_cells[1],
        contrasts=contrasts if keep_contrasts else None, main_effects=main,
        margin=margin, controls=controls, skipped=skipped, params=params, reference=reference,
        reference_bound=bounds,
    )
    if verify:
        _verify(scan, predict, bg, su.inst_all, su.widths_all, K, starts, strand_of, task, int(verify), contrasts, controls)
    if ck is not None:
        ck.remove()
    return scan


def _verify(scan, predict, bg, inst, widths, K, starts, strand_of, task, n_cells, contrasts, controls):
    """Recompute ``n_cells`` random valid cells naively (explicit sequences) and compare."""
    rng = np.random.default_rng(12345)
    valid = np.argwhere(np.isfinite(contrasts[..., 0]))
    pick = valid[rng.choice(len(valid), size=min(n_cells, len(valid)), replace=False)]

    def put(x, k, s, strand):
        w = int(widths[k])
        site = inst[k, :, :w, :]
        if strand == 1:
            site = site[:, ::-1, ::-1]
        x[:, s:s + w, :] = site
        return x

    def f(ka, kb, sa, sb, s1, s2):
        x = bg.copy()
        if ka is not None:
            put(x, ka, sa, s1)
        if kb is not None:
            put(x, kb, sb, s2)
        return check_predict(predict, x, task)

    for a, b, di, oi in pick:
        sa, sb = starts[a, b, di]
        s1, s2 = strand_of[oi]
        if controls != "none":
            ref = (f(a, b, sa, sb, s1, s2) - f(a, K + b, sa, sb, s1, s2) - f(K + a, b, sa, sb, s1, s2)
                   + f(K + a, K + b, sa, sb, s1, s2))
        else:
            ref = f(a, b, sa, sb, s1, s2) - f(a, None, sa, sb, s1, s2) - f(None, b, sa, sb, s1, s2) \
                + f(None, None, sa, sb, s1, s2)
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
            try:
                with h5py.File(path, "r") as h:
                    ok = h.attrs.get("config_hash") == config_hash and "raw" in h
            except OSError:
                ok = None
            if ok is None:
                warnings.warn(f"{path}: unreadable checkpoint (killed while writing?); starting the scan afresh.",
                              stacklevel=3)
                os.remove(path)
            elif not ok:
                raise InputError(
                    f"{path}: this checkpoint belongs to a scan with other arguments, motifs or "
                    f"backgrounds; remove it, pass --overwrite, or choose another output path."
                )
        if not os.path.exists(path):
            from .._io import atomic_path

            with atomic_path(path, lock=False) as tmp, h5py.File(tmp, "w") as h:
                h.attrs["config_hash"] = config_hash
                chunks = (1, 1) + tuple(shape[2:])  # one storage chunk per motif pair: a pair is one write
                h.create_dataset("contrasts", shape=shape, dtype="f4", fillvalue=np.nan, chunks=chunks)
                h.create_dataset("raw", shape=shape, dtype="f4", fillvalue=np.nan, chunks=chunks)
                h.create_dataset("done", shape=shape[:2], dtype=bool)

    def load_singles(self):
        with self.h5py.File(self.path, "r") as h:
            if "f_none" not in h:
                return None
            return h["f_none"][()], h["f_single"][()]

    def save_singles(self, f_none, f_single):
        with self.h5py.File(self.path, "r+") as h:
            for name in ("f_single", "f_none"):  # a crash between the two leaves no f_none: redone
                if name in h:
                    del h[name]
            h.create_dataset("f_single", data=f_single)
            h.flush()
            h.create_dataset("f_none", data=f_none)

    def restore(self, contrasts, raw, done):
        with self.h5py.File(self.path, "r") as h:
            d = h["done"][()]
            for a, b in np.argwhere(d):
                try:
                    contrasts[a, b] = h["contrasts"][a, b]
                    raw[a, b] = h["raw"][a, b]
                except OSError:  # a chunk damaged by a kill: redo that pair
                    d[a, b] = False
            done |= d

    def save_pair(self, a, b, block, raw_block):
        # data first, flag second: a crash between the two loses only this pair.
        with self.h5py.File(self.path, "r+") as h:
            h["contrasts"][a, b] = block
            h["raw"][a, b] = raw_block
            h.flush()
            h["done"][a, b] = True

    def remove(self):
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass


def pair_effect(
    predict: PredictFn,
    backgrounds: np.ndarray,
    motif_a: Motif,
    motif_b: Motif,
    distance: int,
    orientation: str = "++",
    *,
    task: int | None = None,
    anchor: str | int = "center",
    instances: str = "consensus",
    controls: str = "shuffle",
    seed=0,
    **deprecated,
) -> tuple[float, float]:
    """Mean interaction effect and its standard error for one cell ``(a, b, d, o)``.

    A light version of :func:`scan_pairs` for monitoring during training. Returns
    ``(mean, se)`` in the units of ``predict``'s output (the control-adjusted contrast by default).
    """
    task = _renamed(deprecated, "output", "task", task)
    if deprecated:
        raise TypeError(f"pair_effect() got unexpected keyword argument(s) {sorted(deprecated)}")
    if motif_b.name == motif_a.name:
        motif_b = motif_b.copy(name=motif_b.name + "_b")
    res = scan_pairs(
        predict, [motif_a, motif_b], backgrounds, distances=[distance], orientations=[orientation],
        pairs=[(0, 1)], task=task, anchor=anchor, instances=instances, controls=controls, seed=seed,
        progress=False, keep_contrasts=False,
    )
    e, s = res.effect[0, 1, 0, 0], res.se[0, 1, 0, 0]
    if not np.isfinite(e):
        raise InputError(
            f"Motifs {motif_a.name!r} and {motif_b.name!r} do not fit at distance {distance} in "
            f"{backgrounds.shape[1]} bp sequences without overlapping."
        )
    return float(e), float(s)
