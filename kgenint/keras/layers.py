"""Keras layers for one-hot DNA: reverse-complement convolution, exponential activation, motif scan.

All layers are registered with Keras under the package name ``kgenint`` so a model saved with
``model.save("m.keras")`` loads with ``keras.models.load_model`` once this module is imported
(``import kgenint`` does that when Keras is loaded; ``kgenint.load_model`` always does).

Reverse complement convention
-----------------------------
One-hot DNA is ``(N, L, 4)`` in ACGT order, so the reverse complement of ``x`` is
``x[:, ::-1, ::-1]`` (positions reversed, A<->T and C<->G by reversing the channel axis).  The
layers here keep that convention for their outputs: with ``merge=None`` a
:class:`RevCompConv1D` with ``F`` filters returns ``2F`` channels ordered
``[filter_0 ... filter_{F-1}, rc(filter_{F-1}) ... rc(filter_0)]``, so that
``layer(rc(x)) == rc(layer(x))`` with the same ``[:, ::-1, ::-1]`` flip.  Such outputs can be fed
to another :class:`RevCompConv1D` and the whole stack stays equivariant.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from ..errors import InputError
from ..motifs.motif import Motif
from .initializers import _check_motifs, motifs_to_kernel

__all__ = ["RevCompConv1D", "ExpActivation", "MotifScan", "ProfileScalar", "profile_scalar", "reverse_complement_tensor"]


def reverse_complement_tensor(x):
    """Reverse complement of a channels-last tensor ``(N, L, C)``: ``x[:, ::-1, ::-1]``."""
    return ops.flip(ops.flip(x, axis=1), axis=2)


def _check_padding(padding: str, kernel_size: int, dilation_rate: int, cls: str) -> str:
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise InputError(f"{cls}: padding must be 'valid' or 'same'. Received: padding={padding!r}")
    if padding == "same" and ((kernel_size - 1) * dilation_rate) % 2 == 1:
        raise InputError(
            f"{cls}: padding='same' needs an odd effective kernel width so that the padding is the "
            f"same on both sides (otherwise the output is not reverse-complement equivariant). "
            f"Received: kernel_size={kernel_size}, dilation_rate={dilation_rate}. Use an odd "
            f"kernel_size or padding='valid'."
        )
    return padding


def _both_strands(x, kernel, padding: str, dilation_rate: int):
    """Scan ``kernel`` (W, C, F) and its reverse complement in one convolution.

    Returns ``(fwd, rc)``, each ``(N, L', F)``; ``rc[..., f]`` is filter ``f``'s reverse
    complement scanned along the forward strand.
    """
    f = ops.shape(kernel)[-1]
    k_rc = ops.flip(ops.flip(kernel, axis=0), axis=1)
    y = ops.conv(x, ops.concatenate([kernel, k_rc], axis=-1), padding=padding, dilation_rate=dilation_rate)
    return y[..., :f], y[..., f:]


def _merge(fwd, rc, merge: str | None):
    if merge is None:
        return ops.concatenate([fwd, ops.flip(rc, axis=-1)], axis=-1)
    if merge == "max":
        return ops.maximum(fwd, rc)
    return fwd + rc  # "sum"


def _out_length(length: int | None, kernel_size: int, dilation_rate: int, padding: str):
    if length is None or padding == "same":
        return length
    return length - (kernel_size - 1) * dilation_rate


@keras.saving.register_keras_serializable(package="kgenint")
class RevCompConv1D(keras.layers.Layer):
    """1D convolution whose filters are shared with their reverse complements.

    Each of the ``filters`` kernels ``K`` (shape ``(kernel_size, C)``) is scanned together with
    its reverse complement ``K[::-1, ::-1]``; a filter therefore detects its motif on both
    strands with a single set of weights.  The input's channel axis must follow the reverse
    complement convention of this module (one-hot ACGT, or the output of another
    ``RevCompConv1D`` with ``merge=None``).

    Args:
        filters: int, number of shared filters ``F``.
        kernel_size: int, filter width in positions.
        padding: ``"valid"`` or ``"same"`` (``"same"`` needs an odd effective width).
        dilation_rate: int, dilation of the kernel.
        activation: activation applied to each strand's scan before merging (any Keras
            activation name or callable; ``None`` for linear).
        merge: ``None`` returns ``2F`` channels (forward scans, then reverse-complement scans in
            reversed filter order) and is equivariant: ``f(rc(x)) == rc(f(x))``.  ``"max"`` or
            ``"sum"`` combines the two strands per filter and returns ``F`` channels with
            ``f(rc(x)) == f(x)[:, ::-1, :]``.
        use_bias: bool; the bias is shared by a filter and its reverse complement.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer:
            as for ``keras.layers.Conv1D``.

    Input shape:
        ``(batch, length, channels)``.

    Output shape:
        ``(batch, new_length, 2 * filters)`` with ``merge=None``, else
        ``(batch, new_length, filters)``; ``new_length = length`` for ``"same"`` and
        ``length - (kernel_size - 1) * dilation_rate`` for ``"valid"``.

    Example:

    >>> import numpy as np
    >>> x = np.eye(4, dtype="float32")[np.random.default_rng(0).integers(0, 4, (2, 50))]
    >>> layer = RevCompConv1D(8, 11, padding="same")
    >>> y = layer(x); tuple(y.shape)
    (2, 50, 16)
    >>> bool(np.allclose(layer(x[:, ::-1, ::-1]), np.asarray(y)[:, ::-1, ::-1], atol=1e-5))
    True
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int,
        padding: str = "valid",
        dilation_rate: int = 1,
        activation: Any = None,
        merge: str | None = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if int(filters) != filters or filters <= 0:
            raise InputError(f"filters must be a positive integer. Received: filters={filters!r}")
        if int(kernel_size) != kernel_size or kernel_size <= 0:
            raise InputError(f"kernel_size must be a positive integer. Received: kernel_size={kernel_size!r}")
        if int(dilation_rate) != dilation_rate or dilation_rate <= 0:
            raise InputError(
                f"dilation_rate must be a positive integer. Received: dilation_rate={dilation_rate!r}"
            )
        if merge not in (None, "max", "sum"):
            raise InputError(f"merge must be None, 'max' or 'sum'. Received: merge={merge!r}")
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.dilation_rate = int(dilation_rate)
        self.padding = _check_padding(padding, self.kernel_size, self.dilation_rate, "RevCompConv1D")
        self.activation = keras.activations.get(activation)
        self.merge = merge
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.input_spec = keras.layers.InputSpec(ndim=3)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise InputError("RevCompConv1D needs a known number of input channels (4 for one-hot DNA).")
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.kernel_size, int(channels), self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
            )
        self.input_spec = keras.layers.InputSpec(ndim=3, axes={-1: int(channels)})

    def strand_scans(self, inputs):
        """Forward and reverse-complement scans after bias and activation, each ``(N, L', F)``."""
        fwd, rc = _both_strands(inputs, self.kernel, self.padding, self.dilation_rate)
        if self.bias is not None:
            fwd = fwd + self.bias
            rc = rc + self.bias
        return self.activation(fwd), self.activation(rc)

    def call(self, inputs):
        fwd, rc = self.strand_scans(inputs)
        return _merge(fwd, rc, self.merge)

    def compute_output_shape(self, input_shape):
        length = _out_length(input_shape[1], self.kernel_size, self.dilation_rate, self.padding)
        return (input_shape[0], length, self.filters * (2 if self.merge is None else 1))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "kernel_size": self.kernel_size,
                "padding": self.padding,
                "dilation_rate": self.dilation_rate,
                "activation": keras.activations.serialize(self.activation),
                "merge": self.merge,
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="kgenint")
class ExpActivation(keras.layers.Layer):
    """Exponential activation ``exp(min(x, max_value))`` for first-layer filters.

    An exponential first-layer activation makes filters learn whole, interpretable motifs
    (Koo & Ploenzke 2021, Nat. Mach. Intell.).  ``keras.activations.exponential`` (usable as
    ``activation="exponential"``) has no clip; this layer clips its input at ``max_value`` so a
    large pre-activation cannot overflow float32 during early training.

    Args:
        max_value: float or None, clip of the input before ``exp`` (``None``: no clip).

    Input shape:
        any. Output shape: same as the input.

    Example:

    >>> float(ExpActivation(max_value=2.0)(keras.ops.convert_to_tensor([0.0, 5.0]))[1])  # doctest: +ELLIPSIS
    7.389...
    """

    def __init__(self, max_value: float | None = 20.0, **kwargs: Any):
        super().__init__(**kwargs)
        if max_value is not None and not (float(max_value) > 0 and float(max_value) < 88):
            raise InputError(
                f"max_value must be in (0, 88) (exp(88) overflows float32), or None. "
                f"Received: max_value={max_value!r}"
            )
        self.max_value = None if max_value is None else float(max_value)
        self.supports_masking = True

    def call(self, inputs):
        if self.max_value is not None:
            inputs = ops.minimum(inputs, self.max_value)
        return ops.exp(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"max_value": self.max_value})
        return config


