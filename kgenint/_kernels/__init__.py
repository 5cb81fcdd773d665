"""Numba kernels of kgenint, one module per topic.

Policy in one place: every kernel is compiled with :func:`jit` (``nopython``, ``cache=True``,
``nogil``); kernels that pay for threads use :func:`pjit` (adds ``parallel=True``).  Helpers a
kernel calls live in the *same* module as the kernel, because Numba's on-disk cache keys a
function by its own file: a cached caller does not see an edit to a helper in another file.

Nothing here imports TensorFlow.
"""
from __future__ import annotations

import os

# Numba's OpenMP workers busy-wait by default; on a shared or small machine that makes two
# threads slower than one (measured: dinucleotide shuffle 5x vs 18x faster than Python on 2
# cores). Passive waiting must be set before the threading layer starts.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402

__all__ = ["jit", "pjit", "set_num_threads"]


def jit(*args, **kwargs):
    """``numba.njit`` with kgenint's defaults (``cache=True, nogil=True``)."""
    kwargs.setdefault("cache", True)
    kwargs.setdefault("nogil", True)
    return numba.njit(*args, **kwargs)


def pjit(*args, **kwargs):
    """Like :func:`jit` but ``parallel=True`` (use ``numba.prange`` in the kernel)."""
    kwargs.setdefault("parallel", True)
    return jit(*args, **kwargs)


def set_num_threads(n: int | None) -> None:
    """Set the number of Numba threads (``None`` leaves Numba's default)."""
    if n is None:
        return
    if int(n) < 1:
        raise ValueError(f"threads must be a positive integer. Received: threads={n!r}")
    numba.set_num_threads(min(int(n), numba.config.NUMBA_NUM_THREADS))
