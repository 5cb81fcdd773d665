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

Usage::

    .venv/bin/python benchmarks/bench_cooccurrence.py --n-seqs 50000 --hits-per-seq 40 --subset 2000
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-seqs", type=int, default=50000)
    ap.add_argument("--hits-per-seq", type=int, default=40)
    ap.add_argument("--motifs", type=int, default=20)
    ap.add_argument("--max-distance", type=int, default=150)
    ap.add_argument("--subset", type=int, default=2000)
    args = ap.parse_args()

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