@keras.saving.register_keras_serializable(package="kgenint")
class MotifScan(keras.layers.Layer):
    """Scan known motifs as fixed log-odds filters on both strands (non-trainable).

    The layer holds a ``(W, 4, M)`` kernel of motif log-odds scores (``W`` = widest motif,
    narrower motifs centred and zero-padded) as a non-trainable weight.  Only the motif names,
    widths and scalars are in the config; the kernel values are saved with the model's weights
    and restored by ``keras.models.load_model``.

    Args:
        motifs: list of :class:`kgenint.motifs.Motif` (M motifs). Required unless rebuilt from
            a config (then ``motif_names``/``motif_widths`` are used and the weights come from
            the saved file).
        pseudocount: float, MEME-style pseudo-sites for the log-odds (> 0).
        base: float, logarithm base of the scores (2: bits).
        padding: ``"valid"`` or ``"same"``.  With ``"same"`` the kernel is widened to an odd
            width so that the padding is symmetric.
        strands: ``"both"`` or ``"forward"``.
        combine: with ``strands="both"``: ``"max"`` (best strand per position, ``M`` channels)
            or ``None`` (``2M`` channels: forward scores, then reverse-strand scores in reversed
            motif order, so the output is reverse-complement equivariant).
        width: int, optional kernel width (>= the widest motif).

    Input shape:
        ``(batch, length, 4)`` one-hot DNA.

    Output shape:
        ``(batch, new_length, M)`` or ``(batch, new_length, 2M)`` with ``combine=None``;
        ``new_length = length - W + 1`` for ``"valid"``. Scores are in units of ``log_base``.

    Example:

    >>> import numpy as np
    >>> from kgenint.motifs import Motif
    >>> scan = MotifScan([Motif.from_consensus("TGACTCA", name="AP1")])
    >>> x = np.eye(4, dtype="float32")[[[3, 2, 0, 1, 3, 1, 0, 0]]]  # TGACTCAA
    >>> [round(float(v), 1) for v in np.asarray(scan(x))[0, :, 0]]
    [14.0, -43.9]
    """

    def __init__(
        self,
        motifs: Sequence[Motif] | None = None,
        pseudocount: float = 0.1,
        base: float = 2.0,
        padding: str = "valid",
        strands: str = "both",
        combine: str | None = "max",
        width: int | None = None,
        motif_names: Sequence[str] | None = None,
        motif_widths: Sequence[int] | None = None,
        **kwargs: Any,
    ):
        kwargs["trainable"] = False
        super().__init__(**kwargs)
        if motifs is not None:
            motifs = _check_motifs(motifs)
            motif_names = [m.name for m in motifs]
            motif_widths = [m.width for m in motifs]
        elif motif_names is None or motif_widths is None:
            raise InputError("MotifScan needs motifs: a list of kgenint.motifs.Motif objects.")
        if len(motif_names) != len(motif_widths):
            raise InputError(
                f"MotifScan: {len(motif_names)} motif names but {len(motif_widths)} widths."
            )
        if pseudocount <= 0:
            raise InputError(f"pseudocount must be > 0. Received: pseudocount={pseudocount}")
        if strands not in ("both", "forward"):
            raise InputError(f"strands must be 'both' or 'forward'. Received: strands={strands!r}")
        if combine not in (None, "max"):
            raise InputError(f"combine must be 'max' or None. Received: combine={combine!r}")
        self.motifs = motifs
        self.motif_names = [str(n) for n in motif_names]
        self.motif_widths = [int(w) for w in motif_widths]
        self.pseudocount = float(pseudocount)
        self.base = float(base)
        self.strands = strands
        self.combine = combine
        wmax = max(self.motif_widths)
        w = wmax if width is None else int(width)
        if w < wmax:
            raise InputError(
                f"MotifScan: width={w} is narrower than the widest motif ({wmax} positions)."
            )
        padding = str(padding).lower()
        if padding == "same" and w % 2 == 0:
            w += 1
        self.width = w
        self.padding = _check_padding(padding, self.width, 1, "MotifScan")
        self.input_spec = keras.layers.InputSpec(ndim=3, axes={-1: 4})

    @property
    def n_motifs(self) -> int:
        """Number of motifs ``M``."""
        return len(self.motif_names)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            name="kernel", shape=(self.width, 4, self.n_motifs), initializer="zeros", trainable=False
        )
        if self.motifs is not None:
            self.kernel.assign(
                motifs_to_kernel(self.motifs, self.width, pseudocount=self.pseudocount, base=self.base)
            )

    def strand_scans(self, inputs):
        """Forward and reverse-strand scores, each ``(N, L', M)``."""
        return _both_strands(inputs, self.kernel, self.padding, 1)

    def call(self, inputs):
        if self.strands == "forward":
            return ops.conv(inputs, self.kernel, padding=self.padding)
        fwd, rc = self.strand_scans(inputs)
        return _merge(fwd, rc, self.combine)

    def compute_output_shape(self, input_shape):
        length = _out_length(input_shape[1], self.width, 1, self.padding)
        two = self.strands == "both" and self.combine is None
        return (input_shape[0], length, self.n_motifs * (2 if two else 1))

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("trainable", None)
        config.update(
            {
                "pseudocount": self.pseudocount,
                "base": self.base,
                "padding": self.padding,
                "strands": self.strands,
                "combine": self.combine,
                "width": self.width,
                "motif_names": list(self.motif_names),
                "motif_widths": list(self.motif_widths),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="kgenint")
class ProfileScalar(keras.layers.Layer):
    """The usual scalar for attributing a base-resolution profile head (BPNet).

    ``s = sum_{l, c} sg(softmax_l(z))[l, c] * z[l, c]``: the profile logits ``z`` weighted by the
    predicted profile (softmax over positions, per channel/strand), with the weights held
    constant (``sg`` = stop gradient). Gradients are ``softmax(z) * dz/dx``: each position counts
    as much as the model predicts reads there (Avsec et al. 2021, "Base-resolution models of
    transcription-factor binding reveal soft motif syntax"; the ``.detach()`` of bpnet-lite).

    For DeepLIFT/DeepSHAP (:func:`kgenint.attribution.deepshap`) the weights are those of the
    explained sequence, used for its references too: the quantity explained for ``x`` is
    ``sum w(x) (z(x) - z(r))``, linear in the logits, so attributions add up to it exactly (the
    result's ``f_ref`` is ``sum w(x) z(r)``).

    Args:
        (none besides the base layer's)

    Input shape:
        ``(batch, length, channels)`` profile logits (or ``(batch, length)``).

    Output shape:
        ``(batch, 1)``.

    Example:

    >>> import numpy as np
    >>> z = np.log(np.array([[[1.0], [3.0]]], "float32"))  # softmax weights 0.25, 0.75
    >>> round(float(ProfileScalar()(z)[0, 0]), 4)  # 0.25 * log 1 + 0.75 * log 3
    0.824
    """

    def call(self, inputs):
        z = inputs if len(inputs.shape) == 3 else ops.expand_dims(inputs, -1)
        w = ops.stop_gradient(ops.softmax(z, axis=1))
        return ops.sum(w * z, axis=(1, 2))[:, None]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1)


