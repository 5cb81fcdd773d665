"""FIMO-like motif scanning with exact p-values: :func:`scan` and :class:`MotifScanner`.

A window is a hit when the p-value of its real log-odds score (bits) is ``<= threshold``; how
that p-value is made exact (integerised matrices, the pruned score distribution, the enumerated
band around the threshold) is told in :mod:`kgenint.motifs._pvalue_engine`.  The reported
``score`` is always the real log-odds score (bits) as FIMO reports it.  The other jobs live
beside this module: the prefilter tables in ``_prefilter.py``, the sequence input in
``_scan_input.py``, the hit heap, q-values and table in ``_scan_hits.py``, the Dask tasks in
``_scan_dask.py``, the FIMO TSV in ``fimo_tsv.py`` (re-exported here).

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

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._kernels import scan as _k
from .._deprecation import renamed_args
from ..errors import InputError
from ._prefilter import FILTER_Q, build_prefilter
from ._pvalue_engine import (  # noqa: F401 - the engine's constants, kept importable from here
    MAX_BAND_WORDS, P_TOLERANCE, RESOLUTION, TIE, ScoreDistribution, ThresholdTails, integer_log_odds,
)
from ._scan_hits import TopHits, best_hits, hit_table, matched_sites, motif_qvalues
from ._scan_input import (  # noqa: F401 - the scanner's input code, kept importable from here
    _BOUNDED_BATCH, _DEFAULT_CHUNK, HIT_COLUMNS, _Input, _n_free_windows,
    prepare_input,
)
from .fimo_tsv import FIMO_COLUMNS, read_fimo_tsv, write_fimo_tsv  # noqa: F401 - re-exported
from .motif import Motif, validate_background

__all__ = ["scan", "MotifScanner", "write_fimo_tsv", "read_fimo_tsv", "RESOLUTION", "HIT_COLUMNS"]

_MAX_WIDTH = 300
#: Window starts per tile of the scan (the unit of parallel work).
TILE = 16384
#: First hit capacity of a tile: this many times the hits expected under the background, + 64.
_CAP_MARGIN = 4.0


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
                a, fin = integer_log_odds(L, r, m.name)
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
        self._full_sf: dict[int, ScoreDistribution] = {}
        # the exact p-value engine: thresholds, tails near them, the real-valued refinement
        nulls = self._nulls = ThresholdTails(ints, fins, los, self._ms_bg, self.threshold, r, self.both_strands)
        self.thresholds_, self.best_ = nulls.thresholds, nulls.best
        self.real_thresholds_, self.exact_ = nulls.real_thresholds, nulls.exact
        self._scan_thresh, self._active = nulls.scan_thresholds, nulls.active
        (self._grp_start, self._fbits, self._foff, self._blk_start, self._blk_off, self._blk_rest,
         self._tables) = build_prefilter(ints, fins, self._ms_bg, self.widths_, self._scan_thresh, self._active)
        self._lo_off = np.zeros(len(los) + 1, dtype=np.int64)
        self._lo_off[1:] = np.cumsum(self.widths_)
        lo = np.concatenate(los)
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

    def _full(self, ms: int) -> ScoreDistribution:
        """The whole score distribution of motif-strand ``ms`` (computed on first use)."""
        if ms not in self._full_sf:
            self._full_sf[ms] = ScoreDistribution(self.log_odds_[ms], self._ms_bg[ms], self.resolution,
                                                  name=self.motifs_[ms // len(self.strands_)].name)
        return self._full_sf[ms]

    def pvalue_int(self, motif_index: int, int_score: Any, strand: str = "+") -> np.ndarray:
        """Exact ``P(I >= int_score)`` of integer scores (array_like of int) under the background."""
        return self._full(self._ms_index(motif_index, strand)).sf_int(int_score)

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
        return self._full(self._ms_index(motif_index, strand)).p_value(score)

    def score_threshold(self, motif_index: int, pvalue: float | None = None, strand: str = "+") -> float:
        """Smallest score (bits, on the integer grid) whose p-value is <= ``pvalue``.

        ``pvalue`` defaults to the scanner's threshold.  Returns ``inf`` when even the best
        score has a larger p-value.
        """
        ms = self._ms_index(motif_index, strand)
        if pvalue is None or float(pvalue) == self.threshold:
            t = int(self.thresholds_[ms])
            return float("inf") if t > self.best_[ms] else t / self.resolution
        return self._full(ms).score_threshold(_check_threshold(pvalue))

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
        p_scan = self._nulls.p_scan
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
        top = TopHits(int(max_hits), n_str) if max_hits is not None and not qvalues else None
        bounded = top is not None
        n_found = 0
        uw = np.unique(self.widths_[:: n_str])
        n_tested = np.zeros(uw.size, dtype=np.int64)
        from ..progress import progress as _progress

        total = int(inp.lengths.sum())
        bar = _progress(total=total, desc="Scanning", unit="bp", disable=None if progress else True)
        try:
            for first, codes, off, lens in inp.chunks():
                if qvalues:
                    n_tested += _n_free_windows(codes, off, lens, uw)
                batches = (self._scan_batches(codes, off, lens, first) if top is None else
                           self._scan_batches(codes, off, lens, first, thresh_all=lambda: self._bounded_thresh(top),
                                              max_windows=_BOUNDED_BATCH))
                for seq, pos, ms, isc in batches:
                    score = _k.hit_scores(codes, off, seq, pos, ms, self._lo_flat, self._lo_off)
                    keep = score >= self.real_thresholds_[ms]
                    if not keep.all():
                        seq, pos, ms, isc, score = seq[keep], pos[keep], ms[keep], isc[keep], score[keep]
                    if top is not None:
                        n_found += seq.size
                        pv = self._nulls.hit_pvalues(ms, isc, score)
                        cut = top.cut()
                        if cut is not None:  # cannot enter the best max_hits
                            k2 = np.flatnonzero(pv <= cut)
                            seq, pos, ms, isc, score, pv = seq[k2], pos[k2], ms[k2], isc[k2], score[k2], pv[k2]
                        if seq.size > top.n:  # only this batch's best can enter the overall best
                            k2 = np.lexsort((ms % n_str, pos, seq, ms // n_str, pv))[: top.n]
                            seq, pos, ms, isc, score, pv = seq[k2], pos[k2], ms[k2], isc[k2], score[k2], pv[k2]
                        top.add(seq + first, pos, ms, isc, score, pv, matched_sites(codes, off, seq, pos, ms, self.widths_, n_str))
                        continue
                    res["site"].append(matched_sites(codes, off, seq, pos, ms, self.widths_, n_str))
                    res["seq"].append(seq + first)
                    res["pos"].append(pos)
                    res["ms"].append(ms)
                    res["isc"].append(isc)
                    res["score"].append(score)
                bar.update(int(lens.sum()))
        finally:
            bar.close()
        if top is not None:
            seq, pos, ms, isc, score, pval, site = top.result()
        else:
            seq, pos, ms, isc, score = (np.concatenate(res[k]) for k in ("seq", "pos", "ms", "isc", "score"))
            site = np.concatenate(res["site"]) if res["site"] else np.zeros(0, dtype=object)
            pval = self._nulls.hit_pvalues(ms, isc, score)
            n_found = ms.size
        motif = ms // n_str
        strand_idx = ms % n_str
        qv = (motif_qvalues(motif, pval, n_tested, uw, self.widths_, n_str) if qvalues else
              np.full(ms.size, np.nan))
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
        keep = best_hits(pval, n_found, max_hits, at_least=bounded, stacklevel=3)
        if keep is not None:  # ties at the cut: the first in output order
            seq, pos, ms, score, pval, qv, site, motif, strand_idx = (
                v[keep] for v in (seq, pos, ms, score, pval, qv, site, motif, strand_idx)
            )
        return hit_table(self.motifs_, inp.n, seq_names, seq=seq, motif=motif, start=pos, end=pos + self.widths_[ms],
                         strand=np.array(self.strands_, dtype=object)[strand_idx], score=score, p_value=pval,
                         q_value=qv, site=site)

    def _bounded_thresh(self, top: TopHits) -> np.ndarray:
        """Integer scan thresholds under which no window can enter the current best ``max_hits``
        (:meth:`ThresholdTails.bounded_thresholds` at the heap's cut, kept until the cut moves)."""
        cut = top.cut()
        if cut is None:
            return self._scan_thresh
        if top.thresh is None or top.thresh_for != cut:  # thresh is None only before the first cut
            top.thresh, top.thresh_for = self._nulls.bounded_thresholds(cut), cut
        return top.thresh


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
