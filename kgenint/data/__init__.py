"""Training data from your own files: peaks + genome, FASTA + labels, bigWig signal -> HDF5.

:func:`build_from_peaks` and :func:`build_from_fasta` stream into the HDF5 layout that
``kgenint train`` and every stage read (``/x``, ``/y/class`` and/or ``/y/continuous``,
``/split/{train,valid,test}``, ``/intervals/{chrom,start,end,strand}``); see
:mod:`kgenint.data.build`. Nothing here imports TensorFlow.
"""
from .._lazy import lazy_exports

_EXPORTS = {
    "build_from_peaks": "build",
    "build_from_fasta": "build_fasta",
    "read_labels_tsv": "build_fasta",
    "write_windows_fasta": "build_fasta",
    "chrom_split": "_common",
    "random_split": "_common",
    "DataSummary": "_common",
    "read_bed": "intervals",
    "Intervals": "intervals",
    "IntervalIndex": "intervals",
    "Genome": "genome",
    "sample_gc_matched": "negatives",
    "BigWig": "bigwig",
    "to_genome": "coords",
    "write_bed": "coords",
    "parse_window_id": "coords",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
