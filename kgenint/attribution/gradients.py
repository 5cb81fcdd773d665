"""Gradient attributions: saliency and SmoothGrad (through tf-keras-vis), gradient x input and
integrated gradients (our own batched implementations).

All return float32 ``(N, L, 4)``. ``correct=True`` applies the gradient correction for one-hot
input (Majdandzic et al. 2023): the per-position mean over the four bases is subtracted from the
gradient, removing the off-simplex component that one-hot data cannot move along.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_onehot
from ..errors import InputError
from .deeplift import resolve_model

__all__ = [
    "saliency", "smoothgrad", "gradient_x_input", "integrated_gradients", "IGResult",
    "gradient_correction", "logit_model",
]


def gradient_correction(g: np.ndarray) -> np.ndarray:
    """Subtract the per-position mean over the four bases (``g - g.mean(-1, keepdims=True)``)."""
    return g - g.mean(axis=-1, keepdims=True)


def logit_model(model, head=None, logits: bool = True):
    """A Functional model whose single output is the chosen head's logits (or outputs).

    Used as our own replacement for tf-keras-vis' ``ReplaceToLinear`` (which fails on Keras 3
    Sequential models): the final sigmoid/softmax is dropped by reading its input tensor or, for
    a Dense layer with a built-in activation, by a linear Dense twin that shares its weights.
    """
    import keras

    from ..keras.adapter import _activation_name
    from ._rules import select_output

    fm, k, layer = select_output(model, head)
    out = fm.outputs[k]
    if logits and layer is not None and _activation_name(layer) in ("sigmoid", "softmax"):
        if isinstance(layer, (keras.layers.Activation, keras.layers.Softmax)):
            out = layer.input
        elif isinstance(layer, keras.layers.Dense):
            twin = keras.layers.Dense(layer.units, activation=None, use_bias=layer.use_bias, name=layer.name + "_logits")
            out = twin(layer.input)
            twin.set_weights(layer.get_weights())
        else:
            raise InputError(
                f"the output layer {layer.name!r} has a built-in {_activation_name(layer)} activation kgenint "
                f"cannot strip; pass logits=False or end the model with a separate Activation layer."
            )
    return keras.Model(fm.inputs, out, name=f"{model.name}_logits")


_GRAD_CACHE: dict = {}


def _grad_fn(model, output: int, head, logits: bool):
    import tensorflow as tf

    key = (id(model), output, str(head), logits)
    hit = _GRAD_CACHE.get(key)
    if hit is not None and hit[0] is model:
        return hit[1]
    lm = logit_model(model, head, logits)
    n_out = int(np.prod(lm.outputs[0].shape[1:])) if lm.outputs[0].shape[1:] else 1
    if not 0 <= output < n_out:
        raise InputError(f"output={output} is out of range: the model has {n_out} output unit(s).")
    shape = lm.inputs[0].shape

    @tf.function(input_signature=[tf.TensorSpec([None, shape[1], 4], tf.float32)])
    def fn(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reshape(lm(x, training=False), [tf.shape(x)[0], -1])[:, output]
            total = tf.reduce_sum(y)
        return tape.gradient(total, x), y

    _GRAD_CACHE[key] = (model, fn)
    if len(_GRAD_CACHE) > 8:
        _GRAD_CACHE.pop(next(iter(_GRAD_CACHE)))
    return fn


def _gradients(model, x, output, head, logits, batch_size):
    import tensorflow as tf

    fn = _grad_fn(model, output, head, logits)
    gs, ys = [], []
    for s in range(0, len(x), batch_size):
        g, y = fn(tf.constant(x[s:s + batch_size]))
        gs.append(g.numpy())
        ys.append(y.numpy())
    return np.concatenate(gs), np.concatenate(ys).astype(np.float64)


def _check_common(model, x, batch_size):
    model = resolve_model(model)
    x = check_onehot(x, "x")
    L = model.inputs[0].shape[1] if getattr(model, "inputs", None) else None
    if L is not None and int(L) != x.shape[1]:
        raise InputError(f"the model takes sequences of length {int(L)}; x has length {x.shape[1]}.")
    if isinstance(batch_size, bool) or int(batch_size) < 1:
        raise InputError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
    return model, x


def _tfkv_saliency(model, x, output, head, logits, smooth_samples, smooth_noise, seed):
    import tensorflow as tf
    from tf_keras_vis.saliency import Saliency

    lm = logit_model(model, head, logits)

    def score(out):
        return tf.reshape(out, [tf.shape(out)[0], -1])[:, output]

    sal = Saliency(lm, model_modifier=None, clone=False)
    if smooth_samples:
        tf.random.set_seed(int(seed))
    g = sal(score, x, smooth_samples=int(smooth_samples), smooth_noise=float(smooth_noise), keepdims=True,
            gradient_modifier=None, normalize_map=False)
    return np.asarray(g, dtype=np.float32)


def saliency(model, x, *, output: int = 0, head=None, logits: bool = True, correct: bool = True,
             batch_size: int = 256) -> np.ndarray:
    """Saliency map: the gradient of the output (logit) with respect to the one-hot input.

    Computed with tf-keras-vis' ``Saliency`` (signed gradients: ``gradient_modifier=None``,
    ``keepdims=True``, ``normalize_map=False``) on a logit model built by :func:`logit_model`.

    Parameters
    ----------
    model : keras.Model or PredictFn
    x : float32 (N, L, 4)
    output : int
        Output unit (task).
    head : int or str, optional
        Model output, for multi-output models.
    logits : bool
        Differentiate the logit (default) or the probability.
    correct : bool
        Apply :func:`gradient_correction`.
    batch_size : int

    Returns
    -------
    float32 (N, L, 4)
    """
    model, x = _check_common(model, x, batch_size)
    out = np.concatenate([
        _tfkv_saliency(model, x[s:s + batch_size], output, head, logits, 0, 0.0, 0)
        for s in range(0, len(x), batch_size)
    ])
    return (gradient_correction(out) if correct else out).astype(np.float32)


def smoothgrad(model, x, *, output: int = 0, head=None, logits: bool = True, n_samples: int = 20,
               noise: float = 0.1, correct: bool = True, seed: int = 0, batch_size: int = 64) -> np.ndarray:
    """SmoothGrad through tf-keras-vis: saliency averaged over ``n_samples`` noisy copies of x.

    ``noise`` is the noise standard deviation relative to the input range (tf-keras-vis'
    ``smooth_noise``). Seeded through ``tf.random.set_seed(seed)``.
    """
    model, x = _check_common(model, x, batch_size)
    if int(n_samples) < 1:
        raise InputError(f"n_samples must be >= 1. Received: n_samples={n_samples}")
    out = np.concatenate([
        _tfkv_saliency(model, x[s:s + batch_size], output, head, logits, n_samples, noise, seed + s)
        for s in range(0, len(x), batch_size)
    ])
    return (gradient_correction(out) if correct else out).astype(np.float32)


def gradient_x_input(model, x, *, output: int = 0, head=None, logits: bool = True, correct: bool = True,
                     batch_size: int = 256) -> np.ndarray:
    """Gradient (corrected when ``correct``) times input, float32 ``(N, L, 4)``."""
    model, x = _check_common(model, x, batch_size)
    g, _ = _gradients(model, x, output, head, logits, int(batch_size))
    if correct:
        g = gradient_correction(g)
    return (g * x).astype(np.float32)


@dataclass
class IGResult:
    """Integrated gradients with their completeness check.

    Attributes
    ----------
    attributions : float32 (N, L, 4)
    completeness_error : float64 (N,)
        ``|sum(attributions) - (f(x) - f(baseline))|``.
    """

    attributions: np.ndarray
    completeness_error: np.ndarray


def integrated_gradients(model, x, baseline=None, *, output: int = 0, head=None, logits: bool = True,
                         steps: int = 64, batch_size: int = 512, return_result: bool = False):
    """Integrated gradients (Sundararajan et al. 2017), batched over interpolation steps.

    ``attr = (x - x') * mean_k grad f(x' + (k - 1/2)/steps * (x - x'))`` (midpoint rule, k = 1..steps).

    Parameters
    ----------
    baseline : float32 (L, 4) or (N, L, 4), optional
        Default: 0.25 everywhere (the uniform base distribution).
    steps : int
        Interpolation steps; many steps of many sequences go through one gradient batch.
    return_result : bool
        Return :class:`IGResult` with the completeness error per sequence.
    """
    model, x = _check_common(model, x, batch_size)
    N, L, _ = x.shape
    if baseline is None:
        base = np.full((N, L, 4), 0.25, dtype=np.float32)
    else:
        base = np.asarray(baseline, dtype=np.float32)
        if base.shape == (L, 4):
            base = np.broadcast_to(base, (N, L, 4))
        if base.shape != (N, L, 4) or not np.all(np.isfinite(base)):
            raise InputError(f"baseline must be finite with shape (L, 4) or (N, L, 4). Received {np.shape(baseline)}.")
    if int(steps) < 1:
        raise InputError(f"steps must be >= 1. Received: steps={steps}")
    alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)
    total = N * steps
    acc = np.zeros((N, L, 4), dtype=np.float64)
    for s in range(0, total, batch_size):
        idx = np.arange(s, min(total, s + batch_size))
        n, k = idx // steps, idx % steps
        pts = base[n] + alphas[k, None, None] * (x[n] - base[n])
        g, _ = _gradients(model, pts, output, head, logits, len(idx))
        np.add.at(acc, n, g)
    attr = (x - base) * acc / steps
    if not return_result:
        return attr.astype(np.float32)
    _, fx = _gradients(model, x, output, head, logits, batch_size)
    _, fb = _gradients(model, np.ascontiguousarray(base), output, head, logits, batch_size)
    err = np.abs(attr.sum(axis=(1, 2)) - (fx - fb))
    return IGResult(attr.astype(np.float32), err)
