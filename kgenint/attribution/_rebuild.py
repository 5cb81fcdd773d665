"""The model rebuilding half of modified back-propagation: :func:`modified_model` clones a Keras 3
model with wrapper layers (:class:`_Modified`, :class:`_ModifiedMHA`) whose forwards apply the
DeepLIFT/DeepSHAP or LRP rules of :mod:`kgenint.attribution._rules` (the rules and the method are
described there).
"""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from ..errors import InputError
from ._rules import (
    _LINEAR, _WEIGHTED, UnsupportedLayerError, _act_fn, _elementwise_layer_fn,
    dl_einsum, dl_layer_norm, dl_max2, dl_maxpool, dl_nonlinear, dl_product, dl_softmax,
    lrp_affine, lrp_ratio, sg,
)

__all__ = ["modified_model", "select_output"]


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
