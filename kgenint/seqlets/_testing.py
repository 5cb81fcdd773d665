"""Synthetic attribution maps with planted motifs, for tests and benchmarks (not public API).

The maps mimic DeepSHAP output: random one-hot DNA; at each planted site the hypothetical
contribution is ``sign * scale * log2(p / 0.25)`` of the planted PWM (clipped to [-2, 2]) for
every base, small Gaussian noise everywhere, and ``contributions = hypothetical * onehot``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SyntheticAttributions", "make_attributions", "consensus_pwm", "jaspar_pwms"]


@dataclass
class SyntheticAttributions:
    """Arrays plus the truth: ``sites`` is a structured array (seq, start, end, strand, motif)."""

    onehot: np.ndarray
    contributions: np.ndarray
    hypothetical: np.ndarray
    sites: np.ndarray
    pwms: list
    names: list
    signs: list


def consensus_pwm(consensus: str, p: float = 0.85) -> np.ndarray:
    """A ``(W, 4)`` PWM with probability ``p`` on each consensus base (rest spread evenly)."""
    idx = {"A": 0, "C": 1, "G": 2, "T": 3}
    m = np.full((len(consensus), 4), (1 - p) / 3)
    for i, ch in enumerate(consensus):
        m[i, idx[ch]] = p
    return m


def jaspar_pwms(ids: list[str]) -> tuple[list[np.ndarray], list[str]]:
    """PWMs ``(W, 4)`` and names of JASPAR matrices (needs the ``pyjaspar`` package; offline)."""
    from pyjaspar import jaspardb

    db = jaspardb()
    pwms, names = [], []
    for i in ids:
        m = db.fetch_motif_by_id(i)
        c = np.array([m.counts[b] for b in "ACGT"], dtype=float).T
        pwms.append(c / c.sum(axis=1, keepdims=True))
        names.append(m.name)
    return pwms, names


def make_attributions(
    n: int,
    length: int,
    pwms: list[np.ndarray],
    signs: list[int] | None = None,
    names: list[str] | None = None,
    sites_per_seq: float = 1.5,
    noise: float = 0.05,
    scale: tuple[float, float] = (0.6, 1.4),
    rc_frac: float = 0.5,
    seed: int = 0,
) -> SyntheticAttributions:
    """Random sequences with planted PWM sites and DeepSHAP-like attribution maps.

    Parameters
    ----------
    n, length : int
        Number of sequences and their length (positions).
    pwms : list of float (W_k, 4)
        Planted motifs (rows sum to 1). An empty list gives pure-noise maps.
    signs : list of int, optional
        +1 or -1 per motif (default all +1).
    names : list of str, optional
        Motif names.
    sites_per_seq : float
        Mean number of planted sites per sequence (Poisson), placed without overlap.
    noise : float
        Standard deviation of the Gaussian noise on the hypothetical contributions.
    scale : (float, float)
        Range of the uniform per-site strength.
    rc_frac : float
        Fraction of sites planted on the reverse strand.
    seed : int
        Random seed.
    """
    rng = np.random.default_rng(seed)
    signs = list(signs) if signs is not None else [1] * len(pwms)
    names = list(names) if names is not None else [f"motif{k}" for k in range(len(pwms))]
    bases = rng.integers(0, 4, size=(n, length))
    hyp = rng.normal(0.0, noise, size=(n, length, 4))
    sites = []
    if pwms:
        for i in range(n):
            k_sites = rng.poisson(sites_per_seq)
            used = np.zeros(length, dtype=bool)
            for _ in range(k_sites):
                k = int(rng.integers(len(pwms)))
                pwm = np.asarray(pwms[k], dtype=float)
                w = int(pwm.shape[0])
                for _try in range(20):
                    st = int(rng.integers(0, length - w + 1))
                    if not used[max(st - 5, 0):st + w + 5].any():
                        break
                else:
                    continue
                used[st:st + w] = True
                rc = rng.random() < rc_frac
                m = pwm[::-1, ::-1] if rc else pwm
                cum = m.cumsum(axis=1)
                u = rng.random(w)[:, None]
                bases[i, st:st + w] = np.minimum((u > cum).sum(axis=1), 3)
                lo = np.clip(np.log2(np.maximum(m, 1e-3) / 0.25), -2.0, 2.0)
                hyp[i, st:st + w] += signs[k] * rng.uniform(*scale) * lo
                sites.append((i, st, st + w, "-" if rc else "+", k))
    onehot = np.eye(4, dtype=np.float32)[bases]
    hyp = hyp.astype(np.float32)
    contrib = hyp * onehot
    dt = np.dtype([("seq", np.int64), ("start", np.int64), ("end", np.int64), ("strand", "U1"), ("motif", np.int64)])
    return SyntheticAttributions(
        onehot=onehot, contributions=contrib, hypothetical=hyp,
        sites=np.array(sites, dtype=dt), pwms=[np.asarray(p) for p in pwms], names=names, signs=signs,
    )
