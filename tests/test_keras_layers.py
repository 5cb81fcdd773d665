"""kgenint.keras.layers / initializers: numerics against numpy, reverse-complement equivariance,
config and .keras round trips, symbolic/eager shapes, one training step, bad input."""
import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import kgenint  # noqa: E402
from kgenint.errors import InputError  # noqa: E402
from kgenint.keras.initializers import PWMInitializer, motifs_to_kernel  # noqa: E402
from kgenint.keras.layers import ExpActivation, MotifScan, RevCompConv1D  # noqa: E402
from kgenint.motifs.motif import Motif  # noqa: E402

AP1 = Motif.from_consensus("TGACTCA", name="AP1")
EBOX = Motif.from_consensus("CACGTG", name="EBOX")


def onehot(n, length, seed=0):
    idx = np.random.default_rng(seed).integers(0, 4, (n, length))
    return np.eye(4, dtype=np.float32)[idx]


def rc(a):
    return np.asarray(a)[:, ::-1, ::-1]


def naive_conv(x, k, padding="valid", dilation=1):
    """Obvious loops: y[n, i, f] = sum_w sum_c x[n, i + w*d - pad, c] k[w, c, f]."""
    n, length, _ = x.shape
    w, _, f = k.shape
    span = (w - 1) * dilation
    pad = span // 2 if padding == "same" else 0
    out_len = length if padding == "same" else length - span
    y = np.zeros((n, out_len, f))
    for i in range(out_len):
        for j in range(w):
            p = i + j * dilation - pad
            if 0 <= p < length:
                y[:, i, :] += x[:, p, :] @ k[j]
    return y


# ----------------------------------------------------------------------------- RevCompConv1D
@pytest.mark.parametrize("padding,dilation", [("valid", 1), ("same", 1), ("valid", 2), ("same", 3)])
def test_revcomp_conv_matches_numpy(padding, dilation):
    x = onehot(3, 30, seed=1)
    layer = RevCompConv1D(4, 5, padding=padding, dilation_rate=dilation, bias_initializer="random_normal")
    y = np.asarray(layer(x))
    k = np.asarray(layer.kernel, dtype=np.float64)
    b = np.asarray(layer.bias, dtype=np.float64)
    fwd = naive_conv(x, k, padding, dilation) + b
    rev = naive_conv(x, k[::-1, ::-1], padding, dilation) + b
    np.testing.assert_allclose(y, np.concatenate([fwd, rev[..., ::-1]], axis=-1), atol=1e-5)


