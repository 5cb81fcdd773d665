"""Receptive-field geometry of any layer of a 1-D genomic CNN, read from the layer graph.

For the output position ``p`` of a layer, the *receptive field* is the span of input positions
that can change the value of any unit at ``p``. In a stack of 1-D convolutions and pools it is
an interval that moves by a fixed number of input positions per output position:

``start(p) = offset + p * stride``, ``end(p) = start(p) + size`` (0-based, half-open), clipped to
``[0, L)``.

The three numbers follow from the layers between the input and the chosen layer (Dumoulin &
Visin 2016, "A guide to convolution arithmetic"): a convolution or pool of width ``k``,
dilation ``d``, stride ``s`` and ``pad_left`` zeros on the left maps ``(size, stride, offset)``
to ``(size + (d (k - 1)) * stride, stride * s, offset - pad_left * stride)``. Residual adds,
concatenations and other merges take the union of their inputs' spans; elementwise layers
(activations, BatchNorm, Dropout, a Dense applied per position) keep them. Global pools,
Flatten and Dense on flattened input make every unit depend on the whole sequence
(``is_global``). A squeeze-excitation gate (global mean -> dense -> multiply) makes the gated
layer global as well: every position then depends on every input position.

Dilated layers leave holes: a dilated convolution applied directly to the input reads only
every ``d``-th position of its span. ``start``/``end`` are the *span* (the first and last input
positions that can matter), which is what motif windows need. Fields are exact for positions whose every input branch reads
real data; an output position made of ``ZeroPadding1D`` zeros on one branch of a merge reads
less than its field near the sequence ends.

:func:`probe_receptive_field` measures the same thing by brute force (perturb one input position,
see which output positions move) and serves as the reference in the tests and as a check for
layers this module does not know.
"""
from __future__ import annotations

from typing import Any, NamedTuple, cast

import keras
import numpy as np

from ..errors import InputError

__all__ = ["ReceptiveField", "receptive_field", "probe_receptive_field", "find_layer"]


class ReceptiveField(NamedTuple):
    """Receptive-field geometry of one layer (input positions, 0-based, half-open).

    Attributes
    ----------
    layer : str
        Layer name.
    size : int
        Span of one output position's receptive field (input positions); ``input_length``
        when ``is_global``.
    stride : int
        Input positions between the fields of neighbouring output positions (the product of
        all strides and pools on the way).
    offset : int
        Unclipped start of output position 0's field (negative where padding reaches in).
    input_length : int or None
        ``L``, the model's sequence length.
    output_length : int or None
        Positions of the layer's output (None for a layer without a position axis).
    is_global : bool
        Every unit depends on the whole input (global pools, Flatten, squeeze-excitation).
    """

    layer: str
    size: int
    stride: int
    offset: int
    input_length: int | None
    output_length: int | None
    is_global: bool

    def window(self, p: int) -> tuple[int, int]:
        """``(start, end)`` of output position ``p``'s field, clipped to ``[0, L)``."""
        if self.is_global:
            return 0, int(self.input_length) if self.input_length is not None else 0
        s = self.offset + int(p) * self.stride
        e = s + self.size
        if self.input_length is not None:
            return max(s, 0), min(e, int(self.input_length))
        return max(s, 0), e

    def windows(self) -> np.ndarray:
        """int64 ``(P, 2)``: clipped ``(start, end)`` of every output position."""
        if self.output_length is None:
            raise InputError(f"layer {self.layer!r} has no position axis; it has no per-position windows.")
        p = np.arange(int(self.output_length), dtype=np.int64)
        if self.is_global:
            # cast, not a check: input_length is None only for a model of unknown length, where
            # int(None) raises TypeError as it always did
            return np.stack([np.zeros_like(p), np.full_like(p, int(cast(int, self.input_length)))], axis=1)
        s = self.offset + p * self.stride
        e = s + self.size
        hi = np.iinfo(np.int64).max if self.input_length is None else int(self.input_length)
        return np.stack([np.maximum(s, 0), np.minimum(e, hi)], axis=1)


class _Geo(NamedTuple):
    size: int
    stride: int
    offset: int
    length: int | None  # positions of this tensor
    is_global: bool
    positional: bool  # has a position axis


