"""Reading a Keras model's layer graph: which layer produced a tensor, from which inputs, with
which final activation, and what the model's outputs are called.

Public so that the attribution rules (:mod:`kgenint.attribution._rules`) and the model adapter
(:mod:`kgenint.keras.adapter`) share one reading of the graph.
"""
from __future__ import annotations

from typing import Any

import keras

__all__ = ["activation_name", "keras_history", "producer", "output_names"]


def activation_name(layer: Any) -> str | None:
    """Name of the activation a layer applies last ('sigmoid', 'linear', ...), or None."""
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    fn = getattr(layer, "activation", None)
    if fn is None:
        return None
    if isinstance(fn, str):
        return fn
    return getattr(fn, "__name__", None)


def keras_history(tensor: Any):
    """``(layer, input tensors)`` of the graph node that produced ``tensor`` (or ``(None, None)``)."""
    hist = getattr(tensor, "_keras_history", None)
    if hist is None:
        return None, None
    layer, node_index = hist[0], hist[1]
    try:
        node = layer._inbound_nodes[node_index]
        return layer, list(node.input_tensors)
    except (AttributeError, IndexError):
        return layer, None


def producer(model: keras.Model, tensor: Any) -> Any:
    """The layer of ``model`` whose output is ``tensor``."""
    layer, _ = keras_history(tensor)
    if layer is not None:
        return layer
    for layer in reversed(model.layers):
        try:
            out = layer.output
        except (AttributeError, ValueError, RuntimeError):  # shared layer / not connected
            continue
        if out is tensor:
            return layer
    return None


def output_names(model: keras.Model) -> list[str]:
    """Name of each output of ``model``: the name of the layer producing it (``output_<i>`` when
    none is found)."""
    names = []
    for i, t in enumerate(model.outputs):
        layer = producer(model, t)
        names.append(layer.name if layer is not None else f"output_{i}")
    return names
