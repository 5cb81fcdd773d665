"""Feature-space interaction detectors on heads whose interactions are known exactly.

* numpy heads: a planted product term between two units (``c z_a z_b``) on top of additive
  nonlinear terms, and a purely additive head (``sum_u g_u(z_u)``) where nothing may be called;
* a hand-wired Keras model (fixed first-layer filters = two planted motifs, a dense head with a
  product-like hidden unit) for NID, the Keras-side split and the motif-pair mapping.
"""
import numpy as np
import pytest

from kgenint.errors import InputError
from kgenint.interactions.features import (
    UnitInteractions,
    expected_hessians,
    mixed_differences,
    nid_strengths,
    unit_pairs_to_motif_pairs,
)
from kgenint.interactions.pair_table import check_pair_table

A, B, C = 1, 3, 0  # planted pair (A, B); C additive only


def _product_head(c=1.5):
    def head(z):
        z = np.asarray(z, dtype=np.float64)
        zz = z if z.ndim == 2 else z.sum(axis=1)  # (N, P, U): units summed over positions first
        y = c * zz[:, A] * zz[:, B] + np.tanh(zz[:, C]) + 0.5 * zz[:, 2] ** 2 - zz[:, 4]
        return np.stack([y, -y], axis=1).astype(np.float32)
    return head


def _additive_head(z):
    z = np.asarray(z, dtype=np.float64)
    zz = z if z.ndim == 2 else z.sum(axis=1)
    y = np.tanh(zz[:, 0]) + 0.3 * zz[:, 1] ** 3 + np.exp(0.2 * zz[:, 2]) - zz[:, 3] + np.sin(zz[:, 4])
    return y[:, None].astype(np.float32)


@pytest.mark.parametrize("seed", [0, 1])
def test_mdd_product_term_exact(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(300, 5)).astype(np.float32)
    res = mixed_differences(_product_head(1.5), z, baseline="mean", task=0)
    b = z.mean(axis=0).astype(np.float64)
    # hand-computed: Delta_AB = c (z_A - b_A)(z_B - b_B); every other pair is additive -> 0
    expect = 1.5 * (z[:, A] - b[A]) * (z[:, B] - b[B])
    np.testing.assert_allclose(res.per_sample[:, A, B], expect, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(res.effect[A, B], expect.mean(), rtol=1e-3, atol=1e-4)
    from scipy import stats

    assert res.p_value[A, B] == pytest.approx(stats.ttest_1samp(expect, 0).pvalue, rel=1e-2, abs=1e-12)
    others = [(i, j) for i in range(5) for j in range(i + 1, 5) if (i, j) != (A, B)]
    for i, j in others:
        assert res.p_value[i, j] == 1.0 and res.effect[i, j] == 0.0, (i, j)
    # task 1 is the negated output: negated contrasts
    res1 = mixed_differences(_product_head(1.5), z, baseline="mean", task=1)
    np.testing.assert_allclose(res1.effect[A, B], -res.effect[A, B], rtol=1e-4)


def test_mdd_positions_and_zero_baseline():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(120, 6, 5)).astype(np.float32)
    res = mixed_differences(_product_head(2.0), z, baseline="zero")
    za, zb = z[..., A].sum(axis=1), z[..., B].sum(axis=1)
    np.testing.assert_allclose(res.per_sample[:, A, B], 2.0 * za * zb, rtol=1e-3, atol=1e-3)
    assert np.nanmax(np.where(np.eye(5, dtype=bool), np.nan, res.p_value)[np.triu_indices(5, 1)][1:]) <= 1.0


@pytest.mark.parametrize("seed", [0, 1])
def test_additive_head_calls_nothing(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(200, 5)).astype(np.float32)
    for res in (mixed_differences(_additive_head, z),
                mixed_differences(_additive_head, rng.normal(size=(50, 4, 5)).astype(np.float32))):
        iu = np.triu_indices(5, 1)
        assert (res.p_value[iu] == 1.0).all()
        assert (res.effect[iu] == 0.0).all()


def _hvp_product(c=1.5, quad=None):
    """Exact Hessian-vector product of the product head (+ a quadratic main effect)."""
    def hvp(z, v):
        z = np.asarray(z, dtype=np.float64)
        v = np.asarray(v, dtype=np.float64)
        if z.ndim == 3:
            vs = v.sum(axis=1)
            h = np.zeros_like(vs)
            h[:, A] = c * vs[:, B]
            h[:, B] = c * vs[:, A]
            h[:, 2] = vs[:, 2]
            return np.repeat(h[:, None, :], z.shape[1], axis=1)
        h = np.zeros_like(v)
        h[:, A] = c * v[:, B]
        h[:, B] = c * v[:, A]
        h[:, 2] = v[:, 2]  # d^2/dz2^2 of 0.5 z2^2: a main effect only
        return h
    return hvp