def profile_scalar(model: keras.Model, head: int | str | None = None) -> keras.Model:
    """A single-output model ``x -> ProfileScalar(profile logits of head)`` for attribution.

    Parameters
    ----------
    model : keras.Model
        Functional or Sequential model with a profile head ``(N, L_out, S)`` of logits (a final
        sigmoid/softmax activation is removed first).
    head : int or str, optional
        The profile head (layer name or index); required when the model has several outputs.

    Returns
    -------
    keras.Model
        ``(N, L, 4) -> (N, 1)``, sharing its weights with ``model``; pass it to any attribution
        method (its output is linear, so ``logits`` does not matter).

    Raises
    ------
    InputError
        The head is not a profile (fewer than two axes besides the batch).

    Examples
    --------
    >>> inp = keras.Input((50, 4))
    >>> prof = keras.layers.Conv1D(2, 5, padding="same", name="profile")(inp)
    >>> cnt = keras.layers.Dense(1, name="counts")(keras.layers.GlobalAveragePooling1D()(prof))
    >>> m = profile_scalar(keras.Model(inp, [prof, cnt]), head="profile")
    >>> m.output_shape
    (None, 1)
    """
    from .adapter import head_model

    hm = head_model(model, head, logits=None)
    out = hm.model.outputs[0]
    if len(out.shape) != 3:
        raise InputError(
            f"head {hm.name!r} of model {model.name!r} has shape {tuple(out.shape)}; profile_scalar needs a "
            f"profile head of shape (batch, positions, strands) (add a Reshape((L, 1)) for one strand)."
        )
    s = ProfileScalar(name=f"{hm.name}_profile_scalar")(out)
    return keras.Model(hm.model.inputs, s, name=f"{model.name}_{hm.name}_scalar")
