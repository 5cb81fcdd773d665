"""Continuous targets from bigWig signal over genome windows (pyBigWig).

Bases the bigWig does not cover count as 0 signal, so ``mean`` is the sum over the window divided
by its length (the convention of coverage tracks; pyBigWig's own ``stats`` would average covered
bases only).
"""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from ..errors import InputError

__all__ = ["BigWig", "STATS"]

STATS = ("mean", "sum", "max")


class BigWig:
    """A bigWig file opened for window statistics.

    Parameters
    ----------
    path : str or os.PathLike
    stat : {"mean", "sum", "max"}
        Statistic of the per-base signal over each window (uncovered bases are 0).

    Raises
    ------
    InputError
        Missing file, not a bigWig, unknown ``stat``.
    """

    def __init__(self, path: str | os.PathLike, stat: str = "mean"):
        import pyBigWig

        p = os.fspath(path)
        if stat not in STATS:
            raise InputError(f"bigwig_stat must be one of {', '.join(STATS)}. Received: {stat!r}")
        if not os.path.exists(p):
            raise InputError(f"--bigwig {p}: no such file. Check the path (relative paths start at {os.getcwd()}).")
        try:
            bw = pyBigWig.open(p)
        except RuntimeError:
            bw = None
        if bw is None or not bw.isBigWig():
            raise InputError(f"--bigwig {p}: not a bigWig file (convert bedGraph with bedGraphToBigWig).")
        self._bw = bw
        self.path = p
        self.stat = stat
        self.sizes: dict[str, int] = {str(k): int(v) for k, v in bw.chroms().items()}

    def check_chroms(self, chroms: Sequence[str]) -> None:
        """Raise when a chromosome used by the windows is missing from the bigWig."""
        missing = [c for c in dict.fromkeys(chroms) if c not in self.sizes]
        if missing:
            raise InputError(f"--bigwig {self.path}: no chromosome {missing[0]!r} (it has "
                             f"{', '.join(list(self.sizes)[:5])}{' ...' if len(self.sizes) > 5 else ''}); "
                             f"the bigWig and the genome must use the same chromosome names.")

    def window(self, chrom: str, start: int, end: int) -> float:
        """The statistic over ``chrom[start:end]`` (0-based, half-open)."""
        e = min(int(end), self.sizes[chrom])
        v = np.zeros(int(end) - int(start), dtype=np.float64)
        if e > start:
            got = np.asarray(self._bw.values(chrom, int(start), e, numpy=True), dtype=np.float64)
            v[: got.size] = np.nan_to_num(got, nan=0.0)
        if self.stat == "mean":
            return float(v.mean())
        if self.stat == "sum":
            return float(v.sum())
        return float(v.max())

    def windows(self, chrom: Sequence[str], start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """float32 (K,): the statistic over each window."""
        return np.array([self.window(c, s, e) for c, s, e in zip(chrom, start, end)], dtype=np.float32)

    def close(self) -> None:
        self._bw.close()
