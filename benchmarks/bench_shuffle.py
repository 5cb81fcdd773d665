"""Benchmark the batch dinucleotide shuffle against a per-sequence pure-Python Euler-path shuffle.

    .venv/bin/python benchmarks/bench_shuffle.py [--n 2000] [--length 200] [--shuffles 1]

Both sides implement the Altschul-Erickson method (random last-edge arborescence by Wilson's
algorithm, random order of the other edges, Euler walk). The Python side works on str (the
decode/encode around it is not timed, in its favour); kgenint goes one-hot array -> one-hot array.
Also times the background generators (100,000 x 200 bp).

On a shared, oversubscribed machine numba's OpenMP threads spin while waiting; run with
``OMP_WAIT_POLICY=passive`` (or ``NUMBA_THREADING_LAYER=workqueue``) to see the parallel speed.
"""
from __future__ import annotations

import argparse
import os
import random
import time
from collections import Counter

import numba
import numpy as np

from kgenint.sequence import (
    dinucleotide_counts,
    dinucleotide_shuffle,
    gc_matched_background,
    one_hot_decode,
    random_background,
)


def python_dinuc_shuffle(seq: str, rng: random.Random) -> str:
    """Altschul-Erickson dinucleotide shuffle of one sequence in plain Python."""
    if len(seq) <= 2:
        return seq
    edges: dict[str, list[str]] = {}
    for a, b in zip(seq, seq[1:]):
        edges.setdefault(a, []).append(b)
    last = seq[-1]
    in_tree = {last}
    choice: dict[str, int] = {}
    for v0 in edges:
        u = v0
        while u not in in_tree:
            choice[u] = rng.randrange(len(edges[u]))
            u = edges[u][choice[u]]
        u = v0
        while u not in in_tree:
            in_tree.add(u)
            u = edges[u][choice[u]]
    for v, out in edges.items():
        if v != last:
            k = choice[v]
            out[k], out[-1] = out[-1], out[k]
            rest = out[:-1]
            rng.shuffle(rest)
            out[:-1] = rest
        else:
            rng.shuffle(out)
    pos = dict.fromkeys(edges, 0)
    res = [seq[0]]
    u = seq[0]
    for _ in range(len(seq) - 1):
        w = edges[u][pos[u]]
        pos[u] += 1
        res.append(w)
        u = w
    return "".join(res)


def best(fn, repeats=3):
    """(best wall time, best CPU time of this process, first-call wall time, result).

    CPU time (all threads) is reported next to wall time because the benchmark machine is shared:
    wall time then depends on the load, CPU time much less.
    """
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    walls, cpus = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return (min(walls), min(cpus)), first, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--length", type=int, default=200)
    ap.add_argument("--shuffles", type=int, default=1)
    args = ap.parse_args()
    n, L, k = args.n, args.length, args.shuffles
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, L))]
    seqs = one_hot_decode(x)
    print(f"numba {numba.__version__}, threads {numba.get_num_threads()}, input {n} x {L} bp, {k} shuffle(s) each")

    t_ours, first, xs = best(lambda: dinucleotide_shuffle(x, k, seed=1))
    counts = dinucleotide_counts(x)
    assert all(np.array_equal(dinucleotide_counts(xs[:, j]), counts) for j in range(k))
    prng = random.Random(1)
    t_py, _, out = best(lambda: [python_dinuc_shuffle(s, prng) for s in seqs for _ in range(k)], repeats=2)
    assert all(Counter(zip(o, o[1:])) == Counter(zip(s, s[1:])) for o, s in zip(out[:50], seqs[:50]))
    print(f"dinucleotide shuffle, {numba.get_num_threads()} threads: kgenint {t_ours[0] * 1e3:.1f} ms "
          f"({t_ours[1] * 1e3:.1f} CPU)   python {t_py[0] * 1e3:.1f} ms ({t_py[1] * 1e3:.1f} CPU)   "
          f"speed-up wall x{t_py[0] / t_ours[0]:.0f}, CPU x{t_py[1] / t_ours[1]:.0f}")
    print(f"    first call in this process (loads the cached / compiles the numba kernel): {first * 1e3:.0f} ms")
    old = numba.get_num_threads()
    numba.set_num_threads(1)
    t1, _, _ = best(lambda: dinucleotide_shuffle(x, k, seed=1))
    numba.set_num_threads(old)
    print(f"    kgenint on 1 thread: {t1[0] * 1e3:.1f} ms ({t1[1] * 1e3:.1f} CPU)   speed-up wall "
          f"x{t_py[0] / t1[0]:.0f}, CPU x{t_py[1] / t1[1]:.0f}")

    t_bg, first_bg, _ = best(lambda: random_background(100_000, 200, gc=0.41, seed=0))
    print(f"random_background 100,000 x 200 bp: {t_bg[0] * 1e3:.0f} ms ({t_bg[1] * 1e3:.0f} CPU; "
          f"first call {first_bg * 1e3:.0f} ms)")
    ref = random_background(10_000, 200, gc=0.41, seed=1)
    t_gm, first_gm, _ = best(lambda: gc_matched_background(ref, 100_000, seed=0))
    print(f"gc_matched_background 100,000 x 200 bp: {t_gm[0] * 1e3:.0f} ms ({t_gm[1] * 1e3:.0f} CPU; "
          f"first call {first_gm * 1e3:.0f} ms)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
