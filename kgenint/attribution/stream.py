"""Run any attribution method over large inputs in chunks to a resumable HDF5 file.

HDF5 layout (``kgenint_format = "attributions"``, ``format_version`` 1) of the finished file:

* attrs: ``method``, ``output``, ``params`` (JSON), ``config_hash``, ``chunk_size``;
* ``x`` (N, L, 4) float32 one-hot sequences; ``sequence_ids`` (N,) str; ``index`` (N,) int64
  (rows of the source data set, when taken from one);
* ``contributions`` (N, L, 4) float32; ``hypothetical`` (N, L, 4) float32 (DeepSHAP with
  ``hypothetical=True``; contributions are then ``hypothetical * x``);
* ``done`` (n_chunks,) bool: all true in a finished file (readers refuse anything else).

Storage chunks hold whole work chunks (a divisor of ``chunk_size`` rows), never parts of two.

Checkpoint (survives SIGKILL at any instant): while running, ``<out>.partial`` holds the run's
identity (``config_hash``) and inputs, written once atomically, and each finished work chunk is its
own file ``<out>.partial.chunks/<i>.h5`` (contributions, hypothetical, a SHA-256 of the data),
written to a unique temporary name, fsynced, read back and renamed: a chunk file exists only when
complete. A run started again with the same arguments verifies every finished chunk (a damaged
one is computed again) and skips the rest. When all chunks are there, ``<out>`` is assembled
beside itself, re-opened and compared chunk by chunk with the checksums, and renamed into place;
then the checkpoint is removed. An advisory lock (``<out>.lock``) stops a second writer with
"already being written by PID n". See ``docs/outputs.md``.

This is the input the ``kgenint seqlets`` command reads.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validate import check_onehot
from ..errors import InputError

__all__ = ["attribute", "METHODS", "load_attributions"]

log = logging.getLogger("kgenint")

METHODS = ("deepshap", "saliency", "smoothgrad", "gradient_x_input", "integrated_gradients", "lrp", "ism", "shap")


def _shuffles(x: np.ndarray, start: int, n: int, seed: int) -> np.ndarray:
    """Dinucleotide shuffles ``(len(x), n, L, 4)`` seeded by each sequence's *global* index, so the
    result does not depend on how the input is chunked."""
    from ..sequence import dinucleotide_shuffle

    out = np.empty((len(x), n) + x.shape[1:], dtype=np.float32)
    for i in range(len(x)):
        s = int(np.random.SeedSequence([int(seed), start + i]).generate_state(1, np.uint64)[0] >> 1)
        out[i] = dinucleotide_shuffle(x[i:i + 1], n, seed=s)[0]
    return out


def _chunk_references(method: str, options: dict, x: np.ndarray, start: int) -> dict:
    """DeepSHAP / IG options with shuffle references drawn per sequence by global index (old
    option names ``background``/``n_shuffles`` accepted)."""
    opts = dict(options)
    if "background" in opts:
        opts["references"] = opts.pop("background")
    if "n_shuffles" in opts:
        opts["n_references"] = opts.pop("n_shuffles")
    default_n = 20 if method == "deepshap" else 10
    if opts.get("references") is None or (isinstance(opts.get("references"), str) and opts["references"] == "shuffle"):
        opts["references"] = _shuffles(x, start, int(opts.pop("n_references", default_n)), int(opts.pop("seed", 0)))
    return opts


def _run(method: str, model, x: np.ndarray, options: dict, start: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
    from . import deeplift as ds
    from . import gradients as gr
    from .mutagenesis import ism
    from .relevance import lrp
    from .shap_ref import shap_deepexplainer

    if method in ("deepshap", "integrated_gradients"):
        opts = _chunk_references(method, options, x, start)
    if method == "deepshap":
        hyp = opts.pop("hypothetical", True)
        if hyp:
            r = ds.deepshap(model, x, return_result=True, hypothetical=True, **opts)
            return (r.hypothetical * x).astype(np.float32), r.hypothetical
        return ds.deepshap(model, x, **opts), None
    fn = {
        "saliency": gr.saliency, "smoothgrad": gr.smoothgrad, "gradient_x_input": gr.gradient_x_input,
        "integrated_gradients": gr.integrated_gradients, "lrp": lrp, "ism": ism,
    }.get(method)
    if method == "shap":
        return shap_deepexplainer(model, x, **options), None
    if fn is None:
        raise InputError(f"method must be one of {', '.join(METHODS)}. Received: method={method!r}")
    a = fn(model, x, **(opts if method == "integrated_gradients" else options))
    if method in ("saliency", "smoothgrad"):
        # gradients (corrected): hypothetical scores; contributions on the observed bases
        return (a * x).astype(np.float32), a.astype(np.float32)
    return a, None


def attribute(model, x, *, method: str = "deepshap", out: str | os.PathLike | None = None,
              chunk_size: int = 256, sequence_ids=None, index=None, progress: bool | None = None,
              overwrite: bool = False, client=None, **options: Any):
    """Attributions of ``x`` by ``method``, chunk by chunk, optionally to a resumable HDF5 file.

    Parameters
    ----------
    model : keras.Model, PredictFn, path of a .keras file, or kgenint.distributed.ModelSpec
        A path or ``ModelSpec`` is loaded once per process (once per Dask worker with ``client``).
    x : float32 (N, L, 4)
    method : str
        One of ``deepshap, saliency, smoothgrad, gradient_x_input, integrated_gradients, lrp,
        ism, shap``.
    out : path, optional
        HDF5 output (layout in the module docstring). Without it the arrays are returned.
    chunk_size : int
        Sequences per chunk (the unit of resumption).
    overwrite : bool
        Replace an existing ``out`` (atomically, when the new one is complete) and discard a
        checkpoint left by a run with other sequences or options; a checkpoint of the same run is
        resumed.
        Without it an existing ``out`` is refused (:class:`~kgenint.errors.OutputError`).
    sequence_ids : list of str, optional
    index : int array (N,), optional
        Rows of a source data set, stored for provenance.
    progress : bool, optional
        Progress on stderr (default True). (Old name: ``show_progress``.)
    client : distributed.Client, optional
        Compute the chunks as Dask tasks on this client's workers (:mod:`kgenint.distributed`):
        the same chunk files, the same result as without it; a checkpoint of either kind of run is
        resumed by the other. Give the model as a path or ``ModelSpec`` so that each worker loads
        it once (a Keras model in memory is refused; a plain picklable ``predict`` callable, for
        ``ism``, is sent once to every worker).
    **options
        Passed to the method (``head``, ``task``, ``logits``, ``references``, ``n_references``,
        ``seed``, ``steps`` ...). Shuffle references of deepshap and integrated_gradients are
        drawn per sequence from its global index, so results do not depend on ``chunk_size``.

    Returns
    -------
    (contributions, hypothetical or None) float32 (N, L, 4) when ``out`` is None, else the
    path written.
    """
    from ..progress import progress as progress_bar

    show_progress = options.pop("show_progress", None)  # the old name, one more release
    if show_progress is not None:
        import warnings

        warnings.warn("attribute(): show_progress= is deprecated; use progress= (docs/api.md).",
                      DeprecationWarning, stacklevel=2)
        if progress is None:
            progress = show_progress
    show_progress = True if progress is None else bool(progress)

    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}. Received: method={method!r}")
    x = check_onehot(x, "x")
    N, L, _ = x.shape
    if int(chunk_size) < 1:
        raise InputError(f"chunk_size must be >= 1. Received: chunk_size={chunk_size}")
    chunks = [(s, min(N, s + int(chunk_size))) for s in range(0, N, int(chunk_size))]
    from .._dask import resolve_model

    if client is None:
        model = resolve_model(model)  # a path / ModelSpec: loaded here
    if out is None and client is not None:

        bar = progress_bar(total=len(chunks), desc=method, unit="chunk", disable=None if show_progress else True)
        try:
            got = attribute_chunks(client, model, method, x, options, [(i, s, e) for i, (s, e) in enumerate(chunks)],
                                   bar=bar)
        finally:
            bar.close()
        parts = [got[i] for i in range(len(chunks))]
        return (np.concatenate([p[0] for p in parts]),
                None if parts[0][1] is None else np.concatenate([p[1] for p in parts]))
    if out is None:
        parts = [_run(method, model, x[s:e], options, s) for s, e in progress_bar(chunks, desc=method, unit="chunk",
                                                                           disable=None if show_progress else True)]
        c = np.concatenate([p[0] for p in parts])
        h = None if parts[0][1] is None else np.concatenate([p[1] for p in parts])
        return c, h
    import h5py

    from .._io import check_overwrite, output_lock, remove_orphans

    out = os.fspath(out)
    partial = out + ".partial"
    chunk_dir = partial + ".chunks"
    arrays = {k: v for k, v in options.items() if isinstance(v, np.ndarray)}
    scalars = {k: v for k, v in options.items() if k not in arrays}
    hasher = hashlib.sha256(json.dumps({"method": method, "options": scalars, "chunk": int(chunk_size)},
                                       sort_keys=True, default=str).encode())
    hasher.update(x.tobytes())
    for k in sorted(arrays):  # e.g. a background: identified by its bytes, not its printout
        hasher.update(k.encode())
        hasher.update(np.ascontiguousarray(arrays[k]).tobytes())
    digest = hasher.hexdigest()
    ids = sequence_ids if sequence_ids is not None else [f"seq{i}" for i in range(N)]
    if len(ids) != N:
        raise InputError(f"sequence_ids has {len(ids)} entries for {N} sequences.")
    with output_lock(out):
        # a checkpoint of this very run is resumed even with overwrite; one of another run is discarded
        check_overwrite(out, overwrite, what="out", partial=False)
        remove_orphans(out)  # temporaries of a killed run (we hold the lock)
        remove_orphans(partial)
        if os.path.exists(partial):
            try:
                with h5py.File(partial, "r") as f:
                    same = f.attrs.get("config_hash") == digest
            except (OSError, KeyError):
                log.warning("%s is unreadable (a run killed while creating it); starting again", partial)
                os.unlink(partial)
                same = True
            if not same and overwrite:
                log.info("discarding %s, left by a run with other sequences or options", partial)
                os.unlink(partial)
                shutil.rmtree(chunk_dir, ignore_errors=True)
            elif not same:
                raise InputError(
                    f"{partial} is left from a run with other sequences or options; rerun with --overwrite "
                    f"(overwrite=True) to discard it, or choose another output."
                )
        if not os.path.exists(partial):
            if os.path.isdir(chunk_dir):  # chunks without their header: from another run
                shutil.rmtree(chunk_dir)
            _write_header(partial, x, ids, index, method, options, digest, int(chunk_size))
        os.makedirs(chunk_dir, exist_ok=True)
        done = np.array([_chunk_ok(chunk_dir, i, s, e, L, digest) for i, (s, e) in enumerate(chunks)], dtype=bool)
        bar = progress_bar(total=len(chunks), desc=method, unit="chunk", disable=None if show_progress else True)
        bar.update(int(done.sum()))
        if client is not None:  # every chunk a Dask task; it ends as the same chunk file
    
            try:
                attribute_chunks(client, model, method, x, options,
                                 [(i, s, e) for i, (s, e) in enumerate(chunks) if not done[i]],
                                 chunk_dir=chunk_dir, digest=digest, bar=bar)
            finally:
                bar.close()
        for i, (s, e) in enumerate(chunks):
            if done[i] or client is not None:
                continue
            c, hyp = _run(method, model, x[s:e], options, s)
            _write_chunk(chunk_dir, i, s, e, c, hyp, digest)
            bar.update(1)
        bar.close()
        _assemble(partial, chunk_dir, out, chunks, L, digest)
        os.unlink(partial)
        shutil.rmtree(chunk_dir, ignore_errors=True)
    return out


def _storage_rows(chunk_size: int, L: int, limit: int = 4 << 20) -> int:
    """Rows per HDF5 storage chunk: the largest divisor of ``chunk_size`` whose chunk stays under
    ``limit`` bytes of float32 (L, 4) rows, so no storage chunk spans two work chunks."""
    best = 1
    for d in range(1, chunk_size + 1):
        if chunk_size % d == 0 and d * L * 16 <= limit:
            best = d
    return best


def _write_header(partial, x, ids, index, method, options, digest, chunk_size) -> None:
    """``<out>.partial``: the run's identity and inputs, written once, atomically."""
    import h5py

    from .._io import atomic_path

    N, L, _ = x.shape
    rows = min(N, _storage_rows(chunk_size, L))
    with atomic_path(partial, lock=False) as tmp, h5py.File(tmp, "w") as f:
        f.attrs.update(kgenint_format="attributions", format_version=1, method=method,
                       output=int(options.get("task", options.get("output", 0))), config_hash=digest, chunk_size=chunk_size,
                       params=json.dumps({k: (f"array{tuple(v.shape)}" if isinstance(v, np.ndarray) else v)
                                          for k, v in options.items()}, sort_keys=True, default=str))
        f.create_dataset("x", data=x, compression="gzip", chunks=(rows, L, 4))
        f.create_dataset("sequence_ids", data=np.array(ids, dtype=object), dtype=h5py.string_dtype())
        if index is not None:
            f.create_dataset("index", data=np.asarray(index, dtype=np.int64))
        # nothing is finished in a .partial: readers refuse it, resume looks at the chunk files
        f.create_dataset("done", data=np.zeros(-(-N // chunk_size), dtype=bool))


def _chunk_name(chunk_dir: str, i: int) -> str:
    return os.path.join(chunk_dir, f"{i:07d}.h5")


def _sha(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        if a is not None:
            h.update(np.ascontiguousarray(a, dtype=np.float32).tobytes())
    return h.hexdigest()


def _write_chunk(chunk_dir, i, s, e, c, hyp, digest) -> None:
    """One finished work chunk as its own file: written, fsynced, checked and renamed into place,
    so it is either absent or complete whatever instant the process is killed at."""
    import h5py

    from .._io import atomic_path

    def check(p):
        if not _chunk_ok_file(p, s, e, c.shape[1], digest):
            raise InputError(f"{p}: the chunk just written does not read back identically (disk problem?).")

    with atomic_path(_chunk_name(chunk_dir, i), lock=False, check=check) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs.update(start=s, end=e, config_hash=digest, sha256=_sha(c, hyp))
            f.create_dataset("contributions", data=np.asarray(c, np.float32))
            if hyp is not None:
                f.create_dataset("hypothetical", data=np.asarray(hyp, np.float32))


def _chunk_ok_file(p, s, e, L, digest) -> bool:
    import h5py

    try:
        with h5py.File(p, "r") as f:
            if (int(f.attrs["start"]), int(f.attrs["end"])) != (s, e) or f.attrs["config_hash"] != digest:
                return False
            c = f["contributions"][()]
            hyp = f["hypothetical"][()] if "hypothetical" in f else None
            if c.shape != (e - s, L, 4) or (hyp is not None and hyp.shape != c.shape):
                return False
            return f.attrs["sha256"] == _sha(c, hyp)
    except Exception:  # noqa: BLE001 - any unreadable chunk is simply redone
        return False


def _chunk_ok(chunk_dir, i, s, e, L, digest) -> bool:
    """Whether work chunk ``i`` is finished and reads back intact; a damaged one is removed (redone)."""
    p = _chunk_name(chunk_dir, i)
    if not os.path.exists(p):
        return False
    if _chunk_ok_file(p, s, e, L, digest):
        return True
    log.warning("%s: finished chunk %d (sequences %d-%d) is unreadable or damaged; computing it again", p, i, s, e)
    os.unlink(p)
    return False


def _assemble(partial, chunk_dir, out, chunks, L, digest) -> None:
    """Write ``out`` from the header and the chunk files; verify it before the rename."""
    import h5py

    from .._io import atomic_path

    with h5py.File(partial, "r") as src:
        chunk_size = int(src.attrs["chunk_size"])
        N = src["x"].shape[0]
        rows = min(N, _storage_rows(chunk_size, L))
        with atomic_path(out, lock=False, check=lambda p: _verify(p, chunk_dir, chunks)) as tmp:
            with h5py.File(tmp, "w") as f:
                for k, v in src.attrs.items():
                    f.attrs[k] = v
                for k in ("x", "sequence_ids", "index"):
                    if k in src:
                        src.copy(src[k], f, name=k)
                with h5py.File(_chunk_name(chunk_dir, 0), "r") as c0:
                    has_hyp = "hypothetical" in c0
                names = ("contributions", "hypothetical") if has_hyp else ("contributions",)
                for k in names:
                    f.create_dataset(k, shape=(N, L, 4), dtype="f4", chunks=(rows, L, 4), compression="gzip")
                for i, (s, e) in enumerate(chunks):
                    with h5py.File(_chunk_name(chunk_dir, i), "r") as c:
                        for k in names:
                            f[k][s:e] = c[k][()]
                f.create_dataset("done", data=np.ones(len(chunks), dtype=bool))


def _verify(path, chunk_dir, chunks) -> None:
    """Re-open a finished attribution file and compare every chunk with its checksum."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            if not f["done"][()].all() or len(f["done"]) != len(chunks):
                raise InputError(f"{path}: done flags are incomplete")
            for i, (s, e) in enumerate(chunks):
                c = f["contributions"][s:e]
                hyp = f["hypothetical"][s:e] if "hypothetical" in f else None
                with h5py.File(_chunk_name(chunk_dir, i), "r") as cf:
                    want = cf.attrs["sha256"]
                if _sha(c, hyp) != want:
                    raise InputError(f"{path}: chunk {i} does not match its checkpoint")
            f["x"][()]
    except OSError as err:
        raise InputError(f"{path}: the assembled file does not read back ({err}); the checkpoint is kept, "
                         f"run the same command again.") from None


def load_attributions(path: str | os.PathLike) -> dict:
    """Read an attribution file: dict with ``x``, ``contributions``, optional ``hypothetical``,
    ``sequence_ids``, ``index``, ``method``, ``params``."""
    import h5py

    path = os.fspath(path)
    from .._io_inputs import check_attribution_file

    check_attribution_file(path)
    try:
        with h5py.File(path, "r") as f:
            d = {k: f[k][()] for k in ("x", "contributions")}
            d["hypothetical"] = f["hypothetical"][()] if "hypothetical" in f else None
            d["sequence_ids"] = [v.decode() if isinstance(v, bytes) else str(v) for v in f["sequence_ids"][()]]
            d["index"] = f["index"][()] if "index" in f else None
            d["method"] = str(f.attrs["method"])
            d["params"] = json.loads(f.attrs["params"])
    except (OSError, KeyError, ValueError, RuntimeError, TypeError) as err:
        raise InputError(f"{path}: the attribution file is damaged ({err}); run 'kgenint attribute' again "
                         f"with --overwrite.") from None
    return d


# ------------------------------------------------------------------ Dask tasks (client=)
def _attribute_task(model_ref, method, x, options, i, s, e, chunk_dir, digest):
    from .._dask import _rewrap, resolve_model

    try:
        model = resolve_model(model_ref)
        c, hyp = _run(method, model, x, dict(options), s)
        if chunk_dir is not None and os.path.isdir(chunk_dir):  # a shared file system: write it here
            _write_chunk(chunk_dir, i, s, e, c, hyp, digest)
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
    import warnings

    from .._dask import _collect, _ship

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
            _write_chunk(chunk_dir, i, s, e, c, hyp, digest)
        elif chunk_dir is None:
            out[i] = (c, hyp)
        if bar is not None:
            bar.update(1)

    _collect(client, futures, store)
    return out
