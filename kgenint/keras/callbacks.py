"""Keras callbacks that watch motifs, attributions and interactions appear during ``model.fit``.

Usable in any user's ``model.fit(..., callbacks=[...])``. Common behaviour:

* Work is done only on *due* epochs, ``epoch % every == 0`` (0-based, so the first epoch is
  always due); on other epochs the callback only writes NaN for its keys, which costs nothing.
* Every epoch each callback writes all of its keys into ``logs`` (NaN when not due), so the
  lists in ``History.history`` stay aligned with the epochs. Keras hands one ``logs`` dict to
  the callbacks in list order and appends ``History`` last: callbacks listed *before* ours (for
  example ``EarlyStopping``) do not see our keys; list ours first if another callback should
  monitor them.
* Full results per due epoch are kept in ``callback.records_`` (a list of dicts) and, with
  ``history_path``, written to an HDF5 file that is replaced atomically (temporary file +
  rename) at the end of each due epoch: an interrupted run leaves the previous complete file,
  never a partial one.
* The fixed data a callback uses (reference sequences, validation subset, background) may be
  given as arrays, a ``tf.data.Dataset`` or a ``keras.utils.PyDataset`` yielding ``x`` or
  ``(x, y[, w])`` batches; the first ``max_sequences`` sequences are taken once, at
  construction.
"""
from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from .._validate import check_onehot
from ..errors import InputError
from ..motifs.motif import Motif
from .adapter import check_task, renamed_args

__all__ = ["FilterMotifTracker", "AttributionMonitor", "InteractionMonitor", "take_sequences"]

NAN = float("nan")


# ---------------------------------------------------------------------------- helpers
def take_sequences(data: Any, name: str = "x", max_sequences: int | None = None) -> np.ndarray:
    """One-hot sequences from an array, a ``tf.data.Dataset`` or a ``keras.utils.PyDataset``.

    Parameters
    ----------
    data : array_like (N, L, 4), tf.data.Dataset or keras.utils.PyDataset
        Datasets may yield ``x`` or tuples ``(x, y[, sample_weight])`` of batches or of single
        sequences.
    name : str
        Argument name for error messages.
    max_sequences : int, optional
        Keep at most this many (the first ones).

    Returns
    -------
    np.ndarray, float32, shape (N, L, 4)
    """
    limit = math.inf if max_sequences is None else int(max_sequences)
    if _is_dataset(data):
        parts, n = [], 0
        for item in _iterate(data):
            if isinstance(item, dict):
                raise InputError(f"{name}: dict-valued datasets are not supported; map them to (x, y) first.")
            xb = item[0] if isinstance(item, (tuple, list)) else item
            xb = np.asarray(xb)
            if xb.ndim == 2:
                xb = xb[None]
            parts.append(xb)
            n += xb.shape[0]
            if n >= limit:
                break
        if not parts:
            raise InputError(f"{name}: the dataset yielded no sequences.")
        arr = np.concatenate(parts, axis=0)
    else:
        arr = data
    x = check_onehot(arr, name)
    return x[: int(limit)] if math.isfinite(limit) else x


def _is_dataset(data: Any) -> bool:
    if isinstance(data, keras.utils.PyDataset):
        return True
    try:
        import tensorflow as tf

        return isinstance(data, tf.data.Dataset)
    except ImportError:  # pragma: no cover
        return False


def _iterate(data: Any):
    if isinstance(data, keras.utils.PyDataset):
        for i in range(len(data)):
            yield data[i]
    else:
        yield from data.as_numpy_iterator()


def _check_every(every: Any) -> int:
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise InputError(f"every must be an integer >= 1 (epochs between runs). Received: every={every!r}")
    return int(every)


def _write_h5_atomic(path: Path, arrays: dict[str, np.ndarray], attrs: dict[str, Any]) -> None:
    """Write datasets and root attributes to a temporary file, then rename it over ``path``."""
    import h5py

    from .._io import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            for k, v in attrs.items():
                f.attrs[k] = v
            for k, v in arrays.items():
                v = np.asarray(v)
                if v.dtype.kind == "U":
                    v = v.astype(object)
                    f.create_dataset(k, data=v, dtype=h5py.string_dtype())
                else:
                    f.create_dataset(k, data=v)


