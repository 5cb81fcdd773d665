"""Tests of kgenint.motifs.compare (TOMTOM-like motif comparison).

The kernel is checked against the brute-force numpy twin in naive_compare.py (alignment sums,
binning, medians, p-values of both scoring modes), the p-value model against a Monte-Carlo
simulation of TOMTOM's null, and the whole method against memelite's TOMTOM on JASPAR.
"""
from __future__ import annotations

import io
import math
import pathlib
import sys

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import naive_compare as naive  # noqa: E402
from kgenint.errors import InputError  # noqa: E402
from kgenint.motifs.compare import (  # noqa: E402
    TOMTOM_COLUMNS,
    _run,
    align,
    annotate,
    compare,
    write_tomtom_tsv,
)
from kgenint.motifs.motif import Motif  # noqa: E402


# ------------------------------------------------------------------------------------ fixtures
def _jaspar() -> list[Motif]:
    try:
        from kgenint.motifs.database import load_default

        db = load_default()
        if len(db) == 879:
            return db
    except Exception:  # database module not available: build it from pyjaspar
        pass
    from pyjaspar import jaspardb

    jdb = jaspardb(release="JASPAR2024")
    ms = jdb.fetch_motifs(collection="CORE", tax_group=["vertebrates"], all_versions=False)
    out = []
    for m in ms:
        c = np.array([m.counts[b] for b in "ACGT"], dtype=float).T
        out.append(Motif(name=m.matrix_id, alt_name=m.name, pwm=c / c.sum(1, keepdims=True)))
    return out


@pytest.fixture(scope="module")
def jaspar() -> list[Motif]:
    return _jaspar()


@pytest.fixture(scope="module")
def small_db(jaspar) -> list[Motif]:
    """24 JASPAR motifs spread over the database plus 4 random Dirichlet motifs."""
    rng = np.random.default_rng(7)
    db = [jaspar[i] for i in range(0, 879, 37)]
    for k, w in enumerate((5, 9, 12, 16)):
        db.append(Motif(name=f"rand{k}", pwm=rng.dirichlet(np.full(4, 0.5), size=w)))
    return db


def _queries(small_db) -> list[Motif]:
    rng = np.random.default_rng(11)
    return [
        small_db[3],
        small_db[10].reverse_complement().copy(name="rc10"),
        Motif(name="noise", pwm=rng.dirichlet(np.full(4, 2.0), size=7)),
        small_db[5].trim(0.8) if small_db[5].trim(0.8).width >= 3 else small_db[5],
    ]


# ------------------------------------------------------------------------ kernel vs numpy twin
@pytest.mark.parametrize("metric", ["pearson", "ed"])
def test_binned_table_matches_numpy(small_db, metric):
    from kgenint._kernels.compare import column_scores_kernel
    from kgenint.motifs.compare import _COMPLEMENT, _prepare_columns

    q = small_db[2].pwm
    fwd = [m.pwm for m in small_db]
    T = np.ascontiguousarray(_prepare_columns(fwd + [p[::-1][:, _COMPLEMENT] for p in fwd], metric).T)
    Z, lo, scale = column_scores_kernel(_prepare_columns([q], metric), 0, q.shape[0], T, 0 if metric == "pearson" else 1, 100)
    cols, _ = naive.target_columns(fwd)
    S = naive.score_table(q, cols, metric)
    np.testing.assert_array_equal(Z, naive.binned(S, metric, 100))
    assert (lo, scale) == pytest.approx((naive.metric_range(metric)[0], 100 / np.ptp(naive.metric_range(metric))))


@pytest.mark.parametrize("metric", ["pearson", "ed"])
@pytest.mark.parametrize("complete", [True, False])
@pytest.mark.parametrize("min_overlap", [1, 5])
def test_kernel_matches_numpy(small_db, metric, complete, min_overlap):
    qs = _queries(small_db)
    raw = _run(qs, small_db, metric, min_overlap, 100, complete)
    targets = [m.pwm for m in small_db]
    for qi, q in enumerate(qs):
        ref = naive.compare_pair_tables(q.pwm, targets, metric, min_overlap, 100, complete)
        np.testing.assert_array_equal(raw.z[qi], ref["z"], err_msg=f"query {q.name}")
        np.testing.assert_array_equal(raw.offset[qi], ref["offset"])
        np.testing.assert_array_equal(raw.overlap[qi], ref["overlap"])
        np.testing.assert_array_equal(raw.strand[qi], ref["strand"])
        np.testing.assert_allclose(raw.p[qi], ref["p"], rtol=1e-9, atol=1e-300)
        assert np.all(raw.overlap[qi] >= np.minimum(min_overlap, [t.shape[0] for t in targets]).clip(max=q.width))


