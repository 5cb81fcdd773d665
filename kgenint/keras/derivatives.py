"""Derivative callables of a Keras model for the interaction detectors of
:mod:`kgenint.interactions` (which never see a Keras object):

* :func:`gradient_fn`: ``x -> d f / d x`` ``(N, L, 4)``;
* :func:`hvp_fn`: ``(x, v) -> H(x) v`` by forward-over-backward differentiation
  (``tf.autodiff.ForwardAccumulator`` around a ``GradientTape``): one HVP costs a few model
  passes and the memory of one backward pass per row, never the ``4L x 4L`` Hessian;
* :func:`attribution_fn`: ``x -> attributions (N, L, 4)`` from :mod:`kgenint.attribution`
  (gradient x input, saliency, integrated gradients, DeepSHAP) for DFIM and dependency maps;
* :func:`softplus_surrogate`: the same model with ReLU replaced by ``softplus(beta x) / beta``
  and max-pooling by a log-sum-exp pooling (weights copied), for Hessians of ReLU/max-pool
  models, whose exact Hessian is zero almost everywhere.

``head``, ``task`` and ``logits`` follow ``docs/api.md``.
"""
from __future__ import annotations

import math
import warnings
from typing import Callable

import keras
import numpy as np

from ..errors import InputError

__all__ = ["gradient_fn", "hvp_fn", "attribution_fn", "softplus_surrogate", "piecewise_linear_layers",
           "SurrogateWarning"]


class SurrogateWarning(UserWarning):
    """A derivative is taken of a smooth surrogate of the model, not of the model itself."""


def _scalar_model(model, head, task, logits):
    from ..attribution.gradients import logit_model

    lm = logit_model(model, head, True if logits is None else bool(logits))
    n_out = int(np.prod(lm.outputs[0].shape[1:])) if lm.outputs[0].shape[1:] else 1
    if isinstance(task, bool) or not 0 <= int(task) < n_out:
        raise InputError(f"task={task} is out of range: the model has {n_out} output unit(s).")
    return lm, int(task)


def _batched(fn, n_args: int, batch_size: int):
    import tensorflow as tf

    def call(*arrays):
        arrays = [np.asarray(a, dtype=np.float32) for a in arrays]
        outs = []
        for s in range(0, len(arrays[0]), batch_size):
            outs.append(fn(*[tf.constant(a[s:s + batch_size]) for a in arrays]).numpy())
        return np.concatenate(outs) if outs else np.zeros_like(arrays[0])

    return call


