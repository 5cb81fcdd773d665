"""Benchmark: kgenint.seqlets.discover vs tfmodisco-lite (modisco-lite 3.0.0) on the same attributions.

Synthetic DeepSHAP-like maps (kgenint.seqlets._testing.make_attributions) with five planted
JASPAR motifs -- GATA1, FOS::JUN, CTCF, SOX2 positive and YY1 negative -- are run through our
pipeline and through ``modiscolite.tfmodisco.TFMoDISco`` in one process. Reported: wall time and
peak RSS (above the pre-stage baseline) per stage, first-call (compile) cost, planted motifs
recovered (a pattern whose trimmed PPM correlates >= 0.8 with the planted PWM at some offset and
strand, overlap >= 6), fragments (extra patterns of an already-recovered motif), spurious
patterns (matching no planted motif), seqlets placed in patterns.

Usage::

    .venv/bin/python benchmarks/bench_seqlets.py --n 2000 --length 1000 --which both
    .venv/bin/python benchmarks/bench_seqlets.py --n 20000 --length 200 --which ours
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import warnings

import numpy as np

os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.dirname(__file__), "..", ".numba_cache"))

from kgenint.seqlets._testing import jaspar_pwms, make_attributions  # noqa: E402

IDS = ["MA0035.4", "MA0099.3", "MA0139.1", "MA0143.4", "MA0095.2"]
SIGNS = [1, 1, 1, 1, -1]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class PeakRSS:
    """Sample RSS every 5 ms in a thread; ``peak`` above the value at entry, in MB."""

    def __enter__(self):
        self.base = rss_mb()
        self.peak = self.base
        self._stop = False
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        self.t0 = time.perf_counter()
        self.c0 = os.times()
        return self

    def _run(self):
        while not self._stop:
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.005)

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        c1 = os.times()
        # CPU seconds of this process and of reaped children (modisco forks helpers)
        self.cpu = sum(c1[:4]) - sum(self.c0[:4])
        self._stop = True
        self._t.join()
        self.peak = max(self.peak, rss_mb())
        self.delta = self.peak - self.base


def best_match(ppm: np.ndarray, pwms: list[np.ndarray], min_overlap: int = 6) -> tuple[int, float]:
    """Planted motif with the highest Pearson correlation to ``ppm`` over offsets and strands."""
    best = (-1, -1.0)
    w = ppm.shape[0]
    for k, p in enumerate(pwms):
        for q in (p, p[::-1, ::-1]):
            for off in range(-w + min_overlap, q.shape[0] - min_overlap + 1):
                i0, i1 = max(0, -off), min(w, q.shape[0] - off)
                if i1 - i0 < min_overlap:
                    continue
                c = np.corrcoef(ppm[i0:i1].ravel(), q[i0 + off:i1 + off].ravel())[0, 1]
                if c > best[1]:
                    best = (k, float(c))
    return best


def score_patterns(ppms: list[np.ndarray], pwms: list[np.ndarray], names: list[str], thr: float = 0.8) -> dict:
    hits = {}
    spurious = 0
    for p in ppms:
        k, c = best_match(p, pwms)
        if c >= thr:
            hits.setdefault(names[k], []).append(round(c, 3))
        else:
            spurious += 1
    fragments = sum(len(v) - 1 for v in hits.values())
    return {"recovered": sorted(hits), "n_recovered": len(hits), "fragments": fragments, "spurious": spurious, "corr": hits}


def trim_modisco(ppm: np.ndarray, cwm: np.ndarray, thr: float = 0.3) -> np.ndarray:
    s = np.abs(cwm).sum(axis=1)
    ok = np.flatnonzero(s >= thr * s.max())
    return ppm[ok[0]:ok[-1] + 1]


def run_ours(d, threads: int | None) -> dict:
    from kgenint.seqlets import discover
    from kgenint.seqlets.aggregate import MotifAggregator
    from kgenint.seqlets.calling import LaplaceSeqletCaller
    from kgenint.seqlets.clustering import SeqletClusterer
    from kgenint.seqlets.similarity import SeqletSimilarity, SeqletWindows

    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        discover(d.onehot[:64], d.contributions[:64], d.hypothetical[:64], min_cluster_size=5)
    first = time.perf_counter() - t

    stages = {}
    x, c, h = d.onehot, d.contributions, d.hypothetical
    with PeakRSS() as total:
        with PeakRSS() as m:
            called = LaplaceSeqletCaller().call(c)
        stages["calling"] = m
        table = called.seqlets
        patterns = []
        agg = MotifAggregator()
        for sign in (1, -1):
            rows = np.flatnonzero(table["sign"] == sign)
            with PeakRSS() as m:
                win = SeqletWindows.from_arrays(x, c, h, table[rows], 21, 10)
                g = SeqletSimilarity().graph(win)
            stages[f"similarity[{sign:+d}]"] = m
            with PeakRSS() as m:
                cr = SeqletClusterer().fit(win, g)
            stages[f"clustering[{sign:+d}]"] = m
            with PeakRSS() as m:
                patterns += agg.patterns(x, c, h, table, rows, cr, 21, sign, first_index=len(patterns))
            stages[f"aggregation[{sign:+d}]"] = m
            del win, g
    # the one-call entry point too (same work; its own stage timings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = discover(x, c, h)
    ppms = [m.pwm for m in res.motifs]
    return {
        "first_call_s": first,
        "total_s": total.seconds,
        "cpu_s": total.cpu,
        "peak_mb": total.delta,
        "stages": {k: (v.seconds, v.delta, v.cpu) for k, v in stages.items()},
        "discover_timings": res.timings,
        "n_seqlets": len(res.seqlets),
        "placed": int((res.seqlets["cluster"] >= 0).sum()),
        "n_patterns": len(res.motifs),
        "ppms": ppms,
        "sizes": [m.metadata["n_seqlets"] for m in res.motifs],
        "thresholds": str(res.thresholds),
    }


def run_modisco(d, max_seqlets: int, warmup=None) -> dict:
    import modiscolite
    from modiscolite import tfmodisco

    stage_t = {}
    orig = tfmodisco.extract_seqlets.extract_seqlets

    def timed_extract(*a, **k):
        t0 = time.perf_counter()
        out = orig(*a, **k)
        stage_t["calling"] = time.perf_counter() - t0
        return out

    first = float("nan")
    if warmup is not None:
        t0 = time.perf_counter()
        try:
            tfmodisco.TFMoDISco(one_hot=warmup.onehot, hypothetical_contribs=warmup.hypothetical,
                                max_seqlets_per_metacluster=max_seqlets, verbose=False)
        except Exception as err:  # a tiny warm-up may have too few seqlets for modisco
            print(f"# modisco warm-up raised {type(err).__name__}: {err}")
        first = time.perf_counter() - t0
    tfmodisco.extract_seqlets.extract_seqlets = timed_extract
    try:
        with PeakRSS() as total:
            pos, neg = tfmodisco.TFMoDISco(
                one_hot=d.onehot, hypothetical_contribs=d.hypothetical,
                max_seqlets_per_metacluster=max_seqlets, verbose=False,
            )
    finally:
        tfmodisco.extract_seqlets.extract_seqlets = orig
    pats = (pos or []) + (neg or [])
    ppms = [trim_modisco(np.asarray(p.sequence), np.asarray(p.contrib_scores)) for p in pats]
    placed = sum(len(p.seqlets) for p in pats)
    stage_t["rest (similarity, clustering, aggregation)"] = total.seconds - stage_t.get("calling", 0.0)
    return {
        "version": modiscolite.__version__,
        "first_call_s": first,
        "total_s": total.seconds,
        "cpu_s": total.cpu,
        "peak_mb": total.delta,
        "stages": stage_t,
        "placed": placed,
        "n_patterns": len(pats),
        "ppms": ppms,
        "sizes": [len(p.seqlets) for p in pats],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--length", type=int, default=1000)
    ap.add_argument("--sites", type=float, default=2.0, help="mean planted sites per sequence")
    ap.add_argument("--which", choices=["ours", "modisco", "both"], default="both")
    ap.add_argument("--modisco-max-seqlets", type=int, default=20000, help="max_seqlets_per_metacluster")
    ap.add_argument("--no-modisco-warmup", dest="modisco_warmup", action="store_false",
                    help="skip modisco's warm-up run on 150 sequences (its Numba compile)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if args.threads:
        import numba

        numba.set_num_threads(args.threads)
    pwms, names = jaspar_pwms(IDS)
    d = make_attributions(args.n, args.length, pwms, signs=SIGNS, names=names, sites_per_seq=args.sites, seed=args.seed)
    print(f"# data: {args.n} x {args.length} bp, {len(d.sites)} planted sites of {', '.join(names)} "
          f"(YY1 negative), seed {args.seed}")
    results = {}
    if args.which in ("ours", "both"):
        r = results["kgenint"] = run_ours(d, args.threads)
        print("\n## kgenint.seqlets.discover")
        print(f"first call (compile/cache load, 64 sequences): {r['first_call_s']:.2f} s")
        print(f"{r['thresholds']}")
        for k, (s, mb, cpu) in r["stages"].items():
            print(f"  {k:<22s} {s:7.2f} s   peak +{mb:7.1f} MB   CPU {cpu:6.2f} s")
        print(f"  {'total (steps)':<22s} {r['total_s']:7.2f} s   peak +{r['peak_mb']:7.1f} MB   CPU {r['cpu_s']:.1f} s")
        print("  discover() timings: " + ", ".join(f"{k} {v:.2f}" for k, v in r["discover_timings"].items()))
    if args.which in ("modisco", "both"):
        wu = None
        if args.modisco_warmup:
            wu = make_attributions(150, args.length, pwms, signs=SIGNS, sites_per_seq=args.sites, seed=args.seed + 1)
        r = results["modisco"] = run_modisco(d, args.modisco_max_seqlets, wu)
        print(f"\n## modisco-lite {r['version']} TFMoDISco (max_seqlets_per_metacluster={args.modisco_max_seqlets})")
        print(f"warm-up (compile, 150 sequences): {r['first_call_s']:.2f} s")
        for k, s in r["stages"].items():
            print(f"  {k:<44s} {s:7.2f} s")
        print(f"  {'total':<44s} {r['total_s']:7.2f} s   peak +{r['peak_mb']:7.1f} MB   CPU {r['cpu_s']:.1f} s")
    print("\n## quality")
    for tool, r in results.items():
        q = score_patterns(r["ppms"], d.pwms, names)
        print(f"{tool:8s} patterns {r['n_patterns']:2d}  recovered {q['n_recovered']}/5 {q['recovered']}  "
              f"fragments {q['fragments']}  spurious {q['spurious']}  seqlets placed {r['placed']}  sizes {r['sizes']}")
        print(f"         best correlations {q['corr']}")
    if len(results) == 2:
        print(f"\nspeed-up end to end: {results['modisco']['total_s'] / results['kgenint']['total_s']:.1f}x wall, "
              f"{results['modisco']['cpu_s'] / results['kgenint']['cpu_s']:.1f}x CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
