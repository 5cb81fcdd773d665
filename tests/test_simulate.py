"""Tests of kgenint.simulate: the ground truth against the sequences it wrote, rule semantics,
labels, determinism, splits, HDF5 round trips, the CLI and bad input."""
from __future__ import annotations

import pathlib
import sys
import time

import h5py
import numpy as np
import pandas as pd
import pytest

from kgenint.errors import FormatError, InputError
from kgenint.motifs import Motif
from kgenint.simulate import (
    GroundTruth,
    MotifSpec,
    PairRule,
    SimulationConfig,
    get_preset,
    latent_from_instances,
    load,
    load_truth,
    make_split,
    save,
    simulate,
    simulate_to_hdf5,
)
from kgenint.simulate.generate import _Plan

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import naive_simulate as naive  # noqa: E402

N = 1500


@pytest.fixture(scope="module")
def data():
    return simulate("default", n=N, seed=3)


@pytest.fixture(scope="module")
def seqs(data):
    return naive.decode(data.x)


def _logodds(m: Motif) -> np.ndarray:
    return m.copy(bg_freqs=np.full(4, 0.25)).log_odds(0.1)


def _toy_motifs() -> dict[str, Motif]:
    """Six distinct hand-made motifs (no database needed)."""
    cons = {"A1": "TTGACGTCAA", "B1": "GGGCCCGG", "C1": "CATATGCA", "D1": "ACCGGTAT",
            "E1": "TTAATTAAGC", "F1": "GCAGCTGC"}
    out = {}
    for name, c in cons.items():
        pwm = np.full((len(c), 4), 0.04)
        for j, ch in enumerate(c):
            pwm[j, "ACGT".index(ch)] = 0.88
        out[name] = Motif(name=name, pwm=pwm)
    return out


def _toy_config(**kw) -> SimulationConfig:
    base = dict(
        length=120,
        rules=[PairRule("spacing", "A1", "B1", distance=(12, 14)),
               PairRule("orientation", "C1", "D1", orientations="++")],
        motifs=[MotifSpec("E1", "main", 1.0, 0.3), MotifSpec("F1", "decoy", 0.0, 0.3)],
        group_probs=(0.3, 0.4, 0.3), trim_ic=None,
    )
    base.update(kw)
    return SimulationConfig(**base)


# ----------------------------------------------------------------------------- the ground truth
def test_sites_are_where_the_record_says(data, seqs):
    t = data.truth
    assert len(t.instances) > N  # a couple of sites per sequence
    lo = [_logodds(m) for m in t.motifs]
    for r in t.instances.itertuples():
        window = seqs[r.seq][r.start : r.end]
        assert window == r.site
        assert r.end - r.start == t.motifs[r.motif_index].width
        on_motif_strand = window if r.strand == "+" else naive.revcomp(window)
        assert naive.site_score(on_motif_strand, lo[r.motif_index]) == pytest.approx(r.score, abs=1e-9)
    # sampled from the PWM: strong sites, on the recorded strand
    assert np.median(t.instances["p_value"]) < 1e-4
    wrong = [naive.site_score(r.site if r.strand == "-" else naive.revcomp(r.site), lo[r.motif_index])
             for r in t.instances.itertuples()]
    assert np.mean(t.instances["score"]) > np.mean(wrong) + 5
    # x is exactly one-hot
    assert data.x.dtype == np.float32 and data.x.shape == (N, 200, 4) and data.onehot is data.x
    assert np.all(data.x.sum(-1) == 1)


def test_sites_are_sampled_not_consensus(data):
    t = data.truth
    n_variable = 0
    for k, m in enumerate(t.motifs):
        sites = t.instances.loc[t.instances["motif_index"] == k]
        on_motif = [s if st == "+" else naive.revcomp(s) for s, st in zip(sites["site"], sites["strand"])]
        n_variable += len(set(on_motif)) > 1
        assert {"+", "-"} <= set(sites["strand"]), m.name
        # every site passes the site_max_p filter
        assert sites["p_value"].max() <= t.config.site_max_p * 1.001, m.name
    assert n_variable >= len(t.motifs) - 2  # very short motifs may only allow the consensus


