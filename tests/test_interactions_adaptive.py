"""Adaptive in-silico scans: the spending boundary against hand and Monte Carlo computations, type-I
error of the design on null contrasts and on an additive model, and the same calls as the exhaustive
scan at >= 5x fewer model calls on a model with a planted interaction (two seeds each)."""
import math

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from scipy import stats

from kgenint.errors import InputError
from kgenint.interactions.adaptive import AdaptiveScan, load_adaptive, run_design, scan_pairs_adaptive
from kgenint.interactions.adaptive_design import (COMPLETED, EFFICACY, FUTILITY, look_schedule, nominal_levels,
                                                  sequential_pvalues, spending)
from kgenint.interactions.insilico import load, scan_pairs
from kgenint.interactions.scan_result import cell_statistics
from kgenint.motifs import Motif

WORDS = {"A": "GGATAAGG", "B": "CGCCAATG", "C": "TGGGCGGG", "D": "GCAGCTGG"}
MOTIFS = [Motif.from_consensus(w, name=k) for k, w in WORDS.items()]
L = 60


def _first_site(x, word):
    """Start of the first exact + strand occurrence of ``word`` in each sequence (-1: none)."""
    W = np.eye(4, dtype=np.float32)[["ACGT".index(c) for c in word]]
    s = (sliding_window_view(x, (len(word), 4), axis=(1, 2))[:, :, 0] * W).sum(axis=(2, 3))
    hit = s >= len(word) - 1e-3
    return np.where(hit.any(1), hit.argmax(1), -1)


def make_predict(v=0.0, window=(10, 14), sigma=0.3, seed=0):
    """Closed-form model: main effects of A, B, C, a composition term, ``v`` when B starts
    ``window`` bp after A, and Gaussian noise that is a pseudo-random function of the whole
    sequence (so the four sequences of a contrast get independent noise: the contrast of an
    additive model (v = 0) is exactly mean-zero Gaussian across backgrounds)."""
    R = np.random.default_rng(seed).normal(size=(L * 4,))

    def predict(x):
        x = np.asarray(x, np.float32)
        sa, sb, sc = (_first_site(x, WORDS[k]) for k in "ABC")
        f = 1.0 * (sa >= 0) + 0.7 * (sb >= 0) + 0.5 * (sc >= 0) + 0.2 * x[:, :, 1].mean(1)
        f = f + v * ((sa >= 0) & (sb >= 0) & (sb - sa >= window[0]) & (sb - sa <= window[1]))
        u = (x.reshape(len(x), -1).astype(np.float64) @ R) * 1e3
        z = stats.norm.ppf(np.clip(u - np.floor(u), 1e-12, 1 - 1e-12))
        return (f + sigma * z)[:, None].astype(np.float32)

    return predict


def _background(n, seed):
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype=np.float32)[rng.choice([0, 1, 3], size=(n, L))]  # no G: no accidental motif


def _called(pairs, alpha=0.05):
    return {frozenset((r.motif_a, r.motif_b)) for r in pairs.itertuples() if r.q_value < alpha}


# --------------------------------------------------------------------------- (d) the boundary

def test_spending_functions_hand_computed():
    z = stats.norm.isf(0.025)
    assert spending(1.0, 0.05) == pytest.approx(0.05)
    assert spending(0.25, 0.05) == pytest.approx(2 * (1 - stats.norm.cdf(z / 0.5)))  # 8.8e-5
    assert spending(0.25, 0.05) == pytest.approx(8.857e-05, rel=1e-3)
    assert spending(0.5, 0.05, "pocock") == pytest.approx(0.05 * math.log(1 + (math.e - 1) / 2))
    assert spending(0.0, 0.05) == 0.0
    a, before = nominal_levels((4, 8, 16, 32), 0.05, "pocock")
    assert a.sum() == pytest.approx(0.05) and before[0] == 0.0
    np.testing.assert_allclose(before[1:], np.cumsum(a)[:-1])
    assert look_schedule(4, 32) == (4, 8, 16, 32) and look_schedule(4, 12) == (4, 8, 12)
    assert look_schedule(3, 3) == (3,)


