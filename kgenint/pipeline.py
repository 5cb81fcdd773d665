"""The main job as a Python API: simulate -> train -> attribute -> motifs -> interactions -> score
-> results.h5 + report.html. ``kgenint demo`` runs it on the built-in simulated data; notebooks
call the stages one by one.

Each stage writes its own files into the output directory (atomically) and is skipped when its
files exist, unless ``force=True``: a second run reuses finished stages, and an interrupted run
keeps every stage it finished (the attribution and interaction stages also resume inside the
stage, from their ``.partial`` files).

Directory layout::

    data.h5                     simulated data set (kgenint.simulate layout)
    model.keras                 trained model; model.metrics.json its test metrics
    attributions/<method>.h5    attributions of the analysed test sequences (kgenint attribute layout)
    filters.meme                first-layer filters as motifs; filters_annotation.tsv best JASPAR match
    seqlets.h5                  seqlet motifs (tfmodisco-lite layout); seqlets.meme; seqlets_annotation.tsv
    scan.h5                     in-silico pairwise interaction scan; scan_top.tsv
    hits.tsv, cooccurrence.h5   motif hits (FIMO TSV) and their co-occurrence scan
    results.h5                  every summary the report needs (see :func:`write_results`)
    report.html, figures/       the self-contained report and its figures as files
"""
from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError

__all__ = ["DemoConfig", "Demo", "run_demo", "write_results", "read_results", "collect_results"]

log = logging.getLogger("kgenint")

ATTRIBUTION_METHODS = ("deepshap", "saliency", "gradient_x_input", "integrated_gradients")

#: outputs of each stage in pipeline order (glob patterns, partial files included). When a stage
#: runs, the outputs of every later stage are removed: they were made from what it replaces.
_ORDER = [
    ("simulate", ("data.h5",)),
    ("train", ("model.keras", "model.metrics.json")),
    ("attr", ("attributions/*.h5", "attributions/*.partial")),
    ("filters", ("filters.meme", "filters_annotation.tsv")),
    ("seqlets", ("seqlets.h5", "seqlets.meme", "seqlets_annotation.tsv")),
    ("interactions", ("scan.h5", "scan_top.tsv", "scan.partial.h5")),
    ("cooccurrence", ("hits.tsv", "cooccurrence.h5")),
    ("evaluate", ("results.h5",)),
    ("report", ("report.html",)),
]


@dataclass
class DemoConfig:
    """Sizes and choices of the demo (defaults fit 10 minutes on 2 CPU cores).

    Attributes
    ----------
    preset : str
        Simulation preset (``default``, ``additive``, ``long``).
    n : int or None
        Number of simulated sequences (None: the preset's default).
    arch : str
        Architecture for :func:`kgenint.keras.training.train_model`.
    target : {"continuous", "class"}
        Which simulated target the model fits: the continuous activity (an MPRA-like readout;
        default, it carries more information per sequence than the 0/1 labels) or the labels.
    epochs, patience, batch_size : int
        Training length, early-stopping patience and sequences per step.
    model_kwargs : dict
        Passed to the architecture's function (e.g. ``{"n_filters": 48}``).
    n_attr : int
        Test sequences analysed by attribution, motif discovery and co-occurrence.
    n_shuffles : int
        DeepSHAP references per sequence (dinucleotide shuffles).
    n_backgrounds : int
        Backgrounds of the in-silico scan (GC-matched to the data).
    max_distance : int
        Largest distance (bp) between motif starts in the in-silico scan.
    distance_step : int
        Step (bp) of the scan's distance grid (2 halves the scan's cost; planted spacing windows
        are 5 bp wide).
    scan_threshold : float
        p-value threshold of motif hits for the co-occurrence scan.
    seed : int
    """

    preset: str = "default"
    n: int | None = None
    arch: str = "interaction"
    target: str = "continuous"
    epochs: int = 20
    patience: int = 4
    batch_size: int = 256
    model_kwargs: dict = field(default_factory=dict)
    n_attr: int = 1000
    n_shuffles: int = 10
    n_backgrounds: int = 8
    max_distance: int = 100
    distance_step: int = 2
    scan_threshold: float = 1e-4
    seed: int = 0
    methods: tuple[str, ...] = ATTRIBUTION_METHODS


