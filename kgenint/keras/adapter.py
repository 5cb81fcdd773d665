"""A Keras model as the plain ``predict(onehot) -> float32[N, T]`` callable the rest of kgenint takes.

Every model-facing function of kgenint selects what to explain or scan with the same three
arguments (docs/api.md): ``head`` (which model output: the name of the layer that produces it,
or its index in ``model.outputs``), ``task`` (which column of that output) and ``logits``
(``None``: pre-activation values where the head ends in sigmoid/softmax, the output itself
otherwise; ``True``: force logits; ``False``: force outputs). :func:`head_model` is the one place
that turns them into a single-output Functional model, and every result says which ``scale``
(``"logits"`` or ``"output"``) it is on.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import keras
import numpy as np
import tensorflow as tf

from .._validate import check_onehot
from .._deprecation import _caller_level, _same, renamed_args  # noqa: F401  (renamed_args: public here too)
from ..errors import InputError
from .graph import activation_name as _activation_name
from .graph import keras_history as _history  # noqa: F401  (old private name)
from .graph import output_names as _output_names
from .graph import producer as _producer

__all__ = ["as_predict_fn", "PredictFn", "head_model", "HeadModel", "resolve_head", "check_task",
           "renamed_args", "resolve_output", "OutputSpec"]

_SQUASHING = ("sigmoid", "softmax")


def check_task(task: Any, n_columns: int | None = None, where: str = "") -> int:
    """Validate a task (column) index; returns it as ``int``.

    Task names are not stored in a Keras model, so only indices are accepted here.
    """
    if isinstance(task, str):
        raise InputError(
            f"{where}task={task!r}: a Keras model does not store task names; pass the column index "
            f"(0-based) of the task in the head's output."
        )
    if isinstance(task, bool) or not isinstance(task, (int, np.integer)) or task < 0:
        raise InputError(f"{where}task must be a column index >= 0. Received: task={task!r}")
    if n_columns is not None and task >= n_columns:
        raise InputError(
            f"{where}task={int(task)} is out of range: the head has {n_columns} output column(s) "
            f"(task is 0-based)."
        )
    return int(task)


def _check_logits(logits: Any) -> None:
    if logits is not None and not isinstance(logits, (bool, np.bool_)):
        raise InputError(f"logits must be None, True or False. Received: logits={logits!r}")


def _graph(model: Any):
    """``(inputs, outputs)`` of a Functional/Sequential model; ``(None, None)`` when subclassed."""
    if not isinstance(model, keras.Model):
        raise InputError(f"model must be a keras.Model. Received: {type(model).__name__}.")
    try:
        inputs, outputs = list(model.inputs), list(model.outputs)
    except (AttributeError, ValueError):
        return None, None
    if not inputs:
        return None, None
    return inputs, outputs


def _input_length(model: keras.Model, inputs: list) -> int | None:
    if len(inputs) != 1:
        raise InputError(
            f"model {model.name!r} has {len(inputs)} inputs; kgenint needs a model with one "
            f"(N, L, 4) one-hot input."
        )
    shape = tuple(inputs[0].shape)
    if len(shape) != 3 or shape[-1] != 4:
        raise InputError(
            f"model {model.name!r} takes input of shape {shape}; kgenint needs (None, L, 4) one-hot DNA "
            f"(L positions, 4 channels in ACGT order)."
        )
    return None if shape[1] is None else int(shape[1])


def resolve_head(model: keras.Model, head: int | str | None) -> tuple[int, list[str]]:
    """Index of the chosen output of a graph model, and the names of all its outputs.

    Parameters
    ----------
    model : keras.Model
        Functional or Sequential model.
    head : int, str or None
        Index in ``model.outputs`` or the name of the layer producing the output; ``None`` for a
        single-output model.

    Raises
    ------
    InputError
        Several outputs and no ``head``; an unknown name; an index out of range.
    """
    outputs = list(model.outputs)
    names = _output_names(model)
    if head is None:
        if len(outputs) > 1:
            raise InputError(
                f"model {model.name!r} has {len(outputs)} outputs ({', '.join(names)}); choose one "
                f"with head=<index or name>, e.g. head={names[0]!r}."
            )
        return 0, names
    if isinstance(head, (int, np.integer)) and not isinstance(head, bool):
        if not 0 <= head < len(outputs):
            raise InputError(
                f"head={head} is out of range: model {model.name!r} has {len(outputs)} output(s) "
                f"({', '.join(names)})."
            )
        return int(head), names
    if isinstance(head, str):
        if head not in names:
            raise InputError(
                f"model {model.name!r} has no output named {head!r}; its outputs are: {', '.join(names)}."
            )
        return names.index(head), names
    raise InputError(f"head must be an int, a str or None. Received: head={head!r}")


def head_scale(layer: Any, logits: bool | None, name: str, model_name: str) -> tuple[bool, str]:
    """``(strip the final activation?, scale)`` for a head produced by ``layer``.

    ``logits=None``: strip a final sigmoid/softmax (scale ``"logits"``), keep anything else
    (``"output"``). ``True``: as None, but a head ending in another nonlinearity (softplus, exp,
    ReLU ...) is an error: it has no logits. A linear head's output is its own pre-activation,
    so ``True`` returns it unchanged (scale ``"output"``). ``False``: never strip.
    """
    _check_logits(logits)
    act = _activation_name(layer) if layer is not None else None
    if act in _SQUASHING:
        return (logits is not False), ("logits" if logits is not False else "output")
    if logits and act not in (None, "linear"):
        raise InputError(
            f"head {name!r} of model {model_name!r} ends with a {act!r} activation, not sigmoid or softmax, "
            f"so it has no logits. Use logits=None (the default: its output) or logits=False."
        )
    return False, "output"


def call_without_activation(layer: keras.layers.Layer, x):
    """``layer``'s output before its own activation (Dense/Conv1D with ``activation=``): the layer
    is called with a linear activation, which is restored afterwards."""
    saved = layer.activation
    try:
        layer.activation = keras.activations.linear
        return layer.call(x)
    finally:
        layer.activation = saved


class _PreActivation(keras.layers.Layer):
    """Calls a layer with a built-in activation (Dense, Conv1D ...) without that activation.

    The wrapped layer is shared, not copied: its weights are the model's.
    """

    def __init__(self, layer: keras.layers.Layer, **kwargs: Any):
        super().__init__(name=f"{layer.name}_preactivation", **kwargs)
        self.inner = layer

    def call(self, x):
        return call_without_activation(self.inner, x)

    def compute_output_shape(self, input_shape):
        return self.inner.compute_output_shape(input_shape)


class HeadModel(NamedTuple):
    """One head of a model, on the chosen scale, as a single-output Functional model."""

    model: keras.Model  #: inputs -> the head's logits or output (weights shared with the source)
    scale: str  #: ``"logits"`` or ``"output"``
    name: str  #: name of the layer producing the head
    #: index of the head in the source model's outputs
    index: int  # type: ignore[assignment]  # a public field named like tuple.index: mypy flags it
    input_length: int | None  #: sequence length L the model takes
    n_columns: int | None  #: columns of the (flattened) head output
    layer: Any  #: the layer producing the head
    strip: bool  #: whether the final sigmoid/softmax was removed


def head_model(model: keras.Model, head: int | str | None = None, logits: bool | None = None) -> HeadModel:
    """The chosen head of a single-input DNA model, on the logit or output scale.

    Parameters
    ----------
    model : keras.Model
        Functional or Sequential Keras 3 model with one ``(None, L, 4)`` input.
    head : int or str, optional
        Output index or name of the layer producing it (required for several outputs).
    logits : bool or None
        ``None``: logits where the head ends in sigmoid/softmax, the output otherwise; ``True``:
        force logits (error for a softplus/exp/ReLU head); ``False``: the output.

    Returns
    -------
    HeadModel

    Raises
    ------
    InputError
        Subclassed model (no graph), not an (L, 4) input, bad ``head``/``logits``.
    """
    inputs, outputs = _graph(model)
    if inputs is None:
        raise InputError(
            f"model {model.name!r} is a subclassed Keras model (no layer graph); this needs a Functional "
            f"or Sequential model."
        )
    length = _input_length(model, inputs)
    k, names = resolve_head(model, head)
    tensor = outputs[k]
    layer, ins = _history(tensor)
    if layer is None:
        layer = _producer(model, tensor)
    strip, scale = head_scale(layer, logits, names[k], model.name)
    if strip:
        if ins is None or len(ins) != 1:
            raise InputError(
                f"cannot locate the input of head {names[k]!r} of model {model.name!r}, so its logits are "
                f"out of reach. Pass logits=False to use the outputs."
            )
        if isinstance(layer, (keras.layers.Activation, keras.layers.Softmax)):
            tensor = ins[0]
        elif hasattr(layer, "activation") and hasattr(layer, "call"):
            tensor = _PreActivation(layer)(ins[0])
        else:  # pragma: no cover - _activation_name found an activation, so the layer has one
            raise InputError(f"head {names[k]!r}: cannot remove the final activation; pass logits=False.")
    sub = keras.Model(inputs, tensor, name=f"{model.name}_{scale}")
    shape = tuple(tensor.shape)[1:]
    n_columns = int(np.prod(shape)) if all(d is not None for d in shape) else None
    if not shape:
        n_columns = 1
    return HeadModel(sub, scale, names[k], k, length, n_columns, layer, strip)


class PredictFn:
    """``predict(x) -> float32 (N, T)`` for one head of a Keras model (see :func:`as_predict_fn`).

    Attributes
    ----------
    model : keras.Model
        The wrapped model (weights are shared, not copied: predictions follow training).
    input_length : int or None
        Sequence length ``L`` the model takes (None if any).
    head : str
        Name of the layer that produces the chosen head (``output_name`` is an alias).
    task : int or None
        The single column returned, or None for all columns of the head.
    scale : str
        ``"logits"`` (pre-activation of a final sigmoid/softmax) or ``"output"`` (the head's
        output as the model computes it).
    logits : bool
        ``scale == "logits"``.
    batch_size : int
        Sequences per model call.
    """

    def __init__(self, make_fn: Callable, model: keras.Model, input_length: int | None, output_name: str,
                 logits: bool, batch_size: int, *, scale: str | None = None, task: int | None = None):
        self._make_fn = make_fn
        self._fns: dict[int, Callable] = {}
        self.model = model
        self.input_length = input_length
        self.head = output_name
        self.output_name = output_name
        self.scale = scale if scale is not None else ("logits" if logits else "output")
        self.logits = self.scale == "logits"
        self.task = task
        self.batch_size = batch_size

    def __repr__(self) -> str:
        cols = "all columns" if self.task is None else f"task {self.task}"
        return (f"<PredictFn {self.model.name!r} -> {self.scale} of {self.head!r} ({cols}), "
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
            ``T`` columns of the head (flattened), or 1 when ``task`` was chosen.
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
        y = np.concatenate(out, axis=0).astype(np.float32, copy=False)
        if self.task is not None and y.shape[1] == 0:
            raise InputError(f"task={self.task} is out of range for the output of model {self.model.name!r}.")
        return y

    def _bucket(self, n: int) -> int:
        """Smallest traced batch shape >= n: powers of two from 32, capped at ``batch_size``."""
        size = 32
        while size < n:
            size *= 2
        return min(size, self.batch_size)


def as_predict_fn(
    model: keras.Model,
    head: int | str | None = None,
    task: int | None = None,
    logits: bool | None = None,
    *,
    batch_size: int = 1024,
    **deprecated: Any,
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
    head : int or str, optional
        Which model output: its index in ``model.outputs`` or the name of the layer that
        produces it. Required when the model has several outputs. (Old name: ``output``.)
    task : int, optional
        Return only this column of the head (shape ``(N, 1)``); default all columns.
    logits : bool or None
        ``None`` (default): the pre-activation (logits) where the head ends in sigmoid/softmax,
        the head's output otherwise (linear, softplus, exp, ReLU heads). Interaction effects
        ``f(AB) - f(A) - f(B) + f(0)`` are best measured on logits because independent motif
        effects add up on the log-odds scale: a sigmoid saturates, so two strong motifs that
        each push the probability near 1 would look "sub-additive" on the probability scale.
        ``True`` forces logits (an error for a softplus/exp/ReLU head, which has none; a linear
        head is returned as is); ``False`` forces the outputs. The result's ``scale`` attribute
        says which was used.
    batch_size : int
        Sequences per model call (memory vs. speed; 1024 suits CPUs).

    Returns
    -------
    PredictFn
        Callable ``predict(x: float32 (N, L, 4)) -> float32 (N, T)``; outputs with more than
        two axes (e.g. profiles) are flattened to ``(N, -1)``. Attributes ``scale``
        (``"logits"``/``"output"``), ``head``, ``task``.

    Raises
    ------
    InputError
        Several outputs and no ``head``; an unknown head; a model that is not a single-input
        DNA model; ``logits=True`` for a head without logits; a task out of range.

    Examples
    --------
    >>> from kgenint.keras.models import deepbind
    >>> import numpy as np
    >>> predict = as_predict_fn(deepbind(50))
    >>> x = np.eye(4, dtype="float32")[np.random.default_rng(0).integers(0, 4, (3, 50))]
    >>> predict(x).shape, predict.scale
    ((3, 1), 'logits')
    """
    if deprecated:
        v = renamed_args("as_predict_fn", deprecated, {"output": "head"}, {"head": head}, {"head": None})
        head = v["head"]
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise InputError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
    _check_logits(logits)
    inputs, _ = _graph(model)
    if inputs is None:
        return _subclassed(model, head, task, logits, int(batch_size))
    hm = head_model(model, head, logits)
    if task is not None:
        task = check_task(task, hm.n_columns)
    fn = _compile(hm.model, hm.input_length, None, task)
    return PredictFn(fn, model, hm.input_length, hm.name, hm.scale == "logits", int(batch_size),
                     scale=hm.scale, task=task)


