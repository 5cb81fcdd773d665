"""Scoring against planted truth: AUROC/AUPRC by hand, attribution role tables, interaction scores."""
import numpy as np
import pandas as pd
import pytest

from kgenint.errors import InputError
from kgenint.evaluate import (
    attribution_role_table, attribution_scores, auprc, auroc, score_interactions, site_mask,
)
from kgenint.simulate import simulate


def test_auroc_auprc_hand_computed():
    s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    y = [1, 0, 1, 0, 0, 1]
    # pairs (pos > neg): 0.9 beats 3 negs, 0.7 beats 2, 0.4 beats 0 -> 5 of 9
    assert auroc(y, s) == pytest.approx(5 / 9)
    # precision at each positive: 1/1, 2/3, 3/6 -> AP = (1 + 2/3 + 1/2) / 3
    assert auprc(y, s) == pytest.approx((1 + 2 / 3 + 0.5) / 3)
    # ties count one half
    assert auroc([1, 0], [1, 1]) == 0.5
    assert np.isnan(auroc([1, 1], [1, 2]))
    with pytest.raises(InputError, match="differ in size"):
        auroc([1, 0], [0.5])


def test_auroc_against_brute_force():
    rng = np.random.default_rng(0)
    s = rng.integers(0, 5, 200).astype(float)
    y = rng.random(200) < 0.3
    pos, neg = s[y], s[~y]
    ref = ((pos[:, None] > neg[None]).sum() + 0.5 * (pos[:, None] == neg[None]).sum()) / (len(pos) * len(neg))
    assert auroc(y, s) == pytest.approx(ref)


@pytest.fixture(scope="module")
def data():
    return simulate("default", n=300, seed=1)


def test_oracle_and_random_attributions(data):
    truth = data.truth
    seqs = np.arange(200)
    L = data.x.shape[1]
    roles = truth.motif_roles()
    functional = sorted(set(roles.values()) - {"decoy"})
    oracle = site_mask(truth, seqs, L, functional)[..., None] * data.x[seqs]
    sc = attribution_scores(oracle, truth, seqs)
    assert sc["auroc"] == pytest.approx(1.0) and sc["auprc"] == pytest.approx(1.0)
    rnd = np.random.default_rng(2).normal(size=(200, L, 4)).astype("float32")
    assert abs(attribution_scores(rnd, truth, seqs)["auroc"] - 0.5) < 0.05
    tbl = attribution_role_table({"oracle": oracle, "random": rnd}, truth, seqs)
    assert list(tbl.index) == ["oracle", "random"]
    assert tbl.loc["oracle", "all"] == pytest.approx(1.0)
    if "decoy" in tbl.columns:  # the oracle ignores decoys: they look like background
        assert tbl.loc["oracle", "decoy"] < 0.6
    with pytest.raises(InputError, match=r"\(N, L, 4\)"):
        attribution_scores(rnd[..., :3], truth, seqs)
    with pytest.raises(InputError, match="seqs has"):
        attribution_scores(rnd, truth, seqs[:10])


def test_score_interactions_perfect_and_null(data):
    truth = data.truth
    names = truth.motif_names
    rows = []
    inter = truth.interacting_pairs()
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            r = truth.rule_of(a, b)
            planted = frozenset((a, b)) in inter
            if planted:
                d = int(round(0.5 * (r["dmin"] + r["dmax"])))
                o = r["orientations"].split(",")[0]
                rows.append((r["motif_a"], r["motif_b"], d, o, float(r["sign"]) * 2, 10.0, 1e-8))
            else:
                rows.append((a, b, 10, "++", 0.01, 0.1, 0.9))
    pairs = pd.DataFrame(rows, columns=["motif_a", "motif_b", "distance", "orientation", "effect", "score", "p"])
    pairs["q"] = pairs["p"]
    res = score_interactions(pairs, truth)
    assert res["pair_auroc"] == 1.0 and res["precision"] == 1.0 and res["recall"] == 1.0
    assert res["spacing_error_bp"] <= 0.5 and res["sign_accuracy"] == 1.0
    assert res["additive_called"] == 0
    if not np.isnan(res["orientation_accuracy"]):
        assert res["orientation_accuracy"] == 1.0
    # the same pair seen from B's side (flipped frame) scores the same
    flipped = pairs.copy()
    flipped[["motif_a", "motif_b"]] = pairs[["motif_b", "motif_a"]].to_numpy()
    flipped["distance"] = -pairs["distance"]
    flipped["orientation"] = [o[::-1] for o in pairs["orientation"]]
    res2 = score_interactions(flipped, truth)
    assert res2["spacing_error_bp"] == res["spacing_error_bp"] and res2["orientation_accuracy"] == res["orientation_accuracy"] or np.isnan(res["orientation_accuracy"])
    # calling everything: precision = fraction of interacting pairs, frac_called = 1
    allc = pairs.assign(q=0.0)
    r3 = score_interactions(allc, truth)
    assert r3["frac_called"] == 1.0 and r3["precision"] == pytest.approx(len(inter) / r3["n_pairs"])
    with pytest.raises(InputError, match="lacks column"):
        score_interactions(pairs.drop(columns="q"), truth)


