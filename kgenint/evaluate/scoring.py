"""Scoring kgenint's methods against the planted truth of a simulated data set.

* Attribution methods: AUROC/AUPRC of per-position attribution (``|attr|`` summed over bases)
  at planted motif positions against background positions, overall and split by the role of the
  planted motif (main effect only / partner in an AND, spacing, orientation, order, XOR, OR or
  additive rule / decoy): the "method x motif role" table.
* What a model learned on the data (:func:`learned_terms`): its predictions regressed on the
  truth's features (each motif's presence, each rule's "both present" and "satisfied" states),
  next to the planted coefficients.
* Interaction scans (in silico or co-occurrence): AUROC/AUPRC of the pair ranking (planted
  interacting pairs vs all other heterotypic pairs), precision and recall at ``q < 0.05``, error
  of the preferred spacing (bp), orientation and sign accuracy, and the fraction of pairs called
  (the false-positive rate on the additive-only preset).

No TensorFlow here: inputs are arrays, tables and a :class:`kgenint.simulate.GroundTruth`.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import warnings

import numpy as np

from .._deprecation import renamed_args
from ..errors import InputError

__all__ = [
    "auroc", "auprc", "site_mask", "attribution_scores", "attribution_role_table",
    "score_interactions", "plot_role_table", "learned_terms",
]


def _binary(a) -> bool:
    v = np.asarray(a).ravel()
    return v.dtype == bool or (v.size > 0 and bool(np.isin(v, (0, 1)).all()))


def _metric_args(name: str, y_true, y_score, old: dict) -> tuple[np.ndarray, np.ndarray]:
    """``(y_true as bool, y_score as float64)``, accepting for one release the old keywords
    ``scores=``/``labels=`` and the old positional order ``(scores, labels)`` (recognised when
    only the second argument is binary), each with a ``DeprecationWarning``."""
    if old:
        unknown = set(old) - {"scores", "labels"}
        if unknown:
            raise TypeError(f"{name}() got an unexpected keyword argument {sorted(unknown)[0]!r}")
        warnings.warn(f"{name}(scores=, labels=) is deprecated; use {name}(y_true, y_score) (docs/api.md).",
                      DeprecationWarning, stacklevel=3)
        y_true = old.get("labels", y_true)
        y_score = old.get("scores", y_score)
    elif y_true is not None and y_score is not None and not _binary(y_true) and _binary(y_score):
        warnings.warn(f"{name}(scores, labels) is deprecated: the order is {name}(y_true, y_score) as in "
                      "scikit-learn (docs/api.md); the arguments were swapped.", DeprecationWarning, stacklevel=3)
        y_true, y_score = y_score, y_true
    if y_true is None or y_score is None:
        raise TypeError(f"{name}() needs y_true (bool labels) and y_score (scores).")
    y = np.asarray(y_true).ravel()
    s = np.asarray(y_score, dtype=np.float64).ravel()
    if s.shape != y.shape:
        raise InputError(f"y_true and y_score differ in size: {y.size} vs {s.size}.")
    return y.astype(bool), s


def auroc(y_true=None, y_score=None, **old) -> float:
    """Area under the ROC curve (Mann-Whitney statistic; ties count one half).

    Parameters
    ----------
    y_true : bool array (M,)
        Labels (1/True: positive).
    y_score : float array (M,)
        Scores, larger meaning more likely positive.

    Returns
    -------
    float (NaN when one class is empty)

    Notes
    -----
    scikit-learn's argument order. The old order ``auroc(scores, labels)`` and the keywords
    ``scores=``/``labels=`` still work for one release with a ``DeprecationWarning``.
    """
    from scipy.stats import rankdata

    y, s = _metric_args("auroc", y_true, y_score, old)
    npos, nneg = int(y.sum()), int((~y).sum())
    if npos == 0 or nneg == 0:
        return float("nan")
    r = rankdata(s)
    return float((r[y].sum() - npos * (npos + 1) / 2) / (npos * nneg))


def auprc(y_true=None, y_score=None, **old) -> float:
    """Average precision (area under the precision-recall curve, step interpolation; tied
    scores enter together). Arguments as :func:`auroc` (scikit-learn's order)."""
    y, s = _metric_args("auprc", y_true, y_score, old)
    npos = int(y.sum())
    if npos == 0:
        return float("nan")
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]  # end of each tie group
    tp = np.cumsum(y)[last]
    fp = (last + 1) - tp
    precision = tp / (tp + fp)
    recall = tp / npos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def site_mask(truth, seqs: Sequence[int] | np.ndarray, length: int, roles: Sequence[str] | None = None) -> np.ndarray:
    """``(len(seqs), length)`` bool mask of positions covered by planted sites.

    ``roles`` restricts to sites of motifs with those roles (``truth.motif_roles()``);
    ``None`` takes every planted site.
    """
    seqs = np.asarray(seqs, dtype=np.int64)
    pos = {int(s): i for i, s in enumerate(seqs)}
    mask = np.zeros((len(seqs), length), dtype=bool)
    inst = truth.instances
    if roles is not None:
        role_of = truth.motif_roles()
        keep = inst["motif"].map(role_of).isin(list(roles)).to_numpy()
        inst = inst[keep]
    sel = inst[inst["seq"].isin(seqs)]
    for s, a, b in zip(sel["seq"].to_numpy(), sel["start"].to_numpy(), sel["end"].to_numpy()):
        mask[pos[int(s)], max(0, a):min(length, b)] = True
    return mask


