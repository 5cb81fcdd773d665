"""Tests of kgenint.motifs.from_filters against slow numpy references written out below."""
from __future__ import annotations

import warnings

import numba
import numpy as np
import pytest

from kgenint.errors import InputError
from kgenint.motifs.from_filters import filters_to_motifs, weights_to_motifs


# ---------------------------------------------------------------------------- naive references
def naive_activations(x, w, b, padding, act="linear"):
    """Plain loops: stride-1 cross-correlation with Keras-style zero padding."""
    n, length, _ = x.shape
    width, _, n_filt = w.shape
    pad_left, out_len = {
        "valid": (0, length - width + 1),
        "same": ((width - 1) // 2, length),
        "causal": (width - 1, length),
    }[padding]
    out = np.zeros((n, out_len, n_filt), dtype=np.float64)
    for i in range(n):
        for j in range(out_len):
            for f in range(n_filt):
                s = float(b[f])
                for k in range(width):
                    p = j + k - pad_left
                    if 0 <= p < length:
                        s += float(np.dot(x[i, p].astype(np.float64), w[k, :, f].astype(np.float64)))
                out[i, j, f] = s
    if act == "relu":
        out = np.maximum(out, 0)
    elif act == "exp":
        out = np.exp(out)
    return out.astype(np.float32), pad_left


def naive_counts(x, act, width, pad_left, threshold):
    """Count the windows at or above threshold * max, one window at a time."""
    n, length, _ = x.shape
    n_filt = act.shape[2]
    counts = np.zeros((n_filt, width, 4))
    n_sites = np.zeros(n_filt, dtype=int)
    for f in range(n_filt):
        mx = float(act[:, :, f].max())
        if mx <= 0:
            continue
        cut = threshold * mx
        for i in range(n):
            for j in range(act.shape[1]):
                if float(act[i, j, f]) >= cut:
                    n_sites[f] += 1
                    for k in range(width):
                        p = j - pad_left + k
                        if 0 <= p < length and x[i, p].max() == 1.0:
                            counts[f, k] += x[i, p]
    return counts, n_sites


def random_onehot(rng, n, length, n_rows=0):
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, length))]
    for _ in range(n_rows):  # a few N rows: zeros or 0.25
        i, j = rng.integers(0, n), rng.integers(0, length)
        x[i, j] = 0.25 if rng.random() < 0.5 else 0.0
    return x


# ---------------------------------------------------------------------------- planted motif
def test_planted_motif_recovered():
    rng = np.random.default_rng(1)
    pfm = np.array(
        [
            [0.85, 0.05, 0.05, 0.05],
            [0.05, 0.05, 0.85, 0.05],
            [0.10, 0.70, 0.10, 0.10],
            [0.05, 0.05, 0.05, 0.85],
            [0.40, 0.10, 0.40, 0.10],
            [0.05, 0.85, 0.05, 0.05],
            [0.70, 0.10, 0.10, 0.10],
            [0.05, 0.05, 0.85, 0.05],
        ]
    )
    width, n, length = pfm.shape[0], 400, 60
    x = random_onehot(rng, n, length)
    for i in range(n):
        start = rng.integers(0, length - width + 1)
        site = np.array([rng.choice(4, p=row) for row in pfm])
        x[i, start : start + width] = np.eye(4, dtype=np.float32)[site]
    w = np.log2(pfm / 0.25).astype(np.float32)[:, :, None]
    m = filters_to_motifs(w, x, threshold=0.5, min_sites=10)[0]
    assert m.name == "filter_0"
    assert m.metadata["n_sites"] >= n // 2
    r = np.corrcoef(m.pwm.ravel(), pfm.ravel())[0, 1]
    assert r > 0.95, r
    # planted consensus AGCT[AG]CAG, position 4 a tie between A and G
    assert "".join(m.consensus[k] for k in (0, 1, 2, 3, 5, 6, 7)) == "AGCTCAG"