def test_alignment_scores_match_brute_force(small_db):
    """The reported score is the unbinned summed similarity of the reported alignment."""
    qs = _queries(small_db)
    for metric in ("pearson", "ed"):
        for complete in (False, True):
            raw = _run(qs, small_db, metric, 1, 100, complete)
            for qi, q in enumerate(qs):
                ref = naive.compare_pair_tables(q.pwm, [m.pwm for m in small_db], metric, 1, 100, complete)
                for t in range(len(small_db)):
                    alls = naive.best_alignment_scores(q.pwm, small_db[t].pwm, metric)
                    o, s = int(raw.offset[qi, t]), int(raw.strand[qi, t])
                    expect = alls[(s, o)]
                    if complete:  # relative to the median bins' centres of the aligned columns
                        a = max(0, -o)
                        b = a + int(raw.overlap[qi, t]) - 1
                        lo, scale = raw.lo[qi], raw.scale[qi]
                        expect -= sum(lo + ref["medians"][i] / scale for i in range(a, b + 1))
                    assert raw.score[qi, t] == pytest.approx(expect, abs=1e-9)


# ------------------------------------------------------------------------ p-value null model
def test_range_null_dp_matches_monte_carlo(small_db):
    """The DP survival function of a sum of query columns vs sampling random target columns."""
    q = small_db[6].pwm[:6]
    ref = naive.compare_pair_tables(q, [m.pwm for m in small_db], "pearson", 1, 100, True)
    Z = ref["Z"]
    sums = naive.monte_carlo_range_sums(Z, 1, 4, 40000, seed=5)
    pmf = naive.range_pmf(Z, 1, 4, 100)
    assert pmf.sum() == pytest.approx(1.0)
    for x in np.quantile(sums, [0.1, 0.5, 0.9, 0.99, 0.999]).astype(int):
        p_dp = naive.survival(pmf, int(x))
        p_emp = np.mean(sums >= x)
        assert abs(p_emp - p_dp) <= 4 * math.sqrt(p_dp * (1 - p_dp) / sums.size) + 1e-12


def test_pvalue_model_matches_monte_carlo(small_db):
    """TOMTOM's null: random target columns drawn from the database columns.

    With every alignment drawing its own columns (the independence TOMTOM's formula assumes)
    the empirical tail of the best complete score over all offsets and both strands agrees
    with ``1 - prod_o (1 - P(S_o >= x))^2`` within 4 binomial standard errors. (For a real
    random motif, whose offsets share columns, the formula is an approximation: a few
    percent off at the median for this query.)
    """
    q = small_db[6].pwm[:6]
    ref = naive.compare_pair_tables(q, [m.pwm for m in small_db], "pearson", 1, 100, True)
    Z, med = ref["Z"], ref["medians"]
    wt, n = 7, 20000
    best = naive.monte_carlo_max_scores(Z, med, wt, 1, n, seed=3)
    for x in np.quantile(best, [0.5, 0.9, 0.99]).astype(int):
        p_model = naive.max_score_survival(Z, med, wt, 1, int(x), 100)
        p_emp = np.mean(best >= x)
        se = math.sqrt(p_model * (1 - p_model) / n)
        assert abs(p_emp - p_model) <= 4 * se + 1e-12, (x, p_emp, p_model)


def test_pvalue_of_kernel_is_model_survival(small_db):
    """The kernel's per-target p-value is the model survival at the target's best score."""
    q = Motif(name="q", pwm=small_db[6].pwm[:6])
    raw = _run([q], small_db, "pearson", 1, 100, True)
    ref = naive.compare_pair_tables(q.pwm, [m.pwm for m in small_db], "pearson", 1, 100, True)
    for t in (0, 5, 9):
        p = naive.max_score_survival(ref["Z"], ref["medians"], small_db[t].width, 1, int(raw.z[0, t]), 100)
        assert raw.p[0, t] == pytest.approx(p, rel=1e-9)


