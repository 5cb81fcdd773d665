"""Shared input validation: one place that checks arrays and names the argument in messages."""
from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InputError

__all__ = ["check_onehot", "check_same_shape", "check_finite", "check_seed", "check_unit_fraction"]


def check_onehot(
    x: Any,
    name: str = "x",
    *,
    strict: bool = False,
    min_length: int | None = None,
    copy: bool = False,
) -> np.ndarray:
    """Validate one-hot DNA and return it as C-contiguous float32 ``(N, L, 4)``.

    Parameters
    ----------
    x : array_like, shape (N, L, 4) or (L, 4)
        One-hot sequences in ACGT order. A single ``(L, 4)`` sequence is given a batch axis.
    name : str
        Argument name used in error messages.
    strict : bool
        If True every position must be exactly one-hot (one 1 and three 0s); otherwise rows of
        zeros or of 0.25 (ambiguous bases) are also accepted, and other rows raise.
    min_length : int, optional
        Minimum sequence length ``L``.
    copy : bool
        Always return a new array.

    Raises
    ------
    InputError
        Wrong number of dimensions, last axis not 4, non-finite values, rows that are not
        one-hot (the message gives the sequence index and position), sequences too short.
    """
    try:
        a = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise InputError(f"{name} must be a numeric array of one-hot DNA ({err}).") from None
    if a.ndim == 2 and a.shape[-1] == 4:
        a = a[None]
    if a.ndim != 3 or a.shape[-1] != 4:
        hint = ""
        if a.ndim == 3 and a.shape[1] == 4:
            hint = " It looks like (N, 4, L) channels-first data: transpose it with x.transpose(0, 2, 1)."
        raise InputError(
            f"{name} must have shape (N, L, 4): N sequences, L positions, one-hot over A, C, G, T. "
            f"Received shape {a.shape}.{hint}"
        )
    if a.shape[0] == 0:
        raise InputError(f"{name} holds no sequences (shape {a.shape}).")
    if min_length is not None and a.shape[1] < min_length:
        raise InputError(
            f"{name} has sequences of length {a.shape[1]}, shorter than the {min_length} needed."
        )
    if not np.all(np.isfinite(a)):
        i, j, _ = np.argwhere(~np.isfinite(a))[0]
        raise InputError(f"{name} has a non-finite value in sequence {i}, position {j}.")
    s = a.sum(axis=-1)
    is_hot = np.all((a == 0) | (a == 1), axis=-1) & (s == 1)
    if strict:
        bad = ~is_hot
    else:
        # an N row is all zeros (or all 0.25), as in the C core and the Numba kernels; a row that
        # merely sums to 0 ([0.5, -0.5, 0, 0]) is not DNA
        bad = ~(is_hot | np.all(a == 0, axis=-1) | np.all(a == np.float32(0.25), axis=-1))
    if np.any(bad):
        i, j = np.argwhere(bad)[0]
        raise InputError(
            f"{name} is not one-hot DNA: sequence {i}, position {j} holds {a[i, j].tolist()} "
            f"(expected one 1 and three 0s{'' if strict else ', or all 0 / all 0.25 for N'})."
        )
    return np.array(a, order="C", copy=True) if copy else np.ascontiguousarray(a)


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise :class:`InputError` unless ``a.shape == b.shape``."""
    if a.shape != b.shape:
        raise InputError(
            f"{name_a} and {name_b} must have the same shape. Received {name_a}.shape={a.shape} "
            f"and {name_b}.shape={b.shape}."
        )


def check_finite(a: Any, name: str) -> np.ndarray:
    """Return ``a`` as a float array, raising :class:`InputError` on NaN/inf (with an index)."""
    arr = np.asarray(a)
    if not np.issubdtype(arr.dtype, np.number):
        raise InputError(f"{name} must be numeric. Received dtype {arr.dtype}.")
    if not np.all(np.isfinite(arr)):
        idx = tuple(int(v) for v in np.argwhere(~np.isfinite(arr))[0])
        raise InputError(f"{name} has a non-finite value at index {idx}.")
    return arr


def check_seed(seed: Any) -> np.random.Generator:
    """A numpy ``Generator`` from an int seed, a Generator, or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (int, np.integer)):
        return np.random.default_rng(seed)
    raise InputError(f"seed must be an int, a numpy Generator or None. Received: seed={seed!r}")


def check_unit_fraction(value: Any, name: str, what: str, hint: str = "") -> float:
    """``value`` as a float in ``(0, 1]`` (a p-value, a fraction of a maximum, ...).

    Parameters
    ----------
    value : Any
        What the caller received.
    name : str
        The argument's name, as the user wrote it.
    what : str
        What the number is, for the message (``"a p-value"``).
    hint : str
        Appended after ``(0, 1]`` in the message, e.g. ``" (FIMO's default is 1e-4)"``.

    Raises
    ------
    InputError
        Not a number, or outside ``(0, 1]``.
    """
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number in (0, 1]. Received: {name}={value!r}") from None
    if not (0.0 < t <= 1.0):
        raise InputError(f"{name} is {what} and must be in (0, 1]{hint}. Received: {name}={value!r}")
    return t


def is_number(text: str) -> bool:
    """True when ``float(text)`` reads ``text`` (the text readers' test for a numeric token)."""
    try:
        float(text)
    except ValueError:
        return False
    return True
