"""Reference genomic CNN architectures for ``(L, 4)`` one-hot input and ``T`` outputs.

Every function returns a *Functional* ``keras.Model`` (not Sequential: tf-keras-vis'
``ReplaceToLinear`` fails on Keras 3 Sequential models) with the same named landmarks:

* ``"conv1"`` -- the first convolution (``Conv1D`` or :class:`RevCompConv1D`), the layer whose
  filters :class:`~kgenint.keras.callbacks.FilterMotifTracker` turns into motifs;
* ``"conv1_act"`` -- its activation (``relu`` or :class:`ExpActivation`);
* ``"logits"`` -- the last ``Dense`` (linear: it produces logits);
* ``"output"`` -- the output activation layer (``sigmoid``, ``softmax`` or ``linear``).

The defaults are small (tens of thousands of weights) so a model trains on a laptop CPU in
minutes on ~10,000 sequences of length 200.

The ``local_cnn`` / ``distributed_cnn`` pair follows Koo & Eddy (2019, PLoS Comput. Biol.): a
wide max-pool after the first layer forces first-layer filters to learn whole motifs, a small
pool lets them learn motif parts that deeper layers assemble.  An exponential first-layer
activation (``first_activation="exponential"``) further favours whole, readable motifs (Koo &
Ploenzke 2021).
"""
from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import keras
from keras import layers as kl

from ..errors import InputError
from .layers import ExpActivation, RevCompConv1D

__all__ = ["deepbind", "local_cnn", "distributed_cnn", "basset", "bpnet", "interaction_cnn", "build_model", "ARCHITECTURES"]

_FIRST_ACTIVATIONS = ("relu", "exponential")
_OUTPUT_ACTIVATIONS = ("sigmoid", "linear", "softmax")

#: Parameter descriptions the architectures share: a docstring line that holds only ``{name}``
#: stands for one of them (filled in by :func:`_shared_doc`); lines indented under it go on
#: with that parameter's text.
_SHARED_PARAMS = {
    "input_length": "input_length : int\n    Sequence length ``L`` (positions).",
    "n_outputs": "n_outputs : int\n    Number of targets ``T``.",
    "kernel_size": "kernel_size : int\n    First-layer filter width (positions).",
    "first_activation": 'first_activation : {"relu", "exponential"}\n    Activation of the first layer.',
    "rc_equivariant": "rc_equivariant : bool\n    Each first-layer filter scans both strands (strand max per position).",
    "output_activation": (
        'output_activation : {"sigmoid", "linear", "softmax"}\n    Applied after the ``"logits"`` layer.\n\n'
        "Returns\n-------\nkeras.Model\n    Functional model ``(N, L, 4) -> (N, T)``."
    ),
}


def _shared_doc(fn: Callable) -> Callable:
    """Replace each docstring line ``{name}`` by ``_SHARED_PARAMS[name]``, indented like it."""
    if fn.__doc__ is None:  # python -OO
        return fn
    lines: list[str] = []
    for line in fn.__doc__.split("\n"):
        key = line.strip()
        if key.startswith("{") and key.endswith("}"):
            indent = line[: len(line) - len(line.lstrip())]
            lines.extend(indent + part if part else part for part in _SHARED_PARAMS[key[1:-1]].split("\n"))
        else:
            lines.append(line)
    fn.__doc__ = "\n".join(lines)
    return fn


def _check_positive_ints(**values) -> None:
    for nm, v in values.items():
        if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v <= 0:
            raise InputError(f"{nm} must be a positive integer. Received: {nm}={v!r}")


def _check_common(
    input_length: int, n_outputs: int, first_activation: str, output_activation: str, n_filters: int,
    kernel_size: int, min_length: int,
) -> str:
    _check_positive_ints(input_length=input_length, n_outputs=n_outputs, n_filters=n_filters,
                         kernel_size=kernel_size)
    act = "exponential" if first_activation == "exp" else first_activation
    if act not in _FIRST_ACTIVATIONS:
        raise InputError(
            f"first_activation must be one of {_FIRST_ACTIVATIONS}. Received: "
            f"first_activation={first_activation!r}"
        )
    if output_activation not in _OUTPUT_ACTIVATIONS:
        raise InputError(
            f"output_activation must be one of {_OUTPUT_ACTIVATIONS} ('sigmoid' for binary labels, "
            f"'linear' for continuous targets). Received: output_activation={output_activation!r}"
        )
    if input_length < min_length:
        raise InputError(
            f"input_length={input_length} is too short for this architecture (at least {min_length} "
            f"positions needed with these pool and kernel sizes). Use smaller pools/kernels or "
            f"longer sequences."
        )
    return act


