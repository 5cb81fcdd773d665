"""Report sections on the model, its filters, seqlet motifs and attributions."""
from __future__ import annotations

import json
import logging
import math
import time
from typing import Any

import numpy as np

from .._version import __version__
from ..errors import FormatError
from ._context import _Ctx, _results_source
from ._figures import _new_figure
from ._html import _badge, _esc, _fmt, _kv, _notes, _notice, _section, _table

log = logging.getLogger("kgenint")

#: Largest number of filter logos drawn (the table lists all filters).
MAX_FILTER_LOGOS = 12
#: Largest number of seqlet motif logos drawn.
MAX_SEQLET_LOGOS = 12
#: Example sequences drawn as attribution tracks.
MAX_EXAMPLES = 4



@_section(
    read=("The conclusions in one place: the motifs the model relies on (from its attributions) and the "
          "motif pairs it combines non-additively (from the in-silico scan with control inserts), each "
          "with the spacing, orientation and size of its strongest arrangement. The sections below "
          "show the evidence and the configuration."),
    fix=("If a list is empty, open the section it comes from: it says whether the stage was run and "
         "why it may have found nothing."),
)
def _sec_findings(c: _Ctx) -> str:
    """What the analysis found, first: the motifs the model learned and the interactions called."""
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
        from ..interactions.scan_result import load

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
    return body


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

    from .._stagefiles import ROLE_LABELS

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
    out: dict[str, dict] = {}
    for _, r in ann.iterrows():
        out.setdefault(str(r["query_id"]), r.to_dict())
    return out


@_section(
    read=("Each first-layer filter of the network scans the sequence for one short pattern. The logo "
          "stacks the bases of the sequences that activate the filter most; letter height is information "
          "in bits (2 bits = one base always present). The best match in JASPAR 2024 is given with its "
          "q-value (the chance that the match is a false discovery; q &lt; 0.05 is a convincing match)."),
    fix=("Logos without clear letters or without a match (q ≥ 0.05) are normal for some filters: networks "
         "spread one motif over several filters or learn partial motifs. If no filter matches any known "
         "motif, check model quality above first; then look at the seqlet motifs below, which are usually "
         "cleaner than single filters."),
)
def _sec_filters(c: _Ctx) -> str:
    if not c.has("filters_meme"):
        return _notice(
            "No <code>filters.meme</code> (or other MEME file of first-layer filter motifs, named "
            "<code>filter_&lt;i&gt;</code> or <code>&lt;layer&gt;_f&lt;i&gt;</code>): the filter stage was not run.")
    from ..motifs import read_meme

    src = c.source("filters_meme", "filters_annotation")
    try:
        motifs = read_meme(c.file("filters_meme"))
    except FormatError as err:
        if "no motifs found" not in str(err):
            raise
        motifs = []
    if not motifs:
        return src + _notice("No filter had enough activating sites to form a motif.")
    ann = c.tables.get("filters")
    by = _annotation_by_query(ann)
    labelled = []
    for m in motifs:
        lab, q = _annotation_label(by.get(m.name))
        labelled.append((q if math.isfinite(q) else 2.0, m, lab))
    labelled.sort(key=lambda t: t[0])
    shown = labelled[:MAX_FILTER_LOGOS]
    from ..plot import plot_motifs

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
    return src + body


def _seqlet_motifs(c: _Ctx) -> tuple[list, str | None]:
    """The seqlet motifs and the role of the file they came from."""
    if c.has("seqlets_h5"):
        from ..seqlets import load_hdf5, read_modisco_motifs

        try:
            return list(load_hdf5(c.file("seqlets_h5")).motifs), "seqlets_h5"
        except Exception as err:  # noqa: BLE001 - modisco's own layout, or fall back to the MEME file
            log.debug("%s: not kgenint's seqlet layout (%s)", c.name("seqlets_h5"), err)
        try:
            return read_modisco_motifs(c.file("seqlets_h5")), "seqlets_h5"
        except Exception as err:  # noqa: BLE001 - fall back to the MEME file
            log.debug("%s unreadable (%s); using the MEME file", c.name("seqlets_h5"), err)
    if c.has("seqlets_meme"):
        from ..motifs import read_meme

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


