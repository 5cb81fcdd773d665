"""``kgenint demo``: the whole pipeline on the built-in simulated data (the README's main job)."""
from __future__ import annotations

import argparse
import logging

from ._options import add_command, add_out

log = logging.getLogger("kgenint")


def register(subparsers, parents) -> None:
    p = add_command(
        subparsers, parents, "demo",
        help="run the whole pipeline on built-in simulated data and write a report",
        description=(
            "Simulate the default data set with planted motif interactions, train a CNN, compute "
            "attributions (DeepSHAP, saliency, gradient x input, integrated gradients), turn filters and "
            "seqlets into motifs annotated against the embedded JASPAR 2024 set, run the in-silico pairwise "
            "interaction scan and the hit co-occurrence scan, score every stage against the planted truth, "
            "and write OUT/results.h5, OUT/report.html and OUT/figures/. Finished stages are reused on the "
            "next run unless --force; an interrupted run continues where it stopped."
        ),
    )
    add_out(p, "output directory (default: kgenint-demo)", default="kgenint-demo", overwrite=False)
    p.add_argument("--force", action="store_true", help="recompute every stage")
    p.add_argument("--preset", default="default", help="simulation preset: default, additive or long")
    p.add_argument("--n", type=int, default=None, help="number of simulated sequences (default: the preset's)")
    p.add_argument("--arch", default="interaction",
                   help="architecture: interaction (default), local, distributed, deepbind, basset, bpnet")
    p.add_argument("--target", choices=("continuous", "class"), default="continuous",
                   help="simulated target the model fits: continuous activity (default) or 0/1 labels")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (default 22: constant learning rate, then a linear decay over the last quarter; early stopping keeps the best)")
    p.add_argument("--n-attr", type=int, default=1000, help="test sequences analysed by attribution and motif stages")
    p.add_argument("--n-backgrounds", type=int, default=None,
                   help="backgrounds of the in-silico scan (default: 24, each with its own control inserts; the "
                        "adaptive scan gives a cell more than 4 only while its call is still open)")
    p.add_argument("--exhaustive", action="store_true",
                   help="in-silico scan every cell with every background (the reference design; about 5x the "
                        "model calls of the default adaptive design)")
    p.add_argument("--max-distance", type=int, default=100, help="largest motif distance (bp) in the scans")
    p.add_argument("--quick", action="store_true", help="tiny sizes for a smoke test (about a minute)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..pipeline import DemoConfig, run_demo

    cfg = DemoConfig(preset=args.preset, n=args.n, arch=args.arch, target=args.target,
                     n_attr=args.n_attr, max_distance=args.max_distance, seed=args.seed)
    if args.epochs is not None:
        cfg.epochs = args.epochs
    if args.exhaustive:
        cfg.scan_design = "exhaustive"
    if args.arch != "interaction":
        cfg.model_kwargs = {}  # the defaults are the interaction CNN's
    if args.n_backgrounds is not None:
        cfg.n_backgrounds = args.n_backgrounds
    if args.quick:
        cfg.n, cfg.epochs, cfg.n_attr, cfg.n_backgrounds, cfg.max_distance, cfg.n_shuffles = 3000, 2, 200, 4, 40, 4
    demo = run_demo(args.out, force=args.force, config=cfg)
    log.info("demo finished in %.0f s: %s", demo.timings.get("total_this_run", 0), demo.out / "report.html")
    return 0
