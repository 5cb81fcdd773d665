"""A Keras model as the plain ``predict(onehot) -> float32[N, T]`` callable the rest of kgenint takes."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import keras
import numpy as np
import tensorflow as tf

from .._validate import check_onehot
from ..errors import InputError

__all__ = ["as_predict_fn", "PredictFn", "resolve_output", "OutputSpec"]

_SQUASHING = ("sigmoid", "softmax")


def _activation_name(layer: Any) -> str | None:
    """Name of the activation a layer applies last ('sigmoid', 'linear', ...), or None."""
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    fn = getattr(layer, "activation", None)
    if fn is None:
        return None
    if isinstance(fn, str):
        return fn
    return getattr(fn, "__name__", None)


def _producer(model: keras.Model, tensor: Any) -> Any:
    """The layer of ``model`` whose (single) output is ``tensor``."""
    for layer in reversed(model.layers):
        try:
            out = layer.output
        except (AttributeError, ValueError, RuntimeError):  # shared layer / not connected
            continue
        if out is tensor:
            return layer
    return None


def _output_names(model: keras.Model) -> list[str]:
    names = []
    for i, t in enumerate(model.outputs):
        layer = _producer(model, t)
        names.append(layer.name if layer is not None else f"output_{i}")
    return names


class PredictFn:
    """``predict(x) -> float32 (N, T)`` for one output of a Keras model (see :func:`as_predict_fn`).

    Attributes
    ----------
    model : keras.Model
        The wrapped model (weights are shared, not copied: predictions follow training).
    input_length : int or None
        Sequence length ``L`` the model takes (None if any).
    output_name : str
        Name of the layer that produces the chosen output.
    logits : bool
        True if the function returns pre-activation values.
    batch_size : int
        Sequences per model call.
    """

    def __init__(self, make_fn: Callable, model: keras.Model, input_length: int | None, output_name: str,
                 logits: bool, batch_size: int):
        self._make_fn = make_fn
        self._fns: dict[int, Callable] = {}
        self.model = model
        self.input_length = input_length
        self.output_name = output_name
        self.logits = logits
        self.batch_size = batch_size

    def __repr__(self) -> str:
        kind = "logits" if self.logits else "outputs"
        return (f"<PredictFn {self.model.name!r} -> {kind} of {self.output_name!r}, "
                f"L={self.input_length}, batch_size={self.batch_size}>")

    def __call__(self, x: Any) -> np.ndarray:
        """Predict on one-hot sequences.

        Parameters
        ----------
        x : array_like, float32, shape (N, L, 4) or (L, 4)
            One-hot DNA, ACGT order (rows of zeros or 0.25 for N are accepted).

        Returns
        -------
        np.ndarray, float32, shape (N, T)
        """
        x = check_onehot(x, "x")
        if self.input_length is not None and x.shape[1] != self.input_length:
            raise InputError(
                f"x has sequences of length {x.shape[1]} but model {self.model.name!r} takes length "
                f"{self.input_length}. Trim or pad the sequences to {self.input_length} positions."
            )
        out = []
        for start in range(0, x.shape[0], self.batch_size):
            xb = x[start : start + self.batch_size]
            n = xb.shape[0]
            size = self._bucket(n)
            if size > n:  # pad the short last batch to a traced shape (zeros = N bases)
                xb = np.concatenate([xb, np.zeros((size - n,) + xb.shape[1:], np.float32)])
            fn = self._fns.get(size)
            if fn is None:
                fn = self._fns[size] = self._make_fn(size)
            out.append(fn(tf.constant(xb)).numpy()[:n])
        return np.concatenate(out, axis=0).astype(np.float32, copy=False)

    def _bucket(self, n: int) -> int:
        """Smallest traced batch shape >= n: powers of two from 32, capped at ``batch_size``."""
        size = 32
        while size < n:
            size *= 2
        return min(size, self.batch_size)


def as_predict_fn(
    model: keras.Model,
    output: int | str | None = None,
    *,
    logits: bool = True,
    batch_size: int = 1024,
) -> PredictFn:
    """Wrap a Keras model as a fast batched ``predict(onehot) -> float32[N, T]``.

    The model runs inside ``tf.function``s with fixed input signatures
    ``TensorSpec([B, L, 4], float32)``: full batches use ``B = batch_size``, and a short last
    batch is zero-padded to the next power of two (at least 32, at most ``batch_size``), so at
    most ~6 shapes are ever traced and no call retraces. Static shapes also let TensorFlow's
    grappler/oneDNN optimise the graph: about 2x faster than a dynamic batch axis on CPU.
    Weights are shared with ``model``, so a function made before or during training always uses
    the current weights.

    Parameters
    ----------
    model : keras.Model
        A built Keras model taking one ``(N, L, 4)`` input.
    output : int or str, optional
        Which model output to use: its index in ``model.outputs`` or the name of the layer that
        produces it. Required when the model has several outputs.
    logits : bool
        If True (default) return the input of the final sigmoid/softmax (the logits) instead of
        probabilities. Interaction effects ``f(AB) - f(A) - f(B) + f(0)`` are measured on
        logits because independent motif effects add up on the log-odds scale: a sigmoid
        saturates, so two strong motifs that each push the probability near 1 would look
        "sub-additive" on the probability scale even when the model combines them additively.
        If the model's final layer is linear, its output is returned as is.
    batch_size : int
        Sequences per model call (memory vs. speed; 1024 suits CPUs).

    Returns
    -------
    PredictFn
        Callable ``predict(x: float32 (N, L, 4)) -> float32 (N, T)``; outputs with more than
        two axes (e.g. profiles) are flattened to ``(N, -1)``.

    Raises
    ------
    InputError
        Several outputs and no ``output`` choice; an unknown output; a model that is not a
        single-input DNA model; ``logits=True`` when the pre-activation cannot be found.

    Examples
    --------
    >>> from kgenint.keras.models import deepbind
    >>> import numpy as np
    >>> predict = as_predict_fn(deepbind(50), logits=True)
    >>> x = np.eye(4, dtype="float32")[np.random.default_rng(0).integers(0, 4, (3, 50))]
    >>> predict(x).shape
    (3, 1)
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise InputError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
    spec = resolve_output(model, output, logits=logits)
    if spec is None:
        return _subclassed(model, output, logits, int(batch_size))
    fn = _compile(spec.submodel, spec.input_length, spec.post)
    return PredictFn(fn, model, spec.input_length, spec.name, logits, int(batch_size))


