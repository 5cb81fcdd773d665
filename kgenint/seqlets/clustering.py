"""Graph clustering of seqlets, alignment, merging of similar clusters and final assignment.

Steps of :class:`SeqletClusterer` (one sign at a time):

1. **Leiden** (``leidenalg`` on an ``igraph`` graph, RB-configuration quality with
   ``resolution``) on the sparse similarity graph, keeping edges with similarity at least
   ``min_similarity``. The resolution errs on the side of over-splitting; step 3 repairs it.
2. **Alignment**: each cluster is aligned to its best-connected member (the seed), averaged,
   and aligned again to that average (shift and strand per member), giving the cluster's
   aggregate track.
3. **Merging**: clusters whose aggregates match (best continuous Jaccard over shifts and both
   strands, taken both ways, at least ``merge_threshold``) are merged and re-aligned, until
   nothing merges. This joins fragments of one motif and reverse-complement duplicates.
4. **Assignment**: clusters with at least ``min_cluster_size`` members are kept; every seqlet
   is aligned to every kept aggregate and assigned to the best one when its similarity is at
   least ``min_member_similarity`` (so seqlets Leiden left in small groups are recovered and
   poor members are dropped). Clusters left smaller than ``min_cluster_size`` are dropped.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._kernels.seqlets import align_to_template, pair_similarity
from ..errors import InputError
from .similarity import SeqletWindows, SimilarityGraph

__all__ = ["ClusterResult", "SeqletClusterer", "leiden", "align_members", "aggregate_features"]


@dataclass
class ClusterResult:
    """Output of :class:`SeqletClusterer`.

    Attributes
    ----------
    labels : int64 (n,)
        Cluster of each seqlet (0 .. k-1, largest first) or -1.
    shift : int64 (n,)
        Shift of each seqlet's core that aligns it to its cluster, in the seqlet's own
        orientation (positions).
    flip : bool (n,)
        True when the seqlet matches its cluster on the reverse strand.
    similarity : float32 (n,)
        Similarity of each seqlet to its cluster's aggregate (NaN for -1).
    n_leiden : int
        Clusters found by Leiden (before merging and filtering).
    n_merged : int
        Clusters after merging (before the size filter).
    """

    labels: np.ndarray
    shift: np.ndarray
    flip: np.ndarray
    similarity: np.ndarray
    n_leiden: int
    n_merged: int


def leiden(graph: SimilarityGraph, min_similarity: float, resolution: float, seed: int, n_iterations: int = 2) -> np.ndarray:
    """Leiden communities of the similarity graph (edges with ``sim >= min_similarity``).

    ``n_iterations`` Leiden passes (leidenalg's default, 2; -1 runs to convergence): the
    merging step that follows repairs over-split communities, so more passes buy little.

    Returns
    -------
    int64 (n,)
        Community of each node; isolated nodes get their own community.
    """
    try:
        import igraph as ig
        import leidenalg
    except ImportError as err:  # pragma: no cover - both are installed here
        raise ImportError(
            "Seqlet clustering needs the 'leidenalg' and 'igraph' packages: pip install leidenalg igraph"
        ) from err
    keep = graph.sim >= min_similarity
    edges = np.stack([graph.i[keep], graph.j[keep]], axis=1)
    g = ig.Graph(n=graph.n, edges=edges.tolist(), directed=False)
    part = leidenalg.find_partition(
        g,
        leidenalg.RBConfigurationVertexPartition,
        weights=graph.sim[keep].astype(float).tolist(),
        resolution_parameter=float(resolution),
        n_iterations=int(n_iterations),
        seed=int(seed),
    )
    return np.asarray(part.membership, dtype=np.int64)


def _shifted(feat: np.ndarray, feat_rc: np.ndarray, off: np.ndarray, strand: np.ndarray, flank: int) -> np.ndarray:
    """Windows moved so that each member's matching core sits at ``[flank, flank + W)`` (zero fill)."""
    n, e, c = feat.shape
    pad = np.zeros((n, e + 2 * flank, c), dtype=np.float32)
    src = np.where(strand[:, None, None] == 1, feat_rc, feat)
    pad[:, flank:flank + e] = src
    idx = off[:, None] + np.arange(e)[None, :]
    return pad[np.arange(n)[:, None], idx]


def _renorm(agg: np.ndarray, flank: int) -> np.ndarray:
    e = agg.shape[0]
    out = agg.copy()
    for k in range(0, agg.shape[1], 4):
        s = np.abs(agg[flank:e - flank, k:k + 4]).sum()
        if s > 0:
            out[:, k:k + 4] /= s
    return out


def align_members(windows: SeqletWindows, members: np.ndarray, seed_member: int, passes: int = 2):
    """Align ``members`` to a seed and then to their aggregate.

    Returns
    -------
    sim : float32 (m,), offset : int32 (m,), strand : int8 (m,), aggregate : float32 (E, 8)
        Offsets are ``0 .. 2 * flank`` in the member's window (``flank`` = no shift); the
        aggregate is the mean of the aligned, normalised windows, renormalised over its core.
    """
    f = windows.flank
    e = windows.features.shape[1]
    feat = windows.features[members]
    feat_rc = windows.features_rc[members]
    template = windows.features[seed_member, f:e - f]
    agg = None
    for p in range(passes):
        sim, off, st = align_to_template(np.ascontiguousarray(template), feat, feat_rc, f)
        agg = _renorm(_shifted(feat, feat_rc, off, st, f).mean(axis=0), f)
        if p < passes - 1:
            # centre the template on the aggregate's contribution mass, so that a motif seen
            # at the edge of the seed's window does not stay at the edge
            mass = np.abs(agg[:, :4]).sum(axis=1)
            if mass.sum() > 0:
                centroid = float((mass * np.arange(e)).sum() / mass.sum())
                delta = int(round(centroid - (e - 1) / 2))
                delta = max(-f, min(f, delta))
                agg = _shift_window(agg, delta)
        template = agg[f:e - f]
    return sim, off, st, agg


def _shift_window(a: np.ndarray, delta: int) -> np.ndarray:
    """``out[p] = a[p + delta]`` with zeros beyond the ends."""
    out = np.zeros_like(a)
    e = a.shape[0]
    if delta >= 0:
        out[: e - delta] = a[delta:]
    else:
        out[-delta:] = a[: e + delta]
    return out


def aggregate_features(windows: SeqletWindows, labels: np.ndarray, k: int, seeds: np.ndarray):
    """Align every cluster ``0 .. k-1`` (see :func:`align_members`); returns per-seqlet
    (sim, offset, strand) and the ``(k, E, 8)`` aggregates."""
    n = len(windows)
    sim = np.full(n, np.nan, dtype=np.float32)
    off = np.full(n, windows.flank, dtype=np.int32)
    st = np.zeros(n, dtype=np.int8)
    e = windows.features.shape[1]
    aggs = np.zeros((k, e, 8), dtype=np.float32)
    for c in range(k):
        mem = np.flatnonzero(labels == c)
        if mem.size == 0:
            continue
        s, o, t, a = align_members(windows, mem, int(seeds[c]))
        sim[mem], off[mem], st[mem], aggs[c] = s, o, t, a
    return sim, off, st, aggs


def _rc8(x: np.ndarray) -> np.ndarray:
    r = x[:, ::-1, :]
    return np.ascontiguousarray(np.concatenate([r[:, :, 3::-1], r[:, :, 7:3:-1]], axis=2))


def cluster_similarity(aggs: np.ndarray, flank: int) -> np.ndarray:
    """Symmetric ``(k, k)`` similarity of cluster aggregates: max of the two directions."""
    k = aggs.shape[0]
    if k == 0:
        return np.zeros((0, 0), np.float32)
    pi, pj = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    a = np.ascontiguousarray(aggs, dtype=np.float32)
    s, _, _ = pair_similarity(a, _rc8(a), int(flank), pi.ravel().astype(np.int64), pj.ravel().astype(np.int64))
    s = s.reshape(k, k)
    return np.maximum(s, s.T)


def _seeds(graph: SimilarityGraph, labels: np.ndarray, k: int, min_similarity: float) -> np.ndarray:
    """Member of each cluster with the largest within-cluster weighted degree."""
    n = graph.n
    deg = np.zeros(n)
    same = (labels[graph.i] == labels[graph.j]) & (graph.sim >= min_similarity)
    np.add.at(deg, graph.i[same], graph.sim[same])
    np.add.at(deg, graph.j[same], graph.sim[same])
    seeds = np.zeros(k, dtype=np.int64)
    for c in range(k):
        mem = np.flatnonzero(labels == c)
        seeds[c] = mem[np.argmax(deg[mem])] if mem.size else 0
    return seeds


def _relabel_by_size(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Clusters renumbered 0.. by decreasing size (ties: smallest first member); -1 kept."""
    ok = labels >= 0
    if not ok.any():
        return labels, 0
    uniq, first, counts = np.unique(labels[ok], return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    mapping = np.full(uniq.max() + 1, -1, dtype=np.int64)
    mapping[uniq[order]] = np.arange(uniq.size)
    out = np.full_like(labels, -1)
    out[ok] = mapping[labels[ok]]
    return out, int(uniq.size)


class SeqletClusterer:
    """Leiden clustering, alignment, merging and assignment of one sign's seqlets.

    Parameters
    ----------
    min_similarity : float
        Graph edges below this similarity are ignored (default 0.3).
    resolution : float
        Leiden resolution (RB-configuration; default 1.0).
    merge_threshold : float
        Clusters whose aggregates match at least this well are merged (default 0.6).
    min_cluster_size : int
        Smallest cluster reported as a motif (default 20 seqlets).
    min_member_similarity : float
        Smallest similarity of a seqlet to its motif's aggregate (default 0.3).
    seed : int
        Seed of Leiden.
    """

    def __init__(
        self,
        min_similarity: float = 0.3,
        resolution: float = 1.0,
        merge_threshold: float = 0.6,
        min_cluster_size: int = 20,
        min_member_similarity: float = 0.3,
        seed: int = 0,
    ) -> None:
        self.min_similarity = min_similarity
        self.resolution = resolution
        self.merge_threshold = merge_threshold
        self.min_cluster_size = min_cluster_size
        self.min_member_similarity = min_member_similarity
        self.seed = seed

    def _validate(self) -> None:
        for name in ("min_similarity", "merge_threshold", "min_member_similarity"):
            v = getattr(self, name)
            if not -1.0 <= float(v) <= 1.0:
                raise InputError(f"{name} must be between -1 and 1 (a Jaccard similarity). Received: {name}={v!r}")
        if int(self.min_cluster_size) < 2:
            raise InputError(f"min_cluster_size must be >= 2. Received: min_cluster_size={self.min_cluster_size!r}")
        if float(self.resolution) <= 0:
            raise InputError(f"resolution must be > 0. Received: resolution={self.resolution!r}")

    def fit(self, windows: SeqletWindows, graph: SimilarityGraph) -> ClusterResult:
        """Cluster ``windows`` given their similarity graph."""
        self._validate()
        n = len(windows)
        f = windows.flank
        empty = ClusterResult(
            np.full(n, -1, np.int64), np.zeros(n, np.int64), np.zeros(n, bool), np.full(n, np.nan, np.float32), 0, 0
        )
        if n < int(self.min_cluster_size):
            return empty
        labels = leiden(graph, self.min_similarity, self.resolution, self.seed)
        labels, k = _relabel_by_size(labels)
        n_leiden = k
        # clusters of one or two seqlets only join others through the final assignment
        small = np.bincount(labels, minlength=k) < 3
        labels = np.where(small[labels], -1, labels)
        labels, k = _relabel_by_size(labels)
        aggs = np.zeros((0, windows.features.shape[1], 8), np.float32)
        for _round in range(10):
            seeds = _seeds(graph, labels, k, self.min_similarity)
            _, _, _, aggs = aggregate_features(windows, labels, k, seeds)
            cs = cluster_similarity(aggs, f)
            np.fill_diagonal(cs, -1.0)
            merge = cs >= self.merge_threshold
            if not merge.any():
                break
            parent = np.arange(k)

            def find(x: int) -> int:
                while parent[x] != x:
                    parent[x] = parent[parent[x]]
                    x = parent[x]
                return x

            for a, b in zip(*np.nonzero(np.triu(merge, 1))):
                ra, rb = find(int(a)), find(int(b))
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
            roots = np.array([find(c) for c in range(k)])
            labels = np.where(labels >= 0, roots[np.maximum(labels, 0)], -1)
            labels, k = _relabel_by_size(labels)
        n_merged = k
        sizes = np.bincount(labels[labels >= 0], minlength=k)
        kept = np.flatnonzero(sizes >= int(self.min_cluster_size))
        if kept.size == 0:
            return ClusterResult(empty.labels, empty.shift, empty.flip, empty.similarity, n_leiden, n_merged)
        # final assignment of every seqlet to the best kept aggregate
        best_sim = np.full(n, -np.inf, dtype=np.float32)
        best_c = np.full(n, -1, dtype=np.int64)
        e = windows.features.shape[1]
        for c in kept:
            s, _, _ = align_to_template(np.ascontiguousarray(aggs[c, f:e - f]), windows.features, windows.features_rc, f)
            better = s > best_sim
            best_sim[better] = s[better]
            best_c[better] = c
        labels = np.where(best_sim >= self.min_member_similarity, best_c, -1)
        labels, k = _relabel_by_size(labels)
        sizes = np.bincount(labels[labels >= 0], minlength=k)
        labels = np.where((labels >= 0) & (sizes[np.maximum(labels, 0)] >= int(self.min_cluster_size)), labels, -1)
        labels, k = _relabel_by_size(labels)
        seeds = _seeds(graph, labels, k, self.min_similarity)
        sim, off, st, aggs = aggregate_features(windows, labels, k, seeds)
        shift = off.astype(np.int64) - f
        return ClusterResult(labels, shift, st.astype(bool), sim, n_leiden, n_merged)
