"""Gradient attributions: saliency and SmoothGrad (through tf-keras-vis), gradient x input and
integrated gradients (our own batched implementations).

All return float32 ``(N, L, 4)``. ``correct=True`` applies the gradient correction for one-hot
input (Majdandzic et al. 2023): the per-position mean over the four bases is subtracted from the
gradient, removing the off-simplex component that one-hot data cannot move along.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import check_onehot
from ..errors import InputError
from .deeplift import resolve_model, resolve_target

__all__ = [
    "saliency", "smoothgrad", "gradient_x_input", "input_gradients", "integrated_gradients", "IGResult",
    "gradient_correction", "logit_model",
]


def gradient_correction(g: np.ndarray) -> np.ndarray:
    """Subtract the per-position mean over the four bases (``g - g.mean(-1, keepdims=True)``)."""
    return g - g.mean(axis=-1, keepdims=True)


def logit_model(model, head=None, logits: bool | None = None):
    """A Functional model whose single output is the chosen head's logits (or outputs).

    Used as our own replacement for tf-keras-vis' ``ReplaceToLinear`` (which fails on Keras 3
    Sequential models): see :func:`kgenint.keras.adapter.head_model` (weights are shared).
    """
    from ..keras.adapter import head_model

    try:
        return head_model(model, head, logits).model
    except InputError as err:
        if "subclassed" in str(err):
            from ._rules import UnsupportedLayerError

            raise UnsupportedLayerError(str(err)) from None
        raise


_DEPRECATED = {"output": "task", "show_progress": "progress"}


def _renamed(func: str, deprecated: dict, task, defaults: dict | None = None, **extra):
    """Apply the old argument names (``output`` -> ``task`` ...) of a gradient method;
    ``extra`` are other renamed arguments' current values, ``defaults`` their defaults."""
    if not deprecated:
        return task, extra
    from ..keras.adapter import renamed_args

    renames = dict(_DEPRECATED)
    renames.update({k: v for k, v in (("baseline", "references"), ("n_shuffles", "n_references"))
                    if v in extra})
    values = {"task": task, **extra}
    defaults = {"task": 0, **(defaults or {})}
    v = renamed_args(func, deprecated, renames, values, defaults)
    return v.pop("task"), v


_GRAD_CACHE: dict = {}


