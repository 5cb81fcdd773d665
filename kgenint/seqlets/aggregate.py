"""Aggregation: aligned seqlets -> CWM, hypothetical CWM, PPM, trimmed :class:`~kgenint.motifs.Motif`.

Each clustered seqlet's aligned core is cut again from the input arrays (in the motif's
orientation, with ``flank`` positions each side, zeros beyond the sequence ends). The averages
of contributions, hypothetical contributions and one-hot bases over a cluster's windows are its
CWM, hCWM and PPM ``(window + 2 * flank, 4)`` (the untrimmed *pattern*, as tfmodisco-lite stores
it). The motif is the pattern trimmed to the span of positions whose total absolute CWM is at
least ``trim_threshold`` times the largest, and every seqlet's trimmed site (sequence, start,
end, strand) is kept in the motif's metadata.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..motifs.motif import Motif
from .clustering import ClusterResult
from .similarity import extract_windows

__all__ = ["Pattern", "MotifAggregator", "aligned_coordinates", "trim_bounds"]

SITE_DTYPE = np.dtype([("seq", np.int64), ("start", np.int64), ("end", np.int64), ("strand", "U1")])


@dataclass
class Pattern:
    """One discovered pattern (untrimmed) and its seqlets.

    Attributes
    ----------
    name : str
        ``pos_patterns.pattern_<i>`` style name.
    sign : int
        +1 (positive contributions) or -1.
    ppm, cwm, hcwm : float64 (E, 4)
        Position probability matrix (one-hot mean with a small pseudocount), contribution and
        hypothetical contribution weight matrices over the whole aligned window.
    seqlet_index : int64 (m,)
        Rows of the seqlet table in this pattern.
    start, end : int64 (m,)
        Forward-strand window ``[start, end)`` of each aligned seqlet (may reach beyond the
        sequence, padded with zeros).
    seq : int64 (m,)
    is_revcomp : bool (m,)
    onehot, contrib, hyp : float32 (m, E, 4)
        The aligned windows, in the pattern's orientation.
    trim : (int, int)
        Trimmed span of the pattern (half-open).
    """

    name: str
    sign: int
    ppm: np.ndarray
    cwm: np.ndarray
    hcwm: np.ndarray
    seqlet_index: np.ndarray
    seq: np.ndarray
    start: np.ndarray
    end: np.ndarray
    is_revcomp: np.ndarray
    onehot: np.ndarray
    contrib: np.ndarray
    hyp: np.ndarray
    trim: tuple[int, int]
    extra: dict = field(default_factory=dict)


def aligned_coordinates(start: np.ndarray, strand: np.ndarray, shift: np.ndarray, flip: np.ndarray, window: int):
    """Forward-strand core start and strand after applying a cluster alignment.

    Parameters
    ----------
    start : int (n,)
        Forward-strand core start of each seqlet.
    strand : str (n,)
        Orientation the seqlet was compared in (``'+'`` or ``'-'``).
    shift : int (n,)
        Shift of the matching core in that orientation (positions).
    flip : bool (n,)
        Whether the match was on the reverse complement of that orientation.
    window : int
        Core width.

    Returns
    -------
    new_start : int64 (n,), new_strand : str (n,)
    """
    start = np.asarray(start, dtype=np.int64)
    minus = np.asarray(strand) == "-"
    flipped = np.asarray(flip, dtype=bool)
    # The matching core sits ``shift`` positions along the frame it was read in. That frame is
    # the forward strand when (seqlet on '-') XOR (match on the reverse complement) is False,
    # where a shift moves right; otherwise it runs backwards and the shift moves left.
    new_minus = minus ^ flipped
    new_start = np.where(new_minus, start - shift, start + shift)
    return new_start, np.where(new_minus, "-", "+")


def trim_bounds(cwm: np.ndarray, threshold: float, pad: int = 0) -> tuple[int, int]:
    """Half-open span of positions whose ``sum |cwm|`` is at least ``threshold * max`` (+ ``pad``)."""
    score = np.abs(cwm).sum(axis=1)
    if score.max() <= 0:
        return 0, cwm.shape[0]
    ok = np.flatnonzero(score >= threshold * score.max())
    return max(int(ok[0]) - pad, 0), min(int(ok[-1]) + 1 + pad, cwm.shape[0])


class MotifAggregator:
    """Build patterns and trimmed motifs from clustered seqlets.

    Parameters
    ----------
    flank : int
        Positions added each side of the aligned core in the stored pattern (default 10).
    trim_threshold : float
        Fraction of the largest per-position ``sum |CWM|`` kept when trimming (default 0.3, as
        ``modisco report``).
    trim_pad : int
        Positions kept beyond the trimmed span (default 0).
    pseudocount : float
        Added to the one-hot counts of the PPM, per base (default 0.001 of a site).
    min_width : int
        Clusters whose trimmed motif is narrower than this are dropped and their seqlets left
        unassigned (default 4): single-position attribution spikes cluster together but are
        not binding motifs. The number dropped is kept in ``dropped_narrow``.
    """

    def __init__(
        self, flank: int = 10, trim_threshold: float = 0.3, trim_pad: int = 0, pseudocount: float = 1e-3,
        min_width: int = 4,
    ) -> None:
        self.min_width = min_width
        self.flank = flank
        self.trim_threshold = trim_threshold
        self.trim_pad = trim_pad
        self.pseudocount = pseudocount
        #: Clusters dropped as narrower than ``min_width`` by the last :meth:`patterns` call.
        self.dropped_narrow = 0

    def patterns(
        self,
        onehot: np.ndarray,
        contributions: np.ndarray,
        hypothetical: np.ndarray,
        table: np.ndarray,
        rows: np.ndarray,
        clusters: ClusterResult,
        window: int,
        sign: int,
        first_index: int = 0,
    ) -> list[Pattern]:
        """Patterns of one sign. ``rows`` are the table rows that were clustered (in order).

        Updates ``table`` in place: ``strand``, ``cluster`` (``first_index + c``), ``site_start``
        and ``site_end`` of the clustered seqlets.
        """
        f = int(self.flank)
        group = "pos_patterns" if sign > 0 else "neg_patterns"
        out: list[Pattern] = []
        self.dropped_narrow = 0
        k = int(clusters.labels.max()) + 1 if clusters.labels.size else 0
        for c in range(k):
            mem = np.flatnonzero(clusters.labels == c)
            r = rows[mem]
            st, strand = aligned_coordinates(
                table["start"][r], table["strand"][r], clusters.shift[mem], clusters.flip[mem], window
            )
            seq = table["seq"][r]
            oh = extract_windows(onehot, seq, st, window, f, strand)
            cb = extract_windows(contributions, seq, st, window, f, strand)
            hy = extract_windows(hypothetical, seq, st, window, f, strand)
            counts = oh.sum(axis=0, dtype=np.float64) + self.pseudocount
            ppm = counts / counts.sum(axis=1, keepdims=True)
            cwm = cb.mean(axis=0, dtype=np.float64)
            hcwm = hy.mean(axis=0, dtype=np.float64)
            a, b = trim_bounds(cwm, self.trim_threshold, self.trim_pad)
            if b - a < int(self.min_width):
                self.dropped_narrow += 1
                continue
            idx = len(out)
            ws = st - f
            e = window + 2 * f
            minus = strand == "-"
            site_start = np.where(minus, ws + e - b, ws + a)
            site_end = np.where(minus, ws + e - a, ws + b)
            table["strand"][r] = strand
            table["cluster"][r] = first_index + idx
            table["site_start"][r] = site_start
            table["site_end"][r] = site_end
            out.append(
                Pattern(
                    name=f"{group}.pattern_{idx}", sign=int(sign), ppm=ppm, cwm=cwm, hcwm=hcwm,
                    seqlet_index=r.astype(np.int64), seq=seq.astype(np.int64), start=ws.astype(np.int64),
                    end=(ws + e).astype(np.int64), is_revcomp=minus, onehot=oh, contrib=cb, hyp=hy, trim=(a, b),
                    extra={"similarity": clusters.similarity[mem]},
                )
            )
        return out

    def motif(self, pattern: Pattern, table: np.ndarray) -> Motif:
        """The trimmed :class:`Motif` of a pattern, with its seqlet count and sites in metadata."""
        a, b = pattern.trim
        r = pattern.seqlet_index
        sites = np.zeros(r.size, dtype=SITE_DTYPE)
        sites["seq"] = table["seq"][r]
        sites["start"] = table["site_start"][r]
        sites["end"] = table["site_end"][r]
        sites["strand"] = table["strand"][r]
        sim = pattern.extra.get("similarity")
        n = int(r.size)
        return Motif(
            name=pattern.name,
            pwm=pattern.ppm[a:b],
            counts=pattern.onehot[:, a:b].sum(axis=0, dtype=np.float64),
            nsites=n,
            cwm=pattern.cwm[a:b],
            hcwm=pattern.hcwm[a:b],
            metadata={
                "n_seqlets": n,
                "sign": pattern.sign,
                "sites": sites,
                "seqlet_index": r.copy(),
                "pattern_trim": (int(a), int(b)),
                "mean_similarity": float(np.nanmean(sim)) if sim is not None and sim.size else float("nan"),
                "source": "kgenint.seqlets.discover",
            },
        )
