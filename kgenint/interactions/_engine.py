"""The batching engine of the in-silico scans: jobs (a background with up to two insertions)
through ``predict``, and the contrasts of one motif pair (shared by the exhaustive scan, its Dask
tasks and the adaptive scan)."""
from __future__ import annotations

import time

import numpy as np

from .._kernels.insilico import assemble_jobs
from .._predict import check_predict


class _Engine:
    """Batches jobs (background + up to two insertions) through ``predict``."""

    def __init__(self, predict, backgrounds, inst, widths, task, batch_size):
        self.predict = predict
        self.backgrounds = backgrounds
        self.inst = inst
        self.widths = widths
        self.task = task
        self.batch_size = int(batch_size)
        self.buf = np.empty((self.batch_size, backgrounds.shape[1], 4), dtype=np.float32)
        self.n_predicted = 0
        self.predict_seconds = 0.0

    def run(self, jobs: np.ndarray, bar=None) -> np.ndarray:
        """``jobs`` int64 (J, 7) -> outputs float64 (J,)."""
        J = jobs.shape[0]
        out = np.empty(J, dtype=np.float64)
        for s in range(0, J, self.batch_size):
            e = min(J, s + self.batch_size)
            jb = jobs[s:e]
            assemble_jobs(self.backgrounds, self.inst, self.widths,
                          jb[:, 0], jb[:, 1], jb[:, 2], jb[:, 3], jb[:, 4], jb[:, 5], jb[:, 6], self.buf)
            t0 = time.perf_counter()
            out[s:e] = check_predict(self.predict, self.buf[: e - s], self.task)
            self.predict_seconds += time.perf_counter() - t0
            self.n_predicted += e - s
            if bar is not None:
                bar.update(e - s)
        return out


def _jobs(n_idx, k1, p1, s1, k2, p2, s2) -> np.ndarray:
    cols = np.broadcast_arrays(*(np.asarray(v, dtype=np.int64) for v in (n_idx, k1, p1, s1, k2, p2, s2)))
    return np.stack([c.ravel() for c in cols], axis=1)


def _pair_index(a, b, dv, starts, strand_of, single_index):
    """Placements of pair ``(a, b)`` at distances ``dv`` (broadcastable to ``(D', O, N)``) and the
    rows of its single insertions in ``f_single`` ``(D', O)``."""
    O = strand_of.shape[0]
    sa = starts[a, b, dv, 0][:, None, None]
    sb = starts[a, b, dv, 1][:, None, None]
    s1 = strand_of[:, 0][None, :, None]
    s2 = strand_of[:, 1][None, :, None]
    shape = (dv.size, O)
    ia = single_index[a, np.broadcast_to(strand_of[:, 0], shape), np.broadcast_to(sa[:, :, 0], shape)]
    ib = single_index[b, np.broadcast_to(strand_of[:, 1], shape), np.broadcast_to(sb[:, :, 0], shape)]
    return sa, sb, s1, s2, ia, ib


def _pair_block(engine, a, b, dv, starts, strand_of, single_index, f_none, f_single, K, controls, bar=None):
    """Contrasts and raw double-mutant contrasts ``(D', O, N)`` float32 of motif pair ``(a, b)`` at
    distances ``dv`` (the same code in this process and in a Dask task)."""
    N, O = f_none.shape[0], strand_of.shape[0]
    n_idx = np.arange(N)
    sa, sb, s1, s2, ia, ib = _pair_index(a, b, dv, starts, strand_of, single_index)
    f_ab = engine.run(_jobs(n_idx, a, sa, s1, b, sb, s2), bar).reshape(dv.size, O, N)
    raw = (f_ab - f_none - f_single[ia] - f_single[ib]).astype(np.float32)
    if controls == "none":
        return raw, raw
    ca, cb = K + a, K + b
    f_acb = engine.run(_jobs(n_idx, a, sa, s1, cb, sb, s2), bar).reshape(dv.size, O, N)
    f_cab = engine.run(_jobs(n_idx, ca, sa, s1, b, sb, s2), bar).reshape(dv.size, O, N)
    f_cc = engine.run(_jobs(n_idx, ca, sa, s1, cb, sb, s2), bar).reshape(dv.size, O, N)
    return (f_ab - f_acb - f_cab + f_cc).astype(np.float32), raw
