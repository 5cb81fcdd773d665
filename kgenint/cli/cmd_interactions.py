"""``kgenint interactions``: in-silico pairwise motif-distance scan through a Keras model."""
from __future__ import annotations

import argparse
import logging
import os
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ._options import add_command, add_data, add_model, add_motifs, add_out
from ._outputs import write_tsv
from ._interaction_args import make_backgrounds, parse_distances  # noqa: F401 - used here and re-exported

if TYPE_CHECKING:
    from ..distributed import ModelSpec
    from ..interactions.scan_result import InteractionScan
    from ..keras.adapter import PredictFn

log = logging.getLogger("kgenint")

_EPILOG = """\
how it works:
  For every ordered motif pair (A, B), distance d (bp from the start of A to the start of B) and
  orientation (strand of A, strand of B), consensus (or sampled) instances are written into each
  background sequence. With control inserts (--controls shuffle, the default) each motif is also
  replaced by a dinucleotide shuffle of itself that matches no scanned motif, at the same place,
  and the model's output (logits for sigmoid/softmax heads) is read four ways:
      interaction = f(A,B) - f(A,ctrl B) - f(ctrl A,B) + f(ctrl A,ctrl B)
  i.e. what the two motifs do together beyond what any two inserts at those places do (junction
  effects, shared pooling windows, saturation). 0: the model adds the motifs' effects; > 0
  synergy; < 0 antagonism. Each cell is a t-test over backgrounds (each background with its own
  controls); a pair's p-value combines its cells (Simes), q-values are BH over pairs. Nothing in a
  pair's test depends on the other motifs scanned. --controls none gives the classical contrast
  f(A,B) - f(A) - f(B) + f(neither) at a quarter of the model calls.

backgrounds (--n-backgrounds sequences of the model's input length):
  with --data: 'shuffle' (default) = dinucleotide shuffles of sequences drawn at random from
  --data; 'gc' = random sequences with the GC contents of --data.
  without --data: 'gc' = i.i.d. random sequences at 42 % GC.
  Or give a FASTA/HDF5 file of background sequences (its first --n-backgrounds are used).

outputs:
  --out     HDF5 scan (kgenint.interactions.load): effect, se, ci_low, ci_high, t, p, q,
            raw_effect, main_a, main_b (K, K, D, O), contrasts (K, K, D, O, N).
            Progress is checkpointed in <out>.partial: run the same command again to resume.
  table     the pair table, one row per motif pair with its strongest cell, sorted by q_value
            (TSV; stdout unless --table); --cells gives the --top cells instead.
  --plots   heatmap.png (strongest effect per pair) and distance_curves.png.

example:
  kgenint interactions --model model.keras --motifs motifs.meme --data data.h5 --out scan.h5 --plots figs
"""


