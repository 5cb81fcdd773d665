"""Train a reference architecture on the default simulated set and score it, including the
in-silico interaction scan against the planted rules.

    .venv/bin/python benchmarks/bench_training.py --arch interaction --target class
    .venv/bin/python benchmarks/bench_training.py --arch local --target continuous \
        --kwargs '{"first_activation": "relu"}' --scan

Prints one JSON line per run (and appends it to ``--log``): test metrics (AUROC/AUPRC for
``class``, Pearson for ``continuous``), epochs, wall time, and with ``--scan`` the pair AUROC /
precision / recall of :func:`kgenint.evaluate.score_interactions` and the per-rule calls.  The
simulated data set is cached in ``--cache`` (HDF5) so repeated runs skip the simulation.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def get_data(cache: Path, n: int | None, seed: int, preset: str = "default"):
    from kgenint.simulate import load, save, simulate

    path = cache / f"sim_{preset}_s{seed}_n{n or 'default'}.h5"
    if path.exists():
        return load(path)
    data = simulate(preset, n, seed)
    cache.mkdir(parents=True, exist_ok=True)
    save(data, path)
    return data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="interaction")
    ap.add_argument("--target", default="class", choices=("class", "continuous"))
    ap.add_argument("--kwargs", default="{}", help="JSON dict of model options")
    ap.add_argument("--n", type=int, default=None, help="sequences (default: the preset's n_default)")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--patience", type=int, default=5)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--scan", action="store_true", help="run the in-silico pair scan and score it")
    ap.add_argument("--backgrounds", type=int, default=16)
    ap.add_argument("--cache", default="/tmp/kgtrain")
    ap.add_argument("--save", default=None, help="save the trained model here (.keras)")
    ap.add_argument("--log", default=None, help="append the JSON result line to this file")
    ap.add_argument("--load", default=None, help="skip training: evaluate (and scan) this saved .keras model")
    ap.add_argument("--save-scan", default=None, help="save the in-silico scan here (HDF5)")
    ap.add_argument("--preset", default="default", help="simulation preset (default, additive, long)")
    ap.add_argument("--distance-step", type=int, default=2, help="step of the scanned distances (bp)")
    a = ap.parse_args()

    from kgenint.keras.training import train_model

    data = get_data(Path(a.cache), a.n, a.seed, a.preset)
    kw = json.loads(a.kwargs)
    xtr, ytr = data.subset("train", a.target)
    xva, yva = data.subset("valid", a.target)
    xte, yte = data.subset("test", a.target)
    if a.load:
        from kgenint.keras import load_model
        from kgenint.keras.training import evaluate_predictions

        model = load_model(a.load)
        pred = model.predict(xte, batch_size=1024, verbose=0)
        met = {"loaded": a.load, **evaluate_predictions(yte, pred, a.target)}
    else:
        model, hist, met = train_model(
            xtr, ytr, arch=a.arch, target=a.target, x_valid=xva, y_valid=yva, x_test=xte, y_test=yte,
            epochs=a.epochs, batch_size=a.batch_size, patience=a.patience, learning_rate=a.lr,
            model_kwargs=kw, seed=a.seed, progress=True,
        )
        pred = model.predict(xte, batch_size=1024, verbose=0)
    out = {k: v for k, v in met.items() if isinstance(v, (int, float, str)) or v is None}
    out.update(preset=a.preset, arch=a.arch, kwargs=kw, n=len(data), lr=a.lr, params=int(model.count_params()))
    # the other target on the same test set: logits vs y_reg / labels
    pred = pred[:, 0]
    yreg = data.y_reg[data.split["test"], 0]
    ycls = data.y_class[data.split["test"], 0]
    from kgenint.keras.training import auroc

    out["test_pearson_vs_yreg"] = float(np.corrcoef(pred, yreg)[0, 1])
    out["test_auroc_vs_class"] = float(auroc(ycls, pred))
    if a.save:
        model.save(a.save)
    if a.scan:
        from kgenint.evaluate import score_interactions
        from kgenint.interactions.insilico import scan_pairs
        from kgenint.keras.adapter import as_predict_fn
        from kgenint.sequence import gc_matched_background

        truth = data.truth
        t0 = time.perf_counter()
        bg = gc_matched_background(xte, a.backgrounds, seed=0)
        scan = scan_pairs(as_predict_fn(model, batch_size=4096), truth.motifs, bg,
                          distances=range(0, 101, a.distance_step), batch_size=4096, show_progress=False)
        out["scan_seconds"] = round(time.perf_counter() - t0, 1)
        if a.save_scan:
            scan.save(a.save_scan)
        pairs = scan.pairs()
        called = pairs[pairs.q < 0.05]
        roles = truth.motif_roles()
        out["called_pairs"] = [f"{r.motif_a}-{r.motif_b}" for r in called.itertuples()]
        out["decoy_pairs_called"] = int(sum(roles.get(r.motif_a) == "decoy" or roles.get(r.motif_b) == "decoy"
                                            for r in called.itertuples()))
        res = score_interactions(pairs, truth, motif_names=truth.motif_names)
        for k in ("pair_auroc", "pair_auprc", "precision", "recall", "n_called", "n_pairs",
                  "spacing_error_bp", "orientation_accuracy", "order_accuracy", "sign_accuracy",
                  "additive_called"):
            v = res.get(k)
            out[k] = v.item() if hasattr(v, "item") else v
        tab = res["table"]
        out["rules"] = {
            f"{r.kind}:{r.motif_a}-{r.motif_b}": {"called": bool(r.called), "q": float(r.q),
                                                  "best_distance": None if r.best_distance != r.best_distance
                                                  else int(r.best_distance),
                                                  "best_orientation": str(r.best_orientation)}
            for r in tab.itertuples()
        }
    line = json.dumps(out, default=str)
    print(line, flush=True)
    if a.log:
        with open(a.log, "a") as fh:
            fh.write(line + "\n")


if __name__ == "__main__":
    main()
