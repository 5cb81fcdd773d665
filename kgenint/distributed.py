"""Run kgenint's heavy verbs as task graphs over a ``dask.distributed`` cluster.

The distributed verbs (:func:`kgenint.attribution.attribute`, :func:`kgenint.motifs.scan.scan`,
:func:`kgenint.interactions.insilico.scan_pairs`) take ``client=``: a ``distributed.Client``.
Without it they run in this process, as before. With it, their chunks (groups of sequences,
groups of motif pairs) become Dask tasks:

* every task is pure and idempotent (its inputs, its seeds and its batches are those of the
  single-process run), so a task lost with its worker is simply run again by Dask, and the result
  is the same, bit for bit, as the single-process run's;
* a model is shipped as a path (:class:`ModelSpec`) and loaded once per worker process (a cache
  keyed by file, modification time and size), never pickled per task (a Keras model in memory is
  refused); any other ``predict`` callable is held by the cluster as one task's result, fetched
  once by each worker (not ``scatter``: scattered data is lost with its worker, a task's result
  is recomputed);
* a failing task raises an error that names its chunk (sequence range, motif pairs).

:func:`connect` makes the client from what the command line offers: an existing client, a
scheduler address (``tcp://host:8786``) or a number of local worker processes (a
``LocalCluster`` with one thread per worker, created and closed here).

Dask is an optional extra: ``pip install 'kgenint[dask]'``. Nothing here imports TensorFlow or
Dask at import time. See ``docs/distributed.md``.
"""
from __future__ import annotations

import contextlib
import itertools
import math
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputError, KgenintError, OutputError

__all__ = ["ModelSpec", "connect", "n_workers", "require_distributed"]

_INSTALL = "pip install 'kgenint[dask]'"


def require_distributed():
    """Import and return the ``distributed`` package, or raise a kgenint error saying how to install it."""
    try:
        import distributed
    except ImportError:
        raise InputError(f"running on a Dask cluster needs dask.distributed, which is not installed: {_INSTALL}"
                         ) from None
    return distributed