def test_no_overlaps_and_edges(data):
    cfg = data.truth.config
    for _, g in data.truth.instances.groupby("seq"):
        s = g.sort_values("start")
        assert np.all(s["start"].to_numpy()[1:] >= s["end"].to_numpy()[:-1] + cfg.min_gap)
        assert s["start"].min() >= cfg.edge and s["end"].max() <= cfg.length - cfg.edge
        assert not s["motif"].duplicated().any()


def test_latent_equals_reference(data):
    t = data.truth
    ref = naive.latent(t, N, t.config.bias)
    np.testing.assert_allclose(t.latent, ref, atol=1e-12)
    np.testing.assert_allclose(latent_from_instances(t.instances, t.rules, t.motif_table, N), ref)
    np.testing.assert_allclose(data.y_reg[:, 0], (t.latent + t.noise).astype(np.float32), rtol=1e-6)
    assert np.std(t.noise) == pytest.approx(t.config.noise_sd, rel=0.1)


def test_rule_states_match_instances(data):
    t = data.truth
    inst = t.instances
    for r in t.rules.itertuples():
        s = t.states[:, r.rule]
        a = inst[inst["motif_index"] == r.index_a].set_index("seq")
        b = inst[inst["motif_index"] == r.index_b].set_index("seq")
        for state, want_a, want_b in ((1, True, False), (2, False, True), (3, True, True), (4, True, True)):
            seqs_ = np.flatnonzero(s == state)
            assert np.all(np.isin(seqs_, a.index) == want_a)
            assert np.all(np.isin(seqs_, b.index) == want_b)
        assert not np.any(np.isin(np.flatnonzero(s == 0), a.index))
        both = np.flatnonzero(s >= 3)
        d = b.loc[both, "start"].to_numpy() - a.loc[both, "start"].to_numpy()
        ori = a.loc[both, "strand"].to_numpy().astype(object) + b.loc[both, "strand"].to_numpy().astype(object)
        ok = (d >= r.dmin) & (d <= r.dmax) & np.isin(ori, r.orientations.split(","))
        np.testing.assert_array_equal(ok, s[both] == 3)
        if r.kind in ("spacing", "orientation", "order"):
            assert (s == 4).sum() > 20 and (s == 3).sum() > 20
        else:
            assert (s == 4).sum() == 0
        if r.kind == "order":
            assert np.all(((d >= 1) & (d <= 60)) == (s[both] == 3))
            assert np.any(d[s[both] == 4] < 0)
        if r.kind == "orientation":
            assert set(ori[s[both] == 3]) == {"+-"} and np.all(np.abs(d[s[both] == 3]) <= 60)
            bad = s[both] == 4
            assert np.all((ori[bad] != "+-") | (np.abs(d[bad]) > 60))
            assert np.mean(ori[bad] != "+-") > 0.5
        if r.kind == "spacing":
            assert np.all((d[s[both] == 3] >= 18) & (d[s[both] == 3] <= 22))
            near = np.abs(d[s[both] == 4] - 20) <= 17
            assert 0.2 < near.mean() < 0.9  # near misses are planted on purpose


def test_rule_table_and_roles(data):
    t = data.truth
    assert isinstance(t, GroundTruth)
    kinds = list(t.rules["kind"])
    assert kinds == ["additive", "and", "spacing", "orientation", "order", "xor", "or"]
    inter = dict(zip(t.rules["kind"], t.rules["interaction"]))
    assert inter["additive"] == 0 and inter["and"] == 2 and inter["xor"] == -3 and inter["or"] == -1.5
    assert set(t.rules.loc[t.rules["kind"] == "xor", "sign"]) == {-1}
    pairs = t.interacting_pairs()
    assert len(pairs) == 6 and frozenset(("FOXA1", "HNF4A")) not in pairs
    assert t.additive_pairs() == {frozenset(("FOXA1", "HNF4A"))}
    roles = t.motif_roles()
    assert roles["CEBPB"] == "main" and roles["RFX1"] == "decoy" and roles["SP1"] == "spacing"
    assert len(t.motifs) == 18 == len(set(t.motif_names))
    assert t.instances_in(0).equals(t.instances[t.instances["seq"] == 0].sort_values("start").reset_index(drop=True))
    with pytest.raises(InputError, match="out of range"):
        t.instances_in(N)


