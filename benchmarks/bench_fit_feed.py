"""Keras's own NumPy feeding of ``model.fit`` against kgenint's one-thread pipeline (issue 17).

Trains the demo's ``interaction`` CNN on the demo data, alternating one epoch fed by
``model.fit(x, y, shuffle=True)`` and one fed by :func:`kgenint.keras.training.shuffled_batches`, in one
process (so both see the same machine state), and prints seconds per epoch.  It also records the
rows each step receives under ``keras.utils.set_random_seed`` to show whether each path draws a
new permutation every epoch.

Usage::

    python benchmarks/bench_fit_feed.py --epochs 4 [--data kgenint-demo/data.h5]
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from _machine import cpu_model  # benchmarks/_machine.py (scripts run from benchmarks/ on sys.path)




def permutations_per_epoch(path: str, epochs: int = 3) -> list[list[int]]:
    """Rows seen per epoch (20 rows, batches of 5) when ``fit`` gets NumPy (``numpy``) or ours."""
    import keras
    import tensorflow as tf

    from kgenint.keras.training import shuffled_batches

    x = np.arange(20, dtype=np.float32)[:, None]
    keras.utils.set_random_seed(0)
    seen: list[list[int]] = []

    class Record(keras.layers.Layer):
        def call(self, v):
            tf.py_function(lambda t: seen.append(t.numpy().ravel().astype(int).tolist()), [v], [])
            return v

    inp = keras.Input((1,))
    m = keras.Model(inp, keras.layers.Dense(1)(Record()(inp)))
    m.compile("sgd", "mse")
    if path == "numpy":
        m.fit(x, x, batch_size=5, epochs=epochs, shuffle=True, verbose=0)
    else:
        m.fit(shuffled_batches(x, x, 5, seed=0), epochs=epochs, shuffle=False, verbose=0)
    return [sum(seen[e * 4:(e + 1) * 4], []) for e in range(epochs)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=4, help="epochs per feeding path (default 4)")
    ap.add_argument("--data", default=None, help="demo data.h5 (default: simulate the default preset, seed 0)")
    ap.add_argument("--n-train", type=int, default=80_000, help="training sequences per epoch")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    import keras

    from kgenint.keras import build_model
    from kgenint.keras.training import shuffled_batches
    from kgenint.simulate import load, simulate

    d = load(args.data) if args.data else simulate("default", seed=0, progress=False)
    xtr, ytr = d.subset("train", "continuous")
    xva, yva = d.subset("valid", "continuous")
    xtr, ytr = xtr[: args.n_train], ytr[: args.n_train]
    print(f"CPU: {cpu_model()}; {len(xtr)} training and {len(xva)} validation sequences per epoch")
    for path in ("numpy", "kgenint"):
        perms = permutations_per_epoch(path)
        print(f"{path:8s} epochs draw {'one repeated permutation' if perms[0] == perms[1] == perms[2] else 'new permutations'}:"
              f" epoch 1 starts {perms[0][:6]}, epoch 2 starts {perms[1][:6]}")
    keras.utils.set_random_seed(0)
    m = build_model("interaction", xtr.shape[1], 1, n_filters=48, output_activation="linear")
    m.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse",
              metrics=[keras.metrics.PearsonCorrelation(axis=0, name="pearson")])
    tr, va = shuffled_batches(xtr, ytr, 256, seed=0), shuffled_batches(xva, yva, 256)
    res: dict[str, list[float]] = {"numpy": [], "kgenint": []}
    for ep in range(args.epochs):
        for path in (("numpy", "kgenint") if ep % 2 == 0 else ("kgenint", "numpy")):
            t = time.perf_counter()
            if path == "numpy":
                m.fit(xtr, ytr, batch_size=256, validation_data=(xva, yva), epochs=1, verbose=0)
            else:
                m.fit(tr, validation_data=va, epochs=1, shuffle=False, verbose=0)
            res[path].append(time.perf_counter() - t)
    for path, v in res.items():
        print(f"{path:8s} s/epoch: {' '.join(f'{t:.1f}' for t in v)}  mean {np.mean(v):.2f}  median {np.median(v):.2f}")
    print(f"ratio of means numpy / kgenint: {np.mean(res['numpy']) / np.mean(res['kgenint']):.2f}")


if __name__ == "__main__":
    main()
