"""Calibration of the in-silico scan's control-insert null on models built or trained in the test.

Each case is one the scan-wide "bulk" null of earlier versions got wrong: a scan of two or three
motifs where one rule is the bulk of the cells, a model that is additive by construction but has
junction effects, a random-weight network. Every check runs on two seeds.
"""
import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kgenint.interactions import scan_pairs  # noqa: E402
from kgenint.interactions.controls import control_instances, match_pvalues  # noqa: E402
from kgenint.interactions.placement import motif_instances  # noqa: E402
from kgenint.motifs import load_default  # noqa: E402
from kgenint.motifs.scan import MotifScanner  # noqa: E402

ALPHA = 0.05


def _motifs():
    by_alt = {m.alt_name: m for m in load_default()}
    pick = [by_alt["GATA1"], by_alt["TAL1::TCF3"], by_alt["CEBPB"]]
    return [m.copy(name=n) for m, n in zip(pick, ("GATA1", "TAL1", "CEBPB"))]


MOTIFS = _motifs()
W = 10  # filter width (motifs of width 7 are zero-padded on the right)


def _log_odds_kernel(motifs):
    k = np.zeros((W, 4, len(motifs)), np.float32)
    best = []
    for j, m in enumerate(motifs):
        lo = np.log2(np.clip(m.pwm, 1e-3, None) / 0.25)
        k[: m.width, :, j] = lo
        best.append(lo.max(axis=1).sum())
    return k, np.array(best, np.float32)


def _backgrounds(n, L, seed):
    rng = np.random.default_rng(seed)
    p = np.array([0.3, 0.2, 0.2, 0.3])
    return np.eye(4, dtype=np.float32)[rng.choice(4, size=(n, L), p=p)]


def _predict(model):
    return lambda x: np.asarray(model(x, training=False), dtype=np.float64)


def _called(scan):
    pr = scan.pairs()
    pr = pr[pr.motif_a != pr.motif_b]
    return pr, {frozenset((r.motif_a, r.motif_b)) for r in pr.itertuples() if r.q_value < ALPHA}


# ----------------------------------------------------------------------------- controls
@pytest.mark.parametrize("seed", [0, 1])
def test_controls_match_no_motif_and_keep_composition(seed):
    inst, widths = motif_instances(MOTIFS, 24, mode="sample", seed=seed)
    ctrl, info = control_instances(MOTIFS, inst, widths, seed=seed)
    sc = MotifScanner(MOTIFS, threshold=1e-3)
    for k, m in enumerate(MOTIFS):
        w = m.width
        codes = ctrl[k, :, :w].argmax(-1)
        assert np.all(ctrl[k, :, :w].sum(-1) == 1) and np.all(ctrl[k, :, w:] == 0)
        # own motif, full width, both strands, by hand from the integer matrices
        for s, strand in enumerate(("+", "-")):
            mat = sc.int_matrices_[2 * k + s]
            score = mat[np.arange(w), codes].sum(axis=1)
            if info.n_weak[k] == 0:
                assert np.all(sc.pvalue_int(k, score, strand) >= info.own_p)
        # no window matches any motif at p < other_p: an independent FIMO-like scan finds no hit
        hits = sc.scan(ctrl[k, :, :w], progress=False)
        assert len(hits) == 0 or (hits["p_value"] >= info.other_p).all()
        if info.kind[k] == "dinucleotide":  # composition kept exactly
            src = inst[k, :, :w].argmax(-1)
            for n in range(24):
                dn = lambda c: sorted(zip(c[:-1], c[1:]))  # noqa: E731
                assert dn(codes[n]) == dn(src[n])
    again, _ = control_instances(MOTIFS, inst, widths, seed=seed)
    np.testing.assert_array_equal(again, ctrl)
    assert match_pvalues(codes[:, :3], sc, 1).min() == 1.0  # a motif wider than the word cannot match


# ----------------------------------------------------------------------------- additive model
def _gc_motifs():
    by_alt = {m.alt_name: m for m in load_default()}
    return [by_alt["SP1"].copy(name="SP1"), by_alt["EGR1"].copy(name="EGR1")]


def _additive_model(motifs):
    """Per-position ReLU units, global *sum* pooling, a linear readout: additive across motif sites by
    construction. Two units detect the motifs (full matches only: 2 bits below the best score); a
    third responds to GC-rich windows (relu(#GC in 10 bp - 7)), as trained CNNs often do. Two GC-rich
    motifs close together make GC-rich windows that neither makes alone: a junction effect that any
    two GC-rich inserts at those places share."""
    kern, best = _log_odds_kernel(motifs)
    gc = np.zeros((W, 4, 1), np.float32)
    gc[:, 1:3, 0] = 1.0
    inp = keras.Input((None, 4))
    h = keras.layers.Conv1D(3, W, activation="relu", name="units")(inp)
    s = keras.layers.Lambda(lambda t: keras.ops.sum(t, axis=1))(h)
    out = keras.layers.Dense(1, name="readout")(s)
    model = keras.Model(inp, out)
    model.get_layer("units").set_weights([np.concatenate([kern, gc], axis=2),
                                          np.r_[-(best - 2.0), -7.0].astype(np.float32)])
    model.get_layer("readout").set_weights([np.array([[1.0], [1.0], [0.5]], np.float32), np.zeros(1, np.float32)])
    return model