def _stem(
    input_length: int, n_filters: int, kernel_size: int, activation: str, rc_equivariant: bool, *,
    padding: str = "same", batchnorm: bool = True, pool_size: int = 0, pool_dropout: float = 0.0,
):
    """The input and the layers every architecture starts with; returns ``(input, h)``.

    ``sequence`` -> ``conv1`` (+ ``conv1_bn``) -> ``conv1_act``, then with ``pool_size``
    ``pool1`` (+ ``pool1_dropout`` when ``pool_dropout``). With ``rc_equivariant`` each filter
    scans both strands and keeps the larger score per position (``RevCompConv1D(merge="max")``).
    """
    inp = keras.Input((int(input_length), 4), name="sequence")
    if rc_equivariant:
        if padding == "same" and kernel_size % 2 == 0:
            kernel_size += 1
        h = RevCompConv1D(n_filters, kernel_size, padding=padding, merge="max", name="conv1")(inp)
    else:
        h = kl.Conv1D(n_filters, kernel_size, padding=padding, name="conv1")(inp)
    if batchnorm:
        h = kl.BatchNormalization(momentum=0.9, name="conv1_bn")(h)
    if activation == "exponential":
        h = ExpActivation(max_value=20.0, name="conv1_act")(h)
    else:
        h = kl.Activation("relu", name="conv1_act")(h)
    if pool_size:
        h = kl.MaxPooling1D(pool_size, name="pool1")(h)
        if pool_dropout:
            h = kl.Dropout(pool_dropout, name="pool1_dropout")(h)
    return inp, h


def _conv_bn_relu(h, filters: int, width: int, name: str, dilation: int = 1):
    h = kl.Conv1D(filters, width, padding="same", dilation_rate=int(dilation), name=name)(h)
    h = kl.BatchNormalization(momentum=0.9, name=f"{name}_bn")(h)
    return kl.Activation("relu", name=f"{name}_act")(h)


def _head(h, n_outputs: int, output_activation: str, hidden: int, dropout: float, name: str, inp,
          batchnorm: bool = False):
    if hidden:
        h = kl.Dense(hidden, name="dense1")(h)
        if batchnorm:
            h = kl.BatchNormalization(momentum=0.9, name="dense1_bn")(h)
        h = kl.Activation("relu", name="dense1_act")(h)
        if dropout:
            h = kl.Dropout(dropout, name="dense1_dropout")(h)
    logits = kl.Dense(n_outputs, name="logits")(h)
    out = kl.Activation(output_activation, name="output")(logits)
    return keras.Model(inp, out, name=name)


@_shared_doc
def deepbind(
    input_length: int,
    n_outputs: int = 1,
    *,
    n_filters: int = 16,
    kernel_size: int = 15,
    first_activation: str = "relu",
    rc_equivariant: bool = False,
    hidden: int = 32,
    dropout: float = 0.1,
    output_activation: str = "sigmoid",
) -> keras.Model:
    """A shallow DeepBind-like net: one convolution, global max-pool, a small dense layer.

    Parameters
    ----------
    {input_length}
    {n_outputs}
    n_filters : int
        First-layer filters.
    {kernel_size}
    {first_activation}
    {rc_equivariant}
        The model is then strand-invariant: ``f(rc(x)) == f(x)``.
    hidden : int
        Units of the dense layer (0: none).
    dropout : float
        Dropout after the dense layer.
    {output_activation}
    """
    act = _check_common(
        input_length, n_outputs, first_activation, output_activation, n_filters, kernel_size, kernel_size
    )
    inp, h = _stem(input_length, n_filters, kernel_size, act, rc_equivariant, padding="valid", batchnorm=False)
    h = kl.GlobalMaxPooling1D(name="global_max_pool")(h)
    return _head(h, n_outputs, output_activation, hidden, dropout, "deepbind", inp)


