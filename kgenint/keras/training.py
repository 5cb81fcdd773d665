"""Train a reference architecture on one-hot DNA: data loading, early stopping, test metrics.

The HDF5 training file (written by :mod:`kgenint.simulate`, or by a user) holds

* ``/x`` -- ``(N, L, 4)`` one-hot DNA (uint8 or float32, ACGT);
* ``/y/class`` -- ``(N,)`` or ``(N, T)`` integer labels and/or ``/y/continuous`` -- ``(N,)`` or
  ``(N, T)`` float32 targets; a user file may instead have a single dataset ``/y``;
* optionally ``/split/train``, ``/split/valid``, ``/split/test`` -- integer index arrays.  Without
  them the sequences are split at random (80/10/10, seeded).
"""
from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
from pathlib import Path
from collections.abc import Callable
from typing import Any, NamedTuple

import keras
import numpy as np

from .._io_inputs import open_onehot_hdf5
from .._validate import check_onehot
from ..errors import FormatError, InputError
from ..evaluate.scoring import auprc, auroc  # kgenint.keras.training.auroc/auprc are these
from .models import ARCHITECTURES, build_model

__all__ = [
    "TrainingData",
    "read_training_data",
    "train_model",
    "shuffled_batches",
    "cooldown_schedule",
    "evaluate_predictions",
    "auroc",
    "auprc",
    "save_model_atomic",
    "write_json_atomic",
    "metrics_path",
]

log = logging.getLogger("kgenint")

TARGETS = ("class", "continuous")


class TrainingData(NamedTuple):
    """One-hot sequences, targets and the split of a training file."""

    x: np.ndarray  #: float32 (N, L, 4)
    y: np.ndarray  #: (N, T): float32 0/1 labels for "class", float32 values for "continuous"
    target: str  #: "class" or "continuous"
    split: dict[str, np.ndarray]  #: "train"/"valid"/"test" -> int64 index arrays


# ---------------------------------------------------------------------------- metrics
def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a = np.asarray(a, np.float64).ravel()
    b = np.asarray(b, np.float64).ravel()
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def evaluate_predictions(y_true: Any, y_pred: Any, target: str) -> dict[str, Any]:
    """Per-task and mean test metrics.

    Parameters
    ----------
    y_true : array_like, shape (N, T)
        Labels (``"class"``) or values (``"continuous"``).
    y_pred : array_like, shape (N, T)
        Predictions (probabilities or logits give the same AUROC/AUPRC).
    target : {"class", "continuous"}
        Kind of target.

    Returns
    -------
    dict
        ``"class"``: ``auroc``, ``auprc`` (means over tasks) and per-task lists
        ``auroc_per_task``, ``auprc_per_task``; ``"continuous"``: ``pearson``, ``mse`` and
        ``pearson_per_task``.  ``n`` is the number of sequences.
    """
    yt = np.asarray(y_true).reshape(len(y_true), -1)
    yp = np.asarray(y_pred).reshape(len(y_pred), -1)
    out: dict[str, Any] = {"n": int(yt.shape[0])}
    if target == "class":
        roc = [auroc(yt[:, t], yp[:, t]) for t in range(yt.shape[1])]
        pr = [auprc(yt[:, t], yp[:, t]) for t in range(yt.shape[1])]
        out.update(auroc=_nanmean(roc), auprc=_nanmean(pr), auroc_per_task=roc, auprc_per_task=pr)
    else:
        r = [_pearson(yt[:, t], yp[:, t]) for t in range(yt.shape[1])]
        out.update(pearson=_nanmean(r), mse=float(np.mean((yt - yp) ** 2)), pearson_per_task=r)
    return out


def _nanmean(v: list[float]) -> float:
    a = np.asarray(v, dtype=np.float64)
    return float(np.nanmean(a)) if np.any(np.isfinite(a)) else float("nan")


