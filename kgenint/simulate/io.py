"""HDF5 files of simulated data sets (layout in :mod:`kgenint.simulate` and docs/simulate.md)."""
from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator

import h5py
import numpy as np

from .._version import __version__
from ..errors import FormatError, InputError
from .config import SimulationConfig
from .data import SimulatedData
from .truth import GroundTruth, read_truth, write_truth

__all__ = ["save", "load", "load_truth", "FORMAT", "FORMAT_VERSION", "GENERATOR_VERSION"]

FORMAT = "kgenint.simulate"
FORMAT_VERSION = 1
#: Version of the simulated data a (config, n, seed) gives, written as the root attribute
#: ``generator_version`` of simulated files (files without it are version 1). Bumped by every
#: change of the generator that changes its output. 2: the match and site thresholds and the
#: p-values come from the motif scanner's exact engine (1/1000 bit, exact real-score
#: thresholds); 1 used its own 1/100-bit score distribution.
GENERATOR_VERSION = 2
_STR = h5py.string_dtype("utf-8")


@contextlib.contextmanager
def _atomic_h5(path: str | os.PathLike, overwrite: bool = True) -> Iterator[h5py.File]:
    """Open a temporary HDF5 file next to ``path``; rename it over ``path`` on success."""
    from .._io import atomic_path, check_hdf5

    with atomic_path(path, overwrite=overwrite, check=check_hdf5) as tmp:
        with h5py.File(tmp, "w") as f:
            yield f