@pytest.mark.parametrize("seed", [0, 1])
def test_expected_hessians_product_term(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(80, 5)).astype(np.float32)
    refs = rng.normal(size=(30, 5)).astype(np.float32)
    res = expected_hessians(_hvp_product(1.5), z, refs, n_references=3, seed=seed)
    # Gamma_AB + Gamma_BA = 2 * c * E[d_A d_B] * int int a b da db = c/2 * mean over refs of d_A d_B
    rng2 = np.random.default_rng(seed)
    pick = rng2.integers(0, 30, size=(80, 3))
    d = z[:, None, :] - refs[pick]
    expect = (0.5 * 1.5 * d[..., A] * d[..., B]).mean(axis=1)
    np.testing.assert_allclose(res.per_sample[:, A, B], expect, rtol=1e-4, atol=1e-5)
    iu = [(i, j) for i in range(5) for j in range(i + 1, 5) if (i, j) != (A, B)]
    assert all(res.effect[i, j] == 0 and res.p_value[i, j] == 1.0 for i, j in iu)


def test_expected_hessians_positions_sum_over_the_units_positions():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(40, 3, 5)).astype(np.float32)
    res = expected_hessians(_hvp_product(2.0), z, n_references=2, seed=0)
    assert np.isfinite(res.effect[A, B]) and res.p_value[A, B] < 1
    assert res.effect[0, 2] == 0 and res.effect[3, 4] == 0


def test_nid_hand_computed():
    # 3 units -> 2 hidden -> 1 output. hidden 0 reads units 0, 1; hidden 1 reads units 1, 2.
    w1 = np.array([[2.0, 0.0], [1.0, -3.0], [0.0, 0.5]])
    w2 = np.array([[1.0], [-2.0]])
    res = nid_strengths([w1, w2])
    # omega(0,1) = |w2_0| min(2, 1) = 1; omega(1,2) = |w2_1| min(3, 0.5) = 1; omega(0,2) = 0
    assert res.effect[0, 1] == pytest.approx(1.0)
    assert res.effect[1, 2] == pytest.approx(1.0)
    assert res.effect[0, 2] == pytest.approx(0.0)
    assert np.isnan(res.p_value).all()
    # deeper: z = |W2| |W3|
    w3 = np.array([[0.5], [4.0]])
    w2b = np.array([[1.0, 1.0], [0.0, 2.0]])
    res3 = nid_strengths([w1, w2b, w3])
    z = np.abs(w2b) @ np.abs(w3)[:, 0]
    assert res3.effect[0, 1] == pytest.approx(z[0] * 1.0)
    assert res3.effect[1, 2] == pytest.approx(z[1] * 0.5)
    # two features per unit (max- and average-pool concatenated) -> summed |weights|
    res2 = nid_strengths([np.vstack([w1, w1]), w2], unit_of_feature=[0, 1, 2, 0, 1, 2])
    assert res2.effect[0, 1] == pytest.approx(2.0)
    # a linear head (no hidden layer) is additive
    assert np.nansum(nid_strengths([w1[:, :1]]).effect) == 0


def test_min_baseline_is_the_default_and_makes_and_logic_positive():
    rng = np.random.default_rng(4)
    z = np.abs(rng.normal(size=(150, 5))).astype(np.float32)
    res = mixed_differences(_product_head(1.5), z)
    m = z.min(axis=0)
    expect = 1.5 * (z[:, A] - m[A]) * (z[:, B] - m[B])
    np.testing.assert_allclose(res.per_sample[:, A, B], expect, rtol=1e-3, atol=1e-4)
    assert res.effect[A, B] > 0 and res.p_value[A, B] < 1e-10
    eh = expected_hessians(_hvp_product(1.5), z, "min")
    np.testing.assert_allclose(eh.per_sample[:, A, B], 0.5 * expect, rtol=1e-4, atol=1e-5)


