"""kgenint.keras.callbacks on tiny models whose right answers are known by construction."""
import os
import time

import h5py
import numpy as np
import pandas as pd
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from kgenint.errors import InputError  # noqa: E402
from kgenint.keras.callbacks import (  # noqa: E402
    AttributionMonitor,
    FilterMotifTracker,
    InteractionMonitor,
    planted_mask,
    take_sequences,
)
from kgenint.keras.initializers import PWMInitializer  # noqa: E402
from kgenint.keras.layers import MotifScan  # noqa: E402
from kgenint.motifs.motif import Motif  # noqa: E402

L = 60
AP1 = Motif.from_consensus("TGACTCA", name="AP1")
AP1B = Motif.from_consensus("TGACTCA", name="AP1b")
EBOX = Motif.from_consensus("CACGTG", name="EBOX")
SP1 = Motif.from_consensus("GGGGCGGGG", name="SP1")
BASES = {"A": 0, "C": 1, "G": 2, "T": 3}


def encode(s):
    return np.array([BASES[c] for c in s])


def planted_set(n=160, seed=0):
    """Half the sequences carry AP1 (+ strand), the other half EBOX; returns x, y, instances."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, 4, (n, L))
    rows = []
    for i in range(n):
        site = encode("TGACTCA") if i % 2 == 0 else encode("CACGTG")
        p = int(rng.integers(0, L - len(site)))
        idx[i, p : p + len(site)] = site
        rows.append((i, p, p + len(site), "main"))
    y = (np.arange(n) % 2 == 0).astype(np.float32)
    return np.eye(4, dtype=np.float32)[idx], y, pd.DataFrame(rows, columns=["seq", "start", "end", "role"])


def scan_model(motifs):
    inp = keras.Input((L, 4))
    h = MotifScan(motifs, name="scan")(inp)
    h = keras.layers.GlobalMaxPooling1D()(h)
    logits = keras.layers.Dense(1, name="logits")(h)
    model = keras.Model(inp, keras.layers.Activation("sigmoid", name="output")(logits))
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="binary_crossentropy")
    return model


# ----------------------------------------------------------------------------- FilterMotifTracker
def test_filter_tracker_finds_known_motifs(tmp_path):
    x, y, _ = planted_set()
    model = scan_model([AP1, AP1B, EBOX])
    tracker = FilterMotifTracker(
        x, [AP1, EBOX, SP1], every=2, min_sites=5, history_path=tmp_path / "filters.h5"
    )
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    hist = model.fit(x, y, epochs=3, batch_size=64, validation_data=ds, callbacks=[tracker], verbose=0)
    h = hist.history
    assert len(h["filters_matched_frac"]) == len(h["loss"]) == 3
    assert np.isnan(h["filters_matched_frac"][1])  # not due: NaN keeps lists aligned
    assert h["filters_matched_frac"][0] == 1.0 and h["filters_matched_frac"][2] == 1.0
    assert h["filters_refs_covered"][0] == 2.0
    assert h["filters_refs_covered_frac"][0] == pytest.approx(2 / 3)
    assert h["filters_redundant"][0] == 1.0  # AP1 and its copy learned the same motif
    rec = tracker.records_[0]
    assert rec["filter_target"] == ["AP1", "AP1", "EBOX"]
    assert rec["covered"] == ["AP1", "EBOX"] and rec["groups"] == [[0, 1]]
    assert rec["motifs"][0].consensus == "TGACTCA" and rec["motifs"][2].trim(1.0).consensus == "CACGTG"
    with h5py.File(tmp_path / "filters.h5") as f:
        np.testing.assert_array_equal(f["epoch"][()], [0, 2])
        np.testing.assert_array_equal(f["covered"][()], [[True, True, False]] * 2)
        assert f["filter_pwm"].shape == (2, 3, 7, 4) and f.attrs["layer"] == "scan"
        assert [s.decode() for s in f["filter_target"][0]] == ["AP1", "AP1", "EBOX"]
    assert os.listdir(tmp_path) == ["filters.h5"]


def test_filter_tracker_on_conv1d_with_activation_layer_and_logos(tmp_path):
    x, y, _ = planted_set(seed=1)
    inp = keras.Input((L, 4))
    h = keras.layers.Conv1D(3, 9, kernel_initializer=PWMInitializer([AP1, EBOX], seed=0, stddev=0.01),
                            name="pwmconv")(inp)
    h = keras.layers.Activation("relu", name="pwmconv_act")(h)
    h = keras.layers.GlobalMaxPooling1D()(h)
    model = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(h))
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="binary_crossentropy")
    tracker = FilterMotifTracker(tf.data.Dataset.from_tensor_slices(x).batch(50), [AP1, EBOX, SP1],
                                 layer="pwmconv", min_sites=5, logo_dir=tmp_path / "logos")
    model.fit(x, y, epochs=1, verbose=0, callbacks=[tracker])
    assert tracker.x_ref.shape == x.shape  # taken from the tf.data pipeline
    assert tracker.records_[0]["filter_target"][:2] == ["AP1", "EBOX"]
    assert tracker.records_[0]["filter_target"][2] == ""  # the random filter learned nothing
    assert os.listdir(tmp_path / "logos") == ["filters_epoch001.png"]


# ----------------------------------------------------------------------------- AttributionMonitor
def linear_model(v):
    """logits = sum(V * x) + 0: the gradient is V everywhere."""
    inp = keras.Input((L, 4))
    logits = keras.layers.Dense(1, name="logits")(keras.layers.Flatten()(inp))
    model = keras.Model(inp, keras.layers.Activation("sigmoid", name="output")(logits))
    model.get_layer("logits").set_weights([v.reshape(-1, 1).astype(np.float32), np.zeros(1, np.float32)])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="binary_crossentropy")
    return model


def brute_auroc(mask, score):
    pos, neg = score[mask], score[~mask]
    return ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (pos.size * neg.size)


def test_attribution_monitor_grad_x_input_and_planted_auroc(tmp_path):
    x, y, inst = planted_set(n=40, seed=2)
    rng = np.random.default_rng(3)
    v = rng.normal(size=(L, 4))
    inst = pd.concat([inst, pd.DataFrame([(0, 50, 55, "decoy")], columns=inst.columns)])
    model = linear_model(v)
    mon = AttributionMonitor(x, inst, every=1, save_maps=True, history_path=tmp_path / "attr.h5")
    hist = model.fit(x, y, epochs=2, verbose=0, callbacks=[mon])
    expected = (v - v.mean(axis=1, keepdims=True))[None] * x  # corrected gradient x input
    np.testing.assert_allclose(mon.records_[0]["maps"], expected, atol=1e-5)
    mask = np.zeros((40, L), bool)
    main = inst[inst["role"] == "main"]
    for s, a, b in zip(main["seq"], main["start"], main["end"]):
        mask[s, a:b] = True
    np.testing.assert_array_equal(mon.mask, mask)  # the decoy is not a positive
    with_decoys = planted_mask(inst, 40, L, exclude_roles=())
    assert with_decoys[0, 50:55].all() and with_decoys.sum() > mask.sum()
    score = np.abs(expected).sum(-1)
    assert hist.history["attr_auroc"][0] == pytest.approx(brute_auroc(mask, score), abs=1e-9)
    assert hist.history["attr_mean_abs"][1] == pytest.approx(score.mean(), rel=1e-5)
    with h5py.File(tmp_path / "attr.h5") as f:
        assert f["maps"].shape == (2, 40, L, 4) and f["attr_auroc"].shape == (2,)


def test_attribution_monitor_perfect_detector():
    """Weights only at planted positions: the planted positions get all the attribution."""
    x, y, inst = planted_set(n=20, seed=4)
    mask = planted_mask(inst, 20, L)
    indices = np.arange(20)[::-1]  # monitored rows are the truth's sequences in reverse order
    v = np.zeros((L, 4))
    model = linear_model(v)
    mon = AttributionMonitor(x[::-1], inst, indices=indices)
    # attribution of a linear model is input-independent: use a per-position gradient
    # that is large exactly where row 0 of the monitored set (sequence 19) has its site
    v[mask[19]] = [1.0, -1.0, 2.0, -2.0]
    model.get_layer("logits").set_weights([v.reshape(-1, 1).astype(np.float32), np.zeros(1, np.float32)])
    mon.set_model(model)
    mon.on_train_begin()
    logs = {}
    mon.on_epoch_end(0, logs)
    sc = np.abs(mon.attributions()).sum(-1)
    np.testing.assert_array_equal(sc[0] > 0, mask[19])
    assert logs["attr_auroc"] == pytest.approx(brute_auroc(mask[::-1], sc), abs=1e-9)


def test_attribution_monitor_delegates_other_methods():
    x, y, inst = planted_set(n=12, seed=7)
    v = np.random.default_rng(8).normal(size=(L, 4))
    model = linear_model(v)
    mon = AttributionMonitor(x, inst, method="integrated_gradients", method_options={"steps": 8, "references": "uniform"})
    mon.set_model(model)
    mon.on_train_begin()
    logs = {}
    mon.on_epoch_end(0, logs)
    maps = mon.attributions()
    assert maps.shape == x.shape and np.isfinite(maps).all()
    np.testing.assert_allclose(maps, (x - 0.25) * v[None], atol=1e-5)  # IG of a linear model, 0.25 baseline
    assert 0 <= logs["attr_auroc"] <= 1


# ----------------------------------------------------------------------------- InteractionMonitor
def pair_model(c=0.5, a=0.3, b=-0.2):
    """logits[:, 0] = c * fA * fB (pure interaction); logits[:, 1] = a * fA + b * fB (additive);
    f = relu(best strand score - 10 bits): zero unless the motif's exact consensus is present."""
    inp = keras.Input((L, 4))
    feats = []
    for m in (AP1, EBOX):
        h = keras.layers.GlobalMaxPooling1D()(MotifScan([m], name=f"scan_{m.name}")(inp))
        feats.append(keras.layers.ReLU()(keras.layers.Rescaling(1.0, offset=-10.0)(h)))
    prod = keras.layers.Multiply()(feats)
    h = keras.layers.Concatenate()([prod, *feats])
    dense = keras.layers.Dense(2, name="logits")
    out = keras.layers.Activation("sigmoid", name="output")(dense(h))
    model = keras.Model(inp, out)
    dense.set_weights([np.array([[c, 0], [0, a], [0, b]], np.float32), np.zeros(2, np.float32)])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="binary_crossentropy")
    return model


