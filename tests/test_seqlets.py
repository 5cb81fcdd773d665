"""Tests of kgenint.seqlets: callers, kernels against numpy references, discovery on synthetic
attribution maps with planted motifs, provenance, the modisco HDF5 layout, the CLI, bad input."""
from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import naive_seqlets as naive  # noqa: E402

from kgenint.errors import FormatError, InputError  # noqa: E402
from kgenint.seqlets import (  # noqa: E402
    LaplaceSeqletCaller,
    RecursiveSeqletCaller,
    SeqletClusterer,
    SeqletSimilarity,
    SeqletWindows,
    discover,
    load_attributions,
    load_hdf5,
    read_modisco_motifs,
    similarity_matrix,
)
from kgenint.seqlets._testing import consensus_pwm, make_attributions  # noqa: E402
from kgenint.seqlets.calling import fdr_threshold, laplace_null, window_sums  # noqa: E402

PWMS = [consensus_pwm("TGACTCAT"), consensus_pwm("GATAAGGC"), consensus_pwm("CCACGCGTAA")]
SIGNS = [1, 1, -1]


def _corr_best(ppm, pwm, min_overlap=6):
    best = -1.0
    w = ppm.shape[0]
    for q in (pwm, pwm[::-1, ::-1]):
        for off in range(-w + min_overlap, q.shape[0] - min_overlap + 1):
            i0, i1 = max(0, -off), min(w, q.shape[0] - off)
            if i1 - i0 >= min_overlap:
                best = max(best, np.corrcoef(ppm[i0:i1].ravel(), q[i0 + off:i1 + off].ravel())[0, 1])
    return best


@pytest.fixture(scope="module")
def planted():
    return make_attributions(400, 200, PWMS, signs=SIGNS, sites_per_seq=1.2, seed=3)


@pytest.fixture(scope="module")
def result(planted):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return discover(planted.onehot, planted.contributions, planted.hypothetical, seed=0)


# ---------------------------------------------------------------- calling
def test_window_sums_match_reference():
    t = np.random.default_rng(0).normal(size=(3, 30))
    np.testing.assert_allclose(window_sums(t, 7), naive.window_sums(t, 7), atol=1e-10)


def test_laplace_null_recovers_parameters():
    rng = np.random.default_rng(1)
    v = 0.3 + np.where(rng.random(200_000) < 0.5, rng.exponential(2.0, 200_000), -rng.exponential(0.5, 200_000))
    mu, bp, bn, fp = laplace_null(v)
    assert abs(mu - 0.3) < 0.05
    # the median splits the two sides: each side's median excess is that of its exponential
    # beyond the median, close to the true scales here
    assert 1.5 < bp < 2.5 and 0.3 < bn < 0.7
    ref = naive.laplace_fit(v[:5000])
    got = laplace_null(v[:5000])
    np.testing.assert_allclose(got, ref, rtol=1e-9)


def test_fdr_threshold_matches_reference():
    rng = np.random.default_rng(2)
    v = np.concatenate([rng.laplace(0, 1, 3000), rng.normal(9, 1, 60)])
    mu, bp, _, fp = naive.laplace_fit(v)
    for fdr in (0.001, 0.01, 0.05, 0.2):
        got = fdr_threshold(v, mu, bp, fp, fdr, v.size)
        assert got == naive.fdr_threshold(v, mu, bp, fp, fdr, v.size)
        assert math.isfinite(got) == (fdr >= 0.05)
    assert fdr_threshold(rng.laplace(0, 1, 500), 0.0, 1.0, 0.5, 1e-9, 500) == math.inf


