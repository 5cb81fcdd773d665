"""Benchmark: throughput of the in-silico pair scan (``scan_pairs``) against the raw batched
predict throughput of the same model, in one process.

Model: ``kgenint.keras.models.local_cnn(200)`` (untrained, seeded; throughput does not depend on
the weights), wrapped by ``as_predict_fn(model, logits=True)``. Motifs: the first 20 of
``load_curated()``. Backgrounds: 32 random 200 bp sequences at 42 % GC.

Reported:
* raw predict: sequences/s of ``predict`` on random one-hot input in the scan's batch size
  (input already in memory: the upper bound of any scan);
* ``scan_pairs`` on a slice of the full scan (``--pairs`` ordered motif pairs, all 150 distances,
  4 orientations, 32 backgrounds): sequences predicted per second of wall time including
  sequence assembly, statistics and bookkeeping, and the ratio to raw (goal >= 80 %);
* the full scan (20 motifs x 150 distances x 4 orientations x 32 backgrounds): the exact number
  of sequences it predicts (counted from the placements, no model calls) and its time, run
  (``--full``) or extrapolated from the measured scan throughput (said so in the output).

Usage::

    .venv/bin/python benchmarks/bench_interactions.py --pairs 6
    .venv/bin/python benchmarks/bench_interactions.py --full      # long on a shared 2-core machine
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.dirname(__file__), "..", ".numba_cache"))

import numpy as np  # noqa: E402


def full_scan_size(widths, distances, L: int, n_orient: int, n_bg: int) -> int:
    """Sequences ``scan_pairs`` predicts for all ordered pairs (mirrors its job plan)."""
    from kgenint.interactions.insilico import placements

    K = len(widths)
    used = set()
    cells = 0
    strands = {1: [(0, 0)], 2: [(0, 0), (0, 1)], 4: [(0, 0), (0, 1), (1, 0), (1, 1)]}[n_orient]
    for a in range(K):
        for b in range(K):
            for d in distances:
                pl = placements(int(widths[a]), int(widths[b]), int(d), L, "center")
                if pl is None:
                    continue
                cells += 1
                for s1, s2 in strands:
                    used.add((a, s1, pl[0]))
                    used.add((b, s2, pl[1]))
    for k in range(K):
        for s in (0, 1):
            used.add((k, s, (L - int(widths[k])) // 2))
    return n_bg + len(used) * n_bg + cells * n_orient * n_bg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=6, help="ordered motif pairs in the measured slice")
    ap.add_argument("--motifs", type=int, default=20)
    ap.add_argument("--n-bg", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--full", action="store_true", help="run the full scan instead of extrapolating")
    args = ap.parse_args()

    import keras

    from kgenint.interactions.insilico import scan_pairs
    from kgenint.keras import as_predict_fn
    from kgenint.keras.models import local_cnn
    from kgenint.motifs import load_curated
    from kgenint.sequence import random_background

    L, N, K = 200, args.n_bg, args.motifs
    keras.utils.set_random_seed(0)
    model = local_cnn(L)
    predict = as_predict_fn(model, logits=True, batch_size=args.batch_size)
    motifs = load_curated()[:K]
    bg = random_background(N, L, gc=0.42, seed=0)
    dist = np.arange(150)
    print(f"model: local_cnn({L}), {model.count_params()} params; batch size {args.batch_size}; "
          f"{K} motifs (widths {min(m.width for m in motifs)}-{max(m.width for m in motifs)} bp), {N} backgrounds")

    # ---- raw predict throughput on in-memory input (after a warm-up / trace)
    xr = random_background(8 * args.batch_size, L, gc=0.42, seed=1)
    t0 = time.perf_counter()
    predict(xr[:10])
    t_first = time.perf_counter() - t0
    t, c = time.perf_counter(), time.process_time()
    for _ in range(2):
        predict(xr)
    raw_wall = (time.perf_counter() - t) / 2
    raw_cpu = (time.process_time() - c) / 2
    raw = len(xr) / raw_wall
    print(f"raw predict: first call (trace) {t_first:.2f} s; {len(xr)} seqs in {raw_wall:.2f} s wall / "
          f"{raw_cpu:.2f} s CPU = {raw:.0f} seq/s wall, {len(xr) / raw_cpu:.0f} seq/s CPU")

    # ---- scan slice: the first --pairs ordered pairs (a != b), all distances and orientations
    pairs = [(a, b) for a in range(K) for b in range(K) if a != b][: args.pairs]
    scan_pairs(predict, motifs[:2], bg[:2], distances=[20], orientations=["++"], show_progress=False)  # warm-up
    t, c = time.perf_counter(), time.process_time()
    res = scan_pairs(predict, motifs, bg, distances=dist, pairs=pairs, batch_size=args.batch_size,
                     show_progress=False)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    n_pred = int(res.params["n_predicted"])
    thr, thr_cpu = n_pred / wall, n_pred / cpu
    # raw predict again right after, so both see the same machine load
    t, c = time.perf_counter(), time.process_time()
    predict(xr)
    raw2_wall, raw2_cpu = time.perf_counter() - t, time.process_time() - c
    raw_b, raw_b_cpu = len(xr) / ((raw_wall + raw2_wall) / 2), len(xr) / ((raw_cpu + raw2_cpu) / 2)
    print(f"scan_pairs slice: {len(pairs)} ordered pairs x {dist.size} distances x 4 orientations x {N} backgrounds: "
          f"{n_pred} sequences in {wall:.2f} s wall / {cpu:.2f} s CPU (in predict: {res.params['predict_seconds']:.2f} s)")
    print(f"  throughput {thr:.0f} seq/s wall, {thr_cpu:.0f} seq/s CPU; vs raw predict (mean of the runs before "
          f"and after: {raw_b:.0f} / {raw_b_cpu:.0f} seq/s): {100 * thr / raw_b:.0f} % wall, "
          f"{100 * thr_cpu / raw_b_cpu:.0f} % CPU (goal >= 80 %)")

    # ---- full scan
    total = full_scan_size([m.width for m in motifs], dist, L, 4, N)
    if args.full:
        t = time.perf_counter()
        full = scan_pairs(predict, motifs, bg, distances=dist, batch_size=args.batch_size, show_progress=True)
        tw = time.perf_counter() - t
        print(f"full scan {K}x{K}x{dist.size}x4x{N}: {full.params['n_predicted']} sequences in {tw:.1f} s "
              f"(counted beforehand: {total})")
    else:
        print(f"full scan {K} motifs x {K} x {dist.size} distances x 4 orientations x {N} backgrounds: {total} "
              f"sequences; EXTRAPOLATED from the slice throughput: {total / thr:.0f} s wall at this machine load "
              f"({total / thr / 60:.1f} min), {total / thr_cpu:.0f} CPU-seconds")


if __name__ == "__main__":
    main()
