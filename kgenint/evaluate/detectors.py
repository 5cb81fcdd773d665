"""The interaction-detector benchmark: every detector on one model + data set with planted truth,
scored twice (against the planted rules, and against the in-silico scan of the same model) with
its cost. Re-exported as :func:`kgenint.evaluate.benchmark_interactions`.

No TensorFlow here: the model enters as callables (see :mod:`kgenint.keras.derivatives`).
"""
from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .._deprecation import renamed_args
from ..errors import InputError

__all__ = ["benchmark_interactions", "scoring_view", "score_against_pairs", "rule_kind_table", "plot_benchmark"]


def scoring_view(table: pd.DataFrame, select: float = 0.6) -> pd.DataFrame:
    """A pair table with the ``score`` and ``q`` columns :func:`kgenint.evaluate.score_interactions`
    reads: ``score = -log10 p_value`` (ties broken by ``|effect|``) and ``q = q_value``; for
    ``hierlasso`` (no p-values) ``score = selection_freq`` and ``q = 0`` for selected pairs
    (``selection_freq >= select``), 1 otherwise."""
    df = table.copy()
    eff = np.abs(df["effect"].to_numpy(dtype=float))
    eff = np.where(np.isfinite(eff), eff, 0.0)
    tie = 1e-6 * eff / (1.0 + eff.max(initial=0.0))
    if "selection_freq" in df.columns and df["p_value"].isna().all():
        df["score"] = df["selection_freq"].to_numpy(float) + tie
        df["q"] = np.where(df["selection_freq"].to_numpy(float) >= select, 0.0, 1.0)
    else:
        p = df["p_value"].to_numpy(dtype=float)
        df["score"] = np.where(np.isfinite(p), -np.log10(np.clip(p, 1e-300, 1.0)), 0.0) + tie
        q = df["q_value"].to_numpy(dtype=float)
        df["q"] = np.where(np.isfinite(q), q, 1.0)
    df["p"] = df["p_value"]
    df["q_value"] = df["q"]  # score_interactions reads q_value when a table has it
    df["distance"] = pd.to_numeric(df["distance"], errors="coerce").fillna(0).astype(int)
    df["orientation"] = df["orientation"].fillna("++")
    return df


def score_against_pairs(view: pd.DataFrame, positives: set, names: Sequence[str], *, alpha: float = 0.05, **deprecated) -> dict:
    """AUROC/AUPRC of the pair ranking and precision/recall of the calls against a set of
    positive unordered pairs (``frozenset``), over all heterotypic pairs of ``names``."""
    if deprecated:
        alpha = renamed_args("score_against_pairs", deprecated, {"q_threshold": "alpha"}, {"alpha": alpha},
                             {"alpha": 0.05})["alpha"]
    from .scoring import auprc, auroc

    key = {frozenset((a, b)): i for i, (a, b) in enumerate(zip(view.motif_a, view.motif_b))}
    scores: list[float] = []
    positive: list[bool] = []
    called: list[bool] = []
    names = list(names)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            k = frozenset((a, b))
            j = key.get(k)
            scores.append(float(view["score"].iloc[j]) if j is not None else 0.0)
            called.append(bool(view["q"].iloc[j] < alpha) if j is not None else False)
            positive.append(k in positives)
    s, y, c = np.array(scores), np.array(positive, bool), np.array(called, bool)
    nc = int(c.sum())
    return {"pair_auroc": auroc(y, s), "pair_auprc": auprc(y, s), "n_called": nc,
            "precision": float((c & y).sum() / nc) if nc else float("nan"),
            "recall": float((c & y).sum() / y.sum()) if y.sum() else float("nan"), "n_positive": int(y.sum())}


