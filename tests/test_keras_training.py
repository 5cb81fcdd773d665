"""kgenint.keras.training and ``kgenint train``: metrics against brute force, HDF5 reading, a short
training run that learns a planted motif, the command line, atomic writes."""
import json
import os

import h5py
import numpy as np
import pytest

keras = pytest.importorskip("keras")

import kgenint  # noqa: E402
from kgenint.cli import main  # noqa: E402
from kgenint.errors import FormatError, InputError  # noqa: E402
from kgenint.keras.training import (  # noqa: E402
    shuffled_batches,
    auprc,
    auroc,
    cooldown_schedule,
    evaluate_predictions,
    metrics_path,
    read_training_data,
    save_model_atomic,
    train_model,
)

SITE = np.array([3, 2, 0, 1, 3, 1, 0])  # TGACTCA


def planted(n, length=60, seed=0):
    """Random one-hot sequences; label 1 sequences carry TGACTCA (either strand)."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, 4, (n, length))
    y = rng.integers(0, 2, n)
    for i in np.flatnonzero(y):
        p = rng.integers(0, length - 7)
        idx[i, p : p + 7] = SITE if rng.random() < 0.5 else (3 - SITE)[::-1]
    return np.eye(4, dtype=np.float32)[idx], y


def brute_auroc(y, s):
    pos, neg = s[y == 1], s[y == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (pos.size * neg.size)


def brute_ap(y, s):
    """Average precision: sum over thresholds of (recall step) x precision."""
    n_pos = y.sum()
    ap = 0.0
    prev_recall = 0.0
    for t in np.sort(np.unique(s))[::-1]:
        sel = s >= t
        tp = (y[sel] == 1).sum()
        recall = tp / n_pos
        ap += (recall - prev_recall) * tp / sel.sum()
        prev_recall = recall
    return ap


# ----------------------------------------------------------------------------- metrics
def test_auroc_auprc_against_brute_force():
    rng = np.random.default_rng(1)
    for _ in range(20):
        n = int(rng.integers(5, 60))
        y = rng.integers(0, 2, n)
        y[0], y[1] = 0, 1
        s = np.round(rng.normal(size=n) + y * rng.random(), 1)  # ties on purpose
        assert auroc(y, s) == pytest.approx(brute_auroc(y, s), abs=1e-12)
        assert auprc(y, s) == pytest.approx(brute_ap(y, s), abs=1e-12)


def test_metrics_hand_cases():
    assert auroc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert auroc([0, 0, 1, 1], [0.4, 0.3, 0.2, 0.1]) == 0.0
    assert auprc([0, 1, 0, 1], [0.1, 0.9, 0.8, 0.2]) == pytest.approx(0.5 * 1.0 + 0.5 * 2 / 3)
    assert np.isnan(auroc([1, 1], [0.1, 0.2])) and np.isnan(auprc([0, 0], [0.1, 0.2]))
    truth = np.c_[[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]
    m = evaluate_predictions(truth, np.c_[[2.0, 4.0, 6.0], [0.0, 1.0, 0.0]], "continuous")
    assert m["pearson_per_task"] == pytest.approx([1.0, 1.0]) and m["n"] == 3


# ----------------------------------------------------------------------------- data
def _write(path, x, y, split=True, plain_y=False):
    with h5py.File(path, "w") as f:
        f["x"] = x.astype(np.uint8)
        if plain_y:
            f["y"] = y
        else:
            f["y/class"] = y.astype(np.int8)
            f["y/continuous"] = (y + 0.1 * np.arange(len(y)) % 1).astype(np.float32)
        if split:
            n = len(y)
            f["split/train"] = np.arange(0, n - 40)
            f["split/valid"] = np.arange(n - 40, n - 20)
            f["split/test"] = np.arange(n - 20, n)


def test_read_training_data(tmp_path):
    x, y = planted(100)
    _write(tmp_path / "d.h5", x, y)
    d = read_training_data(tmp_path / "d.h5")
    assert d.target == "class" and d.x.dtype == np.float32 and d.y.shape == (100, 1)
    np.testing.assert_array_equal(d.x, x)
    np.testing.assert_array_equal(d.split["test"], np.arange(80, 100))
    assert read_training_data(tmp_path / "d.h5", target="continuous").target == "continuous"
    _write(tmp_path / "plain.h5", x, y.astype(np.float32) * 2.5, split=False, plain_y=True)
    p = read_training_data(tmp_path / "plain.h5", seed=3)
    assert p.target == "continuous"
    parts = np.concatenate([p.split[k] for k in ("train", "valid", "test")])
    np.testing.assert_array_equal(np.sort(parts), np.arange(100))
    np.testing.assert_array_equal(read_training_data(tmp_path / "plain.h5", seed=3).split["valid"], p.split["valid"])


def test_read_training_data_bad_files(tmp_path):
    with h5py.File(tmp_path / "nox.h5", "w") as f:
        f["y"] = np.zeros(3)
    with pytest.raises(FormatError, match="nox.h5: no '/x' dataset"):
        read_training_data(tmp_path / "nox.h5")
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(FormatError, match="not an HDF5 file"):
        read_training_data(tmp_path / "text.h5")
    x, y = planted(10)
    with h5py.File(tmp_path / "three.h5", "w") as f:
        f["x"] = x
        f["y/class"] = np.arange(10) % 3
    with pytest.raises(InputError, match="not binary \\(0/1\\) at sequence 2"):
        read_training_data(tmp_path / "three.h5")
    with pytest.raises(FileNotFoundError):
        read_training_data(tmp_path / "missing.h5")


# ----------------------------------------------------------------------------- training
@pytest.mark.slow
def test_train_model_learns_planted_motif():
    x, y = planted(1200, seed=2)
    xt, yt = planted(300, seed=3)
    model, history, metrics = train_model(
        x, y, arch="deepbind", x_test=xt, y_test=yt, epochs=12, batch_size=32, patience=4, seed=0,
        model_kwargs={"n_filters": 8, "kernel_size": 9}, progress=False, learning_rate=3e-3,
    )
    assert metrics["evaluated_on"] == "test" and metrics["target"] == "class"
    assert metrics["auroc"] > 0.9, metrics
    assert len(history.history["val_auroc"]) == metrics["epochs_trained"]
    assert metrics["monitored"] == "val_auroc"
    assert model.get_layer("output").activation.__name__ == "sigmoid"


def test_train_model_continuous_and_seeded():
    x, y = planted(200, seed=4)
    yc = y + np.random.default_rng(0).normal(0, 0.1, y.size)
    runs = [
        train_model(x, yc, arch="deepbind", epochs=2, seed=7, progress=False, model_kwargs={"n_filters": 4})
        for _ in range(2)
    ]
    assert runs[0][2]["target"] == "continuous" and "pearson" in runs[0][2]
    assert runs[0][0].get_layer("output").activation.__name__ == "linear"
    np.testing.assert_allclose(runs[0][1].history["loss"], runs[1][1].history["loss"], rtol=1e-5)


@pytest.mark.parametrize("seed", [0, 1])
def test_training_batches_cover_every_row_once_per_epoch(seed):
    """The fit pipeline: each epoch is a permutation of all rows (last batch partial), pairs
    stay aligned, epochs differ, the same seed gives the same epochs, and unshuffled is in order."""
    rng = np.random.default_rng(seed)
    n, b = 203, 16
    x = rng.normal(size=(n, 5, 4)).astype(np.float32)
    y = np.arange(n, dtype=np.float32)[:, None]

    def epochs(ds, k=3):
        out = []
        for _ in range(k):
            xs, ys = zip(*[(xb.numpy(), yb.numpy()) for xb, yb in ds])
            assert [len(v) for v in ys] == [b] * (n // b) + [n % b]
            rows = np.concatenate(ys)[:, 0].astype(int)
            np.testing.assert_array_equal(np.concatenate(xs), x[rows])  # x and y gathered together
            out.append(rows)
        return out

    a = epochs(shuffled_batches(x, y, b, seed=seed))
    for rows in a:
        np.testing.assert_array_equal(np.sort(rows), np.arange(n))
    assert not np.array_equal(a[0], a[1]) and not np.array_equal(a[1], a[2])
    again = epochs(shuffled_batches(x, y, b, seed=seed))
    for r1, r2 in zip(a, again):
        np.testing.assert_array_equal(r1, r2)
    other = epochs(shuffled_batches(x, y, b, seed=seed + 10), k=1)
    assert not np.array_equal(a[0], other[0])
    for rows in epochs(shuffled_batches(x, y, b), k=2):
        np.testing.assert_array_equal(rows, np.arange(n))


@pytest.mark.parametrize("seed", [0, 1])
def test_train_model_reshuffles_every_epoch(seed):
    """The rows each training step receives, recorded inside the model: every epoch is a
    permutation of the training set, the epochs differ (Keras's own NumPy path repeats one
    permutation after set_random_seed), and the same seed repeats the whole schedule."""
    import tensorflow as tf

    n, b, ep = 48, 8, 3

    def rows_seen():
        seen = []

        class Record(keras.layers.Layer):
            def call(self, v):
                tf.py_function(lambda t: seen.append(t.numpy().argmax(-1) @ np.array([16, 4, 1])), [v], [])
                return v

        inp = keras.Input((3, 4))
        out = keras.layers.Dense(1)(keras.layers.Flatten()(Record()(inp)))
        digits = np.arange(n)[:, None] // np.array([16, 4, 1]) % 4  # the row number, in base 4, as DNA
        x = np.eye(4, dtype=np.float32)[digits]
        train_model(x, np.ones(n, np.float32) + np.arange(n) % 3, model=keras.Model(inp, out), x_valid=x[:b],
                    y_valid=np.ones(b, np.float32), epochs=ep, batch_size=b, patience=ep + 1, seed=seed,
                    progress=False)  # patience > epochs: every epoch runs
        steps = [s for s in seen if len(s) == b]
        # per epoch n / b training steps and one validation step, then train_model's test prediction
        assert len(steps) == ep * (n // b + 1) + 1
        np.testing.assert_array_equal(steps[-1], np.arange(b))  # x_test defaults to x_valid = x[:b]
        # per epoch: n / b training steps, then one validation step of rows 0..b-1
        per_epoch = [np.concatenate(steps[e * (n // b + 1): e * (n // b + 1) + n // b]) for e in range(ep)]
        return per_epoch

    a = rows_seen()
    for rows in a:
        np.testing.assert_array_equal(np.sort(rows), np.arange(n))
    assert not np.array_equal(a[0], a[1]) and not np.array_equal(a[1], a[2])
    for r1, r2 in zip(a, rows_seen()):
        np.testing.assert_array_equal(r1, r2)


def test_cooldown_schedule_hand_computed():
    lr = cooldown_schedule(1e-2, 8)  # 2 cooldown epochs: 6 and 7 (0-based), half-way then 1/100
    np.testing.assert_allclose([lr(e) for e in range(8)], [1e-2] * 6 + [5.05e-3, 1e-4], rtol=1e-12)
    lr = cooldown_schedule(3e-3, 18)  # round(4.5) = 4 cooldown epochs, steps of (3e-3 - 3e-5) / 4
    assert [lr(e) for e in range(14)] == [3e-3] * 14
    np.testing.assert_allclose([lr(e) for e in range(14, 18)], [2.2575e-3, 1.515e-3, 7.725e-4, 3e-5], rtol=1e-12)
    assert cooldown_schedule(1e-3, 1)(0) == pytest.approx(1e-5)


def test_train_model_cooldown_schedule_is_applied(recwarn):
    x, y = planted(64, seed=6)
    yc = np.random.default_rng(2).normal(0, 1, y.size)
    _, history, _ = train_model(x, yc, arch="deepbind", epochs=4, patience=10, seed=0, progress=False,
                                learning_rate=1e-2, schedule="cooldown", model_kwargs={"n_filters": 4})
    # nothing from Keras on the user's screen (fit's default shuffle=True warns for a dataset)
    assert not [w for w in recwarn if "shuffle" in str(w.message)], [str(w.message) for w in recwarn]
    np.testing.assert_allclose(history.history["learning_rate"], [1e-2, 1e-2, 1e-2, 1e-4], rtol=1e-6)
    with pytest.raises(InputError, match="schedule must be one of"):
        train_model(x, yc, arch="deepbind", epochs=1, schedule="cosine", progress=False)
    # a learning-rate callback of the caller's replaces the schedule (both would set the rate)
    mine = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 5e-3)
    _, history, _ = train_model(x, yc, arch="deepbind", epochs=4, patience=10, seed=0, progress=False,
                                learning_rate=1e-2, schedule="cooldown", callbacks=[mine],
                                model_kwargs={"n_filters": 4})
    np.testing.assert_allclose(history.history["learning_rate"], [5e-3] * 4, rtol=1e-6)
    from kgenint.cli.cmd_train import _SCHEDULES
    from kgenint.keras.training import SCHEDULES

    assert _SCHEDULES == SCHEDULES  # the CLI's copy (kept so --help does not import Keras)


def test_train_model_reduces_learning_rate_on_plateau():
    x, y = planted(64, seed=5)
    yc = np.random.default_rng(1).normal(0, 1, y.size)  # pure noise: validation loss plateaus
    _, history, metrics = train_model(
        x, yc, arch="interaction", epochs=6, patience=4, seed=0, progress=False, learning_rate=1e-2,
        model_kwargs={"n_filters": 4, "n_filters2": 4, "hidden": 4},
    )
    lr = np.asarray(history.history["learning_rate"])
    assert metrics["arch"] == "interaction"
    if metrics["epochs_trained"] - metrics["best_epoch"] >= 2:  # 2 = patience // 2 epochs idle
        assert lr[-1] < lr[0]
    assert np.all(lr >= 1e-2 / 100 - 1e-12)
    # patience < 2 adds no schedule (Keras then logs no learning rate at all)
    _, h2, _ = train_model(x, yc, arch="deepbind", epochs=2, patience=1, seed=0, progress=False,
                           learning_rate=1e-2, model_kwargs={"n_filters": 4})
    assert "learning_rate" not in h2.history


def test_train_model_bad_input():
    x, y = planted(20)
    with pytest.raises(InputError, match="x has 20 sequences but y has 19 rows"):
        train_model(x, y[:19])
    with pytest.raises(InputError, match="Unknown architecture"):
        train_model(x, y, arch="transformer")
    with pytest.raises(InputError, match="epochs must be an integer >= 1"):
        train_model(x, y, epochs=0)
    with pytest.raises(InputError, match="not one-hot"):
        train_model(x * 2, y)


# ----------------------------------------------------------------------------- files + CLI
def test_save_model_atomic(tmp_path):
    model = kgenint.keras.deepbind(20)
    out = save_model_atomic(model, tmp_path / "sub" / "m.keras")
    assert sorted(os.listdir(tmp_path / "sub")) == ["m.keras"]
    assert kgenint.load_model(out).name == "deepbind"
    with pytest.raises(InputError, match="must end in '.keras'"):
        save_model_atomic(model, tmp_path / "m.h5")
    assert metrics_path(tmp_path / "m.keras").name == "m.metrics.json"


def test_cli_train(tmp_path, capsys):
    x, y = planted(240, seed=5)
    _write(tmp_path / "d.h5", x, y)
    out = tmp_path / "model.keras"
    rc = main(["train", "--data", str(tmp_path / "d.h5"), "--arch", "deepbind", "--out", str(out),
               "--epochs", "2", "--n-filters", "4", "--quiet"])
    assert rc == 0
    captured = capsys.readouterr()
    assert captured.out == ""  # logs go to stderr
    metrics = json.loads((tmp_path / "model.metrics.json").read_text())
    assert metrics["evaluated_on"] == "test" and metrics["n"] == 20 and 0 <= metrics["auroc"] <= 1
    assert len(metrics["history"]["loss"]) == metrics["epochs_trained"]
    model = kgenint.load_model(out)
    assert model.get_layer("conv1").filters == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.h5", "model.keras", "model.metrics.json"]
    rc = main(["train", "--data", str(tmp_path / "d.h5"), "--out", str(tmp_path / "m.h5")])
    assert rc == 1 and "--out must end in '.keras'" in capsys.readouterr().err
    rc = main(["train", "--data", str(tmp_path / "none.h5"), "--out", str(tmp_path / "other.keras")])
    assert rc == 1 and "No training data file" in capsys.readouterr().err
    rc = main(["train", "--data", str(tmp_path / "d.h5"), "--out", str(out)])  # a trained model is never replaced
    assert rc == 1 and "--overwrite" in capsys.readouterr().err
