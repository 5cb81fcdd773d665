"""``kgenint train``: train a reference CNN on a simulated or user HDF5 data set."""
from __future__ import annotations

import argparse
import logging

from ._options import add_command, add_data, add_out
from ._outputs import check_outputs

log = logging.getLogger("kgenint")

# the names of kgenint.keras.models.ARCHITECTURES, listed here so that --help does not import Keras
_ARCHS = ("local", "interaction", "distributed", "deepbind", "basset", "bpnet")
# kgenint.keras.training.SCHEDULES, for the same reason
_SCHEDULES = ("plateau", "cooldown")


def register(subparsers, parents) -> None:
    p = add_command(
        subparsers, parents, "train",
        help="train a reference CNN on an HDF5 data set",
        description=(
            "Train a reference genomic CNN (Keras 3) on an HDF5 file with '/x' (N, L, 4) one-hot "
            "sequences and '/y/class' or '/y/continuous' targets (as written by 'kgenint "
            "simulate'; a plain '/y' dataset also works). Uses '/split/train|valid|test' when "
            "present, otherwise a seeded 80/10/10 split. Stops early when the validation AUROC "
            "(class targets) or loss (continuous) stops improving and keeps the best weights. "
            "Writes the model (.keras) and its test metrics (AUROC/AUPRC for class targets, "
            "Pearson r for continuous) to <out stem>.metrics.json."
        ),
    )
    add_data(p, help="training HDF5 file (/x, /y/class or /y/continuous, optional /split)", required=True,
             split=False)
    add_out(p, "output model file, must end in .keras", required=True)
    p.add_argument("--arch", choices=_ARCHS, default="local",
                   help="architecture (default: local; 'distributed' learns motif parts in layer 1)")
    p.add_argument("--target", choices=("class", "continuous"), default=None,
                   help="which targets to fit (default: class when the file has them)")
    p.add_argument("--epochs", type=int, default=30, help="maximum epochs (default: 30)")
    p.add_argument("--batch-size", type=int, default=128, help="sequences per step (default: 128)")
    p.add_argument("--patience", type=int, default=5,
                   help="epochs without validation improvement before stopping (default: 5)")
    p.add_argument("--learning-rate", type=float, default=3e-3, help="Adam learning rate (default: 3e-3)")
    p.add_argument("--schedule", choices=_SCHEDULES, default="plateau",
                   help="learning-rate schedule: cut 3x when validation stalls (plateau, default) or "
                        "constant for 3/4 of --epochs, then a linear decay to 1/100 (cooldown)")
    p.add_argument("--n-filters", type=int, default=None, help="first-layer filters (default: per architecture)")
    p.add_argument("--first-activation", choices=("relu", "exponential"), default=None,
                   help="first-layer activation (default: per architecture; exponential for local)")
    p.add_argument("--rc", action="store_true",
                   help="reverse-complement weight sharing in the first layer")
    p.add_argument("--strategy", choices=("default", "mirrored"), default="default",
                   help="'mirrored': train on every GPU of this machine (tf.distribute.MirroredStrategy; "
                        "--batch-size is the global batch); default: one GPU when there is one, else the CPU")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from ..errors import InputError

    if not str(args.out).endswith(".keras"):
        raise InputError(f"--out must end in '.keras' (Keras 3 model file). Received: {args.out!r}")
    # a trained model is never replaced silently (checked before training, not after)
    check_outputs(args, out=args.out, metrics=str(args.out)[:-len(".keras")] + ".metrics.json")
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name.replace('_', '-')} must be >= 1. Received: {getattr(args, name)}")
    if args.patience < 0:
        raise InputError(f"--patience must be >= 0. Received: {args.patience}")

    from ..keras.training import (
        metrics_path,
        read_training_data,
        save_model_atomic,
        train_model,
        write_json_atomic,
    )

    data = read_training_data(args.data, target=args.target, seed=args.seed)
    sp = data.split
    log.info(
        "%s: %d sequences of %d bp, %d %s target(s); train/valid/test = %d/%d/%d",
        args.data, data.x.shape[0], data.x.shape[1], data.y.shape[1], data.target,
        sp["train"].size, sp["valid"].size, sp.get("test", sp["valid"][:0]).size,
    )
    kw = {}
    if args.n_filters is not None:
        kw["n_filters"] = args.n_filters
    if args.first_activation is not None:
        kw["first_activation"] = args.first_activation
    if args.rc:
        kw["rc_equivariant"] = True
    test = sp.get("test")
    has_test = test is not None and test.size > 0
    model, history, metrics = train_model(
        data.x[sp["train"]], data.y[sp["train"]],
        arch=args.arch, target=data.target,
        x_valid=data.x[sp["valid"]], y_valid=data.y[sp["valid"]],
        x_test=data.x[test] if has_test else None, y_test=data.y[test] if has_test else None,
        epochs=args.epochs, batch_size=args.batch_size, patience=args.patience,
        learning_rate=args.learning_rate, schedule=args.schedule, model_kwargs=kw, seed=args.seed,
        progress=not args.quiet, strategy=args.strategy,
    )
    metrics["data"] = os.path.abspath(args.data)
    metrics["model"] = os.path.abspath(args.out)
    metrics["history"] = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    save_model_atomic(model, args.out)
    mpath = write_json_atomic(metrics, metrics_path(args.out))
    if data.target == "class":
        summary = f"AUROC {metrics['auroc']:.3f}, AUPRC {metrics['auprc']:.3f}"
    else:
        summary = f"Pearson r {metrics['pearson']:.3f}"
    log.info(
        "%s on %d %s sequences after %d epochs (best %s); model: %s, metrics: %s",
        summary, metrics["n"], metrics["evaluated_on"], metrics["epochs_trained"], metrics["best_epoch"],
        args.out, mpath,
    )
    return 0
