"""Benchmark of the interaction detectors (issue 15).

Two parts:

``tables``  every detector on each trained model + simulated data set found in ``--models``
            (``<preset>_s<seed>.keras`` beside ``<preset>_s<seed>.h5``), scored against the planted
            rules and the model's own in-silico scan: writes ``<out>/<name>.summary.tsv`` and
            ``<out>/<name>.kinds.tsv`` per model (see ``kgenint benchmark``).
``costs``   memory of block Hessians at L = 1,000 (peak RSS of a fresh process) and the
            throughput of DFIM (sequences x motif pairs per minute), each in its own process.

    python benchmarks/bench_detectors.py tables --models /work/models --out /tmp/det_bench
    python benchmarks/bench_detectors.py costs

Record ``lscpu``'s model name with every time (printed first).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

from _machine import cpu_model  # benchmarks/_machine.py (scripts run from benchmarks/ on sys.path)




def tables(models: str, out: str, n_seqs: int, n_label_seqs: int, n_backgrounds: int, only: list[str],
           seed: int = 0) -> None:
    from kgenint.cli.cmd_benchmark import run_benchmark

    os.makedirs(out, exist_ok=True)
    for path in sorted(glob.glob(os.path.join(models, "*.keras"))):
        model_name = os.path.basename(path)[:-6]
        if only and model_name not in only:
            continue
        data = os.path.join(models, model_name + ".h5")
        name = model_name if seed == 0 else f"{model_name}.bench_seed{seed}"
        if not os.path.exists(data) or os.path.exists(os.path.join(out, name + ".summary.tsv")):
            continue
        t0 = time.time()
        summary, kinds, _ = run_benchmark(path, data, n_seqs=n_seqs, n_label_seqs=n_label_seqs,
                                          n_backgrounds=n_backgrounds, distances=range(-100, 101, 10), seed=seed)
        summary.to_csv(os.path.join(out, name + ".summary.tsv"), sep="\t", float_format="%.4g", index_label="method")
        kinds.to_csv(os.path.join(out, name + ".kinds.tsv"), sep="\t", float_format="%.4g", index_label="method")
        print(f"{name}: {time.time() - t0:.0f} s, sizes {summary.attrs}", file=sys.stderr)


def _hessian_child(length: int, batch: int, n_steps: int) -> dict:

    from kgenint.interactions.hessian import block_interactions
    from kgenint.keras.derivatives import hvp_fn, softplus_surrogate
    from kgenint.keras.models import build_model

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    import warnings
    warnings.simplefilter("ignore")
    model = softplus_surrogate(build_model("basset", length))
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (4, length))]
    blocks = np.array([[s, 300, 312, 600, 612] for s in range(4)] * 4)  # 16 block pairs
    hvp = hvp_fn(model, batch_size=batch)
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    block_interactions(hvp, x, blocks, n_steps=n_steps, batch_size=batch)
    wall = time.perf_counter() - t0
    rss2 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"length": length, "params": int(model.count_params()), "hvp_batch": batch, "hvp_rows": 16 * n_steps,
            "wall_s": wall, "rss_before_model_mb": rss0 / 1024, "rss_model_loaded_mb": rss1 / 1024,
            "peak_rss_mb": rss2 / 1024, "full_hessian_gb": (4 * length) ** 2 * 4 / 2 ** 30}


def _dfim_child(model_path: str, data_path: str, n_seqs: int) -> dict:
    from kgenint.interactions.dfim import dfim_pairs
    from kgenint.keras.derivatives import attribution_fn
    from kgenint.motifs.scan import scan
    from kgenint._io_inputs import load_keras_model
    from kgenint.simulate.io import load

    data = load(data_path)
    model, _ = load_keras_model(model_path)
    x = data.x[data.split["test"][:4000]]
    hits = scan(x, list(data.truth.motifs), threshold=1e-4, progress=False)
    hits = hits.assign(motif=hits["motif_id"].astype(str))
    per = hits.groupby("seq")["motif"].nunique()
    keep = per.index[per >= 2].to_numpy()[:n_seqs]
    remap = {int(s): i for i, s in enumerate(keep)}
    hs = hits[hits.seq.isin(keep)].assign(seq=lambda h: h.seq.map(remap))
    attr = attribution_fn(model, "gradient_x_input", batch_size=512)
    attr(x[:8])  # trace once
    t0 = time.perf_counter()
    tab = dfim_pairs(attr, x[keep], hs, n_mutations=3, n_null=1, max_pairs_per_seq=10)
    wall = time.perf_counter() - t0
    from kgenint.interactions._instances import hit_pairs
    n_inst = len(hit_pairs(hs.assign(motif=hs.motif.astype(str)), max_per_seq=10))
    return {"n_seqs": int(len(keep)), "instances": int(n_inst), "attribution_rows": int(tab.attrs["attribution_rows"]),
            "wall_s": wall, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "extrapolated_1000x10_s": wall * (1000 * 10) / max(1, n_inst)}


def costs(model: str, data: str) -> None:
    print(f"CPU: {cpu_model()}")
    for batch in (16, 64):
        r = subprocess.run([sys.executable, __file__, "_hessian", str(batch)], capture_output=True, text=True)
        print("hessian", r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr[-2000:])
    for n in (100, 1000):
        r = subprocess.run([sys.executable, __file__, "_dfim", model, data, str(n)], capture_output=True, text=True)
        print("dfim", r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr[-2000:])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_hessian":
        print(json.dumps(_hessian_child(1000, int(sys.argv[2]), 8)))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_dfim":
        print(json.dumps(_dfim_child(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 1000)))
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tables")
    t.add_argument("--models", default="/work/models")
    t.add_argument("--out", default="/tmp/det_bench")
    t.add_argument("--n-seqs", type=int, default=400)
    t.add_argument("--n-label-seqs", type=int, default=5000)
    t.add_argument("--n-backgrounds", type=int, default=8)
    t.add_argument("--only", nargs="*", default=[])
    t.add_argument("--seed", type=int, default=0, help="benchmark seed (sequences, backgrounds, nulls)")
    c = sub.add_parser("costs")
    c.add_argument("--model", default="/work/models/default_s0.keras")
    c.add_argument("--data", default="/work/models/default_s0.h5")
    a = p.parse_args()
    print(f"CPU: {cpu_model()}", file=sys.stderr)
    if a.cmd == "tables":
        tables(a.models, a.out, a.n_seqs, a.n_label_seqs, a.n_backgrounds, a.only, a.seed)
    else:
        costs(a.model, a.data)


if __name__ == "__main__":
    main()
