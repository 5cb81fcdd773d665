"""Dask paths of the heavy verbs: single process vs 1- and 2-worker LocalCluster.

For each verb (attribute, scan, scan_pairs) the same call runs in this process and on a
``LocalCluster`` of 1 and 2 worker processes (one thread each); results must be identical (the
script stops otherwise). Per verb it prints wall times, the tasks' own compute time on the workers
(Dask's task stream), the per-task overhead (wall on 1 worker minus driver-only work minus the
tasks' compute, per task) and a projection to N workers:

    T(N) = S + (P + n_tasks * o) / N,   at least S + the longest task

with P the summed task compute time on the 1-worker cluster, o the round trip of an empty task
and S the rest of the 1-worker wall time (driver work, submission, transfers), so T(1) is the
measured 1-worker time. The
clusters are warmed first (TensorFlow import, model load once per worker, Numba compile); the
warm-up time is printed too.

Usage: python benchmarks/bench_distributed.py [--quick]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

from _machine import cpu_model  # benchmarks/_machine.py (scripts run from benchmarks/ on sys.path)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")




def onehot(n, L, seed):
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, L))]


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def task_seconds(client, run):
    """Run ``run()`` under Dask's task stream: (result, wall, summed compute seconds, n tasks)."""
    from distributed import get_task_stream

    with get_task_stream(client) as ts:
        out, wall = timed(run)
    comp = [sum(s["stop"] - s["start"] for s in t["startstops"] if s["action"] == "compute") for t in ts.data]
    mine = [c for c, t in zip(comp, ts.data) if not t["key"].startswith("_identity")]
    return out, wall, float(sum(mine)), len(mine), max(mine, default=0.0)


