"""The HTML report of a pipeline directory: one self-contained page a biologist can read.

:func:`build_report` reads what the pipeline stages wrote: ``results.h5`` and the stage files
next to it in a ``kgenint demo`` directory (see :mod:`kgenint.pipeline`), or, in a directory the
stage commands wrote into under names of the user's choosing, the stage files recognised by
their content (:mod:`kgenint._stagefiles`), from which the same summary is computed. It writes

* ``report.html``: one file with inline CSS and every figure inline as a base64 PNG; no
  JavaScript, no network access, so it can be e-mailed or archived as it is;
* ``figures/<name>.png`` and ``figures/<name>.svg``: every figure as files for papers and slides.

No model is run: the report only draws, tabulates and scores saved results. A missing piece (a
stage that was not run, no seqlet motif found, a file that cannot be read) becomes a clear
notice in its section, never an error; only a directory with neither ``results.h5`` nor any
recognised stage file is an error. Each section names the file(s) it was drawn from.

Every section carries two notes written for the reader: *How to read this* and *If this check
fails, do this*. Checks against the planted truth (simulated data only) get PASS / FAIL badges
against the project's goals: pair AUROC >= 0.95, spacing within +-2 bp, the right orientation,
and the additive control pair not called.
"""
from __future__ import annotations

import base64
import html
import io
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ._version import __version__
from .errors import FormatError, InputError

__all__ = ["build_report", "GOALS"]

log = logging.getLogger("kgenint")

#: Targets of the interaction scans against the planted truth (the issue's goals).
GOALS = {
    "pair_auroc": 0.95,  # ranking of planted interacting pairs above the others
    "spacing_bp": 2.0,  # best distance within this many bp of the planted spacing
    "q_threshold": 0.05,  # a pair is "called" when its q-value is below this
}

#: Largest number of filter logos drawn (the table lists all filters).
MAX_FILTER_LOGOS = 12
#: Largest number of seqlet motif logos drawn.
MAX_SEQLET_LOGOS = 12
#: Example sequences drawn as attribution tracks.
MAX_EXAMPLES = 4

