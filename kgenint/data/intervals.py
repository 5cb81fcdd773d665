"""BED / narrowPeak intervals: parsing, validation and overlap queries.

Coordinates are 0-based and half-open, as in BED. A narrowPeak file is BED6+4 whose tenth
column is the summit offset from ``start`` (``-1`` when unknown). Every error names the file and
the line.
"""
from __future__ import annotations

import gzip
import os
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..errors import FormatError, InputError

__all__ = ["Intervals", "read_bed", "IntervalIndex"]


@dataclass
class Intervals:
    """Intervals read from one BED / narrowPeak file, in file order.

    Attributes
    ----------
    chrom : list of str, length M
    start, end : int64 (M,)
        0-based, half-open.
    summit : int64 (M,)
        Absolute summit position (narrowPeak column 10 + start); ``-1`` where the file gives none.
    strand : list of str, length M
        ``+``, ``-`` or ``.`` (column 6; ``.`` when absent).
    line : int64 (M,)
        1-based line number of each interval in ``path`` (for messages).
    path : str
    """

    chrom: list[str]
    start: np.ndarray
    end: np.ndarray
    summit: np.ndarray
    strand: list[str]
    line: np.ndarray
    path: str = ""
    narrowpeak: bool = False

    def __len__(self) -> int:
        return len(self.chrom)

    def centres(self) -> np.ndarray:
        """Summit where known, else the interval centre ``(start + end) // 2``; int64 (M,)."""
        c = (self.start + self.end) // 2
        return np.where(self.summit >= 0, self.summit, c)

    def check_chroms(self, sizes: Mapping[str, int], genome_path: str = "the genome") -> None:
        """Raise when a chromosome is missing from ``sizes`` or an interval runs past its end.

        Raises
        ------
        FormatError
            Names this file and the line of the first offending interval.
        """
        for i, c in enumerate(self.chrom):
            if c not in sizes:
                near = [k for k in sizes if k.lower().removeprefix("chr") == c.lower().removeprefix("chr")]
                hint = f" (the genome has {near[0]!r}: rename the chromosomes so they agree)" if near else (
                    f" (the genome has {len(sizes)} sequences, e.g. {', '.join(list(sizes)[:3])})")
                raise FormatError(f"chromosome {c!r} is not in {genome_path}{hint}.",
                                  path=self.path, line=int(self.line[i]))
            if self.end[i] > sizes[c]:
                raise FormatError(
                    f"interval {c}:{self.start[i]}-{self.end[i]} runs past the end of {c} "
                    f"({sizes[c]} bp in {genome_path}). Is the file for another genome assembly?",
                    path=self.path, line=int(self.line[i]))


