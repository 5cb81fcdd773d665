"""``kgenint attribute``: attribution maps of a Keras model over many sequences, resumable."""
from __future__ import annotations

import argparse
import logging
import os

from ._options import add_command, add_data, add_model, add_out

log = logging.getLogger("kgenint")

METHODS = ("deepshap", "saliency", "smoothgrad", "gradient_x_input", "integrated_gradients", "lrp", "ism", "shap")

_EPILOG = """\
inputs:
  --model    a Keras 3 .keras file taking one-hot DNA (N, L, 4), ACGT order
  --data     FASTA (plain or gzip; all records L bp) or HDF5 with /x (N, L, 4), as written by
             'kgenint simulate'; --split keeps /split/<name> rows of an HDF5 file
  --references  references for deepshap/integrated_gradients/shap: FASTA or HDF5 (B, L, 4)
             shared by every sequence (old name --background). Default for deepshap and
             integrated_gradients (expected IG): --n-references dinucleotide shuffles of each
             sequence (seeded by --seed and the sequence's position in the input, so results do
             not depend on --chunk-size); for shap: --n-references GC-matched random sequences.
  --head/--task  which model output (layer name or index) and which column of it; --logits /
             --no-logits force logits or outputs (default: logits of sigmoid/softmax heads,
             the output of linear/softplus/exp heads).

output (HDF5, kgenint_format="attributions"; read with kgenint.attribution.load_attributions):
  attrs     method, output, params (JSON), config_hash, chunk_size
  x               (N, L, 4) float32  the sequences explained
  sequence_ids    (N,) str           FASTA ids or /sequence_ids
  index           (N,) int64         rows of --data they came from
  contributions   (N, L, 4) float32  attribution on each base (zero off the observed base for
                                     deepshap/saliency/smoothgrad)
  hypothetical    (N, L, 4) float32  deepshap --hypothetical and saliency/smoothgrad only:
                                     scores of every base (contributions = hypothetical * x)
  done            (n_chunks,) bool   finished chunks

While running, finished chunks are kept in <out>.partial and <out>.partial.chunks/ (each chunk
file complete or absent, whatever instant the run is killed at). If a run stops (Ctrl-C, crash,
kill, time limit), run the same command again: finished chunks are verified and skipped, damaged
ones redone. --overwrite replaces <out> (when the new one is complete) and discards a checkpoint
left by a run with other options; a checkpoint of the same command is still resumed.
See docs/outputs.md.

With --workers N (local processes) or --scheduler ADDRESS (a Dask cluster) each chunk is a task;
the result is the same file, and a checkpoint of either kind of run is resumed by the other.

example:
  kgenint attribute --model model.keras --data data.h5 --split test --method deepshap --out attr.h5
  kgenint attribute --model model.keras --data data.h5 --out attr.h5 --workers 4
"""


def register(subparsers, parents) -> None:
    """Add the ``attribute`` subcommand."""
    p = add_command(
        subparsers, parents, "attribute",
        help="attribution maps (DeepSHAP, saliency, ISM ...) of a model over sequences, resumable",
        description=(
            "Explain a Keras model's output on each input sequence with one attribution method and "
            "write (N, L, 4) maps to a resumable HDF5 file (the input of 'kgenint seqlets'). "
            "deepshap: exact DeepLIFT/DeepSHAP with hypothetical contributions (recommended); "
            "saliency/smoothgrad: gradients (tf-keras-vis); gradient_x_input; integrated_gradients; "
            "lrp; ism: in-silico mutagenesis; shap: shap's DeepExplainer (the reference implementation)."
        ),
        epilog=_EPILOG,
    )
    add_model(p)
    add_data(p, "the sequences to explain", required=True, max_seqs=True)
    p.add_argument("--method", default="deepshap", metavar="METHOD",
                   help=f"attribution method: {', '.join(METHODS)} (default: deepshap)")
    p.add_argument("--task", "--output", dest="task", type=int, default=0,
                   help="column of the head to explain, 0-based (default: 0; --output is the old name)")
    p.add_argument("--head", default=None, help="model output (layer name or index) for models with several outputs")
    p.add_argument("--logits", action=argparse.BooleanOptionalAction, default=None,
                   help="explain logits (pre-sigmoid/softmax) or outputs; default: logits where the head ends in "
                        "sigmoid/softmax, the output otherwise (linear, softplus, exp heads)")
    p.add_argument("--n-references", "--n-shuffles", dest="n_shuffles", type=int, default=20,
                   help="deepshap/integrated_gradients/shap: references per sequence when --references is not "
                        "given (default: 20)")
    p.add_argument("--references", "--background", dest="background", default=None,
                   help="deepshap/integrated_gradients/shap: reference sequences (FASTA or HDF5 /x) shared by all "
                        "inputs (default: dinucleotide shuffles of each sequence)")
    p.add_argument("--hypothetical", action=argparse.BooleanOptionalAction, default=True,
                   help="deepshap: also store hypothetical contributions (default: yes; TF-MoDISco needs them)")
    p.add_argument("--steps", type=int, default=64, help="integrated_gradients: path steps (default: 64)")
    p.add_argument("--probabilities", action="store_true", help="same as --no-logits")
    p.add_argument("--chunk-size", type=int, default=256,
                   help="sequences per chunk, the unit of resumption (default: 256)")
    add_out(p, "output HDF5 file", required=True)
    from ._distributed import add_distributed_options

    add_distributed_options(p)
    p.set_defaults(func=run)


