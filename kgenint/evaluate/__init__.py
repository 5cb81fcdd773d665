"""Scoring kgenint's methods against the planted truth of a simulated data set.

* :mod:`kgenint.evaluate.scoring` -- AUROC/AUPRC (scikit-learn's argument order,
  ``auroc(y_true, y_score)``), attribution scores at planted sites, the pair-ranking scores of an
  interaction scan, what a model learned (:func:`learned_terms`);
* :mod:`kgenint.evaluate.detectors` -- :func:`benchmark_interactions`, every interaction detector
  on one model and data set.

No TensorFlow here.
"""
from .detectors import (
    benchmark_interactions,
    plot_benchmark,
    rule_kind_table,
    score_against_pairs,
    scoring_view,
)
from .scoring import (
    attribution_role_table,
    attribution_scores,
    auprc,
    auroc,
    learned_terms,
    plot_role_table,
    score_interactions,
    site_mask,
)

__all__ = [
    "auroc", "auprc", "site_mask", "attribution_scores", "attribution_role_table",
    "score_interactions", "plot_role_table", "learned_terms", "benchmark_interactions",
    "scoring_view", "score_against_pairs", "rule_kind_table", "plot_benchmark",
]
