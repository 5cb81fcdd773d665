"""Exact p-values of motif log-odds scores: the p-value engine of the motif scanner.

It computes the exact null distribution of a motif's log-odds score: the probability that a
random word, drawn letter by letter from a 0-order ACGT background, scores at least ``s``, for
the score integerised at ``resolution`` steps per bit (default :data:`RESOLUTION` = 1000, a
step of 1/1000 bit).  Two objects use it:

* :class:`ScoreDistribution`: the whole distribution of one matrix's integer score, for the
  p-value of any score and the score threshold of any p-value (``MotifScanner.pvalue``,
  ``MotifScanner.score_threshold``; usable wherever a match threshold at a p-value is needed).
* :class:`ThresholdTails`: many motif-strands at one p-value threshold, as the scanner needs
  them: the integer thresholds, the distribution's tail from just below each threshold, the
  real-valued refinement and the p-values of hits.

What "exact" means here
-----------------------
A window's score is its real log-odds score ``S`` in bits (``Motif.log_odds(pseudocount)``
against the background in use; ``pseudocount=0.1`` is FIMO's ``--motif-pseudo``), and its
p-value is ``P(S' >= S)`` for a random word ``S'`` of the 0-order background.  A window is a hit
when that p-value is ``<= threshold`` (ties at the threshold included; relative tolerance
:data:`P_TOLERANCE` for floating-point sums; real scores within :data:`TIE` bits are ties).

How it is computed
------------------
1. The log-odds matrix is integerised, ``A = round(log_odds * resolution)``
   (:func:`integer_log_odds`).  Every word's integer score ``I`` is then within
   ``D = sum_i max_c |A_ic / resolution - L_ic|`` (<= W / 2000 bit) of its real score.
2. The distribution of ``I`` under the background is computed by dynamic programming
   (convolution over the columns, :mod:`kgenint._kernels.score_dist`), pruned to the states that
   can still reach the threshold region (a cheap coarse pass bounds it).  This gives
   ``P(I >= t)`` exactly (to float rounding) and the integer threshold ``T`` (smallest ``t``
   with ``P(I >= t) <= threshold``).
3. Only words with ``I`` in a narrow band around ``T`` can be ranked differently by ``S`` and
   ``I``.  Those words are enumerated (depth-first with integer bounds) with their real scores,
   which gives the *real-valued* p-value of every score in the band, and so the real threshold
   ``s*``.  When the whole tail above the band is small (short motifs) it is enumerated too,
   and every hit's p-value is the real-valued one.  The scan kernel keeps windows whose integer
   score can reach ``s*`` and then compares the real score with ``s*``.
4. If the band holds more than :data:`MAX_BAND_WORDS` words (long motifs; then ``exact`` is
   False for that motif-strand) the integer score itself is the test statistic: hits are the
   windows with ``I >= T`` and the p-value is ``P(I' >= I)``, exact for that statistic, which
   ranks windows as ``S`` does except within ``2 D`` bits.

For windows above the enumerated band the reported p-value is ``P(I' >= I)`` of the integer
score (within a relative error set by the ``D``-bit score difference, far below the threshold).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._kernels import score_dist as _k
from ..errors import InputError

__all__ = [
    "RESOLUTION", "P_TOLERANCE", "TIE", "MAX_BAND_WORDS", "integer_log_odds", "ScoreDistribution",
    "ThresholdTails",
]

#: Integer steps per bit of the integerised log-odds matrices.
RESOLUTION = 1000
#: Relative tolerance of ``p <= threshold`` (floating-point summation in the DP).
P_TOLERANCE = 1e-12
#: Real scores closer than this (bits) are ties (float64 summation order noise).
TIE = 1e-9
#: Most words enumerated around a motif's threshold to make the hit decision exact for the
#: real-valued score; motifs needing more keep the integer statistic (see the module docstring).
MAX_BAND_WORDS = 20_000
#: Lowest score handed to the DP for "the whole distribution".
_NO_CUT = -(1 << 60)


def integer_log_odds(log_odds: np.ndarray, resolution: int, name: str = "motif") -> tuple[np.ndarray, np.ndarray]:
    """The integerised matrix ``round(log_odds * resolution)`` and which entries are finite.

    Parameters
    ----------
    log_odds : float64 array, shape (W, 4)
        Log-odds in bits; ``-inf`` for a letter of probability zero (``pseudocount=0``).
    resolution : int
        Integer steps per bit.
    name : str
        The motif's name, for error messages.

    Returns
    -------
    int_matrix : int64 array, shape (W, 4)
        Entries of ``-inf`` become a negative sentinel below any reachable score.
    finite : bool array, shape (W, 4)

    Raises
    ------
    InputError
        A column without a finite entry, or scores too large for int32 sums.
    """
    fin = np.isfinite(log_odds)
    if not np.all(fin.any(axis=1)):
        raise InputError(f"Motif {name!r}: a column has no letter with non-zero probability.")
    # annotated: numpy's stubs give np.zeros(<tuple[Any, ...]>) the 0-d overload
    a: np.ndarray = np.zeros(log_odds.shape, dtype=np.int64)
    a[fin] = np.rint(log_odds[fin] * resolution).astype(np.int64)
    big = int(np.abs(np.where(fin, a, 0)).max(axis=1).sum())
    a[~fin] = -(2 * big + 1)
    if a.shape[0] * (2 * big + 1) >= 2**31 - 1:
        raise InputError(f"Motif {name!r}: scores too large for the integer scan; lower resolution.")
    return a, fin


def _rounding_gap(int_matrix: np.ndarray, finite: np.ndarray, log_odds: np.ndarray, resolution: int) -> float:
    """``D``: the largest difference (bits) between a word's integer and real score."""
    return np.where(finite, np.abs(int_matrix / resolution - np.where(finite, log_odds, 0.0)), 0.0).max(axis=1).sum()


