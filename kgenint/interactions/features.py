"""Interactions between the *features* of a chosen layer: units after the convolutions.

The detectors of the literature work on input features; here the feature space is a chosen
layer's output ``z`` -- ``(N, U)`` for a pooled or dense layer, ``(N, P, U)`` for a convolution
(unit ``u`` is channel ``u`` at every position) -- and the model above it is the *head*
``f(z) -> (N, T)``. Three detectors of unit pairs:

* :func:`nid_strengths` -- Neural Interaction Detection (Tsang, Cheng & Liu, ICLR 2018) from the
  weights of a dense head: ``omega(i, j) = sum_h z_h min(|W1[i, h]|, |W1[j, h]|)`` with the
  hidden units' influence ``z = |W_2| |W_3| ... |W_L|[:, task]``. Unsigned, no p-values; a head
  without a hidden layer is additive and gets 0 everywhere.
* :func:`mixed_differences` -- the four-way contrast in feature space (Archipelago's
  ArchDetect, Tsang et al. 2020, in the data context): for every sequence
  ``Delta_ij = f(z) - f(z[i->b]) - f(z[j->b]) + f(z[i,j->b])``, with unit ``i`` set to its
  baseline ``b`` at every position: by default its smallest value over the data ("switched
  off", the analogue of a motif left out; with the mean as baseline the signed contrast of a
  product term averages to the units' covariance, ~0 for independent units). One batched forward
  pass of the head per contrast (``1 + U + U (U - 1) / 2`` of them). Signed, in output units;
  a one-sample t-test over sequences gives the p-value. Exactly 0 for a head that is a sum of
  per-unit functions.
* :func:`expected_hessians` -- the pairwise interaction of Expected/Integrated Hessians
  (Janizek, Sturmfels & Lee, JMLR 2021) summed over positions of the two units:
  ``Gamma_ij = E_ref[ d_i . int int a b H_ij(z' + a b d) da db . d_j ]`` with ``d = z - z'``,
  reported as ``Gamma_ij + Gamma_ji``. References ``z'``: the units switched off (their
  minimum, default in :func:`feature_interactions`) or other sequences' features; the
  path integral over ``t = a b`` (density ``-ln t``) is done with Gauss-Legendre quadrature, so
  the only randomness is the choice of references. Needs a Hessian-vector product of the head:
  for ReLU heads the Hessian is zero almost everywhere, so :mod:`kgenint.keras.units` smooths
  ReLUs into ``softplus(beta x) / beta`` for this detector (as Janizek et al. do).

Unit pairs become motif pairs through a unit annotation (each unit's best reference motif,
:func:`kgenint.keras.units.annotate_units`): the contrasts of all unit pairs ``(u, v)`` with
``u`` annotated ``A`` and ``v`` annotated ``B`` are **summed** per sequence (default; the
p-value tests the summed contrast) or the single strongest unit pair is kept (**max**; its
p-value Bonferroni-corrected for the number of unit pairs). The output is the common pair table
(:mod:`kgenint.interactions.pair_table`, ``method="features"``).

Nothing here imports TensorFlow: the head is a callable; :func:`feature_interactions` imports
:mod:`kgenint.keras` only when given a Keras model.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from .feature_inputs import call_head as _call_head
from .feature_inputs import check_features as _check_features
from .feature_inputs import check_task as _check_task
from .feature_stats import AGGREGATES, DETECTORS, UnitInteractions, _baseline, _check_margin, _symmetric, _ttest

__all__ = [
    "UnitInteractions",
    "nid_strengths",
    "mixed_differences",
    "expected_hessians",
    "unit_pairs_to_motif_pairs",
    "feature_interactions",
    "DETECTORS",
    "AGGREGATES",
]

# ---------------------------------------------------------------------------- NID
def nid_strengths(
    weights: Sequence[Any],
    *,
    unit_of_feature: Any = None,
    n_units: int | None = None,
    task: int = 0,
) -> UnitInteractions:
    """Pairwise NID interaction strengths of the units feeding a dense head (Tsang et al. 2018).

    Parameters
    ----------
    weights : sequence of array_like
        Kernels of the head's dense layers in order, ``W1 (F, H1), W2 (H1, H2), ..., WL
        (H_{L-1}, T)`` (Keras ``Dense.kernel`` layout; BatchNorm scales folded in by the
        caller). One matrix = a linear head: no interactions.
    unit_of_feature : array_like of int, shape (F,), optional
        Unit of each input feature of ``W1`` (e.g. a global max-pool and a global average-pool
        concatenated give two features per unit); identity by default. A unit's weight to a
        hidden unit is the sum of its features' absolute weights.
    n_units : int, optional
        Number of units ``U`` (default ``max(unit_of_feature) + 1``).
    task : int
        Output column.

    Returns
    -------
    UnitInteractions
        ``effect`` the symmetric strength matrix ``(U, U)`` (>= 0), ``se``/``p_value`` NaN.
    """
    task = _check_task(task)
    try:
        ws = [np.abs(np.asarray(w, dtype=np.float64)) for w in weights]
    except (TypeError, ValueError):
        raise InputError("weights must be a sequence of 2-D weight matrices.") from None
    if not ws or any(w.ndim != 2 for w in ws):
        raise InputError(f"weights must be a non-empty sequence of 2-D matrices. Received shapes {[np.shape(w) for w in ws]}.")
    for k in range(1, len(ws)):
        if ws[k].shape[0] != ws[k - 1].shape[1]:
            raise InputError(
                f"weights[{k}] has {ws[k].shape[0]} rows but weights[{k - 1}] has {ws[k - 1].shape[1]} columns; "
                f"the dense layers do not chain."
            )
    if task >= ws[-1].shape[1]:
        raise InputError(f"task={task} but the last weight matrix has {ws[-1].shape[1]} output column(s).")
    f = ws[0].shape[0]
    uof = np.arange(f) if unit_of_feature is None else np.asarray(unit_of_feature)
    if uof.shape != (f,) or uof.dtype.kind not in "iu" or (uof < 0).any():
        raise InputError(f"unit_of_feature must be {f} non-negative integers (one per input feature). Received shape {uof.shape}.")
    u = int(uof.max()) + 1 if n_units is None else int(n_units)
    if u < 2 or uof.max() >= u:
        raise InputError(f"n_units={n_units} is inconsistent with unit_of_feature (max {int(uof.max())}).")
    iu = np.triu_indices(u, 1)
    if len(ws) == 1:
        eff = np.zeros(iu[0].size)
    else:
        w1 = np.zeros((u, ws[0].shape[1]))
        np.add.at(w1, uof, ws[0])
        z = ws[-1][:, task]
        for w in reversed(ws[1:-1]):
            z = w @ z
        eff = (np.minimum(w1[iu[0]], w1[iu[1]]) * z[None, :]).sum(axis=1)
    nan = np.full((u, u), np.nan)
    return UnitInteractions(_symmetric(eff, iu, u), nan, nan.copy(), None, "nid")


# ---------------------------------------------------------------------------- mixed differences
def mixed_differences(
    head: Callable[[np.ndarray], Any],
    features: Any,
    baseline: Any = "min",
    *,
    task: int = 0,
    batch_size: int = 8192,
    tol: float = 1e-4,
    margin: float = 0.0,
    progress: bool = False,
) -> UnitInteractions:
    """Four-way contrasts ``f(z) - f(z[i->b]) - f(z[j->b]) + f(z[i,j->b])`` of every unit pair.

    Parameters
    ----------
    head : callable
        ``head(z: float32 (n, *feature_shape)) -> (n, T)``: the model above the layer.
    features : array_like, shape (N, U) or (N, P, U)
        The layer's output on ``N`` sequences; unit ``u`` is the last axis' ``u`` (all
        positions).
    baseline : {"min", "mean", "zero"} or array_like, shape feature_shape or (U,)
        Value a unit is set to: its smallest value over the ``N`` sequences and positions
        ("off"; default), its mean over the sequences (per position), zero, or given.
    task : int
        Output column of the head.
    batch_size : int
        Feature rows per head call.
    tol : float
        Contrasts whose largest absolute value over the sequences is at most ``tol`` times the
        standard deviation of ``f(z)`` (float32 rounding of the head) count as 0, with p = 1.
    margin : float
        Smallest interaction worth reporting (output units): ``0`` tests ``mean = 0``
        (two-sided), ``> 0`` tests ``|mean| <= margin`` (one-sided).
    progress : bool
        A progress line per unit on stderr.

    Returns
    -------
    UnitInteractions
        Mean contrast (output units), standard error, t-test p-value, per-sequence contrasts.
    """
    task = _check_task(task)
    margin = _check_margin(margin)
    if not callable(head):
        raise InputError(f"head must be a callable features -> (N, T). Received: {type(head).__name__}.")
    z = _check_features(features)
    b = _baseline(z, baseline)
    n, u = z.shape[0], z.shape[-1]
    bs = max(int(batch_size), n)
    f0 = _call_head(head, z, task, bs)
    scale = float(f0.std()) or max(float(np.abs(f0).max()), 1.0)
    single = np.empty((u, n))
    for i in range(u):
        zi = z.copy()
        zi[..., i] = b[..., i]
        single[i] = _call_head(head, zi, task, bs)
    iu = np.triu_indices(u, 1)
    per = np.empty((n, iu[0].size), dtype=np.float64)
    per_call = max(1, bs // n)
    for s in range(0, iu[0].size, per_call):
        ii, jj = iu[0][s : s + per_call], iu[1][s : s + per_call]
        zz = np.repeat(z[None], ii.size, axis=0)
        k = np.arange(ii.size)
        zz[k, ..., ii] = b[..., ii].T[:, None, :] if z.ndim == 3 else b[ii][:, None]
        zz[k, ..., jj] = b[..., jj].T[:, None, :] if z.ndim == 3 else b[jj][:, None]
        fij = _call_head(head, zz.reshape((-1,) + z.shape[1:]), task, bs).reshape(ii.size, n)
        per[:, s : s + ii.size] = (f0[None] - single[ii] - single[jj] + fij).T
        if progress:
            import sys

            print(f"mixed differences: {min(s + per_call, iu[0].size)}/{iu[0].size} unit pairs", file=sys.stderr)
    mean, se, p = _ttest(per, tol * scale, margin)
    return UnitInteractions(
        _symmetric(mean, iu, u), _symmetric(se, iu, u), _symmetric(p, iu, u),
        _symmetric(per.astype(np.float32), iu, u), "mdd",
    )


# ---------------------------------------------------------------------------- Expected Hessians
def _path_quadrature(k: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``t`` and weights for ``int_0^1 g(t) t (-ln t) dt`` (the density of ``t = a b`` for
    independent uniform ``a, b`` times ``a b``): Gauss-Legendre in ``s`` with ``t = s^2``, which
    removes the logarithmic singularity's effect on accuracy."""
    x, w = np.polynomial.legendre.leggauss(int(k))
    s = (x + 1) / 2
    ws = w / 2
    t = s**2
    # dt = 2 s ds; integrand weight t (-ln t) -> s^2 (-2 ln s) 2 s
    return t, ws * s**2 * (-2 * np.log(s)) * 2 * s


