"""Motifs: the :class:`Motif` record, MEME/JASPAR files, the embedded JASPAR database, FIMO-like
scanning, TOMTOM-like comparison and CNN filters to motifs. Nothing here imports TensorFlow.

The verbs are functions: ``from kgenint.motifs import scan, compare`` gives
:func:`kgenint.motifs.scan.scan` and :func:`kgenint.motifs.compare.compare`. The modules of the
same names stay importable by their full path (``from kgenint.motifs.scan import MotifScanner``,
``importlib.import_module("kgenint.motifs.scan")``); the package attributes ``scan`` and
``compare`` are the functions, not the modules.
"""
from .._lazy import lazy_exports
from .motif import ALPHABET, Motif, MotifError

# Import the two modules now, then bind the package names to their functions: a later
# ``import kgenint.motifs.scan`` finds the module in sys.modules and leaves these names alone.
from . import compare as _compare_module
from . import scan as _scan_module

scan = _scan_module.scan
compare = _compare_module.compare

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
    # scan.py (the function ``scan`` itself is bound above)
    "MotifScanner": "scan",
    "write_fimo_tsv": "scan",
    "read_fimo_tsv": "scan",
    # compare.py (``compare`` bound above)
    "annotate": "compare",
    "align": "alignment",
    "MotifAlignment": "alignment",
    "write_tomtom_tsv": "tomtom_tsv",
    # from_filters.py
    "filters_to_motifs": "from_filters",
    "weights_to_motifs": "from_filters",
}
__all__ = sorted(["Motif", "MotifError", "ALPHABET", "scan", "compare", *_EXPORTS])
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
