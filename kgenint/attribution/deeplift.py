"""DeepLIFT / DeepSHAP for Keras 3 models, with exact additivity and hypothetical contributions.

For a sequence ``x`` and references ``r_1 .. r_B`` (backgrounds), DeepSHAP averages DeepLIFT
attributions over the references::

    phi(x) = 1/B sum_j (x - r_j) * m(x, r_j)

where ``m`` are the DeepLIFT multipliers of the modified back-propagation in
:mod:`kgenint.attribution._rules`. Summation-to-delta gives, for every sequence,
``sum phi(x) = f(x) - 1/B sum_j f(r_j)``; kgenint checks it (the *convergence delta*,
``|f(x) - f(r_j) - sum (x - r_j) m(x, r_j)|`` per example-reference pair, as tangermeme does) and
warns above ``tolerance``.

Hypothetical contributions (``hypothetical=True``, the scores TF-MoDISco clusters) answer "what
would base ``b`` at position ``l`` contribute?" with the same multipliers::

    h[l, b] = 1/B sum_j ( m_j[l, b] - sum_c m_j[l, c] r_j[l, c] )

so that ``h * x`` equals the actual contributions.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import check_onehot
from ..errors import InputError

__all__ = ["deepshap", "DeepShapResult", "AdditivityWarning", "prepare_references", "prepare_background",
           "REFERENCE_KINDS"]


class AdditivityWarning(UserWarning):
    """DeepLIFT/DeepSHAP attributions do not add up to f(x) - f(reference) within tolerance."""


@dataclass
class DeepShapResult:
    """Full output of :func:`deepshap` with ``return_result=True``.

    Attributes
    ----------
    contributions : float32 (N, L, 4)
    hypothetical : float32 (N, L, 4) or None
    f_x : float64 (N,)
        Model output (logit or output, see ``scale``) of each sequence.
    f_ref : float64 (N,)
        Mean output over each sequence's references.
    max_delta : float
        Worst convergence delta over all example-reference pairs.
    additivity_error : float64 (N,)
        ``|sum(contributions) - (f_x - f_ref)|`` per sequence.
    scale : str
        ``"logits"`` or ``"output"``: what ``f`` is.
    """

    contributions: np.ndarray
    hypothetical: np.ndarray | None
    f_x: np.ndarray
    f_ref: np.ndarray
    max_delta: float
    additivity_error: np.ndarray
    scale: str = "logits"


def resolve_model(model: Any):
    """A keras.Model from a model or a :class:`kgenint.keras.adapter.PredictFn`."""
    import keras

    if isinstance(model, keras.Model):
        return model
    inner = getattr(model, "model", None)
    if isinstance(inner, keras.Model):
        return inner
    raise InputError(
        f"model must be a keras.Model or the predict function from kgenint.keras.as_predict_fn. "
        f"Received {type(model).__name__}."
    )


REFERENCE_KINDS = ("shuffle", "zeros", "uniform", "gc")


def resolve_target(model: Any, head, logits):
    """``(keras.Model, head, logits)``: a :class:`~kgenint.keras.adapter.PredictFn` given as the
    model brings its own head and scale unless ``head`` / ``logits`` are given explicitly."""
    keras_model = resolve_model(model)
    if keras_model is not model:
        if head is None and len(getattr(keras_model, "outputs", None) or []) > 1:
            head = getattr(model, "head", None)
        if logits is None and getattr(model, "scale", None) in ("logits", "output"):
            logits = model.scale == "logits"
    return keras_model, head, logits


def prepare_references(x: np.ndarray, references: Any = "shuffle", n_references: int = 20,
                       seed: Any = 0) -> tuple[np.ndarray, bool]:
    """References for DeepSHAP and integrated gradients, as ``(array, shared)``.

    Parameters
    ----------
    x : float32 (N, L, 4)
        The sequences to explain.
    references : str or array_like
        ``"shuffle"`` (or None): ``n_references`` dinucleotide shuffles of each sequence;
        ``"gc"``: ``n_references`` random sequences with each sequence's GC content;
        ``"zeros"``: one all-zero reference (N bases); ``"uniform"``: one reference of 0.25
        everywhere; an array ``(R, L, 4)`` shared by all sequences or ``(N, R, L, 4)`` per
        sequence.
    n_references : int
        References per sequence for ``"shuffle"`` and ``"gc"``.
    seed : int or numpy Generator
        Seed of the shuffles / random sequences.

    Returns
    -------
    (references, shared)
        ``(R, L, 4)`` with ``shared=True`` or ``(N, R, L, 4)`` with ``shared=False``, float32.
    """
    N, L, _ = x.shape
    if references is None:
        references = "shuffle"
    if isinstance(references, str):
        if references not in REFERENCE_KINDS:
            raise InputError(
                f"references must be one of {', '.join(REFERENCE_KINDS)} or an array (R, L, 4) / (N, R, L, 4). "
                f"Received: references={references!r}"
            )
        if references in ("zeros", "uniform"):
            return np.full((1, L, 4), 0.0 if references == "zeros" else 0.25, np.float32), True
        if isinstance(n_references, bool) or not isinstance(n_references, (int, np.integer)) or n_references < 1:
            raise InputError(f"n_references must be an integer >= 1. Received: n_references={n_references!r}")
        if references == "shuffle":
            from ..sequence import dinucleotide_shuffle

            return dinucleotide_shuffle(x, int(n_references), seed=seed).astype(np.float32), False
        from ..sequence import gc_matched_background

        rng = np.random.default_rng(seed)
        out = np.empty((N, int(n_references), L, 4), np.float32)
        for i in range(N):
            out[i] = gc_matched_background(x[i:i + 1], int(n_references), seed=rng)
        return out, False
    bg = np.asarray(references, dtype=np.float32)
    if bg.ndim == 3:
        bg = check_onehot(bg, "references")
        if bg.shape[1] != L:
            raise InputError(f"references have length {bg.shape[1]} but x has length {L}.")
        return bg, True
    if bg.ndim == 4:
        if bg.shape[0] != N or bg.shape[2] != L or bg.shape[3] != 4:
            raise InputError(
                f"per-sequence references must have shape (N={N}, R, L={L}, 4). Received {bg.shape}."
            )
        check_onehot(bg.reshape(-1, L, 4), "references")
        return bg, False
    raise InputError(f"references must be (R, L, 4) or (N, R, L, 4). Received shape {bg.shape}.")


def prepare_background(x: np.ndarray, background, n_shuffles: int, seed) -> tuple[np.ndarray, bool]:
    """Older name of :func:`prepare_references` (``background=None`` means shuffles)."""
    return prepare_references(x, "shuffle" if background is None else background, n_shuffles, seed)


class _Explainer:
    """Compiled two-pass DeepLIFT gradient of a modified model (cached per model)."""

    def __init__(self, model, mode: str, output: int, head, logits: bool | None, pairs_per_batch: int, **rule):
        import tensorflow as tf

        from ..keras.adapter import check_task
        from ._rebuild import modified_model

        self.mm = modified_model(model, mode, head=head, logits=logits, **rule)
        self.scale = self.mm._kgenint_scale
        shape = self.mm.inputs[0].shape
        self.length = None if shape[1] is None else int(shape[1])
        self.P = int(pairs_per_batch)
        mm = self.mm
        n_out = int(np.prod(mm.outputs[0].shape[1:])) if mm.outputs[0].shape[1:] else 1
        self.output = out = check_task(output, n_out)

        ctx = mm._kgenint_ctx
        spec = tf.TensorSpec([None, self.length, 4], tf.float32)

        @tf.function(input_signature=[spec, spec])
        def grad(x, r):
            try:
                ctx.phase = "ref"  # plain forward on the references, recording their tensors
                yr = tf.reshape(mm(r, training=False), [tf.shape(r)[0], -1])[:, out]
                ctx.phase = "x"  # modified forward on the inputs, differentiated
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    yx = tf.reshape(mm(x, training=False), [tf.shape(x)[0], -1])[:, out]
                    s = tf.reduce_sum(yx)
                g = tape.gradient(s, x)
                if "__f_ref__" in ctx.store:  # a head whose reference value depends on x (ProfileScalar)
                    yr = tf.reshape(ctx.store["__f_ref__"], [tf.shape(x)[0], -1])[:, out]
            finally:
                ctx.phase = None
                ctx.store.clear()
            return g, yx, yr

        def _products(hypothetical: bool):
            # contributions (x - r) * m and hypothetical terms per pair, elementwise in the graph (no
            # float64 temporaries of the batch's size on the host); the sums over references stay on
            # the host in float64, so results do not depend on TensorFlow's thread count
            @tf.function(input_signature=[spec, spec])
            def products(x, r):
                g, yx, yr = grad(x, r)
                c = (x - r) * g
                if hypothetical:
                    h = g - tf.reduce_sum(g * r, axis=2, keepdims=True)
                else:
                    h = tf.zeros([0, 0, 4], tf.float32)
                return c, h, yx, yr

            return products

        self._grad = grad
        self._products = {False: _products(False), True: _products(True)}

    def products(self, xs: np.ndarray, rs: np.ndarray, hypothetical: bool):
        """Per pair: contributions ``(x - r) * m`` and hypothetical terms (float32 ``(P, L, 4)``; an
        empty array without ``hypothetical``), ``f(x)`` and ``f(r)`` (float64 ``(P,)``)."""
        import tensorflow as tf

        c, h, fx, fr = self._products[bool(hypothetical)](
            tf.constant(xs), tf.constant(np.ascontiguousarray(rs, dtype=np.float32)))
        return c.numpy(), h.numpy(), fx.numpy().astype(np.float64), fr.numpy().astype(np.float64)


_CACHE: dict = {}


def _explainer(model, mode, output, head, logits, pairs_per_batch, **rule):
    key = (id(model), mode, output, str(head), logits, pairs_per_batch, tuple(sorted(rule.items())))
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is model:
        return hit[1]
    ex = _Explainer(model, mode, output, head, logits, pairs_per_batch, **rule)
    _CACHE[key] = (model, ex)
    if len(_CACHE) > 8:
        _CACHE.pop(next(iter(_CACHE)))
    return ex


def deepshap(
    model,
    x,
    references=None,
    *,
    head: int | str | None = None,
    task: int = 0,
    logits: bool | None = None,
    n_references: int = 20,
    seed=0,
    hypothetical: bool = False,
    batch_size: int = 64,
    tolerance: float = 1e-3,
    return_result: bool = False,
    progress: bool = False,
    **deprecated,
):
    """DeepSHAP attributions (DeepLIFT rescale rule averaged over references).

    Parameters
    ----------
    model : keras.Model or PredictFn
        Functional or Sequential Keras 3 model taking ``(N, L, 4)`` one-hot input.
    x : float32 (N, L, 4)
        Sequences to explain.
    references : str or float32 (R, L, 4) or (N, R, L, 4), optional
        ``"shuffle"`` (default, also None): ``n_references`` dinucleotide shuffles of each
        sequence (seeded); ``"gc"``, ``"zeros"``, ``"uniform"`` or arrays: see
        :func:`prepare_references`. (Old name: ``background``.)
    head : int or str, optional
        Which model output (layer name or index), for models with several outputs.
    task : int
        Column of the head to explain. (Old name: ``output``.)
    logits : bool or None
        ``None``: the logits of a sigmoid/softmax head, the output of any other head; ``True`` /
        ``False`` force logits / outputs (see :func:`kgenint.keras.as_predict_fn`).
    n_references : int
        References per sequence for ``"shuffle"``/``"gc"``. (Old name: ``n_shuffles``.)
    seed : int
        Seed of the references.
    hypothetical : bool
        Return hypothetical contributions ``(N, L, 4)`` instead of contributions (see module
        docstring); contributions are ``hypothetical * x``.
    batch_size : int
        Example-reference pairs per gradient call (each call runs ``2 * batch_size`` rows).
    tolerance : float
        Warn (:class:`AdditivityWarning`) when a convergence delta exceeds this (output units).
    return_result : bool
        Return a :class:`DeepShapResult` (contributions, hypothetical, outputs, deltas, scale).
    progress : bool
        Progress bar on stderr. (Old name: ``show_progress``.)

    Returns
    -------
    float32 (N, L, 4), or DeepShapResult

    Raises
    ------
    InputError
        Bad shapes, non-one-hot input, several outputs without ``head``.
    UnsupportedLayerError
        The model holds a layer without a DeepLIFT rule (named in the message, which suggests
        expected integrated gradients instead).
    """
    if deprecated:
        from ..keras.adapter import renamed_args

        v = renamed_args("deepshap", deprecated,
                         {"background": "references", "output": "task", "n_shuffles": "n_references",
                          "show_progress": "progress"},
                         {"references": references, "task": task, "n_references": n_references,
                          "progress": progress},
                         {"references": None, "task": 0, "n_references": 20, "progress": False})
        references, task, n_references, progress = (v["references"], v["task"], v["n_references"],
                                                     v["progress"])
    return _deepshap(model, x, references, head=head, task=task, logits=logits, n_references=n_references,
                     seed=seed, hypothetical=hypothetical, batch_size=batch_size, tolerance=tolerance,
                     return_result=return_result, show_progress=progress)


def _deepshap(model, x, references, *, head, task, logits, n_references, seed, hypothetical, batch_size,
              tolerance, return_result, show_progress):
    from ..progress import progress

    model, head, logits = resolve_target(model, head, logits)
    x = check_onehot(x, "x")
    N, L, _ = x.shape
    bg, shared = prepare_references(x, references, n_references, seed)
    if isinstance(batch_size, bool) or int(batch_size) < 1:
        raise InputError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
    ex = _explainer(model, "deeplift", task, head, logits, int(batch_size))
    if ex.length is not None and ex.length != L:
        raise InputError(f"the model takes sequences of length {ex.length}; x has length {L}.")
    B = bg.shape[0] if shared else bg.shape[1]
    total = N * B
    P = int(batch_size)
    contrib = np.zeros((N, L, 4), dtype=np.float64)
    hyp = np.zeros((N, L, 4), dtype=np.float64) if hypothetical else None
    f_x = np.zeros(N)
    f_ref = np.zeros(N)
    worst = 0.0
    bar = progress(total=total, desc="DeepSHAP", unit="pair", disable=None if show_progress else True)
    for s in range(0, total, P):
        e = min(total, s + P)
        pi = np.arange(s, e)
        ni, bi = pi // B, pi % B
        xs = x[ni]
        rs = bg[bi] if shared else bg[ni, bi]
        k = e - s
        if k < P:  # a short last block is padded to P pairs: every call then has the same shape, and
            # oneDNN splits small batches by threads differently (last-bit differences between a
            # 2-thread process and 1-thread Dask workers; measured), so results would not be identical
            xs = np.concatenate([xs, np.repeat(xs[:1], P - k, axis=0)])
            rs = np.concatenate([rs, np.repeat(rs[:1], P - k, axis=0)])
        c, h, fx, fr = ex.products(xs, rs, hypothetical)
        if k < P:
            c, fx, fr = c[:k], fx[:k], fr[:k]
            h = h[:k] if hypothetical else h
        c = c.astype(np.float64)
        worst = max(worst, float(np.abs(fx - fr - c.sum(axis=(1, 2))).max()))
        # pairs are sequence-major: sum each sequence's run of references in one reduceat
        uniq, first = np.unique(ni, return_index=True)
        contrib[uniq] += np.add.reduceat(c, first, axis=0)
        f_ref[uniq] += np.add.reduceat(fr, first)
        f_x[ni] = fx
        if hypothetical:
            hyp[uniq] += np.add.reduceat(h.astype(np.float64), first, axis=0)
        bar.update(e - s)
    bar.close()
    contrib /= B
    f_ref /= B
    err = np.abs(contrib.sum(axis=(1, 2)) - (f_x - f_ref))
    if worst > tolerance:
        warnings.warn(
            f"DeepSHAP convergence delta up to {worst:.3g} (tolerance {tolerance:g}): attributions do not "
            f"add up to f(x) - f(reference). The model may hold an operation without an exact rule.",
            AdditivityWarning,
            stacklevel=2,
        )
    if hypothetical:
        hyp /= B
    if return_result:
        return DeepShapResult(
            contributions=contrib.astype(np.float32),
            hypothetical=None if hyp is None else hyp.astype(np.float32),
            f_x=f_x, f_ref=f_ref, max_delta=worst, additivity_error=err, scale=ex.scale,
        )
    return (hyp if hypothetical else contrib).astype(np.float32)