def test_motif_pairs_sum_and_max():
    rng = np.random.default_rng(0)
    z = np.abs(rng.normal(size=(200, 5))).astype(np.float32)
    res = mixed_differences(_product_head(1.5), z)
    ann = ["M1", "MA", "M2", "MB", "MA"]  # units 1 and 4 both stand for MA
    df = unit_pairs_to_motif_pairs(res, ann, aggregate="sum", layer="L")
    check_pair_table(df)
    top = df.iloc[0]
    assert {top.motif_a, top.motif_b} == {"MA", "MB"} and top.q_value < 1e-6
    b = z.min(axis=0)
    expect = (1.5 * (z[:, A] - b[A]) * (z[:, B] - b[B])).mean()  # unit 4 adds nothing
    assert top.effect == pytest.approx(expect, rel=1e-3)
    assert top.n_unit_pairs == 2 and top.best_units == "1,3" and top.layer == "L"
    assert (df.iloc[1:]["q_value"] == 1.0).all()
    assert set(map(frozenset, zip(df.motif_a, df.motif_b))) >= {frozenset({"MA"})}  # homotypic MA-MA (units 1, 4)
    dmax = unit_pairs_to_motif_pairs(res, ann, aggregate="max")
    t = dmax.iloc[0]
    assert t.effect == pytest.approx(res.effect[A, B]) and t.p_value == pytest.approx(min(1, 2 * res.p_value[A, B]))
    nid = nid_strengths([rng.normal(size=(5, 3)), rng.normal(size=(3, 1))])
    dn = unit_pairs_to_motif_pairs(nid, ann)
    check_pair_table(dn)
    assert dn["p_value"].isna().all() and (dn["effect"] >= 0).all()
    none = unit_pairs_to_motif_pairs(res, [None] * 5)
    assert len(none) == 0 and list(none.columns) == list(df.columns)


def test_bad_inputs():
    z = np.zeros((10, 4), np.float32)
    with pytest.raises(InputError, match="callable"):
        mixed_differences("head", z)
    with pytest.raises(InputError, match=r"\(N, U\)"):
        mixed_differences(_additive_head, np.zeros(5))
    bad = z.copy()
    bad[3, 1] = np.nan
    with pytest.raises(InputError, match="sequence 3"):
        mixed_differences(_additive_head, bad)
    with pytest.raises(InputError, match="task"):
        mixed_differences(_additive_head, np.ones((10, 5), np.float32), task=3)
    with pytest.raises(InputError, match="baseline"):
        mixed_differences(_additive_head, np.ones((10, 5), np.float32), baseline="median")
    with pytest.raises(InputError, match="do not chain"):
        nid_strengths([np.ones((3, 2)), np.ones((3, 1))])
    with pytest.raises(InputError, match="hvp"):
        expected_hessians(None, z)
    res = UnitInteractions(np.zeros((3, 3)), np.zeros((3, 3)), np.ones((3, 3)), None, "nid")
    with pytest.raises(InputError, match="2 entries"):
        unit_pairs_to_motif_pairs(res, ["a", "b"])
    with pytest.raises(InputError, match="aggregate"):
        unit_pairs_to_motif_pairs(res, ["a", "b", "c"], aggregate="mean")


def test_module_does_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys, kgenint.interactions.features as f; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TF imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------- hand-wired Keras model
def _np_head(z):
    """The hand-wired head in numpy (logits): 2 relu(z0 + z1 - 5) + relu(z2 + z3)."""
    z = np.asarray(z, np.float64)
    return 2 * np.maximum(z[:, 0] + z[:, 1] - 5, 0) + np.maximum(z[:, 2] + z[:, 3], 0)


