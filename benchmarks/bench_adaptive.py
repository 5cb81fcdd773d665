"""Issue 17 item 2: the adaptive in-silico scan next to the exhaustive scan on the trained models.

For every model (simulator preset x seed) in ``--models``, the exhaustive scan is loaded from
``<stem>.scan_shuffle.h5`` when its arguments match ``SCAN`` below (as written by
``benchmarks/validate_calibration.py``), otherwise run. The adaptive scan
(:func:`kgenint.interactions.adaptive.scan_pairs_adaptive`) then runs through the model on the
same backgrounds, motif instances and controls (same seed), so every contrast it measures equals
the exhaustive one. Printed per model and design: model calls (sequences passed to predict), the
ratio, and the pair calls (q < 0.05, the default statistic with the leave-pair-out reference) in
both / only exhaustive / only adaptive, with the exhaustive q-values of the disagreements.

Run::

    python benchmarks/bench_adaptive.py --models /work/models --specs default:0,default:1,additive:0,additive:1
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

SCAN = {"distances": list(range(0, 101, 4)), "n_backgrounds": 12, "controls": "shuffle", "seed": 0,
        "anchor": "center", "min_gap": 0, "instances": "consensus", "task": 0}
DESIGNS = {"coarse=1": {"coarse": 1}, "coarse=2": {"coarse": 2}}


def called(pairs, alpha=0.05):
    return {frozenset((r.motif_a, r.motif_b)): r.q_value for r in pairs.itertuples() if r.q_value < alpha}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="/work/models")
    ap.add_argument("--specs", default="default:0,default:1,additive:0,additive:1")
    ap.add_argument("--designs", default=",".join(DESIGNS))
    args = ap.parse_args(argv)
    from kgenint._io_inputs import load_keras_model, read_motif_file, read_sequences
    from kgenint.cli.cmd_interactions import make_backgrounds
    from kgenint.interactions.adaptive import scan_pairs_adaptive
    from kgenint.interactions.insilico import scan_pairs
    from kgenint.interactions.scan_result import load
    from kgenint.keras.adapter import as_predict_fn

    rows = []
    for spec in args.specs.split(","):
        preset, seed = spec.split(":")
        stem = Path(args.models) / f"{preset}_s{seed}"
        if not Path(f"{stem}.keras").exists():
            print(f"# {stem}.keras missing: skipped", flush=True)
            continue
        motifs = read_motif_file(f"{stem}.meme")
        data = read_sequences(f"{stem}.h5", split="test", what="--data")
        model, _ = load_keras_model(f"{stem}.keras")
        predict = as_predict_fn(model, None, logits=None, batch_size=2048)
        bg, _ = make_backgrounds("gc", SCAN["n_backgrounds"], None, data.x, SCAN["seed"])
        stored = Path(f"{stem}.scan_shuffle.h5")
        ex = load(stored) if stored.exists() else None
        if ex is not None and not all(ex.params.get(k) == v for k, v in SCAN.items()):
            ex = None
        if ex is None:
            t0 = time.perf_counter()
            ex = scan_pairs(predict, motifs, bg, distances=SCAN["distances"], controls=SCAN["controls"],
                            seed=SCAN["seed"], batch_size=2048, progress=False)
            print(f"# {stem.name}: exhaustive scan run, {time.perf_counter() - t0:.0f} s", flush=True)
        ex = ex.restat(reference="other_pairs")
        E = called(ex.pairs())
        for name in args.designs.split(","):
            t0 = time.perf_counter()
            ad = scan_pairs_adaptive(predict, motifs, bg, distances=SCAN["distances"], controls=SCAN["controls"],
                                     seed=SCAN["seed"], batch_size=2048, progress=False, **DESIGNS[name])
            wall = time.perf_counter() - t0
            m = np.isfinite(ad.contrasts) & np.isfinite(ex.contrasts)
            same = float(np.abs(ad.contrasts[m] - ex.contrasts[m]).max())
            A = called(ad.pairs())
            only_e = {tuple(sorted(k)): round(E[k], 3) for k in set(E) - set(A)}
            only_a = {tuple(sorted(k)): round(A[k], 3) for k in set(A) - set(E)}
            n_ex = int(ex.params["n_predicted"])
            n_ad = int(ad.params["n_predicted"])
            row = {"model": stem.name, "design": name, "exhaustive_calls": n_ex, "adaptive_calls": n_ad,
                   "ratio": n_ex / n_ad, "called_exh": len(E), "both": len(set(E) & set(A)),
                   "only_exh": only_e, "only_adaptive": only_a, "wall_s": wall, "max_contrast_diff": same,
                   **{k: v for k, v in ad.design_summary().items() if k in ("futility", "efficacy", "completed",
                                                                            "pair_decided", "not_scanned")}}
            rows.append(row)
            print(row, flush=True)
    cols = ["model", "design", "exhaustive_calls", "adaptive_calls", "ratio", "called_exh", "both", "only_exh",
            "only_adaptive", "wall_s"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(f"{r[c]:.2f}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    raise SystemExit(main())
