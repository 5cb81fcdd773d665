"""kgenint.keras.models (reference architectures) and kgenint.keras.adapter (as_predict_fn)."""
import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kgenint.errors import InputError  # noqa: E402
from kgenint.keras.adapter import as_predict_fn  # noqa: E402
from kgenint.keras.layers import ExpActivation, RevCompConv1D  # noqa: E402
from kgenint.keras.models import ARCHITECTURES, build_model, deepbind, interaction_cnn, local_cnn  # noqa: E402

L = 100


def onehot(n, length=L, seed=0):
    idx = np.random.default_rng(seed).integers(0, 4, (n, length))
    return np.eye(4, dtype=np.float32)[idx]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ----------------------------------------------------------------------------- architectures
@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_architectures_build_with_landmarks(arch):
    x = onehot(3)
    for act, rc in (("relu", False), ("exponential", True)):
        model = build_model(arch, L, 2, first_activation=act, rc_equivariant=rc, n_filters=8)
        assert not isinstance(model, keras.Sequential)
        assert model.output_shape == (None, 2)
        conv1 = model.get_layer("conv1")
        assert isinstance(conv1, RevCompConv1D) == rc
        assert isinstance(model.get_layer("conv1_act"), ExpActivation) == (act == "exponential")
        assert model.get_layer("logits").activation.__name__ == "linear"
        assert model.get_layer("output").activation.__name__ == "sigmoid"
        p = model.predict(x, verbose=0)
        assert p.shape == (3, 2) and np.all((p > 0) & (p < 1))


def test_local_and_distributed_differ_in_first_pool():
    assert build_model("local", 200, pool_size=25).get_layer("pool1").pool_size == (25,)
    assert build_model("distributed", 200).get_layer("pool1").pool_size == (2,)
    assert build_model("local", 200).get_layer("conv1").filters >= 64


def test_interaction_cnn_keeps_positions_and_strand():
    model = interaction_cnn(200, n_filters=8, n_filters2=8, dropout=0.0)
    assert model.get_layer("pool1").pool_size == (4,)
    assert model.get_layer("conv3").dilation_rate == (4,)
    assert model.get_layer("global_pools").output.shape[-1] == 16  # global max + global average
    assert build_model("interaction", 200).name == "interaction_cnn"
    # strand-specific by default (orientation rules need it): f(rc(x)) != f(x)
    x = onehot(4, length=200, seed=5)
    assert not np.allclose(model.predict(x[:, ::-1, ::-1], verbose=0), model.predict(x, verbose=0), atol=1e-4)
    # a motif pair's response depends on its spacing: move one of two planted sites, output changes
    base = np.tile(np.eye(4, dtype=np.float32)[[0, 1, 2, 3] * 50], (3, 1, 1))
    site = np.eye(4, dtype=np.float32)[[2, 2, 2, 0, 0, 0, 3, 3]]
    for i, d in enumerate((0, 20, 60)):
        base[i, 40:48] = site
        base[i, 60 + d : 68 + d] = site[::-1]
    p = model.predict(base, verbose=0)[:, 0]
    assert np.ptp(p) > 0


def test_rc_deepbind_is_strand_invariant():
    model = deepbind(L, 3, rc_equivariant=True, dropout=0.0)
    x = onehot(4, seed=1)
    np.testing.assert_allclose(model.predict(x[:, ::-1, ::-1], verbose=0), model.predict(x, verbose=0), atol=1e-5)
    plain = deepbind(L, 3, rc_equivariant=False, dropout=0.0)
    assert not np.allclose(plain.predict(x[:, ::-1, ::-1], verbose=0), plain.predict(x, verbose=0), atol=1e-4)