def test_interaction_effect_hand_cases(data):
    t = data.truth
    assert t.interaction_effect("SP1", "NFYA", 20, "++") == 2.0
    assert t.interaction_effect("SP1", "NFYA", 22, "-+") == 2.0
    assert t.interaction_effect("SP1", "NFYA", 23, "++") == 0.0
    assert t.interaction_effect("NFYA", "SP1", -20, "--") == 2.0  # same placement seen from B
    assert t.interaction_effect("TEAD1", "TCF7L2", -40, "+-") == 2.0
    assert t.interaction_effect("TCF7L2", "TEAD1", 40, "-+") == 2.0
    assert t.interaction_effect("TEAD1", "TCF7L2", 40, "++") == 0.0
    assert t.interaction_effect("RELA", "GRHL2", 30, "--") == 2.0
    assert t.interaction_effect("RELA", "GRHL2", -30, "--") == 0.0
    assert t.interaction_effect("RELA", "GRHL2", 80, "++") == 0.0
    assert t.interaction_effect("TEAD1", "TCF7L2", 90, "+-") == 0.0
    assert t.interaction_effect("FOXA1", "HNF4A", 30, "++") == 0.0
    assert t.interaction_effect("CEBPB", "SP1", 30, "++") == 0.0
    eff = t.effect_tensor(["SP1", "NFYA", "CEBPB"], distances=range(-25, 26))
    assert eff.shape == (3, 3, 51, 4)
    assert eff[0, 1].sum() == 2.0 * 5 * 4 and eff[1, 0].sum() == 2.0 * 5 * 4
    assert eff[0, 1, 25 + 20, 0] == 2.0 and eff[1, 0, 25 - 20, 0] == 2.0
    assert eff[2].sum() == 0 and eff[:, 2].sum() == 0
    with pytest.raises(InputError, match="orientation"):
        t.interaction_effect("SP1", "NFYA", 20, "+")


def test_labels(data):
    t = data.truth
    tau = t.config.temperature
    np.testing.assert_allclose(t.probability, 1 / (1 + np.exp(-(t.latent - t.threshold) / tau)), rtol=1e-9)
    assert t.probability.mean() == pytest.approx(0.5, abs=1e-6)
    assert abs(data.y_class.mean() - 0.5) < 0.05
    assert data.y_class.shape == (N, 1) and data.y_reg.shape == (N, 1)
    # each rule moves the labels the planted way: AND only with both; XOR both ~ neither
    s = t.states
    y = t.latent
    assert y[s[:, 1] == 3].mean() - y[s[:, 1] == 1].mean() > 1.5
    # XOR: both together contribute nothing, one alone its main effect; OR: both = one
    for rule, both_val in ((5, 0.0), (6, 1.5)):
        r = t.rules.iloc[rule]
        keep = t.instances[~t.instances["motif_index"].isin([r["index_a"], r["index_b"]])]
        without = latent_from_instances(keep, t.rules, t.motif_table, N)
        np.testing.assert_allclose((y - without)[s[:, rule] == 3], both_val)
        np.testing.assert_allclose((y - without)[s[:, rule] == 1], 1.5)
        np.testing.assert_allclose((y - without)[s[:, rule] == 0], 0.0)
    d2 = simulate(_toy_config(label_mode="threshold", positive_fraction=0.3), n=400, seed=0,
                  motifs=_toy_motifs())
    t2 = d2.truth
    np.testing.assert_array_equal(d2.y_class[:, 0], (t2.latent + t2.noise > t2.threshold).astype(np.uint8))
    assert abs(d2.y_class.mean() - 0.3) < 0.02


def test_gc_within_range(data):
    t = data.truth
    lo, hi = t.config.gc_range
    assert np.all((t.gc >= lo) & (t.gc <= hi))
    bases = data.x.argmax(-1)
    mask = np.ones(bases.shape, dtype=bool)
    for r in t.instances.itertuples():
        mask[r.seq, r.start : r.end] = False
    gc = ((bases == 1) | (bases == 2))[mask].mean()
    assert lo - 0.01 < gc < hi + 0.01
    per_seq = np.array([((b == 1) | (b == 2))[m].mean() for b, m in zip(bases, mask)])
    assert abs(np.corrcoef(per_seq, t.gc)[0, 1]) > 0.1  # the per-sequence GC was used