@pytest.mark.parametrize("seed", [0, 1])
def test_keras_handwired_and_of_two_motifs(seed):
    pytest.importorskip("tensorflow")
    import handwired_models as hw

    from kgenint.interactions.features import feature_interactions
    from kgenint.keras.units import layer_features, split_at

    model = hw.build()
    x, has1, has2 = hw.data(300, seed=seed)
    m1, m2, decoys = hw.motifs()
    refs = [m1, m2, *decoys]
    z = layer_features(model, x, "gmp")
    split = split_at(model, "gmp")
    assert split.scale == "logits"
    np.testing.assert_allclose(split.head(z)[:, 0], _np_head(z), rtol=1e-5, atol=1e-5)
    ann = ["M1", "M2", "M1", None]
    mdd = feature_interactions(model, x, refs, layer="gmp", detector="mdd", seed=seed)
    check_pair_table(mdd)
    assert mdd.attrs["unit_motifs"] == ann  # the annotation step found the planted filters
    top = mdd.iloc[0]
    assert (top.motif_a, top.motif_b) == ("M1", "M2") and top.q_value < 1e-10
    m = z.min(axis=0)
    expect = _np_head(z) - _np_head(np.where(np.arange(4) == 0, m, z)) - _np_head(np.where(np.arange(4) == 1, m, z)) \
        + _np_head(np.where(np.isin(np.arange(4), [0, 1]), m, z))
    assert top.effect == pytest.approx(expect.mean(), rel=1e-4)
    assert top.best_units == "0,1"
    mm = mdd[(mdd.motif_a == "M1") & (mdd.motif_b == "M1")].iloc[0]  # units 0 and 2: additive
    assert mm.effect == 0 and mm.p_value == 1.0
    nid = feature_interactions(model, x, refs, layer="gmp", detector="nid", annotation=ann)
    assert nid.iloc[0].effect == pytest.approx(2.0)  # |w_out| * min(|1|, |1|), only via units 0, 1
    assert nid[(nid.motif_a == "M1") & (nid.motif_b == "M1")].effect.iloc[0] == 0
    eh = feature_interactions(model, x, refs, layer="gmp", detector="hessian", annotation=ann)
    assert (eh.iloc[0].motif_a, eh.iloc[0].motif_b) == ("M1", "M2") and eh.iloc[0].effect > 0
    assert eh.iloc[0].q_value < 1e-6 and eh.iloc[1].p_value == 1.0
    # the same rule read at a positional layer (units x positions): units pooled over positions
    pos = feature_interactions(model, x, refs, layer="conv2_act", detector="mdd", annotation=ann)
    assert (pos.iloc[0].motif_a, pos.iloc[0].motif_b) == ("M1", "M2") and pos.iloc[0].q_value < 1e-10


def test_keras_additive_head_calls_nothing():
    pytest.importorskip("tensorflow")
    import handwired_models as hw

    from kgenint.interactions.features import feature_interactions

    model = hw.build(additive=True)
    x, _, _ = hw.data(200, seed=3)
    m1, m2, decoys = hw.motifs()
    ann = ["M1", "M2", "M1", None]
    for det in ("mdd", "hessian", "nid"):
        df = feature_interactions(model, x, [m1, m2, *decoys], layer="gmp", detector=det, annotation=ann)
        check_pair_table(df)
        assert (df.effect == 0).all(), det
        if det != "nid":
            assert (df.p_value == 1.0).all(), det


def test_keras_bad_inputs():
    pytest.importorskip("tensorflow")
    import handwired_models as hw

    from kgenint.interactions.features import feature_interactions
    from kgenint.keras.models import interaction_cnn

    model = hw.build()
    x, _, _ = hw.data(50)
    m1, m2, _ = hw.motifs()
    with pytest.raises(InputError, match="detector"):
        feature_interactions(model, x, [m1, m2], layer="gmp", detector="archipelago")
    with pytest.raises(InputError, match="no layer named"):
        feature_interactions(model, x, [m1, m2], layer="conv9")
    with pytest.raises(InputError, match="n_contrast"):
        feature_interactions(model, x, [m1, m2], layer="gmp", annotation=["a"] * 4, n_contrast=1)
    with pytest.raises(InputError, match="per-unit"):
        feature_interactions(model, x, [m1, m2], layer="conv1_act", detector="nid", annotation=["a"] * 4)
    res = interaction_cnn(64, pool_size=2)
    xr = np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(0, 4, (20, 64))]
    with pytest.raises(InputError, match="bypasses"):
        feature_interactions(res, xr, [m1, m2], layer="conv3_act", annotation=["a"] * 32)


def test_feature_monitor_callback(tmp_path):
    pytest.importorskip("tensorflow")
    import h5py
    import keras
    import handwired_models as hw

    from kgenint.keras.callback_features import FeatureMonitor
    from kgenint.keras.units import representation

    model = hw.build()
    x, has1, has2 = hw.data(200, seed=5)
    y = (has1 & has2).astype("float32")[:, None]
    m1, m2, decoys = hw.motifs()
    refs = [m1, m2, *decoys]
    mon = FeatureMonitor(x[:150], refs, layer="gmp", every=2, history_path=tmp_path / "feat.h5", top_k=2)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="binary_crossentropy")
    hist = model.fit(x, y, epochs=3, batch_size=100, verbose=0, callbacks=[mon])
    h = hist.history
    assert len(h["features_matched_frac"]) == 3 and np.isnan(h["features_matched_frac"][1])
    assert h["features_matched_frac"][0] == h["features_matched_frac"][2] == 0.75  # weights frozen (lr 0)
    ref = representation(model, x[:150], refs, "gmp").summary
    assert h["features_refs_covered"][0] == ref["refs_covered"] == 2
    assert h["features_top_effect"][0] > 0 and h["features_top_q"][0] < 1e-6
    assert mon.records_[0]["top_pairs"][0] == ("M1", "M2")
    with h5py.File(tmp_path / "feat.h5") as f:
        assert f.attrs["kind"] == "kgenint.FeatureMonitor" and f.attrs["layer"] == "gmp"
        assert f["epoch"][:].tolist() == [0, 2]
        assert [s.decode() for s in f["unit_motif"][0]] == ["M1", "M2", "M1", ""]
        assert [s.decode() for s in f["top_pairs"][0, 0]] == ["M1", "M2"]
        np.testing.assert_allclose(f["features_top_effect"][:], [h["features_top_effect"][0]] * 2)
    with pytest.raises(InputError, match="detector"):
        FeatureMonitor(x, refs, layer="gmp", detector="x")
    with pytest.raises(InputError, match="every"):
        FeatureMonitor(x, refs, layer="gmp", every=0)
    with pytest.raises(InputError, match="top_k"):
        FeatureMonitor(x, refs, layer="gmp", top_k=0)


