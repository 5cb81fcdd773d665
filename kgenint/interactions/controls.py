"""Control inserts for in-silico experiments: k-mers of a motif's width and composition that do
not match it.

The in-silico scan (:func:`kgenint.interactions.scan_pairs`) measures what inserting motif A and
motif B together does beyond their separate effects. Part of that contrast has nothing to do with
the motifs: writing *any* k-mer over the background at those positions changes the bases next to
the other site (junction effects), shares pooling windows, saturates units and moves sequence
edges. A control insert is written at exactly the same position and strand as the motif, into the
same background, so the contrast

    f(A, B) - f(A, C_B) - f(C_A, B) + f(C_A, C_B)

(C_A, C_B: controls of A and B) is the interaction of the *motifs*, with everything that any pair
of inserts would do removed (a difference-in-differences whose reference state is "a random k-mer
of the same composition at that place" instead of "the background's own bases").

A control of motif ``k`` for background ``n`` is a dinucleotide shuffle of the instance used with
that background (same width, same dinucleotide composition), redrawn until it

* scores no better than a random word under its own motif: exact p-value of the full-width
  log-odds score, both strands, ``>= own_p`` (default 0.05), and
* contains no window that matches any of the scanned motifs at ``p < other_p`` (default 1e-3).

Dinucleotide shuffles of short or low-complexity sites may never pass (a shuffle keeps the first
and last letter and all dinucleotide counts); then mononucleotide shuffles are tried, then
words drawn from the instance's base composition, and as a last resort the candidate with the
largest own-motif p-value is kept (counted in ``ControlInfo.n_weak``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .._validate import check_seed
from ..errors import InputError
from ..motifs.motif import Motif

__all__ = ["ControlInfo", "control_instances", "match_pvalues"]

_TRIES = 16          # candidates per background and round
_ROUNDS = (4, 2, 2)  # rounds of the first generator, mononucleotide shuffles, composition draws
KINDS = ("dinucleotide", "gc_pattern")


@dataclass
class ControlInfo:
    """How the controls were made.

    Attributes
    ----------
    own_p, other_p : float
        The thresholds used (see the module docstring).
    kind : list of str, length K
        ``"dinucleotide"``, ``"mononucleotide"`` or ``"composition"``: the most permissive
        generator that was needed for motif ``k`` (per motif, over its backgrounds).
    n_weak : int64 (K,)
        Controls per motif that never passed (the least matching candidate was kept).
    own_p_median : float64 (K,)
        Median own-motif p-value of the chosen controls.
    """

    own_p: float
    other_p: float
    kind: list
    n_weak: np.ndarray
    own_p_median: np.ndarray

    def to_dict(self) -> dict:
        return {"own_p": self.own_p, "other_p": self.other_p, "kind": list(self.kind),
                "n_weak": [int(v) for v in self.n_weak],
                "own_p_median": [float(v) for v in self.own_p_median]}


def _scanner(motifs: Sequence[Motif]):
    from ..motifs.scan import MotifScanner

    return MotifScanner(list(motifs), threshold=1e-3)


def match_pvalues(codes: np.ndarray, scanner, j: int) -> np.ndarray:
    """Best (smallest) exact p-value of motif ``j`` over every window of ``codes``, both strands.

    Parameters
    ----------
    codes : int (..., w)
        Words as letter codes 0-3 (ACGT).
    scanner : MotifScanner
    j : int
        Motif index in the scanner.

    Returns
    -------
    float64 (...)
        1.0 where the motif is wider than the word.
    """
    w = codes.shape[-1]
    out = np.ones(codes.shape[:-1])
    for si, strand in enumerate(scanner.strands_):
        mat = scanner.int_matrices_[j * len(scanner.strands_) + si]
        wj = mat.shape[0]
        if wj > w:
            continue
        rows = np.arange(wj)
        best = None
        for o in range(w - wj + 1):
            s = mat[rows, codes[..., o:o + wj]].sum(axis=-1)
            best = s if best is None else np.maximum(best, s)
        out = np.minimum(out, scanner.pvalue_int(j, best, strand))
    return out


def _candidates(src: np.ndarray, kind: str, rng: np.random.Generator, n_try: int) -> np.ndarray:
    """``n_try`` candidate codes ``(n, n_try, w)`` from source codes ``src (n, w)``."""
    n, w = src.shape
    if kind == "dinucleotide":
        from ..sequence.shuffle import dinucleotide_shuffle

        onehot = np.eye(4, dtype=np.float32)[src]
        sh = dinucleotide_shuffle(onehot, n_try, seed=int(rng.integers(2**63 - 1)))
        return sh.argmax(-1).astype(np.int64)
    if kind == "gc_pattern":
        # keep strong (C/G) or weak (A/T) at every position; the letter within the class is random
        strong = np.isin(src, (1, 2))[:, None, :]
        coin = rng.random((n, n_try, w)) < 0.5
        return np.where(strong, np.where(coin, 1, 2), np.where(coin, 0, 3)).astype(np.int64)
    if kind == "mononucleotide":
        keys = rng.random((n, n_try, w))
        order = np.argsort(keys, axis=-1)
        return np.take_along_axis(np.broadcast_to(src[:, None, :], (n, n_try, w)), order, axis=-1)
    # composition: letters drawn i.i.d. from each source word's base composition
    comp = np.stack([np.bincount(r, minlength=4) for r in src]).astype(np.float64) + 0.25
    comp /= comp.sum(axis=1, keepdims=True)
    cum = np.cumsum(comp, axis=1)
    u = rng.random((n, n_try, w))
    return (u[..., None] > cum[:, None, None, :]).sum(axis=-1).clip(0, 3).astype(np.int64)


def control_instances(
    motifs: Sequence[Motif],
    inst: np.ndarray,
    widths: np.ndarray,
    *,
    kind: str = "dinucleotide",
    own_p: float = 0.05,
    other_p: float = 1e-3,
    seed=0,
) -> tuple[np.ndarray, ControlInfo]:
    """Control inserts for every motif and background (see the module docstring).

    Parameters
    ----------
    motifs : list of Motif, length K
    inst : float32 (K, N, Wmax, 4)
        The motif instances of the scan (forward strand, zero-padded beyond each width), as
        returned by :func:`kgenint.interactions.placement.motif_instances`.
    widths : int (K,)
    kind : {"dinucleotide", "gc_pattern"}
        First generator: dinucleotide shuffles of the instance, or words that keep the strong (C/G)
        or weak (A/T) class of every position of the instance (the local GC profile) with random
        letters within each class.
    own_p : float
        A control's full-width match to its own motif must have an exact p-value ``>= own_p``.
    other_p : float
        No window of a control may match any motif at ``p < other_p``.
    seed : int or numpy Generator

    Returns
    -------
    ctrl : float32 (K, N, Wmax, 4)
        One-hot controls laid out like ``inst``.
    info : ControlInfo
    """
    if kind not in KINDS:
        raise InputError(f"kind must be one of {KINDS}. Received: kind={kind!r}")
    if not 0 < own_p <= 1 or not 0 <= other_p <= 1:
        raise InputError(f"own_p must be in (0, 1] and other_p in [0, 1]. Received: own_p={own_p}, other_p={other_p}")
    K, N = inst.shape[:2]
    if len(motifs) != K or len(widths) != K:
        raise InputError(f"motifs ({len(motifs)}), widths ({len(widths)}) and inst ({K}) disagree in length.")
    rng = check_seed(seed)
    scanner = _scanner(motifs)
    ctrl = np.zeros_like(inst, dtype=np.float32)
    kinds: list[str] = []
    n_weak = np.zeros(K, dtype=np.int64)
    own_med = np.zeros(K)
    for k in range(K):
        w = int(widths[k])
        src = inst[k, :, :w].argmax(-1).astype(np.int64)  # (N, w)
        chosen = np.full((N, w), -1, dtype=np.int64)
        chosen_p = np.full(N, -1.0)
        fallback = src.copy()
        fallback_p = np.full(N, -1.0)
        used = kind
        need = np.ones(N, dtype=bool)
        for gen, rounds in zip((kind, "mononucleotide", "composition"), _ROUNDS):
            for _ in range(rounds):
                idx = np.flatnonzero(need)
                if idx.size == 0:
                    break
                used = gen
                cand = _candidates(src[idx], gen, rng, _TRIES)  # (n, T, w)
                p_own = match_pvalues(cand, scanner, k)
                ok = p_own >= own_p
                for j in range(K):
                    if int(widths[j]) <= w:
                        ok &= match_pvalues(cand, scanner, j) >= other_p
                # least-matching candidate so far, in case none passes
                best_t = np.argmax(p_own, axis=1)
                bp = p_own[np.arange(idx.size), best_t]
                better = bp > fallback_p[idx]
                fallback[idx[better]] = cand[better, best_t[better]]
                fallback_p[idx[better]] = bp[better]
                has = ok.any(axis=1)
                first = np.argmax(ok, axis=1)
                rows = idx[has]
                chosen[rows] = cand[has, first[has]]
                chosen_p[rows] = p_own[has, first[has]]
                need[rows] = False
            if not need.any():
                break
        weak = chosen[:, 0] < 0
        chosen[weak] = fallback[weak]
        chosen_p[weak] = fallback_p[weak]
        n_weak[k] = int(weak.sum())
        kinds.append(used)
        own_med[k] = float(np.median(chosen_p))
        ctrl[k, :, :w] = np.eye(4, dtype=np.float32)[chosen]
    return ctrl, ControlInfo(own_p=float(own_p), other_p=float(other_p), kind=kinds, n_weak=n_weak,
                             own_p_median=own_med)