def test_background_matches_against_naive_scan(data, seqs):
    t = data.truth
    plan = _Plan(t.config, None, None)
    lo = [_logodds(m) for m in t.motifs]
    planted = np.full((N, t.config.length), -1)
    for r in t.instances.itertuples():
        planted[r.seq, r.start : r.end] = r.motif_index
    sub = range(0, N, 5)
    want = naive.scan_matches([seqs[i] for i in sub], lo, plan.match_thr, planted[list(sub)])
    want = {(list(sub)[i], k, p, s) for i, k, p, s in want}
    got = {(r.seq, r.motif_index, r.start, r.strand) for r in t.background_matches.itertuples()
           if r.seq % 5 == 0}
    assert got == want
    # the clean-up removed many and few are left
    assert t.n_removed > 10 * len(t.background_matches)
    assert len(t.background_matches) < 0.05 * len(t.instances)  # match_p = 1e-3 now (was 1e-4): measured 0.04
    assert np.all(t.background_matches["p_value"] <= t.config.match_p * 1.05)


def test_background_matches_are_the_motif_scan_hits(data):
    """Thresholds come from the scanner's engine: a scan at match_p finds, besides the planted
    sites, exactly the recorded matches, with the same scores and (outside the few words the
    scanner enumerates around its threshold) the same p-values."""
    from kgenint.motifs.scan import scan

    t = data.truth
    x = data.x[:600]
    hits = scan(x, t.motifs, threshold=t.config.match_p, bg_freqs=np.full(4, 0.25), progress=False)
    inst = t.instances[t.instances["seq"] < 600]
    own = hits.merge(inst[["seq", "motif_index", "start", "end"]], left_on=["seq", "motif"],
                     right_on=["seq", "motif_index"], suffixes=("", "_pl"))
    own = own[(own["start"] < own["end_pl"]) & (own["end"] > own["start_pl"])]
    key = ["seq", "motif", "start", "strand"]
    extra = hits.merge(own[key], how="left", on=key, indicator=True)
    extra = extra[extra["_merge"] == "left_only"]
    rec = t.background_matches[t.background_matches["seq"] < 600].rename(columns={"motif_index": "mi"})
    assert len(rec) > 20
    both = extra.merge(rec, left_on=key, right_on=["seq", "mi", "start", "strand"], how="outer",
                       suffixes=("_scan", ""), indicator="_in")
    assert (both["_in"] == "both").all(), both[both["_in"] != "both"]
    np.testing.assert_allclose(both["score"], both["score_scan"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(both["p_value"], both["p_value_scan"], rtol=0.01)
    assert (np.isclose(both["p_value"], both["p_value_scan"], rtol=1e-12, atol=0)).mean() > 0.8


def test_thresholds_and_pvalues_against_enumeration(data):
    """Every word of the short motifs: a word reaches the match (site) threshold exactly when its
    real-valued p-value is <= match_p (site_max_p); a site's p-value is P(I' >= I) of its integer
    score."""
    t = data.truth
    plan = _Plan(t.config, None, None)
    done = 0
    for k, m in enumerate(t.motifs):
        if m.width > 8:
            continue
        lo = _logodds(m)
        words = np.array(np.meshgrid(*[np.arange(4)] * m.width, indexing="ij")).reshape(m.width, -1).T
        real = lo[np.arange(m.width), words].sum(axis=1)
        order = np.sort(real)
        p_real = 1.0 - np.searchsorted(order, real - 1e-9, side="left") / real.size
        for thr, p in ((plan.match_thr[k], t.config.match_p), (plan.site_thr[k], t.config.site_max_p)):
            np.testing.assert_array_equal(real >= thr, p_real <= p * (1 + 1e-12))
        a = plan.pvalues.int_matrices_[k]
        surv = naive.score_survival(a)
        sel = t.instances[t.instances["motif_index"] == k]
        for r in sel.itertuples():
            site = r.site if r.strand == "+" else naive.revcomp(r.site)
            i_score = int(sum(a[j, "ACGT".index(c)] for j, c in enumerate(site)))
            assert r.p_value == pytest.approx(surv[i_score], rel=1e-12)
        done += 1
    assert done >= 2


def test_generator_version_is_recorded(tmp_path):
    from kgenint.simulate import GENERATOR_VERSION

    p = tmp_path / "s.h5"
    simulate_to_hdf5(p, _toy_config(), n=50, seed=1, motifs=_toy_motifs())
    with h5py.File(p, "r") as f:
        assert f.attrs["generator_version"] == GENERATOR_VERSION == 2


# ----------------------------------------------------------------------------- determinism, split
def test_determinism_and_seeds():
    mot = _toy_motifs()
    a = simulate(_toy_config(), n=500, seed=11, motifs=mot)
    b = simulate(_toy_config(), n=500, seed=11, motifs=mot)
    c = simulate(_toy_config(), n=500, seed=12, motifs=mot)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y_class, b.y_class)
    pd.testing.assert_frame_equal(a.truth.instances, b.truth.instances)
    assert not np.array_equal(a.x, c.x)
    assert not a.truth.instances.equals(c.truth.instances)
    # sequence i does not depend on n
    d = simulate(_toy_config(), n=200, seed=11, motifs=mot)
    np.testing.assert_array_equal(d.x, a.x[:200])


def test_thread_count_does_not_change_result():
    import numba

    mot = _toy_motifs()
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = simulate(_toy_config(), n=300, seed=5, motifs=mot)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        b = simulate(_toy_config(), n=300, seed=5, motifs=mot)
    finally:
        numba.set_num_threads(old)
    np.testing.assert_array_equal(a.x, b.x)


def test_split(data):
    s = data.split
    allidx = np.concatenate([s["train"], s["valid"], s["test"]])
    assert len(allidx) == N and len(np.unique(allidx)) == N
    assert len(s["train"]) == int(0.8 * N) and len(s["valid"]) == int(0.1 * N)
    s2 = make_split(N, (0.8, 0.1, 0.1), seed=3)
    for k in s:
        np.testing.assert_array_equal(s[k], s2[k])
    assert not np.array_equal(make_split(N, seed=4)["test"], s["test"])
    x, y = data.subset("valid")
    assert x.shape[0] == y.shape[0] == len(s["valid"])
    with pytest.raises(InputError, match="fractions"):
        make_split(10, (0.5, 0.6, 0.1))
    with pytest.raises(InputError, match="n must be"):
        make_split(0)


def test_additive_preset_is_the_null(data):
    add = simulate("additive", n=N, seed=3)
    t = add.truth
    assert set(t.rules["kind"]) == {"additive"}
    assert np.all(t.rules["interaction"] == 0) and t.interacting_pairs() == set()
    np.testing.assert_array_equal(add.x, data.x)  # same sequences as default
    np.testing.assert_array_equal(t.states, data.truth.states)
    # latent = main effects only
    main = dict(zip(t.motif_table["motif_index"], t.motif_table["main_effect"]))
    per = t.instances.groupby("seq")["motif_index"].apply(lambda s: sum(main[m] for m in set(s)))
    lat = np.zeros(N)
    lat[per.index] = per.to_numpy()
    np.testing.assert_allclose(t.latent, lat)
    assert np.all(t.motif_table.loc[t.motif_table["role"] == "additive", "main_effect"] != 0)


def test_long_preset_config():
    cfg = get_preset("long")
    cfg.validate()
    assert cfg.length == 1000
    r = [r for r in cfg.rules if r.kind == "spacing"][0]
    assert r.distance == (300, 600)
    d = simulate(cfg, n=200, seed=0)
    t = d.truth
    both = np.flatnonzero(t.states[:, 2] == 3)
    inst = t.instances
    a = inst[inst["motif"] == r.motif_a].set_index("seq").loc[both, "start"].to_numpy()
    b = inst[inst["motif"] == r.motif_b].set_index("seq").loc[both, "start"].to_numpy()
    assert len(both) > 5 and np.all((b - a >= 300) & (b - a <= 600))


def test_shuffle_background_and_custom_motifs():
    rng = np.random.default_rng(0)
    ref = np.eye(4, dtype=np.float32)[rng.choice(4, size=(50, 150), p=[0.35, 0.15, 0.15, 0.35])]
    d = simulate(_toy_config(backgrounds="shuffle"), n=200, seed=0, motifs=_toy_motifs(), reference=ref)
    bases = d.x.argmax(-1)
    assert abs(((bases == 1) | (bases == 2)).mean() - 0.30) < 0.06  # follows the reference, not 0.43
    for r in d.truth.instances.itertuples():
        assert naive.decode(d.x[r.seq : r.seq + 1])[0][r.start : r.end] == r.site
    with pytest.raises(InputError, match="reference"):
        simulate(_toy_config(backgrounds="shuffle"), n=10, motifs=_toy_motifs())


# ----------------------------------------------------------------------------- HDF5
def test_hdf5_round_trip(data, tmp_path):
    p = tmp_path / "d.h5"
    save(data, p)
    with h5py.File(p, "r") as f:
        assert f.attrs["format_version"] == 1 and f.attrs["preset"] == "default"
        assert f["x"].dtype == np.uint8 and f["y/class"].shape == (N, 1)
        assert "instances" in f["truth"] and "meme" in f["truth/motifs"].attrs
        assert SimulationConfig.from_json(f.attrs["config"]).to_dict() == data.truth.config.to_dict()
    d2 = load(p)
    np.testing.assert_array_equal(d2.x, data.x)
    assert d2.x.dtype == np.float32
    np.testing.assert_array_equal(d2.y_class, data.y_class)
    np.testing.assert_array_equal(d2.y_reg, data.y_reg)
    for k in data.split:
        np.testing.assert_array_equal(d2.split[k], data.split[k])
    assert list(d2.sequence_ids[:2]) == ["sim_0000000", "sim_0000001"]
    t, t2 = data.truth, load_truth(p)
    pd.testing.assert_frame_equal(t2.instances, t.instances, check_dtype=False)
    pd.testing.assert_frame_equal(t2.rules, t.rules, check_dtype=False)
    pd.testing.assert_frame_equal(t2.motif_table, t.motif_table, check_dtype=False)
    pd.testing.assert_frame_equal(t2.background_matches.reset_index(drop=True),
                                  t.background_matches.reset_index(drop=True), check_dtype=False)
    for m1, m2 in zip(t.motifs, t2.motifs):
        assert m1.name == m2.name and m1.allclose(m2)
    np.testing.assert_array_equal(t2.states, t.states)
    np.testing.assert_array_equal(t2.latent, t.latent)
    assert t2.threshold == t.threshold and t2.interacting_pairs() == t.interacting_pairs()
    assert not list(tmp_path.glob(".*.tmp*"))  # atomic write left no temporary file


def test_streamed_file_equals_in_memory(tmp_path):
    mot = _toy_motifs()
    p = tmp_path / "s.h5"
    t = simulate_to_hdf5(p, _toy_config(), n=300, seed=2, motifs=mot, x_dtype="float32")
    a = simulate(_toy_config(), n=300, seed=2, motifs=mot)
    b = load(p)
    np.testing.assert_array_equal(b.x, a.x)
    np.testing.assert_array_equal(b.y_class, a.y_class)
    pd.testing.assert_frame_equal(t.instances, a.truth.instances)


def test_load_user_file(tmp_path):
    p = tmp_path / "user.h5"
    x = np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(0, 4, (20, 50))]
    with h5py.File(p, "w") as f:
        f["x"] = x
        f["y"] = np.arange(20) % 2
    d = load(p)
    assert d.truth is None and d.split is None and d.y_class.shape == (20, 1) and d.y_reg is None
    np.testing.assert_array_equal(d.x, x)
    with h5py.File(p, "a") as f:
        del f["y"]
        f["y"] = np.linspace(0, 1, 20).astype(np.float32)
    assert load(p).y_reg.shape == (20, 1)
    with pytest.raises(FormatError, match="no /truth"):
        load_truth(p)
    with h5py.File(p, "a") as f:
        del f["x"]
    with pytest.raises(FormatError, match="no /x"):
        load(p)
    bad = tmp_path / "bad.h5"
    bad.write_text("not hdf5")
    with pytest.raises(FormatError, match="HDF5"):
        load(bad)
    with pytest.raises(InputError, match="SimulatedData"):
        save(x, tmp_path / "o.h5")