def expected_hessians(
    hvp: Callable[[np.ndarray, np.ndarray], Any],
    features: Any,
    references: Any = None,
    *,
    n_references: int = 4,
    n_nodes: int = 6,
    seed: Any = 0,
    tol: float = 1e-4,
    scale: float | None = None,
    margin: float = 0.0,
    progress: bool = False,
) -> UnitInteractions:
    """Expected-Hessian interactions of every unit pair, summed over the units' positions.

    Parameters
    ----------
    hvp : callable
        ``hvp(z, v) -> H(z) v`` row by row: ``z`` and ``v`` float32 ``(n, *feature_shape)``,
        the result the same shape; ``H(z_r)`` is the Hessian of the chosen output column at
        ``z_r``.
    features : array_like, shape (N, U) or (N, P, U)
        The layer's output on the sequences to explain.
    references : "min" or array_like, shape (R, *feature_shape), optional
        Reference features ``z'``: ``"min"`` every unit at its smallest value over the data
        (one reference, "switched off"), an array, or None: ``features`` themselves, excluding
        each row's own (Janizek et al.; signed means then average to covariances).
    n_references : int
        References drawn per sequence.
    n_nodes : int
        Quadrature nodes on the path (relative error ~1e-6 for a quadratic head at 6 nodes).
    seed : int or numpy.random.Generator
        Choice of references.
    tol : float
        Values at most ``tol * scale`` in absolute value count as 0 (p = 1).
    scale : float, optional
        Output scale for ``tol`` (default: the largest absolute contrast, so only exact zeros
        are zeroed).
    margin : float
        As in :func:`mixed_differences`.
    progress : bool
        A progress line per quadrature node on stderr.

    Returns
    -------
    UnitInteractions
        ``Gamma_ij + Gamma_ji`` averaged over references (per sequence), its mean, standard
        error and t-test p-value over sequences.
    """
    from .._validate import check_seed

    if not callable(hvp):
        raise InputError(f"hvp must be a callable (z, v) -> H(z) v. Received: {type(hvp).__name__}.")
    z = _check_features(features)
    margin = _check_margin(margin)
    rng = check_seed(seed)
    n, u = z.shape[0], z.shape[-1]
    if references is None:
        ref = z
        own = True
    elif isinstance(references, str):
        if references != "min":
            raise InputError(f"references must be 'min', None or an array. Received: references={references!r}")
        ref = _baseline(z, "min")[None]
        own = False
    else:
        ref = _check_features(references, "references")
        if ref.shape[1:] != z.shape[1:]:
            raise InputError(f"references have feature shape {ref.shape[1:]}; features have {z.shape[1:]}.")
        own = False
    if int(n_references) < 1 or int(n_nodes) < 1:
        raise InputError(f"n_references and n_nodes must be >= 1. Received: {n_references}, {n_nodes}.")
    r = int(n_references)
    pick = rng.integers(0, ref.shape[0] - (1 if own else 0), size=(n, r))
    if own:
        pick = pick + (pick >= np.arange(n)[:, None])
    zr = np.repeat(z, r, axis=0)
    zp = ref[pick.reshape(-1)]
    d = (zr - zp).astype(np.float32)
    t, w = _path_quadrature(int(n_nodes))
    gam = np.zeros((n * r, u, u), dtype=np.float64)
    for k in range(t.size):
        pt = (zp + t[k] * d).astype(np.float32)
        for j in range(u):
            v = np.zeros_like(d)
            v[..., j] = d[..., j]
            hv = np.asarray(hvp(pt, v), dtype=np.float64)
            if hv.shape != d.shape:
                raise InputError(f"hvp returned shape {hv.shape}; expected {d.shape}.")
            prod = hv * d
            gam[:, :, j] += w[k] * (prod.sum(axis=1) if z.ndim == 3 else prod)
        if progress:
            import sys

            print(f"expected hessians: node {k + 1}/{t.size}", file=sys.stderr)
    pair = gam + np.transpose(gam, (0, 2, 1))
    per_seq = pair.reshape(n, r, u, u).mean(axis=1)
    iu = np.triu_indices(u, 1)
    per = np.ascontiguousarray(per_seq[:, iu[0], iu[1]])
    sc = float(np.abs(per).max()) if scale is None else float(scale)
    mean, se, p = _ttest(per, tol * sc if scale is not None else 0.0, margin)
    return UnitInteractions(
        _symmetric(mean, iu, u), _symmetric(se, iu, u), _symmetric(p, iu, u),
        _symmetric(per.astype(np.float32), iu, u), "hessian",
    )