# ---------------------------------------------------------------------------- against naive
@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
@pytest.mark.parametrize("threshold", [0.5, 0.8, 1.0])
def test_counts_match_naive_computed(padding, threshold):
    rng = np.random.default_rng(7)
    x = random_onehot(rng, 12, 30, n_rows=8)
    # integer weights and bias: every activation is exact in float32, so ties at the cutoff
    # are resolved identically by the kernel and the reference
    w = rng.integers(-3, 4, (5, 4, 3)).astype(np.float32)
    b = rng.integers(-2, 3, 3).astype(np.float32)
    act, pad_left = naive_activations(x, w, b, padding, "relu")
    want_counts, want_sites = naive_counts(x, act, 5, pad_left, threshold)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ms = filters_to_motifs(
            w, x, bias=b, activation_fn="relu", padding=padding, threshold=threshold, min_sites=0
        )
    assert len(ms) == 3
    for f, m in enumerate(ms):
        assert m.metadata["filter_index"] == f
        assert m.metadata["n_sites"] == want_sites[f]
        assert m.metadata["padding"] == padding
        if want_sites[f]:
            np.testing.assert_array_equal(m.counts, want_counts[f])
            np.testing.assert_allclose(m.metadata["max_activation"], act[:, :, f].max())
            sel = act[:, :, f] >= threshold * act[:, :, f].max()
            np.testing.assert_allclose(m.metadata["mean_activation"], act[:, :, f][sel].mean(), rtol=1e-6)


def test_conv_kernel_matches_naive():
    from kgenint._kernels.filters import conv1d

    rng = np.random.default_rng(3)
    x = random_onehot(rng, 6, 25, n_rows=5)
    w = rng.normal(size=(7, 4, 4)).astype(np.float32)
    b = rng.normal(size=4).astype(np.float32)
    for padding in ("valid", "same", "causal"):
        want, pad_left = naive_activations(x, w, b, padding)
        got = conv1d(x, w, b, pad_left, want.shape[1], 0)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    want, _ = naive_activations(x, w, b, "valid", "exp")
    np.testing.assert_allclose(conv1d(x, w, b, 0, want.shape[1], 2), want, rtol=1e-5)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_activation_array_path_agrees_with_computed(padding):
    rng = np.random.default_rng(11)
    x = random_onehot(rng, 20, 40, n_rows=4)
    w = rng.integers(-2, 3, (6, 4, 4)).astype(np.float32)
    act, _ = naive_activations(x, w, np.zeros(4), padding, "relu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        given = filters_to_motifs(w, x, activations=act, min_sites=0)  # padding="auto" infers
        computed = filters_to_motifs(w, x, activation_fn="relu", padding=padding, min_sites=0)
        by_callable = filters_to_motifs(
            w, x, activation_fn=lambda a: np.maximum(a, 0), padding=padding, min_sites=0
        )
    for a, c, k in zip(given, computed, by_callable):
        assert a.metadata["padding"] == padding
        assert a.metadata["n_sites"] == c.metadata["n_sites"] == k.metadata["n_sites"]
        np.testing.assert_array_equal(a.pwm, c.pwm)
        np.testing.assert_array_equal(a.pwm, k.pwm)


def test_thread_count_independent():
    rng = np.random.default_rng(5)
    x = random_onehot(rng, 30, 50)
    w = rng.normal(size=(8, 4, 5)).astype(np.float32)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = filters_to_motifs(w, x, min_sites=0)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = filters_to_motifs(w, x, min_sites=0)
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, many):
        np.testing.assert_array_equal(a.counts, b.counts)
        assert a.metadata == b.metadata


def test_chunked_two_pass_matches(monkeypatch):
    """Tiny chunks and no kept activations (the large-data path) give the same result."""
    import kgenint.motifs.from_filters as ff

    rng = np.random.default_rng(9)
    x = random_onehot(rng, 25, 30)
    w = rng.integers(-2, 3, (4, 4, 3)).astype(np.float32)
    ref = filters_to_motifs(w, x, min_sites=0)
    monkeypatch.setattr(ff, "_CHUNK_BYTES", 1)
    monkeypatch.setattr(ff, "_KEEP_BYTES", 0)
    got = filters_to_motifs(w, x, min_sites=0)
    for a, b in zip(ref, got):
        np.testing.assert_array_equal(a.counts, b.counts)