# ----------------------------------------------------------------------------- CLI
def test_cli(tmp_path, capsys):
    from kgenint.cli import main

    out = tmp_path / "cli.h5"
    fa = tmp_path / "cli.fa"
    meme = tmp_path / "planted.meme"
    assert main(["simulate", "--n", "300", "--out", str(out), "--fasta", str(fa), "--seed", "4",
                 "--motifs", str(meme)]) == 0
    err = capsys.readouterr().err
    assert "spacing SP1-NFYA" in err and "class 1 fraction" in err
    d = load(out)
    assert d.x.shape == (300, 200, 4) and d.seed == 4
    from kgenint.motifs import read_meme

    planted = read_meme(meme)
    assert [m.name for m in planted] == d.truth.motif_names
    for got, ref in zip(planted, d.truth.motifs):
        np.testing.assert_allclose(got.pwm, ref.pwm, atol=1e-5)
    lines = fa.read_text().splitlines()
    assert lines[0].startswith(">sim_0000000 class=") and lines[1] == naive.decode(d.x[:1])[0]
    assert main(["simulate", "--n", "0", "--out", str(out)]) == 1
    assert "positive" in capsys.readouterr().err
    other = str(tmp_path / "other.h5")  # (an existing --out is refused before the work starts)
    assert main(["simulate", "--preset", "long", "--length", "200", "--n", "10", "--out", other]) == 1
    assert "does not fit" in capsys.readouterr().err
    assert main(["simulate", "--n", "10", "--out", str(out)]) == 1
    assert "--overwrite" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["simulate", "--preset", "nope", "--out", str(out)])
    assert e.value.code == 2


