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
import numpy as np
import tensorflow as tf

from ..errors import InputError

__all__ = ["modified_model", "select_output", "UnsupportedLayerError"]


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


# ----------------------------------------------------------------------------- wrapper layers
class _PassContext:
    """Which pass a DeepLIFT call is in (``None`` plain, ``"ref"``, ``"x"``) and the recorded
    reference tensors. A plain object on purpose: Keras would copy a dict assigned to a layer."""

    def __init__(self):
        self.phase: str | None = None
        self.store: dict = {}


class _Modified(keras.layers.Layer):
    """Runs one original layer (weights shared) with a rule's modified forward."""

    def __init__(self, layer, mode: str, params: dict, final_linear: bool, ctx: _PassContext, **kw):
        super().__init__(name=f"{mode}_{layer.name}", **kw)
        self.inner = layer
        self.mode = mode
        self.params = params
        self.final_linear = final_linear
        self.ctx = ctx

    def _ref(self, tag: str, z):
        """Reference-side tensor of site ``tag``: recorded in the reference pass, returned in the
        input pass; ``None`` outside a DeepLIFT call (plain forward)."""
        phase = self.ctx.phase
        key = (self.name, tag)
        if phase == "ref":
            self.ctx.store[key] = z
        elif phase == "x":
            return self.ctx.store[key]
        return None

    def _pre_activation(self, x):
        from ..keras.adapter import call_without_activation

        return call_without_activation(self.inner, x)

    def _rule(self) -> str:
        return self.params["dense_rule"] if isinstance(self.inner, keras.layers.Dense) else self.params["rule"]

    def _affine_parts(self, x):
        """``(z, z+, z-)`` of a Dense/Conv1D layer (``z+``/``z-`` only for LRP z-rules)."""
        inner = self.inner
        z = self._pre_activation(x)
        if self.mode == "deeplift" or self._rule() == "epsilon":
            return z, None, None
        k = inner.kernel
        if isinstance(inner, keras.layers.Dense):
            zp = tf.matmul(tf.nn.relu(x), tf.nn.relu(k)) + tf.matmul(-tf.nn.relu(-x), -tf.nn.relu(-k))
            zn = tf.matmul(tf.nn.relu(x), -tf.nn.relu(-k)) + tf.matmul(-tf.nn.relu(-x), tf.nn.relu(k))
        else:
            conv = lambda a, w: keras.ops.conv(a, w, strides=inner.strides, padding=inner.padding,  # noqa: E731
                                               dilation_rate=inner.dilation_rate)
            zp = conv(tf.nn.relu(x), tf.nn.relu(k)) + conv(-tf.nn.relu(-x), -tf.nn.relu(-k))
            zn = conv(tf.nn.relu(x), -tf.nn.relu(-k)) + conv(-tf.nn.relu(-x), tf.nn.relu(k))
        return z, zp, zn

    def _nonlinear(self, z, name, fn, tag: str = "act"):
        if fn is None:
            return z
        if self.mode == "deeplift":
            zr = self._ref(tag, z)
            return fn(z) if zr is None else dl_nonlinear(z, zr, fn, name)
        if name == "relu":
            return tf.nn.relu(z)
        return lrp_ratio(z, fn(z))

    def call(self, x):
        from ..keras.layers import MotifScan, ProfileScalar, RevCompConv1D

        inner = self.inner
        p = self.params
        if isinstance(inner, keras.layers.Multiply) and self.mode == "lrp":
            a, b = list(x)
            gate = getattr(self, "gate_index", None)
            if gate == 1:  # signal-take-all: the sigmoid gate is a constant, the signal gets all relevance
                return a * sg(b)
            if gate == 0:
                return sg(a) * b
            return sg(a * b) + 0.5 * ((a - sg(a)) * sg(b) + sg(a) * (b - sg(b)))
        if isinstance(inner, keras.layers.LayerNormalization) and self.mode == "lrp":
            axes = [inner.axis] if isinstance(inner.axis, int) else list(inner.axis)
            c = x if inner.rms_scaling else x - tf.reduce_mean(x, axis=axes, keepdims=True)
            var = tf.reduce_mean(tf.square(x - tf.reduce_mean(x, axis=axes, keepdims=True)), axis=axes, keepdims=True)
            y = c * sg(tf.math.rsqrt(var + float(inner.epsilon)))  # LN-rule: the scale is a constant
            if inner.gamma is not None:
                y = y * inner.gamma
            if inner.beta is not None and not inner.rms_scaling:
                y = y + inner.beta
            return y
        if isinstance(inner, keras.layers.Multiply):
            xs = list(x)
            rs = [self._ref(f"in{i}", t) for i, t in enumerate(xs)]
            if rs[0] is None:
                return inner(xs)
            acc, acc_r = xs[0], rs[0]
            for t, tr in zip(xs[1:], rs[1:]):
                acc, acc_r = dl_product(acc, acc_r, t, tr), acc_r * tr
            return acc
        if isinstance(inner, keras.layers.LayerNormalization):
            zr = self._ref("ln", x)
            if zr is None:
                return inner(x)
            axes = [inner.axis] if isinstance(inner.axis, int) else list(inner.axis)
            y, _ = dl_layer_norm(x, zr, axes, float(inner.epsilon), bool(inner.rms_scaling))
            if inner.gamma is not None:
                y = y * inner.gamma
            if inner.beta is not None and not inner.rms_scaling:
                y = y + inner.beta
            return y
        if isinstance(inner, ProfileScalar):
            zr = self._ref("profile", x)
            if zr is None:
                return inner(x)
            z = x if len(x.shape) == 3 else x[..., None]
            zr = zr if len(zr.shape) == 3 else zr[..., None]
            w = sg(tf.nn.softmax(z, axis=1))  # the explained sequence's weights, for its references too
            self.ctx.store["__f_ref__"] = tf.reduce_sum(w * zr, axis=(1, 2))[:, None]
            return tf.reduce_sum(w * z, axis=(1, 2))[:, None]
        if isinstance(inner, _WEIGHTED):
            if self.mode == "deeplift":
                z = self._pre_activation(x)
            else:
                z, zp, zn = self._affine_parts(x)
                z = lrp_affine(z, zp, zn, self._rule(), p["epsilon"], p["alpha"], p["beta"])
            if self.final_linear:
                return z
            name, fn = _act_fn(inner.activation)
            return self._nonlinear(z, name, fn)
        if isinstance(inner, (RevCompConv1D, MotifScan)):
            return self._revcomp(x)
        if isinstance(inner, (keras.layers.MaxPooling1D, keras.layers.GlobalMaxPooling1D)):
            zr = self._ref("pool", x) if self.mode == "deeplift" else None
            if zr is None:
                return inner(x)  # plain forward; for LRP winner takes all = the ordinary gradient
            if isinstance(inner, keras.layers.GlobalMaxPooling1D):
                y = dl_maxpool(x, zr, None, None, "valid")
                return y if inner.keepdims else y[:, 0, :]
            return dl_maxpool(x, zr, int(inner.pool_size[0]), int(inner.strides[0]), inner.padding)
        el = _elementwise_layer_fn(inner)
        if el is not None:
            if self.final_linear:
                return x
            return self._nonlinear(x, *el)
        raise UnsupportedLayerError(f"internal: no rule for layer {inner.name!r}")

    def _revcomp(self, x):
        from ..keras.layers import RevCompConv1D

        inner = self.inner
        kernel = inner.kernel
        if isinstance(inner, RevCompConv1D):
            merge, act, dil = inner.merge, inner.activation, inner.dilation_rate
            bias = inner.bias
        else:  # MotifScan: linear scores, strands and combine
            merge = inner.combine if inner.strands == "both" else "forward"
            act, dil, bias = None, 1, None
        f = kernel.shape[-1]

        def scan(k, a, with_bias):
            y = keras.ops.conv(a, tf.concat([k, tf.reverse(k, axis=[0, 1])], axis=-1), padding=inner.padding,
                               dilation_rate=dil)
            if with_bias and bias is not None:
                y = y + tf.concat([bias, bias], axis=0)
            return y

        y = scan(kernel, x, True)
        if self.mode == "lrp":
            p = self.params
            zp = zn = None
            if p["rule"] != "epsilon":
                xp, xn = tf.nn.relu(x), -tf.nn.relu(-x)
                kp, kn = tf.nn.relu(kernel), -tf.nn.relu(-kernel)
                zp = scan(kp, xp, False) + scan(kn, xn, False)
                zn = scan(kn, xp, False) + scan(kp, xn, False)
            y = lrp_affine(y, zp, zn, p["rule"], p["epsilon"], p["alpha"], p["beta"])
        fwd, rc = y[..., :f], y[..., f:]
        name, fn = _act_fn(act)
        fwd, rc = self._nonlinear(fwd, name, fn, "fwd"), self._nonlinear(rc, name, fn, "rc")
        if merge == "forward":
            return fwd
        if merge is None:
            return tf.concat([fwd, tf.reverse(rc, axis=[-1])], axis=-1)
        if merge == "sum":
            return fwd + rc
        if self.mode == "deeplift":
            fr, rr = self._ref("max_fwd", fwd), self._ref("max_rc", rc)
            if fr is not None:
                return dl_max2(fwd, rc, fr, rr)
        return tf.maximum(fwd, rc)


