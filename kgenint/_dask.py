"""The generic Dask layer of kgenint (clients, models on workers, collecting task results).

The verbs' own task code lives beside each verb (:mod:`kgenint.attribution.stream`,
:mod:`kgenint.motifs._scan_dask`, :mod:`kgenint.interactions._insilico_dask`) and uses only this
module, which imports no verb: no import cycles (tests/test_imports.py). The public face is
:mod:`kgenint.distributed`.

What the distributed verbs guarantee (pure, idempotent tasks; identical results; models as
files loaded once per worker; errors naming their chunk) is described in :mod:`kgenint.distributed`
and ``docs/distributed.md``. Nothing here imports TensorFlow or Dask at import time.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import warnings
from collections.abc import Callable, Iterator
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
