"""DNA sequences as one-hot arrays: FASTA, encoding, reverse complement, shuffles, backgrounds.

Arrays are float32 ``(N, L, 4)`` in ACGT order. Nothing here imports TensorFlow.
"""
from .._lazy import lazy_exports

_EXPORTS = {
    # onehot.py (C core)
    "one_hot_encode": "onehot",
    "one_hot_decode": "onehot",
    "reverse_complement": "onehot",
    # fasta.py (C core parser)
    "read_fasta": "fasta",
    "write_fasta": "fasta",
    "FastaRecords": "fasta",
    # shuffle.py (numba)
    "dinucleotide_shuffle": "shuffle",
    "dinucleotide_counts": "shuffle",
    # background.py
    "random_background": "background",
    "gc_matched_background": "background",
    "shuffled_background": "background",
    "gc_content": "background",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