@_section(
    read=("Seqlets are short stretches with high attribution (the bases the model relies on). Similar "
          "seqlets are grouped and averaged into a contribution-weighted matrix (CWM): letters above the "
          "line raise the prediction, letters below lower it. The number of seqlets tells how often the "
          "model uses the motif. The motif-pair panel aligns a discovered motif (top) with its best JASPAR "
          "match (bottom) at the offset and strand the comparison found."),
    fix=("No motif found usually means the attributions are weak (model quality near chance) or too few "
         "sequences were analysed: raise <code>--n-attr</code> or train a better model. A motif without a "
         "database match may be new, a composite of two motifs (look for two half-sites in the logo) or a "
         "sequence bias (e.g. GC-rich); compare it with the filter logos above."),
)
def _sec_seqlets(c: _Ctx) -> str:
    if not (c.has("seqlets_h5") or c.has("seqlets_meme")):
        return _notice("No seqlet results (<code>seqlets.h5</code>, or any results file of "
                       "<code>kgenint seqlets</code>): the seqlet stage was not run.")
    motifs, role = _seqlet_motifs(c)
    src = c.source(*(r for r in (role, "seqlets_annotation") if r))
    if not motifs:
        return src + _notice(
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
    from ..plot import plot_motifs

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
    return src + body


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
    from ..motifs import get_motif
    from ..plot import plot_motif_pair

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


@_section(
    read=("Each panel is one test sequence; letter height is the attribution of the base actually present "
          "(up = pushes the prediction up, down = pushes it down). Shaded boxes mark the planted motif "
          "sites, labelled with the motif and its role (main: acts alone; and/xor/or/spacing/orientation/"
          "order: acts through an interaction; additive: independent control pair; decoy: no effect). One "
          "row per attribution method."),
    fix=("Good attributions have tall letters inside the shaded boxes of main-effect and satisfied "
         "interaction motifs, and little elsewhere. Flat tracks: the model is weak or the method saturates "
         "(compare methods). Tall letters on decoys: the model uses a spurious feature."),
)
def _sec_tracks(c: _Ctx) -> str:
    e = c.results.get("examples")
    if not e or "x" not in e:
        where = ("in <code>results.h5</code>" if c.stage is None else
                 "(no finished file of <code>kgenint attribute</code> in the directory)")
        return _notice(f"No example attributions {where}: the attribution "
                       "stage was not run or the data have no planted truth.")
    methods = [m for m in (c.results.get("config") or {}).get("methods", []) if m in e]
    methods += [k for k in e if k not in methods and k not in ("x", "index", "sites")]
    if not methods:
        return _notice("No attribution method in the examples.")
    from ..plot import plot_attribution_track

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
    return body


@_section(
    read=("For every attribution method (rows) and motif role (columns): the AUROC with which the per-base "
          "attribution separates bases inside planted sites of that role from all other bases (0.5 = no "
          "better than chance, 1 = perfect). Main-effect motifs are usually found by every method; motifs "
          "that act only through an interaction (and, xor, spacing ...) are where methods differ."),
    fix=("A whole row near 0.5: the model (or this method) did not pick up the planted motifs; check model "
         "quality. Interaction roles much lower than main effects: expected for gradient-type methods; use "
         "DeepSHAP or integrated gradients, and rely on the interaction scans below for these motifs. A "
         "decoy column well above 0.5 means the model uses motifs that have no effect in the truth."),
)
def _sec_roles(c: _Ctx) -> str:
    t = c.tables.get("role_auroc")
    if t is None or len(t) == 0:
        return _notice("No method × role table: attributions or planted truth are missing.")
    tab = t.set_index("method") if "method" in t.columns else t
    from ..evaluate import plot_role_table

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
    return body
