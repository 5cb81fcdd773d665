"""Shared pieces of the training-HDF5 writers (:mod:`kgenint.data.build`,
:mod:`kgenint.data.build_fasta`): format constants, the :class:`DataSummary` result, argument
checks, the atomic HDF5 writer, the chunked ``/x`` appender, the train/valid/test splits and the
common attributes/datasets every file carries.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np

from .._version import __version__
from ..errors import InputError

__all__ = ["DataSummary", "chrom_split", "random_split", "FORMAT", "FORMAT_VERSION", "ORIGINS"]

log = logging.getLogger("kgenint")

FORMAT = "kgenint.data"
FORMAT_VERSION = 1
ORIGINS = ("peak", "genomic", "shuffle")


class DataSummary(NamedTuple):
    """What :func:`build_from_peaks` / :func:`build_from_fasta` wrote."""

    path: str  #: the HDF5 file
    n: int  #: rows written
    n_positive: int  #: rows with at least one positive class label (or from the positive FASTA)
    n_negative: int  #: negative rows (genomic, shuffled or from the negative FASTA)
    length: int  #: window length L (bp)
    tasks: list[str]  #: class task names (columns of /y/class)
    targets: list[str]  #: continuous target names (columns of /y/continuous)
    split_sizes: dict[str, int]  #: rows in train/valid/test
    skipped: dict[str, int]  #: windows left out, by reason (``too_many_n``, ``chrom_edge``, ``blacklist``)


# ---------------------------------------------------------------------------- helpers
def _check_length(length: Any) -> int:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise InputError(f"length must be a positive number of bp. Received: length={length!r}")
    return int(length)


def _check_fraction(v: Any, name: str, hi: float = 1.0) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number. Received: {name}={v!r}") from None
    if not 0.0 <= f <= hi:
        raise InputError(f"{name} must be in [0, {hi}]. Received: {name}={v!r}")
    return f


@contextlib.contextmanager
def _atomic_h5(path: str, overwrite: bool) -> Iterator[Any]:
    import h5py

    path = os.fspath(path)
    if os.path.exists(path) and not overwrite:
        raise InputError(f"--out {path} exists; choose another name or pass --overwrite (overwrite=True).")
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d):
        raise InputError(f"Cannot write {path}: the directory {d} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp.h5", dir=d)
    os.close(fd)
    um = os.umask(0)
    os.umask(um)
    os.chmod(tmp, 0o666 & ~um)
    try:
        with h5py.File(tmp, "w") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class _XWriter:
    """Appends one-hot chunks to a resizable, chunked, gzip ``/x``."""

    def __init__(self, f: Any, length: int):
        rows = max(1, 2**20 // (length * 4))
        self.ds = f.create_dataset("x", shape=(0, length, 4), maxshape=(None, length, 4), dtype=np.uint8,
                                   chunks=(rows, length, 4), compression="gzip", compression_opts=1, shuffle=True)
        self.ds.attrs["alphabet"] = "ACGT"
        self.n = 0

    def append(self, x: np.ndarray) -> None:
        k = x.shape[0]
        if k == 0:
            return
        self.ds.resize(self.n + k, axis=0)
        self.ds[self.n : self.n + k] = x
        self.n += k


def random_split(n: int, *, valid_fraction: float = 0.1, test_fraction: float = 0.1,
                 seed: Any = 0) -> dict[str, np.ndarray]:
    """Seeded random split of ``n`` rows into train/valid/test (sorted int64 index arrays)."""
    perm = np.random.default_rng(seed).permutation(n)
    nv = int(round(valid_fraction * n))
    nt = int(round(test_fraction * n))
    if valid_fraction > 0 and n >= 3:
        nv = max(nv, 1)
    return {"valid": np.sort(perm[:nv]), "test": np.sort(perm[nv : nv + nt]), "train": np.sort(perm[nv + nt :])}


def chrom_split(chroms: Sequence[str], *, test_chroms: Sequence[str] = (), valid_chroms: Sequence[str] = (),
                valid_fraction: float = 0.1, seed: Any = 0) -> dict[str, np.ndarray]:
    """Split rows by held-out chromosomes.

    Rows on ``test_chroms`` form the test split and rows on ``valid_chroms`` the validation split;
    without ``valid_chroms`` a seeded random ``valid_fraction`` of the remaining rows is held out
    for validation. Everything else is training.

    Parameters
    ----------
    chroms : sequence of str, length N
        Chromosome of each row.
    test_chroms, valid_chroms : sequence of str
        Held-out chromosomes (disjoint).
    valid_fraction : float
    seed : int or numpy.random.Generator

    Returns
    -------
    dict of str to int64 ndarray
        ``train``, ``valid``, ``test`` row indices, sorted.
    """
    both = set(test_chroms) & set(valid_chroms)
    if both:
        raise InputError(f"chromosome(s) {', '.join(sorted(both))} are in both --test-chroms and --valid-chroms.")
    ch = np.asarray(list(chroms), dtype=object)
    test = np.isin(ch, list(test_chroms)) if len(test_chroms) else np.zeros(ch.size, bool)
    valid = np.isin(ch, list(valid_chroms)) if len(valid_chroms) else np.zeros(ch.size, bool)
    rest = np.flatnonzero(~test & ~valid)
    if not len(valid_chroms):
        r = random_split(rest.size, valid_fraction=valid_fraction, test_fraction=0.0, seed=seed)
        valid[rest[r["valid"]]] = True
    return {"train": np.flatnonzero(~test & ~valid), "valid": np.flatnonzero(valid), "test": np.flatnonzero(test)}


def _parse_chroms(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [c.strip() for c in v.split(",") if c.strip()]
    return [str(c) for c in v]


def _write_common(f: Any, *, length: int, split: dict[str, np.ndarray], ids: list[str], source: dict) -> None:
    import h5py

    f.attrs["format"] = FORMAT
    f.attrs["format_version"] = FORMAT_VERSION
    f.attrs["kgenint_version"] = __version__
    f.attrs["length"] = int(length)
    f.attrs["n"] = len(ids)
    f.attrs["source"] = json.dumps(source)
    s = f.create_group("split")
    for k in ("train", "valid", "test"):
        s.create_dataset(k, data=np.asarray(split[k], dtype=np.int64))
    f.create_dataset("sequence_ids", data=np.asarray(ids, dtype=object), dtype=h5py.string_dtype("utf-8"))


def _log_split(split: dict[str, np.ndarray], y: np.ndarray | None) -> None:
    parts = []
    for k in ("train", "valid", "test"):
        idx = split[k]
        pos = f", {int((y[idx].max(axis=1) > 0).sum())} positive" if y is not None and idx.size else ""
        parts.append(f"{k} {idx.size}{pos}")
    log.info("split: %s", "; ".join(parts))




def _write_intervals(f: Any, chrom: list[str], start: np.ndarray, L: int, strand: list[str],
                     origin: np.ndarray) -> None:
    import h5py

    gi = f.create_group("intervals")
    s = h5py.string_dtype("utf-8")
    gi.create_dataset("chrom", data=np.asarray(chrom, dtype=object), dtype=s)
    gi.create_dataset("start", data=start)
    gi.create_dataset("end", data=start + L)
    gi.create_dataset("strand", data=np.asarray(strand, dtype=object), dtype=s)
    d = gi.create_dataset("origin", data=origin)
    d.attrs["codes"] = json.dumps(dict(enumerate(ORIGINS)))

