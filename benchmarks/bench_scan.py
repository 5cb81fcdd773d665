"""Benchmark: kgenint.motifs.scan vs memelite's fimo, 100 JASPAR motifs x 10 Mbp, p < 1e-4.

Both run in this process on the same one-hot input (1000 x 10 kb uniform random sequence, seed
0), both strands, after a warm-up call on a small input.  The first-call (cold Numba cache) cost
of each is measured in a subprocess with a fresh, empty NUMBA_CACHE_DIR.

    .venv/bin/python benchmarks/bench_scan.py [--n-seq 1000] [--length 10000] [--motifs 100]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

_COLD = r"""
import time, numpy as np, sys
which = sys.argv[1]
t0 = time.perf_counter()
from kgenint.motifs.database import load_default
motifs = load_default()[:5]
x = np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(0, 4, (4, 2000))]
if which == "kgenint":
    from kgenint.motifs.scan import scan
    t1 = time.perf_counter()
    scan(x, motifs, threshold=1e-4, progress=False)
else:
    from memelite.fimo import fimo
    d = {m.name: m.pwm.T for m in motifs}
    t1 = time.perf_counter()
    fimo(d, x.transpose(0, 2, 1), threshold=1e-4)
print(time.perf_counter() - t1)
"""


def cold(which: str) -> float:
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, NUMBA_CACHE_DIR=d)
        out = subprocess.run([sys.executable, "-c", _COLD, which], env=env, capture_output=True, text=True, check=True)
        first = float(out.stdout.strip().splitlines()[-1])
        out2 = subprocess.run([sys.executable, "-c", _COLD, which], env=env, capture_output=True, text=True, check=True)
        cached = float(out2.stdout.strip().splitlines()[-1])
    return first, cached


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-seq", type=int, default=1000)
    ap.add_argument("--length", type=int, default=10_000)
    ap.add_argument("--motifs", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-cold", action="store_true")
    args = ap.parse_args()

    import numba

    from kgenint.motifs.database import load_default
    from kgenint.motifs.scan import MotifScanner, scan
    from memelite.fimo import fimo

    motifs = load_default()[: args.motifs]
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (args.n_seq, args.length))]
    xt = np.ascontiguousarray(x.transpose(0, 2, 1))
    # memelite scores log2(pwm + 1e-4) - log2(0.25) against a uniform background; give it our
    # log-odds matrix (FIMO's pseudocount 0.1) so both score the same matrices.
    d = {m.name: (0.25 * 2.0 ** m.log_odds(0.1) - 1e-4).T for m in motifs}
    print(f"input: {args.n_seq} x {args.length} bp = {args.n_seq * args.length / 1e6:.1f} Mbp, "
          f"{len(motifs)} motifs, both strands, p <= 1e-4, numba threads {numba.get_num_threads()}")

    # warm-up
    scan(x[:2], motifs, threshold=1e-4, progress=False)
    fimo(d, xt[:2], threshold=1e-4)

    t_ours, t_mm, t_prep, t_scanonly, c_ours, c_mm = [], [], [], [], [], []
    for _ in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        h = scan(x, motifs, threshold=1e-4, progress=False)
        t_ours.append(time.perf_counter() - t0)
        c_ours.append(time.process_time() - c0)
        t0, c0 = time.perf_counter(), time.process_time()
        hm = fimo(d, xt, threshold=1e-4)
        t_mm.append(time.perf_counter() - t0)
        c_mm.append(time.process_time() - c0)
        t0 = time.perf_counter()
        sc = MotifScanner(motifs, threshold=1e-4)
        t_prep.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sc.scan(x, progress=False)
        t_scanonly.append(time.perf_counter() - t0)
    n_mm = sum(len(t) for t in hm)
    print(f"hits: kgenint {len(h)}, memelite {n_mm}")
    print(f"kgenint scan():          best {min(t_ours):.3f} s  (runs {', '.join(f'{t:.3f}' for t in t_ours)})")
    print(f"  of which MotifScanner: best {min(t_prep):.3f} s; MotifScanner.scan: best {min(t_scanonly):.3f} s")
    print(f"memelite fimo():         best {min(t_mm):.3f} s  (runs {', '.join(f'{t:.3f}' for t in t_mm)})")
    print(f"ratio memelite / kgenint: {min(t_mm) / min(t_ours):.2f}x (wall)")
    print(f"CPU time (all threads): kgenint best {min(c_ours):.3f} s, memelite best {min(c_mm):.3f} s, "
          f"ratio {min(c_mm) / min(c_ours):.2f}x")
    if not args.no_cold:
        for which in ("kgenint", "memelite"):
            first, cached = cold(which)
            print(f"first call, {which}: cold cache {first:.2f} s, cached {cached:.2f} s")


if __name__ == "__main__":
    main()