def test_cli_features(tmp_path, capsys):
    pytest.importorskip("tensorflow")
    import h5py
    import handwired_models as hw

    from kgenint.cli import _features_cli as fc
    from kgenint.motifs import write_meme

    model = hw.build()
    model.save(tmp_path / "m.keras")
    x, _, _ = hw.data(150, seed=7)
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f["x"] = x
    m1, m2, decoys = hw.motifs()
    write_meme([m1, m2, *decoys], tmp_path / "m.meme")
    base = ["--model", str(tmp_path / "m.keras"), "--motifs", str(tmp_path / "m.meme"), "--data", str(tmp_path / "d.h5"), "-q"]
    assert fc.main(base + ["--layer", "gmp"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split("\t")[:10] == ["motif_a", "motif_b", "distance", "orientation", "effect", "ci_low",
                                       "ci_high", "p_value", "q_value", "method"]
    assert out[1].split("\t")[:2] == ["M1", "M2"] and out[1].split("\t")[9] == "features"
    assert fc.main(base + ["--layer", "gmp", "--detector", "nid", "-o", str(tmp_path / "t.tsv")]) == 0
    assert (tmp_path / "t.tsv").read_text().splitlines()[1].split("\t")[4] == "2"
    assert fc.main(base + ["--layer", "gmp", "-o", str(tmp_path / "t.tsv")]) == 1  # exists
    assert "exists" in capsys.readouterr().err
    # an HDF5 --out is the pair table with what each unit stands for, as the report reads it
    from kgenint.interactions.pair_table import load

    assert fc.main(base + ["--layer", "gmp", "-o", str(tmp_path / "t.h5")]) == 0
    back = load(tmp_path / "t.h5")
    assert back.attrs["method"] == "features" and back.attrs["layer"] == "gmp"
    assert list(back["motif_a"][:1]) == ["M1"] and back["method"].eq("features").all()
    assert fc.main(base + ["--layer", "nope"]) == 1
    assert fc.main(base) == 1  # no --layer
    with pytest.raises(SystemExit) as e:
        fc.main(base + ["--layer", "gmp", "--detector", "x"])
    assert e.value.code == 2


@pytest.mark.parametrize("seed", [0, 1])
def test_margin_one_sided_test_against_scipy(seed):
    from scipy import stats

    rng = np.random.default_rng(seed)
    z = np.abs(rng.normal(size=(120, 5))).astype(np.float32)
    m = z.min(axis=0)
    expect = 1.5 * (z[:, A] - m[A]) * (z[:, B] - m[B])
    margin = 0.8 * float(expect.mean())
    res = mixed_differences(_product_head(1.5), z, margin=margin)
    t = (abs(expect.mean()) - margin) / (expect.std(ddof=1) / np.sqrt(len(expect)))
    assert res.p_value[A, B] == pytest.approx(stats.t.sf(t, len(expect) - 1), rel=2e-2)
    big = mixed_differences(_product_head(1.5), z, margin=10 * float(expect.mean()))
    assert big.p_value[A, B] > 0.99 and big.effect[A, B] == pytest.approx(res.effect[A, B])
    df = unit_pairs_to_motif_pairs(res, ["M1", "MA", "M2", "MB", "M3"], margin=margin)
    assert df.iloc[0].p_value == pytest.approx(res.p_value[A, B], rel=1e-3)
    with pytest.raises(InputError, match="margin"):
        mixed_differences(_product_head(1.5), z, margin=-1)