def _head(value: str | None):
    if value is None:
        return None
    return int(value) if value.lstrip("-").isdigit() else value


def method_options(args: argparse.Namespace, x, background) -> dict:
    """The keyword options ``kgenint.attribution.attribute`` passes to the method."""
    logits = False if args.probabilities else args.logits
    opts: dict = {"task": int(args.task), "head": _head(args.head), "logits": logits}
    m = args.method
    if m == "deepshap":
        opts.update(n_references=int(args.n_shuffles), seed=int(args.seed), hypothetical=bool(args.hypothetical))
        if background is not None:
            opts["references"] = background
    elif m == "smoothgrad":
        opts["seed"] = int(args.seed)
    elif m == "integrated_gradients":
        opts.update(steps=int(args.steps), n_references=int(args.n_shuffles), seed=int(args.seed))
        if background is not None:
            opts["references"] = background
    elif m == "shap":
        opts["references"] = background
    return opts


def run(args: argparse.Namespace) -> int:
    """Run ``kgenint attribute``."""
    from .._io_inputs import check_model_length, load_keras_model, read_sequences
    from ..errors import InputError

    out = os.fspath(args.out)
    if args.method not in METHODS:
        raise InputError(f"--method {args.method!r} is not known; choose one of {', '.join(METHODS)}.")
    for name in ("chunk_size", "n_shuffles", "steps"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name.replace('_', '-')} must be >= 1. Received: {getattr(args, name)}")
    if args.task < 0:
        raise InputError(f"--task must be >= 0. Received: {args.task}")
    from .._io import check_overwrite

    check_overwrite(out, args.overwrite, what="--out", partial=False)  # partial state is cleared by attribute()
    seqs = read_sequences(args.data, split=args.split, max_seqs=args.max_seqs, what="--data")
    model, model_len = load_keras_model(args.model)
    check_model_length(seqs.x, model_len, seqs.path, args.model)
    background = None
    if args.background is not None and args.method not in ("deepshap", "shap", "integrated_gradients"):
        log.warning("--references is used only by deepshap, integrated_gradients and shap; ignored for %s",
                    args.method)
    elif args.background is not None:
        bg = read_sequences(args.background, what="--background")
        if bg.length != seqs.length:
            raise InputError(f"--background {bg.path}: sequences are {bg.length} bp but --data has {seqs.length} bp.")
        background = bg.x
        log.info("references: %d sequences from %s", len(bg), bg.path)
    elif args.method == "shap":
        from ..sequence import gc_matched_background

        background = gc_matched_background(seqs.x, int(args.n_shuffles), seed=int(args.seed))
        log.info("references: %d GC-matched random sequences (seed %d)", args.n_shuffles, args.seed)
    elif args.method in ("deepshap", "integrated_gradients"):
        log.info("references: %d dinucleotide shuffles of each sequence (seed %d)", args.n_shuffles, args.seed)
    opts = method_options(args, seqs.x, background)
    partial = out + ".partial"
    if os.path.exists(partial):
        log.info("resuming from %s", partial)
    from ..attribution import attribute

    log.info("%s: %d sequences of %d bp from %s, chunks of %d", args.method, len(seqs), seqs.length,
             seqs.path, args.chunk_size)
    from ..distributed import ModelSpec
    from ._distributed import client_from_args

    with client_from_args(args) as client:  # workers load --model once each (a path, not a pickle)
        attribute(model if client is None else ModelSpec(args.model), seqs.x, method=args.method, out=out,
                  chunk_size=int(args.chunk_size), sequence_ids=seqs.ids, index=seqs.index,
                  progress=not args.quiet, overwrite=bool(args.overwrite), client=client, **opts)
    log.info("wrote %s", out)
    return 0
