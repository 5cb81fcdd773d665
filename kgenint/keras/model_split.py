"""A model cut at a layer: :func:`split_at` gives ``features(x) -> z`` (the layer's output) and
the ``head(z) -> (N, T)`` above it; :func:`layer_features` gives the layer's output alone.

Used by :mod:`kgenint.keras.units`, :mod:`kgenint.keras.heads` and the feature-space
interaction detectors. Compiled encoders are cached per model (:data:`_ENCODERS`).
"""
from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, NamedTuple

import keras
import numpy as np

from .._validate import check_onehot
from ..errors import InputError
from .receptive import find_layer

__all__ = ["ModelSplit", "split_at", "layer_features"]


# ---------------------------------------------------------------------------- inputs
def _check_x(x: Any, max_sequences: int | None = None) -> np.ndarray:
    xs = check_onehot(x, "x")
    if max_sequences is not None:
        if isinstance(max_sequences, bool) or int(max_sequences) < 2:
            raise InputError(f"max_sequences must be an integer >= 2. Received: max_sequences={max_sequences!r}")
        xs = xs[: int(max_sequences)]
    if xs.shape[0] < 2:
        raise InputError(f"x must hold at least 2 sequences. Received {xs.shape[0]}.")
    return xs



# ---------------------------------------------------------------------------- the split
#: compiled encoders, splits and gradient functions per model (weights are shared, so they stay
#: valid while the model trains; nothing is retraced on repeated calls)
_ENCODERS: "weakref.WeakKeyDictionary[keras.Model, dict]" = weakref.WeakKeyDictionary()

class ModelSplit(NamedTuple):
    """A model cut at a layer (see :func:`split_at`)."""

    layer: str  #: the layer whose output is the feature space
    features: Callable[[np.ndarray], np.ndarray]  #: x (N, L, 4) -> z (N, *feature_shape)
    head: Callable[[np.ndarray], np.ndarray]  #: z -> (N, T) float32
    encoder: keras.Model  #: input -> layer output
    head_model: keras.Model  #: layer output -> pre-activation (or output)
    post: Any  #: a Dense whose built-in activation was stripped (applied after head_model), or None
    scale: str  #: "logits" or "output"
    feature_shape: tuple  #: (U,) or (P, U)


def _batched(fn: Callable, a: np.ndarray, batch_size: int) -> np.ndarray:
    out = [np.asarray(keras.ops.convert_to_numpy(fn(a[s : s + batch_size]))) for s in range(0, a.shape[0], batch_size)]
    return np.concatenate(out, axis=0).astype(np.float32, copy=False)


def split_at(
    model: keras.Model,
    layer: Any,
    *,
    head: int | str | None = None,
    logits: bool | None = None,
    batch_size: int = 1024,
) -> ModelSplit:
    """Cut ``model`` at ``layer``: the layer's features and the head above them.

    Parameters
    ----------
    model : keras.Model
        Functional or Sequential model with one ``(None, L, 4)`` input.
    layer : str, int or keras layer
        Every path from the input to the output must go through it (a layer inside a residual
        block is bypassed: choose the merge after it).
    head : int or str, optional
        Which model output (multi-output models).
    logits : bool, optional
        None: the pre-activation where the output ends in sigmoid/softmax, the output
        otherwise; True forces logits (error if none), False the output.
    batch_size : int
        Rows per call of ``features``/``head``.

    Returns
    -------
    ModelSplit

    Raises
    ------
    InputError
        Unknown layer; a layer some path to the output bypasses; see also
        :func:`kgenint.keras.adapter.resolve_output`.
    """
    if not isinstance(model, keras.Model):
        raise InputError(f"model must be a keras.Model. Received: {type(model).__name__}.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise InputError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
    lay = find_layer(model, layer)
    key = ("split", lay.name, head, logits, int(batch_size))
    per = _ENCODERS.setdefault(model, {})
    if key not in per:
        per[key] = _split_at(model, lay, head, logits, int(batch_size))
    return per[key]


def _split_at(model: keras.Model, lay: keras.layers.Layer, head: Any, logits: bool | None, batch_size: int) -> ModelSplit:
    from .adapter import resolve_output
    if logits is None:
        try:
            spec, scale = resolve_output(model, head, logits=True), "logits"
        except InputError:
            spec, scale = resolve_output(model, head, logits=False), "output"
    else:
        spec, scale = resolve_output(model, head, logits=bool(logits)), ("logits" if logits else "output")
    if spec is None:
        raise InputError(f"model {model.name!r} is subclassed (no layer graph); it cannot be cut at a layer.")
    out_t = spec.submodel.outputs[0]
    from .graph import activation_name as _activation_name

    if scale == "logits" and _activation_name(model.get_layer(spec.name)) not in ("sigmoid", "softmax"):
        scale = "output"  # a linear (or softplus, exp ...) output is used as it is
    post_layer = None
    if spec.post is not None:
        post_layer = getattr(spec.post, "__defaults__", (None,))[0]
    encoder = keras.Model(model.inputs[0], lay.output, name=f"{model.name}_to_{lay.name}")
    enc_fn = _encoder_fn(model, lay)
    try:
        head_model = keras.Model(lay.output, out_t, name=f"{model.name}_from_{lay.name}")
    except ValueError:
        raise InputError(
            f"the output of model {model.name!r} does not depend on layer {lay.name!r} alone (another path, "
            f"e.g. a residual branch, bypasses it). Choose a layer every path goes through, such as the "
            f"merge (Add) after it."
        ) from None
    post = spec.post
    head_fn = _compiled(head_model)

    def features(x: np.ndarray) -> np.ndarray:
        return _batched(enc_fn, check_onehot(x, "x"), int(batch_size))

    def head_call(z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float32)

        def f(zb):
            y = head_fn(zb)
            return post(y) if post is not None else y

        y = _batched(f, z, int(batch_size) * 8)
        return y.reshape(y.shape[0], -1)

    fshape = tuple(int(d) for d in lay.output.shape[1:])
    return ModelSplit(lay.name, features, head_call, encoder, head_model, post_layer if post is not None else None,
                      scale, fshape)


def _compiled(sub: keras.Model) -> Callable:
    import tensorflow as tf

    shape = [None] + [int(d) if d is not None else None for d in sub.inputs[0].shape[1:]]

    @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32)], reduce_retracing=True)
    def fn(a):
        return sub(a, training=False)

    return fn


def _encoder_fn(model: keras.Model, lay: keras.layers.Layer) -> Callable:
    """A compiled ``x -> layer output``, cached per model and layer (no retracing per call)."""
    per = _ENCODERS.setdefault(model, {})
    if lay.name not in per:
        per[lay.name] = _compiled(keras.Model(model.inputs[0], lay.output))
    return per[lay.name]


def layer_features(model: keras.Model, x: Any, layer: Any, *, batch_size: int = 1024) -> np.ndarray:
    """The output of ``layer`` on ``x``: float32 ``(N, P, U)`` or ``(N, U)``.

    Parameters
    ----------
    model : keras.Model
        Single-input ``(None, L, 4)`` model.
    x : array_like, shape (N, L, 4)
        One-hot sequences.
    layer : str, int or keras layer
        The layer.
    batch_size : int
        Sequences per call.
    """
    if not isinstance(model, keras.Model):
        raise InputError(f"model must be a keras.Model. Received: {type(model).__name__}.")
    lay = find_layer(model, layer)
    return _batched(_encoder_fn(model, lay), check_onehot(x, "x"), int(batch_size))