@_shared_doc
def local_cnn(
    input_length: int,
    n_outputs: int = 1,
    *,
    n_filters: int = 64,
    kernel_size: int = 19,
    pool_size: int = 25,
    first_activation: str = "exponential",
    rc_equivariant: bool = False,
    n_filters2: int = 64,
    hidden: int = 64,
    dropout: float = 0.4,
    output_activation: str = "sigmoid",
) -> keras.Model:
    """A CNN whose first-layer filters learn whole motifs ("local" representation).

    ``conv1 (n_filters, kernel_size) -> BatchNorm -> activation -> max-pool(pool_size) -> conv2
    (n_filters2, 5) -> BatchNorm -> relu -> global max-pool -> dense(hidden) -> BatchNorm -> relu
    -> logits``.  The BatchNorm layers matter: without them this stack stays at chance level for
    many epochs on weak (PWM-sampled) motif sites; the global max-pool (instead of flatten)
    keeps the dense layer from overfitting positions (test AUROC 0.73 -> 0.76 on the default
    simulated set).  The wide first max-pool (Koo & Eddy 2019, "CNN-25")
    keeps deeper layers from assembling motifs out of parts, so each first-layer filter has to
    learn a full motif.

    Parameters
    ----------
    {input_length}
        At least ``2 * pool_size``.
    {n_outputs}
    n_filters : int
        First-layer filters (64+ recommended so each planted motif gets a filter).
    {kernel_size}
        About the longest motif plus flanks.
    pool_size : int
        Width of the first max-pool (positions); 20-25 gives local representations.
    {first_activation}
        Exponential gives cleaner motifs.
    {rc_equivariant}
    n_filters2 : int
        Filters of the second convolution.
    hidden : int
        Units of the dense layer.
    dropout : float
        Dropout after the dense layer (half of it after the first pool).
    {output_activation}
    """
    act = _check_common(
        input_length, n_outputs, first_activation, output_activation, n_filters, kernel_size, 2 * pool_size
    )
    inp, h = _stem(input_length, n_filters, kernel_size, act, rc_equivariant, pool_size=pool_size,
                   pool_dropout=dropout / 2)
    h = _conv_bn_relu(h, n_filters2, 5, "conv2")
    h = kl.GlobalMaxPooling1D(name="global_max_pool")(h)
    return _head(h, n_outputs, output_activation, hidden, dropout, "local_cnn", inp, batchnorm=True)


@_shared_doc
def distributed_cnn(
    input_length: int,
    n_outputs: int = 1,
    *,
    n_filters: int = 32,
    kernel_size: int = 19,
    pool_size: int = 2,
    first_activation: str = "relu",
    rc_equivariant: bool = False,
    n_filters2: int = 32,
    hidden: int = 64,
    dropout: float = 0.4,
    output_activation: str = "sigmoid",
) -> keras.Model:
    """A CNN that spreads motif representations over layers ("distributed").

    ``conv1 -> BatchNorm -> activation -> max-pool(pool_size, small) -> conv2 (5) -> pool 4 ->
    conv3 (5) -> pool 4 -> global max-pool -> dense -> logits`` (BatchNorm after every
    convolution and the dense layer).  With a small first pool (2-4) deeper layers can
    build motifs from partial first-layer features (Koo & Eddy 2019, "CNN-2"), so first-layer
    filters tend to match only parts of the true motifs.

    Parameters
    ----------
    {input_length}
        At least ``16 * pool_size``.
    {n_outputs}
    n_filters : int
        First-layer filters.
    {kernel_size}
    pool_size : int
        First max-pool width (2-4).
    {first_activation}
    {rc_equivariant}
    n_filters2 : int
        Filters of the second and third convolutions.
    hidden : int
        Units of the dense layer.
    dropout : float
        Dropout after the dense layer (half of it after the pools).
    {output_activation}
    """
    act = _check_common(
        input_length, n_outputs, first_activation, output_activation, n_filters, kernel_size, 16 * pool_size
    )
    inp, h = _stem(input_length, n_filters, kernel_size, act, rc_equivariant, pool_size=pool_size)
    for i, pool in ((2, 4), (3, 4)):
        h = _conv_bn_relu(h, n_filters2, 5, f"conv{i}")
        h = kl.MaxPooling1D(pool, name=f"pool{i}")(h)
        if dropout:
            h = kl.Dropout(dropout / 2, name=f"pool{i}_dropout")(h)
    h = kl.GlobalMaxPooling1D(name="global_max_pool")(h)
    return _head(h, n_outputs, output_activation, hidden, dropout, "distributed_cnn", inp, batchnorm=True)


