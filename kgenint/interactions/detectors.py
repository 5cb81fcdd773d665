"""One entry point for every interaction detector: :func:`run_detector` returns the pair table.

=============  ===========================  ===========================================  ==========
method         needs                        what it measures                             p-value
=============  ===========================  ===========================================  ==========
insilico       predict, backgrounds         double-mutant contrast of inserted motifs    t-test
anova          predict, backgrounds         the same grid, two-way ANOVA F (blocks)      F-test
tukey          predict, backgrounds         multiplicative non-additivity, PWM variants  Tukey 1-df
dfim           attribute, x, hits           change of B's attribution when A is mutated  vs null
dependency     attribute, x, hits           base-resolution dependency map, block sums   vs null
hessian        hvp, x, hits                 block Integrated/Expected Hessian            vs null
hierlasso      hits, labels or predict      strong-hierarchy lasso on motif features     (stability)
=============  ===========================  ===========================================  ==========

Model-based methods take plain callables (``predict(x) -> (N, T)``, ``attribute(x) -> (N, L,
4)``, ``hvp(x, v) -> (N, L, 4)``); :mod:`kgenint.keras.derivatives` makes them from a Keras
model. No TensorFlow here.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError
from .pair_table import check_pair_table

__all__ = ["DETECTORS", "run_detector", "insilico_pair_table"]

DETECTORS: tuple[str, ...] = ("insilico", "anova", "tukey", "dfim", "dependency", "hessian", "hierlasso")


def _need(name: str, value: Any, method: str, what: str) -> None:
    if value is None:
        raise InputError(f"method={method!r} needs {name} ({what}).")


def insilico_pair_table(scan_pairs_result: pd.DataFrame) -> pd.DataFrame:
    """``InteractionScan.pairs()`` as a pair table, whichever column names it uses
    (``p``/``q`` before the rename to ``p_value``/``q_value``)."""
    from .pair_table import PAIR_COLUMNS, bh_qvalues

    df = scan_pairs_result.copy()
    if "p_value" not in df.columns and "p" in df.columns:
        df["p_value"] = df["p"]
    if "q_value" not in df.columns:
        df["q_value"] = df["q"] if "q" in df.columns else bh_qvalues(df["p_value"].to_numpy(float))
    for c in ("ci_low", "ci_high"):
        if c not in df.columns:
            df[c] = np.nan
    df["method"] = "insilico"
    extra = [c for c in df.columns if c not in PAIR_COLUMNS and c not in ("p", "q")]
    return df[list(PAIR_COLUMNS) + extra].reset_index(drop=True)


def _call_with(fn: Callable, args: tuple, options: dict) -> Any:
    """Call ``fn`` mapping vocabulary names onto whichever names its signature has."""
    params = inspect.signature(fn).parameters
    alias = {"task": ("task", "output"), "progress": ("progress", "show_progress"),
             "backgrounds": ("backgrounds", "background")}
    kw = {}
    for k, v in options.items():
        for name in alias.get(k, (k,)):
            if name in params:
                kw[name] = v
                break
        else:
            raise InputError(f"{fn.__name__} takes no option {k!r}.")
    return fn(*args, **kw)


def run_detector(method: str, *, motifs: Sequence | None = None, x: np.ndarray | None = None,
                 hits: pd.DataFrame | None = None, predict: Callable | None = None,
                 attribute: Callable | None = None, hvp: Callable | None = None,
                 backgrounds: np.ndarray | None = None, labels: np.ndarray | None = None,
                 task: int = 0, seed=0, progress: bool = False, hit_threshold: float = 1e-4,
                 **options) -> pd.DataFrame:
    """Run one interaction detector and return the pair table (``docs/api.md``).

    Parameters
    ----------
    method : str
        One of :data:`DETECTORS` (see the module table for which inputs each needs).
    motifs : list of Motif
        The motifs whose pairs are tested (needed by every method; for hit-based methods it
        is used to scan ``x`` when ``hits`` is not given).
    x : float32 (N, L, 4)
        Sequences (hit-based methods and ``hierlasso``).
    hits : DataFrame, optional
        Motif hits in ``x``; default :func:`kgenint.motifs.scan` at ``hit_threshold``.
    predict, attribute, hvp : callables
        ``predict(x) -> (N, T)``; ``attribute(x) -> (N, L, 4)``; ``hvp(x, v) -> (N, L, 4)``.
    backgrounds : float32 (N, L, 4)
        Background sequences of the in-silico methods.
    labels : float (N,), optional
        ``hierlasso`` target (data truth); default ``predict(x)[:, task]`` (model truth).
    task : int
        Output column of ``predict`` (and of ``hierlasso``'s model target).
    seed : int or Generator
    options
        Passed to the method's function (:func:`kgenint.interactions.insilico.scan_pairs`,
        :func:`~kgenint.interactions.stats.anova_pairs`, :func:`~.stats.tukey_pairs`,
        :func:`~.dfim.dfim_pairs`, :func:`~.dependency.dependency_pairs`,
        :func:`~.hessian.hessian_pairs`, :func:`~.hierlasso.hierlasso_pairs`).

    Returns
    -------
    pandas.DataFrame
        The pair table; ``attrs["cost"]`` holds ``model_rows`` (sequences passed to the model
        or to the attribution / HVP callable; an HVP row costs about 3 to 4 forward passes).

    Raises
    ------
    InputError
        Unknown method, or an input the method needs is missing.
    """
    if method not in DETECTORS:
        raise InputError(f"method must be one of {DETECTORS}. Received: method={method!r}")
    if motifs is None or len(motifs) < 2:
        raise InputError("motifs must hold at least two motifs.")
    counter = {"rows": 0}

    def counted(fn):
        if fn is None:
            return None

        def wrap(*a):
            counter["rows"] += len(a[0])
            return fn(*a)
        return wrap

    predict_c, attribute_c, hvp_c = counted(predict), counted(attribute), counted(hvp)

    def get_hits():
        if hits is not None:
            return hits
        from ..motifs.scan import scan

        return scan(x, list(motifs), threshold=hit_threshold, progress=False)

    if method in ("insilico", "anova", "tukey"):
        _need("predict", predict, method, "a callable (N, L, 4) -> (N, T)")
        _need("backgrounds", backgrounds, method, "background sequences (N, L, 4)")
        if method == "insilico":
            from .insilico import scan_pairs

            opts = {"task": task, "progress": progress, "seed": seed, **options}
            scan = _call_with(scan_pairs, (predict_c, list(motifs), backgrounds), opts)
            df = insilico_pair_table(scan.pairs())
        elif method == "anova":
            from .stats import anova_pairs

            df = anova_pairs(predict_c, list(motifs), backgrounds, task=task, **options)
        else:
            from .stats import tukey_pairs

            df = tukey_pairs(predict_c, list(motifs), backgrounds, task=task, seed=seed, **options)
    elif method in ("dfim", "dependency", "hessian"):
        _need("x", x, method, "sequences holding the motif hits, (N, L, 4)")
        if method == "hessian":
            from .hessian import hessian_pairs

            _need("hvp", hvp, method, "a Hessian-vector-product callable (x, v) -> H(x) v")
            df = hessian_pairs(hvp_c, x, get_hits(), seed=seed, **options)
        else:
            _need("attribute", attribute, method, "an attribution callable (N, L, 4) -> (N, L, 4)")
            if method == "dfim":
                from .dfim import dfim_pairs

                df = dfim_pairs(attribute_c, x, get_hits(), seed=seed, **options)
            else:
                from .dependency import dependency_pairs

                df = dependency_pairs(attribute_c, x, get_hits(), seed=seed, **options)
    else:  # hierlasso
        from .hierlasso import hierlasso_pairs, motif_features

        _need("x", x, method, "sequences (N, L, 4)")
        assert x is not None  # _need raised otherwise
        feature = options.pop("feature", "presence")
        names = [m.name for m in motifs]
        h = get_hits()
        if "motif_id" in h.columns:
            h = h.assign(motif=h["motif_id"].astype(str))
        F = motif_features(h, len(x), names, feature=feature)
        if labels is not None:
            y = np.asarray(labels, dtype=np.float64).ravel()
            if y.size != len(x):
                raise InputError(f"labels has {y.size} values for {len(x)} sequences.")
            target = "labels"
        else:
            _need("predict or labels", predict, method, "the target: data labels or a model")
            from .stats import _call

            y = _call(predict_c, np.asarray(x, dtype=np.float32), int(task), 1024)
            target = "model"
        df = hierlasso_pairs(F, y, names, seed=seed, **options)
        df.attrs["target"] = target
    check_pair_table(df)
    df.attrs["cost"] = {"model_rows": int(counter["rows"])}
    return df