_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;color:#1d2329;background:#f6f7f9;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:1.2em 1.6em 4em;background:#fff}
h1{font-size:1.7em;margin:.3em 0 .1em}h2{font-size:1.3em;border-bottom:2px solid #dfe3e8;padding-bottom:.2em;margin-top:2.2em}
h3{font-size:1.05em;margin:1.3em 0 .4em}
.sub{color:#5b6670;margin:0 0 1em}
nav ol{columns:2;font-size:.95em}
figure{margin:1em 0;text-align:center}figure img{max-width:100%;height:auto;border:1px solid #eceff2}
figcaption{font-size:.88em;color:#4a545d;margin-top:.3em}
table.tbl{border-collapse:collapse;font-size:.85em;margin:.6em 0;max-width:100%}
table.tbl th,table.tbl td{border:1px solid #dfe3e8;padding:.25em .5em;text-align:right}
table.tbl th{background:#f0f2f5}table.tbl td:first-child,table.tbl th:first-child{text-align:left}
.wrap{overflow-x:auto}
.note{border-left:4px solid #3b82c4;background:#eef5fb;padding:.5em .9em;margin:.7em 0;font-size:.92em}
.note.fix{border-color:#c47a3b;background:#fbf3ec}
.note b{display:block;margin-bottom:.15em}
.notice{border:1px dashed #b0b8c0;background:#fafbfc;padding:.7em 1em;color:#4a545d;margin:.8em 0}
.badge{display:inline-block;padding:.05em .55em;border-radius:.8em;font-size:.8em;font-weight:600;color:#fff}
.pass{background:#2e8b57}.fail{background:#c0392b}.warn{background:#d08b1a}.na{background:#8a949e}
.kv td{text-align:left}
footer{color:#6b757e;font-size:.85em;margin-top:3em}
"""


# ---------------------------------------------------------------------------- small HTML helpers
def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _badge(state: str | None, text: str | None = None) -> str:
    """``state`` in pass / fail / warn / na (None)."""
    state = state or "na"
    label = text or {"pass": "PASS", "fail": "FAIL", "warn": "CHECK", "na": "n/a"}[state]
    return f'<span class="badge {state}">{_esc(label)}</span>'


def _notes(read: str, fix: str) -> str:
    return (f'<div class="note"><b>How to read this</b>{read}</div>'
            f'<div class="note fix"><b>If this check fails, do this</b>{fix}</div>')


def _notice(text: str) -> str:
    return f'<div class="notice">{text}</div>'


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(float(v)):
            return "–"
        f = float(v)
        if f != 0 and (abs(f) < 1e-3 or abs(f) >= 1e5):
            return f"{f:.2e}"
        return f"{f:.3f}".rstrip("0").rstrip(".") if abs(f) < 1000 else f"{f:.0f}"
    return str(v)


def _table(df, *, columns: list[str] | None = None, max_rows: int | None = None, raw: set[str] | None = None) -> str:
    """A DataFrame as an HTML table (escaped cells, compact numbers); ``raw`` columns hold HTML."""
    raw = raw or set()
    if df is None or len(df) == 0:
        return _notice("(empty table)")
    cols = [c for c in (columns or list(df.columns)) if c in df.columns]
    rows = df.head(max_rows) if max_rows else df
    head = "".join(f"<th>{_esc(c)}</th>" for c in cols)
    body = []
    for _, r in rows.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if c in raw:
                cells.append(f"<td>{v}</td>")
            else:
                if not isinstance(v, (list, dict, str)) and v is not None:
                    try:
                        if isinstance(v, float) and not math.isfinite(v):
                            v = float("nan")
                    except TypeError:
                        pass
                cells.append(f"<td>{_esc(_fmt(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if max_rows and len(df) > max_rows:
        more = f'<p class="sub">Showing {max_rows} of {len(df)} rows.</p>'
    return f'<div class="wrap"><table class="tbl"><tr>{head}</tr>{"".join(body)}</table></div>{more}'


def _kv(pairs: list[tuple[str, Any]]) -> str:
    rows = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(_fmt(v))}</td></tr>" for k, v in pairs)
    return f'<table class="tbl kv">{rows}</table>'


# ---------------------------------------------------------------------------- figures
@dataclass
class _Figures:
    """Saves figures as PNG + SVG files and returns them as inline ``<figure>`` HTML."""

    directory: Path
    dpi: int = 110
    names: list[str] = field(default_factory=list)

    def __call__(self, fig: Any, name: str, caption: str, *, alt: str | None = None) -> str:
        from matplotlib.axes import Axes

        from .plot import save_figure

        if isinstance(fig, Axes):
            fig = fig.figure
        try:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=self.dpi, bbox_inches="tight", facecolor="white")
            png = buf.getvalue()
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_bytes_atomic(self.directory / f"{name}.png", png)
            save_figure(fig, self.directory / f"{name}.svg", bbox_inches="tight")
        finally:
            _close(fig)
        self.names.append(name)
        data = base64.b64encode(png).decode("ascii")
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{_esc(alt or caption)}">'
                f"<figcaption>{_esc(caption)}</figcaption></figure>")


def _close(fig) -> None:
    import sys

    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        plt.close(fig)


def _new_figure(figsize: tuple[float, float], nrows: int = 1, ncols: int = 1, **kw):
    """A Figure not registered with pyplot (no GUI backend needed, nothing to close)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


#: Names of the figures the report writes (``attribution_seq<i>`` per example sequence).
_FIGURE_NAMES = {"training_curves", "filters", "seqlet_motifs", "seqlet_motif_pair", "role_table",
                 "interaction_heatmap", "distance_curves", "cooccurrence_curves"}


def _remove_stale_figures(figs: "_Figures") -> None:
    """Delete report figures of an earlier build that this build did not draw (other files stay)."""
    if not figs.directory.is_dir():
        return
    keep = set(figs.names)
    for p in figs.directory.iterdir():
        if p.suffix in (".png", ".svg") and p.stem not in keep and (
                p.stem in _FIGURE_NAMES or p.stem.startswith("attribution_seq")):
            p.unlink(missing_ok=True)


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    from ._io import atomic_open

    with atomic_open(path, "wb") as fh:
        fh.write(data)


# ---------------------------------------------------------------------------- the context
#: The file of each role in a directory written by ``kgenint demo`` (:mod:`kgenint.pipeline`).
DEMO_FILES = {
    "results": "results.h5",
    "data": "data.h5",
    "metrics": "model.metrics.json",
    "filters_meme": "filters.meme",
    "filters_annotation": "filters_annotation.tsv",
    "seqlets_h5": "seqlets.h5",
    "seqlets_meme": "seqlets.meme",
    "seqlets_annotation": "seqlets_annotation.tsv",
    "scan": "scan.h5",
    "cooccurrence": "cooccurrence.h5",
}


def _demo_file_map(out: Path) -> dict[str, Path]:
    """``role -> path`` of the demo files that exist in ``out``."""
    files = {role: out / name for role, name in DEMO_FILES.items() if (out / name).exists()}
    adir = out / "attributions"
    if adir.is_dir():
        files.update({f"attributions:{p.stem}": p for p in sorted(adir.glob("*.h5"))})
    return files


@dataclass
class _Ctx:
    """What the sections draw from: the results dict (:func:`kgenint.pipeline.read_results`
    layout) and the file of each role (``files``: role -> path; see ``DEMO_FILES``)."""

    out: Path
    results: dict
    fig: _Figures
    files: dict[str, Path] = field(default_factory=dict)
    stage: Any = None  # kgenint._stagefiles.StageFiles for a stage directory, None for a demo one
    loaded: dict = field(default_factory=dict)  # role -> object already read (scans, by collect_results)

    def load(self, role: str, loader: Callable[[Path], Any]) -> Any:
        """The object of ``role``'s file, read with ``loader`` once per report."""
        if role not in self.loaded:
            self.loaded[role] = loader(self.file(role))
        return self.loaded[role]

    @property
    def tables(self) -> dict:
        return self.results.get("tables") or {}

    @property
    def scores(self) -> dict:
        return self.results.get("scores") or {}

    def has(self, role: str) -> bool:
        p = self.files.get(role)
        return p is not None and p.exists()

    def file(self, role: str) -> Path:
        return self.files[role]

    def name(self, role: str) -> str:
        """The role's file relative to the directory (for notices)."""
        p = self.files.get(role)
        return DEMO_FILES.get(role, role) if p is None else self._rel(p)

    def source(self, *roles: str) -> str:
        """A line naming the files a section was drawn from (and the older ones not used)."""
        names = []
        for r in roles:
            if r == "attributions":
                names += [self.name(k) for k in self.files if k.startswith("attributions:")]
            elif self.has(r):
                names.append(self.name(r))
        if not names:
            return ""
        text = "From " + ", ".join(f"<code>{_esc(n)}</code>" for n in dict.fromkeys(names))
        if self.stage is not None:
            older = [f for f in self.stage.unused if f.role in roles]
            if older:
                text += (" (the newest of its kind; not used: "
                         + ", ".join(f"<code>{_esc(self._rel(f.path))}</code>" for f in older) + ")")
        return f'<p class="sub src">{text}.</p>'

    def _rel(self, p: Path) -> str:
        try:
            return str(p.relative_to(self.out))
        except ValueError:
            return str(p)


# ---------------------------------------------------------------------------- sections
def _sec_findings(c: _Ctx) -> str:
    """What the analysis found, first: the motifs the model learned and the interactions called."""
    read = ("The conclusions in one place: the motifs the model relies on (from its attributions) and the "
            "motif pairs it combines non-additively (from the in-silico scan with control inserts), each "
            "with the spacing, orientation and size of its strongest arrangement. The sections below "
            "show the evidence and the configuration.")
    fix = ("If a list is empty, open the section it comes from: it says whether the stage was run and "
           "why it may have found nothing.")
    import pandas as pd

    body = ""
    motifs, _ = _seqlet_motifs(c) if (c.has("seqlets_h5") or c.has("seqlets_meme")) else ([], None)
    if motifs:
        ann = c.tables.get("seqlets")
        if ann is None or len(ann) == 0:
            ann = _annotation_from_metadata(motifs)
        by = _annotation_by_query(ann)
        rows = [{"motif": m.name, "seqlets": m.metadata.get("n_seqlets", m.nsites),
                 "best match": _annotation_label(by.get(m.name))[0]} for m in motifs]
        body += f"<h3>Motifs learned ({len(motifs)})</h3>" + _table(pd.DataFrame(rows), max_rows=20)
    else:
        body += "<h3>Motifs learned</h3><p>No seqlet motifs in this directory.</p>"
    if c.has("scan"):
        from .interactions.scan_result import load

        scan = c.load("scan", load)
        pairs = scan.pairs()
        called = pairs[pairs["q_value"] < 0.05]
        unit = "logits" if scan.params.get("scale") in (None, "logits") else "output units"
        body += (f"<h3>Interactions called ({len(called)} of {len(pairs)} motif pairs, q &lt; 0.05)</h3>"
                 f"<p class=\"sub\">Effects in {unit}; rel_effect = interaction / (|main A| + |main B|); "
                 f"distance = bp from the start of A to the start of B.</p>")
        if len(called):
            body += _table(called, columns=["motif_a", "motif_b", "distance", "orientation", "effect", "ci_low",
                                            "ci_high", "rel_effect", "q_value"], max_rows=25)
    else:
        body += "<h3>Interactions called</h3><p>No in-silico scan in this directory.</p>"
    return _notes(read, fix) + body


def _sec_overview(c: _Ctx) -> str:
    cfg = c.results.get("config") or {}
    rows: list[tuple[str, Any]] = [("kgenint version", __version__), ("directory", str(c.out.resolve())),
                                   ("report written", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))]
    n_seq = length = None
    if c.has("data"):
        try:
            import h5py

            with h5py.File(c.file("data"), "r") as h:
                n_seq, length = int(h["x"].shape[0]), int(h["x"].shape[1])
        except Exception as err:  # noqa: BLE001 - only a size for the overview
            log.debug("overview: cannot read %s sizes: %s", c.name("data"), err)
    if n_seq is not None:
        rows += [("sequences in the data set", n_seq), ("sequence length (bp)", length)]
    labels = {"preset": "simulation preset", "n": "sequences requested", "arch": "model architecture",
              "epochs": "maximum training epochs", "n_attr": "test sequences analysed",
              "n_shuffles": "DeepSHAP references per sequence", "n_backgrounds": "backgrounds of the in-silico scan",
              "max_distance": "largest motif distance scanned (bp)", "scan_threshold": "motif hit p-value threshold",
              "seed": "random seed", "methods": "attribution methods"}
    for k, v in cfg.items():
        if isinstance(v, (list, tuple)):
            v = ", ".join(map(str, v))
        rows.append((labels.get(k, k), v))
    body = "<h3>What was run</h3>" + _kv(rows)
    if c.stage is not None:
        body += _stage_file_tables(c)
    t = c.scores.get("timings") or {}
    if t:
        import pandas as pd

        tt = pd.DataFrame({"stage": list(t), "seconds": [float(v) for v in t.values()]})
        body += "<h3>Time per stage</h3>" + _table(tt)
        body += ('<p class="sub">Stages reused from an earlier run are not listed (they took no time in this '
                 "run).</p>")
    read = ("The pipeline simulates (or reads) sequences, trains a convolutional network, explains its "
            "predictions base by base (attribution), turns learned patterns into motifs, and tests which "
            "motif pairs the model combines non-additively. Each section below shows one of these steps.")
    if c.stage is None:
        fix = ("If a section shows a notice instead of figures, that stage was not run or found nothing. Run "
               "<code>kgenint demo --out DIR</code> again (finished stages are reused) or the stage command "
               "named in the notice, then <code>kgenint report DIR</code>.")
    else:
        fix = ("If a section shows a notice instead of figures, its stage command was not run into this "
               "directory or found nothing: run the command named in the notice with its output in DIR "
               "(any file name), then <code>kgenint report DIR</code>. If the report used the wrong one of "
               "several files of one kind, it takes the newest: move the others away or touch the one you "
               "want. The files it did not use are listed above, each with the reason.")
    return _notes(read, fix) + body


def _stage_file_tables(c: _Ctx) -> str:
    """Overview of a stage directory: the file used for each role, and the files not used."""
    import pandas as pd

    from ._stagefiles import ROLE_LABELS

    st = c.stage
    rows = []
    for f in st.used():
        rows.append({"file": c._rel(f.path), "holds": ROLE_LABELS.get(f.role, f.role), "contents": f.detail,
                     "modified": time.strftime("%Y-%m-%d %H:%M", time.localtime(f.mtime))})
    body = "<h3>Files used</h3>" + _table(pd.DataFrame(rows))
    body += ('<p class="sub">Recognised by their content, not their names. When several files hold the same '
             "kind of result, the newest is used.</p>")
    other = [{"file": c._rel(f.path), "why not used": f.why_unused} for f in st.unused]
    other += [{"file": c._rel(p), "why not used": why} for p, why in st.skipped]
    if other:
        body += "<h3>Files not used</h3>" + _table(pd.DataFrame(other))
    return body


def _model_metrics(c: _Ctx) -> dict:
    m = dict(c.scores.get("model") or {})
    if c.has("metrics"):
        try:
            full = json.loads(c.file("metrics").read_text())
            for k, v in full.items():
                m.setdefault(k, v)
        except (OSError, ValueError) as err:
            log.debug("%s unreadable: %s", c.name("metrics"), err)
    return m


def _sec_model(c: _Ctx) -> str:
    m = _model_metrics(c)
    if not m:
        return _notice("No model metrics found (<code>model.metrics.json</code>, or the "
                       "<code>&lt;model&gt;.metrics.json</code> that <code>kgenint train</code> writes beside the "
                       "model, and <code>/scores/model</code> are missing): the training stage was not run.")
    rows: list[tuple[str, Any]] = []
    state = None
    for key, label in (("auroc", "test AUROC"), ("auprc", "test AUPRC"), ("pearson", "test Pearson r"),
                       ("spearman", "test Spearman r"), ("mse", "test mean squared error"), ("n", "test sequences"),
                       ("arch", "architecture"), ("epochs_trained", "epochs trained"), ("best_epoch", "best epoch"),
                       ("seconds", "training time (s)")):
        if key in m and m[key] is not None:
            rows.append((label, m[key]))
    main = m.get("auroc", m.get("pearson"))
    if isinstance(main, (int, float)) and math.isfinite(main):
        good, weak = (0.8, 0.65) if "auroc" in m else (0.5, 0.3)
        state = "pass" if main >= good else ("warn" if main >= weak else "fail")
    name = "AUROC" if "auroc" in m else "Pearson r"
    badge = (f"<p>Model quality: {_badge(state)} test {name} = {_fmt(main)} "
             f"(PASS at ≥ {good}, CHECK at ≥ {weak})</p>") if state else ""
    body = badge + _kv(rows)
    hist = m.get("history") or {}
    curves = [k for k in hist if not k.startswith("val_") and k != "learning_rate" and len(hist[k])]
    if curves:
        fig, axes = _new_figure((4.0 * len(curves), 3.0), 1, len(curves))
        for ax, k in zip(axes[0], curves):
            ep = np.arange(1, len(hist[k]) + 1)
            ax.plot(ep, hist[k], "o-", ms=3, label="training")
            if f"val_{k}" in hist:
                ax.plot(np.arange(1, len(hist[f"val_{k}"]) + 1), hist[f"val_{k}"], "s--", ms=3, label="validation")
            ax.set_xlabel("epoch")
            ax.set_ylabel(k)
            ax.set_title(k)
            ax.legend(fontsize=8)
        fig.tight_layout()
        body += c.fig(fig, "training_curves", "Training curves: training (solid) and validation (dashed) per epoch.")
    else:
        body += _notice(f"No training history in <code>{_esc(c.name('metrics'))}</code>: the curves are not drawn.")
    read = ("AUROC is the chance that a random positive sequence scores above a random negative one (0.5 = "
            "guessing, 1 = perfect); AUPRC is the precision averaged over recall (its chance level is the "
            "fraction of positives). The curves show the loss and metrics after each training epoch; "
            "validation curves that turn upward while training curves keep improving mean over-fitting.")
    fix = ("An AUROC near 0.5 means the model learned nothing, and every later section explains noise. Train "
           "longer (<code>--epochs</code>), on more sequences (<code>--n</code>), or check that the labels "
           "match the sequences. Over-fitting: use more data or stop earlier (the demo keeps the best "
           "validation epoch).")
    return _notes(read, fix) + c.source("metrics") + body


def _annotation_label(row) -> tuple[str, float]:
    """'TF (MA1234.1), q = ...' of an annotation row; q (nan when missing)."""
    if row is None:
        return "no match", float("nan")
    q = row.get("q_value", float("nan"))
    try:
        q = float(q)
    except (TypeError, ValueError):
        q = float("nan")
    tid, alt = row.get("target_id"), row.get("target_alt_id")
    if tid is None or (isinstance(tid, float) and not math.isfinite(tid)):
        return "no match", q
    name = f"{alt} ({tid})" if isinstance(alt, str) and alt else str(tid)
    return f"{name}, q = {_fmt(q)}", q


def _annotation_by_query(ann) -> dict[str, dict]:
    if ann is None or len(ann) == 0 or "query_id" not in ann.columns:
        return {}
    out = {}
    for _, r in ann.iterrows():
        out.setdefault(str(r["query_id"]), r.to_dict())
    return out


def _sec_filters(c: _Ctx) -> str:
    read = ("Each first-layer filter of the network scans the sequence for one short pattern. The logo "
            "stacks the bases of the sequences that activate the filter most; letter height is information "
            "in bits (2 bits = one base always present). The best match in JASPAR 2024 is given with its "
            "q-value (the chance that the match is a false discovery; q &lt; 0.05 is a convincing match).")
    fix = ("Logos without clear letters or without a match (q ≥ 0.05) are normal for some filters: networks "
           "spread one motif over several filters or learn partial motifs. If no filter matches any known "
           "motif, check model quality above first; then look at the seqlet motifs below, which are usually "
           "cleaner than single filters.")
    if not c.has("filters_meme"):
        return _notes(read, fix) + _notice(
            "No <code>filters.meme</code> (or other MEME file of first-layer filter motifs, named "
            "<code>filter_&lt;i&gt;</code> or <code>&lt;layer&gt;_f&lt;i&gt;</code>): the filter stage was not run.")
    from .motifs import read_meme

    src = c.source("filters_meme", "filters_annotation")
    try:
        motifs = read_meme(c.file("filters_meme"))
    except FormatError as err:
        if "no motifs found" not in str(err):
            raise
        motifs = []
    if not motifs:
        return _notes(read, fix) + src + _notice("No filter had enough activating sites to form a motif.")
    ann = c.tables.get("filters")
    by = _annotation_by_query(ann)
    labelled = []
    for m in motifs:
        lab, q = _annotation_label(by.get(m.name))
        labelled.append((q if math.isfinite(q) else 2.0, m, lab))
    labelled.sort(key=lambda t: t[0])
    shown = labelled[:MAX_FILTER_LOGOS]
    from .plot import plot_motifs

    n_good = sum(1 for q, _, _ in labelled if q < 0.05)
    fig = plot_motifs([m for _, m, _ in shown], ncols=4, titles=[f"{m.name}\n{lab}" for _, m, lab in shown])
    body = (f"<p>{len(motifs)} filters became motifs; {n_good} match a JASPAR motif at q &lt; 0.05 "
            f"{_badge('pass' if n_good else 'warn', f'{n_good} matched')}. The {len(shown)} best-matching "
            "filters are drawn.</p>")
    body += c.fig(fig, "filters", "First-layer filters as information-content logos, best JASPAR match first.")
    if ann is not None and len(ann):
        cols = ["query_id", "n_sites", "target_id", "target_alt_id", "q_value", "orientation", "query_consensus"]
        t = ann.sort_values("q_value") if "q_value" in ann.columns else ann
        body += "<h3>All filters and their best match</h3>" + _table(t, columns=cols, max_rows=40)
    return _notes(read, fix) + src + body


def _seqlet_motifs(c: _Ctx) -> tuple[list, str | None]:
    """The seqlet motifs and the role of the file they came from."""
    if c.has("seqlets_h5"):
        from .seqlets import load_hdf5, read_modisco_motifs

        try:
            return list(load_hdf5(c.file("seqlets_h5")).motifs), "seqlets_h5"
        except Exception as err:  # noqa: BLE001 - modisco's own layout, or fall back to the MEME file
            log.debug("%s: not kgenint's seqlet layout (%s)", c.name("seqlets_h5"), err)
        try:
            return read_modisco_motifs(c.file("seqlets_h5")), "seqlets_h5"
        except Exception as err:  # noqa: BLE001 - fall back to the MEME file
            log.debug("%s unreadable (%s); using the MEME file", c.name("seqlets_h5"), err)
    if c.has("seqlets_meme"):
        from .motifs import read_meme

        try:
            return read_meme(c.file("seqlets_meme")), "seqlets_meme"
        except Exception as err:  # noqa: BLE001 - an empty MEME file (no motif found)
            log.debug("%s: %s", c.name("seqlets_meme"), err)
            return [], "seqlets_meme"
    return [], None


def _annotation_from_metadata(motifs: list):
    """Annotation rows kept in the motifs themselves (``kgenint seqlets --annotate``)."""
    import pandas as pd

    rows = [{**m.metadata["annotation"], "query_id": m.name} for m in motifs
            if isinstance(m.metadata.get("annotation"), dict)]
    return pd.DataFrame(rows) if rows else None


def _sec_seqlets(c: _Ctx) -> str:
    read = ("Seqlets are short stretches with high attribution (the bases the model relies on). Similar "
            "seqlets are grouped and averaged into a contribution-weighted matrix (CWM): letters above the "
            "line raise the prediction, letters below lower it. The number of seqlets tells how often the "
            "model uses the motif. The motif-pair panel aligns a discovered motif (top) with its best JASPAR "
            "match (bottom) at the offset and strand the comparison found.")
    fix = ("No motif found usually means the attributions are weak (model quality near chance) or too few "
           "sequences were analysed: raise <code>--n-attr</code> or train a better model. A motif without a "
           "database match may be new, a composite of two motifs (look for two half-sites in the logo) or a "
           "sequence bias (e.g. GC-rich); compare it with the filter logos above.")
    if not (c.has("seqlets_h5") or c.has("seqlets_meme")):
        return _notes(read, fix) + _notice("No seqlet results (<code>seqlets.h5</code>, or any results file of "
                                           "<code>kgenint seqlets</code>): the seqlet stage was not run.")
    motifs, role = _seqlet_motifs(c)
    src = c.source(*(r for r in (role, "seqlets_annotation") if r))
    if not motifs:
        return _notes(read, fix) + src + _notice(
            "The seqlet stage ran but found <b>no motif</b>: no group of seqlets was large enough. See "
            "<i>If this check fails</i> above.")
    ann = c.tables.get("seqlets")
    if ann is None or len(ann) == 0:
        ann = _annotation_from_metadata(motifs)
    by = _annotation_by_query(ann)
    shown = motifs[:MAX_SEQLET_LOGOS]
    mats, titles = [], []
    for m in shown:
        n = m.metadata.get("n_seqlets", m.nsites)
        lab, _ = _annotation_label(by.get(m.name))
        mats.append(m.cwm if m.cwm is not None else m.pwm)
        titles.append(f"{m.name} ({n} seqlets)\n{lab}")
    from .plot import plot_motifs

    kind = "weight" if all(m.cwm is not None for m in shown) else "information"
    fig = plot_motifs(mats, ncols=3, kind=kind, titles=titles)
    body = f"<p>{len(motifs)} motifs discovered from seqlets.</p>"
    body += c.fig(fig, "seqlet_motifs", "Seqlet motifs (contribution-weighted matrices) with seqlet counts and best match.")
    import pandas as pd

    rows = []
    for m in motifs:
        r = by.get(m.name) or {}
        rows.append({"motif": m.name, "seqlets": m.metadata.get("n_seqlets", m.nsites), "width": m.width,
                     "best match": r.get("target_id"), "TF": r.get("target_alt_id"), "q_value": r.get("q_value")})
    body += _table(pd.DataFrame(rows))
    body += _motif_pair_panel(c, motifs, by)
    return _notes(read, fix) + src + body


def _motif_pair_panel(c: _Ctx, motifs: list, by: dict) -> str:
    best = None
    for m in motifs:
        r = by.get(m.name)
        if not r or r.get("target_id") is None or (isinstance(r.get("target_id"), float)):
            continue
        q = float(r.get("q_value", 1.0))
        if best is None or q < best[0]:
            best = (q, m, r)
    if best is None:
        return _notice("No discovered motif has a database match, so no motif-pair panel is drawn.")
    q, m, r = best
    from .motifs import get_motif
    from .plot import plot_motif_pair

    try:
        target = get_motif(str(r["target_id"]))
    except Exception as err:  # noqa: BLE001 - a user's database may not be the embedded one
        return _notice(f"The best match {_esc(r['target_id'])} is not in the embedded JASPAR set ({_esc(err)}).")
    offset = int(r.get("optimal_offset", 0) or 0)
    orient = str(r.get("orientation", "+") or "+")
    fig = plot_motif_pair(m, target, offset, orient,
                          labels=(f"{m.name} (discovered)", f"{r.get('target_alt_id', '')} {r['target_id']} (JASPAR)"))
    return "<h3>Best-matching discovered motif</h3>" + c.fig(
        fig, "seqlet_motif_pair",
        f"{m.name} aligned with {r.get('target_alt_id', '')} ({r['target_id']}), q = {_fmt(q)}, strand {orient}.")


def _sec_tracks(c: _Ctx) -> str:
    read = ("Each panel is one test sequence; letter height is the attribution of the base actually present "
            "(up = pushes the prediction up, down = pushes it down). Shaded boxes mark the planted motif "
            "sites, labelled with the motif and its role (main: acts alone; and/xor/or/spacing/orientation/"
            "order: acts through an interaction; additive: independent control pair; decoy: no effect). One "
            "row per attribution method.")
    fix = ("Good attributions have tall letters inside the shaded boxes of main-effect and satisfied "
           "interaction motifs, and little elsewhere. Flat tracks: the model is weak or the method saturates "
           "(compare methods). Tall letters on decoys: the model uses a spurious feature.")
    e = c.results.get("examples")
    if not e or "x" not in e:
        where = ("in <code>results.h5</code>" if c.stage is None else
                 "(no finished file of <code>kgenint attribute</code> in the directory)")
        return _notes(read, fix) + _notice(f"No example attributions {where}: the attribution "
                                           "stage was not run or the data have no planted truth.")
    methods = [m for m in (c.results.get("config") or {}).get("methods", []) if m in e]
    methods += [k for k in e if k not in methods and k not in ("x", "index", "sites")]
    if not methods:
        return _notes(read, fix) + _notice("No attribution method in the examples.")
    from .plot import plot_attribution_track

    body = _results_source(c, "attributions", "data")
    sites = e.get("sites") or {}
    if not sites:
        body += ('<p class="sub">No planted truth for these sequences: no sites are marked. The sequences with '
                 "the largest total attribution are shown.</p>")
    index = np.asarray(e.get("index", np.arange(len(e["x"]))))
    for i in range(min(MAX_EXAMPLES, len(index))):
        seq = int(index[i])
        length = e["x"].shape[1]
        hl = [(int(s["start"]), int(s["end"]), f"{s['motif']} ({s['role']})") for s in sites.get(str(seq), [])
              if 0 <= int(s["start"]) < int(s["end"]) <= length]
        fig, axes = _new_figure((min(24.0, 0.075 * length + 2.0), 1.9 * len(methods)), len(methods), 1)
        for ax, meth in zip(axes[:, 0], methods):
            # the position's total attribution drawn on the base present (equal to the map itself for
            # methods that are zero at absent bases, e.g. DeepSHAP contributions, gradient x input)
            a = np.nan_to_num(np.asarray(e[meth][i], dtype=float))
            a = a.sum(axis=1, keepdims=True) * np.asarray(e["x"][i], dtype=float)
            plot_attribution_track(a, ax=ax, highlight=hl, title=f"{meth}", ylabel="attribution")
        fig.suptitle(f"test sequence {seq}", fontsize=10)
        fig.tight_layout()
        body += c.fig(fig, f"attribution_seq{seq}", f"Sequence {seq}: attributions by method"
                      + ("; shaded = planted sites (motif, role)." if sites else "."))
    return _notes(read, fix) + body


def _sec_roles(c: _Ctx) -> str:
    read = ("For every attribution method (rows) and motif role (columns): the AUROC with which the per-base "
            "attribution separates bases inside planted sites of that role from all other bases (0.5 = no "
            "better than chance, 1 = perfect). Main-effect motifs are usually found by every method; motifs "
            "that act only through an interaction (and, xor, spacing ...) are where methods differ.")
    fix = ("A whole row near 0.5: the model (or this method) did not pick up the planted motifs; check model "
           "quality. Interaction roles much lower than main effects: expected for gradient-type methods; use "
           "DeepSHAP or integrated gradients, and rely on the interaction scans below for these motifs. A "
           "decoy column well above 0.5 means the model uses motifs that have no effect in the truth.")
    t = c.tables.get("role_auroc")
    if t is None or len(t) == 0:
        return _notes(read, fix) + _notice("No method × role table: attributions or planted truth are missing.")
    tab = t.set_index("method") if "method" in t.columns else t
    from .evaluate import plot_role_table

    fig, axes = _new_figure((1.0 * tab.shape[1] + 3.0, 0.5 * tab.shape[0] + 1.8))
    plot_role_table(tab, ax=axes[0, 0])
    body = _results_source(c, "attributions", "data")
    body += c.fig(fig, "role_table", "Attribution AUROC at planted sites by method and motif role.")
    body += "<h3>AUROC</h3>" + _table(tab.reset_index())
    t2 = c.tables.get("role_auprc")
    if t2 is not None and len(t2):
        body += "<h3>AUPRC</h3>" + _table(t2)
    att = c.scores.get("attribution") or {}
    if att:
        import pandas as pd

        s = pd.DataFrame([{"method": k, **v} for k, v in att.items()])
        body += "<h3>All planted sites</h3>" + _table(s)
    return _notes(read, fix) + body


def _sec_insilico(c: _Ctx) -> str:
    read = ("The model is asked directly: two motifs are planted into background sequences at every "
            "distance and orientation, and each motif is also replaced by a control insert (a shuffle of "
            "itself that matches no motif) at the same place. The interaction effect is "
            "f(A,B) − f(A,ctrl B) − f(ctrl A,B) + f(ctrl A,ctrl B) on the model's output scale (logits for "
            "sigmoid/softmax heads): what the two motifs do together beyond what any two inserts there do "
            "(0 = the motifs add up; red/positive = synergy; blue/negative = antagonism). The heatmap shows "
            "the reported cell of each motif pair (rows: motif A, columns: motif B; a dot: the pair is called, "
            "q &lt; 0.05). The curves show the effect against distance (A start to B start) per orientation, "
            "with 95% confidence bands, for the strongest pairs. <i>rel_effect</i> is the interaction as a "
            "fraction of the two motifs' own effects.")
    fix = ("No dots at all: the model may be weak, or too few backgrounds were used (raise "
           "<code>--n-backgrounds</code>). Effects along a whole row or column come from one motif's main "
           "effect saturating the output, not a pair rule: compare <i>rel_effect</i> and the main effects. "
           "A pair whose strongest cell has the two motifs almost touching (a few bp between them) may "
           "reflect how the model reads a site's immediate flanks rather than a spacing rule; "
           "<code>kgenint interactions --min-gap 3</code> leaves such placements out, and "
           "<code>--margin X</code> asks only for interactions larger than X. "
           "A curve that stops at the largest distance may need a larger <code>--max-distance</code>.")
    if not c.has("scan"):
        return _notes(read, fix) + _notice("No <code>scan.h5</code> (or other scan file of <code>kgenint "
                                           "interactions --out</code>): the in-silico interaction stage was not run "
                                           "(<code>kgenint interactions</code>).")
    from .interactions.scan_result import load
    from .plot import plot_distance_curves, plot_interaction_heatmap

    scan = c.load("scan", load)
    K = len(scan.motif_names)
    size = max(3.5, 0.42 * K + 1.6)
    fig, axes = _new_figure((size + 1.2, size))
    plot_interaction_heatmap(scan, ax=axes[0, 0])
    fig.tight_layout()
    body = c.source("scan")
    body += c.fig(fig, "interaction_heatmap", "Strongest in-silico interaction effect per motif pair (dot: pair called, q < 0.05).")
    fig = plot_distance_curves(scan, top=4)
    body += c.fig(fig, "distance_curves", "Distance–effect curves of the four strongest pairs, one line per orientation.")
    pairs = c.tables.get("pairs_insilico")
    if pairs is not None and len(pairs):
        body += "<h3>Strongest pairs</h3>" + _table(
            pairs, columns=["motif_a", "motif_b", "distance", "orientation", "effect", "ci_low", "ci_high",
                            "rel_effect", "p_value", "q_value"], max_rows=15)
    return _notes(read, fix) + body


def _sec_detectors(c: _Ctx) -> str:
    """Pair tables of the other interaction detectors (kgenint interactions --method ...)."""
    read = ("Other detectors answer the same question in other ways (docs/interactions.md, README: "
            "which detector when): DFIM and dependency maps through attributions, block Hessians, "
            "ANOVA/Tukey statistics on the double-mutant grid, the hierarchical lasso on motif hits. "
            "Each table lists the pairs it ranks first; with planted truth each is scored like the "
            "in-silico scan (pair AUROC, precision and recall of its calls at q &lt; 0.05).")
    fix = ("Detectors other than the in-silico scan over-call on purely additive models (their q-values "
           "are best read as a ranking; benchmarks/RESULTS_detectors.md). Trust a pair that several "
           "detectors rank first, and check it in the in-silico scan's distance curves.")
    roles = sorted(r for r in c.files if r.startswith("pairs_") and c.has(r))
    if not roles:
        return _notes(read, fix) + _notice("No pair table of another detector (<code>kgenint interactions --method "
                                           "dfim|dependency|hessian|anova|tukey|hierlasso --out FILE.h5</code>).")
    import pandas as pd

    from .interactions.pair_table import load as load_pairs

    body = c.source(*roles)
    truth = None
    if c.has("data"):
        from .simulate import load_truth

        try:
            if "data_truth" not in c.loaded:
                c.loaded["data_truth"] = load_truth(c.file("data"))
            truth = c.loaded["data_truth"]
        except Exception as err:  # noqa: BLE001 - real data: nothing to score against
            log.debug("report: no planted truth in %s: %s", c.name("data"), err)
    scores = []
    for role in roles:
        tab = c.load(role, load_pairs)
        method = role.split("_", 1)[1]
        called = tab[tab["q_value"] < 0.05] if "q_value" in tab else tab.iloc[:0]
        units = tab.attrs.get("unit_motifs")
        if method == "features" and units:
            import json

            names = json.loads(units)
            named = [n for n in names if n]
            body += (f"<p>What the network represents at layer <code>{_esc(tab.attrs.get('layer', '?'))}</code>: "
                     f"{len(named)} of {len(names)} units stand for a motif"
                     + (": " + ", ".join(f"{_esc(m)} ({named.count(m)})" for m in sorted(set(named))) if named else "")
                     + ". The table below is where the interactions between those units live, mapped to motif "
                     "pairs.</p>")
        body += (f"<h3>{_esc(method)}: {len(called)} of {len(tab)} pairs with q &lt; 0.05</h3>"
                 + _table(tab, columns=[k for k in ("motif_a", "motif_b", "distance", "orientation", "effect",
                                                    "p_value", "q_value") if k in tab.columns], max_rows=10))
        if truth is not None:
            from .evaluate import score_interactions
            from .evaluate_detectors import scoring_view

            try:
                r = score_interactions(scoring_view(tab), truth)
                scores.append({"method": method, **{k: r[k] for k in ("pair_auroc", "precision", "recall", "n_called")}})
            except Exception as err:  # noqa: BLE001 - a table that cannot be scored is still shown
                log.debug("report: cannot score %s: %s", method, err)
    if scores:
        body += "<h3>Against the planted truth</h3>" + _table(pd.DataFrame(scores))
    return _notes(read, fix) + body


def _sec_cooccurrence(c: _Ctx) -> str:
    read = ("Without the model: motif hits are counted in the sequences, and each pair of motifs at each "
            "distance and orientation is tested for enrichment in positive (group 1) over negative (group 2) "
            "sequences with Fisher's exact test. The curves show the fraction of sequences of each group that "
            "carry the pair at each distance. This finds arrangements the data favour; the in-silico scan "
            "above finds what the model does with them.")
    fix = ("Few hits (flat curves near 0): lower the scan stringency (<code>--thresh</code> of "
           "<code>kgenint cooccur</code>) or analyse more sequences. An enriched pair that the in-silico scan "
           "does not confirm may be a data correlation the model does not use (or two motifs with separate "
           "main effects).")
    if not c.has("cooccurrence"):
        return _notes(read, fix) + _notice("No <code>cooccurrence.h5</code> (or other file of <code>kgenint cooccur "
                                           "--out</code>): the co-occurrence stage was not run "
                                           "(<code>kgenint cooccur</code>).")
    from .interactions.cooccurrence import CooccurrenceScan
    from .plot import plot_cooccurrence_curves

    co = c.load("cooccurrence", CooccurrenceScan.load)
    n = [int(v) for v in np.asarray(co.n_sequences).ravel()]
    body = c.source("cooccurrence") + f"<p>{n[0]} sequences in group 1 and {n[1]} in group 2; distance bins of {co.bin_size} bp.</p>"
    if len(co.pairs()):
        body += c.fig(plot_cooccurrence_curves(co, top=4), "cooccurrence_curves",
                      "Fraction of sequences carrying each of the top pairs by distance: group 1 (solid) vs group 2 (dashed).")
    else:
        body += _notice("No motif pair was observed in any sequence: there is nothing to draw.")
    pairs = c.tables.get("pairs_cooccurrence")
    if pairs is not None and len(pairs):
        body += "<h3>Most enriched pairs</h3>" + _table(
            pairs, columns=["motif_a", "motif_b", "distance", "orientation", "odds_ratio", "p", "q"], max_rows=15)
    return _notes(read, fix) + body


def _rule_checks(row: dict) -> dict[str, str]:
    """Per planted rule: detection / spacing / orientation badges (HTML)."""
    called = bool(row.get("called", False))
    kind = str(row.get("kind", ""))
    out = {}
    if kind == "additive":
        out["detected"] = _badge("fail" if called else "pass", "called (should not be)" if called else "not called")
        out["spacing"] = _badge(None)
        out["orientation"] = _badge(None)
        return out
    out["detected"] = _badge("pass" if called else "fail", "called" if called else "missed")
    try:
        lo, hi = (int(v) for v in str(row.get("planted_distance", "")).replace("..", " ").split())
    except ValueError:
        lo, hi = -10**9, 10**9
    err = row.get("spacing_error_bp")
    err = float(err) if err is not None and not (isinstance(err, float) and math.isnan(err)) else None
    if hi - lo <= 2 * GOALS["spacing_bp"] + 1 and called and err is not None:
        out["spacing"] = _badge("pass" if err <= GOALS["spacing_bp"] else "fail", f"{_fmt(err)} bp off")
    elif hi - lo <= 2 * GOALS["spacing_bp"] + 1:
        out["spacing"] = _badge("fail", "not called")
    else:
        out["spacing"] = _badge(None, "any spacing")
    orients = str(row.get("planted_orientations", ""))
    if len([o for o in orients.split(",") if o]) < 4:
        ok = row.get("orientation_ok")
        if called and ok is not None and not (isinstance(ok, float) and math.isnan(ok)):
            out["orientation"] = _badge("pass" if bool(ok) else "fail", f"{row.get('best_orientation')}")
        else:
            out["orientation"] = _badge("fail", "not called")
    else:
        out["orientation"] = _badge(None, "any orientation")
    return out


def _sec_truth(c: _Ctx) -> str:
    read = ("Only for simulated data, where the planted rules are known. For each scan: the pair AUROC (how "
            "well the scan ranks the truly interacting motif pairs above all other pairs; goal ≥ 0.95), and "
            "per planted rule whether it was called (q &lt; 0.05), whether the best distance lies within ±2 bp "
            "of a planted fixed spacing, whether the best orientation is the planted one, and that the "
            "additive control pair (two motifs that act independently) is <i>not</i> called.")
    fix = ("Missed rules with a good model: raise <code>--n-backgrounds</code> (more statistical power) or "
           "<code>--max-distance</code> (the planted spacing may lie outside the scanned range). A called "
           "additive control means main effects leak into the interaction test (an output that saturates): "
           "scan logits rather than probabilities. Wrong spacing or orientation: check the curves above; a "
           "shifted optimum by a few bp can come from motif flanks the model also uses.")
    rules = c.tables.get("truth_rules")
    if rules is None or len(rules) == 0:
        return _notes(read, fix) + _notice("No planted truth in the results (real data): nothing to score against.")
    body = _results_source(c, "data", "scan", "cooccurrence")
    body += "<h3>Planted rules</h3>" + _table(
        rules, columns=["rule", "kind", "motif_a", "motif_b", "dmin", "dmax", "orientations", "order", "sign", "effect"])
    any_scan = False
    for key, table_key, title in (("interactions_insilico", "rules_insilico", "In-silico interaction scan"),
                                  ("interactions_cooccurrence", "rules_cooccurrence", "Co-occurrence scan")):
        s = c.scores.get(key)
        t = c.tables.get(table_key)
        if not s and (t is None or len(t) == 0):
            body += f"<h3>{_esc(title)}</h3>" + _notice("This scan was not run or had no pairs to score.")
            continue
        any_scan = True
        body += f"<h3>{_esc(title)}</h3>"
        s = s or {}
        au = s.get("pair_auroc")
        au_ok = None if au is None or not math.isfinite(float(au)) else ("pass" if au >= GOALS["pair_auroc"] else "fail")
        add = s.get("additive_called")
        add_ok = None if add is None else ("pass" if int(add) == 0 else "fail")
        body += _kv([("pair AUROC", au), ("pair AUPRC", s.get("pair_auprc")), ("pairs called (q < 0.05)", s.get("n_called")),
                     ("precision of calls", s.get("precision")), ("recall of planted pairs", s.get("recall")),
                     ("mean spacing error of called rules (bp)", s.get("spacing_error_bp")),
                     ("orientation accuracy", s.get("orientation_accuracy")), ("sign accuracy", s.get("sign_accuracy"))])
        body += (f"<p>Pair AUROC ≥ {GOALS['pair_auroc']}: {_badge(au_ok)} &nbsp; "
                 f"additive control not called: {_badge(add_ok)}</p>")
        if t is not None and len(t):
            rows = []
            for _, r in t.iterrows():
                d = r.to_dict()
                d.update(_rule_checks(d))
                rows.append(d)
            import pandas as pd

            tt = pd.DataFrame(rows)
            body += _table(tt, columns=["rule", "kind", "motif_a", "motif_b", "planted_distance", "planted_orientations",
                                        "q_value", "best_distance", "best_orientation", "detected", "spacing", "orientation"],
                           raw={"detected", "spacing", "orientation"})
    if not any_scan:
        how = ("run <code>kgenint demo</code> again to finish them" if c.stage is None else
               "run <code>kgenint interactions</code> or <code>kgenint cooccur</code> with the simulated data "
               "set's motifs (a scan of other motifs cannot be scored against the planted pairs)")
        body += _notice(f"Neither interaction scan was run or could be scored: {how}.")
    return _notes(read, fix) + body


def _results_source(c: _Ctx, *roles: str) -> str:
    """Source line of a section drawn from the summary: ``results.h5`` of a demo directory,
    the stage files it was computed from otherwise."""
    if c.stage is None or c.has("results"):
        return c.source("results")
    return c.source(*roles)


_SECTIONS: list[tuple[str, str, Callable[[_Ctx], str]]] = [
    ("findings", "Findings", _sec_findings),
    ("overview", "Overview", _sec_overview),
    ("model", "Model performance", _sec_model),
    ("filters", "Learned first-layer filters", _sec_filters),
    ("seqlets", "Discovered seqlet motifs", _sec_seqlets),
    ("tracks", "Attribution tracks of example sequences", _sec_tracks),
    ("roles", "Attribution methods × motif roles", _sec_roles),
    ("insilico", "In-silico interaction scan", _sec_insilico),
    ("detectors", "Other interaction detectors", _sec_detectors),
    ("cooccurrence", "Motif co-occurrence", _sec_cooccurrence),
    ("truth", "Scores against the planted truth", _sec_truth),
]


def build_report(out_dir: str | os.PathLike, *, results: dict | None = None, dpi: int = 110) -> Path:
    """Write ``out_dir/report.html`` and ``out_dir/figures/`` from the results saved in a directory.

    Two kinds of directory are understood:

    * the output of ``kgenint demo`` (:class:`kgenint.pipeline.Demo`): it holds ``results.h5``
      (every score and summary) and the stage files under their fixed names (``data.h5``,
      ``model.metrics.json``, ``filters.meme``, ``seqlets.h5``, ``scan.h5``, ``cooccurrence.h5``
      ...; see :data:`DEMO_FILES`);
    * a directory the stage commands wrote into (``kgenint train``, ``attribute``, ``seqlets``,
      ``compare``, ``interactions``, ``cooccur``, ``simulate``), with file names of the user's
      choosing: when there is no ``results.h5``, every ``*.h5``, ``*.meme``, ``*.json`` and
      ``*.tsv`` file (also one sub-directory down) is recognised by its content
      (:func:`kgenint._stagefiles.discover`), the newest file of each kind is used, and the
      summary is computed from them with :func:`kgenint.pipeline.collect_results` (pair tables
      of the scans; scores against the planted truth when a simulated data set is among the
      files). That summary is not written into the directory: the report is rebuilt from the
      stage files each time, so a stage run again is always seen. Files that cannot be read or
      are of no known kind are skipped (logged, and listed in the report's overview).

    Each section names the file(s) it was drawn from.

    Parameters
    ----------
    out_dir : str or path-like
        The directory (see above).
    results : dict, optional
        What :func:`kgenint.pipeline.read_results` returns for ``out_dir`` (read or computed
        when omitted).
    dpi : int
        Resolution of the PNG figures (dots per inch).

    Returns
    -------
    pathlib.Path
        The report file (written atomically: a failure never leaves a half-written report).

    Raises
    ------
    InputError
        ``out_dir`` is not a directory, its ``results.h5`` cannot be read, or it holds neither
        ``results.h5`` nor any stage file the report recognises (the message lists them).
    """
    from .pipeline import read_results

    out = Path(out_dir)
    if not out.is_dir():
        raise InputError(f"{out} is not a directory: give the output directory of 'kgenint demo' "
                         "(or of the stage commands).")
    stage, loaded = None, {}
    if (out / "results.h5").exists():
        files = _demo_file_map(out)
        if results is None:
            try:
                results = read_results(out / "results.h5")
            except OSError as err:
                raise InputError(f"{out / 'results.h5'} cannot be read as a kgenint results file ({err}); it may be "
                                 "truncated by an interrupted run: delete it and run 'kgenint demo' again (it "
                                 "recomputes only the missing summary).") from None
    else:
        stage, files, results = _stage_results(out, results, loaded)
    ctx = _Ctx(out=out, results=results, fig=_Figures(out / "figures", dpi=int(dpi)), files=files, stage=stage,
               loaded=loaded)
    parts = []
    for anchor, title, fn in _SECTIONS:
        try:
            body = fn(ctx)
        except Exception as err:  # noqa: BLE001 - a broken piece must not take the whole report down
            log.warning("report section %r could not be drawn: %s: %s", title, type(err).__name__, err)
            body = _notice(f"This section could not be drawn from the saved results: "
                           f"<code>{_esc(type(err).__name__)}: {_esc(err)}</code>. The other sections are not "
                           "affected; re-run the stage that writes these files, then <code>kgenint report</code>.")
        parts.append(f'<section id="{anchor}"><h2>{_esc(title)}</h2>{body}</section>')
    toc = "".join(f'<li><a href="#{a}">{_esc(t)}</a></li>' for a, t, _ in _SECTIONS)
    cfg = results.get("config") or {}
    what = [f"{_esc(cfg[k])} {label}" for k, label in (("preset", "data"), ("arch", "model")) if cfg.get(k)]
    subtitle = ", ".join(what + ([] if stage is None else ["stage files"])) + f" · kgenint {__version__}"
    subtitle = subtitle.lstrip(" ·")
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>kgenint report: {_esc(out.resolve().name)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>What did the model learn?</h1><p class=\"sub\">{subtitle}</p>"
        f"<nav><ol>{toc}</ol></nav>{''.join(parts)}"
        f"<footer>Written by kgenint {__version__} from {_esc(out.resolve())}. Figures are also in "
        "<code>figures/</code> as PNG and SVG. Rebuild with <code>kgenint report DIR</code>.</footer>"
        "</main></body></html>\n"
    )
    path = out / "report.html"
    from ._io import atomic_write_text

    atomic_write_text(path, page)
    _remove_stale_figures(ctx.fig)
    log.info("report: %s (%d figures)", path, len(ctx.fig.names))
    return path


def _stage_results(out: Path, results: dict | None, loaded: dict) -> tuple[Any, dict[str, Path], dict]:
    """Discover the stage files of ``out`` and compute the results dict from them (the scans
    read on the way are put into ``loaded``, for the sections that draw them)."""
    from ._stagefiles import LOOKED_FOR, discover, stage_config
    from .pipeline import collect_results, read_results

    st = discover(out)
    if not st:
        skipped = ""
        looked = [(f.path, "your own motifs: nothing to report from motifs alone") for f in st.motif_files]
        looked += st.skipped
        if looked:
            listed = "; ".join(f"{p.name}: {why}" for p, why in looked[:5])
            more = f" and {len(looked) - 5} more" if len(looked) > 5 else ""
            skipped = f" Files looked at and not used: {listed}{more}."
        raise InputError(
            f"{out} has no results.h5 and none of the stage files kgenint report reads. It looks for: "
            f"results.h5 of 'kgenint demo'; or {LOOKED_FOR}.{skipped} Run 'kgenint demo --out {out}' or the "
            "stage commands with their output in this directory first.")
    files = st.file_map()
    if results is None and "results" in st.chosen:
        try:
            results = read_results(st.chosen["results"].path)
        except Exception as err:  # noqa: BLE001 - fall back to the stage files
            log.warning("report: %s cannot be read (%s); using the stage files", st.chosen["results"].path, err)
    if results is None:
        scores, tables, examples = collect_results(
            data=st.path("data"), metrics=st.path("metrics"),
            attributions={m: f.path for m, f in st.attributions.items()},
            scan=st.path("scan"), cooccurrence=st.path("cooccurrence"),
            annotations={k: st.path(f"{k}_annotation") for k in ("filters", "seqlets")
                         if st.path(f"{k}_annotation") is not None}, strict=False, loaded=loaded)
        results = {"config": stage_config(st), "scores": scores, "tables": tables, "examples": examples}
    log.info("report: %d stage files recognised in %s", len(files), out)
    return st, files, results
