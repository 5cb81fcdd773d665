"""The TensorFlow side of the detectors: HVPs against closed form and finite differences, the
softplus surrogate, attribution callables, and a block-Hessian run on a hand-wired Keras model."""
import warnings

import numpy as np
import pandas as pd
import pytest

keras = pytest.importorskip("keras")

from kgenint.errors import InputError  # noqa: E402
from kgenint.interactions.hessian import hessian_pairs  # noqa: E402
from kgenint.keras.derivatives import (SurrogateWarning, attribution_fn, gradient_fn, hvp_fn,  # noqa: E402
                                       piecewise_linear_layers, softplus_surrogate)

L = 30
A, B = (3, 9), (18, 24)


def _bilinear(seed):
    """Keras model f(x) = (w1 . x_A)(w2 . x_B): Flatten -> two masked Dense units -> Multiply."""
    rng = np.random.default_rng(seed)
    w1, w2 = np.zeros((L, 4)), np.zeros((L, 4))
    w1[A[0]:A[1]] = rng.normal(size=(6, 4))
    w2[B[0]:B[1]] = rng.normal(size=(6, 4))
    inp = keras.Input((L, 4))
    flat = keras.layers.Flatten()(inp)
    d1, d2 = keras.layers.Dense(1, use_bias=False), keras.layers.Dense(1, use_bias=False)
    out = keras.layers.Multiply()([d1(flat), d2(flat)])
    model = keras.Model(inp, out)
    d1.set_weights([w1.reshape(-1, 1)])
    d2.set_weights([w2.reshape(-1, 1)])
    return model, w1, w2


def _x(n, seed):
    return np.eye(4, dtype=np.float32)[np.random.default_rng(seed).integers(0, 4, (n, L))]


@pytest.mark.parametrize("seed", [0, 1])
def test_hvp_closed_form(seed):
    model, w1, w2 = _bilinear(seed)
    x = _x(5, seed)
    v = np.random.default_rng(seed + 5).normal(size=x.shape).astype(np.float32)
    hv = hvp_fn(model, batch_size=2)(x, v)
    a, b = (v * w1).sum((1, 2)), (v * w2).sum((1, 2))
    want = w1[None] * b[:, None, None] + w2[None] * a[:, None, None]
    assert np.allclose(hv, want, atol=1e-4)


def _smooth(seed):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((L, 4))
    h = keras.layers.Conv1D(4, 5, activation="softplus")(inp)
    h = keras.layers.GlobalAveragePooling1D()(h)
    h = keras.layers.Dense(3, activation="tanh")(h)
    return keras.Model(inp, keras.layers.Dense(1, activation="sigmoid")(h))


@pytest.mark.parametrize("seed", [0, 1])
def test_hvp_matches_finite_differences(seed):
    model = _smooth(seed)
    x = _x(3, seed)
    v = np.random.default_rng(seed).normal(size=x.shape).astype(np.float32)
    g = gradient_fn(model)
    eps = 1e-2
    fd = (g(x + eps * v).astype(np.float64) - g(x - eps * v)) / (2 * eps)
    hv = hvp_fn(model)(x, v)
    assert np.allclose(hv, fd, atol=2e-3 * np.abs(fd).max())


def _relu_model():
    keras.utils.set_random_seed(0)
    inp = keras.Input((L, 4))
    h = keras.layers.Conv1D(4, 5, activation="relu")(inp)
    h = keras.layers.MaxPooling1D(2)(h)
    h = keras.layers.Conv1D(3, 3)(h)
    h = keras.layers.ReLU()(h)
    h = keras.layers.GlobalMaxPooling1D()(h)
    return keras.Model(inp, keras.layers.Dense(1)(h))


def test_softplus_surrogate():
    model = _relu_model()
    assert len(piecewise_linear_layers(model)) == 4
    x = _x(4, 0)
    with pytest.warns(SurrogateWarning):
        h0 = hvp_fn(model)(x, np.ones_like(x))
    assert np.allclose(h0, 0, atol=1e-6)  # exact Hessian of a ReLU/max-pool net
    with pytest.warns(SurrogateWarning, match="softplus"):
        twin = softplus_surrogate(model, beta=50.0)
    assert piecewise_linear_layers(twin) == []
    for a, b in zip(model.get_weights(), twin.get_weights()):
        assert np.array_equal(a, b)
    y0, y1 = model.predict(x, verbose=0), twin.predict(x, verbose=0)
    assert np.allclose(y0, y1, atol=0.1 * np.abs(y0).max() + 0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SurrogateWarning)
        h1 = hvp_fn(twin)(x, np.ones_like(x))
    assert np.abs(h1).max() > 1e-4
    with pytest.raises(InputError, match="beta"):
        softplus_surrogate(model, beta=0)


def test_attribution_fn_and_bad_input():
    from kgenint.attribution import gradient_x_input

    model = _smooth(0)
    x = _x(3, 0)
    got = attribution_fn(model, "gradient_x_input")(x)
    assert np.allclose(got, gradient_x_input(model, x), atol=1e-6)
    with pytest.raises(InputError, match="method"):
        attribution_fn(model, "lime")
    with pytest.raises(InputError, match="task"):
        hvp_fn(model, task=2)


def test_block_hessian_detector_through_keras():
    model, w1, w2 = _bilinear(0)
    w1, w2 = np.abs(w1), np.abs(w2)
    model.layers[2].set_weights([w1.reshape(-1, 1)])
    model.layers[3].set_weights([w2.reshape(-1, 1)])
    x = _x(8, 0)
    x[:, A[0]:A[1]] = np.eye(4, dtype=np.float32)[w1[A[0]:A[1]].argmax(1)]
    x[:, B[0]:B[1]] = np.eye(4, dtype=np.float32)[w2[B[0]:B[1]].argmax(1)]
    hits = pd.DataFrame([(s, *A, "+", "P") for s in range(8)] + [(s, *B, "+", "Q") for s in range(8)],
                        columns=["seq", "start", "end", "strand", "motif"])
    tab = hessian_pairs(hvp_fn(model), x, hits, n_steps=2, n_null=2)
    u, v = (x * w1).sum((1, 2)), (x * w2).sum((1, 2))
    r = tab.iloc[0]
    assert r.effect == pytest.approx(float((u * v / 2).mean()), rel=1e-4)
    assert r.p_value < 1e-3
