"""What the training callbacks share: taking a fixed subset of sequences, the periodic-callback
base class (due epochs, NaN on the others, atomic history files) and model-graph lookups.

See :mod:`kgenint.keras.callbacks` for the behaviour they have in common."""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import keras
import numpy as np

from .._validate import check_onehot
from ..errors import InputError

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
            self._write_history(self.history_path)

    def _set_target(self, task: Any, head: Any, logits: Any, deprecated: dict | None = None) -> None:
        """Check and keep which values the callback reads: column ``task`` of output ``head``,
        on the ``logits`` scale (docs/api.md). A callback that takes the old keywords ``output``
        (task) and ``model_output`` (head) passes them in ``deprecated`` (a ``DeprecationWarning``
        each) and keeps the old attribute names too."""
        from .adapter import _check_logits, check_task, renamed_args

        name = type(self).__name__
        if deprecated:
            v = renamed_args(name, deprecated, {"output": "task", "model_output": "head"},
                             {"task": task, "head": head}, {"task": 0, "head": None})
            task, head = v["task"], v["head"]
        self.task = check_task(task, where=f"{name}: ")
        self.head = head
        _check_logits(logits)
        self.logits = logits
        if deprecated is not None:
            self.output, self.model_output = self.task, self.head  # old attribute names

    def _write_history(self, path: Path) -> None:  # pragma: no cover - abstract
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