@pytest.mark.parametrize("seed", [0, 1])
def test_boundary_type_one_error_monte_carlo(seed):
    """Reject at the first look k with t-test p_k <= a_k (Pocock spending, looks 4, 8, 16, 32):
    the rate under the null is <= alpha (the union bound) and close to it (the bound is nearly
    tight: the exact probability of the same nominal levels for z-statistics, where the looks'
    correlation is known, is about 0.8 alpha with Pocock spending at alpha = 0.05)."""
    rng = np.random.default_rng(seed)
    looks = np.array(look_schedule(4, 32))
    alpha = 0.05
    a, _ = nominal_levels(looks, alpha, "pocock")
    R = 40000
    x = rng.normal(size=(R, 32)) * rng.uniform(0.1, 10, size=(R, 1))  # any variance
    reject = np.zeros(R, bool)
    zrej = np.zeros(R, bool)
    for k, n in enumerate(looks):
        m = x[:, :n].mean(1)
        se = x[:, :n].std(1, ddof=1) / math.sqrt(n)
        reject |= 2 * stats.t.sf(np.abs(m / se), n - 1) <= a[k]
    slack = 3 * math.sqrt(alpha * (1 - alpha) / R)
    assert reject.mean() <= alpha + slack
    assert reject.mean() >= 0.8 * alpha
    # exact crossing probability for z-statistics (known variance): Brownian motion at the looks
    w = np.cumsum(rng.normal(size=(R, 32)), axis=1)
    for k, n in enumerate(looks):
        zrej |= np.abs(w[:, n - 1] / math.sqrt(n)) >= stats.norm.isf(a[k] / 2)
    assert 0.7 * alpha <= zrej.mean() <= reject.mean() + slack


@pytest.mark.parametrize("seed", [0, 1])
def test_sequential_pvalues_valid_under_futility_and_efficacy(seed):
    """p_seq of the design (efficacy at a_k, futility at p_k > 0.2, p = 1 after futility) is
    super-uniform: P(p_seq <= u) <= u at every u; the naive 'p at the look where it stopped' is not."""
    rng = np.random.default_rng(seed)
    looks = np.array([4, 8, 16, 32])
    a, before = nominal_levels(looks, 0.05, "pocock")
    R = 40000
    x = rng.normal(size=(R, 32))
    p_stop = np.full(R, np.nan)
    k_stop = np.full(R, 3)
    crossed = np.zeros(R, bool)
    open_ = np.ones(R, bool)
    for k, n in enumerate(looks):
        p = 2 * stats.t.sf(np.abs(x[:, :n].mean(1) / (x[:, :n].std(1, ddof=1) / math.sqrt(n))), n - 1)
        stop = open_ & ((p <= a[k]) | (p > 0.2) | (k == 3))
        p_stop[stop] = p[stop]
        k_stop[stop] = k
        crossed[stop] = (p[stop] <= a[k]) | (k == 3)
        open_ &= ~stop
    ps = sequential_pvalues(p_stop, k_stop, crossed, before)
    for u in (0.01, 0.05, 0.1, 0.3):
        assert (ps <= u).mean() <= u + 3 * math.sqrt(u * (1 - u) / R)
    # the same Monte Carlo sees the inflation of a design without spending (stop at any p_k <= 0.05)
    naive = np.zeros(R, bool)
    for n in looks:
        naive |= 2 * stats.t.sf(np.abs(x[:, :n].mean(1) / (x[:, :n].std(1, ddof=1) / math.sqrt(n))), n - 1) <= 0.05
    assert naive.mean() > 0.05 + 3 * math.sqrt(0.05 * 0.95 / R)


# --------------------------------------------------------------------------- (a) type-I error

@pytest.mark.parametrize("seed", [0, 1])
def test_design_type_one_error_on_null_contrasts(seed):
    """run_design on Gaussian null contrasts (many cells, repeated scans): null cells with
    p <= u and null pairs called are at most u and alpha (+ Monte Carlo slack)."""
    rng = np.random.default_rng(seed)
    K, D, O, N = 6, 10, 2, 16
    valid = np.ones((K, K, D, O), bool)
    ps, calls, n_pairs = [], 0, 0
    for _ in range(6):
        data = rng.normal(size=(K, K, D, O, N)) * rng.uniform(0.5, 2, size=(K, K, 1, 1, 1))

        def ev(cells, lo, hi, data=data):
            return data[cells[:, 0], cells[:, 1], cells[:, 2], cells[:, 3], lo:hi]

        r = run_design(valid, ev, N, reference="none", n_initial=4, futility=0.3, spending="pocock")
        ps.append(r["p"].ravel())
        pc = [min(1.0, np.min(np.sort(np.concatenate([r["p"][i, j].ravel(), r["p"][j, i].ravel()]))
                              * (2 * D * O) / np.arange(1, 2 * D * O + 1))) for i in range(K) for j in range(i + 1, K)]
        calls += int((np.asarray(pc) <= 0.05).sum())
        n_pairs += len(pc)
    p = np.concatenate(ps)
    for u in (0.01, 0.05, 0.2):
        assert (p <= u).mean() <= u + 3 * math.sqrt(u * (1 - u) / p.size)
    assert calls / n_pairs <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / n_pairs)