def _position_scores(attr: np.ndarray) -> np.ndarray:
    a = np.asarray(attr, dtype=np.float64)
    if a.ndim != 3 or a.shape[-1] != 4:
        raise InputError(f"attributions must have shape (N, L, 4). Received {a.shape}.")
    if not np.all(np.isfinite(a)):
        raise InputError("attributions hold NaN or infinite values.")
    return np.abs(a).sum(axis=-1)


def attribution_scores(attr, truth, seqs, *, roles: Sequence[str] | None = None) -> dict:
    """AUROC and AUPRC of ``|attr|`` (summed over bases) at planted positions.

    Parameters
    ----------
    attr : float (N, L, 4)
        Attributions of sequences ``seqs`` of the simulated data set.
    truth : GroundTruth
    seqs : int array (N,)
        Indices (into the data set) of the rows of ``attr``.
    roles : list of str, optional
        Positives are sites of motifs with these roles; default every non-decoy role.
        Negatives are positions outside every planted site.

    Returns
    -------
    dict with ``auroc``, ``auprc``, ``n_pos``, ``n_neg``.
    """
    score = _position_scores(attr)
    seqs = np.asarray(seqs)
    if len(seqs) != score.shape[0]:
        raise InputError(f"seqs has {len(seqs)} entries but attr has {score.shape[0]} sequences.")
    L = score.shape[1]
    all_sites = site_mask(truth, seqs, L)
    if roles is None:
        roles = sorted(set(truth.motif_roles().values()) - {"decoy"})
    pos = site_mask(truth, seqs, L, roles)
    neg = ~all_sites
    s = np.r_[score[pos], score[neg]]
    y = np.r_[np.ones(pos.sum(), bool), np.zeros(neg.sum(), bool)]
    return {"auroc": auroc(y, s), "auprc": auprc(y, s), "n_pos": int(pos.sum()), "n_neg": int(neg.sum())}


def attribution_role_table(methods: Mapping[str, np.ndarray], truth, seqs, *, metric: str = "auroc"):
    """The "method x motif role" table: ``metric`` of each method's attribution at sites of
    each motif role (``all`` = every non-decoy role) against background positions.

    Returns
    -------
    pandas.DataFrame, index = method, columns = roles (+ ``all``).
    """
    import pandas as pd

    if metric not in ("auroc", "auprc"):
        raise InputError(f"metric must be 'auroc' or 'auprc'. Received {metric!r}.")
    if not methods:
        raise InputError("methods is empty: give {name: attributions}.")
    roles = sorted(set(truth.motif_roles().values()))
    rows = {}
    for name, attr in methods.items():
        row = {"all": attribution_scores(attr, truth, seqs)[metric]}
        for r in roles:
            row[r] = attribution_scores(attr, truth, seqs, roles=[r])[metric]
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")[["all", *roles]]


