"""``kgenint report`` on a directory written by the stage commands (file names of the user's
choosing, no results.h5): discovery by content, the summary computed from the stage files, and
each section naming its source file.

The stage directory is built once (module fixture, about 30 s on 2 busy cores) with the real
commands at tiny sizes: ``simulate`` (planted truth), ``train`` (1 epoch), ``attribute``
(deepshap + saliency, into a sub-directory), ``seqlets`` and ``compare`` (on synthetic attribution
maps with planted SPI1 / CTCF sites, so that motifs are found), ``interactions`` and ``cooccur``
(with the planted motifs), plus an older copy of the metrics, a foreign HDF5 file, a corrupt one
and the partial file of an interrupted run.
"""
from __future__ import annotations

import io
import json
import os
import re
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from kgenint.cli import main


def cli(argv: list[str]) -> int:
    try:
        return main(argv)
    finally:
        os.environ.pop("TQDM_DISABLE", None)


def _section(page: str, name: str) -> str:
    return page.split(f'<section id="{name}">')[1].split("</section>")[0]


def _rows(html_table: str) -> list[list[str]]:
    """The cells of each ``<tr>`` of an HTML fragment (tags stripped)."""
    out = []
    for tr in re.findall(r"<tr>(.*?)</tr>", html_table, flags=re.S):
        out.append([re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[dh]>(.*?)</t[dh]>", tr, flags=re.S)])
    return out


@pytest.fixture(scope="module")
def stagedir(tmp_path_factory):
    import h5py

    from kgenint.motifs import get_motif, write_meme
    from kgenint.seqlets._testing import make_attributions
    from kgenint.simulate import load_truth

    d = tmp_path_factory.mktemp("stagedir")
    sim = str(d / "sim.h5")
    assert cli(["simulate", "--n", "600", "--out", sim, "--seed", "1", "-q"]) == 0
    truth = load_truth(sim)
    write_meme(truth.motifs, d / "planted.meme")
    assert cli(["train", "--data", sim, "--out", str(d / "net.keras"), "--epochs", "1", "--n-filters", "8",
                "-q"]) == 0
    (d / "expl").mkdir()
    for method in ("deepshap", "saliency"):
        assert cli(["attribute", "--model", str(d / "net.keras"), "--data", sim, "--split", "test", "--max-seqs", "24",
                    "--method", method, "--n-shuffles", "2", "--out", str(d / "expl" / f"run_{method}.h5"), "-q"]) == 0
    # seqlets from synthetic maps with planted JASPAR motifs (a 1-epoch model finds none)
    planted = make_attributions(300, 150, [get_motif("SPI1").pwm, get_motif("CTCF").pwm], sites_per_seq=1.2, seed=1)
    with h5py.File(d / "maps.h5", "w") as f:
        f["onehot"] = planted.onehot
        f["contributions"] = planted.contributions
        f["hypothetical"] = planted.hypothetical
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert cli(["seqlets", "--attributions", str(d / "maps.h5"), "--out", str(d / "found.h5"),
                    "--meme", str(d / "learned.meme"), "-q"]) == 0
    assert cli(["compare", "--query", str(d / "learned.meme"), "-o", str(d / "learned_vs_jaspar.tsv"), "-q"]) == 0
    assert cli(["interactions", "--model", str(d / "net.keras"), "--motifs", str(d / "planted.meme"), "--data", sim,
                "--n-backgrounds", "2", "--distances", "0:20:5", "--out", str(d / "pairs.h5"),
                "--table", str(d / "pairs_top.tsv"), "-q"]) == 0
    assert cli(["interactions", "--method", "anova", "--model", str(d / "net.keras"), "--motifs",
                str(d / "planted.meme"), "--data", sim, "--n-backgrounds", "2", "--distances", "10,20",
                "--out", str(d / "anova_pairs.h5"), "--table", str(d / "anova_top.tsv"), "-q"]) == 0
    assert cli(["cooccur", "--motifs", str(d / "planted.meme"), "--data", sim, "--max-distance", "50",
                "--bin-size", "5", "--out", str(d / "co.h5"), "--table", str(d / "co_top.tsv"), "-q"]) == 0
    # an older metrics file of another run: not used (the newest wins), listed as such
    met = json.loads((d / "net.metrics.json").read_text())
    (d / "old_run.metrics.json").write_text(json.dumps({**met, "auroc": 0.123456}))
    old = time.time() - 86400
    os.utime(d / "old_run.metrics.json", (old, old))
    # a foreign HDF5 file and a corrupt one
    with h5py.File(d / "notes.h5", "w") as f:
        f["whatever"] = np.arange(5)
    (d / "broken.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"not really" * 10)
    (d / "expl" / "run_ism.h5.partial").write_bytes(b"an interrupted kgenint attribute run")
    return d


@pytest.fixture(scope="module")
def page(stagedir) -> str:
    assert cli(["report", str(stagedir), "-q"]) == 0
    return (stagedir / "report.html").read_text(encoding="utf-8")


def test_every_section_no_crash_no_results_written(stagedir, page):
    for s in ("overview", "model", "filters", "seqlets", "tracks", "roles", "insilico", "cooccurrence", "truth"):
        assert f'<section id="{s}">' in page
    assert "could not be drawn" not in page
    assert not (stagedir / "results.h5").exists(), "the report must not write results.h5 into a user's directory"
    assert (stagedir / "figures" / "interaction_heatmap.png").exists()


def test_files_used_and_not_used(page):
    ov = _section(page, "overview")
    used = ov.split("<h3>Files used</h3>")[1].split("<h3>Files not used</h3>")[0]
    files = {r[0]: r[1] for r in _rows(used)[1:]}
    assert files == {
        "sim.h5": "data set", "net.metrics.json": "model test metrics (kgenint train)",
        "found.h5": "seqlet motifs (kgenint seqlets)", "learned.meme": "seqlet motifs, MEME (kgenint seqlets --meme)",
        "learned_vs_jaspar.tsv": "seqlet motif annotation (kgenint compare)",
        "expl/run_deepshap.h5": "attributions (kgenint attribute)",
        "expl/run_saliency.h5": "attributions (kgenint attribute)",
        "pairs.h5": "in-silico interaction scan (kgenint interactions)",
        "co.h5": "co-occurrence scan (kgenint cooccur)",
        "anova_pairs.h5": "anova pair table (kgenint interactions --method anova)",
        "planted.meme": "your motifs (input of scan / interactions / cooccur)",
    }
    unused = {r[0]: r[1] for r in _rows(ov.split("<h3>Files not used</h3>")[1])[1:]}
    assert unused["old_run.metrics.json"].startswith("older than net.metrics.json")
    assert "not a readable HDF5 file" in unused["broken.h5"]
    assert "does not know" in unused["notes.h5"] and "does not know" in unused["maps.h5"]
    assert "not a motif annotation" in unused["pairs_top.tsv"]
    assert "unfinished run" in unused["expl/run_ism.h5.partial"]


def test_model_section_from_the_newest_metrics(stagedir, page):
    from kgenint.report import _fmt

    met = json.loads((stagedir / "net.metrics.json").read_text())
    sec = _section(page, "model")
    assert "From <code>net.metrics.json</code>" in sec and "old_run.metrics.json" in sec
    kv = {r[0]: r[1] for r in _rows(sec) if len(r) == 2}
    assert kv["test AUROC"] == _fmt(met["auroc"]) and kv["test AUPRC"] == _fmt(met["auprc"])
    assert kv["test sequences"] == str(met["n"]) and kv["architecture"] == "local"
    assert "0.123" not in sec
    assert "Training curves:" in sec and (stagedir / "figures" / "training_curves.png").exists()


def test_seqlet_section_uses_the_compare_table(stagedir, page):
    sec = _section(page, "seqlets")
    assert "From <code>found.h5</code>, <code>learned_vs_jaspar.tsv</code>" in sec
    # independent reading of the TOMTOM TSV: best (smallest q, then p) target per query
    t = pd.read_csv(stagedir / "learned_vs_jaspar.tsv", sep="\t", comment="#")
    best = t.sort_values(["q-value", "p-value"], kind="mergesort").drop_duplicates("Query_ID").set_index("Query_ID")
    rows = {r[0]: r for r in _rows(sec) if r and r[0].startswith(("pos_patterns", "neg_patterns"))}
    assert rows, "no seqlet motif row"
    for q, r in best.iterrows():
        assert rows[q][3] == r["Target_ID"], (q, rows[q])
    assert {"SPI1", "Spi1", "CTCF"} & {r[4] for r in rows.values()}, rows
    assert "Best-matching discovered motif" in sec


def test_interaction_section_top_pair(stagedir, page):
    from kgenint.interactions.insilico import load

    sec = _section(page, "insilico")
    assert "From <code>pairs.h5</code>" in sec
    scan = load(stagedir / "pairs.h5")
    # brute force: per unordered pair, Simes over every cell of both ordered blocks, BH over pairs
    # (scipy), the top pair is the smallest q, ties broken by the largest lower bound of |effect| above the
    # cell's margin
    from scipy.stats import false_discovery_control

    lcb = np.maximum(scan.ci_low, -scan.ci_high) - np.maximum(scan.margin, scan.reference_bound)[..., None]
    K = len(scan.motif_names)
    keys, ps, bounds = [], [], []
    for a in range(K):
        for b in range(a, K):
            cells = np.concatenate([scan.p[a, b].ravel(), scan.p[b, a].ravel()] if a != b else [scan.p[a, b].ravel()])
            cells = np.sort(cells[np.isfinite(cells)])
            ps.append(min(1.0, float(np.min(cells * cells.size / np.arange(1, cells.size + 1)))))
            bl = np.concatenate([lcb[a, b].ravel(), lcb[b, a].ravel()])
            bounds.append(np.nanmax(bl))
            keys.append({scan.motif_names[a], scan.motif_names[b]})
    q = false_discovery_control(np.array(ps))
    order = sorted(range(len(keys)), key=lambda i: (q[i], -bounds[i]))
    top = keys[order[0]]
    table = _rows(sec.split("<h3>Strongest pairs</h3>")[1])
    assert table[0][:2] == ["motif_a", "motif_b"]
    assert set(table[1][:2]) == top


def test_detector_section_scores_each_pair_table(stagedir, page):
    from kgenint.evaluate import score_interactions
    from kgenint.evaluate.detectors import scoring_view
    from kgenint.interactions.pair_table import check_pair_table, load
    from kgenint.simulate import load_truth

    sec = _section(page, "detectors")
    assert "From <code>anova_pairs.h5</code>" in sec and "<h3>anova:" in sec
    tab = load(stagedir / "anova_pairs.h5")
    check_pair_table(tab)
    n_called = int((tab["q_value"] < 0.05).sum())
    assert f"anova: {n_called} of {len(tab)} pairs with q &lt; 0.05" in sec
    ref = score_interactions(scoring_view(tab), load_truth(stagedir / "sim.h5"))
    rows = _rows(sec.split("<h3>Against the planted truth</h3>")[1])
    assert rows[0][:2] == ["method", "pair_auroc"] and rows[1][0] == "anova"
    assert float(rows[1][1]) == pytest.approx(ref["pair_auroc"], abs=6e-3)


def test_cooccurrence_and_truth_sections(stagedir, page):
    import h5py

    from kgenint.evaluate import score_interactions
    from kgenint.interactions.insilico import load
    from kgenint.report import _fmt
    from kgenint.simulate import load_truth

    sec = _section(page, "cooccurrence")
    assert "From <code>co.h5</code>" in sec
    with h5py.File(stagedir / "sim.h5") as f:
        y = f["y"]["class"][:, 0]
    assert f"{int((y == 1).sum())} sequences in group 1 and {int((y == 0).sum())} in group 2" in sec
    truth_sec = _section(page, "truth")
    assert "From <code>sim.h5</code>, <code>pairs.h5</code>, <code>co.h5</code>" in truth_sec
    scan = load(stagedir / "pairs.h5")
    s = score_interactions(scan.pairs(), load_truth(stagedir / "sim.h5"), motif_names=scan.motif_names)
    ins = truth_sec.split("<h3>In-silico interaction scan</h3>")[1].split("<h3>")[0]
    kv = {r[0]: r[1] for r in _rows(ins) if len(r) == 2}
    assert kv["pair AUROC"] == _fmt(s["pair_auroc"])
    assert len(_rows(ins.split("</table>", 1)[1])) - 1 == len(s["table"])


def test_attribution_sections(stagedir, page):
    from kgenint.attribution import load_attributions

    for name in ("tracks", "roles"):
        sec = _section(page, name)
        assert "From <code>expl/run_deepshap.h5</code>, <code>expl/run_saliency.h5</code>, <code>sim.h5</code>" in sec
    roles = _section(page, "roles")
    assert "<td>deepshap</td>" in roles and "<td>saliency</td>" in roles
    from kgenint.simulate import load_truth

    idx = load_attributions(stagedir / "expl" / "run_deepshap.h5")["index"]
    drawn = [int(i) for i in dict.fromkeys(re.findall(r"Sequence (\d+): attributions by method",
                                                      _section(page, "tracks")))]
    assert len(drawn) == 4 and set(drawn) <= set(idx.tolist())
    # the examples are the analysed sequences with the most satisfied planted interaction rules
    satisfied = (load_truth(stagedir / "sim.h5").states == 3).sum(axis=1)
    assert sorted(satisfied[drawn], reverse=True) == sorted(satisfied[idx], reverse=True)[:4]
    assert all((stagedir / "figures" / f"attribution_seq{i}.png").exists() for i in drawn)
    assert "the filter stage was not run" in _section(page, "filters")


# ---------------------------------------------------------------------------- small pieces
def test_empty_directory_exit_1_lists_what_is_looked_for(tmp_path, capsys):
    assert cli(["report", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    for want in ("has no results.h5", "kgenint demo", ".metrics.json", "kgenint compare", "*.meme", "*.h5"):
        assert want in err, want
    assert not (tmp_path / "report.html").exists()


def test_only_unusable_files_exit_1_names_them(tmp_path, capsys):
    import h5py

    with h5py.File(tmp_path / "mine.h5", "w") as f:
        f["a"] = np.zeros(3)
    (tmp_path / "bad.h5").write_bytes(b"garbage")
    (tmp_path / "known.meme").write_text("MEME version 5\n\nALPHABET= ACGT\n\nMOTIF M1\nletter-probability matrix:\n"
                                         "1 0 0 0\n0 1 0 0\n")
    assert cli(["report", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "mine.h5" in err and "bad.h5" in err and "known.meme: your own motifs" in err


def test_meme_and_annotation_classification(tmp_path):
    from kgenint._stagefiles import discover
    from kgenint.motifs import Motif, write_meme

    pwm = np.array([[0.7, 0.1, 0.1, 0.1], [0.1, 0.7, 0.1, 0.1], [0.1, 0.1, 0.1, 0.7]])
    write_meme([Motif(name=f"pos_patterns.pattern_{i}", pwm=pwm) for i in range(2)], tmp_path / "a.meme")
    write_meme([Motif(name=f"conv1d_f{i}", pwm=pwm) for i in range(3)], tmp_path / "b.meme")
    write_meme([Motif(name="MA0080.6", pwm=pwm)], tmp_path / "c.meme")
    write_meme([Motif(name="X", pwm=pwm)], tmp_path / "my_filters.meme")
    head = "Query_ID\tTarget_ID\tOptimal_offset\tp-value\tE-value\tq-value\tOverlap\tQuery_consensus\t" \
           "Target_consensus\tOrientation\n"
    (tmp_path / "f.tsv").write_text(head + "conv1d_f1\tMA0080.6\t0\t1e-3\t0.5\t0.01\t3\tACT\tACT\t+\n")
    (tmp_path / "s.tsv").write_text(head + "pos_patterns.pattern_0\tMA0080.6\t0\t1e-3\t0.5\t0.01\t3\tACT\tACT\t+\n")
    old = time.time() - 3600
    os.utime(tmp_path / "my_filters.meme", (old, old))
    st = discover(tmp_path)
    roles = {f.path.name: r for r, f in st.chosen.items()}
    assert roles == {"a.meme": "seqlets_meme", "b.meme": "filters_meme", "f.tsv": "filters_annotation",
                     "s.tsv": "seqlets_annotation"}
    assert [f.path.name for f in st.motif_files] == ["c.meme"]
    # filter motifs by their file name too; older than b.meme, so not used
    (u,) = st.unused
    assert u.path.name == "my_filters.meme" and u.role == "filters_meme" and "older than b.meme" in u.why_unused


def test_read_annotation_tomtom_best_match_and_tf_name(tmp_path):
    from kgenint._stagefiles import read_annotation
    from kgenint.motifs import load_default

    db = load_default()
    t1, t2 = db[0], db[1]
    text = ("Query_ID\tTarget_ID\tOptimal_offset\tp-value\tE-value\tq-value\tOverlap\tQuery_consensus\t"
            "Target_consensus\tOrientation\n"
            f"Q1\t{t1.name}\t0\t1e-3\t0.8\t0.3\t5\tACGTA\tACGTA\t+\n"
            f"Q1\t{t2.name}\t-1\t1e-6\t0.001\t0.002\t5\tACGTA\tCGTAC\t-\n"
            f"Q2\t{t1.name}\t2\t1e-4\t0.09\t0.04\t4\tTTTT\tACGTA\t+\n"
            "\n# kgenint compare ...\n# command line\n")
    (tmp_path / "m.tsv").write_text(text)
    a = read_annotation(tmp_path / "m.tsv")
    assert list(a["query_id"]) == ["Q1", "Q2"]
    r = a.set_index("query_id")
    assert r.loc["Q1", "target_id"] == t2.name and r.loc["Q1", "q_value"] == pytest.approx(0.002)
    assert r.loc["Q1", "orientation"] == "-" and int(r.loc["Q1", "optimal_offset"]) == -1
    assert r.loc["Q1", "target_alt_id"] == (t2.alt_name or "")
    assert r.loc["Q2", "target_id"] == t1.name
    # annotate() columns (what kgenint demo writes) are read unchanged
    df = pd.DataFrame({"query": [0], "query_id": ["f0"], "target_id": ["MA1"], "target_alt_id": ["TF"],
                       "q_value": [0.01]})
    buf = io.StringIO()
    df.to_csv(buf, sep="\t", index=False)
    (tmp_path / "ann.tsv").write_text(buf.getvalue())
    pd.testing.assert_frame_equal(read_annotation(tmp_path / "ann.tsv"), df)


def test_feature_pair_table_section_says_what_units_represent(tmp_path):
    import json

    from kgenint.interactions.pair_table import finish_pair_table, save

    df = finish_pair_table([{"motif_a": "SPI1", "motif_b": "RUNX1", "effect": 1.5, "p_value": 1e-6},
                            {"motif_a": "SPI1", "motif_b": "CTCF", "effect": 0.1, "p_value": 0.4}], "features")
    save(df, tmp_path / "units.h5", meta={"method": "features", "layer": "pool1",
                                          "unit_motifs": json.dumps(["SPI1", None, "RUNX1", "SPI1"])})
    assert cli(["report", str(tmp_path), "-q"]) == 0
    sec = _section((tmp_path / "report.html").read_text(encoding="utf-8"), "detectors")
    assert "layer <code>pool1</code>: 3 of 4 units stand for a motif: RUNX1 (1), SPI1 (2)" in sec
    assert "features: 1 of 2 pairs with q &lt; 0.05" in sec