@pytest.mark.parametrize("seed", [0, 1])
def test_additive_model_type_one_error(seed):
    """Repeated adaptive scans of an additive model with noise: the fraction of (null) pairs called
    and of null cells with p <= 0.05 stay within alpha + Monte Carlo slack."""
    pred = make_predict(v=0.0, seed=seed)
    n_called = n_pairs = 0
    cell_p = []
    for rep in range(8):
        res = scan_pairs_adaptive(pred, MOTIFS[:3], _background(16, 100 * seed + rep), distances=range(9, 40, 3),
                                  orientations=["++", "+-"], reference="none", seed=rep, progress=False)
        pr = res.pairs()
        pr = pr[pr.motif_a != pr.motif_b]  # homotypic pairs are not additive (a motif counts once)
        n_called += int((pr.q_value < 0.05).sum())
        n_pairs += len(pr)
        het = ~np.eye(3, dtype=bool)
        cell_p.append(res.p[het].ravel())
    p = np.concatenate(cell_p)
    p = p[np.isfinite(p)]
    assert (p <= 0.05).mean() <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / p.size)
    assert n_called / n_pairs <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / n_pairs)


# --------------------------------------------------------------------------- (b, c) same calls, fewer calls

@pytest.mark.parametrize("seed", [0, 1])
def test_same_calls_as_exhaustive_with_5x_fewer_model_calls(seed):
    pred = make_predict(v=1.5, seed=seed)
    bg = _background(32, seed)
    kw = dict(distances=range(0, 41, 2), orientations=["++", "+-"], seed=seed, progress=False)
    calls = {"n": 0}

    def counting(x):
        calls["n"] += len(x)
        return pred(x)

    ex = scan_pairs(pred, MOTIFS, bg, **kw)
    ad = scan_pairs_adaptive(counting, MOTIFS, bg, **kw)
    assert isinstance(ad, AdaptiveScan)
    assert ad.params["n_predicted"] == calls["n"]  # exact count: sequences passed to predict
    assert ad.params["n_predicted_exhaustive"] == ex.params["n_predicted"]
    assert ex.params["n_predicted"] >= 5 * calls["n"]
    # every contrast the adaptive scan measured is the exhaustive scan's
    m = np.isfinite(ad.contrasts)
    np.testing.assert_allclose(ad.contrasts[m], ex.contrasts[m], rtol=0, atol=1e-6)
    assert np.all(np.isnan(ad.contrasts[ad.n_used < 32][..., -1]))
    ce, ca = _called(ex.pairs()), _called(ad.pairs())
    assert frozenset("AB") in ce and ce == ca
    pr = ad.pairs()
    ab = pr[(pr.motif_a == "A") & (pr.motif_b == "B")].iloc[0]
    assert 10 <= ab.distance <= 14 and ab.effect == pytest.approx(1.5, abs=0.3)
    # cells stopped for futility carry their interim statistic but p = 1
    fut = ad.state == FUTILITY
    assert fut.any() and np.all(ad.p[fut] == 1.0) and np.all(np.isfinite(ad.p_interim[fut]))
    assert np.all((ad.state[ad.p < 0.05] == COMPLETED) | (ad.state[ad.p < 0.05] == EFFICACY))


