"""What the units of any layer stand for: motifs of conv, pool and dense units, and how much of
the output each unit carries.

* :func:`split_at` -- a model cut at a layer: ``features(x) -> z`` (the layer's output) and the
  ``head(z) -> (N, T)`` above it (logits where the output ends in sigmoid/softmax).
* :func:`unit_motifs` -- one :class:`~kgenint.motifs.Motif` per unit:

  - ``method="windows"`` (layers with a position axis): the strongest activating windows over
    the unit's receptive field (:func:`kgenint.keras.receptive.receptive_field`), DeepBind /
    Basset practice extended to any depth: every (sequence, position) whose activation reaches
    ``threshold`` x the unit's maximum is a site (the ``max_sites`` strongest kept); the sites'
    receptive-field windows are counted into a ``(size, 4)`` matrix, then trimmed to the
    ``max_width`` columns with the most information (and flanks below ``trim_bits`` dropped).
  - ``method="attribution"`` (deeper layers, whose field is wider than a motif, and pooled or
    dense layers, whose field is the whole sequence): gradient x input of the unit's activation
    at each of its strongest sites (sequence, position); inside the site's receptive field the
    ``width``-bp window of largest summed attribution is counted. This localises the motif a
    deep unit responds to, which the field's windows blur (the motif sits anywhere in a 100-bp
    field).
  - ``"auto"``: windows when the field is at most ``max_width`` wide and not pooled (stride 1),
    attribution otherwise: after a max-pool of width ``k`` the motif sits at any of ``k``
    offsets in the field, and the aligned windows blur it (pool1 units of the 100k interaction
    CNN: 5 motifs named from windows, see RESULTS_representation.md).

* :func:`annotate_units` -- each unit's best reference motif (TOMTOM-like
  :func:`kgenint.motifs.compare.compare`, q < ``alpha``).
* :func:`output_shares` (:mod:`kgenint.keras.heads`) -- the share of the output variance a unit carries: ``1 - Var f(z[u ->
  mean]) / Var f(z)``.
* :func:`representation` / :func:`representation_table` -- per layer: fraction of units matching
  a reference motif, references covered, units per motif (redundancy), output shares.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import keras
import numpy as np

from .._validate import check_seed
from ..errors import InputError
from ..motifs.motif import Motif
from .heads import head_hvp, head_weights, output_shares
from .model_split import _ENCODERS, ModelSplit, _check_x, layer_features, split_at
from .receptive import ReceptiveField, find_layer, receptive_field

__all__ = [
    "ModelSplit", "split_at", "layer_features", "unit_motifs", "annotate_units", "output_shares",
    "head_weights", "head_hvp", "Representation", "representation", "representation_table",
]



def _load_refs(motifs: Any) -> list[Motif]:
    if isinstance(motifs, (str, bytes)) or hasattr(motifs, "__fspath__"):
        from ..motifs.io import read_motifs

        motifs = read_motifs(motifs)
    try:
        refs = list(motifs)
    except TypeError:
        raise InputError(f"motifs must be a list of Motif or a motif file path. Received: {type(motifs).__name__}.") from None
    if not refs or not all(isinstance(m, Motif) for m in refs):
        raise InputError("motifs must be a non-empty list of kgenint.motifs.Motif (or a MEME/JASPAR file).")
    return refs

# ---------------------------------------------------------------------------- unit motifs
def _trim(counts: np.ndarray, max_width: int, trim_bits: float) -> tuple[int, int]:
    """Columns ``[a, b)`` of the most informative sub-window (at most ``max_width`` wide),
    with flanking columns below ``trim_bits`` of information dropped."""
    tot = counts.sum(axis=1, keepdims=True)
    p = (counts + 0.25) / (tot + 1.0)
    ic = 2.0 + (p * np.log2(p)).sum(axis=1)
    ic = np.where(tot[:, 0] > 0, ic, 0.0)
    w = min(int(max_width), ic.size)
    cs = np.concatenate([[0.0], np.cumsum(ic)])
    a = int(np.argmax(cs[w:] - cs[:-w])) if ic.size > w else 0
    b = a + w
    while b - a > 4 and ic[a] < trim_bits:
        a += 1
    while b - a > 4 and ic[b - 1] < trim_bits:
        b -= 1
    return a, b


def _count_windows(x: np.ndarray, seqs: np.ndarray, starts: np.ndarray, size: int) -> np.ndarray:
    """Sum of the one-hot windows ``x[seq, start:start+size]`` (positions outside count 0)."""
    length = x.shape[1]
    pos = starts[:, None] + np.arange(size)[None, :]
    ok = (pos >= 0) & (pos < length)
    win = x[seqs[:, None], np.clip(pos, 0, length - 1)] * ok[..., None]
    return win.sum(axis=0, dtype=np.float64)


def _sites(a: np.ndarray, threshold: float, max_sites: int) -> tuple[np.ndarray, float]:
    """Flat indices of the sites of one unit's activations ``a`` and its maximum."""
    m = float(a.max())
    if not np.isfinite(m) or m <= 0:
        return np.zeros(0, dtype=np.int64), m
    flat = a.ravel()
    idx = np.flatnonzero(flat >= threshold * m)
    if idx.size > max_sites:
        idx = idx[np.argsort(-flat[idx], kind="stable")[:max_sites]]
    return idx, m