class OutputSpec(NamedTuple):
    """How to compute one (pre-activation) output of a model: ``post(submodel(x))``."""

    submodel: keras.Model  #: shares its layers and weights with the model
    post: Callable | None  #: applied to the submodel's output (e.g. a Dense without activation)
    name: str  #: layer producing the chosen output
    input_length: int | None  #: sequence length L the model takes


def resolve_output(model: keras.Model, output: int | str | None = None, *, logits: bool = True) -> OutputSpec | None:
    """Locate an output (or its logits) of a single-input DNA model.

    Parameters
    ----------
    model : keras.Model
        Functional or Sequential model with one ``(None, L, 4)`` input.
    output : int or str, optional
        Output index or the name of the layer producing it; required for several outputs.
    logits : bool
        Return the pre-activation of a final sigmoid/softmax.

    Returns
    -------
    OutputSpec, or None for a subclassed model (no layer graph).
    """
    if not isinstance(model, keras.Model):
        raise InputError(f"model must be a keras.Model. Received: {type(model).__name__}.")
    try:
        inputs, outputs = list(model.inputs), list(model.outputs)
    except (AttributeError, ValueError):
        inputs, outputs = None, None
    if not inputs:
        return None
    if len(inputs) != 1:
        raise InputError(
            f"model {model.name!r} has {len(inputs)} inputs; kgenint needs a model with one "
            f"(N, L, 4) one-hot input."
        )
    shape = tuple(inputs[0].shape)
    if len(shape) != 3 or shape[-1] != 4:
        raise InputError(
            f"model {model.name!r} takes input of shape {shape}; kgenint needs (None, L, 4) one-hot DNA."
        )
    length = None if shape[1] is None else int(shape[1])

    names = _output_names(model)
    if output is None:
        if len(outputs) > 1:
            raise InputError(
                f"model {model.name!r} has {len(outputs)} outputs ({', '.join(names)}); choose one "
                f"with output=<index or name>, e.g. as_predict_fn(model, output={names[0]!r})."
            )
        k = 0
    elif isinstance(output, (int, np.integer)) and not isinstance(output, bool):
        if not 0 <= output < len(outputs):
            raise InputError(
                f"output={output} is out of range: model {model.name!r} has {len(outputs)} output(s) "
                f"({', '.join(names)})."
            )
        k = int(output)
    elif isinstance(output, str):
        if output not in names:
            raise InputError(
                f"model {model.name!r} has no output named {output!r}; its outputs are: {', '.join(names)}."
            )
        k = names.index(output)
    else:
        raise InputError(f"output must be an int, a str or None. Received: output={output!r}")

    tensor, post = outputs[k], None
    if logits:
        tensor, post = _logits_tensor(model, outputs[k], names[k])
    sub = keras.Model(inputs, tensor, name=f"{model.name}_predict")
    return OutputSpec(sub, post, names[k], length)


