"""``kgenint interactions --method {anova,tukey,dfim,dependency,hessian,hierlasso}``: the detectors
other than the in-silico scan, through :func:`kgenint.interactions.detectors.run_detector`.

Writes the pair table (``docs/api.md``) as TSV (stdout or ``--table``) and, with ``--out``, as
HDF5 (one dataset per column, header ``kgenint_format="pair_table"``, ``format_version=1``).
"""
from __future__ import annotations

import argparse
import logging
import os
import warnings

import numpy as np

from ._outputs import write_tsv

log = logging.getLogger("kgenint")

#: hit-based detectors use at most this many sequences holding hits of two motifs
MAX_HIT_SEQS = 1000
FORMAT_VERSION = 1


def read_labels(path: str, ids: list[str]) -> np.ndarray:
    """Labels per sequence from a TSV: a header, the sequence id in the first column and the
    label in the column named ``label`` (else the second column); rows matched to ``ids``."""
    import pandas as pd

    from ..errors import InputError

    if not os.path.exists(path):
        raise InputError(f"--labels: no file at {path!r}.")
    try:
        df = pd.read_csv(path, sep="\t", dtype={0: str})
    except Exception as err:  # noqa: BLE001 - parser errors vary
        raise InputError(f"--labels {path}: cannot read a TSV ({err}).") from None
    if df.shape[1] < 2:
        raise InputError(f"--labels {path}: expected a header and two columns (sequence id, label); "
                         f"found {df.shape[1]} column(s).")
    col = "label" if "label" in df.columns else df.columns[1]
    idc = df.columns[0]
    vals = pd.to_numeric(df[col], errors="coerce")
    if vals.isna().any():
        i = int(np.flatnonzero(vals.isna().to_numpy())[0])
        raise InputError(f"--labels {path}, line {i + 2}: label {df[col].iloc[i]!r} for sequence "
                         f"{df[idc].iloc[i]!r} is not a number.")
    lab = dict(zip(df[idc].astype(str), vals.to_numpy(float)))
    missing = [s for s in ids if s not in lab]
    if missing:
        raise InputError(f"--labels {path}: no label for {len(missing)} sequence(s) of --data, e.g. {missing[0]!r}.")
    return np.array([lab[s] for s in ids])


def save_pair_table(df, path: str, overwrite: bool, meta: dict) -> None:
    """Write a pair table to HDF5 (:func:`kgenint.interactions.pair_table.save`)."""
    from .._io import check_overwrite
    from ..interactions.pair_table import save

    check_overwrite(path, overwrite, what="--out")
    save(df, path, meta=meta)


