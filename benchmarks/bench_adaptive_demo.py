"""The demo's adaptive in-silico scan against the exhaustive scan on the same model and backgrounds.

For a finished ``kgenint demo`` directory (model.keras, data.h5), runs the exhaustive scan
(``scan_pairs``) over every cell with every background and the adaptive design
(``scan_pairs_adaptive``, coarse=1 and coarse=2) with the demo's settings, and prints model calls,
the ratio, and the agreement of the pair calls (q < 0.05) and of the planted rules.

    python benchmarks/bench_adaptive_demo.py DEMO_DIR [--seed S] [--n-backgrounds 24] [--exhaustive SCAN.h5]
        [--futility-test moderated|t]

``--exhaustive`` reads a stored exhaustive scan of the same model, backgrounds and seed (saved by
``scan_pairs(...).save``) instead of running it again (its time is then not measured).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from _machine import cpu_model  # benchmarks/_machine.py (scripts run from benchmarks/ on sys.path)




def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("demo_dir")
    ap.add_argument("--seed", type=int, default=0, help="the demo's --seed (backgrounds, controls)")
    ap.add_argument("--n-backgrounds", type=int, default=24)
    ap.add_argument("--max-distance", type=int, default=100)
    ap.add_argument("--exhaustive", default=None, help="stored exhaustive scan of this model and backgrounds")
    ap.add_argument("--futility-test", default="moderated", choices=("moderated", "t"))
    a = ap.parse_args()

    from kgenint.interactions.adaptive import scan_pairs_adaptive
    from kgenint.interactions.insilico import scan_pairs
    from kgenint.keras import as_predict_fn, load_model
    from kgenint.sequence import gc_matched_background
    from kgenint.simulate import load

    d = load(f"{a.demo_dir}/data.h5")
    test = np.sort(d.split["test"][:1000])
    bg = gc_matched_background(d.x[test], n=a.n_backgrounds, seed=a.seed)
    predict = as_predict_fn(load_model(f"{a.demo_dir}/model.keras"), logits=None, batch_size=2048)
    motifs = d.truth.motifs
    kw = dict(distances=range(0, a.max_distance + 1, 2), min_gap=int(d.config.min_gap), seed=a.seed, progress=False)
    print(f"CPU: {cpu_model()}; {len(motifs)} motifs, {a.n_backgrounds} backgrounds, distances 0:{a.max_distance}:2")
    t = time.perf_counter()
    if a.exhaustive:
        from kgenint.interactions import load as load_scan

        ex = load_scan(a.exhaustive)
    else:
        ex = scan_pairs(predict, motifs, bg, **kw)
    t_ex = time.perf_counter() - t
    called_ex = {(r.motif_a, r.motif_b) for r in ex.pairs().itertuples() if r.q_value < 0.05}
    planted = [tuple(sorted((r.motif_a, r.motif_b))) for r in d.truth.rules.itertuples() if r.kind != "additive"]
    additive = [tuple(sorted((r.motif_a, r.motif_b))) for r in d.truth.rules.itertuples() if r.kind == "additive"]
    print(f"exhaustive: {ex.params.get('n_predicted', 0):,} model calls, {t_ex:.0f} s, {len(called_ex)} pairs called")
    for coarse in (1, 2):
        t = time.perf_counter()
        ad = scan_pairs_adaptive(predict, motifs, bg, coarse=coarse, futility_test=a.futility_test, **kw)
        t_ad = time.perf_counter() - t
        called = {(r.motif_a, r.motif_b) for r in ad.pairs().itertuples() if r.q_value < 0.05}
        n_ad, n_ex = ad.params["n_predicted"], ad.params["n_predicted_exhaustive"]
        norm = lambda s: {tuple(sorted(p)) for p in s}  # noqa: E731
        both, only_ex, only_ad = norm(called) & norm(called_ex), norm(called_ex) - norm(called), norm(called) - norm(called_ex)
        print(f"adaptive coarse={coarse}: {n_ad:,} calls ({n_ex / n_ad:.2f}x fewer), {t_ad:.0f} s; pairs called "
              f"{len(called)}: both {len(both)}, only exhaustive {sorted(only_ex)}, only adaptive {sorted(only_ad)}; "
              f"planted rules called: exhaustive {sum(p in norm(called_ex) for p in planted)}/{len(planted)}, "
              f"adaptive {sum(p in norm(called) for p in planted)}/{len(planted)}; additive pairs called: "
              f"exhaustive {sum(p in norm(called_ex) for p in additive)}, adaptive {sum(p in norm(called) for p in additive)}")


if __name__ == "__main__":
    main()
