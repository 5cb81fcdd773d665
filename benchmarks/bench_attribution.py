"""Benchmark: kgenint DeepSHAP vs shap's DeepExplainer, vs the raw gradient floor; saliency vs
tf-keras-vis, all on the same model, inputs and references in one process.

Model: a Flatten-head CNN (conv 32x19 relu -> max-pool 10 -> flatten -> dense 32 relu -> dense 1,
linear), untrained (seeded), input 1 kb. Inputs: N random 1 kb sequences (42 % GC); references:
B random sequences shared by every input.

Reported:
* kgenint ``deepshap(model, x, bg)``: first call (builds and traces the modified model) and
  warm time; a breakdown of the warm time into the compiled gradient calls and the NumPy work
  around them (batch assembly, float64 products, per-sequence sums);
* ``shap_deepexplainer`` (shap 0.51 DeepExplainer, made safe by kgenint) on the same inputs;
  ratio and agreement (Pearson r over all positions, max |diff|);
* the floor: the same number of forward+backward passes of the *original* model
  (``tf.GradientTape`` in one ``tf.function``, 2 x pairs rows in batches of 2 x batch_size),
  and our ratio to it;
* ``kgenint.attribution.saliency`` vs tf-keras-vis ``Saliency`` called directly.

Usage::

    .venv/bin/python benchmarks/bench_attribution.py --n 100 --length 1000 --n-bg 50
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.dirname(__file__), "..", ".numba_cache"))

import numpy as np  # noqa: E402


def build_model(length: int):
    import keras
    from keras import layers as kl

    keras.utils.set_random_seed(0)
    inp = keras.Input((length, 4))
    h = kl.Conv1D(32, 19, padding="same", activation="relu")(inp)
    h = kl.MaxPooling1D(10)(h)
    h = kl.Flatten()(h)
    h = kl.Dense(32, activation="relu")(h)
    out = kl.Dense(1)(h)
    return keras.Model(inp, out)


CPU: dict[float, float] = {}


def timed(fn, *a, **k):
    """``(result, wall seconds)``; the process CPU seconds are kept in ``CPU[wall]`` (the machine
    is shared, so wall time alone overstates the cost when other jobs run)."""
    t, c = time.perf_counter(), time.process_time()
    r = fn(*a, **k)
    w = time.perf_counter() - t
    CPU[w] = time.process_time() - c
    return r, w


def fmt(w: float) -> str:
    return f"{w:.2f} s wall / {CPU.get(w, float('nan')):.2f} s CPU"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--length", type=int, default=1000)
    ap.add_argument("--n-bg", type=int, default=50)
    ap.add_argument("--batch-size", type=int, default=64, help="deepshap pairs per gradient call (default: deepshap's)")
    ap.add_argument("--skip-shap", action="store_true")
    ap.add_argument("--profile-maxpool", action="store_true",
                    help="also time the DeepSHAP max-pool rule alone against a plain max_pool1d")
    args = ap.parse_args()

    import tensorflow as tf

    import kgenint.attribution.deeplift as dl
    from kgenint.attribution import deepshap, saliency, shap_deepexplainer
    from kgenint.sequence import random_background

    N, L, B, P = args.n, args.length, args.n_bg, args.batch_size
    model = build_model(L)
    x = random_background(N, L, gc=0.42, seed=1)
    bg = random_background(B, L, gc=0.42, seed=2)
    print(f"model: conv32x19 relu -> maxpool10 -> flatten -> dense32 relu -> dense1; {model.count_params()} params")
    print(f"inputs: {N} x {L} bp, {B} shared references = {N * B} pairs; deepshap batch_size={P} pairs "
          f"({P} inputs + {P} references per call); TF threads: intra={tf.config.threading.get_intra_op_parallelism_threads()}")

    # ---- ours: first call (trace) on 2 sequences, then warm on all
    _, t_first = timed(deepshap, model, x[:2], bg, batch_size=P)
    # breakdown of the warm call
    grad_time = [0.0]
    real = dl._Explainer.multipliers

    def counted(self, xs, rs):
        t = time.perf_counter()
        r = real(self, xs, rs)
        grad_time[0] += time.perf_counter() - t
        return r

    dl._Explainer.multipliers = counted
    ours, t_counted = timed(deepshap, model, x, bg, batch_size=P)
    dl._Explainer.multipliers = real
    _, t_ours = timed(deepshap, model, x, bg, batch_size=P)
    t_ours = min(t_ours, t_counted)
    print(f"\nkgenint deepshap: first call (2 seqs, incl. trace) {fmt(t_first)}; warm {fmt(t_ours)} "
          f"({N * B / t_ours:.0f} pairs/s wall)")
    print(f"  breakdown of one warm call ({fmt(t_counted)}): compiled gradient calls incl. batch concat and "
          f"host copies {grad_time[0]:.2f} s, NumPy around them {t_counted - grad_time[0]:.2f} s")

    # ---- floor: plain forward+backward of the original model on the same number of rows
    @tf.function(input_signature=[tf.TensorSpec([None, L, 4], tf.float32)])
    def grad(xr):
        with tf.GradientTape() as tape:
            tape.watch(xr)
            y = model(xr, training=False)[:, 0]
            s = tf.reduce_sum(y)
        return tape.gradient(s, xr), y

    rows = np.concatenate([np.repeat(x, B, axis=0), np.tile(bg, (N, 1, 1))])  # 2 * N * B rows
    grad(tf.constant(rows[: 2 * P]))  # trace

    def floor():
        for s in range(0, N * B, P):
            g, y = grad(tf.constant(np.concatenate([rows[s:s + P], rows[N * B + s:N * B + s + P]])))
            g.numpy(), y.numpy()

    _, t_floor = timed(floor)
    print(f"floor (original model, tf.GradientTape, {2 * N * B} rows in batches of {2 * P}): {fmt(t_floor)}; "
          f"ours / floor = {t_ours / t_floor:.2f}x wall, {CPU[t_ours] / CPU[t_floor]:.2f}x CPU (goal <= 1.5x)")

    # ---- shap DeepExplainer
    if not args.skip_shap:
        _, t_shap_first = timed(shap_deepexplainer, model, x[:2], bg)
        ref, t_shap = timed(shap_deepexplainer, model, x, bg)
        r = np.corrcoef(ours.ravel(), ref.ravel())[0, 1]
        print(f"shap DeepExplainer: first call (2 seqs) {fmt(t_shap_first)}; {N} seqs {fmt(t_shap)}")
        print(f"  ratio shap / ours = {t_shap / t_ours:.2f}x wall, {CPU[t_shap] / CPU[t_ours]:.2f}x CPU (goal >= 3x); agreement: Pearson r = {r:.6f}, "
              f"max |diff| = {np.abs(ours - ref).max():.2e} (max |attr| {np.abs(ref).max():.2e})")

    # ---- saliency vs tf-keras-vis directly
    from tf_keras_vis.saliency import Saliency

    sal = Saliency(model, model_modifier=None, clone=False)

    def tfkv(xx):
        return np.asarray(sal(lambda out: out[:, 0], xx, keepdims=True, gradient_modifier=None,
                              normalize_map=False), dtype=np.float32)

    saliency(model, x[:2], correct=False)
    tfkv(x[:2])
    a, t_a = timed(saliency, model, x, correct=False)
    b, t_b = timed(tfkv, x)
    a2, t_a2 = timed(saliency, model, x, correct=False)
    t_a = min(t_a, t_a2)
    print(f"\nsaliency ({N} seqs): kgenint {fmt(t_a)}, tf-keras-vis Saliency {fmt(t_b)}; "
          f"ratio ours / tf-keras-vis = {t_a / t_b:.2f} wall, {CPU[t_a] / CPU[t_b]:.2f} CPU; "
          f"max |diff| {np.abs(a - b).max():.1e}")

    if args.profile_maxpool:
        profile_maxpool(P, L, 32, 10)


def profile_maxpool(pairs: int, length: int, channels: int, pool: int) -> None:
    """Forward+backward time of the DeepSHAP max-pool rule (``_rules.dl_maxpool``) alone on
    ``pairs`` input and ``pairs`` reference rows of (length, channels), against a plain max-pool."""
    import tensorflow as tf

    from kgenint.attribution._rules import dl_maxpool

    rng = np.random.default_rng(0)
    zx = tf.constant(rng.normal(size=(pairs, length, channels)).astype("f4"))
    zr = tf.constant(rng.normal(size=(pairs, length, channels)).astype("f4"))
    w = tf.constant(np.random.default_rng(1).normal(size=(pairs, length // pool, channels)).astype("f4"))

    def make(f):
        @tf.function(autograph=False)
        def g(x, r):
            with tf.GradientTape() as t:
                t.watch(x)
                s = tf.reduce_sum(f(x, r) * w)
            return t.gradient(s, x)
        return g

    def rule(x, r):
        return dl_maxpool(x, r, pool, pool, "valid")

    def plain(x, r):
        return tf.nn.max_pool1d(x, pool, pool, "VALID")

    print(f"\nmax-pool rule alone, fwd+bwd on 2 x ({pairs}, {length}, {channels}), pool {pool}, mean of 5:")
    for name, f in (("_rules.dl_maxpool (DeepSHAP max rule)", rule), ("plain max_pool1d", plain)):
        g = make(f)
        g(zx, zr).numpy()
        t, c = time.perf_counter(), time.process_time()
        for _ in range(5):
            g(zx, zr).numpy()
        print(f"  {name}: {(time.perf_counter() - t) / 5 * 1e3:.0f} ms wall, {(time.process_time() - c) / 5 * 1e3:.0f} ms CPU")


if __name__ == "__main__":
    main()
