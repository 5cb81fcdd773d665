"""Benchmark: filters_to_motifs and plot_logo next to the usual alternatives, same input.

* Filters to motifs.  Anchor: the common Basset-style script -- activations from a Keras
  ``Conv1D`` layer (TensorFlow, CPU), then numpy: per filter, ``argwhere`` of the windows at or
  above half the maximum, gather the windows, sum them.  Ours: ``filters_to_motifs`` computing
  the activations with its Numba kernel (and, separately, from the Keras activations).
* Logos.  Anchor: logomaker 0.8.7 (``Logo`` of an information matrix), ours: ``plot_logo``;
  both rendered to SVG in memory.

Run:  cd /work/main && .venv/bin/python benchmarks/bench_from_filters.py
The first call of each of ours is timed separately (Numba compilation or cache load).
"""
from __future__ import annotations

import io
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402


def best(fn, repeat=3):
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def numpy_sites(x, act, width, threshold=0.5):
    counts = np.zeros((act.shape[2], width, 4))
    for f in range(act.shape[2]):
        a = act[:, :, f]
        mx = a.max()
        if mx <= 0:
            continue
        n, j = np.nonzero(a >= threshold * mx)
        idx = j[:, None] + np.arange(width)[None, :]
        counts[f] = x[n[:, None], idx].sum(axis=0)
    return counts


def main():
    n, length, width, n_filt = 2000, 200, 19, 64
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, length))]
    w = rng.normal(scale=0.5, size=(width, 4, n_filt)).astype(np.float32)
    b = rng.normal(scale=0.1, size=n_filt).astype(np.float32)
    print(f"input: N={n} sequences x L={length} bp, {n_filt} filters of width {width}")

    from kgenint.motifs.from_filters import filters_to_motifs

    t = time.perf_counter()
    filters_to_motifs(w[:, :, :2], x[:2], bias=b[:2], activation_fn="relu", min_sites=0)
    print(f"kgenint first call (compile or cache load): {time.perf_counter() - t:.2f} s")
    t_ours, ours = best(lambda: filters_to_motifs(w, x, bias=b, activation_fn="relu", min_sites=0))

    import keras

    conv = keras.layers.Conv1D(n_filt, width, activation="relu", padding="valid")
    conv.build((None, length, 4))
    conv.set_weights([w, b])
    conv(x[:2])  # warm-up

    def anchor():
        act = np.asarray(conv(x))
        return act, numpy_sites(x, act, width)

    t_anchor, (act, ref_counts) = best(anchor)
    t_given, given = best(lambda: filters_to_motifs(w, x, activations=act, min_sites=0))
    t_np, _ = best(lambda: numpy_sites(x, act, width))
    got = np.stack([m.counts for m in ours])
    agree = np.mean([np.array_equal(a, r) for a, r in zip(got, ref_counts)])
    print(f"Keras Conv1D + numpy sites   : {t_anchor:.3f} s  (numpy site step alone {t_np:.3f} s)")
    print(f"kgenint, activations computed: {t_ours:.3f} s  ratio anchor/ours = {t_anchor / t_ours:.2f}")
    print(f"kgenint, Keras activations   : {t_given:.3f} s  ratio numpy-sites/ours = {t_np / t_given:.2f}")
    print(f"identical count matrices: {agree:.0%} of filters (float32 ties may differ)")

    import logomaker
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from kgenint.motifs import Motif
    from kgenint.plot import logo_heights, plot_logo

    p = rng.dirichlet(np.full(4, 0.3), size=20)
    m = Motif(name="m", pwm=p)
    heights = logo_heights(m)

    def ours_logo():
        ax = plot_logo(m)
        buf = io.BytesIO()
        ax.figure.savefig(buf, format="svg")
        return buf.getbuffer().nbytes

    def lm_logo():
        fig, ax = plt.subplots(figsize=(7.8, 1.8))
        logomaker.Logo(pd.DataFrame(heights, columns=list("ACGT")), ax=ax)
        buf = io.BytesIO()
        fig.savefig(buf, format="svg")
        plt.close(fig)
        return buf.getbuffer().nbytes

    ours_logo(), lm_logo()
    t_l_ours, _ = best(ours_logo, 5)
    t_l_lm, _ = best(lm_logo, 5)
    print(f"logo 20 bp to SVG: kgenint {t_l_ours * 1000:.0f} ms, logomaker {t_l_lm * 1000:.0f} ms, "
          f"ratio {t_l_lm / t_l_ours:.2f}")


if __name__ == "__main__":
    main()