def _logits_tensor(model: keras.Model, tensor: Any, name: str):
    """``(tensor to compute, post-op or None)`` giving the pre-activation of ``tensor``."""
    layer = _producer(model, tensor)
    if layer is None:
        raise InputError(
            f"Cannot find the layer producing output {name!r} of model {model.name!r}, so its logits "
            f"cannot be located. Pass logits=False to use the model's outputs."
        )
    act = _activation_name(layer)
    if act in (None, "linear"):  # no squashing at the end: the output already is the logits
        return tensor, None
    if act not in _SQUASHING:
        raise InputError(
            f"Output {name!r} of model {model.name!r} ends with a {act!r} activation, not sigmoid or "
            f"softmax, so it has no logits to return. Pass logits=False to use the outputs as they are."
        )
    if isinstance(layer, (keras.layers.Activation, keras.layers.Softmax)):
        return layer.input, None
    if isinstance(layer, keras.layers.Dense):
        def dense_logits(h, layer=layer):
            z = keras.ops.matmul(h, layer.kernel)
            return z + layer.bias if layer.use_bias else z

        return layer.input, dense_logits
    raise InputError(
        f"Output {name!r} of model {model.name!r} is produced by a {type(layer).__name__} layer with a "
        f"built-in {act} activation, whose pre-activation kgenint cannot reach. Give the model a final "
        f"Dense layer without activation followed by keras.layers.Activation({act!r}), or pass "
        f"logits=False."
    )


def _compile(sub: Callable, length: int | None, post: Callable | None) -> Callable[[int], Callable]:
    """A factory: batch size -> ``tf.function`` with the fixed signature ``[batch, L, 4]``."""

    def make(batch: int):
        @tf.function(input_signature=[tf.TensorSpec([batch, length, 4], tf.float32)])
        def fn(x):
            y = sub(x, training=False)
            if isinstance(y, (list, tuple)):
                y = y[0]
            if post is not None:
                y = post(y)
            y = tf.cast(y, tf.float32)
            if y.shape.rank == 1:
                y = y[:, None]
            elif y.shape.rank != 2:
                y = tf.reshape(y, [tf.shape(y)[0], -1])
            return y

        return fn

    return make


def _subclassed(model: keras.Model, output: Any, logits: bool, batch_size: int) -> PredictFn:
    if logits:
        raise InputError(
            f"model {model.name!r} is a subclassed Keras model (no layer graph), so kgenint cannot find "
            f"its logits. Pass logits=False (and make the model output logits itself if you want "
            f"them), or build it with the Functional API."
        )
    if output is not None:
        raise InputError("output= needs a Functional or Sequential model (with model.outputs).")

    def sub(x, training=False):
        return model(x, training=training)

    fn = _compile(sub, None, None)
    return PredictFn(fn, model, None, "output", False, batch_size)