class _ModifiedMHA(keras.layers.Layer):
    """DeepLIFT through ``keras.layers.MultiHeadAttention`` (softmax attention), exact.

    The projections and the output projection are affine (ordinary gradients); the two bilinear
    steps ``scores = K . Q / sqrt(d)`` and ``out = A . V`` use the product rule
    (:func:`dl_einsum`), the softmax :func:`dl_softmax`. Every step splits its own difference
    exactly, so attributions still add up to ``f(x) - f(r)``.
    """

    def __init__(self, layer, ctx: _PassContext, mode: str = "deeplift", **kw):
        super().__init__(name=f"{mode}_{layer.name}", **kw)
        self.inner = layer
        self.ctx = ctx
        self.mode = mode

    def call(self, query, value, key=None):
        inner = self.inner
        if key is None:
            key = value
        phase, store = self.ctx.phase, self.ctx.store
        tags = [(self.name, t) for t in ("q", "v", "k")]
        if self.mode == "lrp":  # AH-rule: attention weights are constants, relevance flows through V
            q = inner._query_dense(query) * float(inner._inverse_sqrt_key_dim)
            k = inner._key_dense(key)
            v = inner._value_dense(value)
            scores = tf.einsum(inner._dot_product_equation, k, q)
            axis = inner._softmax.axis
            axis = list(axis) if isinstance(axis, (list, tuple)) else [int(axis)]
            e = tf.exp(scores - tf.reduce_max(scores, axis=axis, keepdims=True))
            a = sg(e / tf.reduce_sum(e, axis=axis, keepdims=True))
            return inner._output_dense(tf.einsum(inner._combine_equation, a, v))
        if phase != "x":
            if phase == "ref":
                for tag, t in zip(tags, (query, value, key)):
                    store[tag] = t
            return inner(query, value, key=key)
        qr, vr, kr = (store[t] for t in tags)
        scale = float(inner._inverse_sqrt_key_dim)
        q, q_r = inner._query_dense(query) * scale, inner._query_dense(qr) * scale
        k, k_r = inner._key_dense(key), inner._key_dense(kr)
        v, v_r = inner._value_dense(value), inner._value_dense(vr)
        eq = inner._dot_product_equation
        scores, scores_r = dl_einsum(eq, k, k_r, q, q_r), tf.einsum(eq, k_r, q_r)
        axis = inner._softmax.axis
        axis = tuple(axis) if isinstance(axis, (list, tuple)) else (int(axis),)
        a, a_r = dl_softmax(scores, scores_r, axis)
        out = dl_einsum(inner._combine_equation, a, a_r, v, v_r)
        return inner._output_dense(out)