class ScoreDistribution:
    """Exact null distribution of one motif's integerised log-odds score.

    ``P(I >= s)`` for every integer score ``s`` of ``I = sum_i A[i, x_i]``, ``A =
    round(log_odds * resolution)``, for a word ``x`` drawn from the 0-order background
    ``bg_freqs``; computed once, by convolution over the columns, to float rounding.

    Parameters
    ----------
    log_odds : array_like, shape (W, 4)
        Log-odds matrix in bits (``Motif.log_odds``); ``-inf`` entries have probability zero.
    bg_freqs : array_like, shape (4,)
        ACGT probabilities of the null model (each > 0).
    resolution : int
        Integer steps per bit (default :data:`RESOLUTION`).
    name : str
        The motif's name, for error messages.

    Attributes
    ----------
    int_matrix : int64 array, shape (W, 4)
    finite : bool array, shape (W, 4)
    base : int
        Lowest reachable integer score.
    best : int
        Highest integer score.
    sf : float64 array, shape (best - base + 1,)
        ``sf[s - base] = P(I >= s)``.

    Examples
    --------
    >>> import numpy as np
    >>> d = ScoreDistribution(np.log2(np.eye(4)[[0, 1]] * 0.97 + 0.01) + 2, np.full(4, 0.25))
    >>> float(d.p_value(d.best / d.resolution)) == 0.25 ** 2
    True
    """

    def __init__(self, log_odds: Any, bg_freqs: Any, resolution: int = RESOLUTION, *, name: str = "motif"):
        lo = np.asarray(log_odds, dtype=np.float64)
        bg = np.asarray(bg_freqs, dtype=np.float64)
        if lo.ndim != 2 or lo.shape[1] != 4 or lo.shape[0] == 0:
            raise InputError(f"log_odds must have shape (W, 4) with W >= 1. Received shape {lo.shape}.")
        if bg.shape != (4,) or not (np.all(np.isfinite(bg)) and bg.min() > 0):
            raise InputError(f"bg_freqs must be 4 finite probabilities > 0 (A, C, G, T). Received {bg.tolist()}.")
        self.resolution = int(resolution)
        self.int_matrix, self.finite = integer_log_odds(lo, self.resolution, name)
        base, pmf = _k.pmf_tail(self.int_matrix, self.finite, bg, np.int64(_NO_CUT))
        self.base = int(base)
        self.sf = np.cumsum(pmf[::-1])[::-1]
        self.best = self.base + self.sf.size - 1

    def sf_int(self, int_score: Any) -> np.ndarray:
        """``P(I >= int_score)`` of integer scores (array_like of int; 1 below ``base``, 0 above ``best``)."""
        idx = np.asarray(int_score, dtype=np.int64) - self.base
        sf = self.sf
        out = np.where(idx < 0, 1.0, 0.0)
        ok = (idx >= 0) & (idx < sf.size)
        return np.where(ok, sf[np.clip(idx, 0, max(sf.size - 1, 0))] if sf.size else 0.0, out)

    def p_value(self, score: Any) -> np.ndarray:
        """``P(I >= ceil(score * resolution))`` of scores in bits (on the integer grid; others round up)."""
        s = np.ceil(np.asarray(score, dtype=np.float64) * self.resolution - 1e-6).astype(np.int64)
        return self.sf_int(s)

    def int_threshold(self, p_value: float) -> int:
        """Smallest integer score ``t`` with ``P(I >= t) <= p_value`` (relative tolerance
        :data:`P_TOLERANCE`); ``best + 1`` when even the best score is more probable."""
        ok = np.flatnonzero(self.sf <= float(p_value) * (1.0 + P_TOLERANCE))
        return self.base + int(ok[0]) if ok.size else self.best + 1

    def score_threshold(self, p_value: float) -> float:
        """:meth:`int_threshold` in bits (``inf`` when no score reaches ``p_value``)."""
        t = self.int_threshold(p_value)
        return float("inf") if t > self.best else t / self.resolution