@_shared_doc
def basset(
    input_length: int,
    n_outputs: int = 1,
    *,
    n_filters: int = 32,
    kernel_size: int = 19,
    first_activation: str = "relu",
    rc_equivariant: bool = False,
    hidden: int = 64,
    dropout: float = 0.3,
    output_activation: str = "sigmoid",
) -> keras.Model:
    """A Basset-like net: three convolution blocks (conv, BatchNorm, activation, max-pool).

    Widths ``kernel_size``/11/7, pools 3/4/4, then two dense layers (Kelley et al. 2016, scaled
    down: ``n_filters`` per block instead of 300/200/200).

    Parameters
    ----------
    {input_length}
        At least 48.
    {n_outputs}
    n_filters : int
        Filters per convolution block.
    {kernel_size}
    {first_activation}
    {rc_equivariant}
    hidden : int
        Units of each of the two dense layers.
    dropout : float
        Dropout after each dense layer.
    {output_activation}
    """
    act = _check_common(input_length, n_outputs, first_activation, output_activation, n_filters, kernel_size, 48)
    inp, h = _stem(input_length, n_filters, kernel_size, act, rc_equivariant, pool_size=3)
    for i, (width, pool) in ((2, (11, 4)), (3, (7, 4))):
        h = _conv_bn_relu(h, n_filters, width, f"conv{i}")
        h = kl.MaxPooling1D(pool, name=f"pool{i}")(h)
    h = kl.Flatten(name="flatten")(h)
    h = kl.Dense(hidden, activation="relu", name="dense0")(h)
    if dropout:
        h = kl.Dropout(dropout, name="dense0_dropout")(h)
    return _head(h, n_outputs, output_activation, hidden, dropout, "basset", inp)


@_shared_doc
def bpnet(
    input_length: int,
    n_outputs: int = 1,
    *,
    n_filters: int = 32,
    kernel_size: int = 25,
    n_dilated: int = 4,
    first_activation: str = "relu",
    rc_equivariant: bool = False,
    output_activation: str = "sigmoid",
) -> keras.Model:
    """A BPNet-like net: a wide first convolution, then a tower of dilated residual convolutions.

    ``conv1 -> activation -> n_dilated x [conv(width 3, dilation 2**i) + residual] -> global
    average pool -> logits`` (Avsec et al. 2021; only the scalar "count" head, one value per
    target, not the base-resolution profile head).

    Parameters
    ----------
    {input_length}
    {n_outputs}
    n_filters : int
        Filters of every convolution (the residual sums need one width).
    {kernel_size}
        Odd.
    n_dilated : int
        Number of dilated residual layers (receptive field grows as ``2 ** n_dilated``).
    {first_activation}
    {rc_equivariant}
    {output_activation}
    """
    act = _check_common(input_length, n_outputs, first_activation, output_activation, n_filters, kernel_size, 1)
    if not isinstance(n_dilated, int) or n_dilated < 0:
        raise InputError(f"n_dilated must be an integer >= 0. Received: n_dilated={n_dilated!r}")
    inp, h = _stem(input_length, n_filters, kernel_size, act, rc_equivariant, batchnorm=False)
    for i in range(1, n_dilated + 1):
        c = kl.Conv1D(n_filters, 3, padding="same", dilation_rate=2**i, activation="relu", name=f"dil_conv{i}")(h)
        h = kl.Add(name=f"residual{i}")([h, c])
    h = kl.GlobalAveragePooling1D(name="global_avg_pool")(h)
    return _head(h, n_outputs, output_activation, 0, 0.0, "bpnet", inp)