class OutputSpec(NamedTuple):
    """How to compute one (pre-activation) output of a model: ``post(submodel(x))``."""

    submodel: keras.Model  #: shares its layers and weights with the model
    post: Callable | None  #: applied to the submodel's output (None: nothing)
    name: str  #: layer producing the chosen output
    input_length: int | None  #: sequence length L the model takes


def resolve_output(model: keras.Model, output: int | str | None = None, *, logits: bool | None = None,
                   head: int | str | None = None) -> OutputSpec | None:
    """:func:`head_model` in the older :class:`OutputSpec` form (None for a subclassed model)."""
    if head is None:
        head = output
    inputs, _ = _graph(model)
    if inputs is None:
        return None
    hm = head_model(model, head, logits)
    return OutputSpec(hm.model, None, hm.name, hm.input_length)


def _compile(sub: Callable, length: int | None, post: Callable | None,
             task: int | None = None) -> Callable[[int], Callable]:
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
            if task is not None:
                y = y[:, task : task + 1]
            return y

        return fn

    return make


def _subclassed(model: keras.Model, head: Any, task: Any, logits: bool | None, batch_size: int) -> PredictFn:
    if logits:
        raise InputError(
            f"model {model.name!r} is a subclassed Keras model (no layer graph), so kgenint cannot find "
            f"its logits. Use logits=None or False (and make the model output logits itself if you want "
            f"them), or build it with the Functional API."
        )
    if head is not None:
        raise InputError("head= needs a Functional or Sequential model (with model.outputs).")
    if task is not None:
        task = check_task(task)

    def sub(x, training=False):
        return model(x, training=training)

    fn = _compile(sub, None, None, task)
    return PredictFn(fn, model, None, "output", False, batch_size, scale="output", task=task)