def test_caller_thresholds_match_numpy_reference(planted):
    res = LaplaceSeqletCaller(window=15, fdr=0.05, max_passing_frac=1.0).call(planted.contributions)
    th = res.thresholds
    s = naive.window_sums(planted.contributions.sum(axis=2)[:60], 15)
    # reference on the whole data, computed with the slow functions
    s_all = window_sums(planted.contributions.sum(axis=2), 15)
    mu, bp, bn, fp = naive.laplace_fit(s_all)
    assert th.mu == pytest.approx(mu) and th.scale_pos == pytest.approx(bp) and th.scale_neg == pytest.approx(bn)
    assert th.pos == pytest.approx(naive.fdr_threshold(s_all, mu, bp, fp, 0.05, s_all.size))
    assert th.neg == pytest.approx(-naive.fdr_threshold(-s_all, -mu, bn, 1 - fp, 0.05, s_all.size))
    assert th.n_pos_windows == int((s_all >= th.pos).sum())
    assert np.allclose(s, s_all[:60])
    assert "FDR 0.05" in str(th) and th.to_dict()["pos"] == th.pos


def test_seqlets_do_not_overlap_and_cap_keeps_best(planted):
    full = LaplaceSeqletCaller().call(planted.contributions).seqlets
    for t in (full,):
        for i in np.unique(t["seq"]):
            r = np.sort(t["start"][t["seq"] == i])
            assert np.all(np.diff(r) >= 21), "seqlet cores overlap"
    cap = 25
    capped = LaplaceSeqletCaller(max_seqlets=cap).call(planted.contributions)
    assert capped.thresholds.capped
    for sign in (1, -1):
        got = np.sort(np.abs(capped.seqlets["score"][capped.seqlets["sign"] == sign]))[::-1]
        want = np.sort(np.abs(full["score"][full["sign"] == sign]))[::-1][:cap]
        np.testing.assert_allclose(got, want)


def test_greedy_selection_matches_reference():
    from kgenint.seqlets.calling import _select

    rng = np.random.default_rng(4)
    rows = rng.integers(0, 3, 60)
    starts = rng.integers(0, 80, 60)
    ends = starts + rng.integers(3, 15, 60)
    scores = rng.normal(size=60)
    t = _select(rows, starts, ends, scores, 3, 100, 2)
    keep = naive.greedy_nonoverlap(rows, starts, ends, scores, 2)
    got = sorted(zip(t["seq"], t["start"], t["end"]))
    want = sorted(zip(rows[keep], starts[keep], ends[keep]))
    assert got == want


def test_recursive_caller_requires_significant_subspans():
    rng = np.random.default_rng(5)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (200, 120))]
    c = rng.normal(0, 0.05, x.shape).astype(np.float32) * x
    c[:100, 50:58] += x[:100, 50:58] * 1.0  # a strong, uniform block: every sub-span significant
    # a block whose total is large but whose first half is strongly negative
    c[100:, 50:54] -= x[100:, 50:54] * 0.9
    c[100:, 54:62] += x[100:, 54:62] * 1.6
    res = RecursiveSeqletCaller(window=15, min_length=3).call(c)
    t = res.seqlets
    pos = t[t["sign"] == 1]
    assert set(pos["seq"][pos["seq"] < 100]) == set(range(100))
    # uniform block sequences: seqlets centred on the block
    centres = (pos["start"] + pos["end"])[pos["seq"] < 100] / 2
    assert np.all(np.abs(centres - 54) <= 2)
    assert res.thresholds.method == "recursive" and len(res.thresholds.per_length) == 13


# ---------------------------------------------------------------- similarity kernels
def _random_windows(n=12, w=9, f=3, seed=0):
    rng = np.random.default_rng(seed)
    e = w + 2 * f
    bases = rng.integers(0, 4, (n, e))
    oh = np.eye(4, dtype=np.float32)[bases]
    hyp = rng.normal(size=(n, e, 4)).astype(np.float32)
    from kgenint.seqlets.similarity import _rc, normalised_tracks

    feat = normalised_tracks(hyp * oh, hyp, f)
    return SeqletWindows(oh, hyp * oh, hyp, feat, _rc(feat), w, f)