@_shared_doc
def interaction_cnn(
    input_length: int,
    n_outputs: int = 1,
    *,
    n_filters: int = 64,
    kernel_size: int = 15,
    pool_size: int = 4,
    first_activation: str = "exponential",
    rc_equivariant: bool = False,
    n_filters2: int = 32,
    kernel_size2: int = 7,
    dilation3: int = 4,
    hidden: int = 64,
    dropout: float = 0.4,
    output_activation: str = "sigmoid",
) -> keras.Model:
    """A CNN that keeps motif positions long enough to learn pairwise rules (spacing,
    orientation, order, AND/OR/XOR).

    ``conv1 (n_filters, kernel_size) -> BatchNorm -> activation -> max-pool(pool_size, small) ->
    conv2 (n_filters2, kernel_size2) -> BatchNorm -> relu -> conv3 (n_filters2, 5, dilation
    dilation3) -> BatchNorm -> relu (+ conv2, residual) -> [global max-pool, global average-pool]
    -> dense(hidden) -> BatchNorm -> relu -> dropout -> logits``.

    The small first pool keeps motif positions at ``pool_size`` bp resolution, so conv2/conv3
    can see the relative position, order and strand of two motif hits (the first layer is not
    reverse-complement shared by default, so a motif on ``+`` and on ``-`` are different
    features).  The receptive field of conv3 spans ``kernel_size + pool_size * (kernel_size2 - 1
    + 4 * dilation3)`` bp (~111 bp with the defaults), enough for rules acting within +-60 bp;
    the global max-pool then reports "is this arrangement anywhere", and the dense layer
    combines presence features into AND/OR/XOR logic.  The global average-pool adds motif
    counts (additive main effects).  On 40,000 simulated sequences (class labels) these
    defaults (exponential first layer, 64/32 filters) reach test AUROC 0.856 vs 0.798 for
    ``local_cnn`` with relu, and a relu first layer overfits quickly (0.776); on the default
    100,000 sequences with the continuous target (batch 256, 20 epochs) test Pearson 0.88 and
    the in-silico scan recovers every planted rule (benchmarks/RESULTS_training.md,
    RESULTS_validation.md).

    Parameters
    ----------
    {input_length}
        At least ``4 * pool_size``.
    {n_outputs}
    n_filters : int
        First-layer filters.
    {kernel_size}
    pool_size : int
        First max-pool width (positions, 2-4 keeps positions).
    {first_activation}
    {rc_equivariant}
        Leave False when rules depend on the strand of a motif.
    n_filters2 : int
        Filters of the second and third convolutions.
    kernel_size2 : int
        Width of the second convolution (pooled positions).
    dilation3 : int
        Dilation of the third convolution (width 5, pooled positions).
    hidden : int
        Units of the dense layer.
    dropout : float
        Dropout after the dense layer (a quarter of it after the first pool).
    {output_activation}
    """
    act = _check_common(
        input_length, n_outputs, first_activation, output_activation, n_filters, kernel_size, 1
    )
    _check_positive_ints(pool_size=pool_size, n_filters2=n_filters2, kernel_size2=kernel_size2, dilation3=dilation3)
    if input_length < 4 * pool_size:
        raise InputError(
            f"input_length={input_length} is too short for pool_size={pool_size} (at least "
            f"{4 * pool_size} positions needed). Use a smaller pool_size or longer sequences."
        )
    inp, h = _stem(input_length, n_filters, kernel_size, act, rc_equivariant, pool_size=pool_size,
                   pool_dropout=dropout / 4)
    h2 = _conv_bn_relu(h, n_filters2, kernel_size2, "conv2")
    h3 = _conv_bn_relu(h2, n_filters2, 5, "conv3", dilation=dilation3)
    h = kl.Add(name="residual3")([h2, h3])
    h = kl.Concatenate(name="global_pools")(
        [kl.GlobalMaxPooling1D(name="global_max_pool")(h), kl.GlobalAveragePooling1D(name="global_avg_pool")(h)]
    )
    return _head(h, n_outputs, output_activation, hidden, dropout, "interaction_cnn", inp, batchnorm=True)


#: Architecture names accepted by :func:`build_model` and ``kgenint train --arch``.
ARCHITECTURES: dict[str, Callable[..., keras.Model]] = {
    "deepbind": deepbind,
    "local": local_cnn,
    "distributed": distributed_cnn,
    "basset": basset,
    "bpnet": bpnet,
    "interaction": interaction_cnn,
}


@_shared_doc
def build_model(arch: str, input_length: int, n_outputs: int = 1, **kwargs: Any) -> keras.Model:
    """Build a reference architecture by name.

    Parameters
    ----------
    arch : {"deepbind", "local", "distributed", "basset", "bpnet", "interaction"}
        Architecture name.
    {input_length}
    {n_outputs}
    **kwargs
        Passed to the architecture's function.
    """
    try:
        fn = ARCHITECTURES[arch]
    except KeyError:
        raise InputError(
            f"Unknown architecture {arch!r}. Choose one of: {', '.join(ARCHITECTURES)}."
        ) from None
    return fn(input_length, n_outputs, **kwargs)
