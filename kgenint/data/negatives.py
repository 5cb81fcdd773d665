"""Negative windows: genomic windows with the positives' GC distribution, away from every peak
and blacklisted region; or dinucleotide shuffles of the positives.

GC matching is by histogram: the positives' GC fractions are binned (``n_bins`` equal bins on
[0, 1]) and each bin gets a quota of negatives proportional to its share of positives; uniform
random genomic windows are drawn (chromosome chosen by length) and kept while their bin has room.
Only coordinates are kept in memory.
"""
from __future__ import annotations

import logging
from typing import Any, NamedTuple, Sequence

import numpy as np

from ..errors import InputError
from .genome import Genome
from .intervals import IntervalIndex

__all__ = ["GenomicNegatives", "sample_gc_matched", "gc_quotas"]

log = logging.getLogger("kgenint")


class GenomicNegatives(NamedTuple):
    """Coordinates of sampled negative windows (genome order)."""

    chrom: list[str]  #: length K
    start: np.ndarray  #: int64 (K,), 0-based; windows are ``[start, start + length)``
    gc: np.ndarray  #: float64 (K,), GC fraction among non-N bases
    n_requested: int  #: how many were asked for
    n_drawn: int  #: candidate windows drawn


def gc_quotas(target_gc: np.ndarray, n: int, n_bins: int) -> np.ndarray:
    """Negatives per GC bin (largest-remainder rounding of ``n`` x the positives' bin shares)."""
    g = np.asarray(target_gc, dtype=np.float64)
    g = g[np.isfinite(g)]
    if g.size == 0:
        raise InputError("cannot match GC: no positive window has a non-N base.")
    b = np.minimum((g * n_bins).astype(np.int64), n_bins - 1)
    share = np.bincount(b, minlength=n_bins) / g.size * n
    q = np.floor(share).astype(np.int64)
    rest = n - int(q.sum())
    if rest > 0:
        q[np.argsort(-(share - q), kind="stable")[:rest]] += 1
    return q


def sample_gc_matched(
    genome: Genome,
    target_gc: Any,
    n: int,
    length: int,
    exclude: IntervalIndex,
    *,
    chroms: Sequence[str] | None = None,
    max_n_fraction: float = 0.1,
    n_bins: int = 20,
    max_draws: int | None = None,
    seed: Any = 0,
    batch: int = 1024,
) -> GenomicNegatives:
    """Draw ``n`` genomic windows whose GC distribution matches ``target_gc``.

    Parameters
    ----------
    genome : Genome
        The indexed genome.
    target_gc : array_like, float (P,)
        GC fractions of the positive windows (NaN ignored).
    n : int
        Number of negatives wanted.
    length : int
        Window length in bp.
    exclude : IntervalIndex
        Regions no negative may overlap (every peak of every task, the blacklist).
    chroms : sequence of str, optional
        Chromosomes to draw from (default: every chromosome of the genome).
    max_n_fraction : float
        Windows with more than this fraction of N are rejected.
    n_bins : int
        GC histogram bins on [0, 1].
    max_draws : int, optional
        Give up after this many candidate windows (default ``200 * n + 10000``); fewer negatives
        are returned, with a warning, when some GC bins cannot be filled.
    seed : int or numpy.random.Generator
    batch : int
        Candidates drawn per round.

    Returns
    -------
    GenomicNegatives
        Sorted by chromosome (genome order) and start; no two windows share a start.
    """
    rng = np.random.default_rng(seed)
    if n < 0:
        raise InputError(f"the number of negatives must be >= 0. Received: {n}")
    names = list(genome.sizes) if chroms is None else list(chroms)
    span = np.array([max(0, genome.sizes[c] - length + 1) for c in names], dtype=np.float64)
    if n == 0:
        return GenomicNegatives([], np.zeros(0, np.int64), np.zeros(0), 0, 0)
    if span.sum() == 0:
        raise InputError(f"no chromosome of {genome.path} is at least {length} bp long; cannot draw negatives.")
    prob = span / span.sum()
    quota = gc_quotas(target_gc, n, n_bins)
    max_draws = 200 * n + 10000 if max_draws is None else int(max_draws)
    max_n = int(np.floor(max_n_fraction * length))
    taken: dict[tuple[int, int], float] = {}
    drawn = 0
    while quota.sum() > 0 and drawn < max_draws:
        m = min(batch, max_draws - drawn)
        ci = rng.choice(len(names), size=m, p=prob)
        u = rng.random(m)
        drawn += m
        starts = np.floor(u * span[ci]).astype(np.int64)
        ok = np.zeros(m, dtype=bool)
        for k in np.unique(ci):
            sel = np.flatnonzero(ci == k)
            ok[sel] = ~exclude.overlaps(names[k], starts[sel], starts[sel] + length)
        # candidates are taken in the order drawn, so no chromosome fills the quotas first
        for j in np.flatnonzero(ok):
            key = (int(ci[j]), int(starts[j]))
            if key in taken:
                continue
            w = genome.fetch(names[key[0]], key[1], key[1] + length)
            nn = w.count(b"N")
            if nn > max_n or nn == length:
                continue
            gc = (w.count(b"G") + w.count(b"C")) / (length - nn)
            b = min(int(gc * n_bins), n_bins - 1)
            if quota[b] > 0:
                quota[b] -= 1
                taken[key] = gc
                if quota.sum() == 0:
                    break
    if quota.sum() > 0:
        log.warning("GC-matched negatives: found %d of %d after %d draws; GC bins short: %s",
                    n - int(quota.sum()), n, drawn,
                    ", ".join(f"{b / n_bins:.2f}-{(b + 1) / n_bins:.2f}: {q}" for b, q in enumerate(quota) if q))
    keys = sorted(taken)
    return GenomicNegatives(
        chrom=[names[k] for k, _ in keys],
        start=np.array([s for _, s in keys], dtype=np.int64),
        gc=np.array([taken[k] for k in keys], dtype=np.float64),
        n_requested=int(n),
        n_drawn=int(drawn),
    )
