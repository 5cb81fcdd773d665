"""The one Benjamini-Hochberg implementation against statsmodels-free brute force (issue 13)."""
from __future__ import annotations

import numpy as np
import pytest

from kgenint._stats import bh_qvalues, bh_qvalues_rows


def _bh_brute(p: np.ndarray, m: int) -> np.ndarray:
    """q_i = min over j with p_j >= p_i of min(1, m p_j / rank_j), ranks with ties taking the largest."""
    q = np.empty(p.size)
    for i, pi in enumerate(p):
        cands = [min(1.0, m * pj / np.sum(p <= pj)) for pj in p if pj >= pi]
        q[i] = min(cands)
    return q


@pytest.mark.parametrize("seed", [0, 1])
def test_bh_matches_brute_force_with_ties_nans_and_n_tests(seed):
    rng = np.random.default_rng(seed)
    p = np.round(rng.random(40) ** 3, 2)  # ties on purpose
    np.testing.assert_allclose(bh_qvalues(p), _bh_brute(p, p.size), rtol=1e-12)
    np.testing.assert_allclose(bh_qvalues(p, n_tests=100), _bh_brute(p, 100), rtol=1e-12)
    with_nan = np.concatenate([p, [np.nan, np.nan]]).reshape(6, 7)
    q = bh_qvalues(with_nan)
    assert np.isnan(q.ravel()[-2:]).all()
    np.testing.assert_allclose(q.ravel()[:-2], _bh_brute(p, p.size), rtol=1e-12)
    rows = rng.random((3, 15))
    got = bh_qvalues_rows(rows)
    for r in range(3):
        np.testing.assert_allclose(got[r], _bh_brute(rows[r], 15), rtol=1e-12)
    scipy_stats = pytest.importorskip("scipy.stats")
    np.testing.assert_allclose(bh_qvalues(p), scipy_stats.false_discovery_control(p, method="bh"), rtol=1e-12)
