"""Benchmark: kgenint.motifs.compare vs memelite's tomtom on the JASPAR 2024 CORE vertebrates.

Runs both in one process on the same motifs (warm-up calls first, then the best of
``--repeats`` timed calls), prints times and ratios, then measures kgenint's cold first call
(compilation) in a subprocess with a fresh ``NUMBA_CACHE_DIR`` and again with that cache warm.

    .venv/bin/python benchmarks/bench_compare.py [--repeats 5] [--threads N] [--memelite-cold]

``--memelite-cold`` also measures memelite's first call with an empty Numba cache (about
40 s here). Timings on a shared machine are noisy: compare the ratios of one run.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_jaspar():
    from kgenint.motifs.motif import Motif

    try:
        from kgenint.motifs.database import load_default

        db = load_default()
        if len(db) == 879:
            return db
    except Exception:
        pass
    from pyjaspar import jaspardb

    ms = jaspardb(release="JASPAR2024").fetch_motifs(
        collection="CORE", tax_group=["vertebrates"], all_versions=False
    )
    out = []
    for m in ms:
        c = np.array([m.counts[b] for b in "ACGT"], dtype=float).T
        out.append(Motif(name=m.matrix_id, alt_name=m.name, pwm=c / c.sum(1, keepdims=True)))
    return out


def best_of(fn, repeats, clock=time.perf_counter):
    times = []
    for _ in range(repeats):
        t = clock()
        fn()
        times.append(clock() - t)
    return min(times), float(np.median(times))


_COLD = textwrap.dedent(
    """
    import time, sys
    t0 = time.perf_counter()
    sys.path.insert(0, {root!r})
    sys.path.insert(0, {bench!r})
    from bench_compare import load_jaspar
    from kgenint.motifs.compare import compare
    db = load_jaspar()
    t1 = time.perf_counter()
    c1 = time.process_time()
    compare(db[:5], db, metric="pearson")
    compare(db[:5], db, metric="ed", complete=False)
    t2 = time.perf_counter()
    print(f"{{t1 - t0:.3f}} {{t2 - t1:.3f}} {{time.process_time() - c1:.3f}}")
    """
)

_COLD_MEMELITE = textwrap.dedent(
    """
    import time, sys
    sys.path.insert(0, {root!r})
    sys.path.insert(0, {bench!r})
    from bench_compare import load_jaspar
    import numpy as np
    db = load_jaspar()
    P = [np.ascontiguousarray(m.pwm.T) for m in db]
    t1 = time.perf_counter()
    from memelite import tomtom
    c1 = time.process_time()
    tomtom(P[:5], P)
    print(f"0 {{time.perf_counter() - t1:.3f}} {{time.process_time() - c1:.3f}}")
    """
)


def cold_call(script, cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    code = script.format(root=ROOT, bench=os.path.join(ROOT, "benchmarks"))
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    total = time.perf_counter() - t
    load, call, cpu = (float(x) for x in out.stdout.split())
    return total, load, call, cpu


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None, help="Numba threads for both tools")
    ap.add_argument("--memelite-cold", action="store_true")
    ap.add_argument("--skip-cold", action="store_true")
    args = ap.parse_args(argv)

    import numba
    from memelite import tomtom

    from kgenint.motifs.compare import _run, compare

    if args.threads:
        numba.set_num_threads(args.threads)
    db = load_jaspar()
    P = [np.ascontiguousarray(m.pwm.T) for m in db]
    print(f"JASPAR 2024 CORE vertebrates: {len(db)} motifs, {sum(m.width for m in db)} columns; "
          f"numba threads: {numba.get_num_threads()}")

    # warm-up (compilation) of every code path timed below
    tomtom(P[:5], P)
    tomtom(P[:5], P, n_target_bins=None)
    compare(db[:5], db)
    compare(db[:5], db, metric="ed")

    rows = []
    for label, nq in (("100 x 879", 100), ("879 x 879", len(db))):
        qs, Ps = db[:nq], P[:nq]
        cases = [
            ("memelite tomtom (ed, default hashing)", lambda: tomtom(Ps, P)),
            ("memelite tomtom (ed, n_target_bins=None)", lambda: tomtom(Ps, P, n_target_bins=None)),
            ("kgenint kernel only (ed)", lambda: _run(qs, db, "ed", 1, 100, True)),
            ("kgenint compare() -> DataFrame (ed)", lambda: compare(qs, db, metric="ed")),
            ("kgenint compare() -> DataFrame (pearson)", lambda: compare(qs, db)),
            ("kgenint compare(best_only=True) (ed)", lambda: compare(qs, db, metric="ed", best_only=True)),
        ]
        res = {}
        for name, fn in cases:
            res[name] = best_of(fn, args.repeats)
        ref = res["memelite tomtom (ed, default hashing)"][0]
        print(f"\n{label} (best / median of {args.repeats} calls)")
        for name, (b, med) in res.items():
            print(f"  {name:44s} {b:8.3f} s  {med:8.3f} s   memelite/this = {ref / b:5.2f}")
        rows.append((label, res))

    # single thread, CPU time: robust to other processes competing for the cores
    n0 = numba.get_num_threads()
    numba.set_num_threads(1)
    print(f"\nsingle thread, CPU seconds (best / median of {args.repeats})")
    for label, nq in (("100 x 879", 100), ("879 x 879", len(db))):
        qs, Ps = db[:nq], P[:nq]
        mm = best_of(lambda: tomtom(Ps, P, n_jobs=1), args.repeats, time.process_time)
        mm0 = best_of(lambda: tomtom(Ps, P, n_jobs=1, n_target_bins=None), args.repeats, time.process_time)
        ours = best_of(lambda: _run(qs, db, "ed", 1, 100, True), args.repeats, time.process_time)
        ours_p = best_of(lambda: _run(qs, db, "pearson", 1, 100, True), args.repeats, time.process_time)
        print(f"  {label}: memelite {mm[0]:.3f} s, memelite n_target_bins=None {mm0[0]:.3f} s, "
              f"kgenint kernel ed {ours[0]:.3f} s (memelite/kgenint = {mm[0] / ours[0]:.2f}), "
              f"kgenint kernel pearson {ours_p[0]:.3f} s")
    numba.set_num_threads(n0)

    if not args.skip_cold:
        print("\nfirst call in a new process (import + JASPAR load, then compare(5 x 879) pearson "
              "complete + ed incomplete):")
        with tempfile.TemporaryDirectory() as cache:
            total, load, call, cpu = cold_call(_COLD, cache)
            print(f"  kgenint cold (empty NUMBA_CACHE_DIR): first calls {call:6.2f} s wall, "
                  f"{cpu:6.2f} s CPU (JASPAR load {load:.2f} s, whole process {total:.2f} s)")
            total, load, call, cpu = cold_call(_COLD, cache)
            print(f"  kgenint cached (same cache dir):      first calls {call:6.2f} s wall, "
                  f"{cpu:6.2f} s CPU (JASPAR load {load:.2f} s, whole process {total:.2f} s)")
            if args.memelite_cold:
                with tempfile.TemporaryDirectory() as cache2:
                    total, _, call, cpu = cold_call(_COLD_MEMELITE, cache2)
                    print(f"  memelite cold (empty NUMBA_CACHE_DIR): first call {call:6.2f} s wall, "
                          f"{cpu:6.2f} s CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
