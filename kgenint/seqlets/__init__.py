"""Seqlets: calling, clustering and aggregation of attribution maps into motifs.

A fast TF-MoDISco-class pipeline on numpy arrays (no TensorFlow). One call::

    result = kgenint.seqlets.discover(onehot, contributions, hypothetical)
    result.motifs          # list of Motif with CWM, hCWM, PPM, seqlet counts and sites
    result.seqlets         # structured array: seq, start, end, strand, score, sign, cluster ...
    result.thresholds      # which calling thresholds were used and why
    result.save("motifs.h5")   # tfmodisco-lite results layout (modisco report reads it)

or the steps: :class:`LaplaceSeqletCaller` / :class:`RecursiveSeqletCaller` ->
:class:`SeqletWindows` -> :class:`SeqletSimilarity` -> :class:`SeqletClusterer` ->
:class:`MotifAggregator`.
"""
from .._lazy import lazy_exports

_EXPORTS = {
    "discover": "pipeline",
    "DiscoveryResult": "pipeline",
    "check_attributions": "pipeline",
    "LaplaceSeqletCaller": "calling",
    "RecursiveSeqletCaller": "calling",
    "SeqletThresholds": "calling",
    "CallResult": "calling",
    "SEQLET_DTYPE": "calling",
    "SeqletWindows": "similarity",
    "SeqletSimilarity": "similarity",
    "SimilarityGraph": "similarity",
    "similarity_matrix": "similarity",
    "SeqletClusterer": "clustering",
    "ClusterResult": "clustering",
    "MotifAggregator": "aggregate",
    "Pattern": "aggregate",
    "save_hdf5": "io",
    "load_hdf5": "io",
    "read_modisco_motifs": "io",
    "load_attributions": "io",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
