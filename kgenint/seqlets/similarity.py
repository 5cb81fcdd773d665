"""Seqlet windows, the coarse nearest-neighbour prefilter and the fine seqlet similarity.

Fine similarity: continuous Jaccard
-----------------------------------
Each seqlet is a window of ``window + 2 * flank`` positions with 8 channels: its contribution
scores and its hypothetical contributions (4 bases each), each track divided by its L1 norm over
the core so that strong and weak instances of a motif compare equal. The similarity of seqlet
``a`` to seqlet ``b`` is the best, over every shift ``-flank .. +flank`` and both strands of
``b``, of the continuous Jaccard index of ``a``'s core with the matching part of ``b``::

    J(x, y) = sum_i min(|x_i|, |y_i|) * sign(x_i) * sign(y_i) / sum_i max(|x_i|, |y_i|)

Why Jaccard and not cross-correlation: correlation is dominated by the one or two largest
positions and rewards a strong site that only partly matches, while Jaccard counts how much of
both tracks' mass coincides, so a shifted or partial motif scores low and a full match scores
near 1; it is bounded in [-1, 1] (so a fixed graph threshold means the same thing for every
data set) and signs that disagree are penalised. It costs the same as a correlation per shift,
and the coarse prefilter keeps the number of pairs at ``n * n_neighbors``.

Coarse prefilter: contribution-weighted gapped k-mers
-----------------------------------------------------
Each seqlet core is embedded as counts of gapped 4-mers (two base pairs separated by 0 .. 2
unread positions) weighted by the contribution at their positions and merged with their reverse
complements, so the embedding ignores offset and strand. The 768-dimensional vectors are
L2-normalised, projected on their top principal axes (``embed_dim``) and each seqlet's
``n_neighbors`` most cosine-similar seqlets become its candidate pairs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._kernels.seqlets import align_to_template, gapped_kmer_features, pair_similarity
from ..errors import InputError

__all__ = [
    "SeqletWindows",
    "extract_windows",
    "normalised_tracks",
    "kmer_embedding",
    "nearest_neighbors",
    "SeqletSimilarity",
    "SimilarityGraph",
]


def extract_windows(
    arr: np.ndarray, seq: np.ndarray, start: np.ndarray, width: int, flank: int, strand: np.ndarray | None = None
) -> np.ndarray:
    """Cut windows ``[start - flank, start + width + flank)`` out of ``arr``, zero outside.

    Parameters
    ----------
    arr : float (N, L, 4)
        Per-sequence tracks (one-hot, contributions ...).
    seq, start : int (n,)
        Sequence index and forward-strand start of each core.
    width, flank : int
        Core width and flank (positions).
    strand : str (n,), optional
        ``'-'`` rows are returned reverse-complemented (positions reversed, ACGT -> TGCA).

    Returns
    -------
    float32 (n, width + 2 * flank, 4)
    """
    e = width + 2 * flank
    length = arr.shape[1]
    idx = np.asarray(start, dtype=np.int64)[:, None] - flank + np.arange(e)[None, :]
    valid = (idx >= 0) & (idx < length)
    out = arr[np.asarray(seq, dtype=np.int64)[:, None], np.clip(idx, 0, length - 1)].astype(np.float32)
    out *= valid[:, :, None]
    if strand is not None:
        minus = np.asarray(strand) == "-"
        if minus.any():
            out[minus] = out[minus][:, ::-1, ::-1]
    return out


def normalised_tracks(contrib: np.ndarray, hyp: np.ndarray, flank: int) -> np.ndarray:
    """8-channel similarity features: each track divided by its L1 norm over the core.

    Parameters
    ----------
    contrib, hyp : float (n, E, 4)
        Windows of contribution and hypothetical contribution scores.
    flank : int
        Flank width; the core is ``[flank, E - flank)``.

    Returns
    -------
    float32 (n, E, 8), C-contiguous.
    """
    e = contrib.shape[1]
    core = slice(flank, e - flank)
    out = np.empty(contrib.shape[:2] + (8,), dtype=np.float32)
    for k, t in enumerate((contrib, hyp)):
        norm = np.abs(t[:, core]).sum(axis=(1, 2))
        norm[norm == 0] = 1.0
        out[:, :, 4 * k:4 * k + 4] = t / norm[:, None, None]
    return out


def _rc(x: np.ndarray) -> np.ndarray:
    """Reverse complement of 8-channel features (positions reversed, ACGT->TGCA per track)."""
    r = x[:, ::-1, :]
    return np.ascontiguousarray(np.concatenate([r[:, :, 3::-1], r[:, :, 7:3:-1]], axis=2))


@dataclass
class SeqletWindows:
    """Windows of a set of seqlets, ready for similarity.

    Attributes
    ----------
    onehot, contrib, hyp : float32 (n, window + 2 * flank, 4)
        Windows, oriented by the seqlets' strands.
    features, features_rc : float32 (n, window + 2 * flank, 8)
        :func:`normalised_tracks` (sign-oriented) and their reverse complements.
    window, flank : int
    """

    onehot: np.ndarray
    contrib: np.ndarray
    hyp: np.ndarray
    features: np.ndarray
    features_rc: np.ndarray
    window: int
    flank: int

    @classmethod
    def from_arrays(
        cls,
        onehot: np.ndarray,
        contributions: np.ndarray,
        hypothetical: np.ndarray,
        seqlets: np.ndarray,
        window: int,
        flank: int,
    ) -> "SeqletWindows":
        """Cut the windows of ``seqlets`` (structured array with seq, start, strand, sign)."""
        seq, start, strand = seqlets["seq"], seqlets["start"], seqlets["strand"]
        oh = extract_windows(onehot, seq, start, window, flank, strand)
        c = extract_windows(contributions, seq, start, window, flank, strand)
        h = extract_windows(hypothetical, seq, start, window, flank, strand)
        sign = np.asarray(seqlets["sign"], dtype=np.float32)[:, None, None]
        f = normalised_tracks(c * sign, h * sign, flank)
        return cls(oh, c, h, f, _rc(f), int(window), int(flank))

    def __len__(self) -> int:
        return int(self.features.shape[0])


def kmer_embedding(windows: SeqletWindows, max_gap: int = 2, embed_dim: int = 48, seed: int = 0) -> np.ndarray:
    """Offset- and strand-free embedding of each seqlet core (see the module docstring).

    Parameters
    ----------
    windows : SeqletWindows
    max_gap : int
        Largest gap of the gapped 4-mers.
    embed_dim : int
        Number of principal axes kept (randomized PCA; all 136 * (max_gap + 1) canonical
        columns when larger).
    seed : int
        Seed of the randomized PCA.

    Returns
    -------
    float32 (n, d)
        Rows of unit length (zero for a seqlet without positive contribution).
    """
    f = windows.flank
    e = windows.onehot.shape[1]
    oh = windows.onehot[:, f:e - f]
    bases = np.where(oh.sum(axis=2) > 0.5, oh.argmax(axis=2), -1).astype(np.int8)
    # sign-oriented contribution per position (features hold contrib / norm in channels 0..3)
    weights = windows.features[:, f:e - f, :4].sum(axis=2).astype(np.float32)
    feats = gapped_kmer_features(np.ascontiguousarray(bases), np.ascontiguousarray(weights), int(max_gap))
    feats = feats[:, _canonical_columns(int(max_gap))]
    norm = np.linalg.norm(feats, axis=1)
    feats /= np.where(norm > 0, norm, 1.0)[:, None]
    if embed_dim < feats.shape[1] and feats.shape[0] > 2 * embed_dim:
        with _single_thread_blas():
            feats = _randomized_pca(feats, int(embed_dim), seed)
        norm = np.linalg.norm(feats, axis=1)
        feats /= np.where(norm > 0, norm, 1.0)[:, None]
    return np.ascontiguousarray(feats, dtype=np.float32)


def _canonical_columns(max_gap: int) -> np.ndarray:
    """Columns of the gapped 4-mer features that can be non-zero (canonical k-mers)."""
    codes = np.arange(256)
    rc = np.zeros(256, dtype=np.int64)
    for k in range(4):
        rc = rc * 4 + (3 - (codes // 4 ** k) % 4)
    canon = np.flatnonzero(codes <= rc)
    return np.concatenate([g * 256 + canon for g in range(max_gap + 1)])


def _single_thread_blas():
    """Limit BLAS/LAPACK to one thread (small factorisations; threaded OpenBLAS is many times
    slower on a busy machine). A no-op without ``threadpoolctl``."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _randomized_pca(f: np.ndarray, d: int, seed: int) -> np.ndarray:
    """Project rows of ``f`` (n, D) on their top ``d`` right singular vectors (randomized SVD)."""
    rng = np.random.default_rng(seed)
    omega = rng.standard_normal((f.shape[1], d + 8)).astype(np.float32)
    y = f @ omega
    for _ in range(2):
        y, _ = np.linalg.qr(y)
        y = f @ (f.T @ y)
    q, _ = np.linalg.qr(y)
    b = q.T @ f
    _, _, vt = np.linalg.svd(b, full_matrices=False)
    return f @ vt[:d].T


