"""In-silico pairwise scan: effect arithmetic on hand-built models, statistics vs scipy, resume."""
import numpy as np
import pytest
from scipy import stats

from kgenint.errors import InputError
from kgenint.interactions.insilico import (
    ORIENTATIONS, bh_qvalues, cell_statistics, load, motif_instances, pair_effect, placements, scan_pairs,
)
from kgenint.motifs import Motif

A = Motif.from_consensus("GGATAAGG", name="A")
B = Motif.from_consensus("CGCCAATG", name="B")
C = Motif.from_consensus("TGGGCGGG", name="C")  # no effect at all


def _background(n, L, seed=0):
    """Random sequences over A, C, T only: no G, so no accidental copy of the motifs above."""
    rng = np.random.default_rng(seed)
    idx = rng.choice([0, 1, 3], size=(n, L))
    return np.eye(4, dtype=np.float32)[idx]


def _sites(x, word):
    """(start, strand) of every exact occurrence of ``word`` (either strand) in each sequence."""
    comp = {"A": "T", "C": "G", "G": "C", "T": "A"}
    rc = "".join(comp[c] for c in reversed(word))
    out = []
    for row in x.argmax(-1):
        s = "".join("ACGT"[i] for i in row)
        hits = [(i, "+") for i in range(len(s) - len(word) + 1) if s[i:i + len(word)] == word]
        hits += [(i, "-") for i in range(len(s) - len(word) + 1) if s[i:i + len(word)] == rc]
        out.append(hits)
    return out


def make_predict(w=1.0, v=3.0, d0=10, orient="++", noise_seed=None):
    """f = w[A] + w[B] + v[A and B with start_B - start_A == d0 in orientation orient]
    (+ a sequence-dependent offset so backgrounds differ)."""
    def predict(x):
        sa, sb = _sites(x, A.consensus), _sites(x, B.consensus)
        f = np.zeros((len(x), 2), np.float32)
        for n in range(len(x)):
            f[n, 0] = w * bool(sa[n]) + w * bool(sb[n])
            if any(b0 - a0 == d0 and (s1 + s2) == orient for a0, s1 in sa[n] for b0, s2 in sb[n]):
                f[n, 0] += v
            f[n, 1] = 0.1 * x[n, :, 0].sum()  # a second output, composition-dependent
        return f
    return predict


def test_effect_arithmetic_hand_built_model():
    bg = _background(6, 60, seed=1)
    res = scan_pairs(make_predict(), [A, B, C], bg, distances=[-12, 0, 10, 12, 20], margin=0.0,
                     progress=False, verify=5)
    di = list(res.distances).index(10)
    oi = ORIENTATIONS.index("++")
    assert res.effect[0, 1, di, oi] == pytest.approx(3.0)
    # expected: v at the rule's cell; -w for homotypic A-A and B-B (presence counts once); 0 else
    expected = np.zeros_like(res.effect)
    expected[0, 1, di, oi] = 3.0
    expected[0, 0] = expected[1, 1] = -1.0
    ok = np.isfinite(res.effect)
    het = ok.copy()
    het[0, 0] = het[1, 1] = False
    assert np.allclose(res.effect[het], expected[het])
    # homotypic cells: -1 per background, except where a control insert next to the background's own
    # bases happens to spell the motif (an exact-word model counts it): a junction effect of inserts
    homo = np.concatenate([res.contrasts[0, 0][np.isfinite(res.contrasts[0, 0])],
                           res.contrasts[1, 1][np.isfinite(res.contrasts[1, 1])]])
    assert np.median(homo) == -1.0 and np.all((homo == -1.0) | (homo == 0.0)) and (homo == -1.0).mean() > 0.8
    # the B->A view of the same geometry is (b, a, -10, "++")
    assert res.effect[1, 0, list(res.distances).index(-12), oi] == pytest.approx(0.0)
    # overlapping placements are skipped, distance 0 always overlaps
    assert np.isnan(res.effect[:, :, list(res.distances).index(0)]).all()
    assert res.skipped == 9 * 4
    # main effects: w for A and B, 0 for C, on both strands
    assert np.allclose(res.main_effects, [[1, 1], [1, 1], [0, 0]])
    pairs = res.pairs()
    top = pairs.iloc[0]
    assert {top.motif_a, top.motif_b} == {"A", "B"} and top.distance == 10 and top.orientation == "++"
    assert top.q_value < 0.05
    assert top.raw_effect == pytest.approx(3.0) and top.control_effect == pytest.approx(0.0)
    assert top.main_a == pytest.approx(1.0) and top.main_b == pytest.approx(1.0)
    assert top.rel_effect == pytest.approx(1.5)
    others = pairs.iloc[1:]
    assert (others[others.motif_a != others.motif_b]["q_value"] >= 0.05).all()  # C never interacts
    # the classical contrast gives the same numbers for this junction-free model
    classic = scan_pairs(make_predict(), [A, B, C], bg, distances=[-12, 0, 10, 12, 20], controls="none",
                         progress=False, verify=3)
    ok = np.isfinite(classic.effect)
    assert np.allclose(classic.effect[ok], expected[ok])
    assert classic.params["n_predicted"] * 2 < res.params["n_predicted"]