def rule_kind_table(view: pd.DataFrame, truth, *, alpha: float = 0.05, **deprecated) -> pd.DataFrame:
    """Per planted rule kind: AUROC of the pairs of that kind against the pairs without a planted
    interaction, and the fraction of its rules called (for ``additive`` rules: falsely called)."""
    if deprecated:
        alpha = renamed_args("rule_kind_table", deprecated, {"q_threshold": "alpha"}, {"alpha": alpha},
                             {"alpha": 0.05})["alpha"]
    from .scoring import auroc

    names = list(truth.motif_names)
    key = {frozenset((a, b)): i for i, (a, b) in enumerate(zip(view.motif_a, view.motif_b))}
    inter = truth.interacting_pairs()

    def get(k):
        j = key.get(k)
        return (float(view["score"].iloc[j]), bool(view["q"].iloc[j] < alpha)) if j is not None else (0.0, False)

    neg = [get(frozenset((a, b)))[0] for i, a in enumerate(names) for b in names[i + 1:]
           if frozenset((a, b)) not in inter]
    rows = {}
    for kind, g in truth.rules.groupby("kind"):
        ks = [frozenset((a, b)) for a, b in zip(g["motif_a"], g["motif_b"])]
        sc = [get(k) for k in ks]
        pos = [v[0] for v in sc]
        rows[kind] = {"auroc": auroc(np.r_[np.ones(len(pos), bool), np.zeros(len(neg), bool)], np.r_[pos, neg])
                      if kind != "additive" else float("nan"),
                      "called": float(np.mean([v[1] for v in sc])), "n_rules": len(ks)}
    return pd.DataFrame.from_dict(rows, orient="index")