def project(S, P, n, o, longest, ns=(1, 2, 4, 8, 16, 32, 64)):
    return {N: max(S + (P + n * o) / N, S + longest) for N in ns}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller inputs")
    args = ap.parse_args()
    from kgenint.attribution import attribute
    from kgenint.distributed import ModelSpec, connect
    from kgenint.interactions.insilico import scan_pairs
    from kgenint.keras.models import deepbind
    from kgenint.motifs import Motif
    from kgenint.motifs.database import load_default
    from kgenint.motifs.scan import scan

    q = args.quick
    tmp = tempfile.mkdtemp(prefix="bench_dask_")
    L = 200
    model = deepbind(L, n_filters=32, kernel_size=15)
    path = os.path.join(tmp, "m.keras")
    model.save(path)
    spec = ModelSpec(path, batch_size=256)

    # --- inputs of the three verbs
    x_attr = onehot(64 if q else 2048, L, 0)
    attr_kw = dict(method="deepshap", chunk_size=16 if q else 256, n_references=8, seed=0, progress=False)
    motifs_db = load_default()[: 100 if q else 300]
    rng = np.random.default_rng(1)
    seqs = ["".join(rng.choice(list("ACGT"), size=1000)) for _ in range(100 if q else 2000)]
    scan_kw = dict(threshold=1e-4, qvalues=True, progress=False, chunk_size=250_000)
    words = ["GATAAG", "CACGTG", "TGACTCA", "CCAAT", "GGGCGG", "TTGCGCAA", "CATTCC", "TGTGGT"][: 4 if q else 8]
    motifs = [Motif.from_consensus(w, name=w) for w in words]
    bg = onehot(8 if q else 16, L, 2)
    pair_kw = dict(distances=np.arange(0, 41, 4 if q else 2), orientations=["++", "+-", "-+", "--"], seed=0,
                   progress=False, batch_size=256)

    verbs = {
        "attribute (deepshap)": (
            lambda client: attribute(spec, x_attr, client=client, **attr_kw),
            lambda a, b: np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]),
            f"{len(x_attr)} seqs x {L} bp, chunks of {attr_kw['chunk_size']}, 8 shuffle references"),
        "scan": (
            lambda client: scan(seqs, motifs_db, client=client, **scan_kw),
            lambda a, b: a.equals(b),
            f"{len(motifs_db)} JASPAR motifs x {len(seqs)} seqs x 1 kbp, q-values"),
        "scan_pairs (in-silico)": (
            lambda client: scan_pairs(spec, motifs, bg, client=client, **pair_kw),
            lambda a, b: np.array_equal(a.contrasts, b.contrasts, equal_nan=True),
            f"{len(motifs)} motifs, {len(pair_kw['distances'])} distances x 4 orientations x {len(bg)} backgrounds"),
    }
    units = {"attribute (deepshap)": (len(x_attr), "sequences", 100_000, 256),
             "scan": (sum(map(len, seqs)), "bp", 100_000_000, 4_000_000),
             "scan_pairs (in-silico)": (len(motifs) ** 2, "motif pairs", 50 ** 2, 1)}
    from kgenint.motifs.scan import MotifScanner

    MotifScanner(motifs_db, threshold=scan_kw["threshold"])
    _, t_build = timed(lambda: MotifScanner(motifs_db, threshold=scan_kw["threshold"]))
    fixed = {"scan": t_build}  # driver work that does not grow with the input (the scanner's tables)
    print(f"# bench_distributed on {cpu_model()}, {os.cpu_count()} cores (loaded by other jobs: wall times "
          f"inflated), python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}", flush=True)
    single = {}
    for name, (run, _, what) in verbs.items():
        run(None)  # warm: model load, tf.function tracing, Numba compile in this process
        single[name] = timed(lambda run=run: run(None))
        print(f"{name}: {what}; single process {single[name][1]:.2f} s", flush=True)
    rows = []
    latency: dict[int, float] = {}
    for nw in (1, 2):
        t0 = time.perf_counter()
        with connect(workers=nw) as client:
            client.wait_for_workers(nw, timeout=300)
            print(f"cluster of {nw} worker(s) started in {time.perf_counter() - t0:.1f} s", flush=True)
            for _ in range(5):
                client.submit(int, 0, pure=False).result()
            _, t_rt = timed(lambda: [client.submit(int, i, pure=False).result() for i in range(50)])
            latency[nw] = t_rt / 50
            print(f"round trip of an empty task: {1000 * latency[nw]:.1f} ms", flush=True)
            for name, (run, same, _) in verbs.items():
                _, t_warm = timed(lambda run=run: run(client))  # worker imports + model load once
                res, wall, comp, n, longest = task_seconds(client, lambda run=run: run(client))
                ok = same(single[name][0], res)
                if not ok:
                    print(f"{name}: results differ from the single-process run", file=sys.stderr)
                    return 1
                rows.append((name, nw, wall, comp, n, longest, t_warm))
                print(f"{name}: {nw} worker(s) {wall:.2f} s (tasks {n}, compute {comp:.2f} s, longest "
                      f"{longest:.2f} s; first run incl. warm-up {t_warm:.2f} s), identical: {ok}", flush=True)
    print("\n| verb | single (s) | 1 worker (s) | 2 workers (s) | tasks | per task (s) | overhead/task (s) | "
          "serial S (s) | projected 8 / 32 / 64 workers (s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in verbs:
        r1 = next(r for r in rows if r[0] == name and r[1] == 1)
        r2 = next(r for r in rows if r[0] == name and r[1] == 2)
        _, _, wall1, comp1, n, longest, _ = r1
        t_single = single[name][1]
        # per-task overhead: an empty task's round trip; serial part: the rest of the 1-worker wall
        # time (driver work, graph submission, result transfer), so that T(1) is the measured one
        o = latency[1]
        S = max(0.0, wall1 - comp1 - n * o)
        pr = project(S, comp1, n, o, longest)
        print(f"| {name} | {t_single:.2f} | {wall1:.2f} | {r2[2]:.2f} | {n} | {comp1 / n:.3f} | {o:.3f} | {S:.2f} | "
              f"{pr[8]:.2f} / {pr[32]:.2f} / {pr[64]:.2f} |")
    print("\nProjection to a large job from the measured cost per unit (1 worker) and per task; the serial part "
          "is assumed to grow with the input (pessimistic), except the scanner's tables (built once):\n")
    print("| verb | job | unit cost (ms) | tasks | 1 process (h) | 8 / 32 / 128 workers (h) | speed-up at 128 |")
    print("|---|---|---|---|---|---|---|")
    for name in verbs:
        r1 = next(r for r in rows if r[0] == name and r[1] == 1)
        _, _, wall1, comp1, n, _, _ = r1
        u, what, W, g = units[name]
        c = comp1 / u
        o = latency[1]
        S0 = max(0.0, wall1 - comp1 - n * o)
        f = min(S0, fixed.get(name, 0.0))
        S = f + (S0 - f) * W / u
        tasks = -(-W // g)
        t = {N: S + -(-tasks // N) * (g * c + o) for N in (1, 8, 32, 128)}
        print(f"| {name} | {W:,} {what}, {g:,} per task | {1000 * c:.3g} | {tasks:,} | {t[1] / 3600:.2f} | "
              f"{t[8] / 3600:.3f} / {t[32] / 3600:.3f} / {t[128] / 3600:.3f} | {t[1] / t[128]:.0f}x |")
    print(f"\nscanner tables built in {t_build:.2f} s (driver, once); load average at the end: "
          f"{os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
