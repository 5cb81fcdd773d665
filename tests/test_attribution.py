"""Attribution methods: additivity across an architecture zoo, agreement with shap and tf-keras-vis,
closed forms on linear models, IG completeness, ISM against a direct loop, LRP identities, bad input."""
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgenint.attribution import (
    AdditivityWarning, UnsupportedLayerError, attribute, deepshap, gradient_x_input, integrated_gradients, ism,
    load_attributions, lrp, saliency, shap_deepexplainer, smoothgrad,
)
from kgenint.errors import InputError
from kgenint.keras.layers import ExpActivation, RevCompConv1D

L = 60
RNG = np.random.default_rng(0)
X = np.eye(4, dtype="float32")[RNG.integers(0, 4, (5, L))]
BG = np.eye(4, dtype="float32")[RNG.integers(0, 4, (6, L))]


def _seed():
    keras.utils.set_random_seed(1)


def zoo():
    """Small architectures covering every rule (name -> model)."""
    _seed()
    models = {}
    inp = keras.Input((L, 4))
    h = keras.layers.Conv1D(6, 7, activation="relu")(inp)
    h = keras.layers.MaxPooling1D(3)(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(8, activation="relu")(h)
    models["func_relu_maxpool_flatten"] = keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(h))

    models["seq_exp_gmp"] = keras.Sequential([
        keras.Input((L, 4)), keras.layers.Conv1D(6, 9), ExpActivation(),
        keras.layers.GlobalMaxPooling1D(), keras.layers.Dense(1, name="logits"), keras.layers.Activation("sigmoid"),
    ])

    inp = keras.Input((L, 4))
    h = keras.layers.Conv1D(8, 5, padding="same", activation="softplus")(inp)
    r = keras.layers.Conv1D(8, 3, padding="same", dilation_rate=2, activation="relu")(h)
    h = keras.layers.Add()([h, r])
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.MaxPooling1D(4, strides=2, padding="same")(h)
    h = keras.layers.GlobalAveragePooling1D()(h)
    h = keras.layers.Dense(6, activation="tanh")(h)
    models["func_residual_bn_tanh_two_outputs"] = keras.Model(inp, keras.layers.Dense(2)(h))

    inp = keras.Input((L, 4))
    h = RevCompConv1D(5, 7, activation="relu", merge="max")(inp)
    h = keras.layers.MaxPooling1D(5)(h)
    h = keras.layers.Flatten()(h)
    models["revcomp_max"] = keras.Model(inp, keras.layers.Dense(1)(h))
    return models


@pytest.fixture(scope="module")
def models():
    return zoo()


