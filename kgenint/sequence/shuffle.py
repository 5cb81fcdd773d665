"""Dinucleotide-preserving shuffles of one-hot DNA (Altschul-Erickson Euler-path method).

Shuffled sequences keep each sequence's exact dinucleotide counts and its first and last letter;
an ``N`` (a row of all 0 or all 0.25) is a fifth letter, so counts involving N are kept too and N
rows keep their value. Work is spread over Numba threads; each (sequence, shuffle) pair has its
own random stream derived from ``seed``, so results do not depend on the number of threads.

>>> import numpy as np
>>> from kgenint.sequence import one_hot_encode, dinucleotide_shuffle, dinucleotide_counts
>>> x = one_hot_encode(["ACGTTGCAAC"])
>>> xs = dinucleotide_shuffle(x, n=3, seed=1)
>>> xs.shape
(1, 3, 10, 4)
>>> bool((dinucleotide_counts(xs[0]) == dinucleotide_counts(x)).all())
True
"""
from __future__ import annotations

from typing import Any, cast

import numpy as np

from .._kernels.onehot import onehot_codes_kernel
from .._kernels.shuffle import dinucleotide_counts_kernel, dinucleotide_shuffle_kernel
from .._validate import check_onehot
from ..errors import InputError

__all__ = ["dinucleotide_shuffle", "dinucleotide_counts", "seed_to_uint64", "onehot_codes"]


def onehot_codes(x: Any, name: str = "x", *, min_length: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Validate one-hot DNA and return its letter codes.

    A C-contiguous float32 ``(N, L, 4)`` (or ``(L, 4)``) array is checked by a Numba kernel in
    the same pass that codes it; anything else, and any array that fails that check, goes
    through :func:`kgenint._validate.check_onehot`, so error messages are the shared ones.

    Parameters
    ----------
    x : array_like, shape (N, L, 4) or (L, 4)
        One-hot DNA, ACGT order; N rows all 0 or all 0.25.
    name : str
        Argument name for messages.
    min_length : int
        Minimum L.

    Returns
    -------
    codes : np.ndarray, int8, shape (N, L)
        0..3 for A, C, G, T and 4 for N.
    nvals : np.ndarray, float32, shape (N,)
        Value of the first N row of each sequence (0.0 when it has none).
    """
    if (
        isinstance(x, np.ndarray)
        and x.dtype == np.float32
        and x.ndim in (2, 3)
        and x.shape[-1] == 4
        and x.flags.c_contiguous
    ):
        a = x if x.ndim == 3 else x[None]
        if a.shape[0] > 0 and a.shape[1] >= max(min_length, 1):
            codes, nvals, bad = _codes(a)
            if bad < 0:
                return codes, nvals
    a = check_onehot(x, name, min_length=min_length or None)  # raises with the shared message
    codes, nvals, bad = _codes(a)
    if bad >= 0:  # check_onehot lets through rows that sum to 0 without being all 0
        i, j = divmod(int(bad), a.shape[1])
        raise InputError(
            f"{name} is not one-hot DNA: sequence {i}, position {j} holds {a[i, j].tolist()} "
            "(expected one 1 and three 0s, or all 0 / all 0.25 for N)."
        )
    return codes, nvals


def _codes(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """``(codes, nvals, first bad row)`` of :func:`~kgenint._kernels.onehot.onehot_codes_kernel`."""
    codes = np.empty(a.shape[:2], dtype=np.int8)
    nvals = np.empty(a.shape[0], dtype=np.float32)
    return codes, nvals, int(onehot_codes_kernel(a, codes, nvals))


def seed_to_uint64(seed: Any) -> int:
    """A 64-bit kernel seed from an int, a numpy ``Generator`` or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63))
    if seed is None:
        # Drawn fresh (no entropy argument), SeedSequence.entropy is an int.
        return cast(int, np.random.SeedSequence().entropy) % 2**64
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed) % 2**64
    raise InputError(f"seed must be an int, a numpy Generator or None. Received: seed={seed!r}")


def _check_count(n: Any, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"{name} must be a positive integer. Received: {name}={n!r}")
    return int(n)


def dinucleotide_shuffle(x: Any, n: int = 1, *, seed: Any = 0) -> np.ndarray:
    """Dinucleotide-preserving random shuffles of one-hot DNA.

    Parameters
    ----------
    x : array_like, shape (N, L, 4) or (L, 4)
        One-hot DNA in ACGT order; N positions as rows of all 0 or all 0.25.
    n : int
        Shuffles per sequence (>= 1).
    seed : int, numpy Generator or None
        Random seed; the same seed gives the same shuffles on any number of threads.

    Returns
    -------
    np.ndarray, float32, shape (N, n, L, 4)
        ``out[i, k]`` is the k-th shuffle of sequence i: same dinucleotide counts (N included),
        same first and last letter.

    Raises
    ------
    InputError
        Wrong shape, rows that are not one-hot, ``n`` < 1, a bad seed.
    """
    k = _check_count(n)
    s = seed_to_uint64(seed)
    codes, nvals = onehot_codes(x, "x", min_length=1)
    return dinucleotide_shuffle_kernel(codes, nvals, k, np.uint64(s))


def dinucleotide_counts(x: Any) -> np.ndarray:
    """Counts of the 25 dinucleotides (N as a fifth letter) of each sequence.

    Parameters
    ----------
    x : array_like, shape (N, L, 4) or (L, 4)
        One-hot DNA in ACGT order; N positions as rows of all 0 or all 0.25.

    Returns
    -------
    np.ndarray, int64, shape (N, 5, 5)
        ``counts[i, a, b]`` = number of positions j with letter a at j and b at j + 1, letters
        indexed A=0, C=1, G=2, T=3, N=4. ``counts[:, :4, :4]`` are the ACGT dinucleotides.

    Raises
    ------
    InputError
        Wrong shape or rows that are not one-hot.
    """
    codes, _ = onehot_codes(x, "x")
    return dinucleotide_counts_kernel(codes)