@dataclass
class Demo:
    """Runs the demo stages in ``out`` (see the module docstring)."""

    out: Path
    config: DemoConfig = field(default_factory=DemoConfig)
    force: bool = False
    timings: dict = field(default_factory=dict)

    def __post_init__(self):
        self.out = Path(self.out)
        self.out.mkdir(parents=True, exist_ok=True)
        tj = self.path("timings.json")
        if tj.exists() and not self.force:
            try:
                self.timings = {**json.loads(tj.read_text()), **self.timings}
            except ValueError:
                pass

    # ---------------------------------------------------------------- helpers
    def path(self, name: str) -> Path:
        return self.out / name

    def _due(self, *names: str) -> bool:
        return self.force or not all(self.path(n).exists() for n in names)

    def _stage(self, name: str, fn, *outputs: str):
        if not self._due(*outputs):
            log.info("stage %-12s reused (%s)", name, ", ".join(outputs))
            return
        log.info("stage %-12s running", name)
        t0 = time.perf_counter()
        fn()
        self.timings[name] = round(time.perf_counter() - t0, 2)
        self._save_timings()
        log.info("stage %-12s done in %.1f s", name, self.timings[name])
        # anything built from this stage's outputs is out of date now
        names = [n for n, _ in _ORDER]
        group = name.split(":")[0]
        for _, patterns in _ORDER[names.index(group) + 1:]:
            for pat in patterns:
                for p in self.out.glob(pat):
                    p.unlink()

    def _save_timings(self):
        """Seconds per stage, kept across runs in ``timings.json`` (reused stages keep theirs)."""
        from ._io import atomic_write_text

        atomic_write_text(self.path("timings.json"), json.dumps(self.timings, indent=1, sort_keys=True))

    def data(self):
        from .simulate import load

        return load(self.path("data.h5"))

    def analysed(self) -> np.ndarray:
        """Indices (into data.h5) of the test sequences every analysis stage uses."""
        d = self.data()
        test = d.split["test"]
        return np.sort(test[: self.config.n_attr])

    def model(self):
        from .keras import load_model

        return load_model(self.path("model.keras"))

    # ---------------------------------------------------------------- stages
    def simulate(self):
        def run():
            from .simulate import save, simulate

            data = simulate(self.config.preset, n=self.config.n, seed=self.config.seed, progress=True)
            save(data, self.path("data.h5"))

        self._stage("simulate", run, "data.h5")

    def train(self):
        def run():
            import keras

            from .keras.training import metrics_path, save_model_atomic, train_model, write_json_atomic

            d = self.data()
            tgt = self.config.target
            xtr, ytr = d.subset("train", tgt)
            xva, yva = d.subset("valid", tgt)
            xte, yte = d.subset("test", tgt)
            model, hist, metrics = train_model(
                xtr, ytr, arch=self.config.arch, target=tgt, x_valid=xva, y_valid=yva, x_test=xte, y_test=yte,
                epochs=self.config.epochs, patience=self.config.patience, batch_size=self.config.batch_size,
                model_kwargs=dict(self.config.model_kwargs), seed=self.config.seed,
                verbose=1,  # a line per epoch on stderr (a bar on a terminal)
            )
            metrics["history"] = {k: [float(v) for v in vals] for k, vals in hist.history.items()}
            write_json_atomic(metrics, metrics_path(self.path("model.keras")))
            save_model_atomic(model, self.path("model.keras"))
            keras.backend.clear_session()

        self._stage("train", run, "model.keras", "model.metrics.json")

    def attribute(self):
        from .attribution import attribute

        for method in self.config.methods:
            out = f"attributions/{method}.h5"

            def run(method=method, out=out):
                self.path("attributions").mkdir(exist_ok=True)
                d = self.data()
                idx = self.analysed()
                opts: dict[str, Any] = {}
                if method == "deepshap":
                    opts = {"n_references": self.config.n_shuffles, "seed": self.config.seed, "hypothetical": True}
                elif method == "integrated_gradients":  # expected IG over a few shuffles (cost: references x steps)
                    opts = {"n_references": 4, "steps": 16, "seed": self.config.seed}
                attribute(self.model(), d.x[idx], method=method, out=self.path(out), index=idx,
                          sequence_ids=[str(s) for s in d.sequence_ids[idx]], overwrite=True, **opts)
                # overwrite: the stage is due, so an existing file is out of date; a checkpoint of
                # the same run is still resumed

            self._stage(f"attr:{method}", run, out)

    def filters(self):
        def run():
            from .keras.callbacks import FilterMotifTracker
            from .motifs import annotate, write_meme

            d = self.data()
            idx = self.analysed()
            model = self.model()
            tracker = FilterMotifTracker(d.x[idx])
            tracker.set_model(model)
            tracker.on_train_begin()
            motifs = [m for m in tracker.filter_motifs() if not m.metadata.get("few_sites")]
            if not motifs:
                raise InputError("no first-layer filter has enough activating sites to form a motif.")
            write_meme(motifs, self.path("filters.meme"))
            ann = annotate(motifs)
            ann.insert(0, "n_sites", [int(m.metadata.get("n_sites", 0)) for m in motifs])
            _write_tsv(ann, self.path("filters_annotation.tsv"))

        self._stage("filters", run, "filters.meme", "filters_annotation.tsv")

    def seqlets(self):
        def run():
            from .attribution import load_attributions
            from .motifs import annotate, write_meme
            from .seqlets import discover

            a = load_attributions(self.path("attributions/deepshap.h5"))
            res = discover(a["x"], a["contributions"], a["hypothetical"], seed=self.config.seed)
            res.save(self.path("seqlets.h5"))
            motifs = res.motifs
            write_meme(motifs, self.path("seqlets.meme"), background=np.full(4, 0.25)) if motifs else \
                self.path("seqlets.meme").write_text("MEME version 5\n\nALPHABET= ACGT\n\n")
            ann = annotate(motifs) if motifs else _empty_annotation()
            if motifs:
                ann.insert(0, "n_seqlets", [int(m.metadata.get("n_seqlets", m.nsites or 0)) for m in motifs])
            _write_tsv(ann, self.path("seqlets_annotation.tsv"))

        self._stage("seqlets", run, "seqlets.h5", "seqlets.meme", "seqlets_annotation.tsv")

    def interactions(self):
        def run():
            from .interactions.insilico import scan_pairs
            from .keras import as_predict_fn
            from .sequence import gc_matched_background

            d = self.data()
            bg = gc_matched_background(d.x[self.analysed()], n=self.config.n_backgrounds, seed=self.config.seed)
            predict = as_predict_fn(self.model(), logits=None, batch_size=2048)
            motifs = d.truth.motifs
            # placements closer than the data ever put two sites are extrapolation for the model: the
            # simulator's own minimum gap (2 bp) is the scan's
            min_gap = int(getattr(getattr(d, "config", None), "min_gap", 0) or 0)
            scan = scan_pairs(predict, motifs, bg, distances=range(0, self.config.max_distance + 1,
                                                                   self.config.distance_step),
                              min_gap=min_gap, seed=self.config.seed, checkpoint=self.path("scan.partial.h5"))
            scan.save(self.path("scan.h5"))
            top = scan.to_frame().sort_values(["q_value", "t"], key=lambda c: c.abs() if c.name == "t" else c,
                                              ascending=[True, False]).head(200)
            _write_tsv(top, self.path("scan_top.tsv"))

        self._stage("interactions", run, "scan.h5", "scan_top.tsv")

    def cooccurrence(self):
        def run():
            from .interactions.cooccurrence import cooccurrence
            from .motifs.scan import scan, write_fimo_tsv

            d = self.data()
            idx = self.analysed()
            motifs = d.truth.motifs
            hits = scan(d.x[idx], motifs, threshold=self.config.scan_threshold,
                        seq_names=[str(s) for s in d.sequence_ids[idx]])
            write_fimo_tsv(hits, self.path("hits.tsv"))
            groups = d.y_class[idx, 0].astype(np.int64)
            res = cooccurrence(hits, groups, motif_names=[m.name for m in motifs], max_distance=self.config.max_distance,
                               bin_size=5, window=0, alternative="greater")
            res.save(self.path("cooccurrence.h5"))

        self._stage("cooccurrence", run, "hits.tsv", "cooccurrence.h5")

    def evaluate(self):
        def run():
            write_results(self)

        self._stage("evaluate", run, "results.h5")

    def report(self):
        def run():
            from .report import build_report

            build_report(self.out)

        self._stage("report", run, "report.html")

    def run(self):
        """All stages in order."""
        t0 = time.perf_counter()
        for stage in (self.simulate, self.train, self.attribute, self.filters, self.seqlets,
                      self.interactions, self.cooccurrence, self.evaluate, self.report):
            stage()
        self.timings["total_this_run"] = round(time.perf_counter() - t0, 2)
        self._save_timings()
        return self


