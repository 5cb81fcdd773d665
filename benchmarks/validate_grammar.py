"""Issue 12's failing case, reproduced on data our simulator did not write: a two-motif grammar.

``kgenint.simulate.grammar.grammar_dataset`` (GATA1 then TAL1::TCF3 with a 2-5 bp gap in the
positives, the element on the + strand or on either, both motifs at random places in the negatives, CEBPB as a label-free decoy) -> a small CNN
trained for 8 epochs -> in-silico scans of K = 2 (GATA1, TAL1) and K = 3 (+ CEBPB) motifs.
Old statistic (classical contrasts, scan-wide auto margin raised per distance) beside the new one
(control inserts + leave-pair-out reference), two seeds.

Run::

    python benchmarks/validate_grammar.py
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))


def main() -> int:
    import keras

    from kgenint.interactions import scan_pairs
    from kgenint.motifs import load_default
    from kgenint.simulate.grammar import grammar_dataset
    from validate_calibration import old_statistic

    by_alt = {m.alt_name: m for m in load_default()}
    motifs = [by_alt[a].copy(name=n) for a, n in (("GATA1", "GATA1"), ("TAL1::TCF3", "TAL1"), ("CEBPB", "CEBPB"))]
    rows = []
    for seed, strand in ((0, "+"), (1, "+"), (0, "random"), (1, "random")):
        d = grammar_dataset(motifs[0], motifs[1], 6000, 100, gap=(2, 5), composite_strand=strand,
                            decoy=motifs[2], seed=seed)
        keras.utils.set_random_seed(seed)
        inp = keras.Input((100, 4))
        h = keras.layers.Conv1D(32, 11, activation="relu", padding="same")(inp)
        h = keras.layers.Conv1D(32, 9, activation="relu", padding="same", dilation_rate=2)(h)
        h = keras.layers.GlobalMaxPooling1D()(h)
        model = keras.Model(inp, keras.layers.Dense(1)(keras.layers.Dense(32, activation="relu")(h)))
        model.compile(keras.optimizers.Adam(3e-3), keras.losses.BinaryCrossentropy(from_logits=True))
        t0 = time.perf_counter()
        model.fit(d.x[:5000], d.y[:5000], epochs=8, batch_size=64, verbose=0)
        logit = np.asarray(model(d.x[5000:], training=False))[:, 0]
        yt = d.y[5000:]
        auc = float(np.mean(logit[yt == 1][:, None] > logit[yt == 0][None, :]))
        print(f"seed {seed}, element strand {strand}: test AUROC {auc:.3f}, trained in {time.perf_counter() - t0:.0f} s", flush=True)
        predict = lambda x: np.asarray(model(x, training=False), dtype=np.float64)  # noqa: E731
        bg = np.eye(4, dtype=np.float32)[np.random.default_rng(seed + 50).choice(4, (24, 100), p=[.3, .2, .2, .3])]
        for K in (2, 3):
            kw = dict(distances=range(-25, 26), seed=seed, progress=False)
            classic = scan_pairs(predict, motifs[:K], bg, controls="none", reference="none", **kw)
            new = scan_pairs(predict, motifs[:K], bg, **kw)
            for name, pr in (("old", old_statistic(classic)[0]), ("new", new.pairs())):
                het = pr[pr.motif_a != pr.motif_b].reset_index(drop=True)
                top = het.iloc[0]
                dd = top.distance if top.motif_a == "GATA1" else -top.distance
                called = sorted("-".join(sorted((r.motif_a, r.motif_b))) for r in het.itertuples() if r.q_value < 0.05)
                rows.append((seed, strand, K, name, f"{top.motif_a}->{top.motif_b}", int(dd), top.orientation,
                             round(float(top.effect), 2), f"{float(top.q_value):.2g}", ", ".join(called) or "none"))
                print(rows[-1], flush=True)
    print("| seed | element strand | K | statistic | top pair | TAL1 start - GATA1 start (bp) | orientation | effect (logits) | "
          "q_value | pairs called (q < 0.05) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(str(v) for v in r) + " |")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    raise SystemExit(main())