# ---------------------------------------------------------------------------- behaviour
def test_n_rows_count_as_nothing():
    x = np.eye(4, dtype=np.float32)[[[0, 1, 2, 3, 0, 0]]]
    x[0, 2] = 0.25  # ambiguous base inside the only strong window
    w = (np.eye(4, dtype=np.float32)[[0, 1, 2, 3]] * 2 - 1)[:, :, None]
    m = filters_to_motifs(w, x, threshold=1.0, min_sites=1)[0]
    assert m.metadata["n_sites"] == 1
    np.testing.assert_array_equal(m.counts.sum(axis=1), [1, 1, 0, 1])
    np.testing.assert_allclose(m.pwm[2], [0.25] * 4)  # unobserved row gets the background


def test_few_sites_flagged_warned_or_dropped():
    rng = np.random.default_rng(2)
    x = random_onehot(rng, 10, 20)
    w = np.stack([rng.normal(size=(4, 4)), -np.ones((4, 4))], axis=2).astype(np.float32)
    with pytest.warns(UserWarning, match="fewer than 5 sites"):
        ms = filters_to_motifs(w, x, min_sites=5, bg_freqs=[0.3, 0.2, 0.2, 0.3])
    assert len(ms) == 2
    dead = ms[1]
    assert dead.metadata["few_sites"] and dead.metadata["n_sites"] == 0
    assert np.isnan(dead.metadata["mean_activation"])
    np.testing.assert_allclose(dead.pwm, np.tile([0.3, 0.2, 0.2, 0.3], (4, 1)))
    with pytest.warns(UserWarning, match="left out"):
        kept = filters_to_motifs(w, x, min_sites=5, drop_few_sites=True)
    assert [m.metadata["filter_index"] for m in kept] == [0]


def test_names_pseudocount_trim_background():
    rng = np.random.default_rng(4)
    seqs = rng.integers(0, 4, (40, 6))
    seqs[:, 1:4] = [1, 2, 3]  # random flanks around CGT
    x = np.eye(4, dtype=np.float32)[seqs]
    w = np.zeros((6, 4, 1), dtype=np.float32)
    w[1:4, :, 0] = np.eye(4)[[1, 2, 3]] * 2 - 1  # every window scores 3: 40 sites
    m = filters_to_motifs(
        w, x, names=["CGT"], pseudocount=4.0, trim=1.0, bg_freqs="data", min_sites=1
    )[0]
    assert m.name == "CGT"
    bg = np.bincount(seqs.ravel(), minlength=4) / seqs.size
    np.testing.assert_allclose(m.bg_freqs, bg)
    assert m.metadata["n_sites"] == 40
    assert (m.metadata["trim_start"], m.metadata["trim_end"]) == (1, 4)
    assert m.consensus == "CGT"
    # 40 sites, 4 pseudo-sites spread by the background
    np.testing.assert_allclose(m.pwm[0], (np.array([0, 40, 0, 0]) + 4 * bg) / 44)


def test_weights_to_motifs_softmax_by_hand():
    w = np.zeros((2, 4, 2))
    w[0, :, 0] = [1.0, 2.0, 3.0, 4.0]
    w[1, :, 0] = [0.0, 0.0, 0.0, 0.0]
    w[:, :, 1] = [[5.0, 1.0, 1.0, 1.0], [-1.0, 0.0, 1.0, 0.0]]
    ms = weights_to_motifs(w, temperature=2.0, names=["a", "b"])
    e = np.exp(np.array([1.0, 2.0, 3.0, 4.0]) / 2)
    np.testing.assert_allclose(ms[0].pwm[0], e / e.sum())
    np.testing.assert_allclose(ms[0].pwm[1], [0.25] * 4)
    e = np.exp(np.array([5.0, 1.0, 1.0, 1.0]) / 2)
    np.testing.assert_allclose(ms[1].pwm[0], e / e.sum())
    assert ms[1].name == "b" and ms[1].metadata == {
        "source": "filter_weights", "filter_index": 1, "temperature": 2.0
    }
    big = weights_to_motifs(np.full((1, 4, 1), 1000.0) + np.arange(4)[None, :, None])[0]
    assert np.all(np.isfinite(big.pwm))  # no overflow