_ELEMENTWISE = (
    keras.layers.Activation, keras.layers.ReLU, keras.layers.LeakyReLU, keras.layers.PReLU,
    keras.layers.ELU, keras.layers.Softmax, keras.layers.BatchNormalization,
    keras.layers.LayerNormalization, keras.layers.Dropout, keras.layers.SpatialDropout1D,
    keras.layers.GaussianNoise, keras.layers.GaussianDropout, keras.layers.AlphaDropout,
    keras.layers.ActivityRegularization,
)
_MERGES = (
    keras.layers.Add, keras.layers.Subtract, keras.layers.Multiply, keras.layers.Average,
    keras.layers.Maximum, keras.layers.Minimum, keras.layers.Concatenate,
)
_GLOBAL = (
    keras.layers.GlobalMaxPooling1D, keras.layers.GlobalAveragePooling1D, keras.layers.Flatten,
)


def find_layer(model: keras.Model, layer: Any) -> keras.layers.Layer:
    """The layer of ``model`` named ``layer`` (or at index ``layer``, or ``layer`` itself).

    Raises
    ------
    InputError
        No such layer; the message lists the model's layers.
    """
    if isinstance(layer, keras.layers.Layer):
        return layer
    if isinstance(layer, str):
        try:
            return model.get_layer(layer)
        except ValueError:
            raise InputError(
                f"model {model.name!r} has no layer named {layer!r}. Its layers: "
                f"{', '.join(lay.name for lay in model.layers)}."
            ) from None
    if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        if not -len(model.layers) <= int(layer) < len(model.layers):
            raise InputError(f"layer={layer} is out of range: model {model.name!r} has {len(model.layers)} layers.")
        return model.layers[int(layer)]
    raise InputError(f"layer must be a layer name, an index or a keras layer. Received: layer={layer!r}")


def _as_list(t: Any) -> list:
    return list(t) if isinstance(t, (list, tuple)) else [t]


def _io(layer: keras.layers.Layer) -> tuple[list, list]:
    try:
        return _as_list(layer.input), _as_list(layer.output)
    except (AttributeError, ValueError, RuntimeError):
        raise InputError(
            f"layer {layer.name!r} is used more than once in the model (or is not connected); "
            f"receptive-field geometry needs each layer called once."
        ) from None


def _window_params(layer: keras.layers.Layer) -> tuple[int, int, int, str] | None:
    """``(kernel, dilation, stride, padding)`` of a convolution or pool, else None."""
    from .layers import MotifScan, RevCompConv1D

    if isinstance(layer, RevCompConv1D):
        return int(layer.kernel_size), int(layer.dilation_rate), 1, str(layer.padding)
    if isinstance(layer, MotifScan):
        return int(layer.width), 1, 1, str(layer.padding)
    if isinstance(layer, (keras.layers.Conv1D, keras.layers.SeparableConv1D, keras.layers.DepthwiseConv1D)):
        if isinstance(layer, keras.layers.Conv1DTranspose):
            return None
        if getattr(layer, "data_format", "channels_last") != "channels_last":
            raise InputError(f"layer {layer.name!r} uses data_format={layer.data_format!r}; only channels_last is supported.")
        ks = layer.kernel_size
        k = int(ks[0] if isinstance(ks, (tuple, list)) else ks)
        dr = layer.dilation_rate
        d = int(dr[0] if isinstance(dr, (tuple, list)) else dr)
        st = layer.strides
        s = int(st[0] if isinstance(st, (tuple, list)) else st)
        return k, d, s, str(layer.padding)
    if isinstance(layer, (keras.layers.MaxPooling1D, keras.layers.AveragePooling1D)):
        if getattr(layer, "data_format", "channels_last") != "channels_last":
            raise InputError(f"layer {layer.name!r} uses data_format={layer.data_format!r}; only channels_last is supported.")
        ps = layer.pool_size
        k = int(ps[0] if isinstance(ps, (tuple, list)) else ps)
        st = layer.strides
        s = int(st[0] if isinstance(st, (tuple, list)) else st) if st is not None else k
        return k, 1, s, str(layer.padding)
    return None


