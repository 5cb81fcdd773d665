"""Receptive-field geometry from the layer graph vs. the brute-force probe (perturb one input
position, see which output positions move), on sequential, dilated, strided, residual and gated
models, plus the reference architectures."""
import keras
import numpy as np
import pytest

from kgenint.errors import InputError
from kgenint.keras.receptive import ReceptiveField, probe_receptive_field, receptive_field

kl = keras.layers


def _check_against_probe(model, layer, seed=0, positions=None):
    """Every output position's moved inputs lie in the computed field, and reach both ends."""
    rf = receptive_field(model, layer)
    dep = probe_receptive_field(model, layer, seed=seed)
    if rf.is_global:
        assert dep.any(axis=0).all(), "a global layer must depend on every input position"
        assert dep.all(axis=1).all()
        return rf
    w = rf.windows()
    assert dep.shape[0] == w.shape[0] == rf.output_length
    for p in range(dep.shape[0]) if positions is None else positions:
        idx = np.flatnonzero(dep[p])
        s, e = w[p]
        assert idx.size, f"position {p} depends on nothing"
        assert idx.min() == s and idx.max() + 1 == e, (layer, p, idx.min(), idx.max() + 1, (s, e))
    return rf


def _seq(length=60):
    inp = keras.Input((length, 4))
    h = kl.Conv1D(6, 7, padding="valid", activation="relu", name="c1")(inp)
    h = kl.MaxPooling1D(3, name="p1")(h)
    h = kl.Conv1D(5, 4, padding="valid", name="c2")(h)
    h = kl.AveragePooling1D(2, name="p2")(h)
    return keras.Model(inp, h)