def test_pair_similarity_matches_bruteforce():
    win = _random_windows()
    f, w = win.flank, win.window
    got = similarity_matrix(win)
    from kgenint._kernels.seqlets import pair_similarity

    pi, pj = np.array([0, 3, 5, 7], dtype=np.int64), np.array([1, 3, 2, 11], dtype=np.int64)
    sim, off, st = pair_similarity(win.features, win.features_rc, f, pi, pj)
    for t, (a, b) in enumerate(zip(pi, pj)):
        ref = naive.best_similarity(win.features[a, f:f + w], win.features[b], f)
        assert sim[t] == pytest.approx(ref[0], abs=1e-5)
        assert (off[t], st[t]) == (ref[1], ref[2])
        assert got[a, b] == pytest.approx(ref[0], abs=1e-5)
    assert np.allclose(np.diag(got), 1.0, atol=1e-5)


def test_similarity_finds_reverse_complement_and_shift():
    win = _random_windows(n=2)
    f, w = win.flank, win.window
    feat = win.features.copy()
    # window 1 = reverse complement of window 0 shifted by 2 positions
    rc = naive.revcomp8(feat[0])
    feat[1] = 0
    feat[1, 2:] = rc[:-2]
    from kgenint._kernels.seqlets import align_to_template
    from kgenint.seqlets.similarity import _rc

    sim, off, st = align_to_template(np.ascontiguousarray(feat[0, f:f + w]), feat, _rc(feat), f)
    assert sim[0] == pytest.approx(1.0) and (off[0], st[0]) == (f, 0)
    assert sim[1] == pytest.approx(1.0, abs=1e-5) and st[1] == 1


