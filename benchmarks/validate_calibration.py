"""Issue 12: the in-silico scan's statistics on trained models, old statistic beside new.

For every trained model (simulator preset x seed) the scan is run through the command line three
ways: classical contrasts (``--controls none``), control inserts made by dinucleotide shuffles
(``--controls shuffle``) and control inserts that keep each position's strong/weak class
(``--controls gc``), each scored with and without the leave-pair-out reference
(``reference_bounds``; recomputed from the stored contrasts with ``restat``). Each scan is scored against the planted truth with
:func:`kgenint.evaluate.score_interactions` (heterotypic pairs, pair q < 0.05). The *old*
statistic of kgenint <= 0.1 (classical contrasts tested against a scan-wide "auto" margin raised
per distance by the bulk of the other cells) is recomputed here from the classical scan's stored
contrasts, so both statistics are scored on the same model calls.

Models, data and planted motifs come from::

    kgenint simulate --preset P --seed S --out P_sS.h5 --meme P_sS.meme
    kgenint train --data P_sS.h5 --arch interaction --target continuous --batch-size 256 \\
        --epochs 20 --patience 4 --seed S --out P_sS.keras

Run::

    python benchmarks/validate_calibration.py --models /work/models [--kinds none,shuffle,gc]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SCAN_ARGS = ["--split", "test", "--background", "gc", "--n-backgrounds", "12", "--distances", "0:100:4",
             "--batch-size", "2048"]


def old_statistic(scan):
    """kgenint 0.1's margin='auto': max(0.01, 5 % of the largest main effect, robust bulk bound of all
    cell means), raised per distance to the robust bound of the cells at that distance (neighbours
    pooled to >= 50 cells); cells tested against it; pairs ranked by lcb - margin, Bonferroni."""
    from kgenint.interactions.pair_table import bh_qvalues
    from kgenint.interactions.scan_result import cell_statistics

    def bound(v):
        med = float(np.median(v))
        return abs(med) + 3.0 * 1.4826 * float(np.median(np.abs(v - med)))

    means = scan.contrasts.astype(np.float64).mean(-1)
    ok = means[np.isfinite(means)]
    base = max(0.01, 0.05 * float(np.nanmax(np.abs(scan.main_effects))), bound(ok))
    D = means.shape[2]
    per_d = [means[:, :, d][np.isfinite(means[:, :, d])] for d in range(D)]
    counts = np.array([v.size for v in per_d])
    marg = np.full(D, base)
    for d in range(D):
        lo = hi = d
        n = counts[d]
        while n < 50 and (lo > 0 or hi < D - 1):
            if lo > 0:
                lo -= 1
                n += counts[lo]
            if hi < D - 1 and n < 50:
                hi += 1
                n += counts[hi]
        v = np.concatenate(per_d[lo:hi + 1])
        if v.size:
            marg[d] = max(base, bound(v))
    m4 = marg.reshape(1, 1, D, 1)
    mean, se, lo_, hi_, t, p = cell_statistics(scan.contrasts, m4, 0.95)
    import dataclasses

    s2 = dataclasses.replace(scan, effect=mean, se=se, ci_low=lo_, ci_high=hi_, t=t, p=p, q=bh_qvalues(p))
    # ranking by lcb - margin: shift the bounds by the per-distance margin before choosing cells
    s3 = dataclasses.replace(s2, ci_low=lo_ - np.sign(mean) * m4, ci_high=hi_ - np.sign(mean) * m4)
    pr = s3.pairs("bonferroni")
    return pr, float(base), float(marg.max())


def score(pairs, truth, names):
    from kgenint.evaluate import score_interactions

    r = score_interactions(pairs, truth, motif_names=names)
    return {k: r[k] for k in ("pair_auroc", "precision", "recall", "n_called", "n_pairs", "frac_called",
                              "spacing_error_bp", "orientation_accuracy", "order_accuracy", "sign_accuracy",
                              "additive_called")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="/work/models")
    ap.add_argument("--kinds", default="none,shuffle,gc")
    ap.add_argument("--specs", default="default:0,additive:0,default:1,additive:1")
    args = ap.parse_args(argv)
    from kgenint.interactions.scan_result import load
    from kgenint.simulate import load_truth

    d = Path(args.models)
    rows = []
    for spec in args.specs.split(","):
        preset, seed = spec.split(":")
        stem = d / f"{preset}_s{seed}"
        if not Path(f"{stem}.keras").exists():
            print(f"# {stem}.keras missing: skipped", flush=True)
            continue
        truth = load_truth(f"{stem}.h5")
        names = [m.name for m in truth.motifs]
        for kind in args.kinds.split(","):
            out = Path(f"{stem}.scan_{kind}.h5")
            if not out.exists():
                t0 = time.perf_counter()
                cmd = [sys.executable, "-m", "kgenint", "interactions", "--quiet", "--model", f"{stem}.keras",
                       "--motifs", f"{stem}.meme", "--data", f"{stem}.h5", *SCAN_ARGS, "--controls", kind,
                       "--seed", "0", "--out", str(out), "--table", f"{stem}.pairs_{kind}.tsv"]
                subprocess.run(cmd, check=True)
                print(f"# {out.name}: {time.perf_counter() - t0:.0f} s", flush=True)
            scan = load(out)
            n_calls = int(scan.params.get("n_predicted", 0))
            for ref in ("none", "other_pairs"):
                rows.append({"preset": preset, "seed": seed, "statistic": f"new: controls={kind}, reference={ref}",
                             "model_calls": n_calls, **score(scan.restat(reference=ref).pairs(), truth, names)})
            if kind == "none":
                pr, base, mmax = old_statistic(scan)
                rows.append({"preset": preset, "seed": seed, "statistic": f"old (auto margin {base:.2f}..{mmax:.2f})",
                             "model_calls": n_calls, **score(pr, truth, names)})
            print(rows[-1], flush=True)
    cols = ["preset", "seed", "statistic", "model_calls", "pair_auroc", "precision", "recall", "n_called",
            "frac_called", "spacing_error_bp", "orientation_accuracy", "order_accuracy", "sign_accuracy",
            "additive_called"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(f"{r[c]:.3f}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    raise SystemExit(main())