# ----------------------------------------------------------------------------- bad input
def test_bad_input():
    mot = _toy_motifs()
    with pytest.raises(InputError, match="Unknown simulation preset"):
        simulate("nope", n=10)
    for n in (0, -5, 2.5, True):
        with pytest.raises(InputError, match="positive integer"):
            simulate(_toy_config(), n=n, motifs=mot)
    with pytest.raises(InputError, match="seed"):
        simulate(_toy_config(), n=10, seed=-1, motifs=mot)
    with pytest.raises(InputError, match="wider than"):
        simulate(_toy_config(length=12, edge=2, rules=[], group_probs=(1.0,)), n=10, motifs=mot)
    with pytest.raises(InputError, match="does not fit"):
        simulate(get_preset("long").__class__.from_preset("long", length=200), n=10)
    with pytest.raises(InputError, match="no placement"):
        simulate(_toy_config(rules=[PairRule("spacing", "A1", "B1", distance=(2, 5))], group_probs=(0.5, 0.5)),
                 n=10, motifs=mot)
    with pytest.raises(InputError, match="too crowded"):
        simulate(_toy_config(length=40, edge=0, group_probs=(0, 0, 1),
                             motifs=[MotifSpec("E1", "main", 1.0, 1.0), MotifSpec("F1", "decoy", 0.0, 1.0)]),
                 n=50, motifs=mot)
    with pytest.raises(InputError, match="not in the motif source"):
        simulate(_toy_config(), n=10, motifs={k: v for k, v in mot.items() if k != "A1"})
    with pytest.raises(InputError, match="more than one role"):
        _toy_config(motifs=[MotifSpec("A1", "main")]).validate()
    with pytest.raises(InputError, match="Unknown rule kind"):
        PairRule("nand", "A1", "B1")
    with pytest.raises(InputError, match="distance"):
        PairRule("spacing", "A1", "B1")
    with pytest.raises(InputError, match="orientation"):
        PairRule("orientation", "A1", "B1", orientations="+x")
    with pytest.raises(InputError, match="Decoy motif"):
        MotifSpec("X", "decoy", 1.0)
    with pytest.raises(InputError, match="Unknown simulation config key"):
        SimulationConfig.from_preset("default", lenght=100)
    with pytest.raises(InputError, match="SimulationConfig"):
        simulate(42, n=10)


def test_speed_sanity(data):
    t0 = time.perf_counter()
    d = simulate("default", n=10000, seed=0)
    dt = time.perf_counter() - t0
    assert len(d) == 10000
    assert dt < 30, f"10,000 sequences took {dt:.1f} s"
