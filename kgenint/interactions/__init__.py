"""Motif interactions: in-silico pairwise scans through a model, other detectors (DFIM,
dependency maps, block Hessians, ANOVA/Tukey, hierarchical lasso, feature-space detectors), and
hit co-occurrence scans; every detector returns the pair table of ``docs/api.md``.

The in-silico scan takes any ``predict(onehot) -> (N, T)`` callable, so nothing here imports
TensorFlow; :func:`kgenint.keras.as_predict_fn` adapts a Keras model. The co-occurrence scan is a
function: ``from kgenint.interactions import cooccurrence`` gives
:func:`kgenint.interactions.cooccurrence.cooccurrence`; the module of the same name stays
importable by its full path (``from kgenint.interactions.cooccurrence import CooccurrenceScan``).
"""
from .._lazy import lazy_exports

# Import the module now, then bind the package name to its function (a later
# ``import kgenint.interactions.cooccurrence`` finds the module in sys.modules).
from . import cooccurrence as _cooccurrence_module

cooccurrence = _cooccurrence_module.cooccurrence

_EXPORTS = {
    "scan_pairs": "insilico",
    "pair_effect": "insilico",
    "InteractionScan": "scan_result",
    "ORIENTATIONS": "placement",
    "load": "scan_result",
    "control_instances": "controls",
    "bh_qvalues": "pair_table",
    "check_pair_table": "pair_table",
    "PAIR_COLUMNS": "pair_table",
    "CooccurrenceScan": "cooccurrence",
    "feature_interactions": "features",
    "run_detector": "detectors",
    "DETECTORS": "detectors",
}
__all__ = sorted([*_EXPORTS, "cooccurrence"])
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