def benchmark_interactions(truth, motifs: Sequence, *, methods: Sequence[str] | None = None,
                           x: np.ndarray | None = None, hits: pd.DataFrame | None = None,
                           predict: Callable | None = None, attribute: Callable | None = None,
                           hvp: Callable | None = None, backgrounds: np.ndarray | None = None,
                           labels: np.ndarray | None = None, model_truth: pd.DataFrame | None = None,
                           options: Mapping[str, dict] | None = None, alpha: float = 0.05,
                           seed=0, progress: bool = True,
                           extra_detectors: Mapping[str, Callable[[], pd.DataFrame]] | None = None, **deprecated):
    """Run interaction detectors on one model + data set and score them.

    Parameters
    ----------
    truth : kgenint.simulate.GroundTruth
        The planted rules (data truth).
    motifs : list of Motif
        The planted motifs (names as in ``truth``).
    methods : list of str, optional
        Detectors (:data:`kgenint.interactions.detectors.DETECTORS`); default all whose inputs
        are given. ``hierlasso`` runs on ``labels`` when given (as ``hierlasso``) and on the
        model's outputs (as ``hierlasso_model``) when ``predict`` is given.
    x, hits, predict, attribute, hvp, backgrounds, labels
        As in :func:`kgenint.interactions.detectors.run_detector`.
    model_truth : DataFrame, optional
        The in-silico scan's pair table of the same model; its pairs with ``q < alpha``
        are the model-truth positives (read ``q_value``, else ``q``). Default: the
        ``insilico`` result of this run, when it ran.
    options : dict, optional
        ``{method: {option: value}}`` passed to each detector.
    extra_detectors : dict, optional
        ``{label: fn}``: detectors outside :func:`run_detector` that need more than callables
        (e.g. ``features``, the feature-space detectors of a Keras layer); ``fn()`` returns a
        pair table and is timed and scored like the others.

    Returns
    -------
    summary : pandas.DataFrame
        One row per method: ``data_auroc, data_auprc, data_precision, data_recall, n_called,
        spacing_error_bp, orientation_accuracy, sign_accuracy, additive_called, model_auroc,
        model_auprc, model_precision, model_recall, model_rows, wall_s, py_peak_mb,
        rss_peak_mb``.
    kinds : pandas.DataFrame
        The method x rule-kind table: ``auroc:<kind>`` and ``called:<kind>`` columns.
    tables : dict
        ``{method: pair table}``.
    """
    if deprecated:
        alpha = renamed_args("benchmark_interactions", deprecated, {"q_threshold": "alpha"}, {"alpha": alpha},
                             {"alpha": 0.05})["alpha"]
    from .scoring import score_interactions
    from ..interactions.detectors import DETECTORS, run_detector

    options = dict(options or {})
    if methods is None:
        methods = [m for m in DETECTORS if (
            (m in ("insilico", "anova", "tukey") and predict is not None and backgrounds is not None)
            or (m in ("dfim", "dependency") and attribute is not None and x is not None)
            or (m == "hessian" and hvp is not None and x is not None)
            or (m == "hierlasso" and x is not None and (labels is not None or predict is not None)))]
    runs: list[tuple[str, str | None, dict[str, Any]]] = []  # (label, detector or None for an extra, its inputs)
    for m in methods:
        if m not in DETECTORS:
            raise InputError(f"unknown method {m!r}; choose from {DETECTORS}.")
        if m == "hierlasso":
            if labels is not None:
                runs.append(("hierlasso", m, {"labels": labels}))
            if predict is not None:
                runs.append(("hierlasso_model", m, {"labels": None}))
        else:
            runs.append((m, m, {}))
    for label, fn in (extra_detectors or {}).items():
        runs.append((label, None, {"fn": fn}))
    if not runs:
        raise InputError("no detector can run: give predict + backgrounds, attribute/hvp + x, or labels + x.")
    names = list(truth.motif_names)
    tables, summary, kinds = {}, {}, {}
    for label, method, extra in runs:
        t0 = time.perf_counter()
        tracemalloc.start()
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if method is None:
            tab = extra["fn"]()
        else:
            tab = run_detector(method, motifs=motifs, x=x, hits=hits, predict=predict, attribute=attribute,
                               hvp=hvp, backgrounds=backgrounds, seed=seed, labels=extra.get("labels", labels),
                               **options.get(method, {}))
        _, py_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        wall = time.perf_counter() - t0
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tables[label] = tab
        view = scoring_view(tab)
        d = score_interactions(view, truth, alpha=alpha, motif_names=names)
        row = {"data_auroc": d["pair_auroc"], "data_auprc": d["pair_auprc"], "data_precision": d["precision"],
               "data_recall": d["recall"], "n_called": d["n_called"], "spacing_error_bp": d["spacing_error_bp"],
               "orientation_accuracy": d["orientation_accuracy"], "sign_accuracy": d["sign_accuracy"],
               "additive_called": d["additive_called"],
               "model_rows": tab.attrs.get("cost", {}).get("model_rows", 0), "wall_s": wall,
               "py_peak_mb": py_peak / 2 ** 20, "rss_peak_mb": rss1 / 1024.0, "rss_grew_mb": (rss1 - rss0) / 1024.0}
        if pd.to_numeric(tab["distance"], errors="coerce").isna().all():  # the method resolves no geometry
            row["spacing_error_bp"] = row["orientation_accuracy"] = float("nan")
        summary[label] = row
        kt = rule_kind_table(view, truth, alpha=alpha)
        kinds[label] = {f"{col}:{k}": kt.loc[k, col] for k in kt.index for col in ("auroc", "called")}
        if progress:
            print(f"benchmark: {label}: data AUROC {row['data_auroc']:.3f}, {wall:.1f} s", file=sys.stderr)
    mt = model_truth if model_truth is not None else tables.get("insilico")
    if mt is not None:
        qcol = "q_value" if "q_value" in mt.columns else "q"
        pos = {frozenset((a, b)) for a, b, q in zip(mt.motif_a, mt.motif_b, mt[qcol]) if a != b and q < alpha}
        for label, tab in tables.items():
            r = score_against_pairs(scoring_view(tab), pos, names, alpha=alpha)
            summary[label].update({"model_auroc": r["pair_auroc"], "model_auprc": r["pair_auprc"],
                                   "model_precision": r["precision"], "model_recall": r["recall"],
                                   "model_positives": r["n_positive"]})
    out = pd.DataFrame.from_dict(summary, orient="index")
    kind_df = pd.DataFrame.from_dict(kinds, orient="index")
    kind_df = kind_df[sorted(kind_df.columns, key=lambda c: (c.split(":")[1], c.split(":")[0]))]
    return out, kind_df, tables


def plot_benchmark(summary: pd.DataFrame, kinds: pd.DataFrame, *, ax=None, title: str | None = None):
    """Heatmap of the method x rule-kind AUROC (0.5 = chance) with the data- and model-truth
    pair AUROC as the first two columns, like the attribution role table."""
    from .scoring import plot_role_table

    cols = [c for c in kinds.columns if c.startswith("auroc:") and kinds[c].notna().any()]
    t = pd.concat([summary[["data_auroc"] + (["model_auroc"] if "model_auroc" in summary else [])],
                   kinds[cols].rename(columns=lambda c: c.split(":")[1])], axis=1)
    return plot_role_table(t.astype(float), ax=ax, title=title or "Interaction detectors: pair AUROC by rule kind")
