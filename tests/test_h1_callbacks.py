"""The training callbacks use the library's public functions: attributions from
:mod:`kgenint.attribution`, AUROC/AUPRC from :mod:`kgenint.evaluate`, one check of the head, task
and logits they read (old keyword names included)."""
import warnings

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kgenint import attribution, evaluate  # noqa: E402
from kgenint.errors import InputError  # noqa: E402
from kgenint.keras import training  # noqa: E402
from kgenint.keras.callback_features import FeatureMonitor  # noqa: E402
from kgenint.keras.callbacks import AttributionMonitor, InteractionMonitor  # noqa: E402
from kgenint.motifs.motif import Motif  # noqa: E402

L = 40
AP1 = Motif.from_consensus("TGACTCA", name="AP1")
EBOX = Motif.from_consensus("CACGTG", name="EBOX")


def onehot(n, seed=0):
    return np.eye(4, dtype=np.float32)[np.random.default_rng(seed).integers(0, 4, (n, L))]


def small_cnn(seed=0):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((L, 4))
    h = keras.layers.Conv1D(4, 5, activation="relu")(inp)
    h = keras.layers.GlobalMaxPooling1D()(h)
    logits = keras.layers.Dense(2, name="logits")(h)
    return keras.Model(inp, keras.layers.Activation("sigmoid", name="output")(logits))


@pytest.mark.parametrize("method,public", [("grad_x_input", "gradient_x_input"), ("saliency", "input_gradients")])
def test_attribution_monitor_maps_are_the_public_functions(method, public):
    x, model = onehot(12, seed=1), small_cnn()
    mon = AttributionMonitor(x, method=method, task=1, batch_size=5)
    mon.set_model(model)
    mon.on_train_begin()
    want = getattr(attribution, public)(model, x, task=1, correct=True, batch_size=5)
    got = mon.attributions()
    assert got.dtype == np.float32 and np.array_equal(got, want)
    # and they are what they say: the corrected gradient (times the input for grad_x_input)
    xt = keras.ops.convert_to_tensor(x)
    import tensorflow as tf

    sub = keras.Model(model.inputs, model.get_layer("logits").output)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = tf.reduce_sum(sub(xt)[:, 1])
    g = tape.gradient(y, xt).numpy()
    g = g - g.mean(-1, keepdims=True)
    np.testing.assert_allclose(got, g * x if method == "grad_x_input" else g, atol=1e-6)


def test_attribution_monitor_scores_without_deprecation_warnings():
    x, model = onehot(10, seed=2), small_cnn(1)
    mask = np.zeros((10, L), bool)
    mask[:, 10:17] = True
    mon = AttributionMonitor(x, mask)
    mon.set_model(model)
    mon.on_train_begin()
    logs = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        mon.on_epoch_end(0, logs)
    score = np.abs(mon.attributions()).sum(-1)
    assert logs["attr_auroc"] == evaluate.auroc(mask.ravel(), score.ravel())
    assert logs["attr_auprc"] == evaluate.auprc(mask.ravel(), score.ravel())


def test_training_metrics_are_evaluates_in_sklearn_order():
    assert training.auroc is evaluate.auroc and training.auprc is evaluate.auprc
    # binary scores: the old wrapper passed (scores, labels), which evaluate then read as (y_true, y_score)
    y, s = np.array([0, 0, 1, 1]), np.array([0.0, 1.0, 1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert training.auroc(y, s) == pytest.approx(0.75)  # pairs (pos, neg): 1, 1/2, 1, 1/2
        m = training.evaluate_predictions(y[:, None].astype(np.float32), s[:, None], "class")
    assert m["auroc"] == pytest.approx(0.75)


def test_one_target_check_for_every_monitor():
    x = onehot(6)
    pairs = [(AP1, EBOX)]
    makers = {
        "AttributionMonitor": lambda **kw: AttributionMonitor(x, **kw),
        "InteractionMonitor": lambda **kw: InteractionMonitor(x, pairs, distance=10, **kw),
        "FeatureMonitor": lambda **kw: FeatureMonitor(x, [AP1, EBOX], layer=0, **kw),
    }
    for name, make in makers.items():
        with pytest.raises(InputError, match=f"{name}: task='a': a Keras model does not store task names"):
            make(task="a")
        with pytest.raises(InputError, match=f"{name}: task must be a column index >= 0"):
            make(task=-1)
        with pytest.raises(InputError, match="logits must be None, True or False. Received: logits='yes'"):
            make(logits="yes")
        cb = make(task=np.int64(2), head="out", logits=False)
        assert (cb.task, cb.head, cb.logits) == (2, "out", False) and type(cb.task) is int
    for name in ("AttributionMonitor", "InteractionMonitor"):
        with pytest.warns(DeprecationWarning) as rec:
            cb = makers[name](output=1, model_output="hk")
        assert sorted(str(w.message) for w in rec) == [
            f"{name}(): model_output= is deprecated; use head= (docs/api.md).",
            f"{name}(): output= is deprecated; use task= (docs/api.md).",
        ]
        assert (cb.task, cb.head, cb.output, cb.model_output) == (1, "hk", 1, "hk")
        with pytest.raises(InputError, match="give task= only"), pytest.warns(DeprecationWarning):
            makers[name](output=1, task=2)
        with pytest.raises(TypeError, match="unexpected keyword argument 'outputs'"):
            makers[name](outputs=1)