def write_arrays_header(f: h5py.File, n: int, length: int, x_dtype: str, config: SimulationConfig | None,
                        seed: int | None) -> h5py.Dataset:
    """Root attributes and an empty chunked ``/x``; returns the ``/x`` dataset."""
    f.attrs["format"] = FORMAT
    f.attrs["format_version"] = FORMAT_VERSION
    f.attrs["kgenint_version"] = __version__
    if seed is not None:
        f.attrs["seed"] = int(seed)
    if config is not None:
        f.attrs["generator_version"] = GENERATOR_VERSION
        f.attrs["preset"] = config.preset
        f.attrs["config"] = config.to_json()
    f.attrs["n"] = int(n)
    f.attrs["length"] = int(length)
    dx = f.create_dataset(
        "x", shape=(n, length, 4), dtype=np.dtype(x_dtype),
        chunks=(max(1, min(n, max(1, 2**20 // (length * 4)))), length, 4), compression="gzip",
        compression_opts=1, shuffle=True,
    )
    dx.attrs["alphabet"] = "ACGT"
    return dx


def write_labels_and_truth(f: h5py.File, y_class, y_reg, split, sequence_ids, truth: GroundTruth | None) -> None:
    """``/y``, ``/split``, ``/sequence_ids`` and ``/truth``."""
    g = f.create_group("y")
    if y_class is not None:
        g.create_dataset("class", data=np.asarray(y_class, dtype=np.uint8))
    if y_reg is not None:
        g.create_dataset("continuous", data=np.asarray(y_reg, dtype=np.float32))
    if split is not None:
        s = f.create_group("split")
        for k in ("train", "valid", "test"):
            s.create_dataset(k, data=np.asarray(split[k], dtype=np.int64))
    f.create_dataset("sequence_ids", data=np.asarray(sequence_ids, dtype=object), dtype=_STR)
    if truth is not None:
        write_truth(f.create_group("truth"), truth)


# --------------------------------------------------------------------------- public
def save(data: Any, path: str | os.PathLike, *, x_dtype: str = "uint8") -> None:
    """Write a :class:`~kgenint.simulate.SimulatedData` to HDF5, atomically.

    Parameters
    ----------
    data : SimulatedData
    path : str or PathLike
    x_dtype : str
        ``"uint8"`` (default) or ``"float32"`` storage of ``/x``.
    """
    if not isinstance(data, SimulatedData):
        raise InputError(f"save() expects SimulatedData. Received {type(data).__name__}.")
    if x_dtype not in ("uint8", "float32"):
        raise InputError(f"x_dtype must be 'uint8' or 'float32'. Received {x_dtype!r}.")
    n, L = data.x.shape[:2]
    with _atomic_h5(path) as f:
        cfg = data.truth.config if data.truth is not None else None
        dx = write_arrays_header(f, n, L, x_dtype, cfg, data.seed)
        step = max(1, 2**22 // (L * 4))
        for i in range(0, n, step):
            dx[i : i + step] = data.x[i : i + step].astype(x_dtype)
        write_labels_and_truth(f, data.y_class, data.y_reg, data.split, data.sequence_ids, data.truth)


def _open(path: str | os.PathLike) -> h5py.File:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: {path}")
    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise FormatError(f"not a readable HDF5 file ({err}).", path=path) from None


def load(path: str | os.PathLike, *, truth: bool = True) -> Any:
    """Read a simulated data set, or a user's own HDF5 file with ``/x`` and ``/y``.

    Parameters
    ----------
    path : str or PathLike
    truth : bool
        Also read ``/truth`` when present.

    Returns
    -------
    SimulatedData
        ``x`` float32 (N, L, 4).  For a user's file: ``/y`` may be a dataset (integer or 0/1
        values: ``y_class``; otherwise ``y_reg``; a 1-D array becomes (N, 1)) or a group with
        ``class`` / ``continuous``; ``split`` is None unless ``/split`` exists; missing
        ``/sequence_ids`` become ``seq_0 ...``.

    Raises
    ------
    FormatError
        No ``/x``, wrong shape, or labels whose length differs from ``/x``.
    """
    p = os.fspath(path)
    with _open(p) as f:
        if "x" not in f:
            raise FormatError("has no /x dataset (one-hot sequences of shape (N, L, 4)).", path=p)
        x = f["x"]
        if x.ndim != 3 or x.shape[2] != 4:
            raise FormatError(f"/x must have shape (N, L, 4); it has shape {x.shape}.", path=p)
        n = x.shape[0]
        xa = np.empty(x.shape, dtype=np.float32)
        step = max(1, 2**22 // max(1, x.shape[1] * 4))
        for i in range(0, n, step):
            xa[i : i + step] = x[i : i + step]
        y_class = y_reg = None
        if "y" in f:
            y = f["y"]
            if isinstance(y, h5py.Group):
                y_class = y["class"][()] if "class" in y else None
                y_reg = y["continuous"][()] if "continuous" in y else None
            else:
                arr = y[()]
                if arr.ndim == 1:
                    arr = arr[:, None]
                if arr.dtype.kind in "biu" or np.all(np.isin(arr, (0, 1))):
                    y_class = arr.astype(np.uint8)
                else:
                    y_reg = arr.astype(np.float32)
        for name, arr in (("class", y_class), ("continuous", y_reg)):
            if arr is not None and arr.shape[0] != n:
                raise FormatError(
                    f"/y ({name}) has {arr.shape[0]} rows but /x has {n} sequences.", path=p
                )
        split = None
        if "split" in f:
            split = {k: f["split"][k][()].astype(np.int64) for k in f["split"].keys()}
        if "sequence_ids" in f:
            ids = f["sequence_ids"].asstr()[()].astype(object)
        else:
            ids = np.array([f"seq_{i}" for i in range(n)], dtype=object)
        t = read_truth(f["truth"]) if truth and "truth" in f else None
        seed = int(f.attrs["seed"]) if "seed" in f.attrs else None
        preset = str(f.attrs["preset"]) if "preset" in f.attrs else None
    return SimulatedData(x=xa, y_class=y_class, y_reg=y_reg, split=split, sequence_ids=ids,
                         truth=t, seed=seed, preset=preset)


def load_truth(path: str | os.PathLike) -> GroundTruth:
    """Read only the :class:`GroundTruth` of a simulated data set (no sequences).

    Raises
    ------
    FormatError
        The file has no ``/truth`` group (not written by ``kgenint simulate``).
    """
    p = os.fspath(path)
    with _open(p) as f:
        if "truth" not in f:
            raise FormatError(
                "has no /truth group: it was not written by kgenint simulate (or was saved "
                "without its ground truth).", path=p,
            )
        ver = int(f.attrs.get("format_version", 1))
        if ver > FORMAT_VERSION:
            raise FormatError(
                f"format_version {ver} is newer than this kgenint understands ({FORMAT_VERSION}); "
                f"upgrade kgenint.", path=p,
            )
        return read_truth(f["truth"])