def test_orientation_and_negative_distance_rule():
    bg = _background(5, 60, seed=2)
    res = scan_pairs(make_predict(v=-2.0, d0=-15, orient="+-"), [A, B], bg, distances=range(-20, 21, 5),
                     margin=0.0, progress=False)
    f = res.to_frame()
    hit = f[(f.effect.abs() > 1e-6)]
    hit = hit[hit.motif_a != hit.motif_b]
    # with signed distances the same geometry appears from both motifs' side
    got = {(r.motif_a, r.motif_b, r.distance, r.orientation) for r in hit.itertuples()}
    assert got == {("A", "B", -15, "+-"), ("B", "A", 15, "-+")}
    assert np.allclose(hit.effect, -2.0)


def test_contrasts_match_naive_on_second_output_and_sampled_instances():
    # output 1 depends on composition only: all interactions must be exactly 0 (additive)
    bg = _background(4, 50, seed=3)
    res = scan_pairs(make_predict(), [A, B], bg, distances=[9, 15], task=1, instances="sample",
                     seed=7, margin=0.0, progress=False, verify=8)
    assert np.allclose(res.effect[np.isfinite(res.effect)], 0.0, atol=1e-5)


def test_cell_statistics_against_scipy():
    rng = np.random.default_rng(0)
    c = rng.normal(0.3, 1.0, size=(7, 12))
    mean, se, lo, hi, t, p = cell_statistics(c, margin=0.0)
    ref = stats.ttest_1samp(c, 0.0, axis=1)
    assert np.allclose(t, ref.statistic) and np.allclose(p, ref.pvalue)
    ci = stats.t.interval(0.95, 11, loc=c.mean(1), scale=stats.sem(c, axis=1))
    assert np.allclose(lo, ci[0]) and np.allclose(hi, ci[1])
    # equivalence margin: shifted t-test
    _, _, _, _, _, pm = cell_statistics(c, margin=0.2)
    ref2 = 2 * stats.t.sf((np.abs(c.mean(1)) - 0.2) / stats.sem(c, axis=1), 11)
    assert np.allclose(pm, np.minimum(1, ref2))


def test_bh_against_scipy():
    rng = np.random.default_rng(1)
    p = rng.random(200) ** 3
    assert np.allclose(bh_qvalues(p), stats.false_discovery_control(p))
    p2 = p.copy()
    p2[::7] = np.nan
    q2 = bh_qvalues(p2)
    ok = np.isfinite(p2)
    assert np.allclose(q2[ok], stats.false_discovery_control(p2[ok])) and np.isnan(q2[~ok]).all()


def test_placements():
    assert placements(5, 6, 3, 100) is None  # overlap
    assert placements(5, 6, -5, 100) is None
    sa, sb = placements(5, 6, 20, 100)
    assert sb - sa == 20 and sa == (100 - 26) // 2
    sa, sb = placements(5, 6, -30, 100, "a")
    assert sa == (100 - 5) // 2 and sb == sa - 30
    assert placements(5, 6, 95, 100) is None  # leaves the sequence
    assert placements(5, 6, 10, 100, 0) == (0, 10)