def _empty_annotation():
    import pandas as pd

    return pd.DataFrame(columns=["query", "query_id", "target", "target_id", "target_alt_id", "q_value"])


def _write_tsv(df, path: Path) -> None:
    from ._io import atomic_open

    with atomic_open(path) as fh:
        df.to_csv(fh, sep="\t", index=False)


# ---------------------------------------------------------------------------- results.h5
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
        :func:`kgenint._stagefiles.read_annotation` (annotate() columns or TOMTOM's TSV).
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

    from ._stagefiles import read_annotation
    from .attribution import load_attributions
    from .evaluate import attribution_role_table, attribution_scores, score_interactions
    from .interactions.cooccurrence import CooccurrenceScan
    from .interactions.insilico import load as load_scan

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
        from .simulate import load

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
        p = (annotations or {}).get(name)
        if p is not None:
            t = guarded(p, lambda p=p: read_annotation(p))
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


def write_results(demo: Demo) -> Path:
    """Collect every score and summary into ``results.h5`` (atomically).

    The summaries are computed by :func:`collect_results` from the demo's stage files.

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
    from ._io import atomic_path, check_hdf5

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


def run_demo(out: str | os.PathLike = "kgenint-demo", *, force: bool = False, config: DemoConfig | None = None) -> Demo:
    """Run the whole demo (see the module docstring); returns the :class:`Demo` with timings."""
    return Demo(Path(out), config or DemoConfig(), force=force).run()
