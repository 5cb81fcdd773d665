"""Checks of the plain ``predict(x: float32 (N, L, 4)) -> (N, T)`` callables every model-based
analysis takes (kept low in the package so attribution and interactions share it)."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .errors import InputError

__all__ = ["PredictFn", "check_predict"]

PredictFn = Callable[[np.ndarray], np.ndarray]


def check_predict(predict: PredictFn, x: np.ndarray, task: int = 0) -> np.ndarray:
    """Call ``predict`` on ``x`` and check the result; returns float64 ``(N,)`` for column ``task``.

    Raises
    ------
    InputError
        When the result is not ``(N, T)`` with ``T > task``, or holds NaN/inf.
    """
    y = np.asarray(predict(x))
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != x.shape[0]:
        raise InputError(
            f"predict must return an array of shape (N, T) for an input of N={x.shape[0]} "
            f"sequences. Received shape {y.shape}."
        )
    if not 0 <= task < y.shape[1]:
        raise InputError(
            f"task={task} is out of range: predict returns {y.shape[1]} output(s) per sequence."
        )
    col = y[:, task].astype(np.float64)
    if not np.all(np.isfinite(col)):
        i = int(np.flatnonzero(~np.isfinite(col))[0])
        raise InputError(
            f"predict returned a non-finite value ({col[i]}) for batch item {i}; check the model "
            f"and its input."
        )
    return col