def plot_role_table(table, *, ax=None, title: str | None = None):
    """Heatmap of :func:`attribution_role_table` (0.5 = chance for AUROC)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(1.1 * table.shape[1] + 2.5, 0.5 * table.shape[0] + 1.6))
    v = table.to_numpy(dtype=float)
    im = ax.imshow(v, cmap="viridis", vmin=0.5 if np.nanmin(v) >= 0.5 else 0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=45, ha="right")
    ax.set_yticks(range(table.shape[0]), table.index)
    for i in range(v.shape[0]):
        for j in range(v.shape[1]):
            if np.isfinite(v[i, j]):
                ax.text(j, i, f"{v[i, j]:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if v[i, j] < 0.8 else "black")
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set_title(title or "Attribution at planted sites by motif role (AUROC)", fontsize=10)
    ax.figure.tight_layout()
    return ax


def _swap(o: str) -> str:
    return o[1] + o[0]


def score_interactions(pairs, truth, *, alpha: float = 0.05, include_homotypic: bool = False,
                       motif_names: Sequence[str] | None = None, **deprecated) -> dict:
    """Score a pair table (``InteractionScan.pairs()`` or ``CooccurrenceScan.pairs()``).

    Parameters
    ----------
    pairs : DataFrame
        A pair table (``docs/api.md``): columns ``motif_a motif_b distance orientation p_value
        q_value`` (old tables with ``p``/``q`` are read too) and either ``score`` (higher =
        stronger) or only ``p_value`` (then ``-log10 p`` is the score); the sign of ``effect`` (or
        of ``log(odds_ratio)``) is the predicted sign.
    truth : GroundTruth
    alpha : float
        Calls are pairs with ``q < alpha``.
    include_homotypic : bool
        Count pairs of a motif with itself as negatives (default False: the model may rightly
        show sub-additivity of two copies of one motif, which no planted rule describes).
    motif_names : list of str, optional
        Motifs that were scanned; pairs of them missing from ``pairs`` count with score 0 and
        q = 1. Default: the motifs in ``pairs``.

    Returns
    -------
    dict
        ``pair_auroc, pair_auprc, precision, recall, n_called, n_pairs, frac_called``;
        ``spacing_error_bp``: mean ``|best distance - window centre|`` over the called
        ``spacing`` rules (the only kind with a preferred spacing: AND, orientation and order
        rules hold at any distance, or any positive one, so the centre of their window is not a
        spacing to recover); ``orientation_accuracy``: fraction of called ``orientation``
        rules whose best cell has an allowed orientation; ``order_accuracy``: fraction of called
        ``order`` rules whose best cell puts A upstream of B (inside the window);
        ``sign_accuracy`` (called interacting pairs); ``additive_called`` (additive control
        pairs called), and ``table`` (per planted rule).
    """
    if deprecated:
        alpha = renamed_args("score_interactions", deprecated, {"q_threshold": "alpha"}, {"alpha": alpha},
                             {"alpha": 0.05})["alpha"]
    import pandas as pd

    if pairs is None or len(pairs) == 0:
        raise InputError("the pair table is empty: nothing to score.")
    df = pairs.rename(columns={"p": "p_value", "q": "q_value"}) if "q_value" not in pairs.columns else pairs.copy()
    need = {"motif_a", "motif_b", "distance", "orientation", "q_value"}
    miss = need - set(df.columns)
    if miss:
        raise InputError(f"the pair table lacks column(s) {sorted(miss)}.")
    if "score" in df.columns:
        score = df["score"].to_numpy(dtype=float)
    else:
        score = -np.log10(np.clip(df["p_value"].to_numpy(dtype=float), 1e-300, 1))
    score = np.where(np.isfinite(score), score, np.nanmax(np.where(np.isfinite(score), score, 0)) * 10 + 1e6)
    df["_score"] = score
    if "effect" in df.columns:
        df["_sign"] = np.sign(df["effect"].to_numpy(dtype=float))
    elif "odds_ratio" in df.columns:
        df["_sign"] = np.sign(np.log(df["odds_ratio"].to_numpy(dtype=float)))
    else:
        df["_sign"] = 0.0
    names = list(motif_names) if motif_names is not None else sorted(set(df.motif_a) | set(df.motif_b))
    key = {frozenset((a, b)): i for i, (a, b) in enumerate(zip(df.motif_a, df.motif_b))}
    inter = truth.interacting_pairs()
    additive = truth.additive_pairs()
    rows = []
    for i, a in enumerate(names):
        for b in names[i if include_homotypic else i + 1:]:
            k = frozenset((a, b))
            j = key.get(k)
            rows.append({"pair": k, "label": k in inter, "score": df["_score"].iloc[j] if j is not None else 0.0,
                         "q_value": df["q_value"].iloc[j] if j is not None else 1.0})
    grid = pd.DataFrame(rows)
    y = grid["label"].to_numpy(bool)
    called = grid["q_value"].to_numpy(float) < alpha
    n_called = int(called.sum())
    res = {
        "pair_auroc": auroc(y, grid["score"]),
        "pair_auprc": auprc(y, grid["score"]),
        "n_pairs": int(len(grid)),
        "n_called": n_called,
        "frac_called": n_called / max(1, len(grid)),
        "precision": float((called & y).sum() / n_called) if n_called else float("nan"),
        "recall": float((called & y).sum() / y.sum()) if y.sum() else float("nan"),
        "additive_called": int(sum(1 for g, c in zip(grid["pair"], called) if c and g in additive)),
    }
    per_rule = []
    for _, r in truth.rules.iterrows():
        k = frozenset((r["motif_a"], r["motif_b"]))
        j = key.get(k)
        rec = {"rule": int(r["rule"]), "kind": r["kind"], "motif_a": r["motif_a"], "motif_b": r["motif_b"],
               "planted_distance": f"{int(r['dmin'])}..{int(r['dmax'])}", "planted_orientations": r["orientations"],
               "sign": int(r["sign"]), "called": False}
        if j is not None:
            row = df.iloc[j]
            d, o = int(row["distance"]), str(row["orientation"])
            if row["motif_a"] != r["motif_a"]:  # express in the rule's A->B frame
                d, o = -d, _swap(o)
            centre = 0.5 * (r["dmin"] + r["dmax"])
            rec.update({
                "q_value": float(row["q_value"]), "called": bool(row["q_value"] < alpha), "best_distance": d,
                "best_orientation": o, "spacing_error_bp": float(abs(d - centre)),
                "in_window": bool(r["dmin"] <= d <= r["dmax"]),
                "orientation_ok": o in str(r["orientations"]).split(","),
                "sign_ok": bool(np.sign(row["_sign"]) == np.sign(r["sign"])) if r["sign"] != 0 else None,
            })
        per_rule.append(rec)
    table = pd.DataFrame(per_rule)
    res["table"] = table
    inter_rows = table[table["sign"] != 0] if len(table) else table
    sp = inter_rows[inter_rows["kind"].isin(["spacing"]) & inter_rows["called"]] if len(table) else table
    res["spacing_error_bp"] = float(sp["spacing_error_bp"].mean()) if len(sp) and "spacing_error_bp" in sp else float("nan")
    ori = inter_rows[inter_rows["kind"].isin(["orientation"]) & inter_rows["called"]] if len(table) else table
    res["orientation_accuracy"] = float(ori["orientation_ok"].mean()) if len(ori) else float("nan")
    order = inter_rows[inter_rows["kind"].isin(["order"]) & inter_rows["called"]] if len(table) else table
    res["order_accuracy"] = float(order["in_window"].astype(float).mean()) if len(order) else float("nan")
    sg = inter_rows[inter_rows["called"]] if len(table) else table
    res["sign_accuracy"] = float(sg["sign_ok"].astype(float).mean()) if len(sg) else float("nan")
    return res


def learned_terms(predictions, truth, seqs: Sequence[int] | np.ndarray | None = None):
    """What a model learned on the data: its predictions regressed on the planted features.

    Least squares of ``predictions`` on an intercept, one presence indicator per planted motif
    (a planted site of it in the sequence), one "both partners present" indicator per rule and,
    for rules with a constraint (spacing, orientation, order), one "rule satisfied" indicator.
    The same regression of the noise-free latent activity gives the planted coefficients
    (exact: the simulator's latent is linear in these features), so the two columns can be
    compared term by term: a rule the model has not learned has a ``model`` coefficient near 0
    where ``truth`` is not; a model fitted to class labels works on the logit scale (divide by
    ``truth.temperature`` to compare, or fit the continuous target).

    Parameters
    ----------
    predictions : array_like, float, shape (n,) or (n, 1)
        Model outputs for the sequences ``seqs`` (logits or the continuous target's scale).
    truth : kgenint.simulate.GroundTruth
    seqs : array_like of int, shape (n,), optional
        Data-set indices of the predicted sequences; default ``0 .. n-1``.

    Returns
    -------
    pandas.DataFrame
        One row per term: ``term`` (``bias``, ``main <motif>``, ``both <kind> <A>-<B>``,
        ``satisfied <kind> <A>-<B>``), ``model``, ``truth``; ``attrs["r2"]``: the share of the
        predictions' variance the planted features explain.

    Raises
    ------
    InputError
        Predictions of the wrong length, indices outside the data set, or NaN predictions.
    """
    import pandas as pd

    pred = np.asarray(predictions, dtype=np.float64)
    if pred.ndim == 2 and pred.shape[1] == 1:
        pred = pred[:, 0]
    if pred.ndim != 1:
        raise InputError(f"predictions must have shape (n,) or (n, 1). Received shape {np.shape(predictions)}.")
    if not np.all(np.isfinite(pred)):
        raise InputError(f"predictions contain {int((~np.isfinite(pred)).sum())} NaN or infinite value(s).")
    N = int(truth.n_sequences)
    idx = np.arange(pred.size) if seqs is None else np.asarray(seqs, dtype=np.int64).ravel()
    if idx.size != pred.size:
        raise InputError(f"{pred.size} predictions but {idx.size} sequence indices.")
    if idx.size and (idx.min() < 0 or idx.max() >= N):
        raise InputError(f"sequence indices must lie in 0..{N - 1} (the data set has {N} sequences).")
    inst = truth.instances
    names = list(truth.motif_names)
    present = np.zeros((N, len(names)))
    present[inst["seq"].to_numpy(), inst["motif_index"].to_numpy()] = 1.0
    cols, terms = [np.ones(N)], ["bias"]
    for k, nm in enumerate(names):
        cols.append(present[:, k])
        terms.append(f"main {nm}")
    for r, row in enumerate(truth.rules.itertuples()):
        st = truth.states[:, r]
        label = f"{row.kind} {row.motif_a}-{row.motif_b}"
        cols.append(np.isin(st, (3, 4)).astype(float))
        terms.append(f"both {label}")
        if row.kind in ("spacing", "orientation", "order"):
            cols.append((st == 3).astype(float))
            terms.append(f"satisfied {label}")
    X = np.column_stack(cols)[idx]
    coef, *_ = np.linalg.lstsq(X, pred, rcond=None)
    coef_t, *_ = np.linalg.lstsq(X, np.asarray(truth.latent, dtype=np.float64)[idx], rcond=None)
    resid = pred - X @ coef
    out = pd.DataFrame({"term": terms, "model": coef, "truth": coef_t})
    var = float(pred.var())
    out.attrs["r2"] = float(1.0 - resid.var() / var) if var > 0 else float("nan")
    return out