def test_interaction_monitor_known_effects(tmp_path):
    rng = np.random.default_rng(5)
    background = np.eye(4, dtype=np.float32)[rng.integers(0, 2, (30, L))]  # only A and C: no sites
    model = pair_model()
    inter = InteractionMonitor(background, [(AP1, EBOX)], distance=20, every=2, task=0,
                               history_path=tmp_path / "inter.h5")
    additive = InteractionMonitor(background, [(AP1, EBOX)], distance=20, task=1, prefix="add")
    y = np.zeros((30, 2), np.float32)
    hist = model.fit(background, y, epochs=3, verbose=0, callbacks=[inter, additive])
    s_a = float(np.float32(AP1.log_odds(0.1).max(axis=1).sum()))
    s_b = float(np.float32(EBOX.log_odds(0.1).max(axis=1).sum()))
    expected = 0.5 * (s_a - 10) * (s_b - 10)
    eff = hist.history["interaction_AP1_EBOX"]
    assert eff[0] == pytest.approx(expected, rel=1e-4) and eff[2] == pytest.approx(expected, rel=1e-4)
    assert np.isnan(eff[1])
    assert np.abs(hist.history["add_AP1_EBOX"]).max() < 1e-4
    assert inter.records_[0]["se"][0] == pytest.approx(0.0, abs=1e-4)
    with h5py.File(tmp_path / "inter.h5") as f:
        np.testing.assert_allclose(f["effect"][()][:, 0], [eff[0], eff[2]])
        assert f.attrs["scale"] == "logits"