def register(subparsers, parents) -> None:
    """Add the ``interactions`` subcommand."""
    p = add_command(
        subparsers, parents, "interactions",
        help="in-silico pairwise motif interaction scan through a model (distance x orientation)",
        description=(
            "Measure how a Keras model combines pairs of motifs: place every pair at every distance "
            "and orientation in background sequences and test the interaction effect "
            "f(AB) - f(A) - f(B) + f(neither) of each cell."
        ),
        epilog=_EPILOG,
    )
    add_model(p)
    add_motifs(p, required=True)
    add_data(p, "backgrounds are drawn from them; the dfim, dependency, hessian and hierlasso methods read them")
    p.add_argument("--background", default=None,
                   help="'shuffle' (default with --data), 'gc' (default without) or a FASTA/HDF5 file")
    p.add_argument("--n-backgrounds", type=int, default=32, help="background sequences (default: 32)")
    p.add_argument("--length", type=int, default=None,
                   help="sequence length when the model accepts any length and --data is not given")
    p.add_argument("--distances", default="0:150",
                   help="distances between motif starts (bp): 'a:b' (inclusive), 'a:b:step' or a comma "
                        "list, e.g. '0:150' (default), '-50:50:5', '10,20,30'")
    p.add_argument("--orientations", default="++,+-,-+,--", help="comma list of ++ +- -+ -- (default: all)")
    p.add_argument("--instances", choices=("consensus", "sample"), default="consensus",
                   help="motif instances: consensus or sampled from the PWM per background (default: consensus)")
    p.add_argument("--min-gap", type=int, default=0,
                   help="skip placements with fewer than this many bases between the two motifs (default: 0, "
                        "back-to-back allowed); e.g. the smallest gap between sites in your training data")
    p.add_argument("--task", type=int, default=None, help="column of the head to analyse, 0-based (default: 0)")
    p.add_argument("--output", type=int, default=None, help=argparse.SUPPRESS)  # deprecated: --task
    p.add_argument("--head", default=None, help="model output (layer name or index) for multi-output models")
    p.add_argument("--logits", action=argparse.BooleanOptionalAction, default=None,
                   help="scan logits (pre-sigmoid/softmax) or outputs; default: logits where the head ends in "
                        "sigmoid/softmax, the output otherwise (linear, softplus, exp heads)")
    p.add_argument("--probabilities", action="store_true", help="same as --no-logits")
    p.add_argument("--controls", choices=("shuffle", "gc", "none"), default="shuffle",
                   help="control inserts: 'shuffle' (default; dinucleotide shuffles of each motif), 'gc' (keep "
                        "each position's C/G or A/T class) or 'none' (classical contrast, 4x fewer model calls)")
    p.add_argument("--margin", type=float, default=0.0,
                   help="smallest interaction worth reporting, in output units (default: 0 = plain t-test)")
    p.add_argument("--alpha", type=float, default=0.05, help="q-value threshold of a call (default: 0.05)")
    p.add_argument("--adaptive", action="store_true",
                   help="adaptive scan (kgenint.interactions.adaptive): every cell screened with 4 backgrounds, more "
                        "(up to --n-backgrounds) only where the decision is open; alpha-spending boundaries, "
                        "usually 3-8x fewer model calls than the exhaustive scan, same calls on strong interactions")
    p.add_argument("--cells", action="store_true", help="table of the --top cells instead of the pair table")
    p.add_argument("--batch-size", type=int, default=1024, help="sequences per model call (default: 1024)")
    p.add_argument("--verify", type=int, default=0,
                   help="recompute this many random cells naively as a self-check (default: 0)")
    add_out(p, "output HDF5 scan file (also enables resume)")
    p.add_argument("--table", default=None, help="write the top-cell TSV here instead of stdout")
    p.add_argument("--top", type=int, default=0, help="rows of the table (default: 0 = all pairs; 50 with --cells)")
    p.add_argument("--plots", default=None, help="directory for heatmap.png and distance_curves.png")
    p.add_argument("--method", default="insilico",
                   choices=("insilico", "dfim", "dependency", "hessian", "anova", "tukey", "hierlasso", "features"),
                   help="interaction detector (default: insilico); see kgenint.interactions.detectors and, for "
                        "'features' (units of --layer), kgenint.interactions.features")
    p.add_argument("--labels", default=None,
                   help="TSV (header; sequence id, label) of data-side targets for --method hierlasso")
    from . import _features_cli

    _features_cli.add_arguments(p)  # --layer, --detector, --aggregate ... (options it shares are kept)
    from ._distributed import add_distributed_options

    add_distributed_options(p)  # --scheduler, --workers (the in-silico scan)
    p.set_defaults(func=run)


def top_table(scan, top: int):
    """Cells sorted by q_value (ascending) then ``|t|`` (descending); the first ``top`` (all if 0)."""
    df = scan.to_frame()
    df = df.assign(_abs_t=df["t"].abs()).sort_values(["q_value", "_abs_t"], ascending=[True, False], kind="mergesort")
    df = df.drop(columns="_abs_t").reset_index(drop=True)
    return df if top == 0 else df.head(top)


def summary_lines(pairs, alpha: float, scale: str | None) -> list[str]:
    """What a scan found, in sentences: the number of pairs called and each call's cell."""
    unit = {"logits": "logits", "output": "output units"}.get(scale or "", "output units")
    called = pairs[pairs["q_value"] < alpha]
    lines = [f"{len(called)} of {len(pairs)} motif pairs interact (q < {alpha:g})"]
    for _, r in called.head(20).iterrows():
        rel = "" if not np.isfinite(r["rel_effect"]) else f", {r['rel_effect']:+.2f} x the main effects"
        lines.append(
            f"  {r['motif_a']} -> {r['motif_b']} at {int(r['distance'])} bp, {r['orientation']}: "
            f"{r['effect']:+.3g} {unit} [{r['ci_low']:+.3g}, {r['ci_high']:+.3g}]{rel}, q = {r['q_value']:.2g}")
    return lines


