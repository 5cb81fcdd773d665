"""Benchmark: ``kgenint.interactions.cooccurrence`` on millions of motif hits, and its counting
against a straightforward pandas/NumPy implementation on a subset, in one process.

Input: ``--n-seqs`` sequences x ``--hits-per-seq`` random hits (``--motifs`` motifs, starts
uniform in 1 kb, width 10, random strand), random groups (half 1, half 0).

Reported:
* ``cooccurrence()`` (pair histograms with the Numba kernel + Fisher tests + BH q): first call
  (compile, or load from the Numba cache) and warm time on all hits;
* on the first ``--subset`` sequences: the same call and a pandas self-merge implementation of
  the counting (every ordered pair of distinct hits in a sequence, ``0 <= d <= max_distance``,
  non-overlapping, counted per (group, a, b, d, orientation); sequences with >= 1 such pair),
  the ratio, and whether the counts are identical. The Fisher tests are not part of the naive
  side (scipy's two-sided ``fisher_exact`` is not vectorised; ~240,000 cells would take minutes).

With ``--memory K1,K2,...``: time and peak RSS of ``cooccurrence()`` (blocks of motifs, sparse
cells, ``--max-memory`` GiB ceiling) for each number of motifs, each run in a fresh process, next
to the dense implementation it replaced (counts ``(2, K, K, D, 4)`` with the ``pair_histograms``
kernel, Fisher on every observed cell, BH) for the K up to ``--dense-max-k``.

Usage::

    .venv/bin/python benchmarks/bench_cooccurrence.py --n-seqs 50000 --hits-per-seq 40 --subset 2000
    .venv/bin/python benchmarks/bench_cooccurrence.py --memory 50,150,300,834 --n-seqs 2000 --hits-per-seq 100
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.dirname(__file__), "..", ".numba_cache"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def random_hits(S: int, per: int, K: int, L: int = 1000, w: int = 10, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = S * per
    start = rng.integers(0, L - w, n)
    return pd.DataFrame({
        "seq": np.repeat(np.arange(S), per), "motif": rng.integers(0, K, n), "start": start, "end": start + w,
        "strand": np.where(rng.random(n) < 0.5, "+", "-"),
    })


def naive_counts(hits: pd.DataFrame, groups: np.ndarray, K: int, max_d: int):
    """pandas self-merge: pair_counts, seq_counts (2, K, K, D, 4), group 1 first."""
    h = hits.assign(o=(hits["strand"] == "-").astype(np.int64), i=np.arange(len(hits)))
    m = h.merge(h, on="seq", suffixes=("_a", "_b"))
    d = m["start_b"] - m["start_a"]
    keep = (m["i_a"] != m["i_b"]) & (d >= 0) & (d <= max_d) & ~((m["start_b"] < m["end_a"]) & (m["start_a"] < m["end_b"]))
    m = m[keep]
    d = (m["start_b"] - m["start_a"]).to_numpy()
    g = 1 - groups[m["seq"].to_numpy()]  # group 1 -> row 0
    ok = groups[m["seq"].to_numpy()] >= 0
    a, b = m["motif_a"].to_numpy(), m["motif_b"].to_numpy()
    o = 2 * m["o_a"].to_numpy() + m["o_b"].to_numpy()
    D = max_d + 1
    pc = np.zeros((2, K, K, D, 4), dtype=np.int64)
    np.add.at(pc, (g[ok], a[ok], b[ok], d[ok], o[ok]), 1)
    cells = pd.DataFrame({"g": g[ok], "a": a[ok], "b": b[ok], "d": d[ok], "o": o[ok], "s": m["seq"].to_numpy()[ok]})
    u = cells.drop_duplicates()
    sc = np.zeros_like(pc)
    np.add.at(sc, (u["g"].to_numpy(), u["a"].to_numpy(), u["b"].to_numpy(), u["d"].to_numpy(), u["o"].to_numpy()), 1)
    return pc, sc


def dense_cooccurrence(hits: pd.DataFrame, groups: np.ndarray, K: int, max_d: int):
    """The dense implementation replaced by the block-wise one (marginal null): counts, Fisher, BH."""
    from kgenint._kernels.cooccurrence import pair_histograms
    from kgenint.interactions.cooccurrence import fisher_pvalues
    from kgenint.interactions.pair_table import bh_qvalues

    order = np.lexsort((hits["start"].to_numpy(), hits["seq"].to_numpy()))
    h = hits.iloc[order]
    seq = h["seq"].to_numpy(np.int64)
    seg = np.searchsorted(seq, np.arange(len(groups) + 1)).astype(np.int64)
    pc, sc = pair_histograms(seg, h["motif"].to_numpy(np.int64), h["start"].to_numpy(np.int64),
                             h["end"].to_numpy(np.int64), (h["strand"].to_numpy() == "-").astype(np.int64),
                             groups, K, max_d, 1, 0, False, 2, 1)
    sc = sc[::-1].copy()
    n1, n2 = int((groups == 1).sum()), int((groups == 0).sum())
    x = sc[0].ravel()
    t = x + sc[1].ravel()
    p = np.full(x.shape, np.nan)
    obs = t > 0
    p[obs] = fisher_pvalues(x[obs], n1, t[obs], n1 + n2)
    odds = ((sc[0] + 0.5) / (n1 - sc[0] + 0.5)) / ((sc[1] + 0.5) / (n2 - sc[1] + 0.5))
    return pc, sc, p, bh_qvalues(p), odds


def _one_memory_run(mode: str, K: int, args) -> None:
    """Child process: one run, prints 'RESULT wall_s n_cells'."""
    from kgenint.interactions.cooccurrence import cooccurrence

    hits = random_hits(args.n_seqs, args.hits_per_seq, K)
    groups = (np.random.default_rng(1).random(args.n_seqs) < 0.5).astype(np.int64)
    small = hits[hits["seq"] < 5]  # compile (or load from the Numba cache) outside the timing
    if mode == "dense":
        dense_cooccurrence(small, groups[:5], K, 10)
    else:
        cooccurrence(small, groups[:5], motif_names=[str(i) for i in range(K)], max_distance=10, null="marginal")
    t = time.perf_counter()
    if mode == "dense":
        n = int(np.isfinite(dense_cooccurrence(hits, groups, K, args.max_distance)[2]).sum())
    else:
        res = cooccurrence(hits, groups, motif_names=[str(i) for i in range(K)], max_distance=args.max_distance,
                           null="marginal", max_memory=args.max_memory * 2**30)
        res.pairs()
        n = res.n_tests
    import resource

    print(f"RESULT {time.perf_counter() - t:.3f} {n} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")


def memory_table(args) -> None:
    import subprocess
    import sys

    print(f"{args.n_seqs:,} sequences x {args.hits_per_seq} hits (1 kb), max distance {args.max_distance}, 1-bp bins, "
          f"ceiling {args.max_memory} GiB; peak RSS of a fresh process (includes the input table and imports)")
    print("| K | method | wall s | peak RSS MiB | observed cells | dense array (2,K,K,D,4) |")
    print("|---|---|---|---|---|---|")
    for K in (int(k) for k in args.memory.split(",")):
        for mode in ("dense", "blocks"):
            if mode == "dense" and K > args.dense_max_k:
                continue
            cmd = [sys.executable, __file__, "--child", f"{mode}:{K}", "--n-seqs", str(args.n_seqs), "--hits-per-seq",
                   str(args.hits_per_seq), "--max-distance", str(args.max_distance), "--max-memory",
                   str(args.max_memory)]
            out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True).stdout
            line = [ln for ln in out.splitlines() if ln.startswith("RESULT")]
            wall, n, rss = line[0].split()[1:] if line else ("failed", "-", "0")
            dense_gb = 2 * K * K * (args.max_distance + 1) * 4 * 8 / 2**30
            print(f"| {K} | {mode} | {wall} | {int(rss) / 1024:.0f} | {n} | {dense_gb:.2f} GiB |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--memory", default=None, help="comma-separated numbers of motifs: time and peak RSS table")
    ap.add_argument("--dense-max-k", type=int, default=150, help="largest K run with the dense implementation")
    ap.add_argument("--max-memory", type=float, default=2.0, help="ceiling of cooccurrence() in GiB")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--n-seqs", type=int, default=50000)
    ap.add_argument("--hits-per-seq", type=int, default=40)
    ap.add_argument("--motifs", type=int, default=20)
    ap.add_argument("--max-distance", type=int, default=150)
    ap.add_argument("--subset", type=int, default=2000)
    args = ap.parse_args()
    if args.child:
        mode, k = args.child.split(":")
        return _one_memory_run(mode, int(k), args)
    if args.memory:
        return memory_table(args)

    import numba

    from kgenint.interactions.cooccurrence import cooccurrence

    S, K, md = args.n_seqs, args.motifs, args.max_distance
    hits = random_hits(S, args.hits_per_seq, K)
    groups = (np.random.default_rng(1).random(S) < 0.5).astype(np.int64)
    print(f"{len(hits):,} hits in {S:,} sequences, {K} motifs, max distance {md}; numba threads {numba.get_num_threads()}")

    t, c = time.perf_counter(), time.process_time()
    cooccurrence(hits.iloc[:400], groups[:10], max_distance=md)
    print(f"first call (compile or cache load, 10 sequences): {time.perf_counter() - t:.2f} s wall, "
          f"{time.process_time() - c:.2f} s CPU")
    t, c = time.perf_counter(), time.process_time()
    res = cooccurrence(hits, groups, motif_names=[str(i) for i in range(K)], max_distance=md)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    n_pairs = int(res.pair_counts.sum())
    print(f"cooccurrence() on all hits: {wall:.2f} s wall, {cpu:.2f} s CPU ({len(hits) / wall / 1e6:.2f} M hits/s, "
          f"{n_pairs:,} hit pairs counted, {int(np.isfinite(res.p).sum()):,} cells tested)")

    # subset: ours vs pandas
    sub = hits[hits["seq"] < args.subset]
    gs = groups[: args.subset]
    t = time.perf_counter()
    r2 = cooccurrence(sub, gs, motif_names=[str(i) for i in range(K)], max_distance=md)
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    pc, sc = naive_counts(sub, gs, K, md)
    t_naive = time.perf_counter() - t
    same = np.array_equal(pc, r2.pair_counts) and np.array_equal(sc, r2.seq_counts)
    print(f"subset of {args.subset:,} sequences ({len(sub):,} hits): ours (counts + Fisher + BH) {t_ours:.3f} s, "
          f"pandas counts only {t_naive:.3f} s, ratio {t_naive / t_ours:.0f}x; identical counts: {same}")
    print(f"pandas extrapolated to all {S:,} sequences: ~{t_naive * S / args.subset:.0f} s (linear in sequences)")


if __name__ == "__main__":
    main()