class _PeriodicCallback(keras.callbacks.Callback):
    """Shared logic: due epochs, NaN keys, records and the atomic HDF5 history."""

    def __init__(self, every: int, history_path: str | os.PathLike | None, prefix: str):
        super().__init__()
        self.every = _check_every(every)
        self.history_path = None if history_path is None else Path(history_path)
        if not isinstance(prefix, str) or not prefix:
            raise InputError(f"prefix must be a non-empty string. Received: prefix={prefix!r}")
        self.prefix = prefix
        self.records_: list[dict[str, Any]] = []

    # subclasses: keys() -> list of log keys; compute(epoch) -> (scalars: dict key->float, extra: dict)
    def keys(self) -> list[str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def compute(self, epoch: int) -> tuple[dict[str, float], dict[str, Any]]:  # pragma: no cover
        raise NotImplementedError

    def is_due(self, epoch: int) -> bool:
        """True when ``epoch`` (0-based) is one on which the callback computes."""
        return epoch % self.every == 0

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            logs = {}
        if not self.is_due(epoch):
            for k in self.keys():
                logs[k] = NAN
            return
        scalars, extra = self.compute(epoch)
        for k in self.keys():
            logs[k] = float(scalars.get(k, NAN))
        self.records_.append({"epoch": epoch, **scalars, **extra})
        if self.history_path is not None:
            self._write_history()

    def _write_history(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _scalar_arrays(self) -> dict[str, np.ndarray]:
        out = {"epoch": np.array([r["epoch"] for r in self.records_], dtype=np.int64)}
        for k in self.keys():
            out[k.replace("/", "_")] = np.array([r.get(k, NAN) for r in self.records_], dtype=np.float64)
        return out


def _n_outputs(model: Any) -> int | None:
    """Number of columns of a single-output model's output (None if unknown)."""
    try:
        shape = tuple(model.output.shape)[1:]
    except (AttributeError, ValueError, RuntimeError):
        return None
    if any(d is None for d in shape):
        return None
    return int(np.prod(shape)) if shape else 1


def _find_first_conv(model: keras.Model, layer: Any) -> keras.layers.Layer:
    from .layers import MotifScan, RevCompConv1D

    kinds = (keras.layers.Conv1D, RevCompConv1D, MotifScan)
    if layer is None:
        for lay in model.layers:
            if isinstance(lay, kinds):
                return lay
        raise InputError(
            f"model {model.name!r} has no Conv1D, RevCompConv1D or MotifScan layer; pass layer= "
            f"the first convolution."
        )
    if isinstance(layer, str):
        try:
            lay = model.get_layer(layer)
        except ValueError:
            raise InputError(
                f"model {model.name!r} has no layer named {layer!r}. Its layers: "
                f"{', '.join(lay.name for lay in model.layers)}."
            ) from None
    elif isinstance(layer, (int, np.integer)):
        lay = model.layers[int(layer)]
    else:
        lay = layer
    if not isinstance(lay, kinds):
        raise InputError(
            f"layer {getattr(lay, 'name', lay)!r} is a {type(lay).__name__}; FilterMotifTracker needs a "
            f"Conv1D, RevCompConv1D or MotifScan layer on one-hot input."
        )
    return lay


def _following_activation(model: keras.Model, layer: keras.layers.Layer):
    """The elementwise activation layer that directly consumes ``layer``'s output, if any."""
    from .layers import ExpActivation

    kinds = (keras.layers.Activation, keras.layers.ReLU, keras.layers.LeakyReLU, ExpActivation)
    try:
        out = layer.output
    except (AttributeError, ValueError, RuntimeError):
        return None
    for lay in model.layers:
        if isinstance(lay, kinds):
            try:
                if lay.input is out:
                    return lay
            except (AttributeError, ValueError, RuntimeError):
                continue
    return None


# ---------------------------------------------------------------------------- FilterMotifTracker
class FilterMotifTracker(_PeriodicCallback):
    """Track which reference motifs the first-layer filters have learned.

    On each due epoch: compute the first layer's activations on ``x_ref`` (forward strand, after
    the layer's activation, or the directly following activation layer), turn each filter into
    a motif from its activating windows (:func:`kgenint.motifs.filters_to_motifs`), compare the
    motifs TOMTOM-style with ``reference_motifs`` (:func:`kgenint.motifs.compare.compare`) and
    log:

    * ``{prefix}_matched_frac`` -- fraction of filters whose best reference match has
      q-value < ``q_threshold``;
    * ``{prefix}_refs_covered`` -- number of reference motifs matched by at least one filter;
    * ``{prefix}_refs_covered_frac`` -- the same as a fraction of the references (NaN when the
      default database is used);
    * ``{prefix}_redundant`` -- number of filters that duplicate another one (learned the same
      reference, or match each other at q < ``q_threshold``): the sum over groups of
      ``size - 1``.

    ``records_[i]`` also holds ``covered`` (reference names), ``groups`` (lists of filter
    indices that learned the same motif), ``filter_target`` / ``filter_q`` / ``filter_n_sites``
    per filter and the filter motifs.

    Parameters
    ----------
    x_ref : array_like (N, L, 4), tf.data.Dataset or PyDataset
        Sequences whose activating windows define the filter motifs (a few hundred to a few
        thousand sequences, e.g. validation positives).
    reference_motifs : list of Motif, optional
        Motifs to look for (e.g. the simulator's planted motifs); the embedded JASPAR database
        when omitted.
    every : int
        Run every ``every`` epochs (epochs 0, every, 2*every, ...).
    layer : str, int or Layer, optional
        The first convolution (name, index or layer); the model's first ``Conv1D`` /
        ``RevCompConv1D`` / ``MotifScan`` by default.
    q_threshold : float
        A filter matches a reference when the TOMTOM-like q-value is below this.
    history_path : str or path, optional
        HDF5 file with the per-epoch results (replaced atomically each due epoch).
    logo_dir : str or path, optional
        Folder for one PNG logo grid per due epoch (``filters_epoch<k>.png``).
    threshold : float
        Fraction of a filter's maximum activation above which a window is a site.
    min_sites : int
        Filters with fewer sites are not compared (they count as unmatched).
    null_database : None, "default" or list of Motif
        Extra motifs added to the comparison targets only to calibrate p-values (TOMTOM's
        p-values depend on the target set and are unreliable below ~50 targets); only matches
        to ``reference_motifs`` count.
    max_sequences : int
        Use at most this many sequences of ``x_ref``.
    prefix : str
        Prefix of the log keys.

    Examples
    --------
    >>> tracker = FilterMotifTracker(x_valid[:500], truth.motifs, every=2)  # doctest: +SKIP
    >>> model.fit(x, y, epochs=20, callbacks=[tracker])  # doctest: +SKIP
    >>> history.history["filters_matched_frac"]  # doctest: +SKIP
    """

    def __init__(
        self,
        x_ref: Any,
        reference_motifs: Sequence[Motif] | None = None,
        every: int = 1,
        layer: Any = None,
        q_threshold: float = 0.05,
        history_path: str | os.PathLike | None = None,
        logo_dir: str | os.PathLike | None = None,
        *,
        threshold: float = 0.5,
        min_sites: int = 10,
        null_database: Any = None,
        max_sequences: int = 2000,
        prefix: str = "filters",
    ):
        super().__init__(every, history_path, prefix)
        self.x_ref = take_sequences(x_ref, "x_ref", max_sequences)
        if reference_motifs is not None:
            from .initializers import _check_motifs

            reference_motifs = _check_motifs(reference_motifs, "reference_motifs")
        self.reference_motifs = reference_motifs
        if not (0 < float(q_threshold) <= 1):
            raise InputError(f"q_threshold must be in (0, 1]. Received: q_threshold={q_threshold!r}")
        if not (0 < float(threshold) <= 1):
            raise InputError(f"threshold must be in (0, 1]. Received: threshold={threshold!r}")
        self.q_threshold = float(q_threshold)
        self.threshold = float(threshold)
        self.min_sites = int(min_sites)
        self.layer = layer
        self.logo_dir = None if logo_dir is None else Path(logo_dir)
        if isinstance(null_database, str) and null_database != "default":
            raise InputError(f"null_database must be None, 'default' or a list of Motif. Received: {null_database!r}")
        self.null_database = null_database
        self._layer = None
        self._act = None

    def keys(self) -> list[str]:
        p = self.prefix
        return [f"{p}_matched_frac", f"{p}_refs_covered", f"{p}_refs_covered_frac", f"{p}_redundant"]

    def on_train_begin(self, logs=None):
        self._layer = _find_first_conv(self.model, self.layer)
        shape = tuple(self._layer.kernel.shape)
        if len(shape) != 3 or shape[1] != 4:
            raise InputError(
                f"layer {self._layer.name!r} has a kernel of shape {shape}; FilterMotifTracker needs a "
                f"first-layer convolution on one-hot DNA (kernel (W, 4, F))."
            )
        try:
            direct = any(self._layer.input is t for t in self.model.inputs)
        except (AttributeError, ValueError, RuntimeError):  # subclassed model: trust the user
            direct = True
        if not direct:
            raise InputError(
                f"layer {self._layer.name!r} does not take the model's one-hot input directly; "
                f"FilterMotifTracker reads motifs from a first-layer convolution. Pass layer= the "
                f"convolution applied to the input."
            )
        self._act = _following_activation(self.model, self._layer)

    # -- the pieces
    def filter_activations(self, batch_size: int = 512) -> np.ndarray:
        """Forward-strand activations of the tracked layer on ``x_ref``, float32 ``(N, L', F)``."""
        from .layers import MotifScan, RevCompConv1D

        lay = self._layer
        out = []
        for s in range(0, self.x_ref.shape[0], batch_size):
            xb = keras.ops.convert_to_tensor(self.x_ref[s : s + batch_size])
            if isinstance(lay, (RevCompConv1D, MotifScan)):
                a = lay.strand_scans(xb)[0]
            else:
                a = lay(xb)
            if self._act is not None:
                a = self._act(a)
            out.append(keras.ops.convert_to_numpy(a))
        return np.concatenate(out, axis=0).astype(np.float32, copy=False)

    def filter_motifs(self) -> list[Motif]:
        """The tracked layer's filters as motifs (from the windows that activate them)."""
        from ..motifs.from_filters import filters_to_motifs

        weights = keras.ops.convert_to_numpy(self._layer.kernel)
        acts = self.filter_activations()
        acts = np.nan_to_num(acts, nan=0.0, posinf=np.finfo(np.float32).max / 4)
        names = [f"{self._layer.name}_f{i}" for i in range(weights.shape[-1])]
        padding = getattr(self._layer, "padding", "auto")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return filters_to_motifs(
                weights, self.x_ref, activations=acts, threshold=self.threshold,
                min_sites=self.min_sites, names=names, pseudocount=1.0,
                padding=padding if padding in ("valid", "same") else "auto",
            )

    def compute(self, epoch: int):
        from ..motifs.compare import compare

        motifs = self.filter_motifs()
        n_filt = len(motifs)
        n_sites = np.array([int(m.metadata.get("n_sites", 0)) for m in motifs])
        usable = np.flatnonzero(n_sites >= max(self.min_sites, 1))
        refs = self.reference_motifs
        if refs is None:
            from ..motifs.database import load_default

            refs = load_default()
        targets = list(refs)
        if self.null_database is not None:
            extra = self.null_database
            if isinstance(extra, str):
                from ..motifs.database import load_default

                extra = load_default()
            targets = targets + list(extra)
        target = np.full(n_filt, -1, dtype=np.int64)
        qval = np.full(n_filt, np.nan)
        if usable.size:
            tab = compare([motifs[i] for i in usable], targets)
            tab = tab[tab["target"].to_numpy() < len(refs)]  # only the references count
            tab = tab.sort_values(["query", "p_value"], kind="mergesort").drop_duplicates("query")
            for q, t, qv in zip(tab["query"].to_numpy(), tab["target"].to_numpy(), tab["q_value"].to_numpy()):
                qval[usable[q]] = qv
                if qv < self.q_threshold:
                    target[usable[q]] = t
        matched = target >= 0
        covered = sorted({refs[t].name for t in target[matched]})
        # groups: filters that learned the same reference, joined with filters that match each other
        parent = list(range(n_filt))

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        def union(i, j):
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)

        for t in np.unique(target[matched]):
            members = np.flatnonzero(target == t)
            for j in members[1:]:
                union(members[0], j)
        if usable.size > 1:
            ff = compare([motifs[i] for i in usable], [motifs[i] for i in usable])
            ff = ff[(ff["query"] != ff["target"]) & (ff["q_value"] < self.q_threshold)]
            for a, b in zip(ff["query"].to_numpy(), ff["target"].to_numpy()):
                union(usable[a], usable[b])
        comp: dict[int, list[int]] = {}
        for i in range(n_filt):
            comp.setdefault(find(i), []).append(i)
        groups = [g for g in comp.values() if len(g) > 1]
        redundant = sum(len(g) - 1 for g in groups)
        scalars = {
            f"{self.prefix}_matched_frac": float(matched.mean()) if n_filt else NAN,
            f"{self.prefix}_refs_covered": float(len(covered)),
            f"{self.prefix}_refs_covered_frac": (
                len(covered) / len(refs) if self.reference_motifs is not None else NAN
            ),
            f"{self.prefix}_redundant": float(redundant),
        }
        extra = {
            "covered": covered,
            "groups": groups,
            "filter_target": [refs[t].name if t >= 0 else "" for t in target],
            "filter_q": qval,
            "filter_n_sites": n_sites,
            "motifs": motifs,
        }
        if self.logo_dir is not None:
            self._save_logos(epoch, motifs, extra["filter_target"], n_sites)
        return scalars, extra

    def _save_logos(self, epoch: int, motifs: list[Motif], names: list[str], n_sites: np.ndarray) -> None:
        from ..plot.logos import plot_motifs, save_figure

        order = sorted(range(len(motifs)), key=lambda i: (names[i] == "", -n_sites[i]))[:16]
        titles = [f"f{i}" + (f" = {names[i]}" if names[i] else "") for i in order]
        fig = plot_motifs([motifs[i] for i in order], titles=titles, ncols=4)
        self.logo_dir.mkdir(parents=True, exist_ok=True)
        save_figure(fig, self.logo_dir / f"filters_epoch{epoch + 1:03d}.png", dpi=80)

    def _write_history(self) -> None:
        arrays = self._scalar_arrays()
        recs = self.records_
        arrays["filter_target"] = np.array([r["filter_target"] for r in recs], dtype=str)
        arrays["filter_q"] = np.array([r["filter_q"] for r in recs], dtype=np.float64)
        arrays["filter_n_sites"] = np.array([r["filter_n_sites"] for r in recs], dtype=np.int64)
        arrays["filter_pwm"] = np.array([[m.pwm for m in r["motifs"]] for r in recs], dtype=np.float32)
        attrs: dict[str, Any] = {
            "kind": "kgenint.FilterMotifTracker",
            "format_version": 1,
            "layer": self._layer.name,
            "q_threshold": self.q_threshold,
            "threshold": self.threshold,
        }
        if self.reference_motifs is not None:
            names = [m.name for m in self.reference_motifs]
            arrays["reference_names"] = np.array(names, dtype=str)
            arrays["covered"] = np.array([[n in r["covered"] for n in names] for r in recs], dtype=bool)
        _write_h5_atomic(self.history_path, arrays, attrs)


# ---------------------------------------------------------------------------- AttributionMonitor
def planted_mask(truth: Any, n: int, length: int, indices: Any = None,
                 exclude_roles: Sequence[str] = ("decoy",)) -> np.ndarray:
    """Boolean ``(n, length)`` mask of planted motif positions.

    Parameters
    ----------
    truth : GroundTruth, DataFrame or array_like (n, length) of bool
        A :class:`kgenint.simulate.GroundTruth` (its ``instances`` table), a table with
        columns ``seq, start, end`` (0-based half-open, optional ``role``), or a ready mask.
    n, length : int
        Number of monitored sequences and their length.
    indices : array_like of int, shape (n,), optional
        Row ``i`` of the monitored sequences is sequence ``indices[i]`` of ``truth`` (default
        ``0..n-1``).
    exclude_roles : sequence of str
        Instances with these roles are not counted (decoys carry no effect on the labels).
    """
    if isinstance(truth, np.ndarray) or (isinstance(truth, (list, tuple)) and not hasattr(truth, "columns")):
        mask = np.asarray(truth, dtype=bool)
        if mask.shape != (n, length):
            raise InputError(f"truth mask must have shape ({n}, {length}). Received {mask.shape}.")
        return mask
    table = getattr(truth, "instances", truth)
    if not all(hasattr(table, "__getitem__") and c in getattr(table, "columns", ()) for c in ("seq", "start", "end")):
        raise InputError(
            "truth must be a kgenint.simulate.GroundTruth, a table with columns seq, start, end, or a "
            f"boolean (N, L) mask. Received: {type(truth).__name__}."
        )
    if "role" in table.columns and exclude_roles:
        table = table[~table["role"].isin(list(exclude_roles))]
    if indices is None:
        indices = np.arange(n)
    indices = np.asarray(indices, dtype=np.int64)
    if indices.shape != (n,):
        raise InputError(f"indices must have one entry per monitored sequence ({n}). Received shape {indices.shape}.")
    row_of = {int(s): i for i, s in enumerate(indices)}
    mask = np.zeros((n, length), dtype=bool)
    for s, a, b in zip(table["seq"].to_numpy(), table["start"].to_numpy(), table["end"].to_numpy()):
        i = row_of.get(int(s))
        if i is not None:
            if not (0 <= a < b <= length):
                raise InputError(f"planted instance [{a}, {b}) of sequence {s} is outside 0..{length}.")
            mask[i, int(a) : int(b)] = True
    return mask


class AttributionMonitor(_PeriodicCallback):
    """Attribution maps on a fixed subset, scored against planted motif positions.

    On each due epoch computes gradient x input of the chosen (pre-activation) output on ``x``,
    with the one-hot gradient correction (the per-position mean gradient over the four bases is
    subtracted first, so that the off-simplex direction of the gradient does not leak into the
    attribution; Majdandzic et al. 2023). The position score is ``|attribution|`` summed over
    the bases. With ``truth``, logs ``{prefix}_auroc`` and ``{prefix}_auprc`` of the position
    scores at planted motif positions (positives) against all other positions; always logs
    ``{prefix}_mean_abs`` (mean position score).

    Parameters
    ----------
    x : array_like (N, L, 4), tf.data.Dataset or PyDataset
        Fixed validation subset (``max_sequences`` at most).
    truth : GroundTruth, DataFrame or bool array (N, L), optional
        Planted sites (see :func:`planted_mask`).
    every : int
        Run every ``every`` epochs.
    method : str
        ``"grad_x_input"`` (default) or ``"saliency"`` (the corrected gradient alone) are
        computed here in one compiled gradient function; any other name of
        :data:`kgenint.attribution.METHODS` (``"deepshap"``, ``"integrated_gradients"``,
        ``"ism"`` ...) is delegated to :func:`kgenint.attribution.attribute` (slower; use a
        larger ``every``).
    method_options : dict, optional
        Extra options for a delegated method (``n_references``, ``steps`` ...).
    task : int
        Column ``t`` of the head to explain. (Old name: ``output``.)
    head : int or str, optional
        Which model output (layer name or index), for multi-output models. (Old name:
        ``model_output``.)
    logits : bool or None
        ``None``: the logits of a sigmoid/softmax head, the output of any other head;
        True/False force (as in :func:`as_predict_fn`).
    indices : array_like of int, optional
        Sequence indices of ``x`` within ``truth`` (default ``0..N-1``).
    history_path : str or path, optional
        HDF5 file with per-epoch scores (and maps with ``save_maps``), replaced atomically.
    save_maps : bool
        Also keep the ``(N, L, 4)`` maps of every due epoch in the records and history file.
    max_sequences, batch_size : int
        Size of the subset and of the gradient batches.
    prefix : str
        Prefix of the log keys.
    """

    METHODS = ("grad_x_input", "saliency")  # computed here; others go to kgenint.attribution

    def __init__(
        self,
        x: Any,
        truth: Any = None,
        every: int = 1,
        method: str = "grad_x_input",
        task: int = 0,
        *,
        head: int | str | None = None,
        logits: bool | None = None,
        indices: Any = None,
        method_options: dict | None = None,
        history_path: str | os.PathLike | None = None,
        save_maps: bool = False,
        max_sequences: int = 500,
        batch_size: int = 256,
        prefix: str = "attr",
        **deprecated: Any,
    ):
        if deprecated:
            v = renamed_args("AttributionMonitor", deprecated, {"output": "task", "model_output": "head"},
                             {"task": task, "head": head}, {"task": 0, "head": None})
            task, head = v["task"], v["head"]
        super().__init__(every, history_path, prefix)
        self.x = take_sequences(x, "x", max_sequences)
        if method not in self.METHODS:
            try:
                from ..attribution import METHODS as delegated
            except ImportError:  # pragma: no cover - attribution package not installed
                delegated = ()
            if method not in delegated:
                raise InputError(
                    f"method must be one of {self.METHODS + tuple(delegated)}. Received: method={method!r}"
                )
        self.method_options = dict(method_options or {})
        self.method = method
        self.task = check_task(task, where="AttributionMonitor: ")
        self.head = head
        self.output, self.model_output = self.task, head  # old attribute names
        if logits is not None and not isinstance(logits, (bool, np.bool_)):
            raise InputError(f"logits must be None, True or False. Received: logits={logits!r}")
        self.logits = logits
        self.scale = None
        self.mask = None
        if truth is not None:
            n, length = self.x.shape[:2]
            if indices is not None:
                indices = np.asarray(indices)[:n]
            self.mask = planted_mask(truth, n, length, indices)
            if not self.mask.any() or self.mask.all():
                warnings.warn(
                    "AttributionMonitor: the monitored sequences have "
                    + ("no planted positions" if not self.mask.any() else "only planted positions")
                    + "; AUROC/AUPRC will be NaN. Include sequences with planted motifs.",
                    stacklevel=2,
                )
        self.save_maps = bool(save_maps)
        self.batch_size = int(batch_size)
        self._grad = None

    def keys(self) -> list[str]:
        p = self.prefix
        return [f"{p}_auroc", f"{p}_auprc", f"{p}_mean_abs"]

    def on_train_begin(self, logs=None):
        import tensorflow as tf

        from .adapter import head_model

        hm = head_model(self.model, self.head, self.logits)
        sub, post, length = hm.model, None, hm.input_length
        self.scale = hm.scale
        if length is not None and length != self.x.shape[1]:
            raise InputError(
                f"AttributionMonitor: x has sequences of length {self.x.shape[1]} but the model takes {length}."
            )
        t = self.task
        n_out = _n_outputs(sub)
        if n_out is not None and t >= n_out:
            raise InputError(f"AttributionMonitor: task={t} but the head has {n_out} column(s).")

        @tf.function(input_signature=[tf.TensorSpec([None, self.x.shape[1], 4], tf.float32)])
        def grad(xb):
            with tf.GradientTape() as tape:
                tape.watch(xb)
                y = sub(xb, training=False)
                if post is not None:
                    y = post(y)
                y = tf.reshape(y, [tf.shape(y)[0], -1])
                s = tf.reduce_sum(y[:, t])
            return tape.gradient(s, xb)

        self._grad = grad

    def attributions(self) -> np.ndarray:
        """Corrected gradient x input (or corrected gradient, or a delegated method's
        contributions) on ``x``, float32 ``(N, L, 4)``."""
        import tensorflow as tf

        if self.method not in self.METHODS:
            from ..attribution import attribute

            opts = {"task": self.task, "logits": self.logits, **self.method_options}
            if self.head is not None:
                opts.setdefault("head", self.head)
            contrib, _ = attribute(self.model, self.x, method=self.method, progress=False, **opts)
            return np.asarray(contrib, dtype=np.float32)
        out = []
        for s in range(0, self.x.shape[0], self.batch_size):
            xb = self.x[s : s + self.batch_size]
            g = self._grad(tf.constant(xb)).numpy()
            g = g - g.mean(axis=-1, keepdims=True)
            out.append(g * xb if self.method == "grad_x_input" else g)
        return np.concatenate(out, axis=0).astype(np.float32, copy=False)

    def compute(self, epoch: int):
        from .training import auprc, auroc

        maps = self.attributions()
        score = np.abs(maps).sum(axis=-1)
        p = self.prefix
        scalars = {f"{p}_mean_abs": float(score.mean()), f"{p}_auroc": NAN, f"{p}_auprc": NAN}
        if self.mask is not None:
            scalars[f"{p}_auroc"] = auroc(self.mask.ravel(), score.ravel())
            scalars[f"{p}_auprc"] = auprc(self.mask.ravel(), score.ravel())
        extra = {"maps": maps} if self.save_maps else {}
        return scalars, extra

    def _write_history(self) -> None:
        arrays = self._scalar_arrays()
        if self.save_maps:
            arrays["maps"] = np.stack([r["maps"] for r in self.records_]).astype(np.float32)
        if self.mask is not None:
            arrays["planted_mask"] = self.mask
        attrs = {"kind": "kgenint.AttributionMonitor", "format_version": 1, "method": self.method,
                 "output": self.task, "task": self.task, "scale": self.scale or ""}
        _write_h5_atomic(self.history_path, arrays, attrs)


# ---------------------------------------------------------------------------- InteractionMonitor
class InteractionMonitor(_PeriodicCallback):
    """In-silico interaction effect of motif pairs, tracked over training.

    On each due epoch, for every pair ``(A, B)`` the mean interaction effect over the background
    sequences is computed on the model's logits with
    :func:`kgenint.interactions.insilico.pair_effect` (motif consensus instances at ``distance``
    bp, strands ``orientation``; the control-insert contrast
    ``f(A,B) - f(A,C_B) - f(C_A,B) + f(C_A,C_B)`` of the in-silico scan, see
    ``docs/interactions.md``). Logs ``{prefix}_{A}_{B}`` per pair (the standard
    error is in ``records_`` and the history file). Logits are used because effects that the
    model combines additively add up on the log-odds scale; probabilities saturate (see
    :func:`as_predict_fn`).

    Parameters
    ----------
    background : array_like (N, L, 4), tf.data.Dataset or PyDataset
        Background sequences the motifs are inserted into (e.g. 100 dinucleotide-shuffled
        validation sequences).
    motif_pairs : sequence of (Motif, Motif)
        The pairs to test.
    distance : int or sequence of int
        Distance between the motifs' anchors (bp), one for all pairs or one per pair.
    orientation : str or sequence of str
        Strands of A and B: ``"++"``, ``"+-"``, ``"-+"`` or ``"--"``; one or one per pair.
    every : int
        Run every ``every`` epochs.
    task : int
        Column ``t`` of the head whose values are used. (Old name: ``output``.)
    head : int or str, optional
        Which model output (layer name or index), for multi-output models. (Old name:
        ``model_output``.)
    logits : bool or None
        ``None``: the logits of a sigmoid/softmax head, the output of any other head (softplus,
        linear ...); True/False force. The history file's ``scale`` attribute says which.
    seed : int
        Seed of the insertion procedure (the same every epoch, so epochs are comparable).
    history_path : str or path, optional
        HDF5 file with per-epoch effects and standard errors, replaced atomically.
    max_sequences : int
        Use at most this many background sequences.
    prefix : str
        Prefix of the log keys.
    """

    def __init__(
        self,
        background: Any,
        motif_pairs: Sequence[tuple[Motif, Motif]],
        distance: int | Sequence[int],
        orientation: str | Sequence[str] = "++",
        every: int = 1,
        task: int = 0,
        *,
        head: int | str | None = None,
        logits: bool | None = None,
        seed: int = 0,
        history_path: str | os.PathLike | None = None,
        max_sequences: int = 200,
        batch_size: int = 1024,
        prefix: str = "interaction",
        **deprecated: Any,
    ):
        if deprecated:
            v = renamed_args("InteractionMonitor", deprecated, {"output": "task", "model_output": "head"},
                             {"task": task, "head": head}, {"task": 0, "head": None})
            task, head = v["task"], v["head"]
        super().__init__(every, history_path, prefix)
        self.background = take_sequences(background, "background", max_sequences)
        try:
            pairs = [tuple(p) for p in motif_pairs]
        except TypeError:
            raise InputError("motif_pairs must be a list of (Motif, Motif) pairs.") from None
        if not pairs:
            raise InputError("motif_pairs is empty: give at least one (Motif, Motif) pair.")
        for i, p in enumerate(pairs):
            if len(p) != 2 or not all(isinstance(m, Motif) for m in p):
                raise InputError(f"motif_pairs[{i}] must be a pair of kgenint.motifs.Motif. Received: {p!r}")
        self.motif_pairs = pairs
        n = len(pairs)
        dist = [distance] * n if np.isscalar(distance) else list(distance)
        ori = [orientation] * n if isinstance(orientation, str) else list(orientation)
        if len(dist) != n or len(ori) != n:
            raise InputError(
                f"distance and orientation must be single values or one per pair ({n} pairs). "
                f"Received {len(dist)} distances and {len(ori)} orientations."
            )
        for d in dist:
            if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
                raise InputError(f"distance must be an integer number of bp. Received: {d!r}")
        for o in ori:
            if o not in ("++", "+-", "-+", "--"):
                raise InputError(f"orientation must be '++', '+-', '-+' or '--'. Received: {o!r}")
        self.distance = [int(d) for d in dist]
        self.orientation = ori
        self.task = check_task(task, where="InteractionMonitor: ")
        self.head = head
        self.output, self.model_output = self.task, head  # old attribute names
        if logits is not None and not isinstance(logits, (bool, np.bool_)):
            raise InputError(f"logits must be None, True or False. Received: logits={logits!r}")
        self.logits = logits
        self.seed = int(seed)
        self.batch_size = int(batch_size)
        names = [f"{prefix}_{a.name}_{b.name}" for a, b in pairs]
        if len(set(names)) != n:  # same pair at several distances/orientations
            names = [f"{nm}_{d}{o}" for nm, d, o in zip(names, self.distance, self.orientation)]
        self._keys = names
        self._predict = None

    def keys(self) -> list[str]:
        return list(self._keys)

    def on_train_begin(self, logs=None):
        from .adapter import as_predict_fn

        self._predict = as_predict_fn(self.model, self.head, logits=self.logits, batch_size=self.batch_size)
        n_out = _n_outputs(self._predict.model) if self.head is None else None
        if n_out is not None and self.task >= n_out:
            raise InputError(f"InteractionMonitor: task={self.task} but the head has {n_out} column(s).")

    def compute(self, epoch: int):
        from ..interactions.insilico import pair_effect

        scalars, se = {}, []
        for key, (a, b), d, o in zip(self._keys, self.motif_pairs, self.distance, self.orientation):
            e, s = pair_effect(self._predict, self.background, a, b, d, o, task=self.task, seed=self.seed)
            scalars[key] = float(e)
            se.append(float(s))
        return scalars, {"se": np.array(se)}

    def _write_history(self) -> None:
        arrays = self._scalar_arrays()
        arrays["effect"] = np.array([[r[k] for k in self._keys] for r in self.records_], dtype=np.float64)
        arrays["se"] = np.array([r["se"] for r in self.records_], dtype=np.float64)
        arrays["pair"] = np.array([[a.name, b.name] for a, b in self.motif_pairs], dtype=str)
        arrays["distance"] = np.array(self.distance, dtype=np.int64)
        arrays["orientation"] = np.array(self.orientation, dtype=str)
        attrs = {"kind": "kgenint.InteractionMonitor", "format_version": 1, "output": self.task, "task": self.task,
                 "seed": self.seed, "scale": self._predict.scale if self._predict is not None else ""}
        _write_h5_atomic(self.history_path, arrays, attrs)