def run(args: argparse.Namespace) -> int:
    """Run ``kgenint interactions``."""
    method = getattr(args, "method", "insilico")
    if method != "insilico" and (getattr(args, "workers", None) or getattr(args, "scheduler", None)):
        log.warning("--workers/--scheduler apply to the in-silico scan only; --method %s runs in this process", method)
    if method == "features":
        from . import _features_cli
        return _features_cli.run(args)
    if method != "insilico":
        from . import _detectors_cli
        return _detectors_cli.run(args)
    from .._io_inputs import check_model_length, load_keras_model, read_motif_file, read_sequences

    for name in ("n_backgrounds", "batch_size"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name.replace('_', '-')} must be >= 1. Received: {getattr(args, name)}")
    if args.n_backgrounds < 2:
        raise InputError("--n-backgrounds must be >= 2: a p-value needs the spread over backgrounds "
                         "(32 is a good default).")
    if args.output is not None:
        log.warning("--output is deprecated; use --task")
    task = args.task if args.task is not None else (args.output if args.output is not None else 0)
    if args.top < 0 or args.verify < 0 or task < 0:
        raise InputError("--top, --verify and --task must be >= 0.")
    if not args.margin >= 0:
        raise InputError(f"--margin must be >= 0 (output units). Received: {args.margin}")
    if not 0 < args.alpha < 1:
        raise InputError(f"--alpha must be in (0, 1). Received: {args.alpha}")
    distances = parse_distances(args.distances)
    orientations = [o.strip() for o in args.orientations.split(",") if o.strip()]
    out = os.fspath(args.out) if args.out else None
    from .._io import check_overwrite, output_lock

    check_overwrite(out, args.overwrite, what="--out")  # --overwrite also clears a stale <out>.partial
    check_overwrite(args.table, args.overwrite, what="--table")
    checkpoint = out + ".partial" if out else None
    motifs = read_motif_file(args.motifs)
    data = read_sequences(args.data, split=args.split, what="--data") if args.data else None
    model, model_len = load_keras_model(args.model)
    if data is not None:
        check_model_length(data.x, model_len, data.path, args.model)
    length = model_len or (data.length if data is not None else args.length)
    if args.background not in (None, "gc", "shuffle"):
        bgs = read_sequences(args.background, what="--background")
        check_model_length(bgs.x, model_len, bgs.path, args.model)
        bg = bgs.x[: args.n_backgrounds]
        what = f"the first {len(bg)} sequences of {bgs.path}"
    else:
        bg, what = make_backgrounds(args.background, int(args.n_backgrounds), length,
                                    None if data is None else data.x, int(args.seed))
    log.info("backgrounds: %s", what)
    from ..interactions.insilico import scan_pairs
    from ..keras.adapter import as_predict_fn

    head = None if args.head is None else (int(args.head) if args.head.lstrip("-").isdigit() else args.head)
    predict: PredictFn | ModelSpec = as_predict_fn(model, head, logits=False if args.probabilities else args.logits,
                                                   batch_size=int(args.batch_size))
    log.info("scanning the %s of head %r, task %d", predict.scale, predict.head, task)
    if checkpoint and os.path.exists(checkpoint):
        log.info("resuming from %s", checkpoint)
    log.info("%d motifs x %d distances x %d orientations x %d backgrounds, controls: %s", len(motifs),
             distances.size, len(orientations), bg.shape[0], args.controls)
    import contextlib

    from ..distributed import ModelSpec
    from ._distributed import client_from_args

    if getattr(args, "adaptive", False) and (args.workers or args.scheduler):
        raise InputError("--adaptive runs in one process (its looks depend on each other); leave out "
                         "--workers/--scheduler, or use the exhaustive scan on the cluster.")
    with output_lock(out) if out else contextlib.nullcontext(), client_from_args(args) as client:
        if client is not None:  # workers load --model once each; same calls, same result
            predict = ModelSpec(args.model, head, logits=False if args.probabilities else args.logits,
                                batch_size=int(args.batch_size)).preload(model)
        scan: InteractionScan  # or its subclass AdaptiveScan
        if getattr(args, "adaptive", False):
            from ..interactions.adaptive import scan_pairs_adaptive

            scan = scan_pairs_adaptive(predict, motifs, bg, distances=distances, orientations=orientations,
                                       task=int(task), instances=args.instances, controls=args.controls,
                                       margin=float(args.margin), min_gap=int(args.min_gap), alpha=float(args.alpha),
                                       batch_size=int(args.batch_size), seed=int(args.seed), progress=not args.quiet,
                                       checkpoint=checkpoint)
            log.info("adaptive scan: %d model calls (the exhaustive scan: %d)", scan.params["n_predicted"],
                     scan.params["n_predicted_exhaustive"])
        else:
            scan = scan_pairs(predict, motifs, bg, distances=distances, orientations=orientations,
                              task=int(task), instances=args.instances, controls=args.controls,
                              margin=float(args.margin), min_gap=int(args.min_gap), batch_size=int(args.batch_size),
                              seed=int(args.seed), checkpoint=checkpoint, verify=int(args.verify),
                              progress=not args.quiet, client=client)
        scan.params["backgrounds"] = what
        scan.params["scale"] = predict.scale
        if out:
            scan.save(out)
            log.info("wrote %s", out)
    pairs = scan.pairs()
    if args.cells:
        table = top_table(scan, int(args.top) or 50)
    else:
        table = pairs if args.top == 0 else pairs.head(int(args.top))
    write_tsv(table, args.table)
    if args.plots:
        _plots(scan, args.plots, args.alpha)
    for line in summary_lines(pairs, args.alpha, scan.params.get("scale")):
        log.info("%s", line)
    return 0


def _plots(scan, directory: str, alpha: float = 0.05) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plot.interactions import plot_distance_curves, plot_interaction_heatmap

    os.makedirs(directory, exist_ok=True)
    ax = plot_interaction_heatmap(scan, alpha=alpha)
    ax.figure.savefig(os.path.join(directory, "heatmap.png"), dpi=120, bbox_inches="tight")
    plt.close(ax.figure)
    fig = plot_distance_curves(scan)
    fig.savefig(os.path.join(directory, "distance_curves.png"), dpi=120, bbox_inches="tight")
    plt.close(fig)
    log.info("wrote figures to %s", directory)
