"""shap's ``DeepExplainer`` as a reference path (``method="shap"``), made safe to call.

Measured with TF 2.21 / Keras 3.15 / shap 0.51: DeepExplainer is exact on Flatten and MaxPooling
heads but fails on ``GlobalMaxPooling1D`` (its ``Max`` op gets an element-wise rule; shap issues
#559, #1761, #2601), and a failed call leaves TensorFlow's ``execute.record_gradient`` patched so
every later ``model.fit`` in the process breaks. Here:

* ``execute.record_gradient`` and TensorFlow's gradient registry are saved before and restored
  after every shap call, whatever happens;
* a correct handler for the ``Max`` op (the DeepSHAP max rule, routed like shap's own MaxPool
  handler) is registered, so GlobalMaxPooling1D models work;
* shap gets a single output tensor (the logits of the chosen unit's model, ``model.outputs[0]``
  of a one-output logit model), never a list.
"""
from __future__ import annotations

import contextlib

import numpy as np

from .._validate import check_onehot
from ..errors import InputError
from .deeplift import resolve_model

__all__ = ["shap_deepexplainer", "protected_tensorflow"]


@contextlib.contextmanager
def protected_tensorflow():
    """Save and restore the TensorFlow internals shap patches (record_gradient, gradient registry)."""
    from tensorflow.python.eager import execute as tf_execute
    from tensorflow.python.framework import ops as tf_ops

    saved_record = tf_execute.record_gradient
    reg = tf_ops._gradient_registry._registry
    saved_reg = dict(reg)
    try:
        yield
    finally:
        tf_execute.record_gradient = saved_record
        reg.clear()
        reg.update(saved_reg)


def _max_handler(explainer, op, *grads):
    """DeepSHAP rule for ``Max`` (reduce_max): route ``c - r_out`` to the input's argmax and
    ``x_out - c`` to the reference's argmax (``c = max(x_out, r_out)``), as for MaxPool."""
    import tensorflow as tf

    xin0, rin0 = tf.split(op.inputs[0], 2)
    xout, rout = tf.split(op.outputs[0], 2)
    delta_in0 = xin0 - rin0
    dup0 = [2] + [1 for _ in delta_in0.shape[1:]]
    cross = tf.maximum(xout, rout)
    diffs = tf.concat([cross - rout, xout - cross], 0)
    type_name = op.type[5:] if op.type.startswith("shap_") else op.type
    if op.type.startswith("shap_"):
        op.type = type_name  # the original gradient looks the op up by its real type (as shap's MaxPool rule does)
    routed = explainer.orig_grads[type_name](op, grads[0] * diffs)
    routed = routed[0] if isinstance(routed, (list, tuple)) else routed
    xmax_pos, rmax_pos = tf.split(routed, 2)
    mult = tf.where(tf.abs(delta_in0) < 1e-7, tf.zeros_like(delta_in0), (xmax_pos + rmax_pos) / delta_in0)
    return tf.tile(mult, dup0), None


def shap_deepexplainer(model, x, references=None, *, head=None, task: int = 0, logits: bool | None = None,
                       check_additivity: bool = False, **deprecated) -> np.ndarray:
    """Attributions from shap's DeepExplainer on the same inputs our :func:`deepshap` takes.

    Parameters
    ----------
    model : keras.Model or PredictFn
    x : float32 (N, L, 4)
    references : float32 (B, L, 4)
        References shared by all sequences (shap's DeepExplainer takes one background set).
        (Old name: ``background``.)
    head, task, logits
        As in :func:`kgenint.attribution.deepshap` (old name of ``task``: ``output``).

    Returns
    -------
    float32 (N, L, 4)
    """
    import keras
    import shap
    import shap.explainers._deep.deep_tf as deep_tf

    from .gradients import logit_model

    from ..keras.adapter import check_task, renamed_args

    if deprecated:
        v = renamed_args("shap_deepexplainer", deprecated, {"background": "references", "output": "task"},
                         {"references": references, "task": task}, {"references": None, "task": 0})
        references, task = v["references"], v["task"]
    if references is None:
        raise InputError("shap_deepexplainer needs references: an array (B, L, 4) shared by all sequences.")
    output = check_task(task)
    model = resolve_model(model)
    x = check_onehot(x, "x")
    bg = np.asarray(references, dtype=np.float32)
    if bg.ndim != 3:
        raise InputError("shap's DeepExplainer takes one background set shared by all sequences: shape (B, L, 4).")
    bg = check_onehot(bg, "background")
    lm = logit_model(model, head, logits)
    n_out = int(np.prod(lm.outputs[0].shape[1:]))
    check_task(output, n_out)
    if n_out > 1:
        sel = keras.layers.Lambda(lambda t: t[:, output:output + 1], name="select_output")(lm.outputs[0])
        lm = keras.Model(lm.inputs, sel)
    with protected_tensorflow():
        saved = deep_tf.op_handlers.get("Max")
        deep_tf.op_handlers["Max"] = _max_handler
        try:
            explainer = shap.DeepExplainer((lm.inputs[0], lm.outputs[0]), bg)
            vals = explainer.shap_values(x, check_additivity=check_additivity)
        finally:
            deep_tf.op_handlers["Max"] = saved
    vals = np.asarray(vals[0] if isinstance(vals, list) else vals, dtype=np.float32)
    return vals.reshape(x.shape)