def run(args: argparse.Namespace) -> int:
    """Run one non-insilico detector from the ``interactions`` arguments."""
    from .._io_inputs import check_model_length, load_keras_model, read_motif_file, read_sequences
    from ..errors import InputError
    from ..interactions.detectors import run_detector
    from ._interaction_args import make_backgrounds, parse_distances

    method = args.method
    if getattr(args, "batch_size", 1) < 1 or getattr(args, "n_backgrounds", 1) < 1:
        raise InputError("--batch-size and --n-backgrounds must be >= 1.")
    out = os.fspath(args.out) if args.out else None
    if out and os.path.exists(out) and not args.overwrite:
        raise InputError(f"{out} exists; pass --overwrite to replace it or choose another --out.")
    if method in ("dfim", "dependency", "hessian", "hierlasso") and not args.data:
        raise InputError(f"--method {method} needs --data (the sequences holding the motif hits).")
    if args.labels and method != "hierlasso":
        log.warning("--labels is used by --method hierlasso only; ignored")
    motifs = read_motif_file(args.motifs)
    data = read_sequences(args.data, split=args.split, what="--data") if args.data else None
    model, model_len = load_keras_model(args.model)
    if data is not None:
        check_model_length(data.x, model_len, data.path, args.model)
    head = None if args.head is None else (int(args.head) if str(args.head).lstrip("-").isdigit() else args.head)
    task = getattr(args, "task", None)
    if task is None:
        task = getattr(args, "output", None)
    task = 0 if task is None else int(task)
    logits = not getattr(args, "probabilities", False)
    seed = int(args.seed)
    kw: dict = {}
    if method in ("anova", "tukey"):
        from ..keras.adapter import as_predict_fn

        length = model_len or (data.length if data is not None else args.length)
        bg, what = make_backgrounds(args.background if args.background in (None, "gc", "shuffle") else None,
                                    int(args.n_backgrounds), length, None if data is None else data.x, seed)
        log.info("backgrounds: %s", what)
        kw.update(predict=as_predict_fn(model, head, logits=logits, batch_size=int(args.batch_size)), backgrounds=bg)
        d = parse_distances(args.distances)
        if method == "anova":
            kw["distances"] = d
            kw["orientations"] = [o.strip() for o in args.orientations.split(",") if o.strip()]
        else:
            kw["distances"] = d[:: max(1, d.size // 5)]
    else:
        from ..motifs.scan import scan

        assert data is not None  # the hit-based methods need --data (checked above)
        x = data.x
        hits = scan(x, motifs, threshold=1e-4, progress=False)
        hits = hits.assign(motif=hits["motif_id"].astype(str))
        if method != "hierlasso":
            per = hits.groupby("seq")["motif"].nunique()
            keep = per.index[per >= 2].to_numpy()
            if keep.size > MAX_HIT_SEQS:
                keep = np.sort(np.random.default_rng(seed).choice(keep, MAX_HIT_SEQS, replace=False))
                log.info("using %d random sequences of the %d with hits of two motifs (the Python API takes all)",
                         MAX_HIT_SEQS, int((per >= 2).sum()))
            remap = {int(s): i for i, s in enumerate(keep)}
            x = x[keep]
            hits = hits[hits["seq"].isin(keep)].assign(seq=lambda h: h["seq"].map(remap))
        kw.update(x=x, hits=hits)
        if method in ("dfim", "dependency"):
            from ..keras.derivatives import attribution_fn

            kw["attribute"] = attribution_fn(model, "gradient_x_input", head=head, task=task, logits=logits,
                                             batch_size=int(args.batch_size))
        elif method == "hessian":
            from ..keras.derivatives import SurrogateWarning, hvp_fn, piecewise_linear_layers, softplus_surrogate

            m = model
            if piecewise_linear_layers(model):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", SurrogateWarning)
                    m = softplus_surrogate(model)
                log.warning("the model has ReLU/max-pool layers (exact Hessian zero almost everywhere): Hessians "
                            "are of its softplus(beta=10) surrogate with the same weights")
            kw["hvp"] = hvp_fn(m, head=head, task=task, logits=logits, batch_size=min(64, int(args.batch_size)))
        else:  # hierlasso
            if args.labels:
                kw["labels"] = read_labels(args.labels, list(data.ids))
                log.info("hierlasso target: --labels (data truth)")
            else:
                from ..keras.adapter import as_predict_fn

                kw["predict"] = as_predict_fn(model, head, logits=logits, batch_size=int(args.batch_size))
                log.info("hierlasso target: the model's outputs on --data (model truth)")
    log.info("running %s on %s", method, f"{len(kw['x'])} sequences" if "x" in kw else "backgrounds")
    table = run_detector(method, motifs=motifs, task=task, seed=seed, progress=not args.quiet, **kw)
    cost = table.attrs.get("cost", {})
    if out:
        save_pair_table(table, out, bool(args.overwrite), {"method": method, "model": os.fspath(args.model),
                                                           "model_rows": int(cost.get("model_rows", 0))})
        log.info("wrote %s", out)
    top = int(getattr(args, "top", 0) or 0)
    shown = table if top == 0 else table.head(top)
    write_tsv(shown, args.table, "pairs")
    log.info("%s: %d pairs, %d with q < 0.05; %d model/attribution rows", method, len(table),
             int((table["q_value"] < 0.05).sum()), int(cost.get("model_rows", 0)))
    return 0