def test_architecture_save_load_round_trip(tmp_path):
    model = local_cnn(L, 2, n_filters=8, rc_equivariant=True, first_activation="exponential", pool_size=10)
    x = onehot(4, seed=2)
    model.save(tmp_path / "local.keras")
    loaded = keras.models.load_model(tmp_path / "local.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_architecture_bad_arguments():
    with pytest.raises(InputError, match="Unknown architecture 'lstm'"):
        build_model("lstm", L)
    with pytest.raises(InputError, match="too short"):
        local_cnn(30, pool_size=25)
    with pytest.raises(InputError, match="first_activation must be one of"):
        deepbind(L, first_activation="tanh")
    with pytest.raises(InputError, match="output_activation must be one of"):
        deepbind(L, output_activation="relu")
    with pytest.raises(InputError, match="n_outputs must be a positive integer"):
        deepbind(L, 0)
    with pytest.raises(InputError, match="dilation3 must be a positive integer"):
        interaction_cnn(L, dilation3=0)
    with pytest.raises(InputError, match="too short for pool_size=4"):
        interaction_cnn(10)


# ----------------------------------------------------------------------------- adapter
def test_predict_fn_logits_and_probabilities():
    model = deepbind(L, 2)
    x = onehot(37, seed=3)
    logits = as_predict_fn(model, batch_size=8)(x)
    probs = as_predict_fn(model, logits=False)(x)
    assert logits.dtype == np.float32 and logits.shape == (37, 2)
    np.testing.assert_allclose(sigmoid(logits.astype(np.float64)), probs, atol=1e-6)
    np.testing.assert_allclose(probs, model.predict(x, verbose=0), atol=1e-6)
    # batching does not change results (short last batch, no padding artefacts)
    big = as_predict_fn(model, batch_size=1024)
    np.testing.assert_allclose(big(x), logits, atol=1e-6)
    np.testing.assert_allclose(big(x[:3]), logits[:3], atol=1e-6)
    big(onehot(100, seed=9))
    assert sorted(big._fns) == [32, 64, 128]  # fixed, bucketed batch shapes: no retracing


def test_predict_fn_follows_weight_updates():
    model = deepbind(L, 1)
    predict = as_predict_fn(model)
    x = onehot(5, seed=4)
    before = predict(x)
    dense = model.get_layer("logits")
    dense.bias.assign(dense.bias + 1.0)
    np.testing.assert_allclose(predict(x), before + 1.0, atol=1e-5)


def test_predict_fn_dense_with_builtin_sigmoid_and_sequential():
    seq = keras.Sequential([
        keras.Input((L, 4)), keras.layers.Conv1D(4, 5), keras.layers.GlobalMaxPooling1D(),
        keras.layers.Dense(2, activation="sigmoid"),
    ])
    x = onehot(6, seed=5)
    logits = as_predict_fn(seq)(x)
    np.testing.assert_allclose(sigmoid(logits.astype(np.float64)), seq.predict(x, verbose=0), atol=1e-6)


def test_predict_fn_multi_output_needs_choice():
    inp = keras.Input((L, 4))
    h = keras.layers.GlobalMaxPooling1D()(keras.layers.Conv1D(4, 5)(inp))
    a = keras.layers.Dense(1, activation="sigmoid", name="bind")(h)
    b = keras.layers.Dense(3, activation="softmax", name="cls")(h)
    model = keras.Model(inp, [a, b])
    with pytest.raises(InputError, match="has 2 outputs \\(bind, cls\\); choose one with head="):
        as_predict_fn(model)
    x = onehot(4, seed=6)
    by_name = as_predict_fn(model, head="cls", logits=False)(x)
    np.testing.assert_allclose(by_name, model.predict(x, verbose=0)[1], atol=1e-6)
    z = as_predict_fn(model, head="cls")(x).astype(np.float64)
    np.testing.assert_allclose(np.exp(z) / np.exp(z).sum(1, keepdims=True), by_name, atol=1e-5)
    assert as_predict_fn(model, head=0)(x).shape == (4, 1)
    with pytest.raises(InputError, match="no output named 'nope'"):
        as_predict_fn(model, head="nope")
    with pytest.raises(InputError, match="out of range"):
        as_predict_fn(model, head=2)


def test_predict_fn_bad_input():
    predict = as_predict_fn(deepbind(L, 1))
    with pytest.raises(InputError, match="length 50 but model 'deepbind' takes length 100"):
        predict(onehot(2, 50))
    bad = onehot(2)
    bad[1, 7] = [0.5, 0.5, 0, 0]
    with pytest.raises(InputError, match="sequence 1, position 7"):
        predict(bad)
    with pytest.raises(InputError, match=r"shape \(N, L, 4\)"):
        predict(np.zeros((2, L, 5), np.float32))
    with pytest.raises(InputError, match="channels-first"):
        predict(np.zeros((2, 4, L), np.float32))
    with pytest.raises(InputError, match="batch_size must be a positive integer"):
        as_predict_fn(deepbind(L), batch_size=0)
    with pytest.raises(InputError, match="must be a keras.Model"):
        as_predict_fn(lambda x: x)


def test_predict_fn_refuses_logits_it_cannot_find():
    inp = keras.Input((L, 4))
    out = keras.layers.Dense(1, activation="relu")(keras.layers.GlobalMaxPooling1D()(keras.layers.Conv1D(4, 5)(inp)))
    model = keras.Model(inp, out)
    with pytest.raises(InputError, match="'relu' activation, not sigmoid or softmax"):
        as_predict_fn(model, logits=True)
    x2 = onehot(2)
    default = as_predict_fn(model)  # logits=None: a ReLU head has no logits, so its output
    assert default.scale == "output" and not default.logits
    np.testing.assert_allclose(default(x2), model.predict(x2, verbose=0), atol=1e-6)
    assert as_predict_fn(model, logits=False)(x2).shape == (2, 1)

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = keras.layers.Dense(1)

        def call(self, x):
            return self.d(keras.ops.mean(x, axis=1))

    sub = Sub()
    x = onehot(3, seed=7)
    sub(x)
    with pytest.raises(InputError, match="subclassed Keras model"):
        as_predict_fn(sub, logits=True)
    assert as_predict_fn(sub).scale == "output"
    np.testing.assert_allclose(as_predict_fn(sub, logits=False)(x), sub.predict(x, verbose=0), atol=1e-6)


def test_cli_arch_names_match_the_registry():
    """``kgenint train --arch`` lists the names by hand (so --help does not import Keras)."""
    from kgenint.cli.cmd_train import _ARCHS

    assert sorted(_ARCHS) == sorted(ARCHITECTURES)