def test_pair_similarity_independent_of_thread_count():
    import numba

    from kgenint._kernels.seqlets import pair_similarity

    win = _random_windows(n=40, seed=3)
    pi, pj = np.meshgrid(np.arange(40), np.arange(40))
    args = (win.features, win.features_rc, win.flank, pi.ravel().astype(np.int64), pj.ravel().astype(np.int64))
    n0 = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = pair_similarity(*args)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        b = pair_similarity(*args)
    finally:
        numba.set_num_threads(n0)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_gapped_kmer_features_match_reference_and_are_strand_free():
    from kgenint._kernels.seqlets import gapped_kmer_features

    rng = np.random.default_rng(6)
    bases = rng.integers(-1, 4, (5, 15)).astype(np.int8)
    wts = rng.normal(size=(5, 15)).astype(np.float32)
    got = gapped_kmer_features(bases, wts, 2)
    np.testing.assert_allclose(got, naive.gapped_kmer_features(bases, wts, 2), rtol=1e-5, atol=1e-6)
    rcb = np.where(bases >= 0, 3 - bases, -1)[:, ::-1].astype(np.int8)
    np.testing.assert_allclose(gapped_kmer_features(np.ascontiguousarray(rcb), np.ascontiguousarray(wts[:, ::-1]), 2), got, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- discovery
def test_each_planted_motif_is_one_cluster(planted, result):
    assert len(result.motifs) == len(PWMS)
    matched = []
    for m in result.motifs:
        corr = [_corr_best(m.pwm, p) for p in PWMS]
        k = int(np.argmax(corr))
        assert corr[k] > 0.9, f"{m} matches no planted motif ({corr})"
        assert m.metadata["sign"] == SIGNS[k]
        matched.append(k)
        assert m.cwm.shape == m.pwm.shape == m.hcwm.shape
        assert m.metadata["n_seqlets"] == m.nsites >= 20
    assert sorted(matched) == list(range(len(PWMS))), "a planted motif is split or missing"
    n_sites = np.bincount(planted.sites["motif"], minlength=3)
    for m, k in zip(result.motifs, matched):
        assert m.metadata["n_seqlets"] >= 0.7 * n_sites[k]
    assert set(result.timings) >= {"calling", "similarity", "clustering", "aggregation", "total"}


def test_provenance_sites_are_planted_sites(planted, result):
    truth = {}
    for s in planted.sites:
        truth.setdefault(int(s["seq"]), []).append(s)
    for ci, m in enumerate(result.motifs):
        sites = m.metadata["sites"]
        assert len(sites) == m.metadata["n_seqlets"]
        rows = m.metadata["seqlet_index"]
        assert np.all(result.seqlets["cluster"][rows] == ci)
        good = 0
        for s in sites:
            ok = any(t["start"] < s["end"] and s["start"] < t["end"] for t in truth.get(int(s["seq"]), []))
            good += ok
            assert s["end"] - s["start"] == m.width
        assert good >= 0.97 * len(sites), f"{m.name}: only {good}/{len(sites)} sites at planted motifs"
        # strand: the motif read off each site in its strand reproduces the motif's PPM
        oh = planted.onehot
        cut = np.stack([oh[s["seq"], s["start"]:s["end"]] if s["strand"] == "+" else
                        oh[s["seq"], s["start"]:s["end"]][::-1, ::-1] for s in sites
                        if 0 <= s["start"] and s["end"] <= oh.shape[1]])
        ppm = cut.mean(axis=0)
        assert np.corrcoef(ppm.ravel(), m.pwm.ravel())[0, 1] > 0.95


def test_reverse_complement_copies_merge():
    d = make_attributions(300, 150, [consensus_pwm("TGACTCAT")], sites_per_seq=1.0, rc_frac=0.5, seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a couple of negative noise seqlets: too few to cluster
        res = discover(d.onehot, d.contributions, d.hypothetical)
    assert len(res.motifs) == 1
    strands = res.motifs[0].metadata["sites"]["strand"]
    assert 0.3 < np.mean(strands == "-") < 0.7


def test_pure_noise_invents_no_motif():
    d = make_attributions(300, 200, [], seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = discover(d.onehot, d.contributions, d.hypothetical)
    assert res.motifs == []
    assert res.thresholds.n_pos + res.thresholds.n_neg < 20


def test_spiky_noise_gives_no_single_base_motifs():
    # infinite-variance noise: isolated one-position spikes pass the caller and cluster by base,
    # but a one-position "motif" is dropped (min_width)
    rng = np.random.default_rng(12)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (1500, 200))]
    h = (0.05 * rng.standard_t(1.5, x.shape)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = discover(x, h * x, h)
    assert res.motifs == []
    assert res.thresholds.n_pos > 20 and res.stats["pos"]["dropped_narrow"] >= 1
    assert np.all(res.seqlets["cluster"] == -1)


def test_recursive_caller_pipeline(planted):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = discover(planted.onehot, planted.contributions, planted.hypothetical, caller="recursive")
    got = sorted(int(np.argmax([_corr_best(m.pwm, p) for p in PWMS])) for m in res.motifs)
    assert got == [0, 1, 2]


def test_step_objects_compose(planted):
    called = LaplaceSeqletCaller().call(planted.contributions)
    rows = np.flatnonzero(called.seqlets["sign"] == 1)
    win = SeqletWindows.from_arrays(planted.onehot, planted.contributions, planted.hypothetical,
                                    called.seqlets[rows], 21, 10)
    g = SeqletSimilarity(n_neighbors=10).graph(win)
    assert g.i.size == g.j.size == g.sim.size and np.all(g.i < g.j)
    cr = SeqletClusterer().fit(win, g)
    assert cr.labels.max() == 1  # the two positive motifs


def test_annotation_with_compare(result):
    compare = pytest.importorskip("kgenint.motifs.compare")
    from kgenint.motifs.motif import Motif

    db = [Motif(name=f"planted{k}", pwm=p) for k, p in enumerate(PWMS)]
    rng = np.random.default_rng(9)
    for k in range(60):  # decoys so that q-values mean something
        p = rng.dirichlet(np.ones(4) * 0.5, size=int(rng.integers(6, 14)))
        db.append(Motif(name=f"decoy{k}", pwm=p))
    table = compare.annotate(result.motifs, database=db)
    assert len(table) == len(result.motifs)
    assert all(str(t).startswith("planted") for t in table["target_id"])
    assert np.all(table["q_value"].to_numpy() < 0.05)


# ---------------------------------------------------------------- files
def test_hdf5_layout_readable_by_modisco(result, tmp_path):
    h5py = pytest.importorskip("h5py")
    path = tmp_path / "motifs.h5"
    result.save(path)
    with h5py.File(path, "r") as f:
        assert f.attrs["window_size"] == 200
        assert set(f) == {"pos_patterns", "neg_patterns", "kgenint"}
        g = f["pos_patterns/pattern_0"]
        e = g["sequence"].shape[0]
        n = int(g["seqlets/n_seqlets"][0])
        assert g["seqlets/sequence"].shape == (n, e, 4)
        assert np.allclose(g["sequence"][:].sum(axis=1), 1)
        assert np.all(g["seqlets/end"][:] - g["seqlets/start"][:] == e)
    back = load_hdf5(path)
    assert [m.name for m in back.motifs] == [m.name for m in result.motifs]
    assert np.array_equal(back.seqlets, result.seqlets)
    for a, b in zip(back.motifs, result.motifs):
        np.testing.assert_allclose(a.pwm, b.pwm)
        assert np.array_equal(a.metadata["sites"], b.metadata["sites"])
    mm = read_modisco_motifs(path)
    assert len(mm) == len(result.motifs)
    modisco_io = pytest.importorskip("modiscolite.io")
    from modiscolite import util

    meme = tmp_path / "m.meme"
    modisco_io.write_meme_from_h5(str(path), util.MemeDataType.PFM, str(meme), True)
    assert meme.read_text().count("MOTIF") == len(result.motifs)
    # modisco's report renders logos with matplotlib (slow): give it one pattern of each sign
    import dataclasses

    report = pytest.importorskip("modiscolite.report")
    keep = [0, len(result.patterns) - 1]
    small = dataclasses.replace(result, patterns=[result.patterns[i] for i in keep],
                                motifs=[result.motifs[i] for i in keep])
    path2 = tmp_path / "two.h5"
    small.save(path2)
    out = tmp_path / "report"
    report.report_motifs(str(path2), str(out), img_path_suffix="./", meme_motif_db=None,
                         is_writing_tomtom_matrix=False)
    html = (out / "motifs.html").read_text()
    assert "pos_patterns.pattern_0" in html and "neg_patterns.pattern_0" in html
    assert (out / "trimmed_logos" / "neg_patterns.pattern_0.cwm.fwd.png").exists()


def test_cli_npz_and_npy_inputs(planted, tmp_path):
    from kgenint.cli import main

    npz = tmp_path / "attr.npz"
    np.savez(npz, onehot=planted.onehot, hypothetical=planted.hypothetical)
    out = tmp_path / "out.h5"
    meme = tmp_path / "out.meme"
    tsv = tmp_path / "seqlets.tsv"
    assert main(["seqlets", "-q", "--attributions", str(npz), "--out", str(out), "--meme", str(meme),
                 "--tsv", str(tsv)]) == 0
    back = load_hdf5(out)
    assert len(back.motifs) == 3
    assert meme.read_text().count("MOTIF") == 3
    import pandas as pd

    df = pd.read_csv(tsv, sep="\t")
    assert len(df) == len(back.seqlets) and set(df["motif"].dropna()) == {m.name for m in back.motifs}
    assert "pos_patterns.pattern_0" in back.summary() and "FDR" in back.summary()
    np.save(tmp_path / "c.npy", planted.contributions)
    np.save(tmp_path / "x.npy", planted.onehot)
    x, c, h = load_attributions(tmp_path / "c.npy", tmp_path / "x.npy")
    assert h is None and np.array_equal(c, planted.contributions)
    x, c, h = load_attributions(npz)
    assert c is None and h is not None
    bad = tmp_path / "bad.npz"
    np.savez(bad, hypothetical=planted.hypothetical)
    assert main(["seqlets", "-q", "--attributions", str(bad), "--out", str(out)]) == 1
    with pytest.raises(FormatError, match="no one-hot sequences"):
        load_attributions(bad)
    import h5py

    h5 = tmp_path / "attr.h5"
    with h5py.File(h5, "w") as f:
        f.create_dataset("x", data=planted.onehot[:5])
        f.create_dataset("contributions", data=planted.contributions[:5])
    x, c, h = load_attributions(h5)
    assert x.shape == (5, 200, 4) and h is None and np.array_equal(c, planted.contributions[:5])
    with pytest.raises(InputError, match="kind"):
        load_attributions(h5, kind="scores")


# ---------------------------------------------------------------- bad input
def test_bad_input_messages(planted):
    x, c = planted.onehot, planted.contributions
    with pytest.raises(InputError, match="same shape"):
        discover(x, c[:, :100])
    with pytest.raises(InputError, match="all zero"):
        discover(x, np.zeros_like(c))
    bad = c.copy()
    bad[3, 17, 2] = np.nan
    with pytest.raises(InputError, match="sequence 3, position 17"):
        discover(x, bad)
    with pytest.raises(InputError, match="contributions or hypothetical"):
        discover(x)
    with pytest.raises(InputError, match="fdr"):
        discover(x, c, fdr=1.5)
    with pytest.raises(InputError, match="caller"):
        discover(x, c, caller="magic")
    with pytest.raises(InputError, match="window"):
        LaplaceSeqletCaller(window=500).call(c)
    with pytest.raises(InputError, match="min_cluster_size"):
        discover(x, c, min_cluster_size=1)
    with pytest.raises(InputError, match="non-finite"):
        LaplaceSeqletCaller().call(bad)
    with pytest.raises(InputError, match="one-hot"):
        discover(x * 2, c)


def test_too_few_seqlets_warns(planted):
    with pytest.warns(UserWarning, match="min_cluster_size"):
        res = discover(planted.onehot[:10], planted.contributions[:10], planted.hypothetical[:10])
    assert res.motifs == []


def test_load_hdf5_rejects_other_files(tmp_path):
    h5py = pytest.importorskip("h5py")
    p = tmp_path / "x.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("a", data=np.zeros(3))
    with pytest.raises(FormatError, match="not a kgenint seqlets results file"):
        load_hdf5(p)
    with pytest.raises(FormatError, match="not a tfmodisco results file"):
        read_modisco_motifs(p)


def test_aligned_coordinates_hand_computed():
    from kgenint.seqlets.aggregate import aligned_coordinates, trim_bounds

    # core at 100 on '+': shift +3 forward -> 103 '+'; shift +3 on the reverse complement -> 97 '-';
    # a '-' seqlet read forward-again by a flip moves right
    st, sd = aligned_coordinates(np.array([100, 100, 100, 100]), np.array(["+", "+", "-", "-"]),
                                 np.array([3, 3, 3, 3]), np.array([False, True, False, True]), 21)
    assert st.tolist() == [103, 97, 97, 103] and sd.tolist() == ["+", "-", "-", "+"]
    cwm = np.zeros((10, 4))
    cwm[3:7, 0] = [0.2, 1.0, 0.5, 0.31]
    assert trim_bounds(cwm, 0.3) == (4, 7)
    assert trim_bounds(cwm, 0.3, pad=2) == (2, 9)


def test_planted_jaspar_motifs_annotate_to_themselves():
    """Planted default-database motifs are recovered and named by TOMTOM-like comparison (q < 0.05)."""
    from kgenint.motifs import annotate, database

    db = database.load_default()
    planted_motifs = [database.get_motif(name, db) for name in ("CTCF", "GATA1", "YY1")]
    d = make_attributions(400, 200, [m.pwm for m in planted_motifs], signs=[1, 1, -1], sites_per_seq=1.2, seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = discover(d.onehot, d.contributions, d.hypothetical)
    assert len(res.motifs) == 3
    table = annotate(res.motifs, database=db)
    got = set(table["target_alt_id"].str.upper())
    assert {"CTCF", "GATA1"} <= got
    assert np.all(table["q_value"].to_numpy() < 0.05)
    # YY1 may be named by a near-identical paralog profile (ZFP42/REX1, YY2)
    yy = table.loc[table["query_id"].str.startswith("neg"), "target_alt_id"].iloc[0].upper()
    assert yy in {"YY1", "YY2", "ZFP42"}
