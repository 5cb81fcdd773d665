"""Modified back-propagation for Keras 3 models: DeepLIFT/DeepSHAP and LRP rules.

The model is rebuilt with :func:`keras.models.clone_model` (same layer objects, so weights are
shared) and a ``call_function`` that replaces every nonlinear step by a *modified forward* whose
value is unchanged but whose gradient is the rule's multiplier. With
``sg = stop_gradient`` and a nonlinearity ``y = g(z)``::

    y' = sg(g(z)) + (z - sg(z)) * sg(m)        # value g(z), dy'/dz = m

so ordinary automatic differentiation of the rebuilt model yields DeepLIFT multipliers.

DeepLIFT/DeepSHAP (``mode="deeplift"``): the model is called twice inside one traced function,
first on the references (a plain forward pass that records, at every nonlinear site, the
reference-side tensor) and then on the inputs under the gradient tape, where every nonlinear site
uses the recorded reference tensor. Only the input pass is differentiated, so a pair costs two
forward passes and one backward pass. Elementwise nonlinearities use the rescale rule
``m = (g(z_x) - g(z_r)) / (z_x - z_r)`` (the derivative where ``|z_x - z_r| < 1e-6``). Max pooling
(``MaxPooling1D``, ``GlobalMaxPooling1D``, and the strand ``max`` of kgenint's reverse-complement
layers) uses the DeepSHAP max rule: with ``c = max(out_x, out_r)`` the part ``c - out_r`` of the
output difference is routed to the input's argmax, ``out_x - c`` to the reference's argmax, each
divided by that position's input difference. Linear layers keep their gradient. Products
(``Multiply``: squeeze-excitation gates, GLUs written with layers) use the product rule
``d(ab) = da (b_x + b_r)/2 + (a_x + a_r)/2 db`` (:func:`dl_product`); ``LayerNormalization`` and
``MultiHeadAttention`` (softmax attention) are decomposed into steps that each have an exact
rule (:func:`dl_layer_norm`, :func:`dl_softmax`, :func:`dl_einsum`); the BPNet profile scalar
(:class:`kgenint.keras.layers.ProfileScalar`) holds the explained sequence's softmax weights for
its references too. Every rule satisfies summation-to-delta, so the attributions of a sequence
add up to ``f(x) - f(reference)`` exactly (up to float32 rounding; measured <= 2e-6 relative on
the model zoo of tests/test_model_zoo.py).

LRP (``mode="lrp-epsilon"`` / ``"lrp-zplus"`` / ``"lrp-alphabeta"``): relevance densities
``c = R / a`` are propagated as gradients; at each Dense/Conv layer ``z = W a + b`` the epsilon rule
scales the gradient by ``z / (z + eps * sign(z))``; the z+ rule replaces ``W`` by ``W+`` in the
backward pass (``y' = sg(z) + (z+ - sg(z+)) * sg(z / z+)``), alpha-beta mixes ``W+`` and ``W-``;
ReLU and max pooling pass gradients unchanged (winner takes all); other elementwise nonlinearities
pass relevance proportionally (``m = g(z) / z``). Multiplicative gates pass all relevance to the
signal (the input that is not a sigmoid; half to each when neither or both are), layer
normalisation treats its scale as a constant (LN-rule) and attention its weights (AH-rule; Ali
et al. 2022, "XAI for Transformers: better explanations through conservative propagation").
Input relevance is ``x * gradient``.

Layers not listed raise :class:`UnsupportedLayerError` (an :class:`kgenint.errors.InputError`)
naming the layer and pointing to expected integrated gradients, which need no rules: we never
return numbers from a rule we do not have.
"""
from __future__ import annotations

from typing import Any, Callable

import keras
import tensorflow as tf

from ..errors import InputError

__all__ = ["UnsupportedLayerError"]

# The rebuilt model that applies these rules: :mod:`kgenint.attribution._rebuild`
# (:func:`~kgenint.attribution._rebuild.modified_model`).


class UnsupportedLayerError(InputError):
    """The model holds a layer the chosen attribution rule cannot handle."""


sg = tf.stop_gradient

