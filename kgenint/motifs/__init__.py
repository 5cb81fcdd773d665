"""Motifs: the :class:`Motif` record, MEME/JASPAR files, the embedded JASPAR database, FIMO-like
scanning, TOMTOM-like comparison and CNN filters to motifs. Nothing here imports TensorFlow.
"""
from .._lazy import lazy_exports
from .motif import ALPHABET, Motif, MotifError

_EXPORTS = {
    # io.py
    "read_meme": "io",
    "write_meme": "io",
    "read_jaspar": "io",
    "write_jaspar": "io",
    "read_motifs": "io",
    "write_motifs": "io",
    # database.py
    "load_default": "database",
    "load_curated": "database",
    "DEFAULT_DATABASE": "database",
    "get_motif": "database",
    "motif_similarity": "database",
    # scan.py (the function is kgenint.motifs.scan.scan: a package attribute "scan" would be
    # shadowed by the submodule of the same name once it is imported)
    "MotifScanner": "scan",
    "write_fimo_tsv": "scan",
    "read_fimo_tsv": "scan",
    # compare.py (the function is kgenint.motifs.compare.compare, as for scan)
    "annotate": "compare",
    "align": "compare",
    "MotifAlignment": "compare",
    "write_tomtom_tsv": "compare",
    # from_filters.py
    "filters_to_motifs": "from_filters",
    "weights_to_motifs": "from_filters",
}
__all__ = sorted(["Motif", "MotifError", "ALPHABET", *_EXPORTS])
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
