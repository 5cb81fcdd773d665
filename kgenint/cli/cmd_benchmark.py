"""``kgenint benchmark``: every interaction detector on one model + simulated data set with
planted truth; the method x rule-kind table, scored against the planted rules (data truth) and
against the model's own in-silico scan (model truth), with costs."""
from __future__ import annotations

import argparse
import logging
import sys
import warnings
from typing import TYPE_CHECKING

import numpy as np

from ._options import add_command, add_data, add_model, add_motifs, add_out

if TYPE_CHECKING:
    import pandas as pd
from ._outputs import check_outputs

log = logging.getLogger("kgenint")

_EPILOG = """\
sizes (defaults keep one run within minutes on 2 CPU cores for an 18-motif, 200 bp data set):
  --n-seqs sequences of the test split feed the hit-based detectors (dfim, dependency, hessian;
  dependency and hessian use the first quarter of them), --n-label-seqs the hierarchical lasso;
  --n-backgrounds backgrounds and the --distances grid feed insilico, anova and tukey.

outputs:
  --out      summary TSV: one row per method (data_* and model_* scores, model_rows, wall_s, memory)
  --kinds    the method x rule-kind TSV (auroc:<kind>, called:<kind>)
  --plot     PNG heatmap of the pair AUROC by rule kind

example:
  kgenint benchmark --model default_s0.keras --data default_s0.h5 --motifs default_s0.meme --out bench.tsv
"""


def register(subparsers, parents) -> None:
    """Add the ``benchmark`` subcommand."""
    p = add_command(
        subparsers, parents, "benchmark",
        help="rank the interaction detectors on a simulated data set with planted truth",
        description=("Run every interaction detector (insilico, anova, tukey, dfim, dependency, "
                     "hessian, hierlasso) on one model and simulated data set and score them "
                     "against the planted rules and against the model's in-silico scan."),
        epilog=_EPILOG)
    add_model(p, "trained on --data")
    add_data(p, help="HDF5 from kgenint simulate (with /truth)", required=True, split_default="test")
    add_motifs(p, "default: the planted motifs in --data")
    p.add_argument("--methods", default="insilico,anova,tukey,dfim,dependency,hessian,hierlasso",
                   help="comma list of detectors (default: all but 'features'; add 'features' for the "
                        "feature-space detectors of --features-layer)")
    p.add_argument("--features-layer", default=None,
                   help="layer whose units the 'features' method uses (default: the first pooling layer)")
    p.add_argument("--n-seqs", type=int, default=400, help="sequences for the hit-based detectors (default: 400)")
    p.add_argument("--n-label-seqs", type=int, default=5000, help="sequences for hierlasso (default: 5000)")
    p.add_argument("--n-backgrounds", type=int, default=8, help="backgrounds of the in-silico methods (default: 8)")
    p.add_argument("--distances", default="-100:100:10", help="distance grid of insilico/anova (default: -100:100:10)")
    p.add_argument("--batch-size", type=int, default=512, help="sequences per model call (default: 512)")
    add_out(p, "output summary TSV (default: standard output)")
    p.add_argument("--kinds", default=None, help="method x rule-kind TSV")
    p.add_argument("--plot", default=None, help="PNG heatmap")
    p.set_defaults(func=run)


def _first_pooling_layer(model) -> str:
    """Name of the model's first pooling layer (its first-layer units), else of its first Conv1D."""
    import keras

    for cls in ((keras.layers.MaxPooling1D, keras.layers.AveragePooling1D), (keras.layers.Conv1D,)):
        for layer in model.layers:
            if isinstance(layer, cls):
                return layer.name
    from ..errors import InputError

    raise InputError("the features method needs a Conv1D or pooling layer; give features_layer=NAME.")