# ----------------------------------------------------------------------------------------- clients
@contextlib.contextmanager
def connect(client: Any = None, *, scheduler: str | None = None, workers: int | None = None,
            threads_per_worker: int = 1) -> Iterator[Any]:
    """A Dask client for the distributed verbs, or ``None`` when none is asked for.

    Parameters
    ----------
    client : distributed.Client, optional
        Used as is (not closed here).
    scheduler : str, optional
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"`` (``dask scheduler`` /
        ``dask worker`` started by you or your cluster's job system). The client is closed on exit.
    workers : int, optional
        Start a ``LocalCluster`` of this many worker processes on this machine
        (``threads_per_worker`` threads each; TensorFlow and Numba in each worker are limited to
        the machine's cores divided among the workers). Closed on exit.

    Yields
    ------
    distributed.Client or None
        ``None`` when no argument is given (the verbs then run in this process).

    Raises
    ------
    InputError
        More than one of ``client``, ``scheduler``, ``workers``; ``workers < 1``; Dask not
        installed; the scheduler cannot be reached.
    """
    given = [k for k, v in (("client", client), ("scheduler", scheduler), ("workers", workers)) if v is not None]
    if len(given) > 1:
        raise InputError(f"give one of client=, scheduler= (--scheduler) or workers= (--workers), not "
                         f"{' and '.join(given)}.")
    if not given:
        yield None
        return
    distributed = require_distributed()
    if client is not None:
        if not isinstance(client, distributed.Client):
            raise InputError(f"client must be a distributed.Client. Received {type(client).__name__}.")
        yield client
        return
    if scheduler is not None:
        try:
            c = distributed.Client(str(scheduler), timeout="20s")
        except (OSError, TimeoutError, ValueError) as err:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({err}); check the address "
                             f"(tcp://HOST:PORT) and that 'dask scheduler' is running there.") from None
        try:
            yield c
        finally:
            c.close()
        return
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise InputError(f"workers must be an integer >= 1 (local worker processes). Received: workers={workers!r}")
    per = str(max(1, (os.cpu_count() or 1) // int(workers)))
    env = {"TF_NUM_INTRAOP_THREADS": per, "TF_NUM_INTEROP_THREADS": "1", "NUMBA_NUM_THREADS": per,
           "OMP_NUM_THREADS": per, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    cluster = distributed.LocalCluster(n_workers=int(workers), threads_per_worker=int(threads_per_worker),
                                       processes=True, dashboard_address=None, env=env)
    try:
        c = distributed.Client(cluster)
        try:
            yield c
        finally:
            c.close()
    finally:
        cluster.close()


def n_workers(client: Any) -> int:
    """Number of workers the scheduler knows now (at least 1)."""
    return max(1, len(client.scheduler_info().get("workers", {})))


# ------------------------------------------------------------------------------ model per worker
_MODELS: dict[tuple, Any] = {}
_PREDICTS: dict[tuple, Any] = {}
_LOADS = [0]  # models loaded by this process (read by the tests through client.run)


def _file_key(path: str) -> tuple:
    try:
        st = os.stat(path)
    except OSError as err:
        raise InputError(f"model file {path}: {err.strerror or err}; on a cluster every worker must see the "
                         f"file at this path (a shared file system).") from None
    return (path, st.st_mtime_ns, st.st_size)


@dataclass(frozen=True)
class ModelSpec:
    """A Keras model named by its file, loaded once per process; callable as ``predict``.

    Sent to Dask workers as its few fields (never the model), each worker process loads the file
    the first time a task needs it and keeps it (a cache keyed by path, modification time and
    size, so a rewritten file is loaded again).

    Parameters
    ----------
    path : str or os.PathLike
        ``.keras`` file; on a cluster it must be readable at this path on every worker.
    head : int or str, optional
        Model output for multi-output models (see :func:`kgenint.keras.as_predict_fn`).
    logits : bool or None
        As in :func:`kgenint.keras.as_predict_fn`.
    batch_size : int
        Sequences per model call of the ``predict`` function.

    Examples
    --------
    >>> spec = ModelSpec("model.keras", logits=None)  # doctest: +SKIP
    >>> y = spec(x)                                   # (N, T) float32, as as_predict_fn  # doctest: +SKIP
    """

    path: str
    head: int | str | None = None
    logits: bool | None = None
    batch_size: int = 1024

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", os.path.abspath(os.fspath(self.path)))

    def model(self):
        """The loaded ``keras.Model`` (this process's cached copy)."""
        key = _file_key(self.path)
        m = _MODELS.get(key)
        if m is None:
            from ._io_inputs import load_keras_model

            m, _ = load_keras_model(self.path, what="model")
            for k in [k for k in _MODELS if k[0] == self.path]:  # an older version of the file
                del _MODELS[k]
            _MODELS[key] = m
            _LOADS[0] += 1
        return m

    def preload(self, model) -> ModelSpec:
        """Use ``model`` (already loaded from ``path`` by the caller) as this process's copy."""
        _MODELS[_file_key(self.path)] = model
        return self

    def predict_fn(self):
        """``kgenint.keras.as_predict_fn`` of the model (cached per process)."""
        key = (_file_key(self.path), self.head, self.logits, int(self.batch_size))
        fn = _PREDICTS.get(key)
        if fn is None:
            from .keras.adapter import as_predict_fn

            fn = as_predict_fn(self.model(), self.head, logits=self.logits, batch_size=int(self.batch_size))
            _PREDICTS[key] = fn
        return fn

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.predict_fn()(x)

    @property
    def scale(self) -> str:
        """``"logits"`` or ``"output"``: what ``predict`` returns (loads the model here)."""
        return self.predict_fn().scale


def resolve_model(model: Any) -> Any:
    """A model argument as the verbs use it: a path or :class:`ModelSpec` becomes the loaded
    ``keras.Model``; anything else is returned as is."""
    if isinstance(model, (str, os.PathLike)):
        model = ModelSpec(os.fspath(model))
    if isinstance(model, ModelSpec):
        return model.model()
    return model


def _ship(client, obj: Any, what: str) -> Any:
    """``obj`` as a task argument: a ModelSpec, path or small value as is; anything else sent
    once to every worker (a future each task resolves to the worker's copy)."""
    if obj is None or isinstance(obj, (ModelSpec, str, os.PathLike, int, float)):
        return obj
    tf_made = any(c.__module__.split(".")[0] in ("keras", "tensorflow", "tf_keras") for c in type(obj).__mro__)
    if tf_made or (callable(obj) and hasattr(obj, "scale") and hasattr(obj, "head")):  # a model, as_predict_fn
        raise InputError(
            f"{what} is a Keras/TensorFlow object in memory; on a Dask cluster give the model as its file, "
            f"loaded once by each worker: kgenint.distributed.ModelSpec('model.keras', head=..., logits=...) "
            f"(or the path itself for attribute()). Save it first with model.save('model.keras').")
    try:
        return _hold(client, obj)
    except Exception as err:  # noqa: BLE001 - pickling errors come in many types
        raise InputError(
            f"{what} cannot be sent to the Dask workers ({type(err).__name__}: {str(err)[:200]}). Pass the model "
            f"as its file instead: kgenint.distributed.ModelSpec('model.keras', head=..., logits=...)."
        ) from None


def _identity(obj: Any) -> Any:
    return obj


def _hold(client, obj: Any):
    """A future of ``obj`` that the cluster can rebuild: a task returning it (its data kept in the
    graph), not ``scatter`` (scattered data dies with its worker). Each worker fetches it once."""
    import pickle

    import cloudpickle

    cloudpickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)  # fail here, with a clear message
    with warnings.catch_warnings():  # "large object in the task graph": on purpose, see above
        warnings.filterwarnings("ignore", message=".*[Ll]arge object")
        return client.submit(_identity, obj, pure=False)


def _rewrap(err: BaseException, where: str) -> BaseException:
    """The task's exception with the chunk named in front of its message."""
    msg = f"{where}: {err}"
    if isinstance(err, OutputError):
        return OutputError(msg)
    if isinstance(err, KgenintError):
        return InputError(msg)
    return RuntimeError(f"{where}: {type(err).__name__}: {err}")


def _collect(client, futures: dict, on_result: Callable[[Any], None]) -> None:
    """Wait for ``futures`` (future -> chunk label), handing each result to ``on_result`` as it
    arrives; the first failure cancels the rest and is raised naming its chunk."""
    distributed = require_distributed()
    try:
        for fut in distributed.as_completed(list(futures)):
            try:
                res = fut.result()
            except KgenintError:
                raise
            except Exception as err:
                if type(err).__name__ == "KilledWorker":
                    raise InputError(
                        f"{futures[fut]}: the worker running it died on every try (out of memory? a crash in "
                        f"the model?); finished chunks are kept, run the same command again to resume.") from None
                raise
            on_result(res)
    except BaseException:
        client.cancel(list(futures))
        raise


def _split(n: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` near-equal consecutive ranges of ``range(n)`` (fewer when ``n`` is small)."""
    parts = max(1, min(int(parts), n))
    edges = np.linspace(0, n, parts + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges) if b > a]


# ---------------------------------------------------------------------------------- attribution
def _attribute_task(model_ref, method, x, options, i, s, e, chunk_dir, digest):
    from .attribution import stream

    try:
        model = resolve_model(model_ref)
        c, hyp = stream._run(method, model, x, dict(options), s)
        if chunk_dir is not None and os.path.isdir(chunk_dir):  # a shared file system: write it here
            stream._write_chunk(chunk_dir, i, s, e, c, hyp, digest)
            return i, None, None, True
    except Exception as err:  # noqa: BLE001
        raise _rewrap(err, f"attribution chunk {i} (sequences {s}-{e - 1})") from None
    return i, c, hyp, False


def attribute_chunks(client, model, method: str, x: np.ndarray, options: dict,
                     chunks: Sequence[tuple[int, int, int]], *, chunk_dir: str | None = None,
                     digest: str | None = None, bar=None) -> dict[int, tuple]:
    """Run attribution chunks ``(i, start, end)`` as tasks (used by ``attribute(client=...)``).

    With ``chunk_dir`` every chunk ends as its checkpoint file ``<chunk_dir>/<i>.h5``, written by
    the worker when it sees the folder (a shared file system) or here otherwise, exactly as the
    single-process run writes it; returns ``{}``. Without it returns ``{i: (contributions,
    hypothetical)}``.
    """
    from .attribution import stream

    model_ref = _ship(client, model, "the model")
    opts_ref = _ship(client, dict(options), "the attribution options")
    futures = {}
    with warnings.catch_warnings():  # each chunk's sequences live in its task: recomputable
        warnings.filterwarnings("ignore", message=".*[Ll]arge object")
        for i, s, e in chunks:
            f = client.submit(_attribute_task, model_ref, method, x[s:e], opts_ref, i, s, e, chunk_dir, digest,
                              pure=False)
            futures[f] = f"attribution chunk {i} (sequences {s}-{e - 1})"
    out: dict[int, tuple] = {}
    bounds = {i: (s, e) for i, s, e in chunks}

    def store(res):
        i, c, hyp, written = res
        if chunk_dir is not None and not written:
            s, e = bounds[i]
            stream._write_chunk(chunk_dir, i, s, e, c, hyp, digest)
        elif chunk_dir is None:
            out[i] = (c, hyp)
        if bar is not None:
            bar.update(1)

    _collect(client, futures, store)
    return out


# ---------------------------------------------------------------------------------- motif scan
def _scan_task(scanner, part, first, last, names, qvalues, max_hits, chunk_size):
    from .motifs import scan as sm

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the driver warns once about max_hits
            hits = scanner.scan(part, qvalues=False, max_hits=None if qvalues else max_hits,
                                chunk_size=chunk_size, progress=False)
        n_tested = None
        if qvalues:
            uw = np.unique(scanner.widths_[:: len(scanner.strands_)])
            n_tested = np.zeros(uw.size, dtype=np.int64)
            for _, codes, off, lens in sm._Input(part, chunk_size or sm._DEFAULT_CHUNK).chunks():
                n_tested += sm._n_free_windows(codes, off, lens, uw)
    except Exception as err:  # noqa: BLE001
        where = f"scan of sequences {first}-{last - 1}"
        if isinstance(err, InputError) and isinstance(part, list) and part and isinstance(part[0], str):
            try:  # the bad letter with the sequence's number (and name) in the whole input
                sm._text_to_codes(part, first, None if names is None else _Shifted(names, first))
            except InputError as err2:
                err = err2
        raise _rewrap(err, where) from None
    cols = {k: hits[k].to_numpy() for k in ("seq", "motif", "start", "end", "strand", "score", "p_value",
                                             "matched_sequence")}
    cols["seq"] = cols["seq"] + first
    return first, cols, n_tested


class _Shifted:
    """``names[k]`` for the whole input's index ``k`` given the names of a part starting at ``first``."""

    def __init__(self, names, first):
        self.names, self.first = names, first

    def __getitem__(self, k):
        return self.names[k - self.first]


def scan_motifs(client, scanner, x: Any, *, qvalues: bool = False, seq_names: Sequence[str] | None = None,
                max_hits: int | None = None, chunk_size: int | None = None, progress: bool = True,
                tasks_per_worker: int = 4):
    """:meth:`MotifScanner.scan` with groups of sequences as Dask tasks (``scan(client=...)``).

    Returns the same table, in the same order, as the single-process scan: hits are gathered per
    group, q-values are computed here from every group's count of tested windows (BH per motif),
    and ``max_hits`` cuts the merged table as the single-process scan does.
    """
    import pandas as pd

    from .motifs import scan as sm

    chunk = sm._DEFAULT_CHUNK if chunk_size is None else int(chunk_size)
    if chunk < 1:
        raise InputError(f"chunk_size must be a positive number of positions. Received: chunk_size={chunk_size!r}")
    if max_hits is not None and int(max_hits) < 0:
        raise InputError(f"max_hits must be >= 0 or None. Received: max_hits={max_hits!r}")
    inp = sm._Input(x, chunk)
    if seq_names is not None:
        seq_names = [str(s) for s in seq_names]
        if len(seq_names) != inp.n:
            raise InputError(f"seq_names has {len(seq_names)} names for {inp.n} sequences.")
    if int(inp.lengths.max()) < int(scanner.widths_.min()):
        raise InputError(
            f"Every sequence is shorter ({int(inp.lengths.max())} bp) than the narrowest motif "
            f"({int(scanner.widths_.min())} bp): there is no window to scan.")
    # groups of consecutive sequences with about equal bp; at least tasks_per_worker per worker
    total = int(inp.lengths.sum())
    target = min(chunk, max(1, math.ceil(total / (tasks_per_worker * n_workers(client)))))
    cum = np.concatenate([[0], np.cumsum(inp.lengths)])
    edges = sorted({0, inp.n, *np.searchsorted(cum, np.arange(target, total, target), side="left").tolist()})
    groups = [(a, b) for a, b in itertools.pairwise(edges) if b > a]
    sc_ref = _ship(client, scanner, "the motif scanner")
    futures = {}
    for a, b in groups:
        part = inp.x[a:b]
        names = None if seq_names is None else seq_names[a:b]
        f = client.submit(_scan_task, sc_ref, part, a, b, names, bool(qvalues), max_hits, chunk_size, pure=False)
        futures[f] = f"scan of sequences {a}-{b - 1}"
    from .progress import progress as progress_bar

    bar = progress_bar(total=total, desc="Scanning", unit="bp", disable=None if progress else True)
    group_bp = {a: int(inp.lengths[a:b].sum()) for a, b in groups}
    parts: dict[int, dict] = {}
    uw = np.unique(scanner.widths_[:: len(scanner.strands_)])
    n_tested = np.zeros(uw.size, dtype=np.int64)

    def store(res):
        first, cols, nt = res
        parts[first] = cols
        if nt is not None:
            n_tested[:] += nt
        bar.update(group_bp[first])

    try:
        _collect(client, futures, store)
    finally:
        bar.close()
    cols = {k: np.concatenate([parts[a][k] for a, _ in groups]) for k in parts[groups[0][0]]}
    # each group is in output order (motif, seq, start, strand) and groups follow seq: a stable
    # sort on motif alone gives the single-process order
    order = np.argsort(cols["motif"], kind="stable")
    cols = {k: v[order] for k, v in cols.items()}
    motif = cols["motif"].astype(np.int64)
    pval = cols["p_value"].astype(np.float64)
    n_str = len(scanner.strands_)
    qv = np.full(motif.size, np.nan)
    if qvalues:
        wpos = {int(w): i for i, w in enumerate(uw.tolist())}
        for k in np.unique(motif).tolist():
            sel = np.flatnonzero(motif == k)
            m_tests = int(n_tested[wpos[int(scanner.widths_[k * n_str])]]) * n_str
            qv[sel] = sm._bh(pval[sel], max(m_tests, sel.size))
    if max_hits is not None and motif.size > int(max_hits):
        warnings.warn(f"{'at least ' if not qvalues else ''}{motif.size} hits found; keeping the {int(max_hits)} "
                      f"with the smallest p-values (max_hits={int(max_hits)}).", stacklevel=3)
        keep = np.sort(np.argsort(pval, kind="stable")[: int(max_hits)])
        cols = {k: v[keep] for k, v in cols.items()}
        motif, pval, qv = motif[keep], pval[keep], qv[keep]
    seq = cols["seq"].astype(np.int64)
    names_all = np.array(seq_names if seq_names is not None else [f"seq{i}" for i in range(inp.n)], dtype=object)
    ids = np.array([m.name for m in scanner.motifs_], dtype=object)
    alts = np.array([m.alt_name or "" for m in scanner.motifs_], dtype=object)
    empty = np.zeros(0, dtype=object)
    return pd.DataFrame({
        "seq": seq, "sequence_name": names_all[seq] if seq.size else empty,
        "motif": motif, "motif_id": ids[motif] if motif.size else empty,
        "motif_alt_id": alts[motif] if motif.size else empty,
        "start": cols["start"].astype(np.int64), "end": cols["end"].astype(np.int64),
        "strand": cols["strand"] if motif.size else empty, "score": cols["score"], "p_value": pval,
        "q_value": qv, "matched_sequence": cols["matched_sequence"] if motif.size else empty,
    }, columns=sm.HIT_COLUMNS)


# ---------------------------------------------------------------------------- in-silico pair scan
def _engine(predict_ref, ctx):
    from .interactions.insilico import _Engine

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
    from .interactions.insilico import _pair_block

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