def test_sampled_instances_follow_pwm():
    m = Motif("m", np.array([[0.7, 0.1, 0.1, 0.1], [0.0, 0.5, 0.5, 0.0]]))
    inst, w = motif_instances([m], 20000, mode="sample", seed=3)
    freq = inst[0, :, :2].mean(0)
    assert np.allclose(freq, m.pwm, atol=0.015)
    inst2, _ = motif_instances([m], 20000, mode="sample", seed=3)
    assert np.array_equal(inst, inst2)


def test_save_load_and_frame(tmp_path):
    bg = _background(3, 40, seed=4)
    res = scan_pairs(make_predict(), [A, B], bg, distances=[10], orientations=["++", "--"], progress=False)
    res.save(tmp_path / "scan.h5")
    back = load(tmp_path / "scan.h5")
    assert back.motif_names == ["A", "B"] and back.orientations == ("++", "--")
    assert np.array_equal(np.nan_to_num(back.effect), np.nan_to_num(res.effect))
    assert np.array_equal(np.nan_to_num(back.contrasts), np.nan_to_num(res.contrasts))
    np.testing.assert_array_equal(back.raw_effect, res.raw_effect)
    np.testing.assert_array_equal(back.main_a, res.main_a)
    assert back.controls == "shuffle" and back.params["control_info"] == res.params["control_info"]
    f = res.to_frame()
    assert list(f.columns[:9]) == ["motif_a", "motif_b", "distance", "orientation", "effect", "ci_low", "ci_high",
                                   "p_value", "q_value"]
    assert len(f) == 2 * 2 * 1 * 2


