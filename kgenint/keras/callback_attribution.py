"""The :class:`AttributionMonitor` callback and :func:`planted_mask`: attribution maps on a fixed
subset, scored against planted sites during training (see :mod:`kgenint.keras.callbacks`)."""
from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ._callback_base import (
    NAN,
    _PeriodicCallback,
    _n_outputs,
    _write_h5_atomic,
    take_sequences,
)

__all__ = ["AttributionMonitor", "planted_mask"]


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
        computed with :func:`kgenint.attribution.input_gradients` (one compiled gradient
        function, reused every epoch); any other name of
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
        super().__init__(every, history_path, prefix)
        self._set_target(task, head, logits, deprecated)
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

    def keys(self) -> list[str]:
        p = self.prefix
        return [f"{p}_auroc", f"{p}_auprc", f"{p}_mean_abs"]

    def on_train_begin(self, logs=None):
        from .adapter import head_model

        hm = head_model(self.model, self.head, self.logits)
        sub, length = hm.model, hm.input_length
        self.scale = hm.scale
        if length is not None and length != self.x.shape[1]:
            raise InputError(
                f"AttributionMonitor: x has sequences of length {self.x.shape[1]} but the model takes {length}."
            )
        n_out = _n_outputs(sub)
        if n_out is not None and self.task >= n_out:
            raise InputError(f"AttributionMonitor: task={self.task} but the head has {n_out} column(s).")

    def attributions(self) -> np.ndarray:
        """Corrected gradient x input (or corrected gradient, or a delegated method's
        contributions) on ``x``, float32 ``(N, L, 4)``; computed by the library's
        :func:`kgenint.attribution.gradient_x_input` (:func:`~kgenint.attribution.input_gradients`)
        or :func:`kgenint.attribution.attribute`."""
        from .. import attribution

        if self.method not in self.METHODS:
            opts = {"task": self.task, "logits": self.logits, **self.method_options}
            if self.head is not None:
                opts.setdefault("head", self.head)
            contrib, _ = attribution.attribute(self.model, self.x, method=self.method, progress=False, **opts)
            return np.asarray(contrib, dtype=np.float32)
        fn = attribution.gradient_x_input if self.method == "grad_x_input" else attribution.input_gradients
        return fn(self.model, self.x, head=self.head, task=self.task, logits=self.logits, correct=True,
                  batch_size=self.batch_size)

    def compute(self, epoch: int):
        from ..evaluate import auprc, auroc

        maps = self.attributions()
        score = np.abs(maps).sum(axis=-1)
        p = self.prefix
        scalars = {f"{p}_mean_abs": float(score.mean()), f"{p}_auroc": NAN, f"{p}_auprc": NAN}
        if self.mask is not None:
            scalars[f"{p}_auroc"] = auroc(self.mask.ravel(), score.ravel())
            scalars[f"{p}_auprc"] = auprc(self.mask.ravel(), score.ravel())
        extra = {"maps": maps} if self.save_maps else {}
        return scalars, extra

    def _write_history(self, path: Path) -> None:
        arrays = self._scalar_arrays()
        if self.save_maps:
            arrays["maps"] = np.stack([r["maps"] for r in self.records_]).astype(np.float32)
        if self.mask is not None:
            arrays["planted_mask"] = self.mask
        attrs = {"kind": "kgenint.AttributionMonitor", "format_version": 1, "method": self.method,
                 "output": self.task, "task": self.task, "scale": self.scale or ""}
        _write_h5_atomic(path, arrays, attrs)
