"""Stop-and-resume for the adaptive in-silico scan (:func:`~kgenint.interactions.adaptive.scan_pairs_adaptive`).

The design is a deterministic function of the contrasts it has measured: given the same
arguments, backgrounds and motifs, a run asks for the same blocks of cells and backgrounds in the
same order. So a checkpoint is the ordered record of the finished blocks (each at most about
``CHUNK_CALLS`` model calls): the contrasts of its cells, their ``f(A, B)`` outputs in the screening
backgrounds (the classical contrast of the pair table), and the model calls it took. A resumed run
replays the design and takes every recorded block from the file instead of the model, so it makes
the same decisions and gives a bit-identical result; only the unfinished block is lost.

Each block is written data first, then a ``done`` flag, in one HDF5 group (``b000000``, ...); a
kill between the two leaves an unflagged group, which is redone. Every block also stores a
fingerprint of its cells and background range: if a replay ever asks for something else (it
cannot, unless the code changed), the record from there on is dropped with a warning and
recomputed, never mixed in.
"""
from __future__ import annotations

import hashlib
import os
import warnings

import numpy as np

from ..errors import InputError

__all__ = ["CHUNK_CALLS", "AdaptiveCheckpoint", "chunk_cells"]

#: model calls per recorded block (about 10 s of a small CNN on 2 CPU cores)
CHUNK_CALLS = 1 << 17


def chunk_cells(n_cells: int, n_backgrounds: int, variants: int, chunk_calls: int | None = None) -> int:
    """Cells per block so that a block takes at most ``chunk_calls`` (default :data:`CHUNK_CALLS`)
    model calls, at least one cell."""
    calls = CHUNK_CALLS if chunk_calls is None else int(chunk_calls)
    return max(1, min(int(n_cells), calls // max(1, int(n_backgrounds) * int(variants))))


def _fingerprint(cells: np.ndarray, n_lo: int, n_hi: int) -> str:
    h = hashlib.sha1(np.ascontiguousarray(cells, dtype=np.int64).tobytes())
    h.update(f"{int(n_lo)}:{int(n_hi)}".encode())
    return h.hexdigest()


class AdaptiveCheckpoint:
    """Ordered record of the finished blocks of one adaptive scan in an HDF5 file.

    Parameters
    ----------
    path : path
        The checkpoint file (created if absent).
    config_hash : str
        Hash of the scan's arguments, backgrounds and motifs: a file written by another scan is
        refused with an :class:`~kgenint.errors.InputError` that says how to start afresh.
    """

    def __init__(self, path: str | os.PathLike, config_hash: str):
        import h5py

        self.path = os.fspath(path)
        self.h5py = h5py
        self.config_hash = config_hash
        self.next_block = 0  # index of the next block the design asks for
        self.n_restored_calls = 0
        self.n_restored_blocks = 0
        self._past_end = False
        if os.path.exists(self.path):
            try:
                with h5py.File(self.path, "r") as h:
                    ok = h.attrs.get("config_hash") == config_hash and h.attrs.get("kind") == "adaptive"
            except OSError:
                ok = None
            if ok is None:
                warnings.warn(f"{self.path}: unreadable checkpoint (killed while writing?); starting the scan "
                              f"afresh.", stacklevel=3)
                os.remove(self.path)
            elif not ok:
                raise InputError(
                    f"{self.path}: this checkpoint belongs to a scan with other arguments, motifs or "
                    f"backgrounds; remove it, pass --overwrite, or choose another output path.")
        if not os.path.exists(self.path):
            from .._io import atomic_path

            with atomic_path(self.path, lock=False) as tmp, h5py.File(tmp, "w") as h:
                h.attrs["config_hash"] = config_hash
                h.attrs["kind"] = "adaptive"

    def n_blocks(self) -> int:
        """Finished blocks on file."""
        with self.h5py.File(self.path, "r") as h:
            return sum(1 for k in h if k.startswith("b") and bool(h[k].attrs.get("done", False)))

    def take(self, cells: np.ndarray, n_lo: int, n_hi: int):
        """The recorded block the design asks for next, or ``None`` (compute it, then :meth:`put`).

        Returns ``(contrasts float32 (M, n_hi - n_lo), f_ab float64 (M, n_hi - n_lo), n_calls)``.
        """
        i = self.next_block
        self.next_block += 1
        if self._past_end:  # blocks are recorded in order: after the first missing one, none follow
            return None
        name = f"b{i:06d}"
        try:
            with self.h5py.File(self.path, "r") as h:
                if name not in h or not bool(h[name].attrs.get("done", False)):
                    self._past_end = True
                    return None
                g = h[name]
                if g.attrs.get("fingerprint") != _fingerprint(cells, n_lo, n_hi):
                    stale = True
                else:
                    stale = False
                    out = (g["contrasts"][()], g["f_ab"][()], int(g.attrs["n_calls"]))
        except OSError:  # a block damaged by a kill: redo it and everything after it
            stale = True
        if stale:
            warnings.warn(f"{self.path}: block {i} does not match this run (code changed?); recomputing it and "
                          f"the blocks after it.", stacklevel=3)
            self._drop_from(i)
            self._past_end = True
            return None
        self.n_restored_calls += out[2]
        self.n_restored_blocks += 1
        return out

    def put(self, cells: np.ndarray, n_lo: int, n_hi: int, contrasts: np.ndarray, f_ab: np.ndarray,
            n_calls: int) -> None:
        """Record the block just computed (the one the last :meth:`take` returned ``None`` for)."""
        name = f"b{self.next_block - 1:06d}"
        with self.h5py.File(self.path, "r+") as h:
            if name in h:
                del h[name]
            g = h.create_group(name)
            g.create_dataset("contrasts", data=np.asarray(contrasts, dtype=np.float32))
            g.create_dataset("f_ab", data=np.asarray(f_ab, dtype=np.float64))
            g.attrs["fingerprint"] = _fingerprint(cells, n_lo, n_hi)
            g.attrs["n_calls"] = int(n_calls)
            h.flush()
            g.attrs["done"] = True  # flag last: a kill before it leaves the block to be redone

    def _drop_from(self, i: int) -> None:
        with self.h5py.File(self.path, "r+") as h:
            for k in [k for k in h if k.startswith("b") and int(k[1:]) >= i]:
                del h[k]

    def remove(self) -> None:
        """Delete the file (after the result is written)."""
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass
