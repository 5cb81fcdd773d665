"""Background sequences: random DNA with a chosen or matched GC content, and shuffled references.

>>> from kgenint.sequence import random_background, gc_content
>>> x = random_background(1000, 200, gc=0.41, seed=0)
>>> x.shape
(1000, 200, 4)
>>> abs(float(gc_content(x).mean()) - 0.41) < 0.01
True
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._kernels.background import exact_gc_background_kernel, iid_background_kernel
from .._kernels.shuffle import dinucleotide_shuffle_kernel
from ..errors import InputError
from .shuffle import _check_count, onehot_codes, seed_to_uint64

__all__ = ["gc_content", "random_background", "gc_matched_background", "shuffled_background"]


def gc_content(x: Any) -> np.ndarray:
    """Fraction of G + C among the non-N positions of each sequence.

    Parameters
    ----------
    x : array_like, shape (N, L, 4) or (L, 4)
        One-hot DNA in ACGT order; N positions (all 0 or all 0.25) are left out.

    Returns
    -------
    np.ndarray, float64, shape (N,)
        GC fraction in [0, 1]; NaN for a sequence made only of N.

    Raises
    ------
    InputError
        Wrong shape or rows that are not one-hot.
    """
    codes, _ = onehot_codes(x, "x")
    return _gc_from_codes(codes)


def _gc_from_codes(codes: np.ndarray) -> np.ndarray:
    n_called = (codes < 4).sum(axis=1)
    gc = ((codes == 1) | (codes == 2)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_called > 0, gc / np.maximum(n_called, 1), np.nan)


def random_background(n: int, length: int, *, gc: Any = 0.41, seed: Any = 0) -> np.ndarray:
    """Random DNA with independent bases of a given GC content.

    Parameters
    ----------
    n : int
        Number of sequences (>= 1).
    length : int
        Sequence length L in positions (>= 1).
    gc : float or array_like, shape (n,)
        Probability that a base is G or C (G and C equally likely; A and T share the rest), one
        value for all sequences or one per sequence, each in [0, 1]. The default 0.41 is the
        human genome average.
    seed : int, numpy Generator or None
        Random seed; results do not depend on the number of threads.

    Returns
    -------
    np.ndarray, float32, shape (n, length, 4)
        One-hot DNA, ACGT order.

    Raises
    ------
    InputError
        ``n`` or ``length`` < 1, ``gc`` outside [0, 1] or of the wrong length, a bad seed.
    """
    k = _check_count(n, "n")
    L = _check_count(length, "length")
    g = _check_gc(gc, k)
    return iid_background_kernel(g, L, np.uint64(seed_to_uint64(seed)))


def gc_matched_background(reference: Any, n: int | None = None, *, seed: Any = 0) -> np.ndarray:
    """Random DNA whose GC contents follow those of a reference set.

    Each output sequence copies the GC content of a reference sequence drawn at random (with
    replacement; N-only references are skipped): it has exactly ``round(gc * L)`` G/C bases
    placed uniformly at random (G vs C and A vs T equally likely), so the GC distribution of the
    output matches the reference's, with no extra binomial spread.

    Parameters
    ----------
    reference : array_like, shape (N, L, 4) or (L, 4)
        One-hot reference DNA, ACGT order.
    n : int, optional
        Number of sequences to make (default N).
    seed : int, numpy Generator or None
        Random seed.

    Returns
    -------
    np.ndarray, float32, shape (n, L, 4)
        One-hot DNA with the reference's length L.

    Raises
    ------
    InputError
        Bad reference array, ``n`` < 1, every reference sequence made only of N, a bad seed.
    """
    codes, _ = onehot_codes(reference, "reference", min_length=1)
    k = codes.shape[0] if n is None else _check_count(n, "n")
    gcs = _gc_from_codes(codes)
    pool = gcs[np.isfinite(gcs)]
    if pool.size == 0:
        raise InputError("reference has only N positions, so it has no GC content to match.")
    s = seed_to_uint64(seed)
    rng = np.random.default_rng(s)
    L = codes.shape[1]
    n_gc = np.rint(rng.choice(pool, size=k, replace=True) * L).astype(np.int64)
    return exact_gc_background_kernel(n_gc, L, np.uint64(s))


def shuffled_background(reference: Any, n: int = 1, *, seed: Any = 0) -> np.ndarray:
    """Dinucleotide-shuffled copies of a reference set.

    Parameters
    ----------
    reference : array_like, shape (N, L, 4) or (L, 4)
        One-hot reference DNA, ACGT order (N rows allowed).
    n : int
        Shuffles per reference sequence (>= 1).
    seed : int, numpy Generator or None
        Random seed; results do not depend on the number of threads.

    Returns
    -------
    np.ndarray, float32, shape (N * n, L, 4)
        Row ``i * n + k`` is the k-th shuffle of reference sequence i (same dinucleotide counts,
        first and last letter).

    Raises
    ------
    InputError
        Bad reference array, ``n`` < 1, a bad seed.
    """
    k = _check_count(n, "n")
    s = seed_to_uint64(seed)
    codes, nvals = onehot_codes(reference, "reference", min_length=1)
    out = dinucleotide_shuffle_kernel(codes, nvals, k, np.uint64(s))
    return out.reshape(codes.shape[0] * k, codes.shape[1], 4)


def _check_gc(gc: Any, n: int) -> np.ndarray:
    try:
        g = np.asarray(gc, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"gc must be a number or an array of numbers in [0, 1]. Received: gc={gc!r}"
        ) from None
    if g.ndim == 0:
        g = np.full(n, float(g))
    elif g.shape != (n,):
        raise InputError(
            f"gc must be one number or one value per sequence (shape ({n},)). "
            f"Received shape {g.shape}."
        )
    if not np.all((g >= 0.0) & (g <= 1.0)):
        bad = int(np.argmax(~((g >= 0.0) & (g <= 1.0))))
        raise InputError(
            f"gc must lie in [0, 1] (a fraction, not a percentage). Received gc={float(g[bad])!r} "
            f"(index {bad})."
        )
    return np.ascontiguousarray(g)
