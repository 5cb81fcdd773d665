"""The summary of a run: every score and table the report needs, computed from the stage files
(:func:`collect_results`), written to and read from ``results.h5`` (:func:`write_results`,
:func:`read_results`)."""
from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError

__all__ = ["collect_results", "write_results", "read_results"]

log = logging.getLogger("kgenint")


def collect_results(
    *,
    data: str | os.PathLike | None = None,
    metrics: str | os.PathLike | None = None,
    attributions: dict[str, str | os.PathLike] | None = None,
    scan: str | os.PathLike | None = None,
    cooccurrence: str | os.PathLike | None = None,
    annotations: dict[str, str | os.PathLike] | None = None,
    timings: dict | None = None,
    strict: bool = True,
    loaded: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """Every score and summary the report needs, from the stage files (see :func:`write_results`).

    Parameters
    ----------
    data : path, optional
        The data set: a simulated one (``kgenint simulate`` layout) gives the planted truth that
        the attributions and scans are scored against; a user's own HDF5 has none.
    metrics : path, optional
        ``<model>.metrics.json`` written by ``kgenint train``; stored without its history.
    attributions : dict of str to path, optional
        Attribution files (``kgenint attribute`` layout) by method, in the order to report them.
        Files whose sequences differ from the first one's are left out (logged). They are
        scored against the truth only when their ``index`` points at the same sequences of
        ``data`` (checked base by base).
    scan, cooccurrence : path, optional
        ``kgenint interactions`` / ``kgenint cooccur`` HDF5 files; their pair tables are
        collected, and scored against the truth when a planted pair is among their motifs.
    annotations : dict of str to path, optional
        ``{"filters": path, "seqlets": path}``: best database match per motif, read with
        :func:`kgenint.results.read_annotation` (annotate() columns or TOMTOM's TSV).
    timings : dict, optional
        Seconds per stage, stored as ``scores["timings"]`` when given.
    strict : bool
        True: a file that cannot be read or scored raises. False: it is logged (warning) and
        its part of the summary is left out (``kgenint report`` on a user's directory).
    loaded : dict, optional
        When given, filled with the scans read (``"scan"``: InteractionScan, ``"cooccurrence"``:
        CooccurrenceScan) so that a caller drawing them does not read the files again.

    Returns
    -------
    scores : dict
        JSON-able dicts: ``model``, ``attribution``, ``interactions_insilico``,
        ``interactions_cooccurrence``, ``timings`` (those that could be computed).
    tables : dict of str to pandas.DataFrame
        ``role_auroc role_auprc pairs_insilico rules_insilico pairs_cooccurrence
        rules_cooccurrence filters seqlets truth_rules truth_motifs`` (those available).
    examples : dict or None
        ``index`` (E,), ``x`` (E, L, 4) and one (E, L, 4) contribution array per method of up to
        six example sequences, and ``sites`` (``{str(index): [{motif, start, end, strand,
        role}]}``, empty without truth), as :func:`read_results` returns them; None without
        attributions.
    """
    import pandas as pd

    from .discovery import read_annotation
    from ..attribution import load_attributions
    from ..evaluate import attribution_role_table, attribution_scores, score_interactions
    from ..interactions.cooccurrence import CooccurrenceScan
    from ..interactions.insilico import load as load_scan

    def guarded(what, fn, default=None):
        if strict:
            return fn()
        try:
            return fn()
        except Exception as err:  # noqa: BLE001 - one bad file must not hide the others
            log.warning("%s: %s: %s; left out of the report", what, type(err).__name__, err)
            return default

    d = None
    if data is not None:
        from ..simulate import load

        d = guarded(data, lambda: load(data))
    truth = d.truth if d is not None else None
    scores: dict[str, Any] = {}
    tables: dict[str, pd.DataFrame] = {}
    if metrics is not None:
        met = guarded(metrics, lambda: json.loads(Path(metrics).read_text()))
        if isinstance(met, dict):
            met.pop("history", None)
            scores["model"] = met
    attrs: dict[str, dict] = {}
    first_path = None
    for m, p in (attributions or {}).items():
        a = guarded(p, lambda p=p: load_attributions(p))
        if a is None:
            continue
        if attrs:
            first = next(iter(attrs.values()))
            if a["x"].shape != first["x"].shape or not np.array_equal(a["x"], first["x"]):
                log.info("%s (%s) explains other sequences than %s: left out of the summary", p, m, first_path)
                continue
        else:
            first_path = p
        attrs[m] = a
    scored = truth is not None and bool(attrs) and _same_sequences(next(iter(attrs.values())), d)
    if scored:
        def score_attributions():
            first = next(iter(attrs.values()))
            idx = first["index"]
            # gradient maps (saliency, SmoothGrad) are scored as maps over all four bases, as they are
            # read; the others by their contributions on the observed bases
            methods = {m: (a["hypothetical"] if m in ("saliency", "smoothgrad") and a["hypothetical"] is not None
                           else a["contributions"]) for m, a in attrs.items()}
            scores["attribution"] = {m: attribution_scores(v, truth, idx) for m, v in methods.items()}
            for metric in ("auroc", "auprc"):
                tables[f"role_{metric}"] = attribution_role_table(methods, truth, idx,
                                                                  metric=metric).reset_index(names="method")
            return True

        scored = bool(guarded("scoring the attributions", score_attributions, False))
    for role, key, path, loader in (("scan", "insilico", scan, load_scan),
                                    ("cooccurrence", "cooccurrence", cooccurrence, CooccurrenceScan.load)):
        if path is None:
            continue
        sc = guarded(path, lambda path=path, loader=loader: loader(path))
        if sc is not None and loaded is not None:
            loaded[role] = sc
        pairs = guarded(path, sc.pairs) if sc is not None else None
        if pairs is None:
            continue
        tables[f"pairs_{key}"] = pairs
        if truth is not None and len(pairs) and _planted_among(truth, sc.motif_names, path):
            s = guarded(path, lambda pairs=pairs, sc=sc: score_interactions(pairs, truth, motif_names=sc.motif_names))
            if s is not None:
                tables[f"rules_{key}"] = s.pop("table")
                scores[f"interactions_{key}"] = s
    for name in ("filters", "seqlets"):
        ann = (annotations or {}).get(name)
        if ann is not None:
            t = guarded(ann, lambda ann=ann: read_annotation(ann))
            if t is not None:
                tables[name] = t
    if truth is not None:
        tables["truth_rules"] = truth.rules
        tables["truth_motifs"] = truth.motif_table
    if timings is not None:
        scores["timings"] = timings
    examples = guarded("example attributions", lambda: _examples(attrs, truth if scored else None))
    return scores, tables, examples


def _same_sequences(a: dict, data) -> bool:
    """Whether attribution file ``a`` explains rows ``a["index"]`` of the data set ``data``."""
    idx = a.get("index")
    if data is None or idx is None or len(idx) == 0:
        return False
    idx = np.asarray(idx)
    if idx.min() < 0 or idx.max() >= data.x.shape[0] or a["x"].shape[1:] != data.x.shape[1:]:
        log.info("the attributions are not of the data set's sequences: not scored against the planted truth")
        return False
    if not np.array_equal(np.asarray(a["x"], dtype=np.float32), data.x[idx]):
        log.info("the attributed sequences differ from the data set's rows they name: not scored against the "
                 "planted truth")
        return False
    return True


def _planted_among(truth, motif_names, path) -> bool:
    names = set(motif_names)
    if any(p <= names for p in truth.interacting_pairs() | truth.additive_pairs()):
        return True
    log.info("%s: no planted motif pair among its motifs: not scored against the planted truth", path)
    return False


def _examples(attrs: dict[str, dict], truth) -> dict[str, Any] | None:
    """Up to six example sequences: with the planted truth those carrying the most satisfied
    interaction rules, otherwise those with the largest total |attribution| of the first method."""
    if not attrs:
        return None
    first = next(iter(attrs.values()))
    index = first["index"] if first["index"] is not None else np.arange(len(first["x"]))
    if truth is not None:
        states = truth.states[index]
        order = np.argsort(-(states == 3).sum(axis=1), kind="stable")[:6]
    else:
        total = np.abs(np.nan_to_num(first["contributions"])).sum(axis=(1, 2))
        order = np.argsort(-total, kind="stable")[:6]
    ex: dict[str, Any] = {"index": index[order], "x": first["x"][order]}
    for m, a in attrs.items():
        ex[m] = a["contributions"][order]
    sites = {}
    if truth is not None:
        sites = {int(s): truth.instances_in(int(s))[["motif", "start", "end", "strand", "role"]].to_dict("records")
                 for s in index[order]}
    # the form read_results returns (JSON round trip: string keys, plain numbers)
    ex["sites"] = json.loads(json.dumps(sites, default=_json_default))
    return ex


def write_results(demo: Any) -> Path:
    """Collect every score and summary into ``demo.path("results.h5")`` (atomically).

    ``demo`` is a :class:`kgenint.pipeline.Demo` (anything with ``path(name)``, a dataclass
    ``config`` with ``methods``, and ``timings``). The summaries are computed by :func:`collect_results` from the demo's stage files.

    Layout (``kgenint_format = "results"``, ``format_version`` 1); tables are stored as JSON
    strings (pandas ``orient="split"``) under ``/tables/<name>`` and dicts as JSON under
    ``/scores/<name>``:

    * ``/scores/model`` test metrics; ``/scores/attribution`` per method AUROC/AUPRC;
      ``/scores/interactions_insilico`` and ``/scores/interactions_cooccurrence``
      (:func:`kgenint.evaluate.score_interactions` without its table);
      ``/scores/timings`` seconds per stage;
    * ``/tables/role_auroc``, ``/tables/role_auprc`` (method x motif role),
      ``/tables/rules_insilico``, ``/tables/rules_cooccurrence`` (per planted rule),
      ``/tables/pairs_insilico``, ``/tables/pairs_cooccurrence``, ``/tables/filters``,
      ``/tables/seqlets``, ``/tables/truth_rules``, ``/tables/truth_motifs``;
    * ``/examples/x``, ``/examples/<method>`` attributions of a few example sequences,
      ``/examples/index`` their data-set indices, ``/examples/sites`` planted sites (JSON).
    """
    import h5py

    def opt(name: str) -> Path | None:
        return demo.path(name) if demo.path(name).exists() else None

    attributions = {m: demo.path(f"attributions/{m}.h5") for m in demo.config.methods
                    if demo.path(f"attributions/{m}.h5").exists()}
    annotations = {n: demo.path(f"{n}_annotation.tsv") for n in ("filters", "seqlets")
                   if demo.path(f"{n}_annotation.tsv").exists()}
    scores, tables, examples = collect_results(
        data=demo.path("data.h5"), metrics=demo.path("model.metrics.json"), attributions=attributions,
        scan=opt("scan.h5"), cooccurrence=opt("cooccurrence.h5"), annotations=annotations, timings=demo.timings)
    from .._io import atomic_path, check_hdf5

    with atomic_path(demo.path("results.h5"), check=check_hdf5) as tmp, h5py.File(tmp, "w") as h:
        h.attrs.update(kgenint_format="results", format_version=1, config=json.dumps(asdict(demo.config)))
        g = h.create_group("scores")
        for k, v in scores.items():
            g.attrs[k] = json.dumps(v, default=_json_default)
        t = h.create_group("tables")
        for k, v in tables.items():
            t.attrs[k] = v.to_json(orient="split", default_handler=str)
        if examples is not None:
            e = h.create_group("examples")
            for k, v in examples.items():
                if k != "sites":
                    e.create_dataset(k, data=v)
            e.attrs["sites"] = json.dumps(examples["sites"], default=_json_default)
    return demo.path("results.h5")


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    return str(o)


def read_results(path: str | os.PathLike) -> dict:
    """Read ``results.h5``: ``{"config", "scores": {...}, "tables": {name: DataFrame}, "examples"}``."""
    import io

    import h5py
    import pandas as pd

    path = Path(path)
    if path.is_dir():
        path = path / "results.h5"
    if not path.exists():
        raise InputError(f"{path} does not exist: run 'kgenint demo' (or the evaluate stage) first.")
    with h5py.File(path, "r") as h:
        if h.attrs.get("kgenint_format") != "results":
            raise InputError(f"{path}: not a kgenint results file.")
        out = {"config": json.loads(h.attrs["config"]),
               "scores": {k: json.loads(v) for k, v in h["scores"].attrs.items()},
               "tables": {k: pd.read_json(io.StringIO(v), orient="split") for k, v in h["tables"].attrs.items()},
               "examples": None}
        if "examples" in h:
            e = h["examples"]
            out["examples"] = {k: e[k][()] for k in e}
            out["examples"]["sites"] = json.loads(e.attrs["sites"])
    return out
