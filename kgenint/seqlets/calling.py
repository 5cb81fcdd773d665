"""Seqlet calling: spans of high total contribution, with thresholds from a null fitted on the data.

Two callers share one null model and one false-discovery estimate:

* :class:`LaplaceSeqletCaller` (TF-MoDISco style). The per-position contribution (summed over
  the four bases) is summed over sliding windows of ``window`` positions. The bulk of these
  window sums is background; it is modelled as an asymmetric Laplace distribution with location
  ``mu`` (the median) and one scale per side, ``b+ = median(S - mu | S > mu) / ln 2`` (for a
  Laplace side, the median excess equals ``b ln 2``). Under this null the expected number of
  windows with ``S >= t`` is ``n * pi+ * exp(-(t - mu) / b+)``; dividing by the observed count
  gives an estimated FDR, and the threshold is the smallest observed sum whose estimated FDR is
  at most ``fdr`` (Benjamini--Hochberg step-up on the null tail). Negative windows are treated
  the same way on the other side. Passing windows are then taken best first, never
  overlapping.
* :class:`RecursiveSeqletCaller`. The same null and FDR give one threshold per span length
  ``min_length .. max_length``. A span is called only when it passes *and* both of its
  sub-spans one position shorter were called, so every sub-span down to ``min_length`` is
  significant; of nested significant spans only the maximal ones are candidates. Spans are
  taken best first (largest absolute sum), then re-centred to fixed-width seqlets of ``window``
  positions.

Both return :class:`CallResult`: a structured array of seqlets (``seq``, ``start``, ``end``,
``strand``, ``score``, ``sign``, ``cluster``; coordinates 0-based half-open on the forward
strand, width ``window``) and a :class:`SeqletThresholds` report that says which thresholds
were used and why.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .._kernels.seqlets import greedy_select
from ..errors import InputError

__all__ = [
    "SEQLET_DTYPE",
    "SeqletThresholds",
    "CallResult",
    "LaplaceSeqletCaller",
    "RecursiveSeqletCaller",
    "laplace_null",
    "fdr_threshold",
    "window_sums",
    "empty_seqlets",
]

#: Fields of the seqlet table. ``start``/``end``: forward-strand half-open span of the seqlet
#: core; ``strand``: orientation of the motif in it ('+' until clustering aligns it);
#: ``score``: the window's contribution sum; ``sign``: +1 / -1; ``cluster``: motif index or -1;
#: ``site_start``/``site_end``: the trimmed motif site after aggregation (-1 before).
SEQLET_DTYPE = np.dtype(
    [
        ("seq", np.int64),
        ("start", np.int64),
        ("end", np.int64),
        ("strand", "U1"),
        ("score", np.float64),
        ("sign", np.int8),
        ("cluster", np.int64),
        ("site_start", np.int64),
        ("site_end", np.int64),
    ]
)


def empty_seqlets(n: int = 0) -> np.ndarray:
    """A seqlet table of ``n`` rows with ``strand='+'`` and ``cluster=site_start=site_end=-1``."""
    a = np.zeros(n, dtype=SEQLET_DTYPE)
    a["strand"] = "+"
    a["cluster"] = -1
    a["site_start"] = -1
    a["site_end"] = -1
    return a


@dataclass
class SeqletThresholds:
    """Which thresholds the caller used, and why.

    Attributes
    ----------
    method : str
        ``"laplace"`` or ``"recursive"``.
    fdr : float
        Target false-discovery rate.
    window : int
        Seqlet core width (positions).
    mu : float
        Location of the null (median window sum), contribution units.
    scale_pos, scale_neg : float
        Laplace scales of the positive and negative side of the null.
    pos, neg : float
        Window-sum thresholds (``S >= pos`` or ``S <= neg`` is called); ``inf``/``-inf`` when no
        window reached the FDR. For the recursive caller these are the ``window``-length ones
        and ``per_length`` holds all of them.
    n_windows, n_pos_windows, n_neg_windows : int
        Windows scored and windows passing each threshold.
    n_pos, n_neg : int
        Seqlets called (after removing overlaps and applying any cap).
    capped : bool
        Whether ``max_seqlets`` removed lower-scoring seqlets.
    per_length : dict
        Recursive caller: ``{length: (pos, neg)}``.
    """

    method: str
    fdr: float
    window: int
    mu: float = 0.0
    scale_pos: float = 0.0
    scale_neg: float = 0.0
    pos: float = math.inf
    neg: float = -math.inf
    n_windows: int = 0
    n_pos_windows: int = 0
    n_neg_windows: int = 0
    n_pos: int = 0
    n_neg: int = 0
    capped: bool = False
    per_length: dict = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain ``dict`` (JSON-serialisable)."""
        d = asdict(self)
        d["per_length"] = {str(k): list(v) for k, v in self.per_length.items()}
        return d

    def __str__(self) -> str:
        return (
            f"{self.method} caller, FDR {self.fdr:g}, window {self.window}: null Laplace(mu={self.mu:.4g}, "
            f"b+={self.scale_pos:.4g}, b-={self.scale_neg:.4g}); windows with sum >= {self.pos:.4g} "
            f"({self.n_pos_windows} of {self.n_windows}) or <= {self.neg:.4g} ({self.n_neg_windows}) "
            f"passed; {self.n_pos} positive and {self.n_neg} negative seqlets called"
            + (" (capped to the highest-scoring)" if self.capped else "")
            + "."
        )