def test_save_load_restat_and_pair_table(tmp_path):
    pred = make_predict(v=1.5, seed=0)
    ad = scan_pairs_adaptive(pred, MOTIFS[:3], _background(16, 3), distances=range(0, 31, 3),
                             orientations=["++"], progress=False)
    path = tmp_path / "ad.h5"
    ad.save(path)
    base, back = load(path), load_adaptive(path)
    np.testing.assert_array_equal(base.p, ad.p)
    np.testing.assert_array_equal(back.state, ad.state)
    assert back.pairs().equals(ad.pairs())
    same = ad.restat()
    np.testing.assert_allclose(same.p, ad.p)
    bigger = ad.restat(margin=0.5)
    assert _called(bigger.pairs()) <= _called(ad.pairs())
    assert np.all(bigger.p[ad.p == 1.0] == 1.0)


def test_partial_cell_statistics_against_scipy():
    rng = np.random.default_rng(0)
    c = rng.normal(0.3, 1.0, size=(5, 12))
    n = np.array([12, 4, 8, 2, 1])
    for i, k in enumerate(n):
        c[i, k:] = np.nan
    mean, se, lo, hi, t, p = cell_statistics(c, 0.0, 0.95)
    for i, k in enumerate(n[:4]):
        r = stats.ttest_1samp(c[i, :k], 0.0)
        assert p[i] == pytest.approx(r.pvalue) and t[i] == pytest.approx(r.statistic)
        ci = r.confidence_interval(0.95)
        assert lo[i] == pytest.approx(ci.low) and hi[i] == pytest.approx(ci.high)
    assert np.isnan(p[4]) and mean[4] == c[4, 0]


def test_bad_input():
    pred = make_predict()
    bg = _background(8, 0)
    for kw in ({"n_initial": 1}, {"n_initial": 16}, {"futility": 0.0}, {"coarse": 0},
               {"spending": "haybittle"}, {"alpha": 1.5}, {"futility_test": "z"}):
        with pytest.raises(InputError):
            scan_pairs_adaptive(pred, MOTIFS[:2], bg, distances=[12], progress=False, **kw)
    with pytest.raises(InputError, match="backgrounds"):
        scan_pairs_adaptive(pred, MOTIFS[:2], None)


# --------------------------------------------------------------------------- stop and resume

@pytest.mark.parametrize("seed", [0, 1])
def test_checkpoint_resume_is_bit_identical(tmp_path, monkeypatch, seed):
    """A scan killed mid-run (the model raises after some calls) and started again with the same
    arguments resumes from its checkpoint: the same result as an uninterrupted run, and the
    restored blocks are not predicted again."""
    import kgenint.interactions.adaptive_checkpoint as ac

    monkeypatch.setattr(ac, "CHUNK_CALLS", 500)  # many small blocks
    pred = make_predict(v=1.5, seed=seed)
    bg = _background(16, seed)
    kw = dict(distances=range(0, 31, 3), orientations=["++", "+-"], seed=seed, progress=False)
    ref = scan_pairs_adaptive(pred, MOTIFS[:3], bg, **kw)
    assert ref.params["n_restored_blocks"] == 0

    class Killed(Exception):
        pass

    seen = {"n": 0}
    stop_after = ref.params["n_predicted"] // 2

    def dying(x):
        seen["n"] += len(x)
        if seen["n"] > stop_after:
            raise Killed
        return pred(x)

    ck = tmp_path / "scan.partial"
    with pytest.raises(Killed):
        scan_pairs_adaptive(dying, MOTIFS[:3], bg, checkpoint=ck, **kw)
    assert ck.exists() and ac.AdaptiveCheckpoint(ck, _hash_of(ck)).n_blocks() > 0
    calls = {"n": 0}

    def counting(x):
        calls["n"] += len(x)
        return pred(x)

    res = scan_pairs_adaptive(counting, MOTIFS[:3], bg, checkpoint=ck, **kw)
    assert not ck.exists()  # removed on success
    assert res.params["n_restored_blocks"] > 0
    assert calls["n"] < ref.params["n_predicted"]  # the restored blocks were not predicted again
    assert res.params["n_predicted"] >= ref.params["n_predicted"]
    for name in ("p", "q", "effect", "se", "state", "n_used", "raw_effect"):
        np.testing.assert_array_equal(getattr(res, name), getattr(ref, name), err_msg=name)
    np.testing.assert_array_equal(res.contrasts, ref.contrasts)


def _hash_of(path):
    import h5py

    with h5py.File(path, "r") as h:
        return h.attrs["config_hash"]