# ---------------------------------------------------------------------------- bad input
@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    return random_onehot(rng, 4, 12), rng.normal(size=(3, 4, 2)).astype(np.float32)


def test_bad_weights(small):
    x, w = small
    with pytest.raises(InputError, match=r"\(W, 4, F\)"):
        filters_to_motifs(w.transpose(0, 2, 1), x)
    with pytest.raises(InputError, match="filter axis"):
        filters_to_motifs(w[:, :, 0], x)
    with pytest.raises(InputError, match="non-finite"):
        filters_to_motifs(np.where(w > 1, np.nan, w), x)
    with pytest.raises(InputError, match=r"\(W, 4, F\)"):
        weights_to_motifs(np.ones((4, 3)))


def test_bad_x(small):
    x, w = small
    x2 = x.copy()
    x2[1, 3] = [1, 1, 0, 0]
    with pytest.raises(InputError, match="not one-hot"):
        filters_to_motifs(w, x2)
    with pytest.raises(InputError, match="shorter than the filter width"):
        filters_to_motifs(np.ones((20, 4, 1), np.float32), x)
    with pytest.raises(InputError, match=r"shape \(N, L, 4\)"):
        filters_to_motifs(w, x[:, :, :3])


def test_bad_activations(small):
    x, w = small
    with pytest.raises(InputError, match="activations must have shape"):
        filters_to_motifs(w, x, activations=np.zeros((4, 10, 3)))
    with pytest.raises(InputError, match="length L'=11"):
        filters_to_motifs(w, x, activations=np.zeros((4, 11, 2)))
    with pytest.raises(InputError, match="padding='valid'"):
        filters_to_motifs(w, x, activations=np.zeros((4, 12, 2)), padding="valid")
    with pytest.raises(InputError, match="not both"):
        filters_to_motifs(w, x, activations=np.zeros((4, 10, 2)), activation_fn="relu")
    with pytest.raises(InputError, match="non-finite"):
        filters_to_motifs(w, x, activations=np.full((4, 10, 2), np.inf))
    with pytest.raises(InputError, match="shape it was given"):
        filters_to_motifs(w, x, activation_fn=lambda a: a[:, :1])


@pytest.mark.parametrize("t", [0, -0.1, 1.5, float("nan"), "half"])
def test_bad_threshold(small, t):
    x, w = small
    with pytest.raises(InputError, match="threshold"):
        filters_to_motifs(w, x, threshold=t)


def test_bad_other_arguments(small):
    x, w = small
    with pytest.raises(InputError, match="padding must be one of"):
        filters_to_motifs(w, x, padding="full")
    with pytest.raises(InputError, match="one name per filter"):
        filters_to_motifs(w, x, names=["a"])
    with pytest.raises(InputError, match="bias must have shape"):
        filters_to_motifs(w, x, bias=np.zeros(3))
    with pytest.raises(InputError, match="activation_fn must be"):
        filters_to_motifs(w, x, activation_fn="sigmoidal")
    with pytest.raises(InputError, match="pseudocount"):
        filters_to_motifs(w, x, pseudocount=-1)
    with pytest.raises(InputError, match="pseudocount"):
        filters_to_motifs(w, x, pseudocount="some")
    with pytest.raises(InputError, match="trim"):
        filters_to_motifs(w, x, trim=[1])
    with pytest.raises(InputError, match="min_sites"):
        filters_to_motifs(w, x, min_sites=-1)
    with pytest.raises(InputError, match="bg_freqs"):
        filters_to_motifs(w, x, bg_freqs="genome")
    with pytest.raises(InputError, match="bg_freqs"):
        filters_to_motifs(w, x, bg_freqs=[0.5, 0.5])
    with pytest.raises(InputError, match="temperature"):
        weights_to_motifs(w, temperature=0)
    with pytest.raises(InputError, match="one name per filter"):
        weights_to_motifs(w, names=["a", "b", "c"])
