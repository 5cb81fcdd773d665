"""The reference architectures against naive twins written layer by layer from their docstrings.

Each twin builds the same stack with plain Keras calls, in the same order, with no helper shared
with :mod:`kgenint.keras.models`. Built after the same ``keras.utils.set_random_seed``, a builder
and its twin must agree on every layer's name, class, config and output shape and on every
initial weight to the bit: saved ``.keras`` models (and the demo's ``interaction_cnn``) keep
loading and training from the same start whatever the builders' internals become.
"""
import itertools

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kgenint.keras import models  # noqa: E402
from kgenint.keras.layers import ExpActivation, RevCompConv1D  # noqa: E402

kl = keras.layers


# ----------------------------------------------------------------------------- naive twins
def _conv1(x, n_filters, kernel_size, act, rc, padding, bn):
    if rc:
        if padding == "same" and kernel_size % 2 == 0:
            kernel_size += 1
        h = RevCompConv1D(n_filters, kernel_size, padding=padding, merge="max", name="conv1")(x)
    else:
        h = kl.Conv1D(n_filters, kernel_size, padding=padding, name="conv1")(x)
    if bn:
        h = kl.BatchNormalization(momentum=0.9, name="conv1_bn")(h)
    if act == "exponential":
        return ExpActivation(max_value=20.0, name="conv1_act")(h)
    return kl.Activation("relu", name="conv1_act")(h)


def _dense_head(h, inp, name, T, out_act, hidden, dropout, bn):
    if hidden:
        h = kl.Dense(hidden, name="dense1")(h)
        if bn:
            h = kl.BatchNormalization(momentum=0.9, name="dense1_bn")(h)
        h = kl.Activation("relu", name="dense1_act")(h)
        if dropout:
            h = kl.Dropout(dropout, name="dense1_dropout")(h)
    out = kl.Activation(out_act, name="output")(kl.Dense(T, name="logits")(h))
    return keras.Model(inp, out, name=name)


def naive_deepbind(L, T=1, n_filters=16, kernel_size=15, first_activation="relu", rc_equivariant=False,
                   hidden=32, dropout=0.1, output_activation="sigmoid"):
    inp = keras.Input((L, 4), name="sequence")
    h = _conv1(inp, n_filters, kernel_size, first_activation, rc_equivariant, "valid", False)
    h = kl.GlobalMaxPooling1D(name="global_max_pool")(h)
    return _dense_head(h, inp, "deepbind", T, output_activation, hidden, dropout, False)


def naive_local_cnn(L, T=1, n_filters=64, kernel_size=19, pool_size=25, first_activation="exponential",
                    rc_equivariant=False, n_filters2=64, hidden=64, dropout=0.4, output_activation="sigmoid"):
    inp = keras.Input((L, 4), name="sequence")
    h = _conv1(inp, n_filters, kernel_size, first_activation, rc_equivariant, "same", True)
    h = kl.MaxPooling1D(pool_size, name="pool1")(h)
    if dropout:
        h = kl.Dropout(dropout / 2, name="pool1_dropout")(h)
    h = kl.Conv1D(n_filters2, 5, padding="same", dilation_rate=1, name="conv2")(h)
    h = kl.BatchNormalization(momentum=0.9, name="conv2_bn")(h)
    h = kl.Activation("relu", name="conv2_act")(h)
    h = kl.GlobalMaxPooling1D(name="global_max_pool")(h)
    return _dense_head(h, inp, "local_cnn", T, output_activation, hidden, dropout, True)


