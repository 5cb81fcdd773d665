"""Old path of :mod:`kgenint.evaluate.detectors` (kept for one release)."""
from .evaluate.detectors import (  # noqa: F401
    benchmark_interactions,
    plot_benchmark,
    rule_kind_table,
    score_against_pairs,
    scoring_view,
)

__all__ = ["benchmark_interactions", "scoring_view", "score_against_pairs", "rule_kind_table", "plot_benchmark"]