def _grad_fn(model, output: int, head, logits: bool | None):
    import tensorflow as tf

    from ..keras.adapter import check_task

    key = (id(model), output, str(head), logits)
    hit = _GRAD_CACHE.get(key)
    if hit is not None and hit[0] is model:
        return hit[1]
    lm = logit_model(model, head, logits)
    n_out = int(np.prod(lm.outputs[0].shape[1:])) if lm.outputs[0].shape[1:] else 1
    output = check_task(output, n_out)
    shape = lm.inputs[0].shape

    @tf.function(input_signature=[tf.TensorSpec([None, shape[1], 4], tf.float32)])
    def fn(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reshape(lm(x, training=False), [tf.shape(x)[0], -1])[:, output]
            total = tf.reduce_sum(y)
        return tape.gradient(total, x), y

    _GRAD_CACHE[key] = (model, fn)
    if len(_GRAD_CACHE) > 8:
        _GRAD_CACHE.pop(next(iter(_GRAD_CACHE)))
    return fn


def _gradients(model, x, output, head, logits, batch_size):
    import tensorflow as tf

    fn = _grad_fn(model, output, head, logits)
    gs, ys = [], []
    for s in range(0, len(x), batch_size):
        g, y = fn(tf.constant(x[s:s + batch_size]))
        gs.append(g.numpy())
        ys.append(y.numpy())
    return np.concatenate(gs), np.concatenate(ys).astype(np.float64)


def _check_common(model, x, batch_size):
    model = resolve_model(model)
    x = check_onehot(x, "x")
    L = model.inputs[0].shape[1] if getattr(model, "inputs", None) else None
    if L is not None and int(L) != x.shape[1]:
        raise InputError(f"the model takes sequences of length {int(L)}; x has length {x.shape[1]}.")
    if isinstance(batch_size, bool) or int(batch_size) < 1:
        raise InputError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
    return model, x


def _tfkv_saliency(model, x, output, head, logits, smooth_samples, smooth_noise, seed):
    import tensorflow as tf
    from tf_keras_vis.saliency import Saliency

    lm = logit_model(model, head, logits)

    def score(out):
        return tf.reshape(out, [tf.shape(out)[0], -1])[:, output]

    sal = Saliency(lm, model_modifier=None, clone=False)
    if smooth_samples:
        tf.random.set_seed(int(seed))
    g = sal(score, x, smooth_samples=int(smooth_samples), smooth_noise=float(smooth_noise), keepdims=True,
            gradient_modifier=None, normalize_map=False)
    return np.asarray(g, dtype=np.float32)


def saliency(model, x, *, head=None, task: int = 0, logits: bool | None = None, correct: bool = True,
             batch_size: int = 256, **deprecated) -> np.ndarray:
    """Saliency map: the gradient of the head (logit or output) with respect to the one-hot input.

    Computed with tf-keras-vis' ``Saliency`` (signed gradients: ``gradient_modifier=None``,
    ``keepdims=True``, ``normalize_map=False``) on a single-head model built by
    :func:`logit_model`.

    Parameters
    ----------
    model : keras.Model or PredictFn
    x : float32 (N, L, 4)
    head : int or str, optional
        Model output (layer name or index), for multi-output models.
    task : int
        Column of the head. (Old name: ``output``.)
    logits : bool or None
        ``None``: logits of a sigmoid/softmax head, the output otherwise; True/False force.
    correct : bool
        Apply :func:`gradient_correction`.
    batch_size : int

    Returns
    -------
    float32 (N, L, 4)
    """
    task, _ = _renamed("saliency", deprecated, task)
    model, head, logits = resolve_target(model, head, logits)
    model, x = _check_common(model, x, batch_size)
    _grad_fn(model, task, head, logits)  # validates head, task and logits
    out = np.concatenate([
        _tfkv_saliency(model, x[s:s + batch_size], task, head, logits, 0, 0.0, 0)
        for s in range(0, len(x), batch_size)
    ])
    return (gradient_correction(out) if correct else out).astype(np.float32)


def smoothgrad(model, x, *, head=None, task: int = 0, logits: bool | None = None, n_samples: int = 20,
               noise: float = 0.1, correct: bool = True, seed: int = 0, batch_size: int = 64,
               **deprecated) -> np.ndarray:
    """SmoothGrad through tf-keras-vis: saliency averaged over ``n_samples`` noisy copies of x.

    ``noise`` is the noise standard deviation relative to the input range (tf-keras-vis'
    ``smooth_noise``). Seeded through ``tf.random.set_seed(seed)``. ``head``, ``task``,
    ``logits`` as in :func:`saliency`.
    """
    task, _ = _renamed("smoothgrad", deprecated, task)
    model, head, logits = resolve_target(model, head, logits)
    model, x = _check_common(model, x, batch_size)
    if int(n_samples) < 1:
        raise InputError(f"n_samples must be >= 1. Received: n_samples={n_samples}")
    _grad_fn(model, task, head, logits)
    out = np.concatenate([
        _tfkv_saliency(model, x[s:s + batch_size], task, head, logits, n_samples, noise, seed + s)
        for s in range(0, len(x), batch_size)
    ])
    return (gradient_correction(out) if correct else out).astype(np.float32)


def input_gradients(model, x, *, head=None, task: int = 0, logits: bool | None = None, correct: bool = True,
                    batch_size: int = 256) -> np.ndarray:
    """Signed gradient of the head with respect to the one-hot input, float32 ``(N, L, 4)``.

    One compiled ``tf.function`` per (model, head, task, logits), reused across calls (the
    training callbacks call it every epoch on the changing weights). ``correct`` applies
    :func:`gradient_correction`; ``head``, ``task``, ``logits`` as in :func:`saliency`.
    """
    model, head, logits = resolve_target(model, head, logits)
    model, x = _check_common(model, x, batch_size)
    g, _ = _gradients(model, x, task, head, logits, int(batch_size))
    return (gradient_correction(g) if correct else g).astype(np.float32)


def gradient_x_input(model, x, *, head=None, task: int = 0, logits: bool | None = None, correct: bool = True,
                     batch_size: int = 256, **deprecated) -> np.ndarray:
    """Gradient (corrected when ``correct``) times input, float32 ``(N, L, 4)``; ``head``,
    ``task``, ``logits`` as in :func:`saliency`."""
    task, _ = _renamed("gradient_x_input", deprecated, task)
    x = check_onehot(x, "x")
    g = input_gradients(model, x, head=head, task=task, logits=logits, correct=correct, batch_size=batch_size)
    return (g * x).astype(np.float32)


@dataclass
class IGResult:
    """Integrated gradients with their completeness check.

    Attributes
    ----------
    attributions : float32 (N, L, 4)
    completeness_error : float64 (N,)
        ``|sum(attributions) - (f(x) - mean_r f(r))|`` (the Riemann-sum error).
    f_x : float64 (N,)
        The explained value of each sequence.
    f_ref : float64 (N,)
        Mean value over each sequence's references.
    scale : str
        ``"logits"`` or ``"output"``.
    """

    attributions: np.ndarray
    completeness_error: np.ndarray
    f_x: np.ndarray | None = None
    f_ref: np.ndarray | None = None
    scale: str = "logits"


def integrated_gradients(model, x, references="shuffle", *, head=None, task: int = 0,
                         logits: bool | None = None, n_references: int = 10, seed=0, steps: int = 32,
                         batch_size: int = 512, return_result: bool = False, **deprecated):
    """Integrated gradients (Sundararajan et al. 2017) averaged over references (expected IG).

    For each sequence ``x`` and its references ``r_1 .. r_R``::

        attr = 1/R sum_j (x - r_j) * mean_k grad f(r_j + (k - 1/2)/steps * (x - r_j))

    (midpoint rule, k = 1..steps), so ``sum(attr) = f(x) - mean_j f(r_j)`` up to the Riemann
    error, which shrinks as ``steps`` grows. With several dinucleotide shuffles as references
    this is the expected-gradients idea of Erion et al. (2021) on a fixed grid, and it takes the
    same reference options as :func:`kgenint.attribution.deepshap`; unlike DeepSHAP it needs no
    per-layer rules, so it works on any differentiable model.

    Parameters
    ----------
    model : keras.Model or PredictFn
    x : float32 (N, L, 4)
    references : str or array
        ``"shuffle"`` (default): ``n_references`` dinucleotide shuffles of each sequence;
        ``"gc"``, ``"zeros"``, ``"uniform"`` (0.25 everywhere: the old single baseline), or an
        array ``(L, 4)``, ``(R, L, 4)`` or ``(N, R, L, 4)`` (see
        :func:`kgenint.attribution.deeplift.prepare_references`). (Old name: ``baseline``,
        where an ``(N, L, 4)`` array meant one baseline per sequence.)
    head, task, logits
        As in :func:`saliency`.
    n_references : int
        References per sequence for ``"shuffle"``/``"gc"``.
    seed : int
        Seed of the references.
    steps : int
        Interpolation steps per reference; many steps of many pairs go through one gradient batch.
    batch_size : int
        Interpolated inputs per gradient call.
    return_result : bool
        Return :class:`IGResult` with the completeness error per sequence.

    Returns
    -------
    float32 (N, L, 4), or IGResult
    """
    from .deeplift import prepare_references

    task, extra = _renamed("integrated_gradients", deprecated, task, {"references": "shuffle"},
                           references=references)
    references = extra.get("references", references)
    model, head, logits = resolve_target(model, head, logits)
    model, x = _check_common(model, x, batch_size)
    N, L, _ = x.shape
    if isinstance(references, np.ndarray) or (references is not None and not isinstance(references, str)):
        arr = np.asarray(references, dtype=np.float32)
        if "baseline" in deprecated and arr.shape == (N, L, 4):
            arr = arr[:, None]  # the old per-sequence baseline: one reference per sequence
        elif arr.shape == (L, 4):
            arr = arr[None]
        if not np.all(np.isfinite(arr)):
            raise InputError("references must be finite.")
        references = arr
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise InputError(f"steps must be an integer >= 1. Received: steps={steps!r}")
    refs, shared = prepare_references(x, references, n_references, seed)
    R = refs.shape[0] if shared else refs.shape[1]
    _grad_fn(model, task, head, logits)  # validates head, task and logits before the loop
    alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)
    total = N * R * steps
    acc = np.zeros((N, L, 4), dtype=np.float64)
    for s in range(0, total, batch_size):
        idx = np.arange(s, min(total, s + batch_size))
        n, rest = idx // (R * steps), idx % (R * steps)
        j, k = rest // steps, rest % steps
        base = refs[j] if shared else refs[n, j]
        pts = base + alphas[k, None, None] * (x[n] - base)
        g, _ = _gradients(model, pts, task, head, logits, len(idx))
        np.add.at(acc, n, (x[n] - base) * g)
    attr = acc / (R * steps)
    if not return_result:
        return attr.astype(np.float32)
    from ..keras.adapter import head_model

    _, fx = _gradients(model, x, task, head, logits, batch_size)
    flat = refs.reshape(-1, L, 4)
    _, fr = _gradients(model, np.ascontiguousarray(flat), task, head, logits, batch_size)
    fr = np.broadcast_to(fr.reshape(-1, R).mean(axis=1), (N,)) if shared else fr.reshape(N, R).mean(axis=1)
    err = np.abs(attr.sum(axis=(1, 2)) - (fx - fr))
    scale = head_model(model, head, logits).scale
    return IGResult(attr.astype(np.float32), err, fx, np.array(fr, dtype=np.float64), scale)
