"""FIMO-like motif scanning with exact p-values.

(About 1,000 lines on purpose: the exact p-value engine, the tiled prefilter and the bounded hit
collection of :class:`MotifScanner` share its tables and invariants; the input code is in
``_scan_input.py``, the Dask tasks in ``_scan_dask.py``, the threshold kernels in
``_kernels/score_dist.py``.)

What "exact" means here
-----------------------
A window's score is its real log-odds score ``S`` in bits (``Motif.log_odds(pseudocount)``
against the background in use; ``pseudocount=0.1`` is FIMO's ``--motif-pseudo``), and its
p-value is ``P(S' >= S)`` for a random word ``S'`` of the 0-order background.  A window is a hit
when that p-value is ``<= threshold`` (ties at the threshold included; relative tolerance
``1e-12`` for floating-point sums; real scores within :data:`TIE` bits are ties).

How it is computed
------------------
1. The log-odds matrix is integerised, ``A = round(log_odds * resolution)`` (default
   :data:`RESOLUTION` = 1000 steps per bit).  Every word's integer score ``I`` is then within
   ``D = sum_i max_c |A_ic / resolution - L_ic|`` (<= W / 2000 bit) of its real score.
2. The distribution of ``I`` under the background is computed by dynamic programming
   (convolution over the columns), pruned to the states that can still reach the threshold
   region (a cheap coarse pass bounds it).  This gives ``P(I >= t)`` exactly (to float
   rounding) and the integer threshold ``T`` (smallest ``t`` with ``P(I >= t) <= threshold``).
3. Only words with ``I`` in a narrow band around ``T`` can be ranked differently by ``S`` and
   ``I``.  Those words are enumerated (depth-first with integer bounds) with their real scores,
   which gives the *real-valued* p-value of every score in the band, and so the real threshold
   ``s*``.  When the whole tail above the band is small (short motifs) it is enumerated too,
   and every hit's p-value is the real-valued one.  The scan kernel keeps windows whose integer
   score can reach ``s*`` and then compares the real score with ``s*``.
4. If the band holds more than :data:`MAX_BAND_WORDS` words (long motifs; then ``exact_`` is
   False for that motif-strand) the integer score itself is the test statistic: hits are the
   windows with ``I >= T`` and the p-value is ``P(I' >= I)``, exact for that statistic, which
   ranks windows as ``S`` does except within ``2 D`` bits.

For windows above the enumerated band the reported p-value is ``P(I' >= I)`` of the integer
score (within a relative error set by the ``D``-bit score difference, far below the threshold).
The reported ``score`` is always the real log-odds score (bits) as FIMO reports it.

Strands, backgrounds and N
--------------------------
The minus strand is scanned with the reverse-complement matrix on the given sequence, and its
p-values come from that matrix's own score distribution under the same background (identical to
the plus strand's when the background is strand-symmetric, A=T and C=G).  The background is the
motif's (``Motif.bg_freqs``, from the motif file) unless ``bg_freqs`` is given.  A window that
contains a non-ACGT position (an all-zero or all-0.25 one-hot row, an N in text) is not scored,
as FIMO skips windows with ambiguous letters; such windows do not count as tested for q-values.

q-values are Benjamini-Hochberg, per motif, over all tested windows of both strands (FIMO's
convention: the number of tests is the number of scored positions, and every window not reported
has a p-value above the threshold).  ``q = min_{j >= i} p_(j) * m / j``, capped at 1, over the
reported hits; this equals BH on the full list whenever the threshold is 1.
"""
from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any, TextIO

import numpy as np
import pandas as pd

from .._kernels import scan as _k
from .._deprecation import renamed_args
from .._stats import bh_qvalues
from .._version import __version__
from ..errors import FormatError, InputError
from ._scan_input import (  # noqa: F401 - the scanner's input code, kept importable from here
    _BOUNDED_BATCH, _DEFAULT_CHUNK, _TEXT_CODES, HIT_COLUMNS, _Input, _n_free_windows, _text_to_codes,
    prepare_input,
)
from .motif import Motif, validate_background

__all__ = ["scan", "MotifScanner", "write_fimo_tsv", "read_fimo_tsv", "RESOLUTION", "HIT_COLUMNS"]

#: Integer steps per bit of the integerised log-odds matrices.
RESOLUTION = 1000
#: Relative tolerance of ``p <= threshold`` (floating-point summation in the DP).
P_TOLERANCE = 1e-12
#: Real scores closer than this (bits) are ties (float64 summation order noise).
TIE = 1e-9
#: Most words enumerated around a motif's threshold to make the hit decision exact for the
#: real-valued score; motifs needing more keep the integer statistic (see the module docstring).
MAX_BAND_WORDS = 20_000
#: Columns of the hit table returned by :func:`scan`.
FIMO_COLUMNS = [
    "motif_id", "motif_alt_id", "sequence_name", "start", "stop", "strand", "score", "p-value",
    "q-value", "matched_sequence",
]
_MAX_WIDTH = 300
#: Letters of the scan's prefilter code (its bit tables have 4**FILTER_Q uint64 entries per 64
#: motif-strands).
FILTER_Q = 8
#: Window starts per tile of the scan (the unit of parallel work).
TILE = 16384
#: First hit capacity of a tile: this many times the hits expected under the background, + 64.
_CAP_MARGIN = 4.0
_COMP = np.frombuffer(b"TGCAN", dtype=np.uint8)
_LETTERS = np.frombuffer(b"ACGTN", dtype=np.uint8)


# =========================================================================== helpers
def _check_threshold(threshold: Any) -> float:
    try:
        t = float(threshold)
    except (TypeError, ValueError):
        raise InputError(f"threshold must be a number in (0, 1]. Received: threshold={threshold!r}") from None
    if not (0.0 < t <= 1.0):
        raise InputError(
            f"threshold is a p-value and must be in (0, 1] (FIMO's default is 1e-4). "
            f"Received: threshold={threshold!r}"
        )
    return t