# Layers whose DeepLIFT/LRP multipliers are their ordinary gradients (linear or shape-only ops).
_LINEAR = (
    keras.layers.Flatten, keras.layers.Reshape, keras.layers.Permute, keras.layers.Dropout,
    keras.layers.SpatialDropout1D, keras.layers.GaussianNoise, keras.layers.GaussianDropout,
    keras.layers.ZeroPadding1D, keras.layers.Cropping1D, keras.layers.UpSampling1D,
    keras.layers.Add, keras.layers.Subtract, keras.layers.Average, keras.layers.Concatenate,
    keras.layers.AveragePooling1D, keras.layers.GlobalAveragePooling1D, keras.layers.Identity,
    keras.layers.RepeatVector, keras.layers.InputLayer,
)
_WEIGHTED = (keras.layers.Dense, keras.layers.Conv1D)  # affine + optional activation


def _act_fn(activation: Any) -> tuple[str, Callable | None]:
    """Name and TF function of a Keras activation; ``None`` function for linear."""
    if activation is None:
        return "linear", None
    name = activation if isinstance(activation, str) else getattr(activation, "__name__", repr(activation))
    fn = keras.activations.get(activation)
    if name == "linear":
        return name, None
    return name, fn


def _elementwise_layer_fn(layer) -> tuple[str, Callable] | None:
    """``(name, fn)`` if ``layer`` applies an elementwise nonlinearity only."""
    from ..keras.layers import ExpActivation

    if isinstance(layer, ExpActivation):
        mv = layer.max_value
        return "exponential", (lambda z: tf.exp(tf.minimum(z, mv))) if mv is not None else tf.exp
    if isinstance(layer, keras.layers.ReLU):
        if layer.max_value is None and not layer.negative_slope and not layer.threshold:
            return "relu", tf.nn.relu
        return "relu", lambda z: layer(z)
    if isinstance(layer, keras.layers.LeakyReLU):
        return "leaky_relu", lambda z: layer(z)
    if isinstance(layer, keras.layers.ELU):
        return "elu", lambda z: layer(z)
    if isinstance(layer, keras.layers.Activation):
        name, fn = _act_fn(layer.activation)
        if name in ("softmax", "log_softmax", "sparsemax", "glu"):
            return None
        return name, (fn if fn is not None else (lambda z: z))
    return None


# ----------------------------------------------------------------------------- DeepLIFT ops
# Each rule takes the input-side tensor ``zx`` (on the gradient path) and the reference-side
# tensor ``zr`` recorded by the reference pass, and returns a tensor with the value of the plain
# operation on ``zx`` whose gradient is the rule's multiplier.
def _derivative(fn, z, h=1e-3):
    return (fn(z + h) - fn(z - h)) / (2 * h)


def _rescale_multiplier(zx, zr, fx, fr, fn, name: str):
    """``(fn(zx) - fn(zr)) / (zx - zr)``, the derivative at ``zx`` where ``zx ~ zr``."""
    d = zx - zr
    if name == "relu":
        grad = tf.cast(zx > 0, zx.dtype)
    elif name in ("exponential", "exp"):
        grad = fx
    elif name == "sigmoid":
        grad = fx * (1 - fx)
    elif name == "tanh":
        grad = 1 - fx * fx
    elif name == "softplus":
        grad = tf.sigmoid(zx)
    else:
        grad = _derivative(fn, zx)
    small = tf.abs(d) < 1e-6
    return tf.where(small, grad, tf.math.divide_no_nan(fx - fr, d))


def dl_nonlinear(zx, zr, fn, name: str):
    """DeepLIFT rescale rule for ``y = fn(z)``: multiplier ``(fn(zx) - fn(zr)) / (zx - zr)``.

    The value is ``fn(zx)``; the gradient with respect to ``zx`` is the incoming gradient times the
    multiplier. A custom gradient carries the multiplier, so neither pass builds the
    ``sg(f) + (z - sg(z)) * sg(m)`` temporaries of the stop-gradient formulation (measured in
    benchmarks/RESULTS_attribution.md). Only first derivatives are defined (all DeepLIFT needs).
    """

    @tf.custom_gradient
    def rescale(z):
        fx = fn(z)
        m = _rescale_multiplier(z, zr, fx, fn(zr), fn, name)

        def grad(upstream):
            return upstream * m

        return fx, grad

    return rescale(zx)


