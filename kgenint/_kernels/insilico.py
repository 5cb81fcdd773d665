"""Numba kernels for in-silico motif embedding experiments (kgenint.interactions.insilico).

Sequences are assembled straight into prediction batches: a *job* is one background sequence
with up to two motif instances written over it.
"""
from __future__ import annotations

from numba import prange

from . import jit, pjit


@jit
def _write_instance(out, b, inst, k, n, width, pos, strand):
    """Write instance ``inst[k, n, :width]`` into ``out[b]`` at ``pos`` (strand 0 '+', 1 '-')."""
    if strand == 0:
        for i in range(width):
            for c in range(4):
                out[b, pos + i, c] = inst[k, n, i, c]
    else:
        for i in range(width):
            src = width - 1 - i
            for c in range(4):
                out[b, pos + i, c] = inst[k, n, src, 3 - c]


@pjit
def assemble_jobs(background, inst, widths, job_n, job_k1, job_p1, job_s1, job_k2, job_p2, job_s2, out):
    """Fill ``out[:J]`` with background ``job_n[j]`` carrying up to two motif instances.

    Parameters
    ----------
    background : float32 (N, L, 4)
    inst : float32 (K, N, Wmax, 4)
        One-hot motif instance of motif ``k`` used with background ``n`` (forward strand).
    widths : int64 (K,)
    job_n, job_k1, job_p1, job_s1, job_k2, job_p2, job_s2 : int64 (J,)
        Background index; first and second insertion (motif, start, strand 0/1); ``k = -1``
        means no insertion.
    out : float32 (B >= J, L, 4)
    """
    J = job_n.shape[0]
    L = background.shape[1]
    for j in prange(J):
        n = job_n[j]
        for i in range(L):
            for c in range(4):
                out[j, i, c] = background[n, i, c]
        k = job_k1[j]
        if k >= 0:
            _write_instance(out, j, inst, k, n, widths[k], job_p1[j], job_s1[j])
        k = job_k2[j]
        if k >= 0:
            _write_instance(out, j, inst, k, n, widths[k], job_p2[j], job_s2[j])
