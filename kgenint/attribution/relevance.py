"""Layer-wise relevance propagation on the modified back-propagation machinery of DeepLIFT.

Rules (Montavon et al. 2019, "Layer-wise relevance propagation: an overview"): ``epsilon``
(``R_i = a_i w_ij R_j / (z_j + eps sign z_j)``), ``zplus`` (positive weights only) and
``alphabeta`` (``alpha`` times the positive, minus ``beta`` times the negative share; ``alpha -
beta = 1``). ``rule`` applies to the convolutions (Conv1D, RevCompConv1D, MotifScan), ``dense_rule``
to Dense layers; the usual composite is z+ (or alpha-beta) for convolutions and epsilon for dense
layers. ReLU and max pooling pass relevance unchanged; other elementwise nonlinearities pass it
proportionally. Input relevance is ``x * gradient`` of the modified model; it sums to the output
minus what biases and epsilon absorb (LRP does not promise exact conservation).
"""
from __future__ import annotations

import numpy as np

from .._validate import check_onehot
from ..errors import InputError
from .deeplift import resolve_target

__all__ = ["lrp"]

_CACHE: dict = {}


def lrp(model, x, *, head=None, task: int = 0, logits: bool | None = None, rule: str = "zplus",
        dense_rule: str = "epsilon", epsilon: float = 1e-6, alpha: float = 2.0, beta: float = 1.0,
        batch_size: int = 256, **deprecated) -> np.ndarray:
    """LRP relevance of every base, float32 ``(N, L, 4)`` (see module docstring for the rules).

    ``head`` (layer name or index), ``task`` (column; old name ``output``) and ``logits``
    (``None``: logits of a sigmoid/softmax head, the output otherwise) select what is explained,
    as everywhere in kgenint.
    """
    import tensorflow as tf

    from ..keras.adapter import check_task, renamed_args
    from ._rebuild import modified_model

    if deprecated:
        task = renamed_args("lrp", deprecated, {"output": "task"}, {"task": task}, {"task": 0})["task"]
    output = check_task(task)

    model, head, logits = resolve_target(model, head, logits)
    x = check_onehot(x, "x")
    key = (id(model), output, str(head), logits, rule, dense_rule, epsilon, alpha, beta)
    hit = _CACHE.get(key)
    if hit is None or hit[0] is not model:
        mm = modified_model(model, "lrp", head=head, logits=logits, rule=rule, dense_rule=dense_rule,
                            epsilon=epsilon, alpha=alpha, beta=beta)
        n_out = int(np.prod(mm.outputs[0].shape[1:])) if mm.outputs[0].shape[1:] else 1
        check_task(output, n_out)
        L = mm.inputs[0].shape[1]

        @tf.function(input_signature=[tf.TensorSpec([None, L, 4], tf.float32)])
        def fn(v):
            with tf.GradientTape() as tape:
                tape.watch(v)
                y = tf.reshape(mm(v, training=False), [tf.shape(v)[0], -1])[:, output]
                total = tf.reduce_sum(y)
            return tape.gradient(total, v)

        _CACHE[key] = (model, fn)
        hit = _CACHE[key]
    fn = hit[1]
    L = model.inputs[0].shape[1]
    if L is not None and int(L) != x.shape[1]:
        raise InputError(f"the model takes sequences of length {int(L)}; x has length {x.shape[1]}.")
    out = np.concatenate([fn(tf.constant(x[s:s + batch_size])).numpy() for s in range(0, len(x), batch_size)])
    return (out * x).astype(np.float32)