# ---------------------------------------------------------------------------- to motif pairs
def unit_pairs_to_motif_pairs(
    result: UnitInteractions,
    unit_motifs: Sequence[str | None],
    *,
    aggregate: str = "sum",
    layer: str | None = None,
    tol: float = 0.0,
    margin: float = 0.0,
):
    """The pair table of motif pairs from unit-pair interactions and a unit annotation.

    Parameters
    ----------
    result : UnitInteractions
        From :func:`mixed_differences`, :func:`expected_hessians` or :func:`nid_strengths`.
    unit_motifs : sequence of str or None, length U
        The motif each unit stands for (None or "" for an unannotated unit, which is left out).
    aggregate : {"sum", "max"}
        ``"sum"``: per sequence, sum the contrasts of all unit pairs ``(u, v)``, ``u`` annotated
        ``A`` and ``v`` ``B`` (for ``A == B``, pairs of distinct units), then test the sum;
        ``"max"``: the unit pair with the smallest p-value (largest strength for ``nid``), its
        p-value times the number of unit pairs (Bonferroni, capped at 1).
    layer : str, optional
        Layer name, copied into a ``layer`` column.
    tol : float
        Summed contrasts at most ``tol`` in absolute value count as 0 (p = 1).
    margin : float
        Smallest interaction worth reporting (output units) in the test of a summed contrast
        (``aggregate="max"`` uses the unit-level p-values, tested with the detector's margin).

    Returns
    -------
    pandas.DataFrame
        The pair table (``method="features"``; ``distance``/``orientation`` not resolved),
        plus ``detector``, ``aggregate``, ``n_unit_pairs``, ``units_a``, ``units_b``
        (comma-separated unit indices), ``best_units`` (the strongest unit pair "u,v") and
        ``layer``.
    """
    from .pair_table import finish_pair_table

    if not isinstance(result, UnitInteractions):
        raise InputError(f"result must be a UnitInteractions. Received: {type(result).__name__}.")
    if aggregate not in AGGREGATES:
        raise InputError(f"aggregate must be one of {AGGREGATES}. Received: aggregate={aggregate!r}")
    margin = _check_margin(margin)
    u = result.effect.shape[0]
    names = [None if (m is None or m == "" or (isinstance(m, float) and np.isnan(m))) else str(m) for m in unit_motifs]
    if len(names) != u:
        raise InputError(f"unit_motifs has {len(names)} entries but the layer has {u} units.")
    groups: dict[str, list[int]] = {}
    for i, m in enumerate(names):
        if m is not None:
            groups.setdefault(m, []).append(i)
    motifs = sorted(groups)
    rows = []
    for ai, a in enumerate(motifs):
        for b in motifs[ai:]:
            ua, ub = groups[a], groups[b]
            pairs = [(i, j) for i in ua for j in ub if i != j and (a != b or i < j)]
            if not pairs:
                continue
            pi = np.array([p[0] for p in pairs])
            pj = np.array([p[1] for p in pairs])
            eff = result.effect[pi, pj]
            row = {"motif_a": a, "motif_b": b, "detector": result.detector, "aggregate": aggregate,
                   "n_unit_pairs": len(pairs), "units_a": ",".join(map(str, ua)), "units_b": ",".join(map(str, ub)),
                   "layer": layer}
            if result.per_sample is None:  # nid: strengths only
                k = int(np.argmax(eff))
                row.update(effect=float(eff.sum() if aggregate == "sum" else eff[k]), p_value=np.nan)
            elif aggregate == "sum":
                s = result.per_sample[:, pi, pj].astype(np.float64).sum(axis=1)
                mean, se, p = _ttest(s[:, None], tol, margin)
                k = int(np.argmax(np.abs(eff)))
                crit = 1.959963984540054
                row.update(effect=float(mean[0]), ci_low=float(mean[0] - crit * se[0]),
                           ci_high=float(mean[0] + crit * se[0]), p_value=float(p[0]))
            else:
                pv = result.p_value[pi, pj]
                k = int(np.lexsort((-np.abs(eff), pv))[0])
                se_k = float(result.se[pi[k], pj[k]])
                crit = 1.959963984540054
                row.update(effect=float(eff[k]), ci_low=float(eff[k] - crit * se_k), ci_high=float(eff[k] + crit * se_k),
                           p_value=float(min(1.0, pv[k] * len(pairs))))
            row["best_units"] = f"{pi[k]},{pj[k]}"
            rows.append(row)
    df = finish_pair_table(rows, method="features")
    for col in ("detector", "aggregate", "n_unit_pairs", "units_a", "units_b", "layer", "best_units"):
        if col not in df.columns:  # no pair of annotated units: an empty table with every column
            df[col] = []
    return df