def _is_sigmoid_gate(tensor) -> bool:
    """Whether a graph tensor comes out of a sigmoid (a gate of a GLU or squeeze-excitation)."""
    from ..keras.graph import activation_name, keras_history

    layer, _ = keras_history(tensor)
    return layer is not None and activation_name(layer) in ("sigmoid", "hard_sigmoid")


def _check_mha(layer, kwargs: dict) -> None:
    """Refuse MultiHeadAttention settings the DeepLIFT rule does not cover (naming the layer)."""
    what = []
    if kwargs.get("attention_mask") is not None or kwargs.get("use_causal_mask"):
        what.append("an attention mask")
    if kwargs.get("return_attention_scores"):
        what.append("return_attention_scores=True")
    if getattr(layer, "_use_gate", False):
        what.append("a gated output")
    if getattr(layer, "_sliding_window", None) is not None:
        what.append("a sliding window")
    if not all(hasattr(layer, a) for a in ("_query_dense", "_dot_product_equation", "_combine_equation",
                                           "_softmax", "_inverse_sqrt_key_dim")):
        what.append("an unknown Keras version of the layer")
    if what:
        raise UnsupportedLayerError(
            f"layer {layer.name!r} (MultiHeadAttention) uses {', '.join(what)}, which kgenint's DeepLIFT rule "
            f"for attention does not cover. {_SUGGEST}"
        )


