"""Hit co-occurrence scan: counts against brute force, Fisher against scipy, enrichment, bad input."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from kgenint.errors import InputError
from kgenint.interactions.cooccurrence import CooccurrenceScan, cooccurrence, fisher_pvalues


def random_hits(S=60, K=4, per_seq=8, L=300, w=6, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(S):
        for _ in range(rng.integers(0, per_seq)):
            st = int(rng.integers(0, L - w))
            rows.append((s, int(rng.integers(0, K)), st, st + w, "+-"[rng.integers(0, 2)]))
    return pd.DataFrame(rows, columns=["seq", "motif", "start", "end", "strand"])


def naive_counts(hits, groups, K, max_d, bin_size, window, allow_overlap):
    D = max_d // bin_size + 1
    pc = np.zeros((2, K, K, D, 4), np.int64)
    sc = np.zeros((2, K, K, D, 4), np.int64)
    for s, grp in hits.groupby("seq"):
        g = groups[s]
        if g < 0:
            continue
        gi = 0 if g == 1 else 1
        seen = set()
        recs = list(grp.itertuples())
        for i in recs:
            for j in recs:
                if i.Index == j.Index:
                    continue
                d = j.start - i.start
                if d < 0 or d > max_d:
                    continue
                if not allow_overlap and j.start < i.end and i.start < j.end:
                    continue
                o = 2 * (i.strand == "-") + (j.strand == "-")
                c = d // bin_size
                for cc in range(max(0, c - window), min(D - 1, c + window) + 1):
                    pc[gi, i.motif, j.motif, cc, o] += 1
                    seen.add((i.motif, j.motif, cc, o))
        for key in seen:
            sc[(gi,) + key] += 1
    return pc, sc


@pytest.mark.parametrize("bin_size,window,allow_overlap", [(1, 0, False), (5, 1, False), (3, 0, True)])
def test_counts_against_brute_force(bin_size, window, allow_overlap):
    hits = random_hits(seed=bin_size)
    groups = np.random.default_rng(1).choice([-1, 0, 1], size=60, p=[0.1, 0.45, 0.45])
    res = cooccurrence(hits, groups, motif_names=["a", "b", "c", "d"], max_distance=40, bin_size=bin_size,
                       window=window, allow_overlap=allow_overlap)
    pc, sc = naive_counts(hits, groups, 4, 40, bin_size, window, allow_overlap)
    assert np.array_equal(res.pair_counts, pc)
    assert np.array_equal(res.seq_counts, sc)


def test_thread_count_does_not_change_counts():
    hits = random_hits(S=200, seed=3)
    groups = np.tile([0, 1], 100)
    r1 = cooccurrence(hits, groups, max_distance=50, threads=1)
    r2 = cooccurrence(hits, groups, max_distance=50, threads=2)
    assert np.array_equal(r1.pair_counts, r2.pair_counts) and np.array_equal(r1.seq_counts, r2.seq_counts)


@pytest.mark.parametrize("alt", ["two-sided", "greater", "less"])
def test_fisher_against_scipy(alt):
    rng = np.random.default_rng(0)
    n1, n = 37, 90
    for _ in range(60):
        t = int(rng.integers(0, n + 1))
        x = int(rng.integers(max(0, t - (n - n1)), min(n1, t) + 1))
        ref = stats.fisher_exact([[x, n1 - x], [t - x, n - n1 - (t - x)]], alternative=alt).pvalue
        got = fisher_pvalues([x], n1, [t], n, alt)[0]
        assert got == pytest.approx(ref, rel=1e-9, abs=1e-300)


def test_planted_spacing_is_enriched():
    rng = np.random.default_rng(5)
    rows = []
    groups = np.r_[np.ones(150, int), np.zeros(150, int)]
    for s in range(300):
        for _ in range(3):  # noise hits of motifs 0..2 everywhere
            st = int(rng.integers(0, 190))
            rows.append((s, int(rng.integers(0, 3)), st, st + 8, "+-"[rng.integers(0, 2)]))
        if groups[s] == 1 and rng.random() < 0.6:  # positives: 0 then 1 at 17 bp, ++ orientation
            st = int(rng.integers(0, 150))
            rows += [(s, 0, st, st + 8, "+"), (s, 1, st + 17, st + 25, "+")]
    hits = pd.DataFrame(rows, columns=["seq", "motif", "start", "end", "strand"])
    res = cooccurrence(hits, groups, motif_names=["A", "B", "C"], max_distance=60, alternative="greater")
    top = res.to_frame().iloc[0]
    assert (top.motif_a, top.motif_b, top.distance, top.orientation) == ("A", "B", 17, "++")
    assert top.q < 1e-6
    pairs = res.pairs()
    assert {pairs.iloc[0].motif_a, pairs.iloc[0].motif_b} == {"A", "B"} and pairs.iloc[0].q < 1e-6
    assert (pairs.iloc[1:].q > 0.05).all()


def test_save_load(tmp_path):
    hits = random_hits(seed=9)
    res = cooccurrence(hits, np.tile([0, 1], 30), max_distance=30)
    res.save(tmp_path / "c.h5")
    back = CooccurrenceScan.load(tmp_path / "c.h5")
    assert back.motif_names == res.motif_names
    assert np.array_equal(back.seq_counts, res.seq_counts)
    assert np.array_equal(np.nan_to_num(back.p), np.nan_to_num(res.p))


def test_motif_names_from_motif_id_column():
    hits = pd.DataFrame({"seq": [0, 0, 1, 1], "motif_id": ["X", "Y", "X", "Y"], "start": [0, 10, 0, 10],
                         "end": [5, 15, 5, 15], "strand": ["+", "+", "+", "-"]})
    res = cooccurrence(hits, [1, 0], max_distance=20)
    assert res.motif_names == ["X", "Y"]
    assert res.seq_counts[0, 0, 1, 10, 0] == 1 and res.seq_counts[1, 0, 1, 10, 1] == 1


def test_bad_input():
    hits = random_hits(S=4)
    with pytest.raises(InputError, match="both groups"):
        cooccurrence(hits, np.ones(4, int))
    with pytest.raises(InputError, match="1 \\(group 1\\), 0"):
        cooccurrence(hits, np.full(4, 2))
    with pytest.raises(InputError, match="missing column"):
        cooccurrence(hits.drop(columns="strand"), [0, 1, 0, 1])
    with pytest.raises(InputError, match="covers only"):
        cooccurrence(hits.assign(seq=3), [0, 1])
    with pytest.raises(InputError, match="bin_size"):
        cooccurrence(hits, [0, 1, 0, 1], bin_size=0)
    bad = hits.copy()
    bad.loc[bad.index[0], "strand"] = "x"
    with pytest.raises(InputError, match="strand"):
        cooccurrence(bad, [0, 1, 0, 1])
    with pytest.raises(InputError, match="alternative"):
        fisher_pvalues([1], 2, [1], 4, "sideways")


def test_presence_counts_and_conditional_fisher_against_scipy():
    hits = random_hits(S=80, K=3, per_seq=5, L=120, seed=11)
    groups = np.tile([1, 0, -1, 1], 20)
    res = cooccurrence(hits, groups, max_distance=40, alternative="greater")
    assert res.null == "conditional"
    K = 3
    cnt = np.zeros((80, K), int)
    for s, m in zip(hits.seq, hits.motif):
        cnt[s, m] += 1
    for gi, gv in enumerate((1, 0)):
        c = cnt[groups == gv]
        for a in range(K):
            for b in range(K):
                if a == b:
                    ref = [(c[:, a] == 0).sum(), (c[:, a] == 1).sum(), 0, (c[:, a] >= 2).sum()]
                else:
                    pa, pb = c[:, a] > 0, c[:, b] > 0
                    ref = [(~pa & ~pb).sum(), (pa & ~pb).sum(), (~pa & pb).sum(), (pa & pb).sum()]
                assert list(res.presence[gi, a, b]) == ref
    # every observed cell: Fisher among the sequences with both motifs, against scipy
    obs = np.argwhere(np.isfinite(res.p))
    for a, b, d, o in obs[:: max(1, len(obs) // 25)]:
        x, y = res.seq_counts[0, a, b, d, o], res.seq_counts[1, a, b, d, o]
        m1, m2 = res.presence[0, a, b, 3], res.presence[1, a, b, 3]
        ref = stats.fisher_exact([[x, m1 - x], [y, m2 - y]], alternative="greater").pvalue
        assert res.p[a, b, d, o] == pytest.approx(ref, rel=1e-6, abs=1e-12)
    marg = cooccurrence(hits, groups, max_distance=40, alternative="greater", null="marginal")
    a, b, d, o = obs[0]
    x, y = marg.seq_counts[0, a, b, d, o], marg.seq_counts[1, a, b, d, o]
    ref = stats.fisher_exact([[x, 40 - x], [y, 20 - y]], alternative="greater").pvalue
    assert marg.p[a, b, d, o] == pytest.approx(ref, rel=1e-6)
    with pytest.raises(InputError, match="null"):
        cooccurrence(hits, groups, null="other")


def test_additive_pair_not_called_under_conditional_null():
    """A and B each raise the chance of group 1 (main effects, no interaction): the marginal
    test calls their co-occurrence, the conditional test and the presence contrast do not."""
    rng = np.random.default_rng(3)
    S = 4000
    pa, pb = rng.random(S) < 0.4, rng.random(S) < 0.4
    logit = -1.0 + 1.2 * pa + 1.2 * pb
    groups = (rng.random(S) < 1 / (1 + np.exp(-logit))).astype(int)
    rows = []
    for s in range(S):
        if pa[s] and pb[s] and rng.random() < 0.5:  # half of the pairs at 20 bp, ++ (design, not effect)
            st = int(rng.integers(0, 100))
            rows += [(s, 0, st, st + 8, "+"), (s, 1, st + 20, st + 28, "+")]
            continue
        for m, present in ((0, pa[s]), (1, pb[s])):
            if present:
                st = int(rng.integers(0, 190))
                rows.append((s, m, st, st + 8, "+-"[rng.integers(0, 2)]))
    hits = pd.DataFrame(rows, columns=["seq", "motif", "start", "end", "strand"])
    marg = cooccurrence(hits, groups, motif_names=["A", "B"], max_distance=60, null="marginal")
    cond = cooccurrence(hits, groups, motif_names=["A", "B"], max_distance=60)
    assert marg.q[0, 1, 20, 0] < 1e-6
    pr = cond.pairs(presence=True).set_index(["motif_a", "motif_b"])
    row = pr.loc[("A", "B")] if ("A", "B") in pr.index else pr.loc[("B", "A")]
    assert row.p_geometry > 0.05 and row.p_presence > 0.01 and row.q > 0.05
