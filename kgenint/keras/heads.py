"""What the head above a layer does with the layer's units: :func:`output_shares` (the share of
the output variance each unit carries), :func:`head_weights` (NID-style weights of a dense head)
and :func:`head_hvp` (Hessian-vector products of a smoothed head).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from ..errors import InputError
from .model_split import ModelSplit, split_at
from .receptive import find_layer

__all__ = ["output_shares", "head_weights", "head_hvp"]


# ---------------------------------------------------------------------------- output shares
def output_shares(split: ModelSplit, z: np.ndarray, *, task: int = 0) -> np.ndarray:
    """Share of the output variance each unit carries: ``1 - Var f(z[u -> mean]) / Var f(z)``.

    Parameters
    ----------
    split : ModelSplit
        From :func:`split_at`.
    z : ndarray, shape (N, *feature_shape)
        The layer's features.
    task : int
        Output column.

    Returns
    -------
    float64 ndarray, shape (U,)
        1 when the output is constant without the unit's variation, 0 when the unit does not
        matter, negative when its variation cancels other units' (NaN when ``f`` is constant).
    """
    from ..interactions.feature_inputs import call_head, check_features, check_task

    task = check_task(task)
    z = check_features(z)
    f0 = call_head(split.head, z, task, 1 << 30)
    v0 = float(f0.var())
    mean = z.mean(axis=0)
    out = np.full(z.shape[-1], np.nan)
    if v0 <= 0:
        return out
    for u in range(z.shape[-1]):
        zu = z.copy()
        zu[..., u] = mean[..., u]
        out[u] = 1.0 - float(call_head(split.head, zu, task, 1 << 30).var()) / v0
    return out


# ---------------------------------------------------------------------------- NID weights, HVP
def head_weights(model: keras.Model, layer: Any, *, head: int | str | None = None,
                 logits: bool | None = True) -> tuple[list[np.ndarray], np.ndarray]:
    """Dense kernels of the head above ``layer`` and each first-layer input's unit (for NID).

    Between ``layer`` and the first ``Dense`` only per-unit operations are allowed (global
    pools, concatenations of them, Flatten, BatchNorm, Dropout, elementwise activations); after
    it a chain of ``Dense`` / ``BatchNormalization`` (folded into the kernel's columns) /
    activation / ``Dropout`` layers.

    Returns
    -------
    weights : list of float64 arrays
        ``[W1 (F, H1) (each row scaled by d feature / d unit), ..., WL (H, T)]``.
    unit_of_feature : int64 array (F,)

    Raises
    ------
    InputError
        A head that is not per-unit pooling + dense layers (use the "mdd" or "hessian" detector).
    """
    split = split_at(model, layer, head=head, logits=logits)
    hm = split.head_model
    layers = [lay for lay in hm.layers if not isinstance(lay, keras.layers.InputLayer)]
    dense = [i for i, lay in enumerate(layers) if isinstance(lay, keras.layers.Dense)]
    if not dense and split.post is None:
        raise InputError(f"the head above layer {split.layer!r} has no Dense layer; NID needs a dense head.")
    per_unit_ok = (keras.layers.GlobalMaxPooling1D, keras.layers.GlobalAveragePooling1D, keras.layers.Concatenate,
                   keras.layers.Flatten, keras.layers.BatchNormalization, keras.layers.Dropout,
                   keras.layers.Activation, keras.layers.ReLU)
    first = dense[0] if dense else len(layers)
    for lay in layers[:first]:
        if not isinstance(lay, per_unit_ok):
            raise InputError(
                f"NID needs per-unit pooling between layer {split.layer!r} and the first Dense; found "
                f"{lay.name!r} ({type(lay).__name__}). Use detector='mdd' or 'hessian'."
            )
    # which unit feeds which input of the first Dense, and d feature / d unit: shift one unit
    dense_in = layers[first].input if dense else split.head_model.outputs[0]
    lay_out = find_layer(model, split.layer).output
    pre = (lambda a, training=False: a) if dense_in is lay_out else keras.Model(lay_out, dense_in)
    shape = split.feature_shape
    u = shape[-1]
    base = np.zeros((1,) + shape, dtype=np.float32)
    probe = np.repeat(base, u + 1, axis=0)
    for k in range(u):
        probe[k + 1, ..., k] += 1.0
    g = np.asarray(keras.ops.convert_to_numpy(pre(probe, training=False)), dtype=np.float64)
    diff = g[1:] - g[:1]  # (U, F)
    moved = np.abs(diff) > 1e-6
    if (moved.sum(axis=0) > 1).any():
        raise InputError(f"an input of the first Dense above layer {split.layer!r} mixes several units; NID needs per-unit features.")
    uof = np.argmax(moved, axis=0).astype(np.int64)
    scale = diff[uof, np.arange(diff.shape[1])]
    ws: list[np.ndarray] = []
    for lay in layers[first:]:
        if isinstance(lay, keras.layers.Dense):
            w = np.asarray(keras.ops.convert_to_numpy(lay.kernel), dtype=np.float64)
            ws.append(w)
        elif isinstance(lay, keras.layers.BatchNormalization):
            gam = np.asarray(keras.ops.convert_to_numpy(lay.gamma)) if lay.scale else 1.0
            var = np.asarray(keras.ops.convert_to_numpy(lay.moving_variance))
            ws[-1] = ws[-1] * (gam / np.sqrt(var + lay.epsilon))[None, :]
        elif not isinstance(lay, (keras.layers.Activation, keras.layers.ReLU, keras.layers.Dropout,
                                  keras.layers.LeakyReLU)):
            raise InputError(f"NID needs a chain of Dense layers above layer {split.layer!r}; found {lay.name!r} ({type(lay).__name__}).")
    if split.post is not None:
        ws.append(np.asarray(keras.ops.convert_to_numpy(split.post.kernel), dtype=np.float64))
    if ws:
        ws[0] = ws[0] * scale[:, None]
    return ws, uof


def _smooth_head(head_model: keras.Model, beta: float) -> keras.Model:
    """A copy of the head sharing its weights, with every ReLU replaced by ``softplus(beta x) / beta``."""
    def smooth(t):
        return keras.ops.softplus(beta * t) / beta

    def clone(lay):
        if isinstance(lay, keras.layers.ReLU) or (
            isinstance(lay, keras.layers.Activation) and getattr(lay.activation, "__name__", "") == "relu"
        ):
            return keras.layers.Activation(smooth, name=f"{lay.name}_smooth")
        if isinstance(lay, keras.layers.Dense) and getattr(lay.activation, "__name__", "") == "relu":
            cfg = lay.get_config()
            cfg.update(activation=smooth, name=f"{lay.name}_smooth")
            new = keras.layers.Dense.from_config(cfg)
            new.build(lay.input.shape)
            new.set_weights(lay.get_weights())
            return new
        return lay

    return keras.models.clone_model(head_model, clone_function=clone)


def head_hvp(split: ModelSplit, *, task: int = 0, beta: float = 10.0) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Hessian-vector products of the head's output column ``task``: ``hvp(z, v) -> H(z) v``.

    ReLUs of the head are replaced by ``softplus(beta x) / beta`` (their Hessian is zero almost
    everywhere otherwise; Janizek et al. 2021 do the same).
    """
    import tensorflow as tf

    hm = _smooth_head(split.head_model, float(beta))
    post = split.post
    t = int(task)

    spec = tf.TensorSpec([None, *split.feature_shape], tf.float32)

    @tf.function(input_signature=[spec, spec])
    def hvp(z, v):
        with tf.GradientTape() as outer:
            outer.watch(z)
            with tf.GradientTape() as inner:
                inner.watch(z)
                y = hm(z, training=False)
                if post is not None:
                    y = tf.matmul(y, post.kernel) + (post.bias if post.use_bias else 0.0)
                y = tf.reshape(y, [tf.shape(y)[0], -1])[:, t]
                s = tf.reduce_sum(y)
            g = inner.gradient(s, z, unconnected_gradients=tf.UnconnectedGradients.ZERO)
            gv = tf.reduce_sum(g * v)
        return outer.gradient(gv, z, unconnected_gradients=tf.UnconnectedGradients.ZERO)

    def call(z: np.ndarray, v: np.ndarray) -> np.ndarray:
        out = [hvp(tf.constant(z[s : s + 4096]), tf.constant(v[s : s + 4096])).numpy() for s in range(0, z.shape[0], 4096)]
        return np.concatenate(out, axis=0)

    return call