_SUGGEST = ("Use integrated gradients with references (method='integrated_gradients', "
            "references='shuffle': expected integrated gradients), which needs no layer rules.")

# Activations that are not elementwise. A GLU is supported when written with layers, as Keras
# models do (``Conv1D(C)`` times ``Conv1D(C, activation="sigmoid")`` through ``Multiply``): Keras'
# own "glu" activation halves the channels without telling the layer's output shape.
_NOT_ELEMENTWISE = ("softmax", "log_softmax", "sparsemax", "glu")


def _as_functional(model: keras.Model) -> keras.Model:
    if isinstance(model, keras.Sequential):
        inp = keras.Input(shape=model.input_shape[1:])
        h = inp
        for layer in model.layers:
            h = layer(h)
        return keras.Model(inp, h, name=model.name)
    try:
        model.inputs  # noqa: B018 - functional models have symbolic inputs
    except (AttributeError, ValueError):
        raise UnsupportedLayerError(
            f"model {model.name!r} is a subclassed Keras model; modified back-propagation needs a "
            f"Functional or Sequential model (its graph of layers). {_SUGGEST}"
        ) from None
    if not model.inputs:
        raise UnsupportedLayerError(f"model {model.name!r} has no symbolic inputs (subclassed model?). {_SUGGEST}")
    return model


def select_output(model: keras.Model, head: int | str | None):
    """``(functional model, output index, producing layer)`` for the chosen model output."""
    from ..keras.adapter import resolve_head
    from ..keras.graph import producer

    fm = _as_functional(model)
    k, _ = resolve_head(fm, head)
    return fm, k, producer(fm, fm.outputs[k])