@pytest.mark.parametrize("name", ["func_relu_maxpool_flatten", "seq_exp_gmp", "func_residual_bn_tanh_two_outputs", "revcomp_max"])
def test_additivity_across_zoo(models, name):
    m = models[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error", AdditivityWarning)
        for out in range(m.outputs[0].shape[-1]):
            r = deepshap(m, X, BG, task=out, return_result=True, tolerance=1e-4)
            assert r.additivity_error.max() < 1e-5
            # outputs are the model's logits
            ref = m.predict(X, verbose=0) if name != "seq_exp_gmp" else None
            if name in ("func_residual_bn_tanh_two_outputs", "revcomp_max"):
                assert np.allclose(r.f_x, ref[:, out], atol=1e-5)


def test_per_sequence_background_and_shuffles(models):
    m = models["func_relu_maxpool_flatten"]
    per = np.stack([BG[:3]] * len(X))
    a = deepshap(m, X, per)
    b = deepshap(m, X, BG[:3])
    assert np.allclose(a, b, atol=1e-6)
    r = deepshap(m, X, None, n_references=4, seed=3, return_result=True)
    assert r.additivity_error.max() < 1e-5
    r2 = deepshap(m, X, None, n_references=4, seed=3, return_result=True)
    assert np.array_equal(r.contributions, r2.contributions)


def test_linear_model_closed_form():
    _seed()
    inp = keras.Input((L, 4))
    h = keras.layers.Conv1D(3, 5, use_bias=True)(inp)
    h = keras.layers.Flatten()(h)
    m = keras.Model(inp, keras.layers.Dense(1)(h))
    # gradient of a linear model is constant: w (L, 4)
    with tf.GradientTape() as t:
        xx = tf.constant(X[:1])
        t.watch(xx)
        y = m(xx)
    w = t.gradient(y, xx).numpy()[0]
    r = deepshap(m, X, BG, return_result=True, hypothetical=True)
    expect = ((X[:, None] - BG[None]) * w).mean(1)
    assert np.allclose(r.contributions, expect, atol=1e-5)
    hyp = w[None] - (w[None] * BG.mean(0, keepdims=True)).sum(-1, keepdims=True)
    assert np.allclose(r.hypothetical, np.broadcast_to(hyp, X.shape), atol=1e-5)
    assert np.allclose((r.hypothetical * X).sum(-1), r.contributions.sum(-1), atol=1e-5)


@pytest.mark.parametrize("name", ["func_relu_maxpool_flatten", "seq_exp_gmp"])
def test_matches_shap_deepexplainer(models, name):
    m = models[name]
    ours = deepshap(m, X, BG)
    ref = shap_deepexplainer(m, X, BG)
    assert np.corrcoef(ours.ravel(), ref.ravel())[0, 1] > 0.999
    assert np.abs(ours - ref).max() < 1e-4


def test_training_still_works_after_failed_shap(models, monkeypatch):
    import kgenint.attribution.shap_ref as sr
    from tensorflow.python.eager import execute as tf_execute

    before = tf_execute.record_gradient

    def broken(*a, **k):
        raise RuntimeError("handler failure")

    monkeypatch.setattr(sr, "_max_handler", broken)
    with pytest.raises(Exception):
        shap_deepexplainer(models["seq_exp_gmp"], X, BG)
    assert tf_execute.record_gradient is before
    m = models["seq_exp_gmp"]
    m.compile(optimizer="adam", loss="binary_crossentropy")
    hist = m.fit(X, np.array([0, 1, 0, 1, 1.0]), epochs=1, verbose=0)
    assert np.isfinite(hist.history["loss"][0])


def test_saliency_matches_gradient_and_tfkv(models):
    m = models["func_relu_maxpool_flatten"]
    s = saliency(m, X, correct=False)
    from kgenint.attribution.gradients import logit_model

    lm = logit_model(m)
    xx = tf.constant(X)
    with tf.GradientTape() as t:
        t.watch(xx)
        y = tf.reduce_sum(lm(xx)[:, 0])
    g = t.gradient(y, xx).numpy()
    assert np.allclose(s, g, atol=1e-6)
    sc = saliency(m, X)
    assert np.allclose(sc, g - g.mean(-1, keepdims=True), atol=1e-6)
    gxi = gradient_x_input(m, X, correct=False)
    assert np.allclose(gxi, g * X, atol=1e-6)
    sg = smoothgrad(m, X, n_samples=4, noise=0.05, seed=1)
    assert sg.shape == X.shape and np.isfinite(sg).all()


def test_integrated_gradients_completeness(models):
    m = models["func_residual_bn_tanh_two_outputs"]
    r = integrated_gradients(m, X, references="uniform", task=1, steps=128, return_result=True)
    fx = m.predict(X, verbose=0)[:, 1]
    fb = m.predict(np.full_like(X, 0.25), verbose=0)[:, 1]
    assert np.all(r.completeness_error < 0.02 * np.abs(fx - fb).max() + 1e-4)


def test_ism_against_direct_loop(models):
    m = models["func_residual_bn_tanh_two_outputs"]
    got = ism(m, X[:2], task=1, window=(10, 20))
    f = lambda v: m.predict(v, verbose=0)[:, 1]  # noqa: E731
    base = f(X[:2])
    ref = np.zeros_like(got)
    for n in range(2):
        for pos in range(10, 20):
            for b in range(4):
                if X[n, pos, b] == 1:
                    continue
                v = X[n:n + 1].copy()
                v[0, pos] = 0
                v[0, pos, b] = 1
                ref[n, pos, b] = f(v)[0] - base[n]
    assert np.allclose(got, ref, atol=1e-5)
    assert np.all(got[:, :10] == 0) and np.all(got[:, 20:] == 0)


def test_lrp_epsilon_equals_gradient_x_input_on_bias_free_relu_net():
    _seed()
    inp = keras.Input((L, 4))
    h = keras.layers.Conv1D(4, 5, activation="relu", use_bias=False)(inp)
    h = keras.layers.MaxPooling1D(2)(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(5, activation="relu", use_bias=False)(h)
    m = keras.Model(inp, keras.layers.Dense(1, use_bias=False)(h))
    r = lrp(m, X, rule="epsilon", dense_rule="epsilon", epsilon=1e-9)
    assert np.allclose(r, gradient_x_input(m, X, correct=False), atol=1e-4)
    # z+ on a bias-free net conserves relevance when the output is positive
    zp = lrp(m, X, rule="zplus", dense_rule="zplus")
    f = m.predict(X, verbose=0)[:, 0]
    pos = f > 1e-3
    if pos.any():
        assert np.allclose(zp.sum((1, 2))[pos], f[pos], rtol=1e-3, atol=1e-4)


def test_attribute_streams_and_resumes(models, tmp_path, monkeypatch):
    m = models["func_relu_maxpool_flatten"]
    out = tmp_path / "attr.h5"
    import kgenint.attribution.stream as st

    calls = {"n": 0}
    real = st._run

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(st, "_run", flaky)
    with pytest.raises(KeyboardInterrupt):
        attribute(m, X, method="deepshap", out=out, chunk_size=2, n_references=3, progress=False)
    assert not out.exists() and (tmp_path / "attr.h5.partial").exists()
    monkeypatch.setattr(st, "_run", real)
    attribute(m, X, method="deepshap", out=out, chunk_size=2, n_references=3, progress=False)
    d = load_attributions(out)
    c, h = attribute(m, X, method="deepshap", chunk_size=5, n_references=3, progress=False)
    assert np.allclose(d["contributions"], c, atol=1e-6) and np.allclose(d["hypothetical"], h, atol=1e-6)
    assert np.allclose(d["contributions"], d["hypothetical"] * X, atol=1e-6)


def test_bad_input(models):
    m = models["func_relu_maxpool_flatten"]
    with pytest.raises(InputError, match=r"shape \(N, L, 4\)"):
        deepshap(m, X[..., :3], BG)
    with pytest.raises(InputError, match="length"):
        deepshap(m, X[:, :50], BG[:, :50])
    with pytest.raises(InputError, match="non-finite"):
        bad = X.copy()
        bad[0, 0, 0] = np.nan
        deepshap(m, bad, BG)
    with pytest.raises(InputError, match="not one-hot"):
        deepshap(m, X * 2, BG)
    with pytest.raises(InputError, match="per-sequence references"):
        deepshap(m, X, np.stack([BG] * 2))
    with pytest.raises(InputError, match="out of range"):
        deepshap(m, X, BG, task=3)
    two = keras.Model(m.inputs, [m.outputs[0], m.outputs[0] * 2])
    with pytest.raises(InputError, match="head"):
        deepshap(two, X, BG)
    inp = keras.Input((L, 4))
    h = keras.layers.Conv1D(3, 5)(inp)
    h = keras.layers.Maximum()([h, h])
    odd = keras.Model(inp, keras.layers.Dense(1)(keras.layers.Flatten()(h)))
    with pytest.raises(UnsupportedLayerError, match=r"'maximum.*' \(Maximum\).*integrated_gradients"):
        deepshap(odd, X, BG)
    with pytest.raises(InputError, match="method"):
        attribute(m, X, method="magic")
    with pytest.raises(InputError, match="window"):
        ism(m, X, window=(5, 500))