def dl_maxpool(zx, zr, pool: int | None, stride: int | None, padding: str):
    """DeepSHAP max rule for 1-D max pooling over axis 1 of ``(B, L, C)``; ``pool=None``: global.

    The input position ``p`` gets the multiplier ``(g (c - r_out) [p = argmax x] + g (x_out - c)
    [p = argmax r]) / (x_p - r_p)`` with ``c = max(x_out, r_out)``. It is built from two ordinary
    max pools that carry ``v = (z_x - sg(z_x)) / (x - r)`` (value 0): ``maxpool(sg(z_x) + v)`` has
    the input's values and so routes to the input's argmax, ``maxpool(sg(z_r) + v)`` routes to the
    reference's argmax. The backward pass is two native max-pool gradients plus elementwise work
    (no gathers or scatters); this formulation was found while benchmarking against shap.
    """
    if pool is None:
        length = zx.shape[1]
        if length is None:
            raise UnsupportedLayerError("DeepLIFT global max pooling needs a fixed sequence length.")
        pool, stride, padding = int(length), int(length), "valid"
    stride = stride or pool
    pad = padding.upper()
    delta = sg(zx - zr)
    small = tf.abs(delta) < 1e-7
    v = tf.where(small, tf.zeros_like(delta), (zx - sg(zx)) / tf.where(small, tf.ones_like(delta), delta))
    px = tf.nn.max_pool1d(sg(zx) + v, pool, stride, pad)
    pr = tf.nn.max_pool1d(sg(zr) + v, pool, stride, pad)
    xout, rout = sg(px), sg(pr)
    cross = tf.maximum(xout, rout)
    return xout + (px - xout) * (cross - rout) + (pr - rout) * (xout - cross)


def dl_max2(ax, bx, ar, br):
    """DeepSHAP max rule for the elementwise maximum of two tensors (input side ``ax, bx``,
    reference side ``ar, br``)."""
    ua, ub = ax - sg(ax), bx - sg(bx)
    xout, rout = tf.maximum(ax, bx), tf.maximum(ar, br)
    xout, rout = sg(xout), sg(rout)
    cross = tf.maximum(xout, rout)
    x_is_a = ax >= bx
    r_is_a = ar >= br
    da, db = sg(ax - ar), sg(bx - br)
    dx = tf.where(x_is_a, da, db)
    dr = tf.where(r_is_a, da, db)
    safe = lambda v: tf.where(tf.abs(v) < 1e-7, tf.ones_like(v), v)  # noqa: E731
    wx = tf.where(tf.abs(dx) < 1e-7, tf.zeros_like(dx), (cross - rout) / safe(dx))
    wr = tf.where(tf.abs(dr) < 1e-7, tf.zeros_like(dr), (xout - cross) / safe(dr))
    ux = tf.where(x_is_a, ua, ub)
    ur = tf.where(r_is_a, ua, ub)
    return xout + ux * sg(wx) + ur * sg(wr)


def dl_product(ax, ar, bx, br):
    """DeepLIFT product rule for ``y = a * b`` (broadcasting allowed).

    ``y_x - y_r = (a_x - a_r) (b_x + b_r) / 2 + (a_x + a_r) / 2 (b_x - b_r)`` exactly (the
    two-player Shapley split of a product), so the multipliers are the other factor's mean over
    input and reference. Used for gates (squeeze-excitation, GLU) and attention's bilinear steps.
    """
    return (sg(ax * bx) + (ax - sg(ax)) * sg((bx + br) / 2) + sg((ax + ar) / 2) * (bx - sg(bx)))


def dl_einsum(eq: str, ax, ar, bx, br):
    """DeepLIFT product rule for a bilinear ``einsum(eq, a, b)`` (a sum of products, so exact)."""
    y = tf.einsum(eq, sg(ax), sg(bx))
    return (y + tf.einsum(eq, ax - sg(ax), sg((bx + br) / 2)) + tf.einsum(eq, sg((ax + ar) / 2), bx - sg(bx)))


