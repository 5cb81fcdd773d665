"""``kgenint interactions --method features --layer NAME``: the feature-space detectors.

For the integrator: ``add_arguments(parser)`` adds the options this method needs (options the
parser already has, such as ``--model`` or ``--seed``, are left as they are) and ``run(args)``
runs it and writes the pair table (TSV) to ``--table``, else ``--out``, else stdout. The module
also works on its own: ``python -m kgenint.cli._features_cli --model m.keras --motifs m.meme
--data d.h5 --layer global_pools``.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time

log = logging.getLogger("kgenint")

EPILOG = """\
feature-space interactions (--method features):
  The model is cut at --layer: its units (channels, pooled over positions) are the features and
  the layers above are the head. Each unit is named after its best motif in --motifs (TOMTOM-like
  comparison of the unit's strongest activating windows, q < --alpha); then for every unit pair
    mdd      f(z) - f(z[i off]) - f(z[j off]) + f(z[i, j off])  (units set to their minimum)
    nid      NID strength from the dense head's weights (Tsang et al. 2018; no p-values)
    hessian  Expected Hessians of the head (ReLUs smoothed to softplus)
  and unit pairs are summed (--aggregate sum) or the strongest kept (max) per motif pair.
  Output: the pair table (motif_a motif_b ... effect ci_low ci_high p_value q_value method ...).
"""


def _add(parser: argparse.ArgumentParser, *flags: str, **kw) -> None:
    """Add an option unless the parser already has one of these flags."""
    try:
        parser.add_argument(*flags, **kw)
    except argparse.ArgumentError:
        pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the features method (existing ones are kept)."""
    _add(parser, "--layer", default=None,
         help="features method: the layer whose units are the features, e.g. global_pools, conv2_act")
    _add(parser, "--detector", choices=("mdd", "nid", "hessian"), default="mdd",
         help="features method: mixed discrete differences (default), NID weights or Expected Hessians")
    _add(parser, "--aggregate", choices=("sum", "max"), default="sum",
         help="features method: several units per motif summed (default) or the strongest unit pair")
    _add(parser, "--alpha", type=float, default=0.05, help="q-value threshold (unit annotation; default 0.05)")
    _add(parser, "--max-sequences", type=int, default=1000, help="sequences of --data used (default: 1000)")
    _add(parser, "--margin", default="0",
         help="smallest interaction worth reporting (output units); features method: a number (default 0)")
    _add(parser, "--null-database", choices=("none", "default"), default="none",
         help="features method: add JASPAR to the motif comparison to calibrate p-values (default: none)")


def add_base_arguments(parser: argparse.ArgumentParser) -> None:
    """The inputs shared with the other interaction methods (for standalone use)."""
    from ._options import add_data, add_model, add_motifs, add_out

    add_model(parser)
    add_motifs(parser, "naming the units", required=True)
    add_data(parser, required=True)
    _add(parser, "--head", default=None, help="model output (name or index) for multi-output models")
    _add(parser, "--task", type=int, default=0, help="output column (default: 0)")
    _add(parser, "--logits", action=argparse.BooleanOptionalAction, default=None,
         help="pre-activation (default where the output ends in sigmoid/softmax) or outputs")
    _add(parser, "--batch-size", type=int, default=1024, help="sequences per model call (default: 1024)")
    add_out(parser, "output TSV (default: standard output)")
    _add(parser, "--seed", type=int, default=0, help="random seed (default: 0)")
    _add(parser, "--quiet", "-q", action="store_true", help="no log messages")


def _logits(args: argparse.Namespace):
    if getattr(args, "logits", None) is not None:
        return args.logits
    if getattr(args, "probabilities", False):
        return False
    return None


def run(args: argparse.Namespace) -> int:
    """Run the features method and write the pair table. Raises InputError for bad data."""
    from .._io_inputs import check_model_length, load_keras_model, read_motif_file, read_sequences
    from ..errors import InputError
    from ..interactions.features import feature_interactions

    if not getattr(args, "layer", None):
        raise InputError("--method features needs --layer NAME (the layer whose units are the features).")
    from .._io import check_overwrite

    for opt in ("out", "table"):
        check_overwrite(getattr(args, opt, None), bool(getattr(args, "overwrite", False)), what=f"--{opt}")
    if getattr(args, "max_sequences", 1000) < 2:
        raise InputError(f"--max-sequences must be >= 2. Received {args.max_sequences}.")
    model, length = load_keras_model(args.model)
    motifs = read_motif_file(args.motifs)
    seqs = read_sequences(args.data, split=getattr(args, "split", None), max_seqs=args.max_sequences)
    check_model_length(seqs.x, length, args.data, args.model)
    task = getattr(args, "task", None)
    if task is None:
        task = getattr(args, "output", None)
    if task is None:
        task = 0
    head = getattr(args, "head", None)
    if isinstance(head, str) and head.lstrip("-").isdigit():
        head = int(head)
    margin = getattr(args, "margin", 0.0)
    try:
        margin = float(margin)
    except (TypeError, ValueError):  # the scan's "auto" margin has no feature-space version yet
        log.info("features: --margin %s is not available for this method; using 0 (test mean = 0)", margin)
        margin = 0.0
    t0 = time.perf_counter()
    df = feature_interactions(
        model, seqs.x, motifs, layer=args.layer, detector=args.detector, aggregate=args.aggregate,
        head=head, task=int(task), logits=_logits(args), alpha=args.alpha, margin=margin,
        null_database=None if args.null_database == "none" else "default",
        max_sequences=args.max_sequences, batch_size=getattr(args, "batch_size", 1024), seed=args.seed,
        progress=not getattr(args, "quiet", False),
    )
    named = sum(m is not None for m in df.attrs["unit_motifs"])
    log.info("features: layer %s, %d of %d units named after a motif, %d motif pairs, %s detector, %.1f s",
             args.layer, named, len(df.attrs["unit_motifs"]), len(df), args.detector, time.perf_counter() - t0)
    import json

    from .._io import atomic_open
    from ..interactions.pair_table import save

    units = [None if m is None else str(m) for m in df.attrs["unit_motifs"]]
    out = getattr(args, "out", None)
    h5 = bool(out and os.fspath(out).lower().endswith((".h5", ".hdf5")))
    if h5:  # the pair table as HDF5, with what each unit stands for (read by kgenint report)
        save(df, out, meta={"method": "features", "layer": str(args.layer), "detector": str(args.detector),
                            "unit_motifs": json.dumps(units), "model": os.fspath(args.model)})
        log.info("wrote %s", out)
    text = df.to_csv(sep="\t", index=False, float_format="%.6g", na_rep="NA")
    tsv = getattr(args, "table", None) or (None if h5 else out)
    if tsv:
        with atomic_open(tsv) as fh:
            fh.write(text)
    elif not h5:
        sys.stdout.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """A standalone parser: the shared inputs plus :func:`add_arguments`."""
    p = argparse.ArgumentParser(prog="kgenint-features", epilog=EPILOG,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                description="Feature-space motif interactions of a Keras model at one layer.")
    add_base_arguments(p)
    add_arguments(p)
    return p


def main(argv: list[str] | None = None) -> int:
    """Standalone entry point: exit 1 with a one-line message for bad data, 2 for usage errors."""
    from ..errors import InputError

    args = build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="kgenint: %(message)s",
                        stream=sys.stderr)
    try:
        return run(args)
    except (InputError, FileNotFoundError) as err:
        print(f"kgenint interactions --method features: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