@pytest.mark.parametrize("merge", [None, "max", "sum"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_revcomp_conv_is_equivariant(merge, padding):
    x = onehot(4, 40, seed=2)
    layer = RevCompConv1D(6, 7, padding=padding, merge=merge, activation="relu", bias_initializer="random_normal")
    y, y_rc = np.asarray(layer(x)), np.asarray(layer(rc(x)))
    expected = rc(y) if merge is None else y[:, ::-1, :]
    np.testing.assert_allclose(y_rc, expected, atol=1e-5)
    assert not np.allclose(y_rc, y, atol=1e-3)  # the test can fail: output is strand-specific


def test_stacked_revcomp_convs_stay_equivariant():
    inp = keras.Input((40, 4))
    h = RevCompConv1D(5, 7, activation="relu")(inp)
    h = RevCompConv1D(3, 3, padding="same", dilation_rate=2)(h)
    model = keras.Model(inp, h)
    x = onehot(3, 40, seed=3)
    np.testing.assert_allclose(model(rc(x)), rc(model(x)), atol=1e-5)


def test_revcomp_conv_shapes_symbolic_and_eager():
    for merge, channels in ((None, 8), ("max", 4)):
        layer = RevCompConv1D(4, 5, merge=merge)
        sym = layer(keras.Input((30, 4)))
        assert tuple(sym.shape) == (None, 26, channels)
        assert layer.compute_output_shape((None, 30, 4)) == (None, 26, channels)
        assert np.asarray(layer(onehot(2, 30))).shape == (2, 26, channels)


def test_revcomp_conv_bad_arguments():
    with pytest.raises(InputError, match="filters must be a positive integer"):
        RevCompConv1D(0, 5)
    with pytest.raises(InputError, match="odd effective kernel width"):
        RevCompConv1D(4, 6, padding="same")
    with pytest.raises(InputError, match="merge must be"):
        RevCompConv1D(4, 5, merge="mean")
    with pytest.raises(InputError, match="padding must be"):
        RevCompConv1D(4, 5, padding="causal")


# ----------------------------------------------------------------------------- ExpActivation
def test_exp_activation_values_and_clip():
    z = np.array([-3.0, 0.0, 1.5, 50.0], dtype=np.float32)
    np.testing.assert_allclose(ExpActivation(max_value=None)(z)[:3], np.exp(z[:3]), rtol=1e-6)
    np.testing.assert_allclose(ExpActivation(max_value=2.0)(z), np.exp(np.minimum(z, 2.0)), rtol=1e-6)
    assert np.isfinite(np.asarray(ExpActivation()(np.float32([1e4])))).all()
    with pytest.raises(InputError, match="max_value must be in"):
        ExpActivation(max_value=100.0)


# ----------------------------------------------------------------------------- MotifScan / PWM
def test_motifs_to_kernel_centres_and_scores():
    k = motifs_to_kernel([AP1, EBOX], 9, pseudocount=0.1)
    assert k.shape == (9, 4, 2)
    np.testing.assert_allclose(k[1:8, :, 0], AP1.log_odds(0.1), rtol=1e-6)
    np.testing.assert_array_equal(k[[0, 8], :, 0], 0)
    np.testing.assert_allclose(k[1:7, :, 1], EBOX.log_odds(0.1), rtol=1e-6)  # (9-6)//2 = 1
    with pytest.raises(InputError, match="narrower than motif 'AP1'"):
        motifs_to_kernel([AP1], 5)
    with pytest.raises(InputError, match="pseudocount must be > 0"):
        motifs_to_kernel([AP1], pseudocount=0)


def test_motif_scan_scores_both_strands():
    idx = np.random.default_rng(4).integers(0, 4, (2, 30))
    site = np.array([3, 2, 0, 1, 3, 1, 0])  # TGACTCA
    idx[0, 5:12] = site
    idx[1, 20:27] = (3 - site)[::-1]  # reverse complement on the + strand
    x = np.eye(4, dtype=np.float32)[idx]
    lo = AP1.log_odds(0.1)
    fwd = naive_conv(x, lo[:, :, None])[..., 0]
    rev = naive_conv(x, lo[::-1, ::-1, None])[..., 0]
    scan = MotifScan([AP1], padding="valid")
    np.testing.assert_allclose(np.asarray(scan(x))[..., 0], np.maximum(fwd, rev), atol=1e-4)
    assert np.argmax(np.asarray(scan(x))[0, :, 0]) == 5
    assert np.argmax(np.asarray(scan(x))[1, :, 0]) == 20
    both = np.asarray(MotifScan([AP1], combine=None)(x))
    np.testing.assert_allclose(both[..., 0], fwd, atol=1e-4)
    np.testing.assert_allclose(both[..., 1], rev, atol=1e-4)
    fw_only = np.asarray(MotifScan([AP1], strands="forward")(x))[..., 0]
    np.testing.assert_allclose(fw_only, fwd, atol=1e-4)


def test_motif_scan_is_not_trainable_and_equivariant():
    scan = MotifScan([AP1, EBOX], combine=None, padding="same")
    x = onehot(3, 25, seed=5)
    np.testing.assert_allclose(scan(rc(x)), rc(scan(x)), atol=1e-4)
    assert scan.width % 2 == 1 and not scan.trainable_weights and len(scan.non_trainable_weights) == 1


def test_pwm_initializer_config_is_small_and_rebuilds():
    init = PWMInitializer([AP1, EBOX], pseudocount=0.1, seed=3)
    conv = keras.layers.Conv1D(5, 9, kernel_initializer=init)
    conv.build((None, 30, 4))
    k = np.asarray(conv.kernel)
    np.testing.assert_allclose(k[1:8, :, 0], AP1.log_odds(0.1), rtol=1e-5)
    assert np.abs(k[:, :, 2:]).max() < 0.5  # random filters beyond the motifs
    cfg = keras.initializers.serialize(init)
    assert len(json.dumps(cfg)) < 600 and "pwm" not in json.dumps(cfg)
    rebuilt = keras.initializers.deserialize(cfg)
    assert isinstance(rebuilt, PWMInitializer) and rebuilt.motif_names == ["AP1", "EBOX"]
    np.testing.assert_array_equal(np.asarray(rebuilt((9, 4, 5)))[:, :, :2], 0)
    with pytest.raises(InputError, match="has 1 filters but PWMInitializer holds 2 motifs"):
        init((9, 4, 1))
    with pytest.raises(InputError, match=r"\(width, 4, filters\)"):
        init((9, 5, 4))
    with pytest.raises(InputError, match="not a kgenint.motifs.Motif"):
        PWMInitializer(["TGACTCA"])
    with pytest.raises(InputError, match="needs motifs"):
        MotifScan()


# ----------------------------------------------------------------------------- round trips
def _all_layers_model(length=40):
    inp = keras.Input((length, 4))
    a = RevCompConv1D(4, 5, activation="relu", merge=None, name="rcconv")(inp)
    a = RevCompConv1D(3, 3, merge="max", name="rcconv2")(a)
    b = keras.layers.Conv1D(3, 9, kernel_initializer=PWMInitializer([AP1], seed=0), name="pwmconv")(inp)
    b = ExpActivation(max_value=10.0, name="exp")(b)
    c = MotifScan([AP1, EBOX], name="scan")(inp)
    pooled = [keras.layers.GlobalMaxPooling1D()(t) for t in (a, b, c)]
    h = keras.layers.Concatenate()(pooled)
    logits = keras.layers.Dense(1, name="logits")(h)
    return keras.Model(inp, keras.layers.Activation("sigmoid", name="output")(logits))


@pytest.mark.parametrize(
    "make",
    [
        lambda: RevCompConv1D(4, 5, padding="same", merge="sum", activation="relu", kernel_regularizer="l2"),
        lambda: ExpActivation(max_value=7.0),
        lambda: MotifScan([AP1, EBOX], pseudocount=0.5, combine=None, padding="same"),
    ],
)
def test_layer_config_round_trip(make):
    layer = make()
    x = onehot(2, 30, seed=6)
    y = np.asarray(layer(x))
    clone = type(layer).from_config(layer.get_config())
    clone.build((None, 30, 4))
    if layer.weights:
        clone.set_weights(layer.get_weights())
    assert clone.get_config() == layer.get_config()
    np.testing.assert_allclose(np.asarray(clone(x)), y, atol=1e-6)
    ser = keras.layers.serialize(layer)
    assert ser["module"] is None or "kgenint" in str(ser.get("registered_name", ""))
    assert len(json.dumps(ser)) < 3000  # no matrices in the config


def test_model_save_and_load_identical(tmp_path):
    model = _all_layers_model()
    x = onehot(5, 40, seed=7)
    p = model.predict(x, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    for loader in (keras.models.load_model, kgenint.load_model):
        loaded = loader(path)
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), p)
        scan = loaded.get_layer("scan")
        np.testing.assert_array_equal(np.asarray(scan.kernel), np.asarray(model.get_layer("scan").kernel))
        assert scan.motifs is None  # the kernel came from the file, not from the config


def test_clone_model_through_config():
    """tf-keras-vis clones models through get_config/from_config."""
    model = _all_layers_model()
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    x = onehot(3, 40, seed=8)
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_one_training_step_updates_trainable_only():
    model = _all_layers_model()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy")
    x = onehot(8, 40, seed=9)
    y = np.arange(8) % 2
    before = {w.path: keras.ops.convert_to_numpy(w) for w in model.weights}
    model.train_on_batch(x, y)
    after = {w.path: keras.ops.convert_to_numpy(w) for w in model.weights}
    for w in model.weights:
        changed = not np.array_equal(before[w.path], after[w.path])
        if "scan" in w.path:
            assert not changed, w.path
    assert not np.array_equal(before["rcconv/kernel"], after["rcconv/kernel"])
    assert not np.array_equal(before["pwmconv/kernel"], after["pwmconv/kernel"])