def test_resume_after_interruption(tmp_path):
    bg = _background(3, 50, seed=5)
    base = make_predict()
    full = scan_pairs(base, [A, B, C], bg, distances=[10, 14], margin=0.0, progress=False)
    n_batches = -(-full.params["n_predicted"] // 24)  # upper bound on the batches of a full run
    calls = {"n": 0}

    def flaky(x):
        calls["n"] += 1
        if calls["n"] == n_batches - 4:  # late in the pair stage
            raise KeyboardInterrupt
        return base(x)

    ck = tmp_path / "scan.partial.h5"
    with pytest.raises(KeyboardInterrupt):
        scan_pairs(flaky, [A, B, C], bg, distances=[10, 14], margin=0.0, batch_size=24, checkpoint=ck,
                   progress=False)
    assert ck.exists()
    seen = []

    def counting(x):
        seen.append(len(x))
        return base(x)

    res = scan_pairs(counting, [A, B, C], bg, distances=[10, 14], margin=0.0, batch_size=24, checkpoint=ck,
                     progress=False)
    assert np.array_equal(np.nan_to_num(res.effect), np.nan_to_num(full.effect))
    assert sum(seen) < full.params["n_predicted"]  # finished pairs were not predicted again
    assert not ck.exists()
    # a checkpoint left by another scan is refused
    with pytest.raises(KeyboardInterrupt):
        calls["n"] = 0
        scan_pairs(flaky, [A, B, C], bg, distances=[10, 14], margin=0.0, batch_size=24, checkpoint=ck,
                   progress=False)
    with pytest.raises(InputError, match="other arguments"):
        scan_pairs(base, [A, B], bg, distances=[10], checkpoint=ck, progress=False)


def test_pair_effect():
    bg = _background(4, 60, seed=6)
    e, se = pair_effect(make_predict(), bg, A, B, 10, "++")
    assert e == pytest.approx(3.0) and se == pytest.approx(0.0)
    with pytest.raises(InputError, match="No motif pair fits"):
        pair_effect(make_predict(), bg, A, B, 3, "++")  # overlapping placement


def test_bad_input():
    bg = _background(2, 30)
    p = make_predict()
    with pytest.raises(InputError, match="empty"):
        scan_pairs(p, [], bg)
    with pytest.raises(InputError, match="longer than"):
        scan_pairs(p, [Motif.from_consensus("A" * 40, name="long")], bg)
    with pytest.raises(InputError, match="No motif pair fits"):
        scan_pairs(p, [A, B], bg, distances=[100, 200], progress=False)
    with pytest.raises(InputError, match=r"shape \(N, T\)"):
        scan_pairs(lambda x: np.zeros((len(x) + 1, 1)), [A, B], bg, distances=[10], progress=False)
    with pytest.raises(InputError, match="non-finite"):
        scan_pairs(lambda x: np.full((len(x), 1), np.nan), [A, B], bg, distances=[10], progress=False)
    with pytest.raises(InputError, match="out of range"):
        scan_pairs(p, [A, B], bg, distances=[10], task=5, progress=False)
    with pytest.raises(InputError, match="orientations"):
        scan_pairs(p, [A, B], bg, distances=[10], orientations=["+x"])
    with pytest.raises(InputError, match="unique"):
        scan_pairs(p, [A, A], bg, distances=[10])
    with pytest.raises(InputError, match="shape"):
        scan_pairs(p, [A, B], bg[0, :, :3], distances=[10])
    with pytest.raises(InputError, match="controls"):
        scan_pairs(p, [A, B], bg, distances=[10], controls="random")
    with pytest.raises(InputError, match="auto"):
        scan_pairs(p, [A, B], bg, distances=[10], margin="auto")
    with pytest.warns(UserWarning, match="single background"):
        scan_pairs(p, [A, B], bg[:1], distances=[10], progress=False)
    with pytest.warns(DeprecationWarning, match="task"):
        scan_pairs(p, [A, B], bg, distances=[10], output=0, progress=False)


def _scan_from_contrasts(contrasts, names, margin=0.0):
    from kgenint.interactions.insilico import InteractionScan

    mean, se, lo, hi, t, p = cell_statistics(contrasts, margin, 0.95)
    K, _, D, O, N = contrasts.shape
    return InteractionScan(
        motif_names=names, distances=np.arange(D) * 10, orientations=ORIENTATIONS[:O], effect=mean, se=se,
        ci_low=lo, ci_high=hi, t=t, p=p, q=bh_qvalues(p), n_backgrounds=N, contrasts=contrasts,
        margin=margin, params={"confidence": 0.95},
    )


def test_pairs_rank_by_lower_confidence_bound_and_restat():
    rng = np.random.default_rng(0)
    K, D, O, N = 4, 3, 2, 16
    c = (rng.normal(0, 1e-7, (K, K, D, O, N))).astype(np.float32)  # round-off noise only
    c[0, 1, 2, 1] += np.float32(2.0) + rng.normal(0, 0.5, N).astype(np.float32)  # large, variable
    c[2, 3, 0, 0] += np.float32(0.05) + rng.normal(0, 0.001, N).astype(np.float32)  # tiny, regular
    scan = _scan_from_contrasts(c, ["a", "b", "c", "d"])
    pr = scan.pairs()
    het = pr[pr.motif_a != pr.motif_b].reset_index(drop=True)
    # |t| would put (c, d) first (t ~ 200 vs ~16); the confidence bound puts the large effect first
    assert abs(scan.t[2, 3, 0, 0]) > abs(scan.t[0, 1, 2, 1])
    top = het.sort_values("score", ascending=False).iloc[0]
    assert (top.motif_a, top.motif_b, top.distance, top.orientation) == ("a", "b", 20, "+-")
    lcb = max(scan.ci_low[0, 1, 2, 1], -scan.ci_high[0, 1, 2, 1])
    assert top.score == pytest.approx(lcb)
    # a pair of ignored motifs (round-off only) scores below both
    assert het.set_index(["motif_a", "motif_b"]).loc[("a", "c"), "score"] < 0.01
    # the heatmap's strongest cell is the pair table's: the large effect, not the tiny regular one
    s = scan.strongest()
    assert s[0, 1] == pytest.approx(scan.effect[0, 1, 2, 1])
    assert s[2, 3] == pytest.approx(scan.effect[2, 3, 0, 0])
    assert s[0, 1] == pytest.approx(top.effect)
    assert np.all(np.isfinite(s))
    # restat: a margin of 0.1 keeps the large effect and drops the tiny one
    r2 = scan.restat(margin=0.1)
    assert r2.margin == 0.1 and scan.margin == 0.0
    m, se, lo, hi, t, p = cell_statistics(c, 0.1, 0.95)
    assert np.array_equal(np.nan_to_num(r2.p), np.nan_to_num(p))
    assert r2.p[2, 3, 0, 0] == pytest.approx(1.0) and r2.p[0, 1, 2, 1] < 1e-6
    with pytest.raises(InputError, match="margin"):
        scan.restat(margin=-1)
    import dataclasses
    with pytest.raises(InputError, match="keep_contrasts"):
        dataclasses.replace(scan, contrasts=None).restat(margin=0.1)


def test_pairs_report_the_centre_of_a_plateau():
    K, D, O, N = 2, 9, 4, 4
    c = np.zeros((K, K, D, O, N), np.float32)
    c[0, 1, 3:6, 1] = 2.0  # distances 30, 40, 50 in "+-": a window, equal effects
    c[0, 1, 3:5, 2] = 2.0  # and 30, 40 in "-+"
    scan = _scan_from_contrasts(c, ["a", "b"], margin=0.1)
    row = scan.pairs().query("motif_a != motif_b").iloc[0]
    assert (row.distance, row.orientation) == (40, "+-")


def test_pair_p_bonferroni_and_simes_hand_computed():
    rng = np.random.default_rng(1)
    K, D, O, N = 2, 5, 1, 8
    c = rng.normal(0, 1, (K, K, D, O, N)).astype(np.float32)
    c[0, 1, :, 0] += 1.5
    scan = _scan_from_contrasts(c, ["a", "b"])
    ps = np.sort(np.r_[scan.p[0, 1].ravel(), scan.p[1, 0].ravel()])
    row = lambda pr: pr[pr.motif_a != pr.motif_b].iloc[0]  # noqa: E731
    assert row(scan.pairs("bonferroni")).p_value == pytest.approx(min(1.0, ps[0] * ps.size))
    simes = min(1.0, float(np.min(ps * ps.size / np.arange(1, ps.size + 1))))
    assert row(scan.pairs()).p_value == pytest.approx(simes)  # Simes is the default
    assert row(scan.pairs("simes")).p_value <= row(scan.pairs("bonferroni")).p_value
    with pytest.raises(InputError, match="method"):
        scan.pairs("fisher")


def test_min_gap_skips_near_touching_placements():
    # widths 8 and 8: d = 8 is back-to-back (gap 0), d = 11 leaves 3 bases, d = -11 likewise
    assert placements(8, 8, 8, 60) is not None
    assert placements(8, 8, 8, 60, min_gap=3) is None
    assert placements(8, 8, 10, 60, min_gap=3) is None
    assert placements(8, 8, 11, 60, min_gap=3) is not None
    assert placements(8, 8, -10, 60, min_gap=3) is None
    assert placements(8, 8, -11, 60, min_gap=3) is not None
    bg = _background(4, 60, seed=2)
    full = scan_pairs(make_predict(d0=12), [A, B], bg, distances=[8, 10, 12], margin=0.0, progress=False)
    gap = scan_pairs(make_predict(d0=12), [A, B], bg, distances=[8, 10, 12], margin=0.0, min_gap=3,
                     progress=False)
    # distances 8 and 10 (gaps 0 and 2) are skipped for every pair and orientation, 12 (gap 4) kept
    assert np.isnan(gap.effect[:, :, :2]).all()
    np.testing.assert_array_equal(gap.effect[:, :, 2], full.effect[:, :, 2])
    assert gap.skipped == full.skipped + 2 * 2 * 2 * 4
    assert gap.params["min_gap"] == 3
    with pytest.raises(InputError, match="min_gap"):
        scan_pairs(make_predict(), [A, B], bg, distances=[12], min_gap=-1, progress=False)
    with pytest.raises(InputError, match="min_gap"):
        scan_pairs(make_predict(), [A, B], bg, distances=[8, 10], min_gap=5, progress=False)


# ----------------------------------------------------------------------------- leave-pair-out reference
def test_reference_bounds_leave_pair_out_hand_computed():
    from kgenint.interactions.scan_result import _robust_bound, reference_bounds

    rng = np.random.default_rng(0)
    K, D, O = 7, 3, 2
    m = rng.normal(-0.5, 0.1, (K, K, D, O))  # what the model does to any pair
    m[0, 1] += 3.0  # one real rule, at every distance
    for k in range(K):
        m[k, k] = 9.0  # homotypic cells never enter a reference
    got = reference_bounds(m, min_pairs=10, min_cells=1)
    # brute force for the pair {0, 1}: cells of the 10 pairs among motifs 2..6, both blocks, all orientations
    for d in range(D):
        v = [m[i, j, d, o] for i in range(2, K) for j in range(2, K) if i != j for o in range(O)]
        assert got[0, 1, d] == pytest.approx(_robust_bound(np.array(v)))
        assert got[1, 0, d] == got[0, 1, d]
    # the rule never inflates its own reference, but it does enter the reference of unrelated pairs
    assert got[0, 1].max() < 1.0 and got[2, 3].max() > got[0, 1].max() - 1e-12
    # six motifs: 4 left beside any pair = 6 unrelated pairs < 10: no reference, controls only
    six = reference_bounds(m[:6, :6], min_cells=1)
    assert np.all(six[~np.eye(6, dtype=bool)] == 0.0)
    assert np.all(six[np.eye(6, dtype=bool)] > 0.0)  # a homotypic pair leaves five motifs: 10 pairs
    assert np.all(reference_bounds(m[:3, :3]) == 0.0)


def test_generic_non_additivity_is_not_a_pair_rule():
    """Any two of seven motifs placed closer than 12 bp lose 0.5 (what a trained CNN does to the features
    it learned, which no control insert carries), and A-B also has a real interaction at 20 bp. With the
    leave-pair-out reference only A-B is called; against the controls alone every pair is."""
    words = ["GGATAAGG", "CGCCAATG", "TGGGCGGG", "GCAGCTGG", "GGTCACGG", "TGACGTGG", "GCATGCGG"]
    motifs = [Motif.from_consensus(w, name=f"M{i}") for i, w in enumerate(words)]

    def predict(x):
        hits = [_sites(x, w) for w in words]
        out = np.zeros((len(x), 1), dtype=np.float32)
        for n in range(len(x)):
            starts = [h[n][0][0] if h[n] else None for h in hits]
            present = [s0 for s0 in starts if s0 is not None]
            out[n, 0] = len(present)
            jitter = 1.0 + 0.2 * x[n, :, 1].mean()
            for j in range(len(present)):
                for k in range(j + 1, len(present)):
                    if abs(present[j] - present[k]) < 12:
                        out[n, 0] -= 0.5 * jitter
            if starts[0] is not None and starts[1] is not None and starts[1] - starts[0] == 20:
                out[n, 0] += 1.0
        return out

    bg = _background(6, 60, seed=3)
    res = scan_pairs(predict, motifs, bg, distances=[8, 10, 20, 30], orientations=["++"], progress=False)
    assert res.reference == "other_pairs" and res.reference_bound[2, 3, :2].min() > 0.4
    het = lambda pr: pr[pr.motif_a != pr.motif_b]  # noqa: E731
    pr = het(res.pairs())
    called = {frozenset((r.motif_a, r.motif_b)) for r in pr.itertuples() if r.q_value < 0.05}
    assert called == {frozenset(("M0", "M1"))}
    top = pr.iloc[0]
    assert {top.motif_a, top.motif_b} == {"M0", "M1"} and abs(top.distance) == 20 and top.effect == pytest.approx(1.0)
    bare = res.restat(reference="none")
    called_bare = {frozenset((r.motif_a, r.motif_b)) for r in het(bare.pairs()).itertuples() if r.q_value < 0.05}
    assert len(called_bare) == 21  # every heterotypic pair, through its close placements
    np.testing.assert_array_equal(res.restat(reference="other_pairs").q, res.q)