# ---------------------------------------------------------------------------- data
def _check_target(y: Any, target: str | None, name: str = "y") -> tuple[np.ndarray, str]:
    y = np.asarray(y)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2:
        raise InputError(f"{name} must have shape (N,) or (N, T). Received shape {y.shape}.")
    if not np.issubdtype(y.dtype, np.number) and y.dtype != bool:
        raise InputError(f"{name} must be numeric. Received dtype {y.dtype}.")
    yf = y.astype(np.float64)
    if not np.all(np.isfinite(yf)):
        i, t = np.argwhere(~np.isfinite(yf))[0]
        raise InputError(f"{name} has a non-finite value for sequence {i}, task {t}.")
    binary = bool(np.all((yf == 0) | (yf == 1)))
    if target is None:
        target = "class" if binary else "continuous"
    if target not in TARGETS:
        raise InputError(f"target must be 'class' or 'continuous'. Received: target={target!r}")
    if target == "class" and not binary:
        bad = np.argwhere((yf != 0) & (yf != 1))[0]
        raise InputError(
            f"{name} is not binary (0/1) at sequence {bad[0]}, task {bad[1]} (value {yf[tuple(bad)]:g}). "
            f"Class targets must be 0/1 per task (one column per class for multi-label data); use "
            f"target='continuous' for quantitative values."
        )
    return yf.astype(np.float32), target


def read_training_data(
    path: str | os.PathLike, *, target: str | None = None, seed: int = 0
) -> TrainingData:
    """Read a training HDF5 file (layout in the module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The HDF5 file.
    target : {"class", "continuous"}, optional
        Which of ``/y/class`` and ``/y/continuous`` to train on; ``"class"`` when both exist, and
        inferred from the values for a plain ``/y`` dataset.
    seed : int
        Seed of the random 80/10/10 split when the file has no ``/split`` group.

    Returns
    -------
    TrainingData
    """
    import h5py

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No training data file at {path!r}.")
    needs = "a training file needs '/x' (N, L, 4) one-hot sequences and '/y' targets (see 'kgenint simulate')"
    with open_onehot_hdf5(path, needs) as f:
        x = f["x"][()]
        if "y" not in f:
            raise FormatError("no '/y' targets (a dataset or a group with 'class'/'continuous').", path=path)
        yobj = f["y"]
        if isinstance(yobj, h5py.Dataset):
            y = yobj[()]
        else:
            have = [k for k in TARGETS if k in yobj]
            if not have:
                raise FormatError(
                    f"the '/y' group has neither 'class' nor 'continuous' (it has: {sorted(yobj)}).", path=path
                )
            if target is None:
                target = have[0]
            if target not in TARGETS:
                raise InputError(f"target must be 'class' or 'continuous'. Received: target={target!r}")
            if target not in yobj:
                raise FormatError(f"no '/y/{target}' dataset (the file has: {', '.join(have)}).", path=path)
            y = yobj[target][()]
        split_grp = f.get("split")
        split = None
        if split_grp is not None:
            split = {
                k: np.asarray(split_grp[k][()], dtype=np.int64)
                for k in ("train", "valid", "test")
                if k in split_grp
            }
    x = check_onehot(x, f"{path}:/x")
    y, target = _check_target(y, target, f"{path}:/y")
    n = x.shape[0]
    if y.shape[0] != n:
        raise FormatError(f"'/x' has {n} sequences but '/y' has {y.shape[0]} rows.", path=path)
    if split is None or not {"train", "valid"} <= set(split):
        split = random_split(n, seed=seed)
    for k, idx in split.items():
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise FormatError(f"'/split/{k}' has indices outside 0..{n - 1}.", path=path)
    return TrainingData(x, y, target, split)


def random_split(n: int, *, seed: int = 0, valid: float = 0.1, test: float = 0.1) -> dict[str, np.ndarray]:
    """Seeded random train/valid/test index arrays (fractions of ``n``)."""
    perm = np.random.default_rng(seed).permutation(n)
    n_valid, n_test = max(1, int(round(valid * n))), int(round(test * n))
    return {
        "valid": np.sort(perm[:n_valid]),
        "test": np.sort(perm[n_valid : n_valid + n_test]),
        "train": np.sort(perm[n_valid + n_test :]),
    }


# ---------------------------------------------------------------------------- files
def metrics_path(model_path: str | os.PathLike) -> Path:
    """``model.keras`` -> ``model.metrics.json`` (beside the model)."""
    p = Path(model_path)
    return p.with_name(p.stem + ".metrics.json")