def unit_motifs(
    model: keras.Model,
    x: Any,
    layer: Any,
    *,
    method: str = "auto",
    activations: Any = None,
    threshold: float = 0.5,
    max_sites: int = 500,
    min_sites: int = 10,
    max_width: int = 30,
    width: int = 20,
    trim_bits: float = 0.25,
    batch_size: int = 512,
    seed: Any = 0,
) -> list[Motif]:
    """One motif per unit of ``layer`` (any conv, pool or dense layer).

    Parameters
    ----------
    model : keras.Model
        Single-input ``(None, L, 4)`` model.
    x : array_like, shape (N, L, 4)
        Sequences whose activations define the motifs.
    layer : str, int or keras layer
        The layer.
    method : {"auto", "windows", "attribution"}
        ``"windows"``: strongest activating receptive-field windows (layers with a position
        axis); ``"attribution"``: gradient x input windows inside each site's field (any
        layer); ``"auto"``: windows where the field is at most ``max_width`` bp and not pooled
        (stride 1), attribution otherwise.
    activations : array_like, optional
        The layer's output on ``x`` if already computed, ``(N, P, U)`` or ``(N, U)``.
    threshold : float
        Fraction (0, 1] of a unit's maximum activation at which a position (or sequence) is a
        site.
    max_sites : int
        Keep at most this many strongest sites per unit.
    min_sites : int
        Units with fewer sites are flagged ``metadata["few_sites"]``.
    max_width : int
        Widest motif kept (the most informative columns of the field).
    width : int
        Window width (bp) of the attribution method; for a layer with positions at most
        ``field size - stride + 1`` (the field without the pooling offsets, e.g. the first
        convolution's width after its max-pool).
    trim_bits : float
        Flanking columns with less information (bits) are trimmed.
    batch_size : int
        Sequences per model call.
    seed : int or numpy.random.Generator
        Unused by the deterministic methods; kept for the API (ties are broken by order).

    Returns
    -------
    list of Motif
        ``result[u]`` is unit ``u``, named ``"{layer}_u{u}"``, with counts and metadata
        ``unit``, ``layer``, ``n_sites``, ``few_sites``, ``max_activation``, ``method``,
        ``field_size`` (receptive-field width, bp), ``trim_start``/``trim_end`` (kept columns
        of the field).
    """
    if not isinstance(model, keras.Model):
        raise InputError(f"model must be a keras.Model. Received: {type(model).__name__}.")
    if method not in ("auto", "windows", "attribution"):
        raise InputError(f"method must be 'auto', 'windows' or 'attribution'. Received: method={method!r}")
    if not (0 < float(threshold) <= 1):
        raise InputError(f"threshold must be in (0, 1]. Received: threshold={threshold!r}")
    for nm, v in (("max_sites", max_sites), ("max_width", max_width), ("width", width), ("min_sites", min_sites)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise InputError(f"{nm} must be a positive integer. Received: {nm}={v!r}")
    check_seed(seed)
    xs = _check_x(x)
    lay = find_layer(model, layer)
    rf = receptive_field(model, lay)
    if activations is None:
        acts = layer_features(model, xs, lay, batch_size=batch_size)
    else:
        acts = np.asarray(activations, dtype=np.float32)
        if acts.shape[0] != xs.shape[0] or acts.ndim not in (2, 3):
            raise InputError(f"activations have shape {acts.shape}; expected ({xs.shape[0]}, P, U) or ({xs.shape[0]}, U).")
    acts = np.nan_to_num(acts, nan=0.0, posinf=float(np.finfo(np.float32).max / 4))
    positional = acts.ndim == 3 and not rf.is_global
    if method == "auto":  # the whole field fits in a motif (and is not pooled): its windows; else localise
        method = "windows" if positional and rf.size <= int(max_width) and rf.stride == 1 else "attribution"
    if method == "windows" and not positional:
        raise InputError(
            f"layer {lay.name!r} has no position axis (its field is the whole sequence); use method='attribution'."
        )
    n_units = acts.shape[-1]
    motifs = []
    grad_fn = _unit_gradient_fn(model, lay) if method == "attribution" else None
    for u in range(n_units):
        a = acts[..., u]
        if method == "windows":
            idx, m = _sites(a, float(threshold), int(max_sites))
            seqs, pos = np.divmod(idx, a.shape[1])
            starts = rf.offset + pos * rf.stride
            counts = _count_windows(xs, seqs, starts, rf.size)
        else:
            w = min(int(width), xs.shape[1])
            if positional:  # narrower than the field, or a pooled field (motif at any of `stride` offsets) is not localised
                w = min(w, max(rf.size - rf.stride + 1, 1))
            if positional:  # sites are (sequence, position); the window must lie in that field
                idx, m = _sites(a, float(threshold), int(max_sites))
                seqs, pos = np.divmod(idx, a.shape[1])
                lo = np.clip(rf.offset + pos * rf.stride, 0, xs.shape[1])
                hi = np.clip(rf.offset + pos * rf.stride + rf.size, 0, xs.shape[1])
            else:
                per_seq = a.reshape(a.shape[0], -1).max(axis=1)
                idx, m = _sites(per_seq, float(threshold), int(max_sites))
                seqs, pos = idx, np.zeros_like(idx)
                lo, hi = np.zeros_like(idx), np.full_like(idx, xs.shape[1])
            counts = np.zeros((w, 4))
            if idx.size:
                assert grad_fn is not None  # made for method="attribution", the only other method here
                g = grad_fn(xs[seqs], pos, u, batch_size)
                contrib = (g * xs[seqs]).sum(axis=2)  # (n, L)
                cs = np.concatenate([np.zeros((idx.size, 1)), np.cumsum(contrib, axis=1)], axis=1)
                score = cs[:, w:] - cs[:, :-w]  # window starting at each position
                st = np.arange(score.shape[1])[None, :]
                ww = np.minimum(w, hi - lo)[:, None]
                ok = (st >= lo[:, None]) & (st + ww <= hi[:, None])
                ok[np.arange(idx.size), np.clip(lo, 0, score.shape[1] - 1)] |= ~ok.any(axis=1)
                starts = np.argmax(np.where(ok, score, -np.inf), axis=1)
                counts = _count_windows(xs, seqs, starts, w)
        n_sites = int(idx.size)
        name = f"{lay.name}_u{u}"
        meta = {"unit": u, "layer": lay.name, "n_sites": n_sites, "few_sites": n_sites < int(min_sites),
                "max_activation": float(m), "method": method, "field_size": int(rf.size)}
        if n_sites == 0 or counts.sum() == 0:
            motifs.append(Motif(name, np.full((min(int(max_width), counts.shape[0]), 4), 0.25), metadata=meta))
            continue
        a0, b0 = _trim(counts, int(max_width), float(trim_bits))
        meta.update(trim_start=a0, trim_end=b0)
        c = counts[a0:b0]
        c = np.where(c.sum(axis=1, keepdims=True) > 0, c, 0.0)
        motifs.append(Motif.from_counts(c, name, pseudocount=1.0, metadata=meta))
    return motifs


def _unit_gradient_fn(model: keras.Model, lay: keras.layers.Layer) -> Callable:
    per = _ENCODERS.setdefault(model, {})
    key = ("grad", lay.name)
    if key not in per:
        per[key] = _make_unit_gradient_fn(model, lay)
    return per[key]


def _make_unit_gradient_fn(model: keras.Model, lay: keras.layers.Layer) -> Callable:
    import tensorflow as tf

    enc = keras.Model(model.inputs[0], lay.output)
    length = model.inputs[0].shape[1]
    positional = len(lay.output.shape) == 3

    @tf.function(input_signature=[tf.TensorSpec([None, length, 4], tf.float32), tf.TensorSpec([None], tf.int32),
                                  tf.TensorSpec([], tf.int32)])
    def grad(xb, pb, u):
        with tf.GradientTape() as tape:
            tape.watch(xb)
            z = enc(xb, training=False)
            if positional:  # unit u at each row's own position
                s = tf.reduce_sum(tf.gather(z[..., u], pb[:, None], batch_dims=1))
            else:
                s = tf.reduce_sum(z[:, u])
        return tape.gradient(s, xb)

    def call(x: np.ndarray, pos: np.ndarray, u: int, batch_size: int) -> np.ndarray:
        out = [grad(tf.constant(x[s : s + batch_size]), tf.constant(pos[s : s + batch_size], tf.int32),
                    tf.constant(u, tf.int32)).numpy() for s in range(0, x.shape[0], batch_size)]
        return np.concatenate(out, axis=0)

    return call


# ---------------------------------------------------------------------------- annotation
def annotate_units(
    motifs: Sequence[Motif],
    references: Any,
    *,
    alpha: float = 0.05,
    min_sites: int = 10,
    null_database: Any = None,
) -> Any:
    """Each unit's best reference motif (TOMTOM-like comparison), or none.

    Parameters
    ----------
    motifs : list of Motif
        From :func:`unit_motifs` (``metadata["n_sites"]`` is read when present).
    references : list of Motif or path
        Motifs to match (planted motifs, JASPAR ...).
    alpha : float
        A unit matches its best reference when that q-value is below ``alpha``.
    min_sites : int
        Units with fewer sites are not compared (unmatched).
    null_database : None, "default" or list of Motif
        Extra comparison targets only for p-value calibration (TOMTOM's p-values are unreliable
        below ~50 targets); matches to them do not count.

    Returns
    -------
    pandas.DataFrame
        One row per unit: ``unit``, ``name``, ``motif`` (reference name, "" when unmatched),
        ``p_value``, ``q_value`` (of the best reference; NaN when not compared),
        ``orientation`` ('+'/'-' of the reference), ``n_sites``, ``consensus``.
    """
    import pandas as pd

    from ..motifs.compare import compare

    if not (0 < float(alpha) <= 1):
        raise InputError(f"alpha must be in (0, 1]. Received: alpha={alpha!r}")
    ms = list(motifs)
    if not ms or not all(isinstance(m, Motif) for m in ms):
        raise InputError("motifs must be a non-empty list of kgenint.motifs.Motif (from unit_motifs).")
    refs = _load_refs(references)
    targets = list(refs)
    if null_database is not None:
        if isinstance(null_database, str):
            if null_database != "default":
                raise InputError(f"null_database must be None, 'default' or a list of Motif. Received: {null_database!r}")
            from ..motifs.database import load_default

            targets += load_default()
        else:
            targets += _load_refs(null_database)
    n_sites = np.array([int(m.metadata.get("n_sites", min_sites)) for m in ms])
    usable = np.flatnonzero(n_sites >= max(int(min_sites), 1))
    best = np.full(len(ms), -1)
    pv = np.full(len(ms), np.nan)
    qv = np.full(len(ms), np.nan)
    ori = [""] * len(ms)
    if usable.size:
        tab = compare([ms[i] for i in usable], targets)
        tab = tab[tab["target"].to_numpy() < len(refs)]
        tab = tab.sort_values(["query", "p_value", "score"], ascending=[True, True, False], kind="mergesort")
        tab = tab.drop_duplicates("query")
        for q, t, p, qq, o in zip(tab["query"].to_numpy(), tab["target"].to_numpy(), tab["p_value"].to_numpy(),
                                  tab["q_value"].to_numpy(), tab["orientation"].astype(str).to_numpy()):
            i = usable[q]
            pv[i], qv[i], ori[i] = p, qq, o
            if qq < float(alpha):
                best[i] = t
    return pd.DataFrame({
        "unit": np.arange(len(ms)),
        "name": [m.name for m in ms],
        "motif": [refs[t].name if t >= 0 else "" for t in best],
        "p_value": pv,
        "q_value": qv,
        "orientation": [o if b >= 0 else "" for o, b in zip(ori, best)],
        "n_sites": n_sites,
        "consensus": [m.consensus for m in ms],
    })

# ---------------------------------------------------------------------------- representation
class Representation(NamedTuple):
    """What one layer represents (see :func:`representation`)."""

    summary: dict  #: the layer's row of :func:`representation_table`
    units: Any  #: DataFrame, one row per unit (annotation + ``output_share``)
    motifs: list  #: the unit motifs


def representation(
    model: keras.Model,
    x: Any,
    references: Any,
    layer: Any,
    *,
    alpha: float = 0.05,
    method: str = "auto",
    head: int | str | None = None,
    task: int = 0,
    logits: bool | None = None,
    null_database: Any = None,
    max_sequences: int | None = 2000,
    min_sites: int = 10,
    batch_size: int = 512,
    seed: Any = 0,
) -> Representation:
    """Motifs, reference matches and output shares of the units of one layer.

    Parameters
    ----------
    model, x, layer, method, head, task, logits, batch_size, seed
        As in :func:`unit_motifs` and :func:`split_at`.
    references : list of Motif or path
        Reference motifs (e.g. the simulator's planted motifs).
    alpha : float
        q-value threshold of a match.
    null_database : None, "default" or list of Motif
        Calibration targets (:func:`annotate_units`).
    max_sequences : int or None
        Sequences of ``x`` used (None: all of them).
    min_sites : int
        Units with fewer sites count as unmatched.

    Returns
    -------
    Representation
        ``summary`` keys: ``layer``, ``n_units``, ``field_size`` (bp), ``matched_frac``
        (units matching a reference at q < alpha), ``refs_covered``, ``refs_covered_frac``,
        ``units_per_motif`` (mean over covered references; redundancy), ``max_units_per_motif``,
        ``share_matched`` (sum of the matched units' positive output shares over the sum of all
        positive shares; NaN when the model cannot be cut at the layer), ``top_share`` (the
        largest unit share).
    """
    xs = _check_x(x, max_sequences)
    refs = _load_refs(references)
    lay = find_layer(model, layer)
    z = layer_features(model, xs, lay, batch_size=batch_size)
    motifs = unit_motifs(model, xs, lay, method=method, activations=z, min_sites=min_sites,
                         batch_size=batch_size, seed=seed)
    ann = annotate_units(motifs, refs, alpha=alpha, min_sites=min_sites, null_database=null_database)
    try:
        split = split_at(model, lay, head=head, logits=logits, batch_size=batch_size)
        shares = output_shares(split, z, task=task)
    except InputError:
        shares = np.full(z.shape[-1], np.nan)
    ann["output_share"] = shares
    matched = ann["motif"].to_numpy() != ""
    counts = ann.loc[matched, "motif"].value_counts()
    pos = np.clip(np.nan_to_num(shares, nan=0.0), 0, None)
    rf: ReceptiveField = receptive_field(model, lay)
    summary = {
        "layer": lay.name,
        "n_units": int(z.shape[-1]),
        "field_size": int(rf.size),
        "matched_frac": float(matched.mean()),
        "refs_covered": int(counts.size),
        "refs_covered_frac": counts.size / len(refs),
        "units_per_motif": float(counts.mean()) if counts.size else float("nan"),
        "max_units_per_motif": int(counts.max()) if counts.size else 0,
        "share_matched": float(pos[matched].sum() / pos.sum()) if pos.sum() > 0 else float("nan"),
        "top_share": float(np.nanmax(shares)) if np.isfinite(shares).any() else float("nan"),
    }
    return Representation(summary, ann, motifs)


def representation_table(model: keras.Model, x: Any, references: Any, layers: Sequence[Any], **kw: Any):
    """:func:`representation` summaries of several layers, one row per layer (a DataFrame)."""
    import pandas as pd

    if isinstance(layers, (str, int)):
        layers = [layers]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lay in layers:
            rows.append(representation(model, x, references, lay, **kw).summary)
    return pd.DataFrame(rows)