# ------------------------------------------------------------------------ table semantics
def test_evalue_qvalue_and_sorting(small_db):
    qs = _queries(small_db)[:2]
    table = compare(qs, small_db)
    assert len(table) == len(qs) * len(small_db)
    for qi, sub in table.groupby("query"):
        assert np.all(np.diff(sub["p_value"].to_numpy()) >= 0)
        np.testing.assert_allclose(sub["e_value"], sub["p_value"] * len(small_db))
        np.testing.assert_allclose(sub["q_value"], naive.bh(sub["p_value"].to_numpy()), rtol=1e-12)
    best = compare(qs, small_db, best_only=True)
    assert list(best["query"]) == [0, 1]
    assert list(best["target_id"]) == [small_db[3].name, small_db[10].name]
    assert list(best["orientation"]) == ["+", "-"]
    full_best = table.groupby("query").head(1).reset_index(drop=True)
    for col in ("target", "p_value", "q_value", "e_value", "optimal_offset", "score"):
        np.testing.assert_allclose(best[col].to_numpy(float), full_best[col].to_numpy(float), rtol=1e-12)
    thr = compare(qs, small_db, evalue_threshold=1e-3)
    assert (thr["e_value"] <= 1e-3).all() and len(thr) >= 2
    assert (compare(qs, small_db, alpha=0.01)["q_value"] <= 0.01).all()


def test_reverse_complement_query(jaspar):
    m = jaspar[123]
    fwd = compare(m, jaspar, best_only=True).iloc[0]
    rev = compare(m.reverse_complement().copy(name="rc"), jaspar, best_only=True).iloc[0]
    assert fwd["target"] == rev["target"] == 123
    assert fwd["orientation"] == "+" and rev["orientation"] == "-"
    assert rev["optimal_offset"] == fwd["optimal_offset"] == 0
    assert rev["p_value"] == pytest.approx(fwd["p_value"], rel=1e-9)
    rc_cons = "".join("ACGT"[i] for i in np.argmax(m.reverse_complement().pwm, axis=1))
    assert rev["target_consensus"] == rc_cons


def test_every_jaspar_motif_best_matches_itself(jaspar):
    best = compare(jaspar, jaspar, best_only=True)
    assert len(best) == len(jaspar)
    wrong = best[best["query"] != best["target"]]
    assert wrong.empty, wrong[["query_id", "target_id", "p_value"]].head()
    assert (best["overlap"] == [m.width for m in jaspar]).all()
    assert (best["optimal_offset"] == 0).all()


def test_same_best_match_as_memelite(jaspar):
    """memelite's tomtom (Euclidean distance, complete scores), exact target columns.

    Conventions agree (offset = target column - query column of an aligned pair, relative
    to the oriented target; strand 1 = reverse complement). Differences: memelite breaks a
    tie between strands towards the reverse complement, we towards '+'; between targets
    with equal p-values it keeps the lowest index, we the higher unbinned score. So the test
    is: our best target has memelite's smallest p-value for that query.
    """
    memelite = pytest.importorskip("memelite")
    P = [np.ascontiguousarray(m.pwm.T) for m in jaspar]
    p_mm, _, off_mm, ov_mm, st_mm = memelite.tomtom(P, P, n_target_bins=None)
    best = compare(jaspar, jaspar, metric="ed", best_only=True)
    ours = best["target"].to_numpy()
    mm = np.argmin(p_mm, axis=1)
    rows = np.arange(len(jaspar))
    ok = p_mm[rows, ours] <= p_mm[rows, mm] * (1 + 1e-9)
    assert ok.all(), best[~ok][["query_id", "target_id"]]
    # same offset and overlap convention: compare the best alignments found on the same strand
    strand = (best["orientation"] == "-").to_numpy()
    same = strand == st_mm[rows, ours]
    assert same.mean() > 0.95
    np.testing.assert_array_equal(best["optimal_offset"].to_numpy()[same], off_mm[rows, ours][same])
    np.testing.assert_array_equal(best["overlap"].to_numpy()[same], ov_mm[rows, ours][same])