def _open_text(path: str):
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def read_bed(path: str | os.PathLike, *, what: str = "--peaks", require_sorted: bool = True) -> Intervals:
    """Read a BED (3 or more columns) or narrowPeak file (plain or gzip).

    ``track``, ``browser`` and ``#`` lines and blank lines are skipped. Fields are split on
    tabs (BED's separator); a file with spaces instead of tabs is reported as malformed.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    what : str
        Option name used in messages (``--peaks``, ``--blacklist``).
    require_sorted : bool
        Require intervals grouped by chromosome and sorted by start within each (``sort -k1,1
        -k2,2n``), so files stream in genome order.

    Returns
    -------
    Intervals

    Raises
    ------
    FormatError
        Fewer than 3 fields, non-integer or negative coordinates, ``end <= start``, a narrowPeak
        summit outside its interval, a bad strand, unsorted intervals, an empty file; the
        message names the file and the line.
    """
    p = os.fspath(path)
    if not os.path.exists(p):
        raise InputError(f"{what} {p}: no such file. Check the path (relative paths start at {os.getcwd()}).")
    chrom: list[str] = []
    start: list[int] = []
    end: list[int] = []
    summit: list[int] = []
    strand: list[str] = []
    lines: list[int] = []
    seen_chrom: dict[str, int] = {}
    prev_chrom, prev_start = None, -1
    narrow = p.lower().removesuffix(".gz").endswith(("narrowpeak", ".np"))
    with _open_text(p) as fh:
        for ln, raw in enumerate(fh, start=1):
            s = raw.rstrip("\r\n")
            if not s.strip() or s.startswith(("#", "track", "browser")):
                continue
            f = s.split("\t")
            if len(f) < 3:
                extra = " (fields must be separated by tabs, not spaces)" if len(s.split()) >= 3 else ""
                raise FormatError(f"a BED line needs at least 3 tab-separated fields (chrom, start, end); "
                                  f"found {len(f)}{extra}.", path=p, line=ln)
            c = f[0].strip()
            try:
                a, b = int(f[1]), int(f[2])
            except ValueError:
                hint = " (a header line? start it with '#')" if not chrom else ""
                raise FormatError(f"start and end must be integers; found {f[1]!r} and {f[2]!r}{hint}.",
                                  path=p, line=ln) from None
            if a < 0 or b <= a:
                raise FormatError(f"interval {c}:{a}-{b} is invalid: BED needs 0 <= start < end.",
                                  path=p, line=ln)
            st = "."
            if len(f) >= 6:
                st = f[5].strip() or "."
                if st not in ("+", "-", "."):
                    raise FormatError(f"strand (column 6) must be '+', '-' or '.'; found {f[5]!r}.",
                                      path=p, line=ln)
            sm = -1
            if len(f) >= 10 and (narrow or len(f) == 10):
                try:
                    off = int(f[9])
                except ValueError:
                    raise FormatError(f"narrowPeak summit (column 10) must be an integer; found {f[9]!r}.",
                                      path=p, line=ln) from None
                if off != -1:
                    if not 0 <= off < b - a:
                        raise FormatError(f"narrowPeak summit offset {off} (column 10) is outside the "
                                          f"{b - a}-bp interval {c}:{a}-{b}.", path=p, line=ln)
                    sm = a + off
                narrow = True
            if require_sorted:
                if c != prev_chrom:
                    if c in seen_chrom:
                        raise FormatError(
                            f"the file is not sorted: chromosome {c!r} appears again after other "
                            f"chromosomes (first on line {seen_chrom[c]}). Sort it with "
                            f"'sort -k1,1 -k2,2n {os.path.basename(p)}'.", path=p, line=ln)
                    seen_chrom[c] = ln
                    prev_chrom, prev_start = c, -1
                if a < prev_start:
                    raise FormatError(
                        f"the file is not sorted: start {a} comes after start {prev_start} on {c}. "
                        f"Sort it with 'sort -k1,1 -k2,2n {os.path.basename(p)}'.", path=p, line=ln)
                prev_start = a
            chrom.append(c)
            start.append(a)
            end.append(b)
            summit.append(sm)
            strand.append(st)
            lines.append(ln)
    if not chrom:
        raise FormatError("the file holds no intervals.", path=p)
    return Intervals(chrom=chrom, start=np.asarray(start, np.int64), end=np.asarray(end, np.int64),
                     summit=np.asarray(summit, np.int64), strand=strand, line=np.asarray(lines, np.int64),
                     path=p, narrowpeak=narrow)


@dataclass
class IntervalIndex:
    """Merged, sorted intervals per chromosome for fast overlap tests.

    Built from any number of :class:`Intervals` (``None`` is skipped); ``overlaps(chrom, start, end)`` answers with
    two binary searches (memory is two int64 arrays per chromosome).
    """

    starts: dict[str, np.ndarray] = field(default_factory=dict)
    ends: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_intervals(cls, *sets: Intervals | None) -> "IntervalIndex":
        by: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        for iv in sets:
            if iv is None or len(iv) == 0:
                continue
            ch = np.asarray(iv.chrom, dtype=object)
            for c in dict.fromkeys(iv.chrom):
                m = ch == c
                by.setdefault(c, []).append((iv.start[m], iv.end[m]))
        out = cls()
        for c, parts in by.items():
            s = np.concatenate([a for a, _ in parts])
            e = np.concatenate([b for _, b in parts])
            o = np.argsort(s, kind="stable")
            s, e = s[o], e[o]
            # merge overlapping or touching intervals
            run_end = np.maximum.accumulate(e)
            new = np.ones(s.size, dtype=bool)
            new[1:] = s[1:] > run_end[:-1]
            grp = np.cumsum(new) - 1
            ms = s[new]
            me = np.zeros(ms.size, dtype=np.int64)
            np.maximum.at(me, grp, e)
            out.starts[c], out.ends[c] = ms, me
        return out

    def overlaps(self, chrom: str, start: np.ndarray | int, end: np.ndarray | int) -> np.ndarray:
        """Whether each half-open ``[start, end)`` on ``chrom`` overlaps any indexed interval."""
        s = np.atleast_1d(np.asarray(start, dtype=np.int64))
        e = np.atleast_1d(np.asarray(end, dtype=np.int64))
        if chrom not in self.starts:
            return np.zeros(s.shape, dtype=bool)
        ms, me = self.starts[chrom], self.ends[chrom]
        # the last merged interval starting before `end`; it overlaps iff its end > start
        k = np.searchsorted(ms, e, side="left") - 1
        ok = k >= 0
        out = np.zeros(s.shape, dtype=bool)
        out[ok] = me[k[ok]] > s[ok]
        return out

    def covered(self, chrom: str) -> int:
        """Base pairs of ``chrom`` covered by the index."""
        if chrom not in self.starts:
            return 0
        return int((self.ends[chrom] - self.starts[chrom]).sum())
