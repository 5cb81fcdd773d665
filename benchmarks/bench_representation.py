"""What the network represents and where the interactions live: the numbers behind
``benchmarks/RESULTS_representation.md``.

Stages (results cached under ``benchmarks/_out/``, git-ignored; re-running skips done work):

``rep``
    For each seed: simulate the ``default`` preset at ``--n`` sequences, train the ``local``,
    ``distributed`` and ``interaction`` reference architectures for ``--epochs`` epochs
    (continuous target, batch 128, patience 3), then the representation table
    (:func:`kgenint.keras.units.representation`) of every convolution / dense layer on
    ``--n-ref`` test sequences, against the planted motifs (JASPAR added to the comparison
    targets to calibrate TOMTOM p-values, as ``FilterMotifTracker(null_database=...)``).
``inter``
    On trained ``interaction`` CNNs (``--models``: default the integrator's 100k-sequence
    models in ``/work/models``, with their data and planted truth), the feature-space detectors
    at ``pool1`` (first-layer motif units, the whole network above as the head) and
    ``global_pools`` (post-convolution features, the dense head only), scored against the
    planted rules with :func:`kgenint.evaluate.score_interactions` (pairs of the planted
    motifs; homotypic pairs excluded), with wall times and the model's raw predict throughput
    (to put the cost next to the in-silico scan's ~6.0 M model calls). Units are named on all
    ``--n-seq`` sequences; the ``pool1`` contrasts use the first ``--n-pool1``.
``report``
    Print the markdown tables.

Run (2 shared cores; every time is wall time on a loaded machine)::

    PYTHONPATH=. NUMBA_CACHE_DIR=/tmp/numba-features nice -n 10 .venv/bin/python \\
        benchmarks/bench_representation.py rep --seeds 0 1 --n 20000 --epochs 5
    ... bench_representation.py inter --models /work/models/default_s0.keras /work/models/default_s1.keras
    ... bench_representation.py report
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

OUT = Path(__file__).resolve().parent / "_out"
LAYERS = {
    "local": ["conv1_act", "conv2_act", "dense1_act"],
    "distributed": ["conv1_act", "conv2_act", "conv3_act", "dense1_act"],
    "interaction": ["conv1_act", "conv2_act", "residual3", "global_pools", "dense1_act"],
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def get_data(n: int, seed: int):
    from kgenint.simulate import load, save, simulate

    path = OUT / f"rep_sim_default_s{seed}_n{n}.h5"
    if path.exists():
        return load(path)
    t0 = time.perf_counter()
    data = simulate("default", n=n, seed=seed)
    save(data, path)
    log(f"simulated n={n} seed={seed} in {time.perf_counter() - t0:.0f} s")
    return data


def get_model(data, arch: str, seed: int, epochs: int, n: int):
    import keras

    from kgenint.keras.training import train_model

    path = OUT / f"rep_model_{arch}_s{seed}_n{n}_e{epochs}.keras"
    mpath = path.with_suffix(".json")
    if path.exists() and mpath.exists():
        from kgenint.keras import load_model

        return load_model(path, compile=False), json.loads(mpath.read_text())
    xtr, ytr = data.subset("train", "continuous")
    xva, yva = data.subset("valid", "continuous")
    xte, yte = data.subset("test", "continuous")
    keras.utils.set_random_seed(seed)
    t0 = time.perf_counter()
    model, hist, metrics = train_model(xtr, ytr, arch=arch, target="continuous", x_valid=xva, y_valid=yva,
                                       x_test=xte, y_test=yte, epochs=epochs, batch_size=128, patience=3,
                                       seed=seed, verbose=0)
    keep = {k: v for k, v in metrics.items() if isinstance(v, (int, float, str)) or v is None}
    keep["train_seconds"] = time.perf_counter() - t0
    model.save(path)
    mpath.write_text(json.dumps(keep, indent=1))
    log(f"trained {arch} seed {seed}: test pearson {keep.get('pearson')}, {keep['train_seconds']:.0f} s")
    return model, keep


def stage_rep(args):
    from kgenint.keras.units import representation

    for seed in args.seeds:
        data = get_data(args.n, seed)
        xte, _ = data.subset("test", "continuous")
        xref = xte[: args.n_ref]
        for arch in ("local", "distributed", "interaction"):
            out = OUT / f"rep_table_{arch}_s{seed}_n{args.n}_e{args.epochs}.json"
            if out.exists():
                continue
            model, metrics = get_model(data, arch, seed, args.epochs, args.n)
            rows = []
            for lay in LAYERS[arch]:
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    rep = representation(model, xref, data.truth.motifs, lay, null_database="default", seed=seed)
                row = dict(rep.summary, arch=arch, seed=seed, seconds=time.perf_counter() - t0,
                           covered=sorted(set(rep.units["motif"]) - {""}), pearson=metrics.get("pearson"))
                rows.append(row)
                log(f"{arch} s{seed} {lay}: matched {row['matched_frac']:.2f}, refs {row['refs_covered']}, "
                    f"{row['seconds']:.0f} s")
            out.write_text(json.dumps(rows, indent=1, default=float))


def _score(df, truth):
    from kgenint.evaluate import score_interactions

    names = truth.motif_names
    d = df.copy()
    d["q"] = d["q_value"].fillna(1.0)
    d["p"] = d["p_value"]
    d["score"] = np.abs(d["effect"].to_numpy(float))
    d["distance"] = 0
    d["orientation"] = "++"
    res = score_interactions(d, truth, motif_names=names)
    planted = {frozenset(p) for p in truth.interacting_pairs()}
    present = {frozenset((a, b)) for a, b in zip(df.motif_a, df.motif_b) if a != b}
    res["planted_scored"] = len(planted & present)
    res.pop("table", None)
    return res


def _model_truth(df, mpath: Path, truth) -> dict:
    """Against the in-silico scan of the same model (``<model>.pairs_none.tsv`` when present):
    AUROC of |effect| for the heterotypic pairs the scan calls (q < 0.05), and the overlap."""
    import pandas as pd

    from kgenint.evaluate import auroc

    path = mpath.with_name(mpath.stem + ".pairs_none.tsv")
    if not path.exists():
        return {}
    scan = pd.read_csv(path, sep="\t")
    q = scan.get("q_value", scan.get("q"))
    called_scan = {frozenset((a, b)) for a, b, qq in zip(scan.motif_a, scan.motif_b, q) if a != b and qq < 0.05}
    eff = {frozenset((a, b)): abs(e) for a, b, e in zip(df.motif_a, df.motif_b, df.effect) if a != b}
    ours = {frozenset((a, b)) for a, b, qq in zip(df.motif_a, df.motif_b, df.q_value) if a != b and qq < 0.05}
    names = truth.motif_names
    keys = [frozenset((a, b)) for i, a in enumerate(names) for b in names[i + 1:]]
    y = np.array([k in called_scan for k in keys])
    sc = np.array([eff.get(k, 0.0) for k in keys])
    return {"scan_called": len(called_scan), "model_truth_auroc": auroc(y, sc) if 0 < y.sum() < len(y) else float("nan"),
            "both_called": len(called_scan & ours)}


def stage_inter(args):
    import h5py

    from kgenint.interactions.features import feature_interactions
    from kgenint.keras import load_model
    from kgenint.keras.adapter import as_predict_fn
    from kgenint.simulate import load_truth

    for mpath in args.models:
        mpath = Path(mpath)
        data_path = mpath.with_suffix(".h5")
        out = OUT / f"inter_{mpath.stem}_n{args.n_seq}.json"
        if out.exists():
            continue
        truth = load_truth(data_path)
        with h5py.File(data_path) as f:
            te = np.sort(f["split/test"][:])[: args.n_seq]
            x = f["x"][te]
        model = load_model(mpath, compile=False)
        from kgenint.keras.units import representation

        reps = []
        for lay in LAYERS["interaction"]:
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rep = representation(model, x, truth.motifs, lay, null_database="default", seed=0)
            reps.append(dict(rep.summary, arch=f"interaction ({mpath.stem}, 100k)", seed=mpath.stem[-1],
                             seconds=time.perf_counter() - t0, covered=sorted(set(rep.units["motif"]) - {""}),
                             pearson=json.loads(mpath.with_suffix(".metrics.json").read_text()).get("pearson")))
            log(f"{mpath.stem} {lay}: matched {reps[-1]['matched_frac']:.2f}, refs {reps[-1]['refs_covered']}")
        (OUT / f"rep_table_100k_{mpath.stem}.json").write_text(json.dumps(reps, indent=1, default=float))
        predict = as_predict_fn(model, batch_size=1024)
        predict(x[:1024])
        t0 = time.perf_counter()
        xb = np.concatenate([x] * max(1, 8192 // len(x)))[:8192]
        predict(xb)
        throughput = len(xb) / (time.perf_counter() - t0)
        rows = []
        plan = [("global_pools", "mdd", args.n_seq), ("global_pools", "nid", args.n_seq),
                ("global_pools", "hessian", args.n_seq), ("pool1", "mdd", args.n_pool1)]
        for lay, det, n in plan:
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                df = feature_interactions(model, x, truth.motifs, layer=lay, detector=det, n_contrast=n,
                                          null_database="default", seed=0)
            sec = time.perf_counter() - t0
            res = _score(df, truth)
            named = [m for m in df.attrs["unit_motifs"] if m]
            row = dict(model=mpath.stem, layer=lay, detector=det, n_seq=n, seconds=sec,
                       units_named=len(named), n_units=len(df.attrs["unit_motifs"]),
                       motifs_named=len(set(named)), **res,
                       top=[f"{a}-{b}" for a, b in zip(df.motif_a[:5], df.motif_b[:5])],
                       predict_per_s=throughput, **_model_truth(df, mpath, truth),
                       pairs=df[["motif_a", "motif_b", "effect", "q_value"]].to_dict("list"))
            rows.append(row)
            log(f"{mpath.stem} {lay} {det}: auroc {res['pair_auroc']:.2f}, called {res['n_called']}, "
                f"precision {res['precision']}, {sec:.0f} s")
        out.write_text(json.dumps(rows, indent=1, default=float))


def _fmt(v, nd=2):
    if v is None:
        return "-"
    if isinstance(v, float):
        return "NaN" if not np.isfinite(v) else f"{v:.{nd}f}"
    return str(v)


def stage_report(args):
    import pandas as pd

    reps = []
    for p in sorted(OUT.glob("rep_table_*.json")):
        reps.extend(json.loads(p.read_text()))
    if reps:
        df = pd.DataFrame(reps)
        print("| arch | seed | test r | layer | field (bp) | units | matched | refs covered (of 18) | units/motif | "
              "share matched | top share | s |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for _, r in df.iterrows():
            print(f"| {r.arch} | {r.seed} | {_fmt(r.pearson)} | {r.layer} | {r.field_size} | {r.n_units} | "
                  f"{_fmt(r.matched_frac)} | {r.refs_covered} | {_fmt(r.units_per_motif, 1)} | "
                  f"{_fmt(r.share_matched)} | {_fmt(r.top_share)} | {r.seconds:.0f} |")
    inter = []
    for p in sorted(OUT.glob("inter_*.json")):
        inter.extend(json.loads(p.read_text()))
    if inter:
        print()
        print("| model | layer | detector | seqs | units named | motifs named | planted pairs scorable | "
              "pair AUROC | AUPRC | called | precision | recall | additive called | AUROC vs scan calls | "
              "called by both | s | top 3 |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in inter:
            print(f"| {r['model']} | {r['layer']} | {r['detector']} | {r['n_seq']} | {r['units_named']}/{r['n_units']} | "
                  f"{r['motifs_named']} | {r['planted_scored']}/6 | {_fmt(r['pair_auroc'])} | {_fmt(r['pair_auprc'])} | "
                  f"{r['n_called']} | {_fmt(r['precision'])} | {_fmt(r['recall'])} | {r['additive_called']} | "
                  f"{_fmt(r.get('model_truth_auroc'))} ({r.get('scan_called', '-')} scan calls) | "
                  f"{r.get('both_called', '-')} | {r['seconds']:.0f} | {', '.join(r['top'][:3])} |")
        print()
        for m in sorted({r["model"] for r in inter}):
            thr = [r["predict_per_s"] for r in inter if r["model"] == m][0]
            print(f"{m}: raw predict {thr:.0f} sequences/s -> the in-silico scan's 6.04 M calls ~ {6.04e6 / thr:.0f} s")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("stage", choices=("rep", "inter", "report"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--n", type=int, default=20000)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--n-ref", type=int, default=1500)
    p.add_argument("--models", nargs="+", default=["/work/models/default_s0.keras", "/work/models/default_s1.keras"])
    p.add_argument("--n-seq", type=int, default=1000)
    p.add_argument("--n-pool1", type=int, default=200)
    args = p.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    {"rep": stage_rep, "inter": stage_inter, "report": stage_report}[args.stage](args)


if __name__ == "__main__":
    main()