def dl_scalar_fn(vx, vr, fn, dfn):
    """Rescale rule for an elementwise ``fn`` whose derivative ``dfn`` is known."""
    fx, fr = fn(vx), fn(vr)
    d = vx - vr
    small = tf.abs(d) < 1e-6
    m = tf.where(small, dfn(vx), (fx - fr) / tf.where(small, tf.ones_like(d), d))
    return sg(fx) + (vx - sg(vx)) * sg(m), fr


def dl_softmax(sx, sr, axis: int = -1):
    """DeepLIFT for ``softmax(s)`` along ``axis``, exact: ``e = exp(s - c)`` by the rescale rule
    (``c`` the larger of both maxima, a constant), ``1 / sum(e)`` by the rescale rule, and
    ``e * (1 / sum e)`` by the product rule. Returns ``(modified softmax(sx), softmax(sr))``."""
    c = sg(tf.maximum(tf.reduce_max(sx, axis=axis, keepdims=True), tf.reduce_max(sr, axis=axis, keepdims=True)))
    ex, er = dl_scalar_fn(sx - c, sr - c, tf.exp, tf.exp)
    tx, tr = tf.reduce_sum(ex, axis=axis, keepdims=True), tf.reduce_sum(er, axis=axis, keepdims=True)
    ix, ir = dl_scalar_fn(tx, tr, tf.math.reciprocal, lambda v: -1.0 / (v * v))
    return dl_product(ex, er, ix, ir), er * ir


def dl_layer_norm(zx, zr, axes, epsilon: float, rms: bool):
    """DeepLIFT for layer normalisation ``n(z) / sqrt(var(z) + eps)`` (``n = z - mean`` or ``z``
    for RMS scaling), before gamma/beta. Exact, from three exact steps: ``var = mean(c * c)`` by
    the product rule (``c = z - mean(z)``), ``u = (var + eps)^-1/2`` by the rescale rule, and
    ``n * u`` by the product rule. Returns ``(modified output, reference output)``."""
    cx = zx - tf.reduce_mean(zx, axis=axes, keepdims=True)
    cr = zr - tf.reduce_mean(zr, axis=axes, keepdims=True)
    vx = tf.reduce_mean(dl_product(cx, cr, cx, cr), axis=axes, keepdims=True)
    vr = tf.reduce_mean(cr * cr, axis=axes, keepdims=True)
    ux, ur = dl_scalar_fn(vx, vr, lambda v: tf.math.rsqrt(v + epsilon),
                          lambda v: -0.5 * tf.math.pow(v + epsilon, -1.5))
    nx, nr = (zx, zr) if rms else (cx, cr)
    return dl_product(nx, nr, ux, ur), nr * ur


# ----------------------------------------------------------------------------- LRP ops
def lrp_ratio(z, y):
    """Pass relevance proportionally through ``y = g(z)``: gradient ``g(z) / z``."""
    ratio = tf.where(tf.abs(z) < 1e-9, tf.zeros_like(z), y / tf.where(tf.abs(z) < 1e-9, tf.ones_like(z), z))
    return sg(y) + (z - sg(z)) * sg(ratio)


def lrp_affine(z, zpos, zneg, rule: str, epsilon: float, alpha: float, beta: float):
    """Modified forward of an affine layer for an LRP rule (see module docstring)."""
    if rule == "epsilon":
        den = z + epsilon * tf.where(z >= 0, tf.ones_like(z), -tf.ones_like(z))
        return sg(z) + (z - sg(z)) * sg(z / den)
    safe = lambda v: tf.where(tf.abs(v) < 1e-9, tf.ones_like(v) * 1e-9, v)  # noqa: E731
    if rule == "zplus":
        return sg(z) + (zpos - sg(zpos)) * sg(z / safe(zpos))
    # alpha-beta: R = alpha * (z+ share) - beta * (z- share); expressed as densities
    return sg(z) + (zpos - sg(zpos)) * sg(alpha * z / safe(zpos)) - (zneg - sg(zneg)) * sg(beta * z / safe(zneg))
