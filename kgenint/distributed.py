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

# the generic layer (kgenint._dask) and each verb's task code (beside the verb) import no verb
# module from here, so this public face can import them all without an import cycle
from ._dask import ModelSpec, connect, n_workers, require_distributed, resolve_model
from .attribution.stream import attribute_chunks
from .interactions._insilico_dask import PairScanTasks
from .motifs._scan_dask import scan_motifs

__all__ = ["ModelSpec", "connect", "n_workers", "require_distributed", "resolve_model", "attribute_chunks",
           "PairScanTasks", "scan_motifs"]
