"""gc_content and the background generators."""
import pathlib
import sys

import numba
import numpy as np
import pytest

from kgenint.errors import InputError
from kgenint.sequence import (
    gc_content,
    gc_matched_background,
    one_hot_encode,
    random_background,
    shuffled_background,
)
from kgenint.sequence import dinucleotide_shuffle

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import naive_sequence as naive  # noqa: E402


def _valid_onehot(x):
    return np.all(x.sum(-1) == 1) and np.all((x == 0) | (x == 1))


def test_gc_content_matches_naive_and_hand_values():
    x = one_hot_encode(["GGCC", "ACGT", "AANN", "NNNN"], n_value=0.25)
    g = gc_content(x)
    np.testing.assert_allclose(g[:3], [1.0, 0.5, 0.0])
    assert np.isnan(g[3])
    rng = np.random.default_rng(0)
    y = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(9, 31))]
    y[rng.random((9, 31)) < 0.2] = 0.0
    np.testing.assert_allclose(gc_content(y), naive.gc_content(y))


@pytest.mark.parametrize("gc", [0.0, 0.2, 0.41, 0.75, 1.0])
def test_random_background_gc(gc):
    x = random_background(400, 250, gc=gc, seed=1)
    assert x.shape == (400, 250, 4) and x.dtype == np.float32 and _valid_onehot(x)
    assert abs(gc_content(x).mean() - gc) < 0.01
    # G and C (and A and T) equally likely.
    frac = x.mean(axis=(0, 1))
    np.testing.assert_allclose(frac, [(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2], atol=0.01)


def test_random_background_per_sequence_gc_and_seeds():
    gcs = np.array([0.1, 0.5, 0.9])
    x = random_background(3, 5000, gc=gcs, seed=2)
    np.testing.assert_allclose(gc_content(x), gcs, atol=0.02)
    np.testing.assert_array_equal(x, random_background(3, 5000, gc=gcs, seed=2))
    assert not np.array_equal(x, random_background(3, 5000, gc=gcs, seed=3))
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = random_background(50, 40, seed=9)
        one_m = gc_matched_background(one, seed=3)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = random_background(50, 40, seed=9)
        two_m = gc_matched_background(two, seed=3)
    finally:
        numba.set_num_threads(old)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one_m, two_m)


def test_gc_matched_background_follows_reference():
    gcs = np.concatenate([np.full(100, 0.3), np.full(100, 0.7)])
    ref = random_background(200, 200, gc=gcs, seed=5)
    ref[0, :10] = 0.25  # N rows in the reference are fine
    ref_gc = gc_content(ref)
    out = gc_matched_background(ref, seed=6)
    assert out.shape == ref.shape and _valid_onehot(out)
    out_gc = gc_content(out)
    # Every output GC equals round(gc * L) / L of some reference sequence.
    allowed = set(np.rint(ref_gc * 200).astype(int).tolist())
    assert set(np.rint(out_gc * 200).astype(int).tolist()) <= allowed
    # Same distribution (two-sample quantiles close).
    q = [0.1, 0.25, 0.75, 0.9]
    np.testing.assert_allclose(np.quantile(out_gc, q), np.quantile(ref_gc, q), atol=0.03)
    assert abs(out_gc.mean() - ref_gc.mean()) < 0.05
    # Unlike i.i.d. bases at the mean GC, the spread is kept (bimodal reference, sd ~ 0.2).
    assert abs(out_gc.std() - ref_gc.std()) < 0.03
    more = gc_matched_background(ref, 500, seed=6)
    assert more.shape == (500, 200, 4)
    np.testing.assert_array_equal(gc_matched_background(ref, 7, seed=1), gc_matched_background(ref, 7, seed=1))


def test_shuffled_background_layout():
    ref = random_background(6, 50, seed=0)
    out = shuffled_background(ref, 3, seed=2)
    assert out.shape == (18, 50, 4)
    direct = dinucleotide_shuffle(ref, 3, seed=2)
    np.testing.assert_array_equal(out[4], direct[1, 1])  # row i * n + k
    np.testing.assert_array_equal(naive.dinucleotide_counts(out[3:6]), np.repeat(naive.dinucleotide_counts(ref[1:2]), 3, 0))


def test_bad_input():
    with pytest.raises(InputError, match="n must be a positive integer"):
        random_background(0, 10)
    with pytest.raises(InputError, match="length must be a positive integer"):
        random_background(3, -1)
    with pytest.raises(InputError, match=r"gc must lie in \[0, 1\].*gc=41.0"):
        random_background(3, 10, gc=41)
    with pytest.raises(InputError, match=r"gc must lie in \[0, 1\]"):
        random_background(3, 10, gc=[0.1, -0.2, 0.5])
    with pytest.raises(InputError, match=r"shape \(3,\)"):
        random_background(3, 10, gc=[0.1, 0.2])
    with pytest.raises(InputError, match="gc must be a number"):
        random_background(3, 10, gc="high")
    with pytest.raises(InputError, match="only N positions"):
        gc_matched_background(np.zeros((2, 5, 4)))
    with pytest.raises(InputError, match="n must be a positive integer"):
        gc_matched_background(random_background(2, 5), n=0)
    with pytest.raises(InputError, match=r"shape \(N, L, 4\)"):
        gc_content(np.zeros((2, 5)))
    bad = random_background(2, 5)
    bad[0, 1] = 2.0
    with pytest.raises(InputError, match="sequence 0, position 1"):
        gc_content(bad)
    with pytest.raises(InputError, match="sequence 0, position 1"):
        shuffled_background(bad)
    with pytest.raises(InputError, match="reference is not one-hot DNA: sequence 0, position 1"):
        gc_matched_background(bad)
    with pytest.raises(InputError, match="n must be a positive integer"):
        shuffled_background(random_background(2, 5), n=-1)