# ----------------------------------------------------------------------------- common behaviour
class _Interrupt(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


def test_interrupted_training_leaves_complete_history(tmp_path):
    x, y, inst = planted_set(n=20, seed=6)
    model = linear_model(np.random.default_rng(0).normal(size=(L, 4)))
    mon = AttributionMonitor(x, inst, history_path=tmp_path / "a.h5")
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=5, verbose=0, callbacks=[mon, _Interrupt()])
    assert os.listdir(tmp_path) == ["a.h5"]
    with h5py.File(tmp_path / "a.h5") as f:
        assert f["epoch"][()].tolist() == [0, 1]


def test_not_due_epochs_cost_nothing():
    x, _, _ = planted_set(n=20)
    mon = FilterMotifTracker(x, [AP1], every=5)
    logs = {}
    t0 = time.perf_counter()
    for epoch in range(1, 5):
        mon.on_epoch_end(epoch, logs)  # no model needed: nothing is computed
    assert time.perf_counter() - t0 < 0.05
    assert all(np.isnan(v) for v in logs.values()) and len(logs) == 4


def test_take_sequences_sources():
    x, y, _ = planted_set(n=30)
    np.testing.assert_array_equal(take_sequences(x, max_sequences=10), x[:10])
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(7)
    np.testing.assert_array_equal(take_sequences(ds, max_sequences=12), x[:12])
    np.testing.assert_array_equal(take_sequences(tf.data.Dataset.from_tensor_slices(x)), x)