def _umask_mode(path: str) -> None:
    """Give a ``mkstemp`` file (mode 0600) the permissions a plain ``open`` would."""
    um = os.umask(0)
    os.umask(um)
    os.chmod(path, 0o666 & ~um)


def save_model_atomic(model: keras.Model, path: str | os.PathLike) -> Path:
    """``model.save`` to a temporary file in the same folder, then rename over ``path``.

    An interrupted save never leaves a truncated ``.keras`` file at ``path``.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise InputError(f"The model file must end in '.keras' (Keras 3 format). Received: {str(path)!r}")
    from .._io import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=".keras") as tmp:
        os.unlink(tmp)  # keras refuses to overwrite some files silently; give it a fresh name
        model.save(tmp)
    return path


def write_json_atomic(obj: Any, path: str | os.PathLike) -> Path:
    """Write JSON to a temporary file and rename it over ``path``."""
    path = Path(path)
    from .._io import atomic_open

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, "w") as fh:
        json.dump(obj, fh, indent=2, default=_json_default, allow_nan=True)
        fh.write("\n")
    return path


def _json_default(o: Any):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


# ---------------------------------------------------------------------------- training
class EpochProgress(keras.callbacks.Callback):
    """One line per epoch on stderr (or a tqdm bar over epochs when stderr is a terminal)."""

    def __init__(self, epochs: int, *, stream: Any = None):
        super().__init__()
        self.epochs = epochs
        self.stream = stream
        self._bar = None
        self._t0 = 0.0

    def on_train_begin(self, logs=None):
        from ..progress import progress

        bar = progress(total=self.epochs, desc="training", unit="epoch")
        # a bar on a terminal; otherwise this callback writes its own line per epoch (with the metrics)
        self._bar = bar if not getattr(bar, "disable", True) else None
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        shown = {k: v for k, v in logs.items() if isinstance(v, (int, float)) and "/" not in k}
        text = " ".join(f"{k}={v:.4g}" for k, v in shown.items())
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)
            self._bar.update(1)
        else:
            print(
                f"epoch {epoch + 1}/{self.epochs} ({time.perf_counter() - self._t0:.0f} s): {text}",
                file=self.stream or sys.stderr, flush=True,
            )

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()


STRATEGIES = ("default", "mirrored")
SCHEDULES = ("plateau", "cooldown")


def cooldown_schedule(learning_rate: float, epochs: int, cooldown: float = 0.25) -> Callable[[int, float], float]:
    """The ``"cooldown"`` schedule of :func:`train_model`: ``epoch (0-based) -> learning rate``.

    ``learning_rate`` for the first ``epochs - k`` epochs with ``k = max(1, round(cooldown *
    epochs))``, then ``k`` epochs decaying linearly to ``learning_rate / 100`` at the last one.
    The second argument (Keras passes the current rate) is not used.
    """
    k = max(1, round(cooldown * epochs))
    start = epochs - k
    final = learning_rate / 100

    def lr(epoch: int, current: float = 0.0) -> float:
        if epoch < start:
            return float(learning_rate)
        frac = (epoch - start + 1) / k  # 1/k .. 1 over the cooldown epochs
        return float(learning_rate + frac * (final - learning_rate))

    return lr


def _strategy_scope(strategy: Any):
    """``strategy.scope()`` of a ``tf.distribute`` strategy named ``"mirrored"`` or given as an
    object; a null context for ``None``/``"default"``."""
    import contextlib

    if strategy is None or (isinstance(strategy, str) and strategy == "default"):
        return contextlib.nullcontext()
    if isinstance(strategy, str):
        if strategy != "mirrored":
            raise InputError(f"strategy must be one of {', '.join(STRATEGIES)} or a tf.distribute.Strategy. "
                             f"Received: strategy={strategy!r}")
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy()
    if not hasattr(strategy, "scope"):
        raise InputError(f"strategy must be one of {', '.join(STRATEGIES)} or a tf.distribute.Strategy. "
                         f"Received: {type(strategy).__name__}")
    return strategy.scope()


def shuffled_batches(x: Any, y: Any, batch_size: int = 256, *, seed: int | None = None) -> Any:
    """``(x, y)`` batches for ``model.fit`` as a ``tf.data`` pipeline that gathers on one thread.

    What :func:`train_model` feeds to ``fit``; pass it to your own ``model.fit(...)`` (without
    ``batch_size``, with ``shuffle=False``) for the same behaviour.  It avoids two measured
    faults of ``model.fit(x, y, shuffle=True)`` on NumPy arrays (Keras 3.15, TensorFlow 2.21):

    * after ``keras.utils.set_random_seed`` every epoch sees the same permutation, so the model
      is trained on one fixed sequence of batches (``tests/test_keras_training.py`` records the
      rows each step receives; ``benchmarks/bench_fit_feed.py`` shows it);
    * its parallel, autotuned gather competes with the training step's two compute threads on 2
      cores: about one epoch in three ran at half speed (AMD EPYC, demo model, 80,000 sequences:
      mean 19.4 s against 11.8 s per epoch with this pipeline, alternated in one process).

    Gathering 256 sequences takes about 1 ms, so one thread and a one-batch prefetch keep the step
    fed.

    Parameters
    ----------
    x : array_like, shape (N, ...)
        Inputs (one-hot sequences ``(N, L, 4)`` float32 for kgenint's models); held in memory.
    y : array_like, shape (N, ...)
        Targets, row-aligned with ``x``.
    batch_size : int
        Rows per batch; the last batch of an epoch holds the remainder.
    seed : int, optional
        Each epoch (each pass over the dataset) is a new permutation of the rows, the sequence of
        permutations reproducible from ``seed``. ``None``: the rows in order (validation data).

    Returns
    -------
    tf.data.Dataset
        Of ``(x_batch, y_batch)`` tuples.

    Examples
    --------
    >>> model.fit(shuffled_batches(x, y, 128, seed=0), epochs=10, shuffle=False)  # doctest: +SKIP
    """
    import tensorflow as tf

    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise InputError(f"batch_size must be an integer >= 1. Received: batch_size={batch_size!r}")
    x, y = np.asarray(x), np.asarray(y)
    if x.shape[0] != y.shape[0]:
        raise InputError(f"x has {x.shape[0]} rows but y has {y.shape[0]}.")
    n = int(x.shape[0])
    xt, yt = tf.constant(x), tf.constant(y)
    idx = tf.data.Dataset.range(n)
    if seed is not None:
        idx = idx.shuffle(n, seed=int(seed), reshuffle_each_iteration=True)
    ds = idx.batch(int(batch_size)).map(lambda i: (tf.gather(xt, i), tf.gather(yt, i))).prefetch(1)
    opt = tf.data.Options()
    opt.threading.private_threadpool_size = 1
    opt.threading.max_intra_op_parallelism = 1
    opt.autotune.enabled = False
    opt.experimental_optimization.apply_default_optimizations = False
    return ds.with_options(opt)


def train_model(
    x: Any,
    y: Any,
    *,
    arch: str = "local",
    target: str | None = None,
    x_valid: Any = None,
    y_valid: Any = None,
    x_test: Any = None,
    y_test: Any = None,
    valid_fraction: float = 0.1,
    epochs: int = 30,
    batch_size: int = 128,
    patience: int = 5,
    learning_rate: float = 3e-3,
    schedule: str = "plateau",
    model: keras.Model | None = None,
    model_kwargs: dict | None = None,
    callbacks: list | None = None,
    seed: int = 0,
    progress: bool = True,
    strategy: Any = None,
    **deprecated: Any,
) -> tuple[keras.Model, keras.callbacks.History, dict[str, Any]]:
    """Train a reference architecture (or a given model) with early stopping.

    Parameters
    ----------
    x : array_like, float32, shape (N, L, 4)
        Training sequences, one-hot ACGT.
    y : array_like, shape (N,) or (N, T)
        Targets: 0/1 labels (``target="class"``) or values (``"continuous"``).
    arch : {"deepbind", "local", "distributed", "basset", "bpnet", "interaction"}
        Architecture built with :func:`kgenint.keras.models.build_model` (ignored if ``model``).
    target : {"class", "continuous"}, optional
        Inferred from ``y`` when omitted (0/1 values mean ``"class"``).
    x_valid, y_valid : array_like, optional
        Validation set for early stopping; otherwise ``valid_fraction`` of ``x`` is held out.
    x_test, y_test : array_like, optional
        Test set for the returned metrics; the validation set is used when omitted (and
        ``metrics["evaluated_on"]`` says so).
    valid_fraction : float
        Fraction of ``x`` held out for validation when ``x_valid`` is not given.
    epochs : int
        Maximum number of epochs.
    batch_size : int
        Sequences per gradient step.
    patience : int
        Epochs without improvement before stopping (validation AUROC for class targets,
        validation loss for continuous ones); the best weights are restored.  With
        ``patience >= 2`` and ``schedule="plateau"`` the learning rate is also cut 3x after
        ``patience // 2`` epochs without improvement (``ReduceLROnPlateau``, down to
        ``learning_rate / 100``).
    learning_rate : float
        Adam learning rate (the starting one).
    schedule : {"plateau", "cooldown"}
        ``"plateau"``: the learning rate is cut 3x when the monitored metric stalls (see
        ``patience``), so when the cuts come depends on epoch-to-epoch noise of the validation
        metric.  ``"cooldown"``: a fixed budget -- ``learning_rate`` for the first 3/4 of
        ``epochs``, then a linear decay to ``learning_rate / 100`` over the last quarter
        (constant-then-cooldown, which matches a cosine schedule at a fixed budget: Hägele et
        al. 2024, arXiv:2405.18392); early stopping still keeps the best epoch.  Either way, a
        ``ReduceLROnPlateau`` or ``LearningRateScheduler`` in ``callbacks`` replaces the schedule
        (two would overwrite each other's rate every epoch).
    model : keras.Model, optional
        A model to train instead of building ``arch``; it is compiled here.
    model_kwargs : dict, optional
        Passed to the architecture function (``n_filters``, ``first_activation`` ...).
    callbacks : list of keras.callbacks.Callback, optional
        Extra callbacks (e.g. :class:`~kgenint.keras.callbacks.FilterMotifTracker`).
    seed : int
        Seeds Python, NumPy and TensorFlow (``keras.utils.set_random_seed``) and the split.
    progress : bool
        A line per epoch on stderr (an epoch bar on a terminal). (Old name: ``verbose``, an int.)
    strategy : {None, "default", "mirrored"} or tf.distribute.Strategy
        ``"mirrored"``: data-parallel training on every GPU of this machine
        (``tf.distribute.MirroredStrategy``; one replica on the CPU when there is no GPU); the
        model is built and compiled inside ``strategy.scope()`` and ``batch_size`` is the global
        batch, split between the replicas. A ``model`` passed in must have been built inside the
        same strategy's scope. ``None``/``"default"``: TensorFlow's default (one GPU when there is
        one, else the CPU).

    Returns
    -------
    model : keras.Model
        Trained model with the best validation weights.
    history : keras.callbacks.History
        Per-epoch logs.
    metrics : dict
        Test metrics (see :func:`evaluate_predictions`) plus ``target``, ``arch``,
        ``epochs_trained``, ``best_epoch``, ``evaluated_on``, ``seconds``.

    Examples
    --------
    >>> model, history, metrics = train_model(x, y, arch="deepbind", epochs=5)  # doctest: +SKIP
    >>> metrics["auroc"]  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    x = check_onehot(x, "x")
    y, target = _check_target(y, target, "y")
    if y.shape[0] != x.shape[0]:
        raise InputError(f"x has {x.shape[0]} sequences but y has {y.shape[0]} rows.")
    for nm, v, lo in (("epochs", epochs, 1), ("batch_size", batch_size, 1), ("patience", patience, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise InputError(f"{nm} must be an integer >= {lo}. Received: {nm}={v!r}")
    if not (learning_rate > 0 and math.isfinite(learning_rate)):
        raise InputError(f"learning_rate must be > 0. Received: learning_rate={learning_rate!r}")
    if schedule not in SCHEDULES:
        raise InputError(f"schedule must be one of {', '.join(SCHEDULES)}. Received: schedule={schedule!r}")
    if model is None and arch not in ARCHITECTURES:
        raise InputError(f"Unknown architecture {arch!r}. Choose one of: {', '.join(ARCHITECTURES)}.")

    if deprecated:
        from .._deprecation import renamed_args

        progress = bool(renamed_args("train_model", deprecated, {"verbose": "progress"},
                                     {"progress": progress}, {"progress": True})["progress"])
    keras.utils.set_random_seed(int(seed))
    if x_valid is None:
        if not 0 < valid_fraction < 1:
            raise InputError(f"valid_fraction must be in (0, 1). Received: valid_fraction={valid_fraction!r}")
        sp = random_split(x.shape[0], seed=seed, valid=valid_fraction, test=0.0)
        x_valid, y_valid = x[sp["valid"]], y[sp["valid"]]
        x, y = x[sp["train"]], y[sp["train"]]
    else:
        x_valid = check_onehot(x_valid, "x_valid")
        y_valid, _ = _check_target(y_valid, target, "y_valid")
        if x_valid.shape[1:] != x.shape[1:]:
            raise InputError(f"x_valid has shape {x_valid.shape[1:]} per set, x has {x.shape[1:]}.")
    evaluated_on = "valid"
    if x_test is not None:
        x_test = check_onehot(x_test, "x_test")
        y_test, _ = _check_target(y_test, target, "y_test")
        evaluated_on = "test"
    else:
        x_test, y_test = x_valid, y_valid

    n_out = y.shape[1]
    with _strategy_scope(strategy):  # variables of the model, optimizer and metrics on every replica
        if model is None:
            kw = dict(model_kwargs or {})
            kw.setdefault("output_activation", "sigmoid" if target == "class" else "linear")
            model = build_model(arch, x.shape[1], n_out, **kw)
            arch_name = arch
        else:
            arch_name = model.name
        if target == "class":
            loss = keras.losses.BinaryCrossentropy()
            metrics = [keras.metrics.AUC(name="auroc"), keras.metrics.AUC(curve="PR", name="auprc")]
        else:
            loss, metrics = keras.losses.MeanSquaredError(), [keras.metrics.PearsonCorrelation(axis=0, name="pearson")]
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=metrics)

    # class targets: stop on validation AUROC (robust to the calibration drift BatchNorm's moving
    # statistics cause in val_loss early in training); continuous: on validation loss
    monitor, mode = ("val_auroc", "max") if target == "class" else ("val_loss", "min")
    stop = keras.callbacks.EarlyStopping(
        monitor=monitor, mode=mode, patience=int(patience), restore_best_weights=True, verbose=0
    )
    cbs = [*(callbacks or []), stop]
    rate_callbacks = (keras.callbacks.ReduceLROnPlateau, keras.callbacks.LearningRateScheduler)
    if not any(isinstance(c, rate_callbacks) for c in cbs):  # a caller's one replaces the schedule
        if schedule == "cooldown":
            cbs.append(keras.callbacks.LearningRateScheduler(cooldown_schedule(float(learning_rate), int(epochs))))
        elif patience >= 2:
            # lower the learning rate before giving up: a plateau at lr 3e-3 is often not the optimum
            cbs.append(keras.callbacks.ReduceLROnPlateau(
                monitor=monitor, mode=mode, factor=0.3, patience=max(1, int(patience) // 2),
                min_lr=float(learning_rate) / 100, verbose=0,
            ))
    if progress:
        cbs.append(EpochProgress(int(epochs)))
    history = model.fit(
        shuffled_batches(x, y, int(batch_size), seed=int(seed)), epochs=int(epochs), callbacks=cbs,
        validation_data=shuffled_batches(x_valid, y_valid, int(batch_size)), shuffle=False, verbose=0,
    )  # shuffle=False: the pipeline shuffles (fit's default True only warns that it is ignored)
    pred = model.predict(x_test, batch_size=1024, verbose=0)
    result = evaluate_predictions(y_test, pred, target)
    monitored = np.asarray(history.history.get(monitor, []), dtype=np.float64)
    best = None
    if monitored.size and np.any(np.isfinite(monitored)):
        best = int(np.nanargmax(monitored) if mode == "max" else np.nanargmin(monitored)) + 1
    result.update(
        target=target,
        arch=arch_name,
        epochs_trained=int(monitored.size),
        best_epoch=best,
        monitored=monitor,
        evaluated_on=evaluated_on,
        seconds=round(time.perf_counter() - t0, 2),
        seed=int(seed),
    )
    return model, history, result