def _pad_left(padding: str, k_eff: int, stride: int, length: int | None, name: str) -> int:
    """Zeros added on the left by TensorFlow's padding rules."""
    padding = padding.lower()
    if padding == "valid":
        return 0
    if padding == "causal":
        return k_eff - 1
    if padding == "same":
        if stride == 1:
            return (k_eff - 1) // 2
        if length is None:
            raise InputError(
                f"layer {name!r}: 'same' padding with stride {stride} depends on the sequence length, "
                f"and the model's input length is not fixed. Build the model with a fixed length."
            )
        out = -(-length // stride)
        return max((out - 1) * stride + k_eff - length, 0) // 2
    raise InputError(f"layer {name!r} has padding={padding!r}; only 'valid', 'same' and 'causal' are understood.")


def _out_len(padding: str, k_eff: int, stride: int, length: int | None) -> int | None:
    if length is None:
        return None
    if padding.lower() == "valid":
        return max((length - k_eff) // stride + 1, 0)
    return -(-length // stride)


def _length_of(t: Any) -> tuple[bool, int | None]:
    shape = tuple(t.shape)
    if len(shape) == 3:
        return True, (None if shape[1] is None else int(shape[1]))
    return False, None


def _union(geos: list[_Geo], name: str) -> tuple[int, int, int, bool]:
    """Span of a merge: union of the positional inputs; global if any input is global (a
    squeeze-excitation gate, a broadcast per-sequence vector)."""
    pos = [g for g in geos if g.positional and not g.is_global]
    is_global = len(pos) < len(geos)
    if not pos:
        g = geos[0]
        return g.size, g.stride, g.offset, True
    strides = {g.stride for g in pos}
    if len(strides) > 1:
        raise InputError(
            f"layer {name!r} merges inputs with different strides ({sorted(strides)} input positions per "
            f"output position); their positions do not line up."
        )
    start = min(g.offset for g in pos)
    end = max(g.offset + g.size for g in pos)
    return end - start, pos[0].stride, start, is_global


def _geometry(model: keras.Model, target: keras.layers.Layer) -> tuple[_Geo, int | None]:
    inputs = list(model.inputs)
    if len(inputs) != 1:
        raise InputError(f"model {model.name!r} has {len(inputs)} inputs; receptive fields need one (N, L, 4) input.")
    positional, length = _length_of(inputs[0])
    if not positional:
        raise InputError(f"model {model.name!r} takes input of shape {tuple(inputs[0].shape)}; expected (None, L, 4).")
    geo: dict[int, _Geo] = {id(inputs[0]): _Geo(1, 1, 0, length, False, True)}
    return _walk(model, geo, target), length


def _walk(model: keras.Model, geo: dict[int, _Geo], target: keras.layers.Layer) -> _Geo:
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        ins, outs = _io(layer)
        if not all(id(t) in geo for t in ins):
            missing = [t for t in ins if id(t) not in geo]
            raise InputError(
                f"layer {layer.name!r} takes a tensor ({missing[0].name}) that does not come from the model's "
                f"input; receptive-field geometry needs a single-input graph."
            )
        gin = [geo[id(t)] for t in ins]
        g = _layer_geo(layer, gin, ins, outs)
        for t in outs:
            geo[id(t)] = g
        if layer is target:
            return g
    raise InputError(f"layer {target.name!r} is not reached from the input of model {model.name!r}.")


def _layer_geo(layer: keras.layers.Layer, gin: list[_Geo], ins: list, outs: list) -> _Geo:
    from .layers import ExpActivation

    name = layer.name
    out_pos, out_len = _length_of(outs[0])
    if isinstance(layer, keras.Model):  # nested model: walk it with its input mapped to ours
        sub_in = list(layer.inputs)
        if len(sub_in) != 1:
            raise InputError(f"nested model {name!r} has {len(sub_in)} inputs; only single-input sub-models are supported.")
        inner = {id(sub_in[0]): gin[0]}
        last = layer.layers[-1]
        return _walk(layer, inner, last)
    if len(gin) == 1:
        g = gin[0]
        params = _window_params(layer)
        if params is not None:
            if not g.positional:
                raise InputError(f"layer {name!r} is a {type(layer).__name__} on input without a position axis.")
            k, d, s, pad = params
            k_eff = d * (k - 1) + 1
            left = _pad_left(pad, k_eff, s, g.length, name)
            ln = _out_len(pad, k_eff, s, g.length)
            if g.is_global:
                return _Geo(g.size, g.stride * s, g.offset, ln, True, True)
            return _Geo(g.size + (k_eff - 1) * g.stride, g.stride * s, g.offset - left * g.stride, ln, False, True)
        if isinstance(layer, keras.layers.Cropping1D):
            a = int(layer.cropping[0])
            return _Geo(g.size, g.stride, g.offset + a * g.stride, out_len, g.is_global, True)
        if isinstance(layer, keras.layers.ZeroPadding1D):
            a = int(layer.padding[0])
            return _Geo(g.size, g.stride, g.offset - a * g.stride, out_len, g.is_global, True)
        if isinstance(layer, _GLOBAL) or (g.positional and not out_pos):
            if isinstance(layer, (keras.layers.GlobalMaxPooling1D, keras.layers.GlobalAveragePooling1D)) and out_pos:
                return _Geo(g.size, g.stride, g.offset, 1, True, True)  # keepdims=True: (N, 1, U)
            return _Geo(g.size, g.stride, g.offset, None, True, False)
        if isinstance(layer, (*_ELEMENTWISE, ExpActivation)) or (
            isinstance(layer, (keras.layers.Dense, keras.layers.EinsumDense)) and out_pos == g.positional
            and tuple(ins[0].shape)[:-1] == tuple(outs[0].shape)[:-1]
        ):
            if isinstance(layer, keras.layers.Softmax) and getattr(layer, "axis", -1) not in (-1, 2):
                raise InputError(f"layer {name!r} is a softmax over positions; it is not elementwise.")
            return _Geo(g.size, g.stride, g.offset, out_len if out_pos else None, g.is_global, out_pos)
        if not g.positional and not out_pos:  # dense head after a global layer: stays global
            return g
        raise InputError(
            f"layer {name!r} ({type(layer).__name__}) is not a convolution, pool, merge or elementwise layer "
            f"that receptive-field geometry understands; use probe_receptive_field() for this model."
        )
    if isinstance(layer, _MERGES):
        if isinstance(layer, keras.layers.Concatenate) and getattr(layer, "axis", -1) not in (-1, len(outs[0].shape) - 1):
            raise InputError(f"layer {name!r} concatenates along axis {layer.axis}; only the feature axis (-1) is supported.")
        size, stride, offset, is_global = _union(gin, name)
        if not out_pos:
            return _Geo(size, stride, offset, None, True, False)
        return _Geo(size, stride, offset, out_len, is_global, True)
    raise InputError(
        f"layer {name!r} ({type(layer).__name__}) takes {len(gin)} inputs and is not a known merge layer; "
        f"use probe_receptive_field() for this model."
    )


def receptive_field(model: keras.Model, layer: Any) -> ReceptiveField:
    """Receptive-field geometry of ``layer``, computed from the model's layer graph.

    Parameters
    ----------
    model : keras.Model
        A Functional or Sequential model with one ``(None, L, 4)`` input; every layer on the
        way called once. Understood: ``Conv1D`` (any stride, dilation, ``valid``/``same``/
        ``causal`` padding), ``SeparableConv1D``, ``DepthwiseConv1D``, :class:`RevCompConv1D`,
        :class:`MotifScan`, ``MaxPooling1D``, ``AveragePooling1D``, ``Cropping1D``,
        ``ZeroPadding1D``, elementwise layers (activations, BatchNorm, LayerNorm, Dropout,
        ``Dense`` per position), merges (``Add``, ``Multiply``, ``Concatenate`` on features,
        ...), global pools, ``Flatten``, and nested single-input models.
    layer : str, int or keras layer
        The layer whose output positions are mapped to the input.

    Returns
    -------
    ReceptiveField
        ``start(p) = offset + p * stride``, ``end(p) = start(p) + size`` in input positions
        (0-based, half-open; use :meth:`ReceptiveField.window` for the clipped field).

    Raises
    ------
    InputError
        Unknown layer, a layer type the geometry does not understand (use
        :func:`probe_receptive_field`), merges of misaligned positions, several inputs.

    Examples
    --------
    >>> import keras
    >>> inp = keras.Input((100, 4))
    >>> h = keras.layers.Conv1D(8, 5, padding="same", name="c1")(inp)
    >>> h = keras.layers.MaxPooling1D(2, name="p1")(h)
    >>> h = keras.layers.Conv1D(8, 3, dilation_rate=2, name="c2")(h)
    >>> rf = receptive_field(keras.Model(inp, h), "c2")
    >>> rf.size, rf.stride, rf.offset, rf.window(0)
    (14, 2, -2, (0, 12))
    """
    if not isinstance(model, keras.Model):
        raise InputError(f"model must be a keras.Model. Received: {type(model).__name__}.")
    lay = find_layer(model, layer)
    try:
        model.inputs  # noqa: B018  (raises for a subclassed model)
    except (AttributeError, ValueError):
        raise InputError(f"model {model.name!r} has no layer graph (subclassed model); use probe_receptive_field().") from None
    g, length = _geometry(model, lay)
    if g.is_global or not g.positional:
        size = length if length is not None else g.size
        return ReceptiveField(lay.name, int(size), int(g.stride), 0, length, g.length if g.positional else None, True)
    return ReceptiveField(lay.name, int(g.size), int(g.stride), int(g.offset), length, g.length, False)


def probe_receptive_field(
    model: keras.Model,
    layer: Any,
    *,
    n_probes: int = 3,
    seed: int = 0,
    tol: float = 1e-5,
) -> np.ndarray:
    """Brute-force receptive fields: perturb one input position at a time, see which outputs move.

    Every input position ``i`` of a random background sequence is replaced by large values of
    random sign (``n_probes`` draws); output position ``p`` depends on ``i`` when any unit at
    ``p`` changes by more than ``tol`` (relative to the output's scale) in any draw. One batch
    of ``L`` perturbed sequences per draw.

    Parameters
    ----------
    model : keras.Model
        Single-input model ``(None, L, 4)`` with a fixed ``L``.
    layer : str, int or keras layer
        The layer to probe.
    n_probes : int
        Random perturbations per position (more makes a missed dependency through a ReLU or
        max-pool less likely).
    seed : int
        Seed of the background and the perturbations.
    tol : float
        Relative change that counts as "moved".

    Returns
    -------
    bool ndarray, shape (P, L)
        ``dep[p, i]``: output position ``p`` moved when input ``i`` was perturbed; ``P = 1``
        for a layer without a position axis.
    """
    if not isinstance(model, keras.Model):
        raise InputError(f"model must be a keras.Model. Received: {type(model).__name__}.")
    lay = find_layer(model, layer)
    shape = tuple(model.inputs[0].shape)
    if len(shape) != 3 or shape[1] is None:
        raise InputError(f"probe_receptive_field needs a model with a fixed input length; input shape {shape}.")
    length = int(shape[1])
    sub = keras.Model(model.inputs[0], lay.output)
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(1, length, shape[2])).astype(np.float32)
    y0 = np.asarray(keras.ops.convert_to_numpy(sub(base, training=False)), dtype=np.float64)
    if y0.ndim == 2:
        y0 = y0[:, None, :]
    dep = np.zeros((y0.shape[1], length), dtype=bool)
    idx = np.arange(length)
    for _ in range(int(n_probes)):
        xb = np.repeat(base, length, axis=0)
        xb[idx, idx, :] += (rng.choice([-1.0, 1.0], size=(length, shape[2])) * 25.0 * (1 + rng.random((length, shape[2])))).astype(np.float32)
        y = np.asarray(keras.ops.convert_to_numpy(sub(xb, training=False)), dtype=np.float64)
        if y.ndim == 2:
            y = y[:, None, :]
        scale = max(float(np.abs(y0).max()), 1.0)
        moved = (np.abs(y - y0) > tol * scale).any(axis=2)  # (L inputs, P)
        dep |= moved.T
    return dep
