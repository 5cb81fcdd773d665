"""dinucleotide_shuffle / dinucleotide_counts: exact counts, ends, uniformity, seeds, threads."""
import pathlib
import sys
from collections import Counter

import numba
import numpy as np
import pytest
from scipy import stats

from kgenint.errors import InputError
from kgenint.sequence import dinucleotide_counts, dinucleotide_shuffle, one_hot_decode, one_hot_encode

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import naive_sequence as naive  # noqa: E402


def _random_onehot(n, L, seed, n_frac=0.0, n_value=0.0):
    rng = np.random.default_rng(seed)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, L))]
    if n_frac:
        mask = rng.random((n, L)) < n_frac
        x[mask] = n_value
    return x


def test_counts_match_naive():
    x = _random_onehot(20, 57, 0, n_frac=0.1, n_value=0.25)
    c = dinucleotide_counts(x)
    assert c.dtype == np.int64 and c.shape == (20, 5, 5)
    np.testing.assert_array_equal(c, naive.dinucleotide_counts(x))
    assert int(dinucleotide_counts(one_hot_encode("AACG"))[0, 0, 0]) == 1


@pytest.mark.parametrize("n_frac, n_value", [(0.0, 0.0), (0.15, 0.0), (0.15, 0.25)])
def test_shuffle_keeps_counts_and_ends(n_frac, n_value):
    x = _random_onehot(30, 80, 1, n_frac=n_frac, n_value=n_value)
    xs = dinucleotide_shuffle(x, 3, seed=5)
    assert xs.shape == (30, 3, 80, 4) and xs.dtype == np.float32
    ref = naive.dinucleotide_counts(x)
    cx = naive.codes(x)
    for k in range(3):
        np.testing.assert_array_equal(naive.dinucleotide_counts(xs[:, k]), ref)
        ck = naive.codes(xs[:, k])
        np.testing.assert_array_equal(ck[:, 0], cx[:, 0])
        np.testing.assert_array_equal(ck[:, -1], cx[:, -1])
        # N rows keep their value (0 or 0.25) and every row is still valid one-hot / N.
        rows = xs[:, k][ck == 4]
        assert np.all(rows == n_value)
    # The shuffles actually move things.
    assert np.mean(naive.codes(xs[:, 0]) != cx) > 0.3


def test_shuffle_uniform_over_all_valid_sequences():
    for seq in ("AACAGAAT", "AACCAACGA"):
        allowed = naive.same_dinucleotide_sequences(seq)
        draws = one_hot_decode(dinucleotide_shuffle(one_hot_encode(seq), 4000, seed=11)[0])
        counts = Counter(draws)
        assert set(counts) == allowed  # every valid sequence appears, nothing else
        obs = np.array([counts[s] for s in sorted(allowed)])
        assert stats.chisquare(obs).pvalue > 1e-3


def test_seed_determinism_and_difference():
    x = _random_onehot(10, 60, 2)
    a = dinucleotide_shuffle(x, 2, seed=7)
    np.testing.assert_array_equal(a, dinucleotide_shuffle(x, 2, seed=7))
    assert not np.array_equal(a, dinucleotide_shuffle(x, 2, seed=8))
    assert not np.array_equal(a[:, 0], a[:, 1])
    # A numpy Generator as seed is reproducible too.
    g1 = dinucleotide_shuffle(x, 1, seed=np.random.default_rng(1))
    g2 = dinucleotide_shuffle(x, 1, seed=np.random.default_rng(1))
    np.testing.assert_array_equal(g1, g2)


def test_independent_of_thread_count():
    x = _random_onehot(64, 50, 3, n_frac=0.05)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = dinucleotide_shuffle(x, 3, seed=4)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = dinucleotide_shuffle(x, 3, seed=4)
    finally:
        numba.set_num_threads(old)
    np.testing.assert_array_equal(one, two)


def test_short_and_degenerate_sequences():
    for s in ("A", "AC", "AAAAAA", "NNNN", "ACACAC"):
        xs = dinucleotide_shuffle(one_hot_encode(s), 3, seed=0)
        for k in range(3):
            got = one_hot_decode(xs[0, k])[0]
            assert Counter(zip(got, got[1:])) == Counter(zip(s, s[1:])) and got[0] == s[0]


def test_bad_input():
    x = _random_onehot(2, 10, 0)
    with pytest.raises(InputError, match="n must be a positive integer"):
        dinucleotide_shuffle(x, 0)
    with pytest.raises(InputError, match="n must be a positive integer"):
        dinucleotide_shuffle(x, 1.5)
    with pytest.raises(InputError, match="seed must be"):
        dinucleotide_shuffle(x, seed="abc")
    with pytest.raises(InputError, match=r"shape \(N, L, 4\)"):
        dinucleotide_shuffle(np.zeros((2, 10, 3)))
    bad = x.copy()
    bad[1, 4] = [0.5, 0.5, 0, 0]
    with pytest.raises(InputError, match="sequence 1, position 4"):
        dinucleotide_shuffle(bad)
    with pytest.raises(InputError, match="sequence 1, position 4"):
        dinucleotide_counts(bad)
    with pytest.raises(InputError, match="shorter than the 1 needed"):
        dinucleotide_shuffle(np.zeros((2, 0, 4)))