def run_benchmark(model_path: str, data_path: str, *, motifs_path: str | None = None,
                  methods=("insilico", "anova", "tukey", "dfim", "dependency", "hessian", "hierlasso"),
                  split: str = "test", n_seqs: int = 400, n_label_seqs: int = 5000, n_backgrounds: int = 8,
                  distances=range(-100, 101, 10), batch_size: int = 512, seed: int = 0, progress: bool = True,
                  features_layer: str | None = None):
    """Load a model and a simulated data set and run :func:`kgenint.evaluate.benchmark_interactions`.

    ``"features"`` in ``methods`` adds the feature-space detectors
    (:func:`kgenint.interactions.features.feature_interactions`, mixed discrete differences) on
    ``features_layer``, by default the model's first pooling layer (its first-layer units).

    Returns ``(summary, kinds, tables)``.
    """
    from .._io_inputs import load_keras_model, read_motif_file
    from ..errors import InputError
    from ..evaluate import benchmark_interactions
    from ..keras.adapter import as_predict_fn
    from ..keras.derivatives import (SurrogateWarning, attribution_fn, hvp_fn, piecewise_linear_layers,
                                     softplus_surrogate)
    from ..motifs.scan import scan
    from ..simulate.io import load
    from ._interaction_args import make_backgrounds

    data = load(data_path)
    truth = data.truth
    if truth is None:
        raise InputError(f"{data_path} holds no /truth: the benchmark needs a simulated data set.")
    motifs = read_motif_file(motifs_path) if motifs_path else list(truth.motifs)
    model, _ = load_keras_model(model_path)
    rng = np.random.default_rng(seed)
    idx = data.split[split] if data.split is not None and split in data.split else np.arange(len(data.x))
    lab_idx = np.sort(rng.choice(idx, min(n_label_seqs, idx.size), replace=False))
    x_lab = data.x[lab_idx]
    y_lab = (data.y_reg if data.y_reg is not None else data.y_class)[lab_idx, 0].astype(float)
    # hit-based detectors: sequences holding hits of two different motifs
    hits_all = scan(x_lab, motifs, threshold=1e-4, progress=False)
    hits_all = hits_all.assign(motif=hits_all["motif_id"].astype(str))
    per = hits_all.groupby("seq")["motif"].nunique()
    two = per.index[per >= 2].to_numpy()
    keep = np.sort(rng.choice(two, min(n_seqs, two.size), replace=False))
    remap = {int(s): i for i, s in enumerate(keep)}
    x_hit = x_lab[keep]
    hits = hits_all[hits_all["seq"].isin(keep)].assign(seq=lambda h: h["seq"].map(remap))
    predict = as_predict_fn(model, batch_size=batch_size)
    attribute = attribution_fn(model, "gradient_x_input", batch_size=batch_size)
    hmodel = model
    if piecewise_linear_layers(model):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SurrogateWarning)
            hmodel = softplus_surrogate(model)
    hvp = hvp_fn(hmodel, batch_size=64)
    bg, _ = make_backgrounds("shuffle", n_backgrounds, None, data.x[idx], seed)
    dist = np.asarray(list(distances))
    q = max(1, len(keep) // 4)
    options = {
        "insilico": {"distances": dist[dist >= 0], "batch_size": batch_size},
        # every other distance and two orientations: the ANOVA grid costs 4 N rows per cell
        "anova": {"distances": dist[dist != 0][::2], "orientations": ["++", "+-"], "batch_size": batch_size},
        "tukey": {"distances": [d for d in (-20, 20) if d in set(dist.tolist())] or [20], "n_variants": 4},
        "dfim": {"n_mutations": 3, "n_null": 1, "max_pairs_per_seq": 10},
        "dependency": {"max_sequences": q, "n_null": 5},
        "hessian": {"n_steps": 4, "n_null": 1, "max_pairs_per_seq": 4},
        "hierlasso": {"n_resamples": 20},
    }
    # hit-based detectors see x_hit; dependency/hessian a quarter of it (cost per sequence is higher)
    tables: dict[str, pd.DataFrame] = {}  # pair table per method
    parts = []
    run_features = "features" in methods
    methods = [m for m in methods if m != "features"]
    for m in methods:
        xs, hs = x_hit, hits
        if m == "hessian":
            sub = np.arange(q)
            xs, hs = x_hit[sub], hits[hits["seq"] < q]
        kw = dict(x=xs, hits=hs)
        if m == "hierlasso":
            kw = dict(x=x_lab, hits=hits_all, labels=y_lab)
        s, k, t = benchmark_interactions(truth, motifs, methods=[m], predict=predict, attribute=attribute, hvp=hvp,
                                         backgrounds=bg, options=options, seed=seed, progress=progress,
                                         model_truth=tables.get("insilico"), **kw)
        parts.append((s, k))
        tables.update(t)
    if run_features:
        from ..interactions.features import feature_interactions

        layer = features_layer or _first_pooling_layer(model)
        fn = lambda: feature_interactions(model, x_lab, motifs, layer=layer, max_sequences=1000,  # noqa: E731
                                          batch_size=batch_size, seed=seed)
        s, k, t = benchmark_interactions(truth, motifs, methods=[], seed=seed, progress=progress,
                                         model_truth=tables.get("insilico"), extra_detectors={"features": fn})
        parts.append((s, k))
        tables.update(t)
    import pandas as pd

    summary = pd.concat([p[0] for p in parts])
    kinds = pd.concat([p[1] for p in parts])
    # model truth for the methods that ran before insilico finished: rescore now
    if "insilico" in tables:
        from ..evaluate.detectors import score_against_pairs, scoring_view

        mt = tables["insilico"]
        pos = {frozenset((a, b)) for a, b, qv in zip(mt.motif_a, mt.motif_b, mt["q_value"]) if a != b and qv < 0.05}
        names = [m.name for m in motifs]
        for label, tab in tables.items():
            r = score_against_pairs(scoring_view(tab), pos, names)
            for k2, col in (("pair_auroc", "model_auroc"), ("pair_auprc", "model_auprc"),
                            ("precision", "model_precision"), ("recall", "model_recall"),
                            ("n_positive", "model_positives")):
                summary.loc[label, col] = r[k2]
    summary.attrs.update({"n_hit_seqs": int(len(keep)), "n_label_seqs": int(len(lab_idx)),
                          "n_backgrounds": int(n_backgrounds)})
    return summary, kinds, tables


def run(args: argparse.Namespace) -> int:
    """Run ``kgenint benchmark``."""
    from ..errors import InputError
    from ._interaction_args import parse_distances

    for name in ("n_seqs", "n_label_seqs", "n_backgrounds", "batch_size"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name.replace('_', '-')} must be >= 1. Received: {getattr(args, name)}")
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    check_outputs(args, out=args.out, kinds=args.kinds, plot=args.plot)
    summary, kinds, _ = run_benchmark(args.model, args.data, motifs_path=args.motifs, methods=methods,
                                      split=args.split, n_seqs=args.n_seqs, n_label_seqs=args.n_label_seqs,
                                      n_backgrounds=args.n_backgrounds, distances=parse_distances(args.distances),
                                      batch_size=args.batch_size, seed=int(args.seed), progress=not args.quiet,
                                      features_layer=args.features_layer)
    summary.to_csv(args.out if args.out else sys.stdout, sep="\t", float_format="%.4g", index_label="method")
    if args.kinds:
        kinds.to_csv(args.kinds, sep="\t", float_format="%.4g", index_label="method")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        from ..evaluate.detectors import plot_benchmark

        ax = plot_benchmark(summary, kinds)
        ax.figure.savefig(args.plot, dpi=120, bbox_inches="tight")
        log.info("wrote %s", args.plot)
    return 0