def test_spacing_error_only_for_spacing_rules_and_order_accuracy(data):
    truth = data.truth
    rows = []
    for _, r in truth.rules.iterrows():
        if r["interaction"] == 0:
            continue
        # every rule called; AND/XOR/OR/orientation rules reported far from 0 bp, which is not a
        # spacing error; the spacing rule 1 bp off its window centre; the order rule with B first
        d = {"spacing": int(0.5 * (r["dmin"] + r["dmax"])) + 1, "order": -30}.get(r["kind"], 120)
        o = r["orientations"].split(",")[0]
        rows.append((r["motif_a"], r["motif_b"], d, o, float(r["sign"]) * 2, 10.0, 1e-8))
    pairs = pd.DataFrame(rows, columns=["motif_a", "motif_b", "distance", "orientation", "effect", "score", "p"])
    pairs["q"] = pairs["p"]
    res = score_interactions(pairs, truth)
    kinds = set(truth.rules["kind"])
    if "spacing" in kinds:
        assert res["spacing_error_bp"] == pytest.approx(1.0)
    if "order" in kinds:
        assert res["order_accuracy"] == 0.0


def test_learned_terms_recovers_the_planted_coefficients(data):
    from kgenint.evaluate import learned_terms

    truth = data.truth
    # the noise-free latent is exactly linear in the planted features: R^2 = 1, coefficients = the
    # configuration's main effects and interaction terms (hand-read from the default preset)
    t = learned_terms(truth.latent, truth).set_index("term")
    assert t.attrs["r2"] == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(t["model"], t["truth"], atol=1e-8)
    assert t.loc["main CEBPB", "truth"] == pytest.approx(1.5)
    assert t.loc["main ZBTB33", "truth"] == pytest.approx(-1.5)
    assert t.loc["main MEF2C", "truth"] == pytest.approx(0.0, abs=1e-9)
    assert t.loc["both and SPI1-RUNX1", "truth"] == pytest.approx(2.0)
    assert t.loc["both xor CREB1-HNF1A", "truth"] == pytest.approx(-3.0)
    assert t.loc["both or E2F1-TFAP2A", "truth"] == pytest.approx(-1.5)
    assert t.loc["both additive FOXA1-HNF4A", "truth"] == pytest.approx(0.0, abs=1e-9)
    assert t.loc["satisfied spacing SP1-NFYA", "truth"] == pytest.approx(2.0)
    assert t.loc["both spacing SP1-NFYA", "truth"] == pytest.approx(0.0, abs=1e-9)
    # a "model" that ignores the AND rule: that term drops to 0, the others are unchanged
    rule = int(np.flatnonzero(truth.rules["kind"].to_numpy() == "and")[0])
    pred = truth.latent - 2.0 * np.isin(truth.states[:, rule], (3, 4))
    m = learned_terms(pred[:, None], truth).set_index("term")
    assert m.loc["both and SPI1-RUNX1", "model"] == pytest.approx(0.0, abs=1e-8)
    assert m.loc["main CEBPB", "model"] == pytest.approx(1.5)
    # a subset of sequences by index
    idx = np.arange(0, truth.n_sequences, 2)
    s = learned_terms(truth.latent[idx], truth, idx)
    assert s.attrs["r2"] == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(InputError, match="indices"):
        learned_terms(truth.latent[:5], truth, np.arange(4))
    with pytest.raises(InputError, match="NaN"):
        learned_terms(np.full(truth.n_sequences, np.nan), truth)
    with pytest.raises(InputError, match="0.."):
        learned_terms(truth.latent[:2], truth, [0, 10**6])
