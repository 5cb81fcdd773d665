"""Report sections on the interaction scans and the scores against the planted truth."""
from __future__ import annotations

import logging
import math

import numpy as np

from ._context import _Ctx, _results_source
from ._figures import _new_figure
from ._html import _badge, _esc, _kv, _notice, _section, _table
from ._policy import GOALS, _rule_checks

log = logging.getLogger("kgenint")


@_section(
    read=("The model is asked directly: two motifs are planted into background sequences at every "
          "distance and orientation, and each motif is also replaced by a control insert (a shuffle of "
          "itself that matches no motif) at the same place. The interaction effect is "
          "f(A,B) − f(A,ctrl B) − f(ctrl A,B) + f(ctrl A,ctrl B) on the model's output scale (logits for "
          "sigmoid/softmax heads): what the two motifs do together beyond what any two inserts there do "
          "(0 = the motifs add up; red/positive = synergy; blue/negative = antagonism). The heatmap shows "
          "the reported cell of each motif pair (rows: motif A, columns: motif B; a dot: the pair is called, "
          "q &lt; 0.05). The curves show the effect against distance (A start to B start) per orientation, "
          "with 95% confidence bands, for the strongest pairs. <i>rel_effect</i> is the interaction as a "
          "fraction of the two motifs' own effects."),
    fix=("No dots at all: the model may be weak, or too few backgrounds were used (raise "
         "<code>--n-backgrounds</code>). Effects along a whole row or column come from one motif's main "
         "effect saturating the output, not a pair rule: compare <i>rel_effect</i> and the main effects. "
         "A pair whose strongest cell has the two motifs almost touching (a few bp between them) may "
         "reflect how the model reads a site's immediate flanks rather than a spacing rule; "
         "<code>kgenint interactions --min-gap 3</code> leaves such placements out, and "
         "<code>--margin X</code> asks only for interactions larger than X. "
         "A curve that stops at the largest distance may need a larger <code>--max-distance</code>."),
)
def _sec_insilico(c: _Ctx) -> str:
    if not c.has("scan"):
        return _notice("No <code>scan.h5</code> (or other scan file of <code>kgenint "
                       "interactions --out</code>): the in-silico interaction stage was not run "
                       "(<code>kgenint interactions</code>).")
    from ..interactions.scan_result import load
    from ..plot import plot_distance_curves, plot_interaction_heatmap

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
    return body


@_section(
    read=("Other detectors answer the same question in other ways (docs/interactions.md, README: "
          "which detector when): DFIM and dependency maps through attributions, block Hessians, "
          "ANOVA/Tukey statistics on the double-mutant grid, the hierarchical lasso on motif hits. "
          "Each table lists the pairs it ranks first; with planted truth each is scored like the "
          "in-silico scan (pair AUROC, precision and recall of its calls at q &lt; 0.05)."),
    fix=("Detectors other than the in-silico scan over-call on purely additive models (their q-values "
         "are best read as a ranking; benchmarks/RESULTS_detectors.md). Trust a pair that several "
         "detectors rank first, and check it in the in-silico scan's distance curves."),
)
def _sec_detectors(c: _Ctx) -> str:
    """Pair tables of the other interaction detectors (kgenint interactions --method ...)."""
    roles = sorted(r for r in c.files if r.startswith("pairs_") and c.has(r))
    if not roles:
        return _notice("No pair table of another detector (<code>kgenint interactions --method "
                       "dfim|dependency|hessian|anova|tukey|hierlasso --out FILE.h5</code>).")
    import pandas as pd

    from ..interactions.pair_table import load as load_pairs

    body = c.source(*roles)
    truth = None
    if c.has("data"):
        from ..simulate import load_truth

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
            from ..evaluate import score_interactions
            from ..evaluate.detectors import scoring_view

            try:
                r = score_interactions(scoring_view(tab), truth)
                scores.append({"method": method, **{k: r[k] for k in ("pair_auroc", "precision", "recall", "n_called")}})
            except Exception as err:  # noqa: BLE001 - a table that cannot be scored is still shown
                log.debug("report: cannot score %s: %s", method, err)
    if scores:
        body += "<h3>Against the planted truth</h3>" + _table(pd.DataFrame(scores))
    return body


@_section(
    read=("Without the model: motif hits are counted in the sequences, and each pair of motifs at each "
          "distance and orientation is tested for enrichment in positive (group 1) over negative (group 2) "
          "sequences with Fisher's exact test. The curves show the fraction of sequences of each group that "
          "carry the pair at each distance. This finds arrangements the data favour; the in-silico scan "
          "above finds what the model does with them."),
    fix=("Few hits (flat curves near 0): lower the scan stringency (<code>--thresh</code> of "
         "<code>kgenint cooccur</code>) or analyse more sequences. An enriched pair that the in-silico scan "
         "does not confirm may be a data correlation the model does not use (or two motifs with separate "
         "main effects)."),
)
def _sec_cooccurrence(c: _Ctx) -> str:
    if not c.has("cooccurrence"):
        return _notice("No <code>cooccurrence.h5</code> (or other file of <code>kgenint cooccur "
                       "--out</code>): the co-occurrence stage was not run "
                       "(<code>kgenint cooccur</code>).")
    from ..interactions.cooccurrence import CooccurrenceScan
    from ..plot import plot_cooccurrence_curves

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
    return body


@_section(
    read=("Only for simulated data, where the planted rules are known. For each scan: the pair AUROC (how "
          "well the scan ranks the truly interacting motif pairs above all other pairs; goal ≥ 0.95), and "
          "per planted rule whether it was called (q &lt; 0.05), whether the best distance lies within ±2 bp "
          "of a planted fixed spacing, whether the best orientation is the planted one, and that the "
          "additive control pair (two motifs that act independently) is <i>not</i> called."),
    fix=("Missed rules with a good model: raise <code>--n-backgrounds</code> (more statistical power) or "
         "<code>--max-distance</code> (the planted spacing may lie outside the scanned range). A called "
         "additive control means main effects leak into the interaction test (an output that saturates): "
         "scan logits rather than probabilities. Wrong spacing or orientation: check the curves above; a "
         "shifted optimum by a few bp can come from motif flanks the model also uses."),
)
def _sec_truth(c: _Ctx) -> str:
    rules = c.tables.get("truth_rules")
    if rules is None or len(rules) == 0:
        return _notice("No planted truth in the results (real data): nothing to score against.")
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
    return body