def _as_motif_list(motifs: Any) -> list[Motif]:
    if isinstance(motifs, Motif):
        motifs = [motifs]
    if isinstance(motifs, dict):
        motifs = list(motifs.values())
    try:
        ms = list(motifs)
    except TypeError:
        raise InputError(
            f"motifs must be a Motif or a list of Motif objects. Received {type(motifs).__name__}."
        ) from None
    if not ms:
        raise InputError(
            "No motifs to scan: the motif list is empty. Load some with "
            "kgenint.motifs.read_meme(path) or kgenint.motifs.load_default()."
        )
    for i, m in enumerate(ms):
        if not isinstance(m, Motif):
            raise InputError(
                f"motifs[{i}] is a {type(m).__name__}, not a kgenint.motifs.Motif. Build one with "
                f"Motif(name, pwm) or read a MEME file with kgenint.motifs.read_meme."
            )
        if m.width > _MAX_WIDTH:
            raise InputError(
                f"Motif {m.name!r} has width {m.width}; scanning supports widths up to {_MAX_WIDTH}."
            )
    return ms


class _TopHits:
    """The best ``n`` hits seen so far (smallest p-value; ties in output order: motif, sequence,
    start, strand), held in at most ~3 n rows: a bounded heap for ``scan(max_hits=n)``."""

    def __init__(self, n: int, n_str: int):
        self.n, self.n_str = int(n), int(n_str)
        self.parts: list[tuple] = []
        self.size = 0
        self._cut: float | None = None
        self.thresh = None
        self.thresh_for = None

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


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