@dataclass
class CallResult:
    """Output of a seqlet caller: ``seqlets`` (structured array, :data:`SEQLET_DTYPE`) and
    ``thresholds`` (:class:`SeqletThresholds`)."""

    seqlets: np.ndarray
    thresholds: SeqletThresholds


def window_sums(track: np.ndarray, width: int) -> np.ndarray:
    """Sums of ``track`` over every window of ``width`` positions.

    Parameters
    ----------
    track : float (N, L)
        Per-position contribution (summed over bases).
    width : int
        Window width (positions), ``1 <= width <= L``.

    Returns
    -------
    float64 (N, L - width + 1)
        ``out[i, p] = track[i, p:p + width].sum()``.
    """
    t = np.asarray(track, dtype=np.float64)
    c = np.zeros((t.shape[0], t.shape[1] + 1))
    np.cumsum(t, axis=1, out=c[:, 1:])
    return c[:, width:] - c[:, :-width]


def laplace_null(values: np.ndarray, max_values: int = 2_000_000, seed: int = 0) -> tuple[float, float, float, float]:
    """Fit the asymmetric Laplace null to window sums.

    Parameters
    ----------
    values : float (M,)
        Window sums (contribution units).
    max_values : int
        At most this many values (a seeded random subset) are used for the fit.
    seed : int
        Seed of the subset.

    Returns
    -------
    mu, scale_pos, scale_neg, frac_pos : float
        Location (median), the two side scales (median excess / ln 2) and the fraction of values
        above ``mu``.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size > max_values:
        v = np.random.default_rng(seed).choice(v, size=max_values, replace=False)
    mu = float(np.median(v))
    up = v[v > mu] - mu
    down = mu - v[v < mu]
    ln2 = math.log(2.0)
    scale_pos = float(np.median(up)) / ln2 if up.size else 0.0
    scale_neg = float(np.median(down)) / ln2 if down.size else 0.0
    frac_pos = up.size / max(v.size, 1)
    return mu, scale_pos, scale_neg, frac_pos


def fdr_threshold(values: np.ndarray, mu: float, scale: float, frac: float, fdr: float, n_total: int) -> float:
    """Smallest value ``t`` in ``values`` whose estimated FDR under the Laplace tail is <= ``fdr``.

    ``values`` are one side's excesses oriented upwards (for the negative side pass ``-S`` and
    ``-mu``). The estimated FDR of threshold ``t`` is
    ``n_total * frac * exp(-(t - mu) / scale) / #(values >= t)``; the step-up rule takes the
    largest count ``k`` whose FDR is within the target.

    Returns
    -------
    float
        The threshold, or ``inf`` when no value qualifies.
    """
    if scale <= 0 or frac <= 0:
        return math.inf
    v = np.asarray(values, dtype=np.float64).ravel()
    # only values whose null tail is below fdr * n_total can pass: filter before sorting
    floor = mu + scale * math.log(max(frac / fdr, 1.0))
    v = v[v > floor]
    if v.size == 0:
        return math.inf
    v = np.sort(v)[::-1]
    k = np.arange(1, v.size + 1)
    expected = n_total * frac * np.exp(-(v - mu) / scale)
    ok = np.flatnonzero(expected / k <= fdr)
    if ok.size == 0:
        return math.inf
    return float(v[ok[-1]])


def _check_fdr(fdr: float) -> float:
    if not (0.0 < float(fdr) < 1.0):
        raise InputError(f"fdr must be between 0 and 1 (exclusive). Received: fdr={fdr!r}")
    return float(fdr)


def _per_position(contributions: np.ndarray) -> np.ndarray:
    c = np.asarray(contributions)
    if c.ndim != 3 or c.shape[-1] != 4:
        raise InputError(
            f"contributions must have shape (N, L, 4). Received shape {c.shape}."
        )
    if not np.all(np.isfinite(c)):
        i, j, _ = np.argwhere(~np.isfinite(c))[0]
        raise InputError(
            f"contributions have a non-finite value (NaN or inf) in sequence {i}, position {j}; "
            f"recompute the attributions or replace those values."
        )
    return c.sum(axis=-1, dtype=np.float64)


def _cap(table: np.ndarray, max_seqlets: int | None) -> tuple[np.ndarray, bool]:
    """Keep at most ``max_seqlets`` per sign, the highest-|score| ones (never the first rows)."""
    if max_seqlets is None:
        return table, False
    keep = np.ones(len(table), dtype=bool)
    capped = False
    for s in (1, -1):
        idx = np.flatnonzero(table["sign"] == s)
        if idx.size > max_seqlets:
            capped = True
            order = idx[np.argsort(-np.abs(table["score"][idx]), kind="stable")]
            keep[order[max_seqlets:]] = False
    return table[keep], capped


def _sort_table(t: np.ndarray) -> np.ndarray:
    return t[np.lexsort((t["start"], t["seq"]))]


class LaplaceSeqletCaller:
    """TF-MoDISco-style caller: windows of high total contribution under a Laplace null.

    Parameters
    ----------
    window : int
        Seqlet core width, positions (default 21).
    fdr : float
        Target false-discovery rate of the windows (default 0.05).
    min_gap : int, optional
        Free positions required between two seqlet cores (default ``window // 2``, so a motif's
        shifted windows are not called twice).
    max_seqlets : int, optional
        Cap per sign; the highest-scoring seqlets are kept (default: no cap).
    max_passing_frac : float
        If more than this fraction of windows pass, the threshold is raised to the
        corresponding quantile of ``|S|`` (guards against a null swamped by signal).
    seed : int
        Seed of the subset used to fit the null on very large inputs.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (20, 300))]
    >>> c = rng.normal(0, 0.01, x.shape).astype(np.float32) * x
    >>> c[:, 40:50] += x[:, 40:50]
    >>> res = LaplaceSeqletCaller(window=11).call(c)
    >>> len(res.seqlets), res.thresholds.n_pos
    (20, 20)
    """

    method = "laplace"

    def __init__(
        self,
        window: int = 21,
        fdr: float = 0.05,
        min_gap: int | None = None,
        max_seqlets: int | None = None,
        max_passing_frac: float = 0.2,
        seed: int = 0,
    ) -> None:
        self.window = window
        self.fdr = fdr
        self.min_gap = min_gap
        self.max_seqlets = max_seqlets
        self.max_passing_frac = max_passing_frac
        self.seed = seed

    def _validate(self, length: int) -> None:
        if not isinstance(self.window, (int, np.integer)) or self.window < 2:
            raise InputError(f"window must be an integer >= 2. Received: window={self.window!r}")
        if self.window > length:
            raise InputError(
                f"window ({self.window}) is longer than the sequences ({length} positions); "
                f"use a smaller window."
            )
        _check_fdr(self.fdr)
        if self.max_seqlets is not None and int(self.max_seqlets) < 1:
            raise InputError(f"max_seqlets must be >= 1 or None. Received: max_seqlets={self.max_seqlets!r}")

    def call(self, contributions: np.ndarray) -> CallResult:
        """Call seqlets.

        Parameters
        ----------
        contributions : float (N, L, 4)
            Contribution scores (attribution x one-hot), any units.

        Returns
        -------
        CallResult
        """
        track = _per_position(contributions)
        n, length = track.shape
        self._validate(length)
        w = int(self.window)
        s = window_sums(track, w)
        mu, bp, bn, fp = laplace_null(s, seed=self.seed)
        th = SeqletThresholds(
            method=self.method, fdr=float(self.fdr), window=w, mu=mu, scale_pos=bp, scale_neg=bn,
            n_windows=int(s.size),
        )
        th.pos = fdr_threshold(s, mu, bp, fp, self.fdr, s.size)
        th.neg = -fdr_threshold(-s, -mu, bn, 1.0 - fp, self.fdr, s.size)
        th.pos, th.neg = _limit_passing(s, th.pos, th.neg, self.max_passing_frac)
        pos_mask = s >= th.pos
        neg_mask = s <= th.neg
        th.n_pos_windows = int(pos_mask.sum())
        th.n_neg_windows = int(neg_mask.sum())
        rows, starts = np.nonzero(pos_mask | neg_mask)
        scores = s[rows, starts]
        gap = w // 2 if self.min_gap is None else int(self.min_gap)
        table = _select(rows, starts, starts + w, scores, n, length, gap)
        table = _recentre(table, track, w, length)
        table, th.capped = _cap(table, self.max_seqlets)
        th.n_pos = int((table["sign"] == 1).sum())
        th.n_neg = int((table["sign"] == -1).sum())
        return CallResult(_sort_table(table), th)


def _limit_passing(s: np.ndarray, pos: float, neg: float, max_frac: float) -> tuple[float, float]:
    if max_frac is None or max_frac >= 1:
        return pos, neg
    frac = (np.count_nonzero(s >= pos) + np.count_nonzero(s <= neg)) / s.size
    if frac > max_frac:
        t = float(np.quantile(np.abs(s), 1.0 - max_frac))
        warnings.warn(
            f"{100 * frac:.1f}% of windows passed the FDR thresholds, more than the "
            f"{100 * max_frac:.0f}% allowed (max_passing_frac); the threshold was raised to "
            f"|sum| >= {t:.4g}. The null may be swamped by signal.",
            stacklevel=3,
        )
        pos, neg = max(pos, t), min(neg, -t)
    return pos, neg


def _select(rows, starts, ends, scores, n, length, gap) -> np.ndarray:
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    ends = np.ascontiguousarray(ends, dtype=np.int64)
    order = np.lexsort((starts, rows, -np.abs(scores))).astype(np.int64)
    keep = greedy_select(rows, starts, ends, order, int(n), int(length), int(gap))
    t = empty_seqlets(int(keep.sum()))
    t["seq"] = rows[keep]
    t["start"] = starts[keep]
    t["end"] = ends[keep]
    t["score"] = scores[keep]
    t["sign"] = np.where(scores[keep] >= 0, 1, -1)
    return t


class RecursiveSeqletCaller(LaplaceSeqletCaller):
    """Fast recursive caller: a span is called only when all its sub-spans are significant.

    Parameters
    ----------
    window : int
        Width of the seqlets returned (default 21); also the longest span considered.
    min_length : int
        Shortest span tested (default 4).
    fdr : float
        Target false-discovery rate, applied to every span length separately.
    min_gap, max_seqlets, max_passing_frac, seed
        As in :class:`LaplaceSeqletCaller`.
    """

    method = "recursive"

    def __init__(
        self,
        window: int = 21,
        min_length: int = 4,
        fdr: float = 0.05,
        min_gap: int | None = None,
        max_seqlets: int | None = None,
        max_passing_frac: float = 0.2,
        seed: int = 0,
    ) -> None:
        super().__init__(window=window, fdr=fdr, min_gap=min_gap, max_seqlets=max_seqlets,
                         max_passing_frac=max_passing_frac, seed=seed)
        self.min_length = min_length

    def call(self, contributions: np.ndarray) -> CallResult:
        """Call seqlets; see :meth:`LaplaceSeqletCaller.call`."""
        track = _per_position(contributions)
        n, length = track.shape
        self._validate(length)
        w = int(self.window)
        lmin = int(self.min_length)
        if not 1 <= lmin <= w:
            raise InputError(f"min_length must be between 1 and window ({w}). Received: min_length={lmin}")
        th = SeqletThresholds(method=self.method, fdr=float(self.fdr), window=w)
        cand_rows: list[np.ndarray] = []
        cand_starts: list[np.ndarray] = []
        cand_ends: list[np.ndarray] = []
        cand_scores: list[np.ndarray] = []
        prev: dict[int, np.ndarray] = {}  # significant windows of the previous length, by sign
        prev_s = None  # window sums of the previous length (set before its first use, ln > lmin)
        sig_by_len: dict[int, dict[int, np.ndarray]] = {}
        for ln in range(lmin, w + 1):
            s = window_sums(track, ln)
            mu, bp, bn, fp = laplace_null(s, seed=self.seed)
            tp = fdr_threshold(s, mu, bp, fp, self.fdr, s.size)
            tn = -fdr_threshold(-s, -mu, bn, 1.0 - fp, self.fdr, s.size)
            tp, tn = _limit_passing_quiet(s, tp, tn, self.max_passing_frac)
            th.per_length[ln] = (tp, tn)
            if ln == w:
                th.mu, th.scale_pos, th.scale_neg, th.pos, th.neg = mu, bp, bn, tp, tn
                th.n_windows = int(s.size)
            cur: dict[int, np.ndarray] = {}
            for sign, t in ((1, tp), (-1, tn)):
                sig = (s >= t) if sign == 1 else (s <= t)
                p = prev.get(sign)
                if p is not None:
                    sig &= p[:, :-1] & p[:, 1:]
                cur[sign] = sig
            sig_by_len[ln] = cur
            if ln > lmin:
                assert prev_s is not None  # set at length ln - 1
                # spans of length ln-1 that are not inside a significant span of length ln are maximal
                for sign in (1, -1):
                    p = prev[sign]
                    covered = np.zeros_like(p)
                    covered[:, :-1] |= cur[sign]
                    covered[:, 1:] |= cur[sign]
                    r, st = np.nonzero(p & ~covered)
                    _add(cand_rows, cand_starts, cand_ends, cand_scores, r, st, ln - 1, prev_s[r, st])
            prev = cur
            prev_s = s
        assert prev_s is not None  # the loop ran: lmin <= w
        for sign in (1, -1):
            r, st = np.nonzero(prev[sign])
            _add(cand_rows, cand_starts, cand_ends, cand_scores, r, st, w, prev_s[r, st])
        th.n_pos_windows = int(sig_by_len[w][1].sum())
        th.n_neg_windows = int(sig_by_len[w][-1].sum())
        rows = np.concatenate(cand_rows) if cand_rows else np.zeros(0, np.int64)
        starts = np.concatenate(cand_starts) if cand_rows else np.zeros(0, np.int64)
        ends = np.concatenate(cand_ends) if cand_rows else np.zeros(0, np.int64)
        scores = np.concatenate(cand_scores) if cand_rows else np.zeros(0)
        gap = w // 2 if self.min_gap is None else int(self.min_gap)
        spans = _select(rows, starts, ends, scores, n, length, 0)
        # re-centre every span on a fixed window, then remove overlaps among the fixed windows
        centre = (spans["start"] + spans["end"]) // 2
        fs = np.clip(centre - w // 2, 0, length - w)
        table = _select(spans["seq"], fs, fs + w, spans["score"], n, length, gap)
        table = _recentre(table, track, w, length)
        table, th.capped = _cap(table, self.max_seqlets)
        th.n_pos = int((table["sign"] == 1).sum())
        th.n_neg = int((table["sign"] == -1).sum())
        return CallResult(_sort_table(table), th)


def _recentre(table: np.ndarray, track: np.ndarray, w: int, length: int) -> np.ndarray:
    """Move each seqlet so that its core is centred on its contribution mass.

    Windows of equal sum tie whenever a motif is shorter than the window; the centroid of the
    sign-oriented positive contribution puts the motif in the middle of the core. The score is
    recomputed on the moved core, and overlaps created by moving are removed (best first).
    """
    if len(table) == 0:
        return table
    idx = table["start"][:, None] + np.arange(w)[None, :]
    vals = track[table["seq"][:, None], idx] * table["sign"][:, None]
    mass = np.maximum(vals, 0.0)
    tot = mass.sum(axis=1)
    centroid = np.where(tot > 0, (mass * np.arange(w)).sum(axis=1) / np.where(tot > 0, tot, 1), (w - 1) / 2)
    start = table["start"] + np.rint(centroid - (w - 1) / 2).astype(np.int64)
    start = np.clip(start, 0, length - w)
    idx = start[:, None] + np.arange(w)[None, :]
    score = track[table["seq"][:, None], idx].sum(axis=1)
    score = np.where(np.sign(score) == table["sign"], score, table["score"])
    out = _select(table["seq"], start, start + w, score, int(table["seq"].max()) + 1, length, 0)
    return out


def _limit_passing_quiet(s, tp, tn, max_frac):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _limit_passing(s, tp, tn, max_frac)


def _add(rows, starts, ends, scores, r, st, ln, sc) -> None:
    if r.size:
        rows.append(r.astype(np.int64))
        starts.append(st.astype(np.int64))
        ends.append(st.astype(np.int64) + ln)
        scores.append(np.asarray(sc, dtype=np.float64))
