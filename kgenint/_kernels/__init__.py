"""Numba kernels of kgenint, one module per topic.

Policy in one place: every kernel is compiled with :func:`jit` (``nopython``, ``cache=True``,
``nogil``); kernels that pay for threads use :func:`pjit` (adds ``parallel=True``).  Helpers a
kernel calls live in the *same* module as the kernel, because Numba's on-disk cache keys a
function by its own file: a cached caller does not see an edit to a helper in another file.
The one exception is the random number generator (:mod:`.rng`), shared by three modules: each
caller carries rng.py's hash in ``_RNG_SOURCE``, checked by ``tests/test_rng.py``.

Nothing here imports TensorFlow.
"""
from __future__ import annotations

import os
from typing import Any

# Numba's OpenMP workers busy-wait by default; on a shared or small machine that makes two
# threads slower than one (measured: dinucleotide shuffle 5x vs 18x faster than Python on 2
# cores). Passive waiting must be set before the threading layer starts.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _writable_dir(path: str) -> bool:
    """Whether files can be created in ``path`` (created if missing)."""
    import tempfile

    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError:
        return False
    return True


def _ensure_numba_cache() -> str | None:
    """Make sure Numba has a writable cache directory, or every ``cache=True`` kernel fails at import.

    Numba tries ``NUMBA_CACHE_DIR``, then ``__pycache__`` beside the source, then the user cache
    (``$XDG_CACHE_HOME`` or ``~/.cache``). When none is writable (a read-only install, a read-only
    home), kgenint sets ``NUMBA_CACHE_DIR`` to a new temporary folder and warns: kernels then
    compile once per process. Returns that folder, or None when no fallback was needed.
    """
    user = os.environ.get("NUMBA_CACHE_DIR")
    if user:
        if _writable_dir(user):
            return None
    else:
        here = os.path.dirname(os.path.abspath(__file__))
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        if _writable_dir(os.path.join(here, "__pycache__")) or _writable_dir(os.path.join(xdg, "numba")):
            return None
    import tempfile
    import warnings

    import atexit
    import shutil

    tmp = tempfile.mkdtemp(prefix="kgenint-numba-cache-")
    atexit.register(shutil.rmtree, tmp, True)
    os.environ["NUMBA_CACHE_DIR"] = tmp
    warnings.warn(
        f"no writable Numba cache directory ({'NUMBA_CACHE_DIR=' + user if user else 'package folder and ~/.cache'}"
        f" are not writable); compiled kernels go to the temporary folder {tmp} and are compiled again in "
        f"each run. Set NUMBA_CACHE_DIR to a writable folder to keep them.",
        RuntimeWarning, stacklevel=2,
    )
    return tmp


_FALLBACK_CACHE = _ensure_numba_cache()

import numba  # noqa: E402

#: numba.config sets its options at run time (setattr), so mypy sees none of them
_numba_config: Any = numba.config

if _FALLBACK_CACHE is not None and _numba_config.CACHE_DIR != _FALLBACK_CACHE:  # numba imported earlier
    _numba_config.CACHE_DIR = _FALLBACK_CACHE

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
        from ..errors import InputError

        raise InputError(f"threads must be a positive integer. Received: threads={n!r}")
    numba.set_num_threads(min(int(n), _numba_config.NUMBA_NUM_THREADS))
