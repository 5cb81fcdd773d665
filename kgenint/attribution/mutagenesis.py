"""In-silico mutagenesis: every single-base substitution, batched through the model."""
from __future__ import annotations

import numpy as np

from .._validate import check_onehot
from ..errors import InputError

__all__ = ["ism"]


def ism(model, x, *, head=None, task: int = 0, logits: bool | None = None,
        window: tuple[int, int] | None = None, batch_size: int = 1024, progress: bool = False,
        **deprecated) -> np.ndarray:
    """In-silico mutagenesis scores ``f(x with base b at l) - f(x)``.

    Parameters
    ----------
    model : keras.Model, PredictFn, or any callable ``predict(x) -> (N, T)``
    x : float32 (N, L, 4)
    head : int or str, optional
        Model output (layer name or index) for multi-output Keras models.
    task : int
        Column of the head (or of the callable's output). (Old name: ``output``.)
    logits : bool or None
        Keras models: ``None`` scores the logits of a sigmoid/softmax head and the output of any
        other head; True/False force (see :func:`kgenint.keras.as_predict_fn`).
    window : (start, end), optional
        Mutate only positions ``start:end`` (0-based, half-open); other positions are 0.
    batch_size : int
        Mutants per model call.
    progress : bool
        Progress bar on stderr. (Old name: ``show_progress``.)

    Returns
    -------
    float32 (N, L, 4)
        Change of the output for each substitution; 0 at the observed base (and at positions
        outside ``window`` and at N positions).
    """
    import keras

    from ..keras.adapter import check_task, renamed_args
    from ..progress import progress as progress_bar

    if deprecated:
        v = renamed_args("ism", deprecated, {"output": "task", "show_progress": "progress"},
                         {"task": task, "progress": progress}, {"task": 0, "progress": False})
        task, progress = v["task"], v["progress"]
    output = check_task(task)
    show_progress = progress
    x = check_onehot(x, "x")
    N, L, _ = x.shape
    if isinstance(model, keras.Model):
        from ..keras.adapter import as_predict_fn

        predict = as_predict_fn(model, head, logits=logits, batch_size=batch_size)
    elif callable(model):
        if head is not None:
            raise InputError("head= selects an output of a keras.Model; a predict function already returns one "
                             "head (make it with as_predict_fn(model, head=...)).")
        predict = model
    else:
        raise InputError(f"model must be a keras.Model or a predict callable. Received {type(model).__name__}.")
    lo, hi = (0, L) if window is None else (int(window[0]), int(window[1]))
    if not 0 <= lo < hi <= L:
        raise InputError(f"window must satisfy 0 <= start < end <= {L}. Received: window={window!r}")
    from .._predict import check_predict

    ref = check_predict(predict, x, output)
    # mutants: (n, l, b) for every non-observed base at called positions
    obs = x[:, lo:hi, :] == 1
    n_idx, l_idx, b_idx = np.nonzero(~obs & (x[:, lo:hi, :].sum(-1, keepdims=True) == 1))
    l_idx = l_idx + lo
    out = np.zeros((N, L, 4), dtype=np.float64)
    bar = progress_bar(total=len(n_idx), desc="ISM", unit="mutant", disable=None if show_progress else True)
    for s in range(0, len(n_idx), batch_size):
        e = min(len(n_idx), s + batch_size)
        n, l, b = n_idx[s:e], l_idx[s:e], b_idx[s:e]
        xm = x[n].copy()
        xm[np.arange(e - s), l, :] = 0
        xm[np.arange(e - s), l, b] = 1
        out[n, l, b] = check_predict(predict, xm, output) - ref[n]
        bar.update(e - s)
    bar.close()
    return out.astype(np.float32)
