"""Hits of the motif scanner: the bounded best-hits heap, matched sites, q-values, the ``max_hits``
cut and the hit table.

Shared by the scan in this process (:meth:`kgenint.motifs.scan.MotifScanner.scan`) and the Dask
driver (:mod:`kgenint.motifs._scan_dask`), so that both give the same table.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._stats import bh_qvalues
from ._scan_input import HIT_COLUMNS

_COMP = np.frombuffer(b"TGCAN", dtype=np.uint8)
_LETTERS = np.frombuffer(b"ACGTN", dtype=np.uint8)


class TopHits:
    """The best ``n`` hits seen so far (smallest p-value; ties in output order: motif, sequence,
    start, strand), held in at most ~3 n rows: a bounded heap for ``scan(max_hits=n)``."""

    def __init__(self, n: int, n_str: int):
        self.n, self.n_str = int(n), int(n_str)
        self.parts: list[tuple] = []
        self.size = 0
        self._cut: float | None = None
        self.thresh: np.ndarray | None = None  # scan thresholds for the cut thresh_for
        self.thresh_for: float | None = None

    def add(self, seq, pos, ms, isc, score, pval, site) -> None:
        if seq.size:
            self.parts.append((seq, pos, ms, isc, score, pval, site))
            self.size += seq.size
        if self.size > 2 * self.n + 1024 or (self._cut is None and self.size >= self.n):
            self._prune()

    def cut(self) -> float | None:
        """The p-value a new hit must not exceed to enter (None until n hits are held)."""
        return self._cut

    def _prune(self) -> None:
        cols = [np.concatenate([p[i] for p in self.parts]) for i in range(7)] if self.parts else None
        if cols is None:
            return
        seq, pos, ms, isc, score, pval, site = cols
        order = np.lexsort((ms % self.n_str, pos, seq, ms // self.n_str, pval))[: self.n]
        self.parts = [tuple(c[order] for c in cols)]
        self.size = order.size
        if self.size >= self.n and self.n > 0:
            self._cut = float(pval[order].max())
        elif self.n == 0:
            self._cut = -1.0

    def result(self) -> tuple:
        self._prune()
        if not self.parts:
            e = np.zeros(0, dtype=np.int64)
            return e, e, e, e, np.zeros(0), np.zeros(0), np.zeros(0, dtype=object)
        return self.parts[0]


def matched_sites(codes, off, seq, pos, ms, widths, n_strands: int) -> np.ndarray:
    """The site of each hit read on its strand (object array of str); ``ms`` odd is the minus
    strand when ``n_strands`` is 2."""
    out = np.empty(seq.size, dtype=object)
    if seq.size == 0:
        return out
    w = widths[ms]
    minus = (ms % n_strands) == 1
    for wv in np.unique(w).tolist():
        sel = np.flatnonzero(w == wv)
        idx = (off[seq[sel]] + pos[sel])[:, None] + np.arange(wv)[None, :]
        c = codes[idx]
        letters = _LETTERS[c]
        mi = minus[sel]
        if mi.any():
            letters[mi] = _COMP[c[mi][:, ::-1]]
        txt = np.ascontiguousarray(letters).tobytes().decode("ascii")
        out[sel] = [txt[j:j + wv] for j in range(0, len(txt), wv)]
    return out


def motif_qvalues(motif: np.ndarray, p_value: np.ndarray, n_tested: np.ndarray, tested_widths: np.ndarray,
                  widths: np.ndarray, n_strands: int) -> np.ndarray:
    """Benjamini-Hochberg q-values per motif over every tested window of its strands (FIMO's count
    of tests): ``n_tested[i]`` windows of width ``tested_widths[i]`` were scored on each strand."""
    qv = np.full(motif.size, np.nan)
    wpos = {int(w): i for i, w in enumerate(tested_widths.tolist())}
    for k in np.unique(motif).tolist():
        sel = np.flatnonzero(motif == k)
        m_tests = int(n_tested[wpos[int(widths[k * n_strands])]]) * n_strands
        qv[sel] = bh_qvalues(p_value[sel], n_tests=max(m_tests, sel.size))
    return qv


def best_hits(p_value: np.ndarray, n_found: int, max_hits: int | None, at_least: bool,
              stacklevel: int) -> np.ndarray | None:
    """Rows (ascending) of the ``max_hits`` smallest p-values, ties to the first in table order,
    with a warning that ``n_found`` hits were found; None when there is nothing to cut."""
    if max_hits is None or n_found <= int(max_hits):
        return None
    warnings.warn(f"{'at least ' if at_least else ''}{n_found} hits found; keeping the {int(max_hits)} "
                  f"with the smallest p-values (max_hits={int(max_hits)}).", stacklevel=stacklevel + 1)
    return np.sort(np.argsort(p_value, kind="stable")[: int(max_hits)])


def hit_table(motifs, n_seq: int, seq_names: Sequence[str] | None, *, seq, motif, start, end, strand, score,
              p_value, q_value, site) -> pd.DataFrame:
    """The scan's table (:data:`HIT_COLUMNS`) from its columns; ``motif`` indexes ``motifs`` and
    ``seq`` the ``n_seq`` sequences (named ``seq_names`` or ``seq0``, ``seq1``, ...)."""
    names = np.array(seq_names if seq_names is not None else [f"seq{i}" for i in range(n_seq)], dtype=object)
    ids = np.array([m.name for m in motifs], dtype=object)
    alts = np.array([m.alt_name or "" for m in motifs], dtype=object)
    empty = np.zeros(0, dtype=object)
    return pd.DataFrame({
        "seq": seq.astype(np.int64), "sequence_name": names[seq] if seq.size else empty,
        "motif": motif.astype(np.int64), "motif_id": ids[motif] if motif.size else empty,
        "motif_alt_id": alts[motif] if motif.size else empty,
        "start": start.astype(np.int64), "end": end.astype(np.int64),
        "strand": strand if motif.size else empty, "score": score, "p_value": p_value,
        "q_value": q_value, "matched_sequence": site if motif.size else empty,
    }, columns=HIT_COLUMNS)
