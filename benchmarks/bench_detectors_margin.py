"""DFIM calls against an equivalence margin on default_s0 and additive_s0 (benchmarks/RESULTS_detectors.md):
instance scores computed once, aggregated with several margins. Run: python benchmarks/bench_detectors_margin.py"""
import warnings

import numpy as np
warnings.simplefilter("ignore")
from kgenint._io_inputs import load_keras_model
from kgenint.simulate.io import load
from kgenint.motifs.scan import scan
from kgenint.keras.derivatives import attribution_fn
from kgenint.interactions._instances import hit_pairs, null_windows, aggregate_instances, check_hits
from kgenint.interactions.dfim import dfim_scores
from kgenint.evaluate import score_interactions
from kgenint.evaluate.detectors import scoring_view
for name in ("default_s0", "additive_s0"):
    data = load(f"/work/models/{name}.h5"); model, _ = load_keras_model(f"/work/models/{name}.keras")
    rng = np.random.default_rng(0)
    idx = np.sort(rng.choice(data.split["test"], 5000, replace=False))
    x = data.x[idx]
    h = scan(x, list(data.truth.motifs), threshold=1e-4, progress=False); h = h.assign(motif=h.motif_id.astype(str))
    per = h.groupby("seq")["motif"].nunique(); keep = np.sort(rng.choice(per.index[per >= 2].to_numpy(), 400, replace=False))
    remap = {int(s): i for i, s in enumerate(keep)}; x = x[keep]; h = check_hits(h[h.seq.isin(keep)].assign(seq=lambda d: d.seq.map(remap)), len(x), x.shape[1])
    pairs = hit_pairs(h, max_per_seq=10, seed=0); null = null_windows(pairs, h, x.shape[1], n_null=1, seed=0)
    P = pairs[["seq", "a_start", "a_end", "b_start", "b_end"]].to_numpy(); Q = null[["seq", "a_start", "a_end", "b_start", "b_end"]].to_numpy(); io = null.instance.to_numpy()
    jobs = np.concatenate([P, P[:, [0, 3, 4, 1, 2]], np.c_[Q[:, :3], P[io, 3:5]], np.c_[Q[:, [0, 3, 4]], P[io, 1:3]]])
    sc = dfim_scores(attribution_fn(model, batch_size=512), x, jobs, n_mutations=3, seed=0)
    m = len(P); n = len(Q)
    inst = pairs.copy(); inst["score"] = 0.5 * (sc[:m] + sc[m:2 * m]); nul = 0.5 * (sc[2 * m:2 * m + n] + sc[2 * m + n:])
    print(name, "null sd %.3f, |instance| median %.3f" % (nul.std(), np.median(np.abs(inst.score))))
    for mg in (0.0, 0.05, 0.1, 0.2, 0.4):
        t = aggregate_instances(inst, nul, "dfim", margin=mg)
        r = score_interactions(scoring_view(t), data.truth, motif_names=data.truth.motif_names)
        print(f"  margin {mg}: called {r['n_called']}, precision {r['precision']:.2f}, recall {r['recall']:.2f}, auroc {r['pair_auroc']:.3f}")
