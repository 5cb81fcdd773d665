"""Figures: sequence logos of motifs and contribution matrices, motif-pair alignments,
attribution tracks (matplotlib only; letters drawn as glyph outlines), and interaction scans.

``import kgenint.plot`` is cheap; matplotlib is imported on first use of a plotting function.
"""
from .._lazy import lazy_exports

_EXPORTS = {
    "plot_logo": "logos",
    "plot_motif_pair": "logos",
    "plot_motifs": "logos",
    "plot_attribution_track": "logos",
    "save_figure": "logos",
    "logo_heights": "logos",
    "COLOR_SCHEMES": "logos",
    "plot_interaction_heatmap": "interactions",
    "plot_distance_curves": "interactions",
    "plot_cooccurrence_curves": "interactions",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
