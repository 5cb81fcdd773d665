"""One-hot encoding and decoding of DNA and reverse complement (compiled core, ``kgenint._ccore``).

One-hot DNA is float32 ``(N, L, 4)`` in ACGT order. ``N`` and the IUPAC ambiguity codes
(``RYSWKMBDHV``, either case) become a row of zeros or of 0.25 (``n_value``); every other letter
(``U``, gaps, ``X`` ...) is an error that names the sequence, the 0-based position and the
character. The letter policy is :mod:`kgenint._alphabet` (``docs/sequences.md``).

>>> from kgenint.sequence import one_hot_encode, one_hot_decode, reverse_complement
>>> x = one_hot_encode(["ACGTN", "ttgca"])
>>> x.shape
(2, 5, 4)
>>> one_hot_decode(reverse_complement(x))
['NACGT', 'TGCAA']
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _ccore
from ..errors import InputError

__all__ = ["one_hot_encode", "one_hot_decode", "reverse_complement", "check_n_value"]


def check_n_value(n_value: Any) -> float:
    """Return ``n_value`` as a float after checking it is 0.0 or 0.25."""
    try:
        v = float(n_value)
    except (TypeError, ValueError):
        v = float("nan")
    if v not in (0.0, 0.25):
        raise InputError(
            "n_value (the value of the four channels at an N) must be 0.0 or 0.25. "
            f"Received: n_value={n_value!r}"
        )
    return v


def one_hot_encode(
    seqs: str | bytes | Sequence[str | bytes],
    *,
    n_value: float = 0.0,
    ids: Sequence[str] | None = None,
    length: int | None = None,
) -> np.ndarray:
    """One-hot encode DNA sequences.

    Parameters
    ----------
    seqs : str, bytes or sequence of str/bytes, N sequences of L letters
        The sequences. A single str or bytes is one sequence (N = 1). Letters A, C, G, T, N and
        the IUPAC ambiguity codes (read as N), upper or lower case.
    n_value : float
        Value of all four channels at an ``N`` (or ambiguity code): 0.0 (default) or 0.25.
    ids : sequence of str, length N, optional
        Names used in error messages (otherwise the 0-based index is used).
    length : int, optional
        Output length L in positions: shorter sequences are right-padded with N rows, longer ones
        are an error. Without it all sequences must have the same length.

    Returns
    -------
    np.ndarray, float32, shape (N, L, 4)
        One-hot rows in ACGT order.

    Raises
    ------
    InputError
        An invalid character (message: sequence id or index, 0-based position, the character),
        unequal lengths without ``length``, a sequence longer than ``length``, no sequences,
        a bad ``n_value`` or ``length``.

    Examples
    --------
    >>> one_hot_encode("ACN", n_value=0.25)[0].tolist()
    [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]]
    """
    nv = check_n_value(n_value)
    if isinstance(seqs, (str, bytes, bytearray)):
        seqs = [seqs]
    elif isinstance(seqs, np.ndarray) and seqs.ndim == 0:
        seqs = [seqs.item()]
    if length is None:
        c_length = -1
    else:
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
            raise InputError(
                f"length must be a positive number of positions or None. Received: length={length!r}"
            )
        c_length = int(length)
    if ids is not None and isinstance(ids, (str, bytes)):
        ids = [ids]
    try:
        x = _ccore.one_hot_encode(seqs, c_length, nv, None if ids is None else list(ids))
    except (_ccore.SequenceError, TypeError, ValueError) as err:
        raise InputError(str(err)) from None
    if x.shape[0] == 0:
        raise InputError("seqs holds no sequences: pass at least one DNA sequence.")
    return x


def one_hot_decode(x: Any) -> list[str]:
    """Turn one-hot DNA back into strings.

    Parameters
    ----------
    x : array_like, shape (N, L, 4) or (L, 4)
        One-hot sequences in ACGT order. Rows of all 0 or all 0.25 decode to ``N``.

    Returns
    -------
    list of str, N strings of L upper-case letters
        A single ``(L, 4)`` sequence gives a list of one string.

    Raises
    ------
    InputError
        Wrong shape, or a row that is not one-hot (message: sequence index, position, values).
    """
    a = _as_float32(x)
    if a.ndim == 2 and a.shape[-1] == 4:
        a = a[None]
    try:
        return _ccore.one_hot_decode(a)
    except (_ccore.SequenceError, ValueError) as err:
        raise InputError(str(err)) from None


def reverse_complement(x: Any) -> np.ndarray:
    """Reverse complement of one-hot DNA (or of any ``(..., L, 4)`` ACGT array, e.g. attributions).

    Parameters
    ----------
    x : array_like, shape (N, L, 4) or (L, 4)
        ACGT-ordered arrays. Values are not checked to be one-hot, so attribution maps work too.

    Returns
    -------
    np.ndarray, float32, same shape as x
        A new array equal to ``x[:, ::-1, ::-1]`` (``x[::-1, ::-1]`` for a single sequence).

    Raises
    ------
    InputError
        The last axis is not 4 or the array is not 2- or 3-dimensional.
    """
    a = _as_float32(x)
    single = a.ndim == 2
    if single:
        a = a[None]
    if a.ndim != 3 or a.shape[-1] != 4:
        raise InputError(
            "x must have shape (N, L, 4) or (L, 4) with channels in ACGT order. "
            f"Received shape {np.shape(x)}."
        )
    out = _ccore.reverse_complement(a)
    return out[0] if single else out


def _as_float32(x: Any) -> np.ndarray:
    try:
        return np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise InputError(f"x must be a numeric array of one-hot DNA ({err}).") from None