def test_checkpoint_of_another_scan_is_refused(tmp_path):
    pred = make_predict(v=1.5, seed=0)
    bg = _background(8, 0)
    ck = tmp_path / "scan.partial"
    kw = dict(distances=[9, 12], orientations=["++"], progress=False, checkpoint=ck)

    def dying(x):
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        scan_pairs_adaptive(dying, MOTIFS[:2], bg, **kw)
    with pytest.raises(InputError, match="other arguments"):
        scan_pairs_adaptive(pred, MOTIFS[:2], bg, futility=0.3, **kw)


# --------------------------------------------------------------------------- moderated interim statistics

@pytest.mark.parametrize("seed", [0, 1])
def test_variance_prior_recovers_a_known_prior(seed):
    """Variances drawn from a scaled inverse-chi-square prior (d0 = 10, s0^2 = 2), observed with
    3 df each: the moment estimates recover d0 and s0^2 (Smyth 2004); equal true variances give
    d0 = inf (or very large)."""
    from kgenint.interactions.adaptive_design import variance_prior

    rng = np.random.default_rng(seed)
    G, d0, s02, d = 40000, 10.0, 2.0, 3
    sigma2 = d0 * s02 / rng.chisquare(d0, size=G)
    s2 = sigma2 * rng.chisquare(d, size=G) / d
    e_d0, e_s02 = variance_prior(s2, np.full(G, d))
    assert e_d0 == pytest.approx(d0, rel=0.3) and e_s02 == pytest.approx(s02, rel=0.1)
    same = 2.0 * rng.chisquare(d, size=G) / d
    f_d0, f_s02 = variance_prior(same, np.full(G, d))
    assert f_d0 > 200 and f_s02 == pytest.approx(2.0, rel=0.05)


@pytest.mark.parametrize("seed", [0, 1])
def test_moderated_pvalues_null_uniform_and_limits(seed):
    """Null cells sharing one variance: moderated p-values are uniform (the prior is then
    near-degenerate: a z-test with the pooled variance); a group of one cell keeps its own t-test."""
    from kgenint.interactions.adaptive_design import moderated_pvalues

    rng = np.random.default_rng(seed)
    c = rng.normal(0.0, 1.5, size=(4000, 4))
    p = moderated_pvalues(c, 0.0, np.zeros(4000, dtype=np.int64))
    assert stats.kstest(p, "uniform").pvalue > 1e-3
    assert abs((p <= 0.1).mean() - 0.1) < 3 * math.sqrt(0.09 / 4000)
    own = moderated_pvalues(c[:5], 0.0, np.array([-1, -1, -1, -1, -1]))
    np.testing.assert_allclose(own, stats.ttest_1samp(c[:5], 0.0, axis=1).pvalue, rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 1])
def test_moderated_variances_match_a_group_by_group_fit(seed):
    """The sorted one-slice-per-group fit equals fitting each group's cells on their own."""
    from kgenint.interactions.adaptive_design import moderated_variances, variance_prior

    rng = np.random.default_rng(seed)
    c = rng.normal(0.0, rng.uniform(0.5, 2.0, size=(6, 6, 5, 2, 1)), size=(6, 6, 5, 2, 8))
    c[rng.random(c.shape[:-1]) < 0.3, 4:] = np.nan  # cells at an earlier look
    c[rng.random(c.shape[:-1]) < 0.1] = np.nan      # cells not measured
    groups = rng.integers(-1, 7, size=c.shape[:-1])
    mean, s2, df, n = moderated_variances(c, groups)
    fin = np.isfinite(c)
    n_ref = fin.sum(-1)
    s2_own = np.nanvar(c, axis=-1, ddof=1)
    for g in range(7):
        sel = (groups == g) & (n_ref > 1)
        d0, s02 = variance_prior(s2_own[sel], n_ref[sel] - 1.0)
        want = (d0 * s02 + (n_ref[sel] - 1) * s2_own[sel]) / (d0 + n_ref[sel] - 1)
        np.testing.assert_allclose(s2[sel], want, rtol=1e-12)
        np.testing.assert_allclose(df[sel], n_ref[sel] - 1 + d0, rtol=1e-12)
    own = groups < 0
    np.testing.assert_allclose(s2[own & (n_ref > 1)], s2_own[own & (n_ref > 1)], rtol=1e-12)
    np.testing.assert_array_equal(n, n_ref)
