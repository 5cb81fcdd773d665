"""Benchmark of kgenint.simulate.

Part ``speed``: our simulator (Numba kernels) against the obvious numpy/Python implementation of
the same steps (i.i.d. GC background, sites sampled from PWMs and written in a Python loop,
accidental matches found with a numpy sliding-window scan), on the default preset.

Part ``learn``: is every planted rule learnable?  Trains a small CNN on the default data set,
then measures the interaction contrast ``f(A and B) - f(A) - f(B) + f(neither)`` on the logit,
with consensus sites embedded into fresh GC-matched backgrounds, for a placement that satisfies
each rule and one that violates it.  The planted value on the logit scale is
``interaction / temperature``.

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_simulate.py --part speed --n 100000
    .venv/bin/python benchmarks/bench_simulate.py --part learn --n 30000 --epochs 4
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def naive_generate(n: int, seed: int = 0) -> np.ndarray:
    """The obvious implementation: numpy per sequence, Python loops for sites and the scan."""
    from kgenint.simulate import get_preset
    from kgenint.simulate.generate import _Plan

    plan = _Plan(get_preset("default"), None, None)
    rng = np.random.default_rng(seed)
    L = plan.config.length
    lo = [plan.logodds[plan.offsets[k] : plan.offsets[k + 1]] for k in range(len(plan.widths))]
    out = np.zeros((n, L, 4), dtype=np.float32)
    for i in range(n):
        gc = rng.uniform(0.40, 0.46)
        seq = rng.choice(4, size=L, p=[(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
        # two random motifs at random non-overlapping places
        ks = rng.choice(len(lo), size=3, replace=False)
        pos = 5
        for k in ks:
            w = lo[k].shape[0]
            pwm = plan.motifs[k].pwm
            site = np.array([rng.choice(4, p=row) for row in pwm])
            if rng.random() < 0.5:
                site = 3 - site[::-1]
            seq[pos : pos + w] = site
            pos += w + 30
        # sliding-window scan of every motif on both strands (numpy per motif)
        for k, m in enumerate(lo):
            w = m.shape[0]
            win = np.lib.stride_tricks.sliding_window_view(seq, w)
            f = m[np.arange(w), win].sum(axis=1)
            r = m[::-1, ::-1][np.arange(w), win].sum(axis=1)
            _ = np.flatnonzero((f >= plan.match_thr[k]) | (r >= plan.match_thr[k]))
        out[i, np.arange(L), seq] = 1
    return out


def part_speed(n: int) -> None:
    from kgenint.simulate import simulate

    t0 = time.perf_counter()
    simulate("default", n=200, seed=0)
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    c0 = time.process_time()
    d = simulate("default", n=n, seed=0)
    t_ours = time.perf_counter() - t0
    c_ours = time.process_time() - c0
    n_naive = min(n, 2000)
    t0 = time.perf_counter()
    naive_generate(n_naive)
    t_naive = (time.perf_counter() - t0) * n / n_naive
    print(f"first call (compile or cache load, 200 seqs): {t_first:.2f} s")
    print(f"kgenint.simulate default, {n} x 200 bp: {t_ours:.2f} s "
          f"({n / t_ours:,.0f} seq/s; {len(d.truth.instances)} sites, "
          f"{d.truth.n_removed} accidental matches removed); CPU time {c_ours:.2f} s "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"naive numpy/Python, extrapolated from {n_naive}: {t_naive:.1f} s")
    print(f"ratio naive / ours: {t_naive / t_ours:.1f}x")


def _consensus_onehot(m) -> np.ndarray:
    return np.eye(4, dtype=np.float32)[m.pwm.argmax(axis=1)]


def part_learn(n: int, epochs: int, temperature: float | None, batch: int, lr: float,
               first_activation: str = "relu", arch: str = "small") -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from kgenint.simulate import simulate

    from kgenint.simulate import SimulationConfig

    cfg = SimulationConfig.from_preset("default")
    if temperature is not None:
        cfg.temperature = temperature
    t0 = time.perf_counter()
    d = simulate(cfg, n=n, seed=0)
    print(f"simulated {n} sequences in {time.perf_counter() - t0:.1f} s")
    t = d.truth
    xtr, ytr = d.subset("train")
    xva, yva = d.subset("valid")
    keras.utils.set_random_seed(0)
    inp = keras.Input((200, 4))
    if arch == "wide":
        h = keras.layers.Conv1D(128, 19, padding="same", activation=first_activation)(inp)
        h = keras.layers.MaxPooling1D(4)(h)
        h = keras.layers.Dropout(0.2)(h)
        h = keras.layers.Conv1D(128, 7, padding="same", activation="relu", dilation_rate=2)(h)
        h = keras.layers.GlobalMaxPooling1D()(h)
        h = keras.layers.Dense(128, activation="relu")(h)
        h = keras.layers.Dropout(0.3)(h)
    else:
        h = keras.layers.Conv1D(64, 15, padding="same", activation=first_activation)(inp)
        h = keras.layers.MaxPooling1D(2)(h)
        h = keras.layers.Conv1D(64, 5, padding="same", activation="relu", dilation_rate=2)(h)
        h = keras.layers.Conv1D(64, 5, padding="same", activation="relu", dilation_rate=4)(h)
        h = keras.layers.GlobalMaxPooling1D()(h)
        h = keras.layers.Dropout(0.2)(h)
        h = keras.layers.Dense(64, activation="relu")(h)
    logit = keras.layers.Dense(1)(h)
    model = keras.Model(inp, logit)
    model.compile(keras.optimizers.Adam(lr), keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.AUC(from_logits=True, name="auroc")])
    t0 = time.perf_counter()
    model.fit(xtr, ytr.astype(np.float32), validation_data=(xva, yva.astype(np.float32)),
              epochs=epochs, batch_size=batch, verbose=2)
    print(f"training: {time.perf_counter() - t0:.1f} s")
    from sklearn.metrics import roc_auc_score

    idx = d.split["test"]
    pred = model.predict(d.x[idx], batch_size=1024, verbose=0)[:, 0]
    print(f"test AUROC {roc_auc_score(d.y_class[idx, 0], pred):.3f} "
          f"(Bayes-optimal {roc_auc_score(d.y_class[idx, 0], t.probability[idx]):.3f})")

    # in-silico contrasts
    rng = np.random.default_rng(1)
    B = 64
    gc = rng.uniform(0.40, 0.46, size=B)
    bg = np.stack([np.eye(4, dtype=np.float32)[rng.choice(4, 200, p=[(1 - g) / 2, g / 2, g / 2, (1 - g) / 2])]
                   for g in gc])
    motifs = {m.name: m for m in t.motifs}

    def put(x, m, pos, strand):
        s = _consensus_onehot(m)
        if strand == "-":
            s = s[::-1, ::-1]
        x[:, pos : pos + len(s)] = s

    def contrast(a, b, d_, ori):
        pa = 60 if d_ >= 0 else 60 - d_
        pb = pa + d_
        xs = []
        for which in ("ab", "a", "b", ""):
            x = bg.copy()
            if "a" in which:
                put(x, motifs[a], pa, ori[0])
            if "b" in which:
                put(x, motifs[b], pb, ori[1])
            xs.append(x)
        f = [model.predict(x, batch_size=256, verbose=0)[:, 0] for x in xs]
        return float(np.mean(f[0] - f[1] - f[2] + f[3]))

    tau = t.temperature

    def main_effect(a):
        x = bg.copy()
        put(x, motifs[a], 90, "+")
        return float(np.mean(model.predict(x, batch_size=256, verbose=0)[:, 0]
                             - model.predict(bg, batch_size=256, verbose=0)[:, 0]))

    print("main effects f(A) - f(neither), logit units (planted = main_effect / temperature):")
    for row in t.motif_table.itertuples():
        print(f"  {row.name:<8} {row.role:<12} planted {row.main_effect / tau:+6.2f}  "
              f"model {main_effect(row.name):+6.2f}")
    print(f"{'rule':<28} {'planted':>8} {'satisfied':>10} {'violated':>9}   (logit units)")
    for r in t.rules.itertuples():
        sat = {"spacing": (20, "++"), "orientation": (40, "+-"), "order": (40, "++")}.get(r.kind, (40, "++"))
        vio = {"spacing": (40, "++"), "orientation": (40, "++"), "order": (-40, "++")}.get(r.kind, None)
        c_sat = contrast(r.motif_a, r.motif_b, *sat)
        c_vio = contrast(r.motif_a, r.motif_b, *vio) if vio else float("nan")
        print(f"{r.kind + ' ' + r.motif_a + '-' + r.motif_b:<28} {r.interaction / tau:>+8.2f} "
              f"{c_sat:>+10.2f} {c_vio:>+9.2f}")
    c_ctrl = contrast("CEBPB", "RFX1", 40, "++")
    print(f"{'control CEBPB-RFX1 (none)':<28} {0:>+8.2f} {c_ctrl:>+10.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", choices=["speed", "learn"], default="speed")
    ap.add_argument("--n", type=int, default=100000)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--temperature", type=float, default=None)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--activation", default="relu", help="first-layer activation (relu, exponential)")
    ap.add_argument("--arch", default="small", choices=["small", "wide"])
    a = ap.parse_args()
    if a.part == "speed":
        part_speed(a.n)
    else:
        part_learn(a.n, a.epochs, a.temperature, a.batch, a.lr, a.activation, a.arch)


if __name__ == "__main__":
    main()