def _motif_unit_model(motifs, threshold_bits):
    """Only the motif units of :func:`_additive_model` (per-position ReLU, sum pooling, linear)."""
    kern, best = _log_odds_kernel(motifs)
    inp = keras.Input((None, 4))
    h = keras.layers.Conv1D(len(motifs), W, activation="relu", name="units")(inp)
    out = keras.layers.Dense(1, name="readout")(keras.layers.Lambda(lambda t: keras.ops.sum(t, axis=1))(h))
    model = keras.Model(inp, out)
    model.get_layer("units").set_weights([kern, -(best - threshold_bits)])
    model.get_layer("readout").set_weights([np.ones((len(motifs), 1), np.float32), np.zeros(1, np.float32)])
    return model


@pytest.mark.parametrize("seed", [0, 1])
def test_additive_motif_units_nothing_called_even_back_to_back(seed):
    """Motif units only: windows that straddle the two sites see both, but no straddling window of
    GATA1 and TAL1 matches either filter, so the model adds them at every placement. (Two GC-rich
    motifs back to back can spell a third site across the junction, e.g. EGR1's tail + SP1's head
    = a GC box: the scan rightly calls that composite site an interaction.)"""
    motifs = MOTIFS[:2]
    model = _motif_unit_model(motifs, 4.0)
    bg = _backgrounds(32, 80, seed)
    dist = list(range(-16, -9)) + list(range(7, 14))  # back to back from d = 7 (GATA1 -> TAL1) / -10
    res = scan_pairs(_predict(model), motifs, bg, distances=dist, seed=seed, progress=False, verify=4)
    pr, called = _called(res)
    assert not called, pr
    assert np.isfinite(res.effect[0, 1]).sum() > 20  # back-to-back and near placements were tested


@pytest.mark.parametrize("seed", [0, 1])
def test_gc_junction_effect_removed_by_controls(seed):
    motifs = _gc_motifs()
    model = _additive_model(motifs)
    bg = _backgrounds(32, 80, seed)
    # back-to-back (d = 9 for SP1 -> EGR1, -10 for EGR1 -> SP1) up to 6 bp apart
    dist = list(range(-16, -9)) + list(range(9, 16))
    classic = scan_pairs(_predict(model), motifs, bg, distances=dist, controls="none", seed=seed, progress=False)
    _, called_classic = _called(classic)
    assert called_classic == {frozenset(("SP1", "EGR1"))}  # the junction effect is large and consistent
    raw = np.nanmax(np.abs(classic.effect[0, 1]))
    assert raw > 1.0
    # controls that keep the local GC profile carry exactly this junction effect: nothing is called
    gc = scan_pairs(_predict(model), motifs, bg, distances=dist, controls="gc", seed=seed, progress=False, verify=3)
    pr, called = _called(gc)
    assert not called, pr
    # dinucleotide shuffles keep the composition but not where the G/C sit: most of the effect is removed,
    # a part specific to the motifs' own G/C layout remains (what the default controls can and cannot do)
    sh = scan_pairs(_predict(model), motifs, bg, distances=dist, seed=seed, progress=False)
    assert np.nanmax(np.abs(sh.effect[0, 1])) < 0.35 * raw
    assert np.nanmax(np.abs(gc.effect[0, 1])) < np.nanmax(np.abs(sh.effect[0, 1]))


# ----------------------------------------------------------------------------- AND rule, K = 2 and 3
def _and_model(v=1.0):
    """max-pooled motif detectors a, b, c; f = a + b + c + v * a * b: A and B interact at every
    distance (the interaction is the bulk of the A-B cells), C adds."""
    kern, best = _log_odds_kernel(MOTIFS)
    inp = keras.Input((None, 4))
    h = keras.layers.Conv1D(3, W, activation="relu", name="units")(inp)
    m = keras.layers.GlobalMaxPooling1D()(h)
    out = keras.layers.Lambda(lambda t: keras.ops.sum(t, axis=1, keepdims=True) + v * t[:, :1] * t[:, 1:2])(m)
    model = keras.Model(inp, out)
    model.get_layer("units").set_weights([kern, -(best - 2.0)])
    return model


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("K", [2, 3])
def test_and_rule_over_all_distances_is_called_and_nothing_else(K, seed):
    model = _and_model()
    bg = _backgrounds(16, 120, seed)
    res = scan_pairs(_predict(model), MOTIFS[:K], bg, distances=range(-60, 61, 3), seed=seed, progress=False)
    pr, called = _called(res)
    assert called == {frozenset(("GATA1", "TAL1"))}, pr
    row = pr[(pr.motif_a.isin(["GATA1", "TAL1"])) & (pr.motif_b.isin(["GATA1", "TAL1"]))].iloc[0]
    # consensus sites give a = b = 2 (the bias leaves 2 bits): interaction v * a * b = 4
    assert row.effect == pytest.approx(4.0, rel=0.05) and row.ci_low > 3.0
    assert row.main_a == pytest.approx(2.0, rel=0.05) and row.rel_effect == pytest.approx(1.0, rel=0.1)
    # the interaction holds at every valid distance in "++" (the filters read the + strand only), so it
    # is the bulk of the A-B cells: a scan-wide bulk null would have absorbed it
    ab = res.q[0, 1, :, 0][np.isfinite(res.q[0, 1, :, 0])]
    assert ab.size > 30 and (ab < ALPHA).mean() > 0.9
    assert row.orientation == "++"


