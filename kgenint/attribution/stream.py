"""Run any attribution method over large inputs in chunks to a resumable HDF5 file.

HDF5 layout (``kgenint_format = "attributions"``, ``format_version`` 1), written to
``<out>.partial`` while running and renamed to ``<out>`` when complete:

* attrs: ``method``, ``output``, ``params`` (JSON), ``config_hash``, ``chunk_size``;
* ``x`` (N, L, 4) float32 one-hot sequences; ``sequence_ids`` (N,) str; ``index`` (N,) int64
  (rows of the source data set, when taken from one);
* ``contributions`` (N, L, 4) float32; ``hypothetical`` (N, L, 4) float32 (DeepSHAP with
  ``hypothetical=True``; contributions are then ``hypothetical * x``);
* ``done`` (n_chunks,) bool: finished chunks. An interrupted run started again with the same
  arguments skips them.

This is the input the ``kgenint seqlets`` command reads.
"""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import numpy as np

from .._validate import check_onehot
from ..errors import InputError

__all__ = ["attribute", "METHODS", "load_attributions"]

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
              chunk_size: int = 256, sequence_ids=None, index=None, show_progress: bool = True,
              **options: Any):
    """Attributions of ``x`` by ``method``, chunk by chunk, optionally to a resumable HDF5 file.

    Parameters
    ----------
    model : keras.Model or PredictFn
    x : float32 (N, L, 4)
    method : str
        One of ``deepshap, saliency, smoothgrad, gradient_x_input, integrated_gradients, lrp,
        ism, shap``.
    out : path, optional
        HDF5 output (layout in the module docstring). Without it the arrays are returned.
    chunk_size : int
        Sequences per chunk (the unit of resumption).
    sequence_ids : list of str, optional
    index : int array (N,), optional
        Rows of a source data set, stored for provenance.
    **options
        Passed to the method (``head``, ``task``, ``logits``, ``references``, ``n_references``,
        ``seed``, ``steps`` ...). Shuffle references of deepshap and integrated_gradients are
        drawn per sequence from its global index, so results do not depend on ``chunk_size``.

    Returns
    -------
    (contributions, hypothetical or None) float32 (N, L, 4) when ``out`` is None, else the
    path written.
    """
    from ..progress import progress

    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}. Received: method={method!r}")
    x = check_onehot(x, "x")
    N, L, _ = x.shape
    if int(chunk_size) < 1:
        raise InputError(f"chunk_size must be >= 1. Received: chunk_size={chunk_size}")
    chunks = [(s, min(N, s + int(chunk_size))) for s in range(0, N, int(chunk_size))]
    if out is None:
        parts = [_run(method, model, x[s:e], options, s) for s, e in progress(chunks, desc=method, unit="chunk",
                                                                           disable=None if show_progress else True)]
        c = np.concatenate([p[0] for p in parts])
        h = None if parts[0][1] is None else np.concatenate([p[1] for p in parts])
        return c, h
    import h5py

    out = os.fspath(out)
    partial = out + ".partial"
    arrays = {k: v for k, v in options.items() if isinstance(v, np.ndarray)}
    scalars = {k: v for k, v in options.items() if k not in arrays}
    h = hashlib.sha256(json.dumps({"method": method, "options": scalars, "chunk": int(chunk_size)},
                                  sort_keys=True, default=str).encode())
    h.update(x.tobytes())
    for k in sorted(arrays):  # e.g. a background: identified by its bytes, not its printout
        h.update(k.encode())
        h.update(np.ascontiguousarray(arrays[k]).tobytes())
    digest = h.hexdigest()
    if os.path.exists(partial):
        with h5py.File(partial, "r") as f:
            if f.attrs.get("config_hash") != digest:
                raise InputError(
                    f"{partial} is left from a run with other sequences or options; remove it to start again."
                )
    else:
        with h5py.File(partial + ".tmp", "w") as f:
            f.attrs.update(kgenint_format="attributions", format_version=1, method=method,
                           output=int(options.get("task", options.get("output", 0))), config_hash=digest, chunk_size=int(chunk_size),
                           params=json.dumps({k: (f"array{tuple(v.shape)}" if isinstance(v, np.ndarray) else v)
                                              for k, v in options.items()}, sort_keys=True, default=str))
            f.create_dataset("x", data=x, compression="gzip", chunks=(min(N, 256), L, 4))
            ids = sequence_ids if sequence_ids is not None else [f"seq{i}" for i in range(N)]
            if len(ids) != N:
                raise InputError(f"sequence_ids has {len(ids)} entries for {N} sequences.")
            f.create_dataset("sequence_ids", data=np.array(ids, dtype=object), dtype=h5py.string_dtype())
            if index is not None:
                f.create_dataset("index", data=np.asarray(index, dtype=np.int64))
            f.create_dataset("contributions", shape=(N, L, 4), dtype="f4", chunks=(min(N, 256), L, 4), compression="gzip")
            f.create_dataset("done", shape=(len(chunks),), dtype=bool)
        os.replace(partial + ".tmp", partial)
    with h5py.File(partial, "r") as f:
        done = f["done"][()]
    bar = progress(total=len(chunks), desc=method, unit="chunk", disable=None if show_progress else True)
    bar.update(int(done.sum()))
    for i, (s, e) in enumerate(chunks):
        if done[i]:
            continue
        c, hyp = _run(method, model, x[s:e], options, s)
        with h5py.File(partial, "r+") as f:
            f["contributions"][s:e] = c
            if hyp is not None:
                if "hypothetical" not in f:
                    f.create_dataset("hypothetical", shape=(N, L, 4), dtype="f4", chunks=(min(N, 256), L, 4),
                                     compression="gzip")
                f["hypothetical"][s:e] = hyp
            f.flush()
            f["done"][i] = True
        bar.update(1)
    bar.close()
    os.replace(partial, out)
    return out


def load_attributions(path: str | os.PathLike) -> dict:
    """Read an attribution file: dict with ``x``, ``contributions``, optional ``hypothetical``,
    ``sequence_ids``, ``index``, ``method``, ``params``."""
    import h5py

    path = os.fspath(path)
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise InputError(f"{path}: cannot open as HDF5 ({err}).") from None
    with f:
        if f.attrs.get("kgenint_format") != "attributions":
            raise InputError(f"{path}: not a kgenint attribution file (run 'kgenint attribute').")
        if not f["done"][()].all():
            raise InputError(f"{path}: the attribution run did not finish; run the same command again to resume.")
        d = {k: f[k][()] for k in ("x", "contributions") }
        d["hypothetical"] = f["hypothetical"][()] if "hypothetical" in f else None
        d["sequence_ids"] = [v.decode() if isinstance(v, bytes) else str(v) for v in f["sequence_ids"][()]]
        d["index"] = f["index"][()] if "index" in f else None
        d["method"] = str(f.attrs["method"])
        d["params"] = json.loads(f.attrs["params"])
        return d
