"""Inputs of the feature-space detectors: the checks and the batched head call shared by
:mod:`kgenint.interactions.features` and :mod:`kgenint.keras.units` (no TensorFlow here)."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..errors import InputError

__all__ = ["check_task", "check_features", "call_head"]


def check_task(task: Any) -> int:
    """``task`` as an output-column index >= 0 (``InputError`` otherwise)."""
    if isinstance(task, bool) or not isinstance(task, (int, np.integer)) or task < 0:
        raise InputError(f"task must be an output column index >= 0. Received: task={task!r}")
    return int(task)


def check_features(z: Any, name: str = "features") -> np.ndarray:
    """Features of a layer, float32 ``(N, U)`` or ``(N, P, U)``, finite, at least 2 x 2."""
    try:
        z = np.asarray(z, dtype=np.float32)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a numeric array (N, U) or (N, P, U).") from None
    if z.ndim not in (2, 3):
        raise InputError(f"{name} must have shape (N, U) or (N, P, U) (units on the last axis). Received shape {z.shape}.")
    if z.shape[0] < 2 or z.shape[-1] < 2:
        raise InputError(f"{name} needs at least 2 sequences and 2 units. Received shape {z.shape}.")
    if not np.isfinite(z).all():
        bad = np.argwhere(~np.isfinite(z))[0]
        raise InputError(f"{name} has a non-finite value at index {tuple(int(i) for i in bad)} (sequence {int(bad[0])}).")
    return np.ascontiguousarray(z)


def call_head(head: Callable, z: np.ndarray, task: int, batch_size: int) -> np.ndarray:
    """Column ``task`` of ``head(z)`` over batches of ``batch_size`` rows, float64 ``(N,)``."""
    out = []
    for s in range(0, z.shape[0], batch_size):
        y = np.asarray(head(z[s : s + batch_size]), dtype=np.float64)
        if y.ndim == 1:
            y = y[:, None]
        if y.ndim != 2 or y.shape[0] != min(batch_size, z.shape[0] - s):
            raise InputError(f"head must return an array (n, T) for n feature rows; it returned shape {y.shape}.")
        if task >= y.shape[1]:
            raise InputError(f"task={task} but the head returns {y.shape[1]} column(s).")
        out.append(y[:, task])
    return np.concatenate(out)