# ----------------------------------------------------------------------------- random weights
@pytest.mark.parametrize("seed", [0, 1])
def test_random_weight_cnn_calls_replicate_with_new_controls(seed):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((100, 4))
    h = keras.layers.Conv1D(8, 9, activation="relu")(inp)
    h = keras.layers.MaxPooling1D(4)(h)
    h = keras.layers.Conv1D(8, 5, activation="relu")(h)
    h = keras.layers.Flatten()(h)
    out = keras.layers.Dense(1)(keras.layers.Dense(16, activation="relu")(h))
    model = keras.Model(inp, out)
    bg = _backgrounds(24, 100, seed)
    kw = dict(distances=range(-30, 31, 4), orientations=["++", "+-"], progress=False)
    res = scan_pairs(_predict(model), MOTIFS, bg, seed=seed, **kw)
    share = float(np.nanmean(res.q < ALPHA))
    print(f"random CNN seed {seed}: {share:.1%} of cells called")
    pr, called = _called(res)
    # an independent repeat: other backgrounds, other controls; a real call keeps its sign there
    rep = scan_pairs(_predict(model), MOTIFS, _backgrounds(24, 100, seed + 100), seed=seed + 100, **kw)
    names = res.motif_names
    for r in pr[pr.q_value < ALPHA].itertuples():
        a, b = names.index(r.motif_a), names.index(r.motif_b)
        di, oi = list(res.distances).index(r.distance), res.orientations.index(r.orientation)
        assert np.sign(rep.effect[a, b, di, oi]) == np.sign(r.effect)
    assert 0.0 <= share <= 1.0


# ----------------------------------------------------------------------------- a trained model
def _grammar_data(n, L, seed):
    from kgenint.simulate.grammar import grammar_dataset

    d = grammar_dataset(MOTIFS[0], MOTIFS[1], n, L, gap=(2, 5), decoy=MOTIFS[2], seed=seed)
    return d.x, d.y


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_trained_spacing_rule_called_at_the_right_spacing_and_order(seed):
    x, y = _grammar_data(6000, 100, seed)
    keras.utils.set_random_seed(seed)
    inp = keras.Input((100, 4))
    h = keras.layers.Conv1D(32, 11, activation="relu", padding="same")(inp)
    h = keras.layers.Conv1D(32, 9, activation="relu", padding="same", dilation_rate=2)(h)
    h = keras.layers.GlobalMaxPooling1D()(h)
    out = keras.layers.Dense(1)(keras.layers.Dense(32, activation="relu")(h))
    model = keras.Model(inp, out)
    model.compile(keras.optimizers.Adam(3e-3), keras.losses.BinaryCrossentropy(from_logits=True))
    model.fit(x[:5000], y[:5000], epochs=8, batch_size=64, verbose=0)
    logit = np.asarray(model(x[5000:], training=False))[:, 0]
    auc = np.mean(logit[y[5000:] == 1][:, None] > logit[y[5000:] == 0][None, :])
    assert auc > 0.9, auc
    bg = _backgrounds(24, 100, seed + 50)
    res = scan_pairs(_predict(model), MOTIFS, bg, distances=range(-25, 26), seed=seed, progress=False)
    pr, called = _called(res)
    assert frozenset(("GATA1", "TAL1")) in called, pr
    rule = pr[pr.motif_a.isin(["GATA1", "TAL1"]) & pr.motif_b.isin(["GATA1", "TAL1"])].iloc[0]
    d = rule.distance if rule.motif_a == "GATA1" else -rule.distance  # start of TAL1 - start of GATA1
    assert rule.effect > 0 and rule.ci_low > 0
    assert 7 + 2 - 2 <= d <= 7 + 5 + 2  # the planted spacing (width 7 + gap 2-5), +-2 bp, in the planted order
    # the rule is the strongest heterotypic pair by far. A decoy may be called: placed in the slot the
    # model reserves for the partner (next to GATA1 where TAL1 belongs) it does worse than a random
    # insert there, which is a real, smaller non-additivity of the model (model truth, not data truth)
    assert pr.iloc[0].motif_a != pr.iloc[0].motif_b or rule.score >= pr.iloc[0].score
    assert (pr.score < rule.score).sum() == len(pr) - 1
    for r in pr[(pr.q_value < ALPHA) & ((pr.motif_a == "CEBPB") ^ (pr.motif_b == "CEBPB"))].itertuples():
        assert abs(r.effect) < 0.35 * rule.effect, r