def modified_model(
    model: keras.Model,
    mode: str = "deeplift",
    *,
    head: int | str | None = None,
    logits: bool | None = None,
    rule: str = "epsilon",
    dense_rule: str = "epsilon",
    epsilon: float = 1e-6,
    alpha: float = 2.0,
    beta: float = 1.0,
) -> keras.Model:
    """Rebuild ``model`` with modified forwards for ``mode`` ("deeplift" or "lrp").

    Returns a Functional model with the same input and the chosen head (its logits where
    ``logits`` asks for them, see :func:`kgenint.keras.adapter.head_scale`), sharing all weights
    with ``model``; its attribute ``_kgenint_scale`` says ``"logits"`` or ``"output"``.

    Raises
    ------
    UnsupportedLayerError
        For any layer without a rule (named in the message, with what to use instead).
    """
    from ..keras.adapter import head_scale
    from ..keras.graph import output_names
    from ..keras.layers import MotifScan, ProfileScalar, RevCompConv1D

    if mode not in ("deeplift", "lrp"):
        raise InputError(f"mode must be 'deeplift' or 'lrp'. Received: mode={mode!r}")
    for nm, r in (("rule", rule), ("dense_rule", dense_rule)):
        if r not in ("epsilon", "zplus", "alphabeta"):
            raise InputError(f"{nm} must be 'epsilon', 'zplus' or 'alphabeta'. Received: {nm}={r!r}")
    if rule == "alphabeta" and not np.isclose(alpha - beta, 1.0):
        raise InputError(f"the alpha-beta rule needs alpha - beta = 1. Received alpha={alpha}, beta={beta}.")
    fm, k, out_layer = select_output(model, head)
    strip, scale = head_scale(out_layer, logits, output_names(fm)[k], model.name)
    ctx = _PassContext()
    params = {"rule": rule, "dense_rule": dense_rule, "epsilon": float(epsilon), "alpha": float(alpha),
              "beta": float(beta)}
    squash = None
    if out_layer is not None:
        if isinstance(out_layer, keras.layers.Softmax):
            squash = "softmax"
        else:
            squash = _act_fn(getattr(out_layer, "activation", None))[0]
    if squash in ("softmax", "log_softmax") and not strip:
        raise UnsupportedLayerError(
            f"the head {out_layer.name!r} ends in a softmax, which is not elementwise; explain its logits "
            f"(logits=None or True)."
        )

    def refuse(layer, what: str = ""):
        raise UnsupportedLayerError(
            f"layer {layer.name!r} ({type(layer).__name__}{what}) has no {mode} rule in kgenint, so "
            f"attributions would be wrong. {_SUGGEST} Layers with rules: Dense, Conv1D, RevCompConv1D, "
            f"MotifScan, elementwise activations (ReLU, GELU, swish, softplus, exp, sigmoid, tanh ...), "
            f"MaxPooling1D, GlobalMaxPooling1D, average pooling, BatchNormalization, Dropout, "
            f"Add/Subtract/Concatenate, shape layers"
            + ", Multiply (gates, GLU), LayerNormalization, MultiHeadAttention, ProfileScalar."
        )

    def call_function(layer, *args, **kwargs):
        final = strip and layer is out_layer
        if isinstance(layer, keras.layers.Softmax):
            if final:
                return args[0]
            refuse(layer, ", inside the model")
        if isinstance(layer, _LINEAR) or isinstance(layer, keras.layers.BatchNormalization):
            return layer(*args, **kwargs)
        if isinstance(layer, ProfileScalar):
            if layer is not out_layer:
                raise UnsupportedLayerError(
                    f"layer {layer.name!r} (ProfileScalar) must produce the explained head; it is followed by "
                    f"other layers."
                )
            if mode != "deeplift":
                return layer(*args, **kwargs)  # its gradient already is the rule (weights held constant)
            return _Modified(layer, mode, params, False, ctx)(args[0])
        if isinstance(layer, _WEIGHTED):
            name, fn = _act_fn(layer.activation)
            if fn is None and mode == "deeplift":
                return layer(*args, **kwargs)
            if name in _NOT_ELEMENTWISE and not (final and name in ("softmax", "log_softmax")):
                refuse(layer, f" with a {name} activation")
            return _Modified(layer, mode, params, final, ctx)(args[0])
        if isinstance(layer, (RevCompConv1D, MotifScan, keras.layers.MaxPooling1D, keras.layers.GlobalMaxPooling1D)):
            if isinstance(layer, (keras.layers.MaxPooling1D, keras.layers.GlobalMaxPooling1D)) and \
                    getattr(layer, "data_format", "channels_last") != "channels_last":
                raise UnsupportedLayerError(f"layer {layer.name!r}: only channels_last pooling is supported.")
            return _Modified(layer, mode, params, False, ctx)(args[0])
        if isinstance(layer, keras.layers.Multiply):
            ins = list(args[0])
            wrapper = _Modified(layer, mode, params, False, ctx)
            if mode == "lrp":
                if len(ins) != 2:
                    refuse(layer, f" of {len(ins)} inputs")
                gates = [i for i, t in enumerate(ins) if _is_sigmoid_gate(t)]
                wrapper.gate_index = gates[0] if len(gates) == 1 else None
            return wrapper(ins)
        if isinstance(layer, keras.layers.LayerNormalization):
            axes = [layer.axis] if isinstance(layer.axis, int) else list(layer.axis)
            rank = len(args[0].shape)
            if [a % rank for a in axes] != [rank - 1]:
                refuse(layer, f" over axes {layer.axis}, not the last axis")
            return _Modified(layer, mode, params, False, ctx)(args[0])
        if isinstance(layer, keras.layers.MultiHeadAttention):
            _check_mha(layer, kwargs)
            query, value = args[0], args[1] if len(args) > 1 else kwargs.get("value")
            key = args[2] if len(args) > 2 else kwargs.get("key")
            if key is None:
                return _ModifiedMHA(layer, ctx, mode)(query, value)
            return _ModifiedMHA(layer, ctx, mode)(query, value, key)
        if _elementwise_layer_fn(layer) is not None:
            return _Modified(layer, mode, params, final, ctx)(args[0])
        refuse(layer)

    clone = keras.models.clone_model(fm, clone_function=lambda layer: layer, call_function=call_function)
    mm = keras.Model(clone.inputs, clone.outputs[k], name=f"{model.name}_{mode}")
    mm._kgenint_ctx = ctx  # phase switch of the two-pass DeepLIFT call (see deeplift._Explainer)
    mm._kgenint_scale = scale
    return mm