def test_callbacks_bad_input():
    x, _, inst = planted_set(n=10)
    with pytest.raises(InputError, match="every must be an integer >= 1"):
        FilterMotifTracker(x, [AP1], every=0)
    with pytest.raises(InputError, match="x_ref is not one-hot DNA: sequence 0, position 0"):
        FilterMotifTracker(x * 3, [AP1])
    with pytest.raises(InputError, match=r"x_ref must have shape \(N, L, 4\)"):
        FilterMotifTracker(x[..., :3], [AP1])
    with pytest.raises(InputError, match="reference_motifs\\[0\\] is a str"):
        FilterMotifTracker(x, ["TGACTCA"])
    with pytest.raises(InputError, match="method must be one of"):
        AttributionMonitor(x, method="deeplift")
    with pytest.raises(InputError, match="columns seq, start, end"):
        AttributionMonitor(x, truth={"a": 1})
    with pytest.raises(InputError, match="motif_pairs is empty"):
        InteractionMonitor(x, [], distance=10)
    with pytest.raises(InputError, match="orientation must be"):
        InteractionMonitor(x, [(AP1, EBOX)], distance=10, orientation="+x")
    with pytest.raises(InputError, match="one per pair \\(1 pairs\\)"):
        InteractionMonitor(x, [(AP1, EBOX)], distance=[10, 20])
    model = scan_model([AP1])
    with pytest.raises(InputError, match="no layer named 'conv9'"):
        model.fit(x, np.zeros(10), epochs=1, verbose=0, callbacks=[FilterMotifTracker(x, [AP1], layer="conv9")])
    inp = keras.Input((L, 4))
    h = keras.layers.Conv1D(2, 3, name="c2")(keras.layers.Conv1D(4, 3, name="c1")(inp))
    deep = keras.Model(inp, keras.layers.Dense(1)(keras.layers.GlobalMaxPooling1D()(h)))
    deep.compile(optimizer="sgd", loss="mse")
    with pytest.raises(InputError, match="'c2' does not take the model's one-hot input directly"):
        deep.fit(x, np.zeros(10), epochs=1, verbose=0, callbacks=[FilterMotifTracker(x, [AP1], layer="c2")])
    with pytest.raises(InputError, match="task=3 but the head has 1 column"):
        model.fit(x, np.zeros(10), epochs=1, verbose=0, callbacks=[AttributionMonitor(x, task=3)])
