"""How faithful can an adaptive scan be? The exhaustive scan against itself on new backgrounds.

The adaptive scan (:func:`kgenint.interactions.adaptive.scan_pairs_adaptive`) is judged by how
many of the exhaustive scan's pair calls it reproduces. A borderline call is, however, not a
fixed property of the model: it depends on which ``N`` backgrounds were drawn. This script puts
the two disagreements side by side on the same model:

* **replicate**: exhaustive scan A (backgrounds from one seed) against exhaustive scan B (the same
  model, motifs, instances and controls; backgrounds from another seed) -- the reference's own
  reproducibility;
* **adaptive**: the adaptive design replayed on A's per-background contrasts (the adaptive scan
  measures exactly these contrasts, so a replay is the adaptive scan on A's backgrounds; its cost
  is counted in cell-backgrounds, its model calls are measured by ``bench_adaptive_demo.py``)
  against A.

Pairs are binned by their q-value in A, so the table says where the calls that move sit. A second
table compares A and each adaptive design with B, the independent replicate: how well each
predicts what new backgrounds would call.

    python benchmarks/bench_adaptive_replicate.py A.h5 B.h5 [--label NAME]

A and B are scans saved by ``scan_pairs(..., keep_contrasts=True).save(path)`` (see
``benchmarks/RESULTS_scale.md`` for the commands that made them).
"""
from __future__ import annotations

import argparse
import dataclasses
import warnings

import numpy as np

BINS = (0.0, 1e-3, 1e-2, 0.05, 0.2, 1.0 + 1e-9)


def _qvalues(scan) -> dict:
    """Pair -> q-value (a pair is called at q < 0.05)."""
    return {frozenset((r.motif_a, r.motif_b)): r.q_value for r in scan.pairs().itertuples()}


def _row(name, qa: dict, qb: dict, cost: str) -> str:
    ca = {k for k, q in qa.items() if q < 0.05}
    cb = {k for k, q in qb.items() if q < 0.05}
    cells = []
    for lo, hi in zip(BINS[:-1], BINS[1:]):
        ks = [k for k, q in qa.items() if lo <= q < hi]
        same = sum((qb[k] < 0.05) == (qa[k] < 0.05) for k in ks)
        cells.append(f"{same}/{len(ks)}")
    jac = len(ca & cb) / max(1, len(ca | cb))
    return (f"| {name} | {cost} | {len(ca)} | {len(cb)} | {len(ca & cb)} | {len(ca - cb)} | {len(cb - ca)} | "
            f"{jac:.2f} | " + " | ".join(cells) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from kgenint.interactions.adaptive import run_design
    from kgenint.interactions.scan_result import load

    A = load(args.a).restat(reference="other_pairs")
    B = load(args.b).restat(reference="other_pairs")
    qa, qb = _qvalues(A), _qvalues(B)
    C = A.contrasts
    valid = np.isfinite(C[..., 0])
    N = C.shape[-1]
    print(f"{args.label}: {len(A.motif_names)} motifs, N = {N} backgrounds, {int(valid.sum())} cells")
    head = " | ".join(f"A q in [{lo:g}, {hi:.2g})" for lo, hi in zip(BINS[:-1], BINS[1:]))
    print(f"| comparison with A | cost (cell-backgrounds vs A) | called in A | called in other | both | only A "
          f"| only other | Jaccard | {head} |")
    print("|" + "---|" * (8 + len(BINS) - 1))
    print(_row("exhaustive B (new backgrounds)", qa, qb, "1x"))
    against_b = [_row("exhaustive A", qb, qa, "1x")]
    for coarse in (1, 2):
        for test in ("t", "moderated"):
            used = [0]

            def evaluate(cells, lo, hi):
                used[0] += len(cells) * (hi - lo)
                return C[cells[:, 0], cells[:, 1], cells[:, 2], cells[:, 3], lo:hi]

            r = run_design(valid, evaluate, N, reference="other_pairs", futility=0.1, coarse=coarse,
                           futility_test=test)
            ad = dataclasses.replace(A, **{k: r[k] for k in ("effect", "se", "ci_low", "ci_high", "t", "p", "q",
                                                             "reference_bound")})
            name, cost = f"adaptive on A, coarse={coarse}, futility_test={test}", f"{valid.sum() * N / used[0]:.1f}x fewer"
            print(_row(name, qa, _qvalues(ad), cost))
            against_b.append(_row(name, qb, _qvalues(ad), cost))
    print()
    print(f"| comparison with B | cost | called in B | called in other | both | only B | only other | Jaccard | "
          f"{head.replace('A q', 'B q')} |")
    print("|" + "---|" * (8 + len(BINS) - 1))
    print("\n".join(against_b))


if __name__ == "__main__":
    main()