# ---------------------------------------------------------------------------- the one-call API
def feature_interactions(
    model: Any,
    x: Any,
    motifs: Any,
    *,
    layer: str | int,
    detector: str = "mdd",
    aggregate: str = "sum",
    head: int | str | None = None,
    task: int = 0,
    logits: bool | None = None,
    baseline: Any = "min",
    margin: float = 0.0,
    annotation: Any = None,
    alpha: float = 0.05,
    null_database: Any = None,
    max_sequences: int | None = 1000,
    n_contrast: int | None = None,
    n_references: int = 4,
    batch_size: int = 1024,
    seed: Any = 0,
    progress: bool = False,
):
    """Interactions between the units of ``layer``, mapped to motif pairs: one pair table.

    Steps: the layer's features on ``x`` (:func:`kgenint.keras.units.layer_features`); each
    unit annotated with its best motif among ``motifs`` at q < ``alpha``
    (:func:`kgenint.keras.units.unit_motifs` + :func:`~kgenint.keras.units.annotate_units`,
    unless ``annotation`` is given); the unit-pair detector; the motif-pair table
    (:func:`unit_pairs_to_motif_pairs`).

    Parameters
    ----------
    model : keras.Model
        Single-input ``(None, L, 4)`` model.
    x : array_like, shape (N, L, 4)
        Sequences (the first ``max_sequences`` are used).
    motifs : list of Motif, or a MEME/JASPAR path
        Reference motifs to name the units.
    layer : str or int
        The layer whose units are the features (e.g. ``"global_pools"``, ``"conv2_act"``,
        ``"dense1_act"``).
    detector : {"mdd", "nid", "hessian"}
        Mixed discrete differences, NID weights (the head from ``layer`` to the output must be
        per-unit pooling + dense layers), or Expected Hessians (ReLUs smoothed).
    aggregate : {"sum", "max"}
        How several units per motif are combined (:func:`unit_pairs_to_motif_pairs`).
    head : int or str, optional
        Which model output (multi-output models).
    task : int
        Output column.
    logits : bool, optional
        None: pre-activation where the output ends in sigmoid/softmax; see ``docs/api.md``.
    baseline : {"min", "mean", "zero"} or array
        Unit baseline of ``mdd``, and the reference of ``hessian`` (``"min"``: units switched
        off; for ``hessian`` anything but "min" uses other sequences as references).
    margin : float
        Smallest interaction worth reporting (output units; ``docs/api.md``): with ``> 0`` the
        p-values test ``|effect| <= margin`` (mdd, hessian).
    annotation : sequence of str or None, optional
        The motif name of every unit (skips the annotation step).
    alpha : float
        q-value threshold of the unit annotation.
    null_database : None, "default" or list of Motif
        Extra comparison targets for TOMTOM p-value calibration (see
        :class:`kgenint.keras.callbacks.FilterMotifTracker`).
    max_sequences : int or None
        Sequences used (all of them name the units; None: all of ``x``).
    n_contrast : int, optional
        Use only the first ``n_contrast`` of them for the detector (cost grows with the number of
        sequences times ``U^2``; the unit names need many sequences for enough sites).
    n_references : int
        References per sequence for ``hessian``.
    batch_size : int
        Sequences per model call.
    seed : int or numpy.random.Generator
        Seed of every random step.
    progress : bool
        Progress lines on stderr.

    Returns
    -------
    pandas.DataFrame
        The pair table (``method="features"``) with the columns of
        :func:`unit_pairs_to_motif_pairs`; ``df.attrs`` holds ``unit_motifs``, ``scale`` and
        ``detector``.
    """
    from ..keras import units as ku  # lazy: TensorFlow only here

    if detector not in DETECTORS:
        raise InputError(f"detector must be one of {DETECTORS}. Received: detector={detector!r}")
    if aggregate not in AGGREGATES:
        raise InputError(f"aggregate must be one of {AGGREGATES}. Received: aggregate={aggregate!r}")
    task = _check_task(task)
    margin = _check_margin(margin)
    xs = ku._check_x(x, max_sequences)
    split = ku.split_at(model, layer, head=head, logits=logits, batch_size=batch_size)
    z = split.features(xs)
    if annotation is None:
        refs = ku._load_refs(motifs)
        um = ku.unit_motifs(model, xs, layer, activations=z, seed=seed)
        ann = ku.annotate_units(um, refs, alpha=alpha, null_database=null_database)
        annotation = [t if t else None for t in ann["motif"].tolist()]
    if n_contrast is not None:
        if isinstance(n_contrast, bool) or int(n_contrast) < 2:
            raise InputError(f"n_contrast must be an integer >= 2. Received: n_contrast={n_contrast!r}")
        z = z[: int(n_contrast)]
    if detector == "mdd":
        res = mixed_differences(split.head, z, baseline, task=task, batch_size=max(batch_size, 8192), margin=margin,
                                progress=progress)
    elif detector == "nid":
        w, uof = ku.head_weights(model, layer, head=head, logits=split.scale == "logits")
        res = nid_strengths(w, unit_of_feature=uof, n_units=z.shape[-1], task=task)
    else:
        hvp = ku.head_hvp(split, task=task)
        refs_h = "min" if isinstance(baseline, str) and baseline == "min" else None
        res = expected_hessians(hvp, z, refs_h, n_references=n_references, seed=seed, margin=margin,
                                progress=progress)
    df = unit_pairs_to_motif_pairs(res, annotation, aggregate=aggregate, layer=split.layer, margin=margin)
    df.attrs.update(unit_motifs=list(annotation), scale=split.scale, detector=detector)
    return df