def naive_distributed_cnn(L, T=1, n_filters=32, kernel_size=19, pool_size=2, first_activation="relu",
                          rc_equivariant=False, n_filters2=32, hidden=64, dropout=0.4,
                          output_activation="sigmoid"):
    inp = keras.Input((L, 4), name="sequence")
    h = _conv1(inp, n_filters, kernel_size, first_activation, rc_equivariant, "same", True)
    h = kl.MaxPooling1D(pool_size, name="pool1")(h)
    for i in (2, 3):
        h = kl.Conv1D(n_filters2, 5, padding="same", dilation_rate=1, name=f"conv{i}")(h)
        h = kl.BatchNormalization(momentum=0.9, name=f"conv{i}_bn")(h)
        h = kl.Activation("relu", name=f"conv{i}_act")(h)
        h = kl.MaxPooling1D(4, name=f"pool{i}")(h)
        if dropout:
            h = kl.Dropout(dropout / 2, name=f"pool{i}_dropout")(h)
    h = kl.GlobalMaxPooling1D(name="global_max_pool")(h)
    return _dense_head(h, inp, "distributed_cnn", T, output_activation, hidden, dropout, True)


def naive_basset(L, T=1, n_filters=32, kernel_size=19, first_activation="relu", rc_equivariant=False,
                 hidden=64, dropout=0.3, output_activation="sigmoid"):
    inp = keras.Input((L, 4), name="sequence")
    h = _conv1(inp, n_filters, kernel_size, first_activation, rc_equivariant, "same", True)
    h = kl.MaxPooling1D(3, name="pool1")(h)
    for i, width in ((2, 11), (3, 7)):
        h = kl.Conv1D(n_filters, width, padding="same", name=f"conv{i}")(h)
        h = kl.BatchNormalization(momentum=0.9, name=f"conv{i}_bn")(h)
        h = kl.Activation("relu", name=f"conv{i}_act")(h)
        h = kl.MaxPooling1D(4, name=f"pool{i}")(h)
    h = kl.Flatten(name="flatten")(h)
    h = kl.Dense(hidden, activation="relu", name="dense0")(h)
    if dropout:
        h = kl.Dropout(dropout, name="dense0_dropout")(h)
    return _dense_head(h, inp, "basset", T, output_activation, hidden, dropout, False)


def naive_bpnet(L, T=1, n_filters=32, kernel_size=25, n_dilated=4, first_activation="relu",
                rc_equivariant=False, output_activation="sigmoid"):
    inp = keras.Input((L, 4), name="sequence")
    h = _conv1(inp, n_filters, kernel_size, first_activation, rc_equivariant, "same", False)
    for i in range(1, n_dilated + 1):
        c = kl.Conv1D(n_filters, 3, padding="same", dilation_rate=2**i, activation="relu", name=f"dil_conv{i}")(h)
        h = kl.Add(name=f"residual{i}")([h, c])
    h = kl.GlobalAveragePooling1D(name="global_avg_pool")(h)
    return _dense_head(h, inp, "bpnet", T, output_activation, 0, 0.0, False)


def naive_interaction_cnn(L, T=1, n_filters=64, kernel_size=15, pool_size=4, first_activation="exponential",
                          rc_equivariant=False, n_filters2=32, kernel_size2=7, dilation3=4, hidden=64,
                          dropout=0.4, output_activation="sigmoid"):
    inp = keras.Input((L, 4), name="sequence")
    h = _conv1(inp, n_filters, kernel_size, first_activation, rc_equivariant, "same", True)
    h = kl.MaxPooling1D(pool_size, name="pool1")(h)
    if dropout:
        h = kl.Dropout(dropout / 4, name="pool1_dropout")(h)
    h2 = kl.Conv1D(n_filters2, kernel_size2, padding="same", dilation_rate=1, name="conv2")(h)
    h2 = kl.BatchNormalization(momentum=0.9, name="conv2_bn")(h2)
    h2 = kl.Activation("relu", name="conv2_act")(h2)
    h3 = kl.Conv1D(n_filters2, 5, padding="same", dilation_rate=dilation3, name="conv3")(h2)
    h3 = kl.BatchNormalization(momentum=0.9, name="conv3_bn")(h3)
    h3 = kl.Activation("relu", name="conv3_act")(h3)
    h = kl.Add(name="residual3")([h2, h3])
    h = kl.Concatenate(name="global_pools")(
        [kl.GlobalMaxPooling1D(name="global_max_pool")(h), kl.GlobalAveragePooling1D(name="global_avg_pool")(h)]
    )
    return _dense_head(h, inp, "interaction_cnn", T, output_activation, hidden, dropout, True)