def gradient_fn(model, *, head=None, task: int = 0, logits: bool | None = None,
                batch_size: int = 256) -> Callable[[np.ndarray], np.ndarray]:
    """``x (N, L, 4) -> d f_task / d x (N, L, 4)`` float32 (no gradient correction)."""
    import tensorflow as tf

    lm, t = _scalar_model(model, head, task, logits)
    L = lm.inputs[0].shape[1]

    @tf.function(input_signature=[tf.TensorSpec([None, L, 4], tf.float32)])
    def g(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(tf.reshape(lm(x, training=False), [tf.shape(x)[0], -1])[:, t])
        return tape.gradient(y, x)

    return _batched(g, 1, int(batch_size))


def hvp_fn(model, *, head=None, task: int = 0, logits: bool | None = None,
           batch_size: int = 64) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``(x, v) -> H(x) v`` per row, ``(N, L, 4)`` float32, forward-over-backward.

    Memory: about ``batch_size`` times the activations of one forward + backward pass (a
    dual-number copy of each); at L = 1,000 and a 3-layer CNN a batch of 64 stays well below
    1 GB. ``H`` is the Hessian of ``f_task`` w.r.t. the one-hot input.
    """
    import tensorflow as tf

    lm, t = _scalar_model(model, head, task, logits)
    if piecewise_linear_layers(lm):
        warnings.warn(
            f"model {model.name!r} has piecewise-linear layers ({', '.join(piecewise_linear_layers(lm)[:4])}): "
            f"its exact Hessian is zero almost everywhere. Use softplus_surrogate(model) for Hessian "
            f"interactions.", SurrogateWarning, stacklevel=2)
    L = lm.inputs[0].shape[1]
    spec = tf.TensorSpec([None, L, 4], tf.float32)

    @tf.function(input_signature=[spec, spec])
    def h(x, v):
        with tf.autodiff.ForwardAccumulator(x, v) as acc:
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.reduce_sum(tf.reshape(lm(x, training=False), [tf.shape(x)[0], -1])[:, t])
            g = tape.gradient(y, x)
        return acc.jvp(g)

    return _batched(h, 2, int(batch_size))


def attribution_fn(model, method: str = "gradient_x_input", *, head=None, task: int = 0,
                   logits: bool | None = None, batch_size: int = 256, **kwargs) -> Callable[[np.ndarray], np.ndarray]:
    """``x -> attributions (N, L, 4)`` with a :mod:`kgenint.attribution` method.

    ``method``: ``"gradient_x_input"`` (default, cheapest), ``"saliency"``,
    ``"integrated_gradients"`` or ``"deepshap"``; ``kwargs`` go to that function (e.g.
    ``n_steps``, ``references``, ``seed``).
    """
    from .. import attribution as A

    fns = {"gradient_x_input": A.gradient_x_input, "saliency": A.saliency,
           "integrated_gradients": A.integrated_gradients, "deepshap": A.deepshap}
    if method not in fns:
        raise InputError(f"method must be one of {sorted(fns)}. Received: method={method!r}")
    f = fns[method]
    lg = True if logits is None else bool(logits)

    def call(x):
        kw = dict(kwargs)
        if method in ("gradient_x_input", "integrated_gradients", "deepshap"):
            kw.setdefault("batch_size", batch_size)
        res = f(model, x, task=task, head=head, logits=lg, **kw)
        a = getattr(res, "attributions", res)
        return np.asarray(a, dtype=np.float32)

    return call


# ----------------------------------------------------------------------------- surrogate
def piecewise_linear_layers(model) -> list[str]:
    """Names of the layers that make the Hessian vanish: ReLU activations and max-pooling."""
    from .graph import activation_name as _activation_name

    out = []
    for layer in model.layers:
        if isinstance(layer, (keras.layers.ReLU, keras.layers.MaxPooling1D, keras.layers.GlobalMaxPooling1D)):
            out.append(layer.name)
        elif _activation_name(layer) == "relu":
            out.append(layer.name)
    return out


class _SoftMaxPool1D(keras.layers.Layer):
    """Log-mean-exp pooling ``log(mean(exp(beta x))) / beta`` over the pooling windows: a smooth
    stand-in for MaxPooling1D (within ``log(pool) / beta`` below the max). Windows are gathered
    explicitly, so overlapping strides and ``"same"`` padding (padded entries never count) work."""

    def __init__(self, pool_size, strides, padding, beta, **kw):
        super().__init__(**kw)
        self.pool_size = int(np.ravel(pool_size)[0])
        self.strides = int(np.ravel(strides if strides is not None else pool_size)[0])
        self.padding, self.beta = str(padding).lower(), float(beta)

    def build(self, input_shape):
        n = int(input_shape[1])
        p, s = self.pool_size, self.strides
        if self.padding == "same":
            n_out = -(-n // s)
            pad_total = max((n_out - 1) * s + p - n, 0)
            left = pad_total // 2
        else:
            n_out = (n - p) // s + 1
            left = 0
        idx = np.arange(n_out)[:, None] * s - left + np.arange(p)[None]
        self._valid = ((idx >= 0) & (idx < n)).astype("float32")
        self._idx = np.clip(idx, 0, n - 1).astype("int32")

    def call(self, x):
        ops = keras.ops
        w = ops.take(x, self._idx, axis=1)  # (B, n_out, pool, C)
        mask = ops.convert_to_tensor(self._valid)[None, :, :, None]
        z = self.beta * w + (mask - 1.0) * 1e9
        cnt = ops.sum(mask, axis=2)
        return (ops.logsumexp(z, axis=2) - ops.log(cnt)) / self.beta


class _SoftGlobalMaxPool1D(keras.layers.Layer):
    def __init__(self, beta, **kw):
        super().__init__(**kw)
        self.beta = float(beta)

    def call(self, x):
        ops = keras.ops
        n = ops.cast(ops.shape(x)[1], x.dtype)
        return ops.logsumexp(self.beta * x, axis=1) / self.beta - ops.log(n) / self.beta


def softplus_surrogate(model, beta: float = 10.0, pool_beta: float | None = None):
    """A smooth twin of a ReLU / max-pool model: same architecture and weights, ReLU replaced by
    ``softplus(beta x) / beta`` and max-pooling by log-sum-exp pooling (``pool_beta``, default
    ``5 beta``). The twin's output differs from the model's by at most about
    ``log 2 / beta`` per ReLU unit and ``log(pool) / pool_beta`` per pooling window; its Hessian
    is the Hessian of that smooth function, a well-defined stand-in for "how the model combines
    inputs" (it converges to the model's as ``beta`` grows, while the Hessian concentrates at the
    kinks). Warns with :class:`SurrogateWarning`.

    Parameters
    ----------
    model : keras.Model (Sequential or Functional)
    beta : float > 0
    pool_beta : float > 0, optional

    Returns
    -------
    keras.Model
    """
    if not (isinstance(beta, (int, float)) and beta > 0 and math.isfinite(beta)):
        raise InputError(f"beta must be a positive number. Received: beta={beta!r}")
    pb = float(pool_beta) if pool_beta is not None else 5.0 * float(beta)
    if not pb > 0:
        raise InputError(f"pool_beta must be positive. Received: pool_beta={pool_beta!r}")
    from .graph import activation_name as _activation_name

    b = float(beta)

    def soft_relu(x):
        return keras.ops.softplus(b * x) / b

    def clone(layer):
        if isinstance(layer, keras.layers.ReLU):
            return keras.layers.Activation(soft_relu, name=layer.name)
        if isinstance(layer, keras.layers.MaxPooling1D):
            return _SoftMaxPool1D(layer.pool_size, layer.strides, layer.padding, pb, name=layer.name)
        if isinstance(layer, keras.layers.GlobalMaxPooling1D):
            if getattr(layer, "keepdims", False):
                raise InputError(f"layer {layer.name!r}: GlobalMaxPooling1D(keepdims=True) is not supported by the "
                                 f"surrogate.")
            return _SoftGlobalMaxPool1D(pb, name=layer.name)
        cfg = layer.get_config()
        if _activation_name(layer) == "relu":
            if isinstance(layer, keras.layers.Activation):
                return keras.layers.Activation(soft_relu, name=layer.name)
            cfg["activation"] = soft_relu
        return layer.__class__.from_config(cfg)

    n_pl = len(piecewise_linear_layers(model))
    twin = keras.models.clone_model(model, clone_function=clone)
    twin.set_weights(model.get_weights())
    warnings.warn(
        f"Hessians are taken of a softplus(beta={b:g}) surrogate of {model.name!r} ({n_pl} ReLU/max-pool "
        f"layer(s) smoothed, weights shared): the exact Hessian of a ReLU/max-pool model is zero almost "
        f"everywhere.", SurrogateWarning, stacklevel=2)
    return twin