def test_results_do_not_depend_on_thread_count(small_db):
    import numba

    qs = _queries(small_db)
    n0 = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = _run(qs, small_db, "pearson", 1, 100, True)
        numba.set_num_threads(n0)
        b = _run(qs, small_db, "pearson", 1, 100, True)
    finally:
        numba.set_num_threads(n0)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


# ------------------------------------------------------------------------ annotate / align / TSV
def test_annotate_one_row_per_motif(small_db):
    rng = np.random.default_rng(0)
    noise = Motif(name="flat", pwm=rng.dirichlet(np.full(4, 50.0), size=6))
    table = annotate([small_db[3], noise, small_db[7]], small_db, alpha=0.01)
    assert list(table["query"]) == [0, 1, 2]
    assert list(table["query_id"]) == [small_db[3].name, "flat", small_db[7].name]
    assert table.loc[0, "target_id"] == small_db[3].name
    assert table.loc[1, "target_id"] == "" and table.loc[1, "target"] == -1
    assert np.isnan(table.loc[1, "p_value"]) and pd.isna(table.loc[1, "overlap"])
    assert table.loc[0, "overlap"] == small_db[3].width and table["overlap"].dtype == "Int64"
    assert table.loc[2, "target"] == 7
    text = write_tomtom_tsv(table, None)  # rows without a match are not written
    assert len(pd.read_csv(io.StringIO(text), sep="\t", comment="#")) == 2


def test_align_frames():
    q = Motif.from_consensus("ACGT")
    t = Motif.from_consensus("TTACGTAA")
    a = align(q, t, 2)
    assert (a.query_start, a.target_start, a.width, a.overlap) == (2, 0, 8, 4)
    np.testing.assert_array_equal(a.query_matrix[2:6], q.pwm)
    np.testing.assert_array_equal(a.target_matrix, t.pwm)
    b = align(q, t, -2, "-")
    assert (b.query_start, b.target_start, b.width, b.overlap) == (0, 2, 10, 2)
    np.testing.assert_array_equal(b.target_matrix[2:], t.reverse_complement().pwm)
    # the reported best alignment reproduces the aligned columns
    row = compare(q, [t] + [Motif.from_consensus(s) for s in ("GGGG", "CCAT", "TATA")] * 5).iloc[0]
    al = align(q, t, int(row["optimal_offset"]), row["orientation"])
    cols = np.flatnonzero(al.query_matrix.sum(1) * al.target_matrix.sum(1))
    np.testing.assert_array_equal(al.query_matrix[cols], al.target_matrix[cols])


def test_tomtom_tsv_format(small_db, tmp_path):
    table = compare(_queries(small_db)[:2], small_db, evalue_threshold=10)
    path = tmp_path / "tomtom.tsv"
    text = write_tomtom_tsv(table, path, command_line="kgenint compare --query q.meme")
    assert path.read_text() == text
    lines = text.split("\n")
    assert lines[0] == "\t".join(TOMTOM_COLUMNS)
    assert lines[0].split("\t") == "Query_ID Target_ID Optimal_offset p-value E-value q-value Overlap Query_consensus Target_consensus Orientation".split()
    body = lines[1:1 + len(table)]
    assert all(len(x.split("\t")) == 10 for x in body)
    assert lines[1 + len(table)] == ""
    assert lines[2 + len(table)].startswith("# kgenint compare") and "Version" in lines[2 + len(table)]
    assert lines[-2] == "# kgenint compare --query q.meme" and lines[-1] == ""
    back = pd.read_csv(io.StringIO(text), sep="\t", comment="#")
    assert list(back.columns) == list(TOMTOM_COLUMNS) and len(back) == len(table)
    np.testing.assert_allclose(back["p-value"], table["p_value"], rtol=1e-5)
    assert list(back["Orientation"]) == list(table["orientation"])
    assert (back["Optimal_offset"].to_numpy() == table["optimal_offset"].to_numpy()).all()
    buf = io.StringIO()
    write_tomtom_tsv(table.head(1), buf)
    assert buf.getvalue().count("\n") == 6  # header, 1 match, blank, 3 comment lines