class ThresholdTails:
    """Exact score tails of many motif-strands at one p-value threshold (what the scanner uses).

    For each motif-strand ``k``: the integer threshold ``T_k``, ``P(I >= s)`` for ``s`` from
    ``T_k - W_k - 4`` to the best score (the pruned DP of step 2 of the module docstring), and
    the real-valued refinement of step 3.

    Parameters
    ----------
    int_matrices, finite, log_odds : lists of K arrays, shape (W_k, 4)
        From :func:`integer_log_odds` and the real log-odds (bits) they were made from.
    backgrounds : float64 array, shape (K, 4)
        Background of each motif-strand.
    threshold : float
        p-value threshold, in (0, 1].
    resolution : int
        Integer steps per bit of ``int_matrices``.
    paired : bool
        Motif-strands ``2j`` and ``2j + 1`` are one motif's plus and minus strand: with a
        strand-symmetric background (A=T, C=G) the minus strand shares the plus strand's tail.

    Attributes
    ----------
    thresholds, best : int64 arrays, shape (K,)
        ``T_k`` (``best + 1`` when no score is rare enough) and the best integer score.
    real_thresholds : float64 array, shape (K,)
        Real score (bits) a hit needs where the decision is exact, else ``-inf``.
    exact : bool array, shape (K,)
        Whether the hit decision and band p-values are real-valued exact.
    scan_thresholds : int64 array, shape (K,)
        Integer score a window needs to be scored for real (at most ``thresholds``).
    active : int64 array
        Motif-strands some window can pass (``scan_thresholds <= best``).
    p_scan : float
        Probability that a background window reaches the scan threshold of some active
        motif-strand (sizes the scan's hit buffers).
    """

    def __init__(self, int_matrices, finite, log_odds, backgrounds, threshold: float, resolution: int,
                 paired: bool):
        self.int_matrices, self.finite, self.log_odds = int_matrices, finite, log_odds
        self.backgrounds = backgrounds
        self.resolution = r = int(resolution)
        self.widths = np.array([a.shape[0] for a in int_matrices], dtype=np.int64)
        thr = float(threshold) * (1.0 + P_TOLERANCE)
        n_ms = len(int_matrices)
        # strand-symmetric backgrounds give the minus strand the plus strand's distribution
        sym = [paired and np.allclose(b, b[::-1], rtol=0, atol=1e-15) for b in backgrounds]
        todo = [k for k in range(n_ms) if not (sym[k] and k % 2 == 1)]
        coarse = np.int64(max(1, r // 8))
        th = np.empty(len(todo), dtype=np.int64)
        best = np.empty(len(todo), dtype=np.int64)
        tails_l: list[np.ndarray] = []
        for b0 in range(0, len(todo), 64):  # batches bound the (batch, tail) buffer
            part = todo[b0:b0 + 64]
            offs = np.zeros(len(part) + 1, dtype=np.int64)
            offs[1:] = np.cumsum(self.widths[part])
            a_flat = np.ascontiguousarray(np.concatenate([int_matrices[k] for k in part]))
            f_flat = np.ascontiguousarray(np.concatenate([finite[k] for k in part]))
            bg_t = np.ascontiguousarray(backgrounds[part])
            cap = 16 * r
            margin = self.widths[part] + 4
            t_, b_, tails, tlen = _k.survival_tails(a_flat, f_flat, offs, bg_t, coarse, thr, np.int64(cap), margin)
            if np.any(tlen < 0):
                cap = int(np.max(b_ - t_ + margin)) + 1
                t_, b_, tails, tlen = _k.survival_tails(a_flat, f_flat, offs, bg_t, coarse, thr, np.int64(cap), margin)
            th[b0:b0 + len(part)] = t_
            best[b0:b0 + len(part)] = b_
            tails_l.extend(tails[j, : tlen[j]].copy() for j in range(len(part)))
        self.thresholds = np.empty(n_ms, dtype=np.int64)
        self.best = np.empty(n_ms, dtype=np.int64)
        self._tails: list[np.ndarray] = [np.zeros(0)] * n_ms
        for j, k in enumerate(todo):
            self.thresholds[k], self.best[k] = th[j], best[j]
            self._tails[k] = tails_l[j]
            if sym[k] and k + 1 < n_ms:
                self.thresholds[k + 1], self.best[k + 1] = th[j], best[j]
                self._tails[k + 1] = self._tails[k]
        self._tail_start = self.thresholds - (self.widths + 4)
        self._dev = [_rounding_gap(a, f, lo, r) for a, f, lo in zip(int_matrices, finite, log_odds)]
        self._dev_int = np.array([int(np.ceil(2 * dev * r)) + 1 for dev in self._dev], dtype=np.int64)
        self._refine(thr)
        self._tail_off = np.zeros(n_ms + 1, dtype=np.int64)
        self._tail_off[1:] = np.cumsum([t.size for t in self._tails])
        self._tail_flat = np.concatenate(self._tails) if self._tail_off[-1] else np.zeros(1)
        self.active = np.flatnonzero(self.scan_thresholds <= self.best).astype(np.int64)
        self.p_scan = float(sum(float(self.sf_int(k, np.array([self.scan_thresholds[k]]))[0])
                                for k in self.active.tolist()))

    def _refine(self, thr: float) -> None:
        """Make the hit decision exact for the real-valued score (step 3 of the module docstring)."""
        r = self.resolution
        n_ms = len(self.int_matrices)
        self.real_thresholds = np.full(n_ms, -np.inf)
        self.exact = np.zeros(n_ms, dtype=bool)
        self.scan_thresholds = self.thresholds.copy()
        self._band: dict[int, tuple[int, np.ndarray, np.ndarray]] = {}
        for k in range(n_ms):
            t, best = int(self.thresholds[k]), int(self.best[k])
            a, fin, lo = self.int_matrices[k], self.finite[k], self.log_odds[k]
            if t > best + self.widths[k] + 4:
                continue
            dev, d = self._dev[k], int(self._dev_int[k])
            ilo, ihi = t - 1 - d, t + d
            lo0 = np.where(fin, lo, 0.0)
            # the whole tail when it is small (every hit's p-value real-exact), else the band
            # a word has probability <= max(bg)**w, so a score range of probability P holds at
            # least P / max(bg)**w words: skip only the enumerations certain to overflow
            per_word = float(np.max(self.backgrounds[k])) ** -a.shape[0]
            p_lo, p_hi = self.sf_int(k, np.array([ilo, ihi + 1]))
            n = -1
            if p_lo * per_word <= MAX_BAND_WORDS:
                n, sc, pr = _k.band_words(a, fin, lo0, self.backgrounds[k], np.int64(ilo), np.int64(best),
                                          np.int64(MAX_BAND_WORDS))
            if n >= 0:
                ihi = best
            elif (p_lo - p_hi) * per_word <= MAX_BAND_WORDS:
                n, sc, pr = _k.band_words(a, fin, lo0, self.backgrounds[k], np.int64(ilo), np.int64(ihi),
                                          np.int64(MAX_BAND_WORDS))
            if n < 0:
                continue
            sc, pr = sc[:n], pr[:n]
            order = np.argsort(-sc, kind="stable")
            sd, pd_ = sc[order], pr[order]
            above = float(self.sf_int(k, np.array([ihi + 1]))[0])
            cum = above + np.cumsum(pd_)
            # ties (within TIE bits) share the p-value of their whole group
            last = np.searchsorted(-sd, -(sd - TIE), side="right") - 1
            p_at = cum[last] if n else cum
            ok = np.flatnonzero(p_at <= thr)
            s_star = float(sd[ok].min()) if ok.size else t / r + dev
            rt = s_star - TIE
            self.real_thresholds[k] = rt
            self.exact[k] = True
            self.scan_thresholds[k] = int(np.floor(r * (rt - dev))) - 1
            self._band[k] = (ihi, sd, cum)

    def sf_int(self, k: int, s: np.ndarray) -> np.ndarray:
        """``P(I >= s)`` of motif-strand ``k`` from its stored tail (``s`` must be >= the tail start)."""
        tail = self._tails[k]
        j = s - self._tail_start[k]
        return np.where(j >= tail.size, 0.0, tail[np.clip(j, 0, max(tail.size - 1, 0))] if tail.size else 0.0)

    def hit_pvalues(self, ms: np.ndarray, isc: np.ndarray, score: np.ndarray) -> np.ndarray:
        """p-values of hits (motif-strand, integer score, real score): real-valued exact inside a
        refined band, else of the integer score."""
        if ms.size == 0:
            return np.zeros(0)
        pval = self._tail_flat[self._tail_off[ms] + (isc - self._tail_start[ms])]
        cand = np.flatnonzero(self.exact[ms])
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

    def bounded_thresholds(self, cut: float) -> np.ndarray:
        """Integer scan thresholds under which no window's p-value can be ``<= cut``.

        A window's p-value is at least ``P(I >= isc + 2 D)``, so windows below ``T - d`` with
        ``P(I >= T - 1) > cut`` and ``d >= 2 D + 1`` are certain to lose; ``T`` comes from each
        motif-strand's stored tail.
        """
        t = self.scan_thresholds.copy()
        for k in self.active.tolist():
            tail = self._tails[k]
            ok = np.flatnonzero(tail <= cut)
            T = int(self._tail_start[k]) + int(ok[0]) if ok.size else int(self.best[k]) + 1
            t[k] = max(int(t[k]), T - int(self._dev_int[k]))
        return t
