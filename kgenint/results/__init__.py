"""The results layer: where each stage's files are (:mod:`~kgenint.results.layout`), how to find
them by their content in a directory of the user's (:mod:`~kgenint.results.discovery`), and the
run's summary ``results.h5`` (:mod:`~kgenint.results.summary`).

Below :mod:`kgenint.pipeline` and :mod:`kgenint.report`, which both use it; nothing here imports
TensorFlow (the attribution files are read with a function-level import).
"""
from .discovery import LOOKED_FOR, ROLE_LABELS, Found, StageFiles, discover, read_annotation, stage_config
from .layout import ATTRIBUTION_METHODS, DEMO_FILES, STAGE_OUTPUTS, demo_file_map, later_outputs
from .summary import collect_results, read_results, write_results

__all__ = [
    "ATTRIBUTION_METHODS", "DEMO_FILES", "STAGE_OUTPUTS", "demo_file_map", "later_outputs",
    "Found", "StageFiles", "discover", "read_annotation", "stage_config", "ROLE_LABELS", "LOOKED_FOR",
    "collect_results", "read_results", "write_results",
]
