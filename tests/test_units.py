"""Units to motifs at any layer, on a hand-wired model whose first-layer filters are set to known
PWMs (tests/handwired_models.py); sites checked against a brute-force count, output shares
against a numpy head."""
import numpy as np
import pytest

pytest.importorskip("tensorflow")

import handwired_models as hw  # noqa: E402

from kgenint.errors import InputError  # noqa: E402
from kgenint.keras import units as ku  # noqa: E402


@pytest.fixture(scope="module")
def setup():
    model = hw.build()
    x, has1, has2 = hw.data(300, seed=0)
    m1, m2, decoys = hw.motifs()
    return model, x, [m1, m2, *decoys]


def _naive_counts(x, acts, threshold, offset, stride, size):
    """Brute force: loop over every (sequence, position) at or above threshold * max."""
    m = acts.max()
    counts = np.zeros((size, 4))
    for n in range(acts.shape[0]):
        for p in range(acts.shape[1]):
            if m > 0 and acts[n, p] >= threshold * m:
                for k in range(size):
                    i = offset + p * stride + k
                    if 0 <= i < x.shape[1]:
                        counts[k] += x[n, i]
    return counts


@pytest.mark.parametrize("layer, size", [("conv1_act", 8), ("conv2_act", 8 + 1 + 2 * 4)])
def test_window_motifs_match_the_planted_filters(setup, layer, size):
    model, x, refs = setup
    mot = ku.unit_motifs(model, x, layer, method="windows", max_width=size, trim_bits=0.0)
    assert [m.metadata["field_size"] for m in mot] == [size] * 4
    ann = ku.annotate_units(mot, refs)
    assert ann["motif"].tolist() == ["M1", "M2", "M1", ""]
    assert (ann["q_value"][:3] < 0.05).all() and np.isnan(ann["q_value"][3])
    assert mot[3].metadata["n_sites"] == 0 and mot[3].metadata["few_sites"]
    assert hw.M1_CONS in mot[0].consensus and hw.M2_CONS in mot[1].consensus
    # counts equal the brute-force window count (no trimming at max_width = field size)
    from kgenint.keras.receptive import receptive_field

    rf = receptive_field(model, layer)
    acts = ku.layer_features(model, x, layer)
    for u in (0, 1):
        naive = _naive_counts(x, acts[..., u], 0.5, rf.offset, rf.stride, rf.size)
        got = mot[u].counts
        assert mot[u].metadata["trim_start"] == 0 and mot[u].metadata["trim_end"] == size
        np.testing.assert_allclose(got, naive)


def test_trimming_keeps_the_motif_core(setup):
    model, x, refs = setup
    mot = ku.unit_motifs(model, x, "conv2_act", method="windows")  # field 17 bp, trimmed
    assert mot[0].width <= 12 and hw.M1_CONS[1:-1] in mot[0].consensus


@pytest.mark.parametrize("seed", [0, 1])
def test_attribution_motifs_of_a_pooled_layer(seed):
    model = hw.build()
    x, _, _ = hw.data(200, seed=seed)
    m1, m2, decoys = hw.motifs()
    mot = ku.unit_motifs(model, x, "gmp")
    assert mot[0].metadata["method"] == "attribution"
    ann = ku.annotate_units(mot, [m1, m2, *decoys], null_database="default")
    assert ann["motif"].tolist() == ["M1", "M2", "M1", ""]
    # sites = sequences whose unit maximum reaches half the largest: those carrying the motif
    z = ku.layer_features(model, x, "gmp")
    assert mot[1].metadata["n_sites"] == int((z[:, 1] >= 0.5 * z[:, 1].max()).sum())


def test_attribution_inside_the_field_of_a_positional_layer(setup):
    model, x, refs = setup
    mot = ku.unit_motifs(model, x, "conv2_act", method="attribution", width=8)
    assert [m.consensus for m in mot[:3]] == [hw.M1_CONS, hw.M2_CONS, hw.M1_CONS]
    assert ku.annotate_units(mot, refs)["motif"].tolist() == ["M1", "M2", "M1", ""]
    # auto: a pooled field (stride 2 here) or one wider than max_width is localised by attribution
    assert ku.unit_motifs(model, x[:50], "conv2_act")[0].metadata["method"] == "attribution"
    assert ku.unit_motifs(model, x[:50], "conv1_act")[0].metadata["method"] == "windows"
    # the pooled layer's window is the field without the pooling offsets: 8 + 1 + 2 * 4 - 2 + 1 = 16
    assert ku.unit_motifs(model, x, "conv2_act", width=30)[0].width <= 16


def test_output_shares_against_numpy(setup):
    model, x, refs = setup
    z = ku.layer_features(model, x, "gmp")
    split = ku.split_at(model, "gmp")
    shares = ku.output_shares(split, z)

    def head(zz):
        return 2 * np.maximum(zz[:, 0] + zz[:, 1] - 5, 0) + np.maximum(zz[:, 2] + zz[:, 3], 0)

    v0 = head(z).var()
    for u in range(4):
        zu = z.astype(np.float64).copy()
        zu[:, u] = z[:, u].mean()
        assert shares[u] == pytest.approx(1 - head(zu).var() / v0, abs=1e-5)
    assert shares[3] == pytest.approx(0.0, abs=1e-9)


def test_representation_summary(setup):
    model, x, refs = setup
    rep = ku.representation(model, x, refs, "gmp")
    s = rep.summary
    assert s["n_units"] == 4 and s["matched_frac"] == 0.75 and s["refs_covered"] == 2
    assert s["refs_covered_frac"] == pytest.approx(2 / 8)
    assert s["units_per_motif"] == 1.5 and s["max_units_per_motif"] == 2
    assert s["share_matched"] == pytest.approx(1.0)
    tab = ku.representation_table(model, x, refs, ["conv1_act", "gmp"])
    assert tab["layer"].tolist() == ["conv1_act", "gmp"] and (tab["matched_frac"] == 0.75).all()
    assert tab["field_size"].tolist() == [8, 100]


def test_split_logits_and_linear_scale():
    from kgenint.keras.models import interaction_cnn

    m = interaction_cnn(64, pool_size=2, output_activation="linear")
    assert ku.split_at(m, "global_pools").scale == "output"
    with pytest.raises(InputError, match="bypasses"):
        ku.split_at(m, "conv3_act")
    sp = ku.split_at(m, "residual3")
    x = np.eye(4, dtype=np.float32)[np.random.default_rng(1).integers(0, 4, (7, 64))]
    np.testing.assert_allclose(sp.head(sp.features(x)), m.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def test_bad_inputs(setup):
    model, x, refs = setup
    with pytest.raises(InputError, match="attribution"):
        ku.unit_motifs(model, x, "gmp", method="windows")
    with pytest.raises(InputError, match="threshold"):
        ku.unit_motifs(model, x, "conv1_act", threshold=0)
    with pytest.raises(InputError, match="method"):
        ku.unit_motifs(model, x, "conv1_act", method="deeplift")
    with pytest.raises(InputError, match="one-hot|shape"):
        ku.unit_motifs(model, x[..., :3], "conv1_act")
    with pytest.raises(InputError, match="Motif"):
        ku.annotate_units([], refs)
    with pytest.raises(InputError, match="alpha"):
        ku.annotate_units(ku.unit_motifs(model, x[:20], "conv1_act"), refs, alpha=2)
    with pytest.raises(InputError, match="keras.Model"):
        ku.split_at("model", "gmp")
    with pytest.raises(InputError, match="no layer named"):
        ku.layer_features(model, x, "conv7")