# =========================================================================== scanner
class MotifScanner:
    """Integer scoring matrices, score thresholds and exact p-value tables of a motif set.

    Build it once and call :meth:`scan` on many inputs: the per-motif work (log-odds matrices,
    score distributions, lookup tables) is done here.

    Parameters
    ----------
    motifs : Motif or list of Motif, length K
        Motifs to scan (at least one; width <= 300).
    threshold : float
        Report windows with p-value <= ``threshold`` (0 < threshold <= 1; FIMO's default 1e-4).
    bg_freqs : array_like, shape (4,), optional
        ACGT background letter frequencies for log-odds and p-values; each motif's own
        ``bg_freqs`` when omitted. (Old name: ``background``.)
    pseudocount : float
        Total pseudo-sites spread by the background before the log (FIMO's ``--motif-pseudo``).
    both_strands : bool
        Also scan the reverse complement.
    resolution : int
        Integer steps per bit of the integerised matrices (>= 10).

    Attributes
    ----------
    motifs_ : list of Motif
    strands_ : list of str
        ``['+', '-']`` or ``['+']``.
    int_matrices_ : list of int64 arrays, shape (W, 4)
        Integer matrix of each motif-strand ``k * len(strands_) + s`` (the minus strand is the
        reverse complement); entries for zero probabilities (``pseudocount=0``) are a large
        negative sentinel.
    log_odds_ : list of float64 arrays, shape (W, 4)
        Real log-odds (bits) of each motif-strand.
    thresholds_ : int64 array, shape (K * S,)
        Integer score threshold of each motif-strand (``best_ + 1`` when no window can pass).
    best_ : int64 array, shape (K * S,)
        Best integer score.
    backgrounds_ : float64 array, shape (K, 4)

    Examples
    --------
    >>> import numpy as np
    >>> m = Motif.from_counts(np.eye(4)[[0, 1, 2, 3, 0, 1]] * 20, "ACGTAC")
    >>> sc = MotifScanner([m], threshold=1e-3)
    >>> x = np.eye(4, dtype=np.float32)[[3, 0, 1, 2, 3, 0, 1, 3]]
    >>> hits = sc.scan(x[None], progress=False)
    >>> hits[["start", "end", "strand", "matched_sequence"]].values.tolist()
    [[1, 7, '+', 'ACGTAC']]
    """

    def __init__(
        self,
        motifs: Motif | Sequence[Motif],
        *,
        threshold: float = 1e-4,
        bg_freqs: Any = None,
        pseudocount: float = 0.1,
        both_strands: bool = True,
        resolution: int = RESOLUTION,
        **deprecated: Any,
    ):
        if deprecated:
            bg_freqs = renamed_args("MotifScanner", deprecated, {"background": "bg_freqs"},
                                    {"bg_freqs": bg_freqs}, {"bg_freqs": None})["bg_freqs"]
        self.threshold = _check_threshold(threshold)
        self.pseudocount = float(pseudocount)
        if not (self.pseudocount >= 0 and np.isfinite(self.pseudocount)):
            raise InputError(f"pseudocount must be >= 0. Received: pseudocount={pseudocount!r}")
        self.both_strands = bool(both_strands)
        if int(resolution) < 10:
            raise InputError(f"resolution must be an integer >= 10 steps per bit. Received: resolution={resolution!r}")
        self.resolution = int(resolution)
        self.bg_freqs = bg_freqs
        self.motifs_ = _as_motif_list(motifs)
        self.strands_ = ["+", "-"] if self.both_strands else ["+"]
        self._build()

    # ------------------------------------------------------------------ construction
    def _build(self) -> None:
        r = self.resolution
        user_bg = None if self.bg_freqs is None else validate_background(self.bg_freqs, name="bg_freqs")
        bgs, los, ints, fins, ms_bg = [], [], [], [], []
        for m in self.motifs_:
            bg = m.bg_freqs if user_bg is None else user_bg
            mm = m if user_bg is None else m.copy(bg_freqs=bg)
            lo = np.asarray(mm.log_odds(self.pseudocount), dtype=np.float64)
            bgs.append(bg)
            for s in self.strands_:
                L = lo if s == "+" else lo[::-1, ::-1].copy()
                fin = np.isfinite(L)
                if not np.all(fin.any(axis=1)):
                    raise InputError(f"Motif {m.name!r}: a column has no letter with non-zero probability.")
                a = np.zeros(L.shape, dtype=np.int64)
                a[fin] = np.rint(L[fin] * r).astype(np.int64)
                big = int(np.abs(np.where(fin, a, 0)).max(axis=1).sum())
                a[~fin] = -(2 * big + 1)
                if a.shape[0] * (2 * big + 1) >= 2**31 - 1:
                    raise InputError(f"Motif {m.name!r}: scores too large for the integer scan; lower resolution.")
                los.append(L)
                ints.append(a)
                fins.append(fin)
                ms_bg.append(bg)
        self.backgrounds_ = np.array(bgs, dtype=np.float64)
        self.log_odds_ = los
        self.int_matrices_ = ints
        self._fins = fins
        self._ms_bg = np.array(ms_bg, dtype=np.float64)
        self.widths_ = np.array([a.shape[0] for a in ints], dtype=np.int64)
        self._full_sf: dict[int, tuple[int, np.ndarray]] = {}

        thr = self.threshold * (1.0 + P_TOLERANCE)
        n_ms = len(ints)
        # strand-symmetric backgrounds give the minus strand the plus strand's distribution
        sym = [self.both_strands and np.allclose(b, b[::-1], rtol=0, atol=1e-15) for b in self._ms_bg]
        todo = [k for k in range(n_ms) if not (sym[k] and k % 2 == 1)]
        coarse = np.int64(max(1, r // 8))
        th = np.empty(len(todo), dtype=np.int64)
        best = np.empty(len(todo), dtype=np.int64)
        tails_l: list[np.ndarray] = []
        for b0 in range(0, len(todo), 64):  # batches bound the (batch, tail) buffer
            part = todo[b0:b0 + 64]
            offs = np.zeros(len(part) + 1, dtype=np.int64)
            offs[1:] = np.cumsum(self.widths_[part])
            a_flat = np.ascontiguousarray(np.concatenate([ints[k] for k in part]))
            f_flat = np.ascontiguousarray(np.concatenate([fins[k] for k in part]))
            bg_t = np.ascontiguousarray(self._ms_bg[part])
            cap = 16 * r
            margin = self.widths_[part] + 4
            t_, b_, tails, tlen = _k.survival_tails(a_flat, f_flat, offs, bg_t, coarse, thr, np.int64(cap), margin)
            if np.any(tlen < 0):
                cap = int(np.max(b_ - t_ + margin)) + 1
                t_, b_, tails, tlen = _k.survival_tails(a_flat, f_flat, offs, bg_t, coarse, thr, np.int64(cap), margin)
            th[b0:b0 + len(part)] = t_
            best[b0:b0 + len(part)] = b_
            tails_l.extend(tails[j, : tlen[j]].copy() for j in range(len(part)))
        thresholds = np.empty(n_ms, dtype=np.int64)
        bests = np.empty(n_ms, dtype=np.int64)
        tail_list: list[np.ndarray] = [np.zeros(0)] * n_ms
        for j, k in enumerate(todo):
            thresholds[k], bests[k] = th[j], best[j]
            tail_list[k] = tails_l[j]
            if sym[k] and k + 1 < n_ms:
                thresholds[k + 1], bests[k + 1] = th[j], best[j]
                tail_list[k + 1] = tail_list[k]
        self.thresholds_ = thresholds
        self.best_ = bests
        self._tails = tail_list
        self._tail_start = thresholds - (self.widths_ + 4)
        self._refine(thr)
        self._tail_off = np.zeros(n_ms + 1, dtype=np.int64)
        self._tail_off[1:] = np.cumsum([t.size for t in tail_list])
        self._tail_flat = np.concatenate(tail_list) if self._tail_off[-1] else np.zeros(1)
        self._build_blocks()

    def _refine(self, thr: float) -> None:
        """Make the hit decision exact for the real-valued score (see the module docstring)."""
        r = self.resolution
        n_ms = len(self.int_matrices_)
        self.real_thresholds_ = np.full(n_ms, -np.inf)
        self.exact_ = np.zeros(n_ms, dtype=bool)
        self._scan_thresh = self.thresholds_.copy()
        self._band: dict[int, tuple[int, np.ndarray, np.ndarray]] = {}
        for k in range(n_ms):
            t, best = int(self.thresholds_[k]), int(self.best_[k])
            a, fin, lo = self.int_matrices_[k], self._fins[k], self.log_odds_[k]
            if t > best + self.widths_[k] + 4:
                continue
            dev = np.where(fin, np.abs(a / r - np.where(fin, lo, 0.0)), 0.0).max(axis=1).sum()
            d = int(np.ceil(2 * dev * r)) + 1
            ilo, ihi = t - 1 - d, t + d
            lo0 = np.where(fin, lo, 0.0)
            # the whole tail when it is small (every hit's p-value real-exact), else the band
            # a word has probability <= max(bg)**w, so a score range of probability P holds at
            # least P / max(bg)**w words: skip only the enumerations certain to overflow
            per_word = float(np.max(self._ms_bg[k])) ** -a.shape[0]
            p_lo, p_hi = self._sf_int(k, np.array([ilo, ihi + 1]))
            n = -1
            if p_lo * per_word <= MAX_BAND_WORDS:
                n, sc, pr = _k.band_words(a, fin, lo0, self._ms_bg[k], np.int64(ilo), np.int64(best),
                                          np.int64(MAX_BAND_WORDS))
            if n >= 0:
                ihi = best
            elif (p_lo - p_hi) * per_word <= MAX_BAND_WORDS:
                n, sc, pr = _k.band_words(a, fin, lo0, self._ms_bg[k], np.int64(ilo), np.int64(ihi),
                                          np.int64(MAX_BAND_WORDS))
            if n < 0:
                continue
            sc, pr = sc[:n], pr[:n]
            order = np.argsort(-sc, kind="stable")
            sd, pd_ = sc[order], pr[order]
            above = float(self._sf_int(k, np.array([ihi + 1]))[0])
            cum = above + np.cumsum(pd_)
            # ties (within TIE bits) share the p-value of their whole group
            last = np.searchsorted(-sd, -(sd - TIE), side="right") - 1
            p_at = cum[last] if n else cum
            ok = np.flatnonzero(p_at <= thr)
            s_star = float(sd[ok].min()) if ok.size else t / r + dev
            rt = s_star - TIE
            self.real_thresholds_[k] = rt
            self.exact_[k] = True
            self._scan_thresh[k] = int(np.floor(r * (rt - dev))) - 1
            self._band[k] = (ihi, sd, cum)

    def _sf_int(self, ms: int, s: np.ndarray) -> np.ndarray:
        """``P(I >= s)`` from the stored tail (s must be >= the tail start)."""
        tail = self._tails[ms]
        j = s - self._tail_start[ms]
        return np.where(j >= tail.size, 0.0, tail[np.clip(j, 0, max(tail.size - 1, 0))] if tail.size else 0.0)

    def _build_blocks(self) -> None:
        """Prefilter bit tables and exact-stage block tables of the active motif-strands.

        Each motif-strand gets a filter block: the ``FILTER_Q`` consecutive columns (or the whole
        motif when narrower) with the largest summed gap between best and mean entry.  Its
        exact stage reads the other columns in blocks of ``FQ`` (largest gap first), then the
        filter block's columns; after each block a window is dropped when its partial score
        plus the best the remaining blocks can add is below the threshold.
        """
        q = _k.FQ
        kq = FILTER_Q
        active = np.flatnonzero(self._scan_thresh <= self.best_)
        blk_start = [0]
        blk_off: list[int] = []
        blk_rest: list[int] = []
        rows: list[int] = []
        bws: list[int] = []
        f_row, f_w, f_rest, f_off = [], [], [], []
        row_starts = np.concatenate([[0], np.cumsum(self.widths_)])
        for k in active.tolist():
            row_base = int(row_starts[k])
            a = self.int_matrices_[k]
            fin = self._fins[k]
            bg = self._ms_bg[k]
            w = a.shape[0]
            hi = np.where(fin, a, np.iinfo(np.int64).min).max(axis=1)
            mean = np.where(fin, a, a.min()) @ bg
            gap = hi - mean
            kk = min(kq, w)
            o1 = int(np.argmax(np.convolve(gap, np.ones(kk), mode="valid"))) if w > kk else 0
            f_row.append(row_base + o1)
            f_w.append(kk)
            f_off.append(o1)
            f_rest.append(int(hi.sum() - hi[o1:o1 + kk].sum()))
            rest = []
            for lo_, hi_ in ((0, o1), (o1 + kk, w)):
                j = lo_
                while j < hi_:
                    bw = min(q, hi_ - j)
                    rest.append((float(gap[j:j + bw].sum()), j, bw))
                    j += bw
            rest.sort(key=lambda t: -t[0])
            fblocks = []
            j = o1
            while j < o1 + kk:
                bw = min(q, o1 + kk - j)
                fblocks.append((j, bw))
                j += bw
            blocks = [(j, bw) for _, j, bw in rest]
            # filter block first (measured faster than last: 0.36 vs 0.54 s per 10 Mbp)
            blocks = fblocks + blocks
            while len(blocks) < 3:  # the kernel reads three blocks unconditionally
                blocks.append((0, 0))
            his = [int(hi[o:o + bw].sum()) for o, bw in blocks]
            for b, (o, bw) in enumerate(blocks):
                rows.append(row_base + o)
                bws.append(bw)
                blk_off.append(o)
                blk_rest.append(int(sum(his[b + 1:])))
            blk_start.append(len(blk_off))
        a_all = np.ascontiguousarray(np.concatenate(self.int_matrices_))
        tab = np.zeros(max(len(rows), 1) * 4**q, dtype=np.int32)
        if rows:
            _k.build_tables(a_all, np.array(rows, dtype=np.int64), np.array(bws, dtype=np.int64), tab)
        n_act = active.size
        n_grp = -(-n_act // 64)
        grp = np.arange(n_act, dtype=np.int64) // 64
        fbits = np.zeros(max(n_grp, 1) * 4**kq, dtype=np.uint64)
        if n_act:
            _k.build_filter(a_all, np.array(f_row, dtype=np.int64), np.array(f_w, dtype=np.int64),
                            np.array(f_rest, dtype=np.int64), self._scan_thresh[active].astype(np.int64),
                            grp, np.arange(n_act, dtype=np.int64) % 64, np.int64(kq), fbits)
        self._active = active.astype(np.int64)
        self._blk_start = np.array(blk_start, dtype=np.int64)
        self._blk_off = np.array(blk_off, dtype=np.int64)
        self._blk_rest = np.array(blk_rest, dtype=np.int64)
        self._tables = tab
        self._fbits = fbits
        self._foff = np.array(f_off, dtype=np.int64)
        self._grp_start = np.minimum(np.arange(n_grp + 1, dtype=np.int64) * 64, n_act)
        # probability that a window of some active motif-strand reaches its scan threshold
        self._p_scan = float(sum(float(self._sf_int(k, np.array([self._scan_thresh[k]]))[0])
                                 for k in active.tolist()))
        self._lo_off = np.zeros(len(self.log_odds_) + 1, dtype=np.int64)
        self._lo_off[1:] = np.cumsum(self.widths_)
        lo = np.concatenate(self.log_odds_)
        lo = np.where(np.isfinite(lo), lo, -1e300)
        self._lo_flat = np.ascontiguousarray(np.concatenate([lo, np.zeros((1, 4))]))

    # ------------------------------------------------------------------ p-values
    def _ms_index(self, motif_index: int, strand: str) -> int:
        k = int(motif_index)
        if not 0 <= k < len(self.motifs_):
            raise InputError(f"motif_index must be in [0, {len(self.motifs_)}). Received: motif_index={motif_index!r}")
        if strand not in self.strands_:
            raise InputError(f"strand must be one of {self.strands_}. Received: strand={strand!r}")
        return k * len(self.strands_) + self.strands_.index(strand)

    def _full(self, ms: int) -> tuple[int, np.ndarray]:
        if ms not in self._full_sf:
            base, pmf = _k.pmf_tail(self.int_matrices_[ms], self._fins[ms], self._ms_bg[ms], np.int64(-(1 << 60)))
            self._full_sf[ms] = (int(base), np.cumsum(pmf[::-1])[::-1])
        return self._full_sf[ms]

    def pvalue_int(self, motif_index: int, int_score: Any, strand: str = "+") -> np.ndarray:
        """Exact ``P(I >= int_score)`` of integer scores (array_like of int) under the background."""
        ms = self._ms_index(motif_index, strand)
        s = np.asarray(int_score, dtype=np.int64)
        base, sf = self._full(ms)
        idx = s - base
        out = np.where(idx < 0, 1.0, 0.0)
        ok = (idx >= 0) & (idx < sf.size)
        out = np.where(ok, sf[np.clip(idx, 0, max(sf.size - 1, 0))] if sf.size else 0.0, out)
        return out

    def pvalue(self, motif_index: int, score: Any, strand: str = "+") -> np.ndarray:
        """Exact p-value of scores in bits.

        Parameters
        ----------
        motif_index : int
            Index into ``motifs_``.
        score : float or array_like of float, shape (n,)
            Scores in bits on the integer grid (``I / resolution``); other values are rounded up
            to the grid.
        strand : {'+', '-'}

        Returns
        -------
        float64 array, shape (n,) (or a 0-d array)
            ``P(I >= ceil(score * resolution))`` for a background word.
        """
        s = np.ceil(np.asarray(score, dtype=np.float64) * self.resolution - 1e-6).astype(np.int64)
        return self.pvalue_int(motif_index, s, strand)

    def score_threshold(self, motif_index: int, pvalue: float | None = None, strand: str = "+") -> float:
        """Smallest score (bits, on the integer grid) whose p-value is <= ``pvalue``.

        ``pvalue`` defaults to the scanner's threshold.  Returns ``inf`` when even the best
        score has a larger p-value.
        """
        ms = self._ms_index(motif_index, strand)
        if pvalue is None or float(pvalue) == self.threshold:
            t = int(self.thresholds_[ms])
        else:
            p = _check_threshold(pvalue) * (1.0 + P_TOLERANCE)
            base, sf = self._full(ms)
            ok = np.flatnonzero(sf <= p)
            t = base + int(ok[0]) if ok.size else int(self.best_[ms]) + 1
        if t > self.best_[ms]:
            return float("inf")
        return t / self.resolution

    # ------------------------------------------------------------------ scanning
    def _scan_codes(self, codes, seq_off, seq_len, first_seq):
        """Hits of one chunk: (seq, pos, ms, int score) arrays, in no particular order."""
        return next(self._scan_batches(codes, seq_off, seq_len, first_seq))

    def _scan_batches(self, codes, seq_off, seq_len, first_seq, thresh_all=None, max_windows=None):
        """Hits of one chunk: yields (seq, pos, ms, int score) arrays, in no particular order.

        ``thresh_all`` (int, per motif-strand) replaces the scan thresholds (it may only raise
        them); ``max_windows`` scans the chunk in batches of tiles of about that many windows x
        motif-strands, calling ``thresh_all()`` (a callable then) before each batch, so a bounded
        scan (``max_hits``) tightens its thresholds as it goes.
        """
        if self._active.size == 0 or codes.size == 0:
            e = np.zeros(0, dtype=np.int64)
            yield e, e, e, e
            return
        widths = self.widths_[self._active]
        qc = np.empty(codes.size, dtype=np.uint16)
        next_n = np.empty(codes.size, dtype=np.int32)
        _k.chunk_codes(codes, seq_off, seq_len, qc, next_n)
        # tiles of at most TILE window starts (fewer in a bounded scan), each inside one sequence
        tile = TILE if max_windows is None else int(min(TILE, max(256, int(max_windows) // self._active.size)))
        n_win = np.maximum(seq_len - int(widths.min()) + 1, 0)
        n_t = -(-n_win // tile)
        tile_seq = np.repeat(np.arange(seq_len.size, dtype=np.int64), n_t)
        first_t = np.cumsum(n_t) - n_t
        tile_start = (np.arange(int(n_t.sum()), dtype=np.int64) - np.repeat(first_t, n_t)) * tile
        tile_end = np.minimum(tile_start + tile, n_win[tile_seq])
        # expected hits under the background (x4 margin); a tile that finds more is rescanned
        p_scan = self._p_scan
        caps_all = (_CAP_MARGIN * p_scan * (tile_end - tile_start)).astype(np.int64) + 64

        def run(sel, caps, thresh):
            cap_off = np.zeros(sel.size + 1, dtype=np.int64)
            cap_off[1:] = np.cumsum(caps)
            o_pos = np.empty(cap_off[-1], dtype=np.int64)
            o_ms = np.empty(cap_off[-1], dtype=np.int64)
            o_sc = np.empty(cap_off[-1], dtype=np.int64)
            o_n = np.zeros(sel.size, dtype=np.int64)
            _k.scan_filtered(qc, next_n, seq_off, seq_len, tile_seq[sel], tile_start[sel], tile_end[sel],
                             np.int64(FILTER_Q), self._grp_start, self._fbits, self._foff, widths, thresh,
                             self._blk_start, self._blk_off, self._blk_rest, self._tables, cap_off,
                             o_pos, o_ms, o_sc, o_n)
            keep = np.where(o_n > caps, 0, o_n)
            idx = np.repeat(cap_off[:-1], keep) + (np.arange(int(keep.sum())) - np.repeat(np.cumsum(keep) - keep, keep))
            return np.repeat(tile_seq[sel], keep), o_pos[idx], o_ms[idx], o_sc[idx], o_n

        n_tiles = tile_seq.size
        step = n_tiles if max_windows is None else max(1, int(max_windows) // (tile * self._active.size))
        for b in range(0, n_tiles, step):
            allt = np.arange(b, min(n_tiles, b + step))
            if thresh_all is None:
                thresh = self._scan_thresh[self._active]
            else:
                t_all = thresh_all() if callable(thresh_all) else thresh_all
                thresh = np.maximum(np.asarray(t_all, dtype=np.int64)[self._active], self._scan_thresh[self._active])
            caps = caps_all[allt]
            seq, pos, msi, sc, o_n = run(allt, caps, thresh)
            over = np.flatnonzero(o_n > caps)
            if over.size:
                s2, p2, m2, c2, _ = run(allt[over], o_n[over], thresh)
                seq = np.concatenate([seq, s2])
                pos = np.concatenate([pos, p2])
                msi = np.concatenate([msi, m2])
                sc = np.concatenate([sc, c2])
            yield seq, pos, self._active[msi], sc

    def scan(
        self,
        x: Any,
        *,
        qvalues: bool = False,
        seq_names: Sequence[str] | None = None,
        max_hits: int | None = None,
        chunk_size: int | None = None,
        progress: bool = True,
    ) -> pd.DataFrame:
        """Scan sequences; see :func:`scan` for the parameters and the returned table."""
        inp, chunk = prepare_input(x, chunk_size, max_hits, seq_names, int(self.widths_.min()))
        n_str = len(self.strands_)
        res: dict[str, list[np.ndarray]] = {k: [] for k in ("seq", "pos", "ms", "isc", "score", "site", "pval")}
        # max_hits without q-values: keep only the best max_hits while scanning (memory bounded by
        # ~3 x max_hits hits + one batch) and raise each motif-strand's threshold to what can
        # still enter them. q-values need every hit's rank, so they keep the unbounded path.
        bounded = max_hits is not None and not qvalues
        top = _TopHits(int(max_hits), n_str) if bounded else None
        n_found = 0
        uw = np.unique(self.widths_[:: n_str])
        n_tested = np.zeros(uw.size, dtype=np.int64)
        from ..progress import progress as _progress

        total = int(inp.lengths.sum())
        bar = _progress(total=total, desc="Scanning", unit="bp") if progress else _NoBar()
        try:
            for first, codes, off, lens in inp.chunks():
                if qvalues:
                    n_tested += _n_free_windows(codes, off, lens, uw)
                batches = (self._scan_batches(codes, off, lens, first) if not bounded else
                           self._scan_batches(codes, off, lens, first, thresh_all=lambda: self._bounded_thresh(top),
                                              max_windows=_BOUNDED_BATCH))
                for seq, pos, ms, isc in batches:
                    score = _k.hit_scores(codes, off, seq, pos, ms, self._lo_flat, self._lo_off)
                    keep = score >= self.real_thresholds_[ms]
                    if not keep.all():
                        seq, pos, ms, isc, score = seq[keep], pos[keep], ms[keep], isc[keep], score[keep]
                    if bounded:
                        n_found += seq.size
                        pv = self._pvalues(ms, isc, score)
                        cut = top.cut()
                        if cut is not None:  # cannot enter the best max_hits
                            k2 = np.flatnonzero(pv <= cut)
                            seq, pos, ms, isc, score, pv = seq[k2], pos[k2], ms[k2], isc[k2], score[k2], pv[k2]
                        if seq.size > top.n:  # only this batch's best can enter the overall best
                            k2 = np.lexsort((ms % n_str, pos, seq, ms // n_str, pv))[: top.n]
                            seq, pos, ms, isc, score, pv = seq[k2], pos[k2], ms[k2], isc[k2], score[k2], pv[k2]
                        top.add(seq + first, pos, ms, isc, score, pv, self._sites(codes, off, seq, pos, ms))
                        continue
                    res["site"].append(self._sites(codes, off, seq, pos, ms))
                    res["seq"].append(seq + first)
                    res["pos"].append(pos)
                    res["ms"].append(ms)
                    res["isc"].append(isc)
                    res["score"].append(score)
                bar.update(int(lens.sum()))
        finally:
            bar.close()
        if bounded:
            seq, pos, ms, isc, score, pval, site = top.result()
        else:
            seq, pos, ms, isc, score = (np.concatenate(res[k]) for k in ("seq", "pos", "ms", "isc", "score"))
            site = np.concatenate(res["site"]) if res["site"] else np.zeros(0, dtype=object)
            pval = self._pvalues(ms, isc, score)
            n_found = ms.size
        motif = ms // n_str
        strand_idx = ms % n_str
        qv = np.full(ms.size, np.nan)
        if qvalues:
            wpos = {int(w): i for i, w in enumerate(uw.tolist())}
            for k in np.unique(motif).tolist():
                sel = np.flatnonzero(motif == k)
                m_tests = int(n_tested[wpos[int(self.widths_[k * n_str])]]) * n_str
                qv[sel] = bh_qvalues(pval[sel], n_tests=max(m_tests, sel.size))
        # output order: motif, sequence, start, strand (one int64 key when it fits)
        n_seq = max(inp.n, 1)
        span = int(inp.lengths.max()) + 1
        if len(self.motifs_) * n_seq * span * n_str < 2**62:
            key = ((motif * n_seq + seq) * span + pos) * n_str + strand_idx
            order = np.argsort(key)  # keys are distinct
        else:
            order = np.lexsort((strand_idx, pos, seq, motif))
        seq, pos, ms, score, pval, qv, site, motif, strand_idx = (
            v[order] for v in (seq, pos, ms, score, pval, qv, site, motif, strand_idx)
        )
        if max_hits is not None and n_found > int(max_hits):
            warnings.warn(
                f"{'at least ' if bounded else ''}{n_found} hits found; keeping the {int(max_hits)} with the "
                f"smallest p-values "
                f"(max_hits={int(max_hits)}).",
                stacklevel=3,
            )
            # ties at the cut: the first in output order
            keep = np.sort(np.argsort(pval, kind="stable")[: int(max_hits)])
            seq, pos, ms, score, pval, qv, site, motif, strand_idx = (
                v[keep] for v in (seq, pos, ms, score, pval, qv, site, motif, strand_idx)
            )
        names = np.array(seq_names if seq_names is not None else [f"seq{i}" for i in range(inp.n)], dtype=object)
        ids = np.array([m.name for m in self.motifs_], dtype=object)
        alts = np.array([m.alt_name or "" for m in self.motifs_], dtype=object)
        strands = np.array(self.strands_, dtype=object)
        return pd.DataFrame(
            {
                "seq": seq.astype(np.int64),
                "sequence_name": names[seq] if seq.size else np.zeros(0, dtype=object),
                "motif": motif.astype(np.int64),
                "motif_id": ids[motif] if motif.size else np.zeros(0, dtype=object),
                "motif_alt_id": alts[motif] if motif.size else np.zeros(0, dtype=object),
                "start": pos.astype(np.int64),
                "end": (pos + self.widths_[ms]).astype(np.int64),
                "strand": strands[strand_idx] if ms.size else np.zeros(0, dtype=object),
                "score": score,
                "p_value": pval,
                "q_value": qv,
                "matched_sequence": site,
            },
            columns=HIT_COLUMNS,
        )

    def _bounded_thresh(self, top: "_TopHits") -> np.ndarray:
        """Integer scan thresholds under which no window can enter the current best ``max_hits``.

        A window's p-value is at least ``P(I >= isc + 2 dev)`` (``dev``: the largest gap between
        integer and real scores), so windows below ``T - d`` with ``P(I >= T - 1) > cut`` and
        ``d >= 2 dev + 1`` are certain to lose; ``T`` comes from each motif-strand's stored tail.
        """
        cut = top.cut()
        if cut is None:
            return self._scan_thresh
        if top.thresh_for == cut:
            return top.thresh
        if not hasattr(self, "_dev_int"):
            r = self.resolution
            self._dev_int = np.array([
                int(np.ceil(2 * np.where(f, np.abs(a / r - np.where(f, lo, 0.0)), 0.0).max(axis=1).sum() * r)) + 1
                for a, f, lo in zip(self.int_matrices_, self._fins, self.log_odds_)], dtype=np.int64)
        t = self._scan_thresh.copy()
        for k in self._active.tolist():
            tail = self._tails[k]
            ok = np.flatnonzero(tail <= cut)
            T = int(self._tail_start[k]) + int(ok[0]) if ok.size else int(self.best_[k]) + 1
            t[k] = max(int(t[k]), T - int(self._dev_int[k]))
        top.thresh, top.thresh_for = t, cut
        return t

    def _pvalues(self, ms: np.ndarray, isc: np.ndarray, score: np.ndarray) -> np.ndarray:
        """p-values of hits: real-valued exact inside a refined band, else of the integer score."""
        if ms.size == 0:
            return np.zeros(0)
        pval = self._tail_flat[self._tail_off[ms] + (isc - self._tail_start[ms])]
        cand = np.flatnonzero(self.exact_[ms])
        if cand.size == 0:
            return pval
        cand = cand[np.argsort(ms[cand], kind="stable")]
        keys, starts = np.unique(ms[cand], return_index=True)
        bounds = np.append(starts, cand.size)
        for g, k in enumerate(keys.tolist()):
            ihi, sd, cum = self._band[k]
            sel = cand[bounds[g]:bounds[g + 1]]
            sel = sel[isc[sel] <= ihi]
            if sel.size == 0:
                continue
            j = np.searchsorted(-sd, -(score[sel] - TIE), side="right") - 1
            pval[sel] = cum[j]
        return pval

    def _sites(self, codes, off, seq, pos, ms) -> np.ndarray:
        out = np.empty(seq.size, dtype=object)
        if seq.size == 0:
            return out
        w = self.widths_[ms]
        minus = (ms % len(self.strands_)) == 1
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


# =========================================================================== public functions
def scan(
    x: Any,
    motifs: Motif | Sequence[Motif],
    *,
    threshold: float = 1e-4,
    bg_freqs: Any = None,
    pseudocount: float = 0.1,
    both_strands: bool = True,
    qvalues: bool = False,
    seq_names: Sequence[str] | None = None,
    max_hits: int | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
    resolution: int = RESOLUTION,
    client: Any = None,
    **deprecated: Any,
) -> pd.DataFrame:
    """Find motif occurrences with exact p-values (FIMO-like).

    Parameters
    ----------
    x : float32 array, shape (N, L, 4), or list of N arrays of shape (L_i, 4), or list of N str
        Sequences: one-hot ACGT (all-zero or all-0.25 rows are N), or DNA text.
    motifs : Motif or list of K Motif
        Motifs to scan.
    threshold : float
        Report windows with p-value <= threshold, in (0, 1].
    bg_freqs : array_like, shape (4,), optional
        ACGT background letter frequencies; each motif's own ``bg_freqs`` when omitted. (Old
        name: ``background``.)
    pseudocount : float
        FIMO's ``--motif-pseudo`` (default 0.1).
    both_strands : bool
        Scan the reverse complement too.
    qvalues : bool
        Compute Benjamini-Hochberg q-values (per motif, over all tested windows); NaN otherwise.
    seq_names : list of N str, optional
        Names for the ``sequence_name`` column (default ``seq0``, ``seq1``, ...).
    max_hits : int, optional
        Keep at most this many hits (smallest p-values; ties in output order) and warn when more
        were found. Applied while scanning: memory holds about ``3 * max_hits`` hits plus one
        batch of ~1M windows x motif-strands, and thresholds rise to what can still enter the
        best ``max_hits`` (same result as cutting the full table). With ``qvalues=True`` every
        hit is kept until the end (q-values need every p-value's rank).
    chunk_size : int, optional
        Positions (bp) converted and scanned at a time (default 4,000,000); bounds memory.
    progress : bool
        Progress bar on stderr (hidden when stderr is not a terminal).
    resolution : int
        Integer steps per bit of the integerised score (default :data:`RESOLUTION`).
    client : distributed.Client, optional
        Scan groups of sequences as Dask tasks on this client's workers (the scanner is built
        here and sent once to each worker; :mod:`kgenint.distributed`): the same table, in the
        same order, as without it.

    Returns
    -------
    pandas.DataFrame
        One row per hit, sorted by motif, sequence, start, strand, with columns ``seq`` (int),
        ``sequence_name``, ``motif`` (int), ``motif_id``, ``motif_alt_id``, ``start``, ``end``
        (0-based, half-open), ``strand`` ('+'/'-'), ``score`` (real log-odds, bits),
        ``p_value``, ``q_value`` and ``matched_sequence`` (the site read on its strand).

    Raises
    ------
    InputError
        Empty motif list, threshold outside (0, 1], non-one-hot input, sequences shorter than
        every motif.

    Examples
    --------
    >>> import numpy as np
    >>> m = Motif.from_consensus("TGACTCA", name="AP1")
    >>> hits = scan(["AATGACTCAAA"], [m], threshold=1e-3, progress=False)
    >>> hits[["start", "end", "strand", "matched_sequence"]].values.tolist()
    [[2, 9, '+', 'TGACTCA']]
    """
    if deprecated:
        bg_freqs = renamed_args("scan", deprecated, {"background": "bg_freqs"}, {"bg_freqs": bg_freqs},
                                {"bg_freqs": None})["bg_freqs"]
    sc = MotifScanner(
        motifs, threshold=threshold, bg_freqs=bg_freqs, pseudocount=pseudocount,
        both_strands=both_strands, resolution=resolution,
    )
    if client is not None:
        from ._scan_dask import scan_motifs

        return scan_motifs(client, sc, x, qvalues=qvalues, seq_names=seq_names, max_hits=max_hits,
                           chunk_size=chunk_size, progress=progress)
    return sc.scan(x, qvalues=qvalues, seq_names=seq_names, max_hits=max_hits,
                   chunk_size=chunk_size, progress=progress)


def _fmt_g(v: float, prec: int | None = None) -> str:
    if v != v:  # NaN
        return ""
    return f"{v:g}" if prec is None else f"{v:.{prec}g}"


def write_fimo_tsv(
    hits: pd.DataFrame,
    path_or_buffer: str | os.PathLike | TextIO,
    *,
    command_line: str | None = None,
    sort: bool = True,
    overwrite: bool = True,
) -> None:
    """Write hits as FIMO's ``fimo.tsv``.

    Columns ``motif_id motif_alt_id sequence_name start stop strand score p-value q-value
    matched_sequence`` with 1-based inclusive coordinates; score as C ``%g``, p- and q-values as
    ``%.3g`` (an empty q-value when it was not computed), then a blank line and three ``#``
    lines: the program and version, the format description and the command line, as FIMO
    writes them.

    Parameters
    ----------
    hits : pandas.DataFrame
        A table from :func:`scan` (0-based half-open ``start``/``end``).
    path_or_buffer : str, os.PathLike or text file
        Destination.
    command_line : str, optional
        Recorded on the last line (default: this process's command line).
    sort : bool
        Sort by p-value as FIMO does (stable, so ties keep the table's order).
    overwrite : bool
        A path is written atomically (:func:`kgenint._io.atomic_path`); False refuses an existing one.
    """
    need = ["motif_id", "motif_alt_id", "sequence_name", "start", "end", "strand", "score", "p_value"]
    if not isinstance(hits, pd.DataFrame):
        raise InputError(f"hits must be a pandas DataFrame from kgenint.motifs.scan. Received {type(hits).__name__}.")
    missing = [c for c in need if c not in hits.columns]
    if missing:
        raise InputError(f"hits lacks the columns {missing}; pass the table returned by kgenint.motifs.scan.")
    h = hits
    if sort and len(h):
        h = h.iloc[np.argsort(h["p_value"].to_numpy(), kind="stable")]
    qv = h["q_value"].to_numpy(dtype=float) if "q_value" in h.columns else np.full(len(h), np.nan)
    site = h["matched_sequence"].to_numpy() if "matched_sequence" in h.columns else np.full(len(h), "")
    lines = ["\t".join(FIMO_COLUMNS)]
    for mid, alt, sn, st, en, strand, scv, pv, q, ms in zip(
        h["motif_id"].to_numpy(), h["motif_alt_id"].to_numpy(), h["sequence_name"].to_numpy(),
        h["start"].to_numpy(), h["end"].to_numpy(), h["strand"].to_numpy(), h["score"].to_numpy(),
        h["p_value"].to_numpy(), qv, site,
    ):
        lines.append(
            f"{mid}\t{'' if alt is None or alt != alt else alt}\t{sn}\t{int(st) + 1}\t{int(en)}\t{strand}\t"
            f"{_fmt_g(float(scv))}\t{_fmt_g(float(pv), 3)}\t{_fmt_g(float(q), 3)}\t"
            f"{'' if ms is None or ms != ms else ms}"
        )
    if command_line is None:
        command_line = " ".join([os.path.basename(sys.argv[0]) or "python", *sys.argv[1:]])
    text = "\n".join(lines) + "\n"
    text += f"\n# kgenint scan (FIMO-compatible output): Version {__version__}\n"
    text += "# The format of this file is described at https://meme-suite.org/meme/doc/fimo-output-format.html.\n"
    text += f"# {command_line}\n"
    if hasattr(path_or_buffer, "write"):
        path_or_buffer.write(text)  # type: ignore[union-attr]
    else:
        from .._io import atomic_write_text

        atomic_write_text(path_or_buffer, text, overwrite=overwrite)


def read_fimo_tsv(path: str | os.PathLike | TextIO) -> pd.DataFrame:
    """Read a FIMO ``fimo.tsv`` (ours or the MEME suite's) into a 0-based half-open table.

    Returns a DataFrame with ``motif_id``, ``motif_alt_id``, ``sequence_name``, ``start``,
    ``end`` (0-based, half-open), ``strand``, ``score``, ``p_value``, ``q_value`` (NaN when
    empty) and ``matched_sequence``.  Lines starting with ``#`` and blank lines are skipped.

    Raises
    ------
    FormatError
        No header line, or a row with the wrong number of fields or non-numeric coordinates
        (the message gives the file and line).
    """
    name = getattr(path, "name", None) if hasattr(path, "read") else os.fspath(path)
    if hasattr(path, "read"):
        text = path.read()  # type: ignore[union-attr]
    else:
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except UnicodeDecodeError as err:
            raise FormatError(f"not UTF-8 text (byte 0x{err.object[err.start]:02x} at byte {err.start}); save it as "
                              f"UTF-8 tab-separated text (a spreadsheet's 'Unicode text' export is UTF-16).",
                              path=str(name)) from None
    rows = []
    header_seen = False
    for ln, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split("\t")
        if not header_seen:
            if f[:3] != FIMO_COLUMNS[:3]:
                raise FormatError(
                    f"not a FIMO TSV: the first line should start with {FIMO_COLUMNS[:3]}, found {f[:3]}.",
                    path=str(name), line=ln,
                )
            header_seen = True
            continue
        if len(f) < 9:
            raise FormatError(f"expected 10 tab-separated fields, found {len(f)}.", path=str(name), line=ln)
        while len(f) < 10:
            f.append("")
        try:
            st, en = int(f[3]) - 1, int(f[4])
            scv = float(f[6])
            pv = float(f[7])
            qv = float(f[8]) if f[8] else np.nan
        except ValueError as err:
            raise FormatError(f"bad number ({err}).", path=str(name), line=ln) from None
        if st < 0 or en <= st:
            raise FormatError(f"start {f[3]} and stop {f[4]} are not 1-based inclusive coordinates "
                              f"(start >= 1, stop >= start).", path=str(name), line=ln)
        if not (0.0 <= pv <= 1.0):
            raise FormatError(f"p-value {f[7]} is not between 0 and 1.", path=str(name), line=ln)
        if f[5] not in ("+", "-", "."):
            raise FormatError(f"strand {f[5]!r} is not '+', '-' or '.'.", path=str(name), line=ln)
        rows.append((f[0], f[1], f[2], st, en, f[5], scv, pv, qv, f[9]))
    if not header_seen:
        raise FormatError("no FIMO header line found.", path=str(name))
    cols = ["motif_id", "motif_alt_id", "sequence_name", "start", "end", "strand", "score", "p_value",
            "q_value", "matched_sequence"]
    df = pd.DataFrame(rows, columns=cols)
    return df.astype({"start": np.int64, "end": np.int64, "score": float, "p_value": float, "q_value": float})