# ------------------------------------------------------------------------ bad input
def test_bad_input(small_db):
    m = small_db[0]
    with pytest.raises(InputError, match="empty"):
        compare([], small_db)
    with pytest.raises(InputError, match="empty"):
        compare(m, [])
    bad = np.full((5, 4), 0.25)
    bad[2, 1] = np.nan
    with pytest.raises(InputError, match="non-finite"):
        compare([bad], small_db)
    with pytest.raises(InputError, match="non-finite"):
        compare(m, [m.pwm, bad])
    with pytest.raises(InputError, match="Unknown column similarity metric 'kl'"):
        compare(m, small_db, metric="kl")
    with pytest.raises(InputError, match="min_overlap must be an integer >= 1"):
        compare(m, small_db, min_overlap=0)
    with pytest.raises(InputError, match="bins"):
        compare(m, small_db, bins=1)
    with pytest.raises(InputError, match="evalue_threshold"):
        compare(m, small_db, evalue_threshold=-1)
    with pytest.raises(InputError, match="read_meme"):
        compare("motifs.meme", small_db)
    with pytest.raises(InputError, match="4 columns"):
        compare([np.ones((4, 5)) / 4], small_db)
    with pytest.raises(InputError, match="best match"):
        annotate(m, small_db, best_only=True)
    with pytest.raises(InputError, match="do not overlap"):
        align(m, m, m.width)
    with pytest.raises(InputError, match="orientation"):
        align(m, m, 0, "x")
    with pytest.raises(InputError, match="missing columns"):
        write_tomtom_tsv(pd.DataFrame({"a": [1]}), None)


# ------------------------------------------------------------------------ command line
def test_cli_compare(small_db, tmp_path, capsys):
    io_mod = pytest.importorskip("kgenint.motifs.io")
    from kgenint.cli import main

    q = tmp_path / "q.meme"
    db = tmp_path / "db.meme"
    io_mod.write_meme(_queries(small_db)[:2], q)
    io_mod.write_meme(small_db, db)
    rc = main(["compare", "--query", str(q), "--target", str(db), "--thresh", "0.05", "-q"])
    out = capsys.readouterr().out
    assert rc == 0
    assert out.startswith("\t".join(TOMTOM_COLUMNS) + "\n")
    back = pd.read_csv(io.StringIO(out), sep="\t", comment="#")
    assert (back["q-value"] <= 0.05).all() and len(back) >= 2
    assert "# kgenint compare --query" in out
    expect = compare(_queries(small_db)[:2], small_db, alpha=0.05)
    assert list(back["Target_ID"]) == list(expect["target_id"])
    out_path = tmp_path / "m.tsv"
    assert main(["compare", "--query", str(q), "--target", str(db), "--dist", "ed", "--evalue",
                 "--thresh", "10", "--best", "-o", str(out_path), "-q"]) == 0
    assert len(pd.read_csv(out_path, sep="\t", comment="#")) == 2
    # data errors: exit code 1 with a one-line message
    assert main(["compare", "--query", str(q), "--target", str(db), "--thresh", "2", "-q"]) == 1
    assert "--thresh" in capsys.readouterr().err
    assert main(["compare", "--query", str(tmp_path / "missing.meme"), "-q"]) == 1


@pytest.mark.parametrize("complete", [True, False])
def test_edge_cases_match_numpy(complete):
    """Width-1 motifs, uniform (constant) columns, min_overlap above the widths, few bins."""
    rng = np.random.default_rng(3)
    targets = [rng.dirichlet(np.ones(4), size=w) for w in (1, 2, 3, 6, 6, 8)]
    targets.append(np.full((4, 4), 0.25))
    queries = [rng.dirichlet(np.ones(4), size=1), np.full((2, 4), 0.25), rng.dirichlet(np.ones(4), size=9)]
    for metric in ("pearson", "ed"):
        for mo, bins in ((1, 100), (4, 7)):
            raw = _run([Motif(name=f"q{i}", pwm=q) for i, q in enumerate(queries)],
                       [Motif(name=f"t{i}", pwm=t) for i, t in enumerate(targets)], metric, mo, bins, complete)
            for qi, q in enumerate(queries):
                ref = naive.compare_pair_tables(q, targets, metric, mo, bins, complete)
                np.testing.assert_array_equal(raw.z[qi], ref["z"])
                np.testing.assert_array_equal(raw.offset[qi], ref["offset"])
                np.testing.assert_array_equal(raw.strand[qi], ref["strand"])
                np.testing.assert_allclose(raw.p[qi], ref["p"], rtol=1e-9, atol=1e-300)