@pytest.mark.parametrize("seed", [0, 1])
def test_sequential_valid_by_hand_and_probe(seed):
    m = _seq()
    rf = _check_against_probe(m, "p2", seed=seed)
    # by hand: c1 7; p1 -> 7 + 2 = 9, stride 3; c2 -> 9 + 3*3 = 18; p2 -> 18 + 3 = 21, stride 6
    assert (rf.size, rf.stride, rf.offset) == (21, 6, 0)
    assert rf.output_length == ((60 - 6) // 3 - 3) // 2
    _check_against_probe(m, "c1", seed=seed)
    _check_against_probe(m, "c2", seed=seed)


def test_keras_sequential_model():
    m = keras.Sequential([
        keras.Input((50, 4)),
        kl.Conv1D(4, 5, padding="same", name="s1"),
        kl.BatchNormalization(name="bn"),
        kl.ReLU(name="r"),
        kl.MaxPooling1D(2, name="sp"),
        kl.Conv1D(4, 3, padding="same", name="s2"),
    ])
    rf = _check_against_probe(m, "s2")
    assert (rf.size, rf.stride, rf.offset) == (5 + 1 + 2 * 2, 2, -2 - 2)


@pytest.mark.parametrize("seed", [0, 1])
def test_dilated_tower(seed):
    inp = keras.Input((90, 4))
    h = kl.Conv1D(4, 5, padding="same", name="d0")(inp)
    for i in (1, 2, 3):
        h = kl.Conv1D(4, 3, padding="same", dilation_rate=2 ** i, name=f"d{i}")(h)
    m = keras.Model(inp, h)
    rf = _check_against_probe(m, "d3", seed=seed)
    assert rf.size == 5 + 2 * (2 + 4 + 8)
    assert rf.offset == -(rf.size - 1) // 2


def test_dilated_on_input_is_a_span_with_holes():
    inp = keras.Input((40, 4))
    m = keras.Model(inp, kl.Conv1D(3, 3, dilation_rate=3, name="dd")(inp))
    rf = _check_against_probe(m, "dd")
    assert rf.size == 7
    dep = probe_receptive_field(m, "dd")
    assert np.flatnonzero(dep[0]).tolist() == [0, 3, 6]  # the span's holes


@pytest.mark.parametrize("length", [61, 64])
def test_strided_same_padding(length):
    inp = keras.Input((length, 4))
    h = kl.Conv1D(4, 6, strides=2, padding="same", name="st1")(inp)
    h = kl.MaxPooling1D(3, strides=2, padding="same", name="st2")(h)
    h = kl.Conv1D(4, 4, strides=3, padding="valid", name="st3")(h)
    m = keras.Model(inp, h)
    for name in ("st1", "st2", "st3"):
        _check_against_probe(m, name)
    assert receptive_field(m, "st3").stride == 12


def test_causal_padding():
    inp = keras.Input((30, 4))
    h = kl.Conv1D(3, 4, padding="causal", name="cz")(inp)
    h = kl.Conv1D(3, 3, padding="causal", dilation_rate=2, name="cz2")(h)
    m = keras.Model(inp, h)
    rf = _check_against_probe(m, "cz")
    assert (rf.size, rf.offset) == (4, -3)
    rf = _check_against_probe(m, "cz2")
    assert (rf.size, rf.offset) == (8, -7)


@pytest.mark.parametrize("seed", [0, 1])
def test_residual_and_concat(seed):
    inp = keras.Input((80, 4))
    a = kl.Conv1D(4, 9, padding="same", name="ra")(inp)
    b = kl.Conv1D(4, 5, padding="valid", name="rb")(a)
    b = kl.ZeroPadding1D((3, 1), name="rpad")(b)  # re-align to 80 positions, asymmetric
    s = kl.Add(name="radd")([a, b])
    c = kl.Conv1D(4, 3, padding="same", dilation_rate=4, name="rc")(s)
    cat = kl.Concatenate(name="rcat")([s, c])
    crop = kl.Cropping1D((2, 5), name="rcrop")(cat)
    m = keras.Model(inp, crop)
    # positions 0-2 and 79 of the padded branch are ZeroPadding1D zeros (they read no input), so
    # there the true field is the other branch's alone: check the positions where both are real
    for name in ("radd", "rcat"):
        _check_against_probe(m, name, seed=seed, positions=range(3, 79))
    _check_against_probe(m, "rcrop", seed=seed, positions=range(1, 73))
    rf = receptive_field(m, "radd")
    # a: [-4, 5); b (valid 5 on a, shifted by the 3-zero pad): [-7, 6) -> union [-7, 6)
    assert (rf.size, rf.offset) == (13, -7)


def test_squeeze_excitation_gate_makes_the_layer_global():
    inp = keras.Input((40, 4))
    h = kl.Conv1D(6, 5, padding="same", name="se_conv")(inp)
    g = kl.GlobalAveragePooling1D(name="se_pool")(h)
    g = kl.Dense(6, activation="sigmoid", name="se_dense")(g)
    g = kl.Reshape((1, 6), name="se_reshape")(g)
    with pytest.raises(InputError, match="probe_receptive_field"):
        receptive_field(keras.Model(inp, kl.Multiply(name="se_mul")([h, g])), "se_mul")
    g2 = kl.GlobalAveragePooling1D(keepdims=True, name="se_pool2")(h)
    out = kl.Multiply(name="se_mul2")([h, g2])
    m = keras.Model(inp, out)
    rf = _check_against_probe(m, "se_mul2")
    assert rf.is_global and rf.output_length == 40


def test_reference_architectures():
    from kgenint.keras.models import bpnet, interaction_cnn, local_cnn

    m = interaction_cnn(120)
    rf = _check_against_probe(m, "residual3")
    # 15 + 4 * (7 - 1 + 4 * 4) = 103 from the docstring's formula, + 3 for the pool's width
    assert rf.size == 15 + 3 + 4 * (6 + 16) and rf.stride == 4
    g = _check_against_probe(m, "global_pools")
    assert g.is_global and g.output_length is None and g.window(0) == (0, 120)
    _check_against_probe(bpnet(100, n_dilated=3), "residual3")
    _check_against_probe(local_cnn(100, pool_size=10), "conv2_act")


def test_window_and_windows_agree():
    rf = ReceptiveField("x", 9, 2, -3, 20, 10, False)
    w = rf.windows()
    assert [tuple(r) for r in w] == [rf.window(p) for p in range(10)]
    assert rf.window(0) == (0, 6) and rf.window(9) == (15, 20)


def test_bad_inputs():
    m = _seq()
    with pytest.raises(InputError, match="no layer named"):
        receptive_field(m, "nope")
    with pytest.raises(InputError, match="keras.Model"):
        receptive_field("model", "c1")
    with pytest.raises(InputError, match="out of range"):
        receptive_field(m, 99)
    inp = keras.Input((30, 4))
    h = kl.Conv1D(3, 3, name="u1")(inp)
    h = kl.UpSampling1D(2, name="up")(h)
    with pytest.raises(InputError, match="probe_receptive_field"):
        receptive_field(keras.Model(inp, h), "up")
    a = kl.Conv1D(3, 3, padding="same", name="m1")(inp)
    b = kl.MaxPooling1D(2, name="m2")(a)
    b = kl.UpSampling1D(2, name="m3")(b)
    with pytest.raises(InputError):
        receptive_field(keras.Model(inp, kl.Add(name="madd")([a, b])), "madd")