# ----------------------------------------------------------------------------- comparison
def _built(fn, seed, *args, **kwargs):
    keras.utils.set_random_seed(seed)
    return fn(*args, **kwargs)


def _assert_same_model(got, want):
    assert got.name == want.name
    assert [lay.name for lay in got.layers] == [lay.name for lay in want.layers]
    for a, b in zip(got.layers, want.layers):
        assert type(a) is type(b), a.name
        assert a.get_config() == b.get_config(), a.name
        assert tuple(a.output.shape) == tuple(b.output.shape), a.name
    assert [w.path for w in got.weights] == [w.path for w in want.weights]
    for a, b in zip(got.weights, want.weights):
        x, y = np.asarray(a.numpy()), np.asarray(b.numpy())
        assert x.dtype == y.dtype and np.array_equal(x, y), a.path


CASES = {
    "deepbind": (60, [{}, {"hidden": 0}, {"dropout": 0.0, "kernel_size": 8}]),
    "local_cnn": (100, [{}, {"dropout": 0.0, "pool_size": 10}, {"kernel_size": 8, "n_filters2": 5}]),
    "distributed_cnn": (100, [{}, {"dropout": 0.0, "kernel_size": 8}]),
    "basset": (100, [{}, {"dropout": 0.0, "kernel_size": 8}]),
    "bpnet": (100, [{}, {"n_dilated": 0}, {"n_dilated": 2, "kernel_size": 8}]),
    "interaction_cnn": (100, [{}, {"dropout": 0.0}, {"dilation3": 2, "kernel_size": 12, "kernel_size2": 3}]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_builders_match_their_naive_twins_to_the_bit(name):
    length, extras = CASES[name]
    fn, twin = getattr(models, name), globals()[f"naive_{name}"]
    for extra, rc, act, (out_act, T) in itertools.product(
        extras, (False, True), ("relu", "exponential"), (("sigmoid", 1), ("linear", 3))
    ):
        kw = dict(first_activation=act, rc_equivariant=rc, output_activation=out_act, **extra)
        _assert_same_model(_built(fn, 11, length, T, **kw), _built(twin, 11, length, T, **kw))


def test_the_twin_check_can_fail():
    # a different seed, or one layer option changed, is caught
    a = _built(models.deepbind, 1, 60)
    with pytest.raises(AssertionError):
        _assert_same_model(a, _built(naive_deepbind, 2, 60))
    with pytest.raises(AssertionError):
        _assert_same_model(_built(models.local_cnn, 1, 100), _built(naive_local_cnn, 1, 100, dropout=0.2))


def test_build_model_names_and_the_demo_architecture():
    # build_model dispatches by name; the demo's model (interaction, class target) is the twin's
    for arch, name in (("deepbind", "deepbind"), ("local", "local_cnn"), ("distributed", "distributed_cnn"),
                       ("basset", "basset"), ("bpnet", "bpnet"), ("interaction", "interaction_cnn")):
        assert models.ARCHITECTURES[arch] is getattr(models, name)
    _assert_same_model(_built(models.build_model, 0, "interaction", 200, 1, first_activation="exponential"),
                       _built(naive_interaction_cnn, 0, 200, 1))


@pytest.mark.parametrize("name", [*sorted(CASES), "build_model"])
def test_shared_parameter_docs_are_filled_in(name):
    import inspect
    import re

    fn = getattr(models, name)
    doc = inspect.getdoc(fn)
    assert not re.search(r"^\s*\{\w+\}\s*$", doc, flags=re.M)  # every placeholder replaced
    params = doc.split("Parameters\n----------\n")[1].split("\n\n")[0]
    documented = set(re.findall(r"^(\*{0,2}\w+)(?: :|$)", params, flags=re.M))  # "name : type" or "**kwargs"
    sig = {("**" + p.name) if p.kind is p.VAR_KEYWORD else p.name for p in inspect.signature(fn).parameters.values()}
    assert documented == sig
    if name != "build_model":
        assert "Returns\n-------\nkeras.Model\n    Functional model ``(N, L, 4) -> (N, T)``." in doc