def nearest_neighbors(emb: np.ndarray, k: int, chunk: int | None = None) -> np.ndarray:
    """Indices of each row's ``k`` most cosine-similar other rows (exact, chunked BLAS).

    Memory is bounded by the chunk: about ``12 * chunk * n`` bytes (similarities and the
    partition indices); by default chunks hold at most ~4 million similarities.

    Parameters
    ----------
    emb : float32 (n, d)
        Unit-length rows.
    k : int
        Neighbours per row (capped at ``n - 1``).

    Returns
    -------
    int64 (n, k)
    """
    n = emb.shape[0]
    k = min(int(k), n - 1)
    out = np.empty((n, max(k, 0)), dtype=np.int64)
    if k <= 0:
        return out
    if chunk is None:
        chunk = max(64, min(2048, 4_000_000 // max(n, 1)))
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        s = emb[lo:hi] @ emb.T
        s[np.arange(hi - lo), np.arange(lo, hi)] = -np.inf
        np.negative(s, out=s)
        part = np.argpartition(s, k - 1, axis=1)[:, :k]
        np.negative(s, out=s)
        # deterministic order: by similarity, then index
        ps = np.take_along_axis(s, part, axis=1)
        order = np.lexsort((part, -ps), axis=1)
        out[lo:hi] = np.take_along_axis(part, order, axis=1)
    return out


@dataclass
class SimilarityGraph:
    """Sparse symmetric similarity graph: edges ``(i, j)`` with ``i < j`` and weights ``sim``."""

    n: int
    i: np.ndarray
    j: np.ndarray
    sim: np.ndarray
    offset: np.ndarray
    strand: np.ndarray


class SeqletSimilarity:
    """Coarse k-mer prefilter, then the fine continuous-Jaccard similarity on candidate pairs.

    Parameters
    ----------
    n_neighbors : int
        Candidate neighbours per seqlet from the coarse embedding (default 30).
    max_gap : int
        Largest gap of the gapped 4-mers of the embedding.
    embed_dim : int
        Principal axes of the embedding.
    seed : int
        Seed of the randomized PCA.
    """

    def __init__(self, n_neighbors: int = 30, max_gap: int = 2, embed_dim: int = 48, seed: int = 0) -> None:
        self.n_neighbors = n_neighbors
        self.max_gap = max_gap
        self.embed_dim = embed_dim
        self.seed = seed

    def graph(self, windows: SeqletWindows) -> SimilarityGraph:
        """Build the sparse similarity graph of ``windows``."""
        if int(self.n_neighbors) < 1:
            raise InputError(f"n_neighbors must be >= 1. Received: n_neighbors={self.n_neighbors!r}")
        n = len(windows)
        if n < 2:
            z = np.zeros(0, dtype=np.int64)
            return SimilarityGraph(n, z, z, np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(0, np.int8))
        emb = kmer_embedding(windows, self.max_gap, self.embed_dim, self.seed)
        nb = nearest_neighbors(emb, self.n_neighbors)
        a = np.repeat(np.arange(n, dtype=np.int64), nb.shape[1])
        b = nb.ravel()
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        key = np.unique(lo * n + hi)
        pi, pj = key // n, key % n
        sim, off, st = pair_similarity(windows.features, windows.features_rc, windows.flank, pi, pj)
        return SimilarityGraph(n, pi, pj, sim, off, st)


def similarity_matrix(windows: SeqletWindows) -> np.ndarray:
    """All-pairs fine similarity (``n x n``, no prefilter; for small sets and tests)."""
    n = len(windows)
    pi, pj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    sim, _, _ = pair_similarity(windows.features, windows.features_rc, windows.flank, pi.ravel(), pj.ravel())
    return sim.reshape(n, n)


def align(template_core: np.ndarray, features: np.ndarray, features_rc: np.ndarray, flank: int):
    """Best (similarity, offset, strand) of every window against ``template_core`` (W, 8)."""
    return align_to_template(
        np.ascontiguousarray(template_core, dtype=np.float32), features, features_rc, int(flank)
    )
