"""The in-silico pair scan as Dask tasks (``scan_pairs(..., client=)``; :mod:`kgenint.distributed`).

Single insertions run as ranges of jobs cut at multiples of the batch size and motif pairs as
groups, with the same engine code as the single-process loop (:mod:`._engine`), so every
``predict`` call sees the same rows and the result is identical.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .._dask import ModelSpec, _collect, _hold, _rewrap, _ship, _split, n_workers
from ._engine import _Engine, _pair_block


def _engine(predict_ref, ctx):
    predict = predict_ref.predict_fn() if isinstance(predict_ref, ModelSpec) else predict_ref
    return _Engine(predict, ctx["backgrounds"], ctx["inst"], ctx["widths"], ctx["task"], ctx["batch_size"])


def _jobs_task(predict_ref, ctx, jobs, first, last):
    try:
        eng = _engine(predict_ref, ctx)
        y = eng.run(jobs)
    except Exception as err:  # noqa: BLE001
        raise _rewrap(err, f"in-silico scan, single insertions {first}-{last - 1} (backgrounds with one motif)"
                      ) from None
    return first, y, eng.n_predicted, eng.predict_seconds


def _pairs_task(predict_ref, ctx, pctx, pairs):
    names = ctx["names"]
    out = []
    try:
        eng = _engine(predict_ref, ctx)
        for a, b in pairs:
            dv = np.flatnonzero(pctx["valid_ab"][a, b])
            c, r = _pair_block(eng, a, b, dv, pctx["starts"], pctx["strand_of"], pctx["single_index"],
                               pctx["f_none"], pctx["f_single"], pctx["K"], ctx["controls"])
            out.append((a, b, c, r))
    except Exception as err:  # noqa: BLE001
        which = ", ".join(f"({names[a]}, {names[b]})" for a, b in pairs)
        raise _rewrap(err, f"in-silico scan of motif pair(s) {which}") from None
    return out, eng.n_predicted, eng.predict_seconds


class PairScanTasks:
    """The model calls of :func:`kgenint.interactions.insilico.scan_pairs` as Dask tasks.

    ``run(jobs)`` replaces ``engine.run`` (single insertions: ranges of jobs cut at multiples of
    the batch size, so every ``predict`` call sees the rows the single-process run gives it);
    ``pairs(...)`` computes groups of motif pairs with the same code as the single-process loop
    (``insilico._pair_block``) and hands each finished pair to ``store`` (the checkpoint).
    """

    def __init__(self, client, predict, engine, names: Sequence[str], controls: str,
                 tasks_per_worker: int = 4):
        self.client = client
        self.engine = engine
        self.tasks = max(1, int(tasks_per_worker) * n_workers(client))
        self.variants = 1 if controls == "none" else 4
        self.predict_ref = _ship(client, predict, "predict")
        ctx = {"backgrounds": engine.backgrounds, "inst": engine.inst, "widths": engine.widths,
               "task": engine.task, "batch_size": engine.batch_size, "names": list(names), "controls": controls}
        self.ctx_ref = _hold(client, ctx)

    def run(self, jobs: np.ndarray, bar=None) -> np.ndarray:
        """Outputs ``(J,)`` float64 of ``jobs`` ``(J, 7)``, as ``_Engine.run``."""
        bs = self.engine.batch_size
        n_batches = -(-jobs.shape[0] // bs)
        futures = {}
        for a, b in _split(n_batches, self.tasks):
            s, e = a * bs, min(jobs.shape[0], b * bs)
            f = self.client.submit(_jobs_task, self.predict_ref, self.ctx_ref, jobs[s:e], s, e, pure=False)
            futures[f] = f"in-silico scan, single insertions {s}-{e - 1}"
        out = np.empty(jobs.shape[0], dtype=np.float64)

        def store(res):
            first, y, n, secs = res
            out[first:first + y.size] = y
            self._count(n, secs)
            if bar is not None:
                bar.update(y.size)

        _collect(self.client, futures, store)
        return out

    def _count(self, n: int, secs: float) -> None:
        self.engine.n_predicted += int(n)
        self.engine.predict_seconds += float(secs)

    def pairs(self, todo: Sequence[tuple[int, int]], valid_ab, starts, strand_of, single_index, f_none, f_single,
              K: int, store: Callable[[int, int, np.ndarray, np.ndarray], None], bar=None) -> None:
        """Compute the motif pairs ``todo`` on the cluster; ``store(a, b, contrasts, raw)`` each
        (``(n_valid_distances, O, N)`` float32) as its task finishes."""
        if not todo:
            return
        pctx = {"valid_ab": valid_ab, "starts": starts, "strand_of": strand_of, "single_index": single_index,
                "f_none": f_none, "f_single": f_single, "K": int(K)}
        pctx_ref = _hold(self.client, pctx)
        futures = {}
        for a, b in _split(len(todo), self.tasks):
            group = [tuple(map(int, p)) for p in todo[a:b]]
            f = self.client.submit(_pairs_task, self.predict_ref, self.ctx_ref, pctx_ref, group, pure=False)
            futures[f] = f"in-silico scan of motif pairs {group}"

        def got(res):
            blocks, n, secs = res
            self._count(n, secs)
            for a, b, c, r in blocks:
                store(a, b, c, r)
                if bar is not None:
                    bar.update(c.size * self.variants)

        _collect(self.client, futures, got)
