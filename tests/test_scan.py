"""Tests of kgenint.motifs.scan: kernels vs numpy references, exact p-values vs enumeration of
all 4**W words, JASPAR exactness, memelite, FIMO TSV, q-values, CLI and bad input."""
from __future__ import annotations

import io
import sys
import pathlib

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import naive_scan as nv  # noqa: E402

from kgenint.errors import FormatError, InputError  # noqa: E402
from kgenint.motifs.motif import Motif  # noqa: E402
from kgenint.motifs.scan import (  # noqa: E402
    HIT_COLUMNS, MotifScanner, read_fimo_tsv, scan, write_fimo_tsv,
)

BG = np.array([0.3, 0.2, 0.2, 0.3])


def _random_motif(rng, w, name, bg=BG, alpha=0.4):
    return Motif(name=name, pwm=rng.dirichlet(np.full(4, alpha), size=w), bg_freqs=bg, alt_name=f"alt{name}")


def _all_scores(mat: np.ndarray) -> np.ndarray:
    """Scores of all 4**W words (word index = base-4 number, first column most significant),
    summed left to right like the kernels."""
    s = mat[0].copy()
    for i in range(1, mat.shape[0]):
        s = (s[:, None] + mat[i][None, :]).ravel()
    return s


def _all_probs(bg: np.ndarray, w: int) -> np.ndarray:
    p = bg.copy()
    for _ in range(1, w):
        p = (p[:, None] * bg[None, :]).ravel()
    return p


def _real_pvalues(lo, bg):
    s = _all_scores(lo)
    return s, nv.enumerated_pvalues(s, _all_probs(bg, lo.shape[0]), tie_tol=1e-9)


# --------------------------------------------------------------------------- DP vs enumeration
@pytest.mark.parametrize("w", [1, 3, 5, 8])
def test_dp_pvalues_equal_enumeration(w):
    rng = np.random.default_rng(w)
    m = _random_motif(rng, w, f"m{w}")
    sc = MotifScanner([m], threshold=0.5)
    for strand in ("+", "-"):
        ms = sc.strands_.index(strand)
        a = sc.int_matrices_[ms]
        s_int = _all_scores(a.astype(np.float64)).astype(np.int64)
        p_enum = nv.enumerated_pvalues(s_int.astype(float), _all_probs(BG, w))
        p_dp = sc.pvalue_int(0, s_int, strand=strand)
        np.testing.assert_allclose(p_dp, p_enum, rtol=1e-12, atol=0)
        # the integer threshold is the smallest integer score with p <= 0.5
        t = sc.thresholds_[ms]
        assert p_enum[s_int >= t].max() <= 0.5 + 1e-12
        assert (p_enum[s_int < t] > 0.5).all()


def test_pvalue_and_score_threshold_api():
    rng = np.random.default_rng(1)
    m = _random_motif(rng, 6, "m")
    sc = MotifScanner([m], threshold=1e-3)
    s_int = _all_scores(sc.int_matrices_[0].astype(float))
    p_enum = nv.enumerated_pvalues(s_int, _all_probs(BG, 6))
    np.testing.assert_allclose(sc.pvalue(0, s_int / sc.resolution), p_enum, rtol=1e-12)
    t = sc.score_threshold(0, 1e-2)
    assert p_enum[s_int >= t * sc.resolution - 1e-6].max() <= 1e-2
    assert p_enum[s_int < t * sc.resolution - 1e-6].min() > 1e-2
    assert sc.score_threshold(0, 1e-30) == float("inf")
    with pytest.raises(InputError, match="motif_index"):
        sc.pvalue(3, 1.0)
    with pytest.raises(InputError, match="strand"):
        sc.pvalue(0, 1.0, strand="x")
    with pytest.raises(InputError, match=r"\(0, 1\]"):
        sc.score_threshold(0, 0.0)


# --------------------------------------------------------------------------- kernels vs naive
def test_scan_scores_and_hits_vs_bruteforce():
    rng = np.random.default_rng(7)
    motifs = [_random_motif(rng, w, f"m{w}") for w in (1, 4, 6, 7, 9, 13)]
    x = nv.random_onehot(rng, 5, 60, n_frac=0.03, p=BG)
    x[2, :3] = 0.0  # Ns at the edges
    x[3, -2:] = 0.25
    # threshold 1: every N-free window of every motif and strand is a hit
    sc = MotifScanner(motifs, threshold=1.0)
    hits = sc.scan(x, progress=False)
    for k, m in enumerate(motifs):
        for si, strand in enumerate("+-"):
            lo = sc.log_odds_[2 * k + si]
            ref = nv.window_float_scores(x, lo)
            h = hits[(hits.motif == k) & (hits.strand == strand)]
            got = np.full(ref.shape, np.nan)
            got[h.seq.to_numpy(), h.start.to_numpy()] = h.score.to_numpy()
            np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
            np.testing.assert_allclose(got[~np.isnan(ref)], ref[~np.isnan(ref)], rtol=0, atol=1e-9)
    assert (hits.end - hits.start == np.array([m.width for m in motifs])[hits.motif]).all()
    # matched sequence is the site read on its strand
    letters = np.array(list("ACGT"))
    for row in hits.sample(50, random_state=0).itertuples():
        site = "".join(letters[x[row.seq, row.start:row.end].argmax(-1)])
        assert row.matched_sequence == (site if row.strand == "+" else nv.rc_string(site))


@pytest.mark.parametrize("thr", [1e-2, 1e-3])
def test_hits_equal_real_valued_enumeration(thr):
    """Hits and p-values equal those from enumerating all 4**W words with real scores."""
    rng = np.random.default_rng(11)
    motifs = [_random_motif(rng, w, f"m{w}") for w in (4, 5, 6, 7, 8)]
    x = nv.random_onehot(rng, 20, 300, n_frac=0.01, p=BG)
    sc = MotifScanner(motifs, threshold=thr)
    hits = sc.scan(x, progress=False)
    idx = x.argmax(-1)
    valid = x.max(-1) == 1
    for k, m in enumerate(motifs):
        w = m.width
        for si, strand in enumerate("+-"):
            lo = sc.log_odds_[2 * k + si]
            s_all, p_all = _real_pvalues(lo, BG)
            expect = {}
            for i in range(x.shape[0]):
                for s in range(x.shape[1] - w + 1):
                    if valid[i, s:s + w].all():
                        code = int(np.dot(idx[i, s:s + w], 4 ** np.arange(w - 1, -1, -1)))
                        if p_all[code] <= thr * (1 + 1e-12):
                            expect[(i, s)] = p_all[code]
            h = hits[(hits.motif == k) & (hits.strand == strand)]
            got = dict(zip(zip(h.seq, h.start), h.p_value))
            assert set(got) == set(expect), (m.name, strand)
            for key, p in expect.items():
                assert got[key] == pytest.approx(p, rel=1e-12)
            assert sc.exact_[2 * k + si]


def test_chunking_and_input_forms_agree():
    rng = np.random.default_rng(3)
    motifs = [_random_motif(rng, w, f"m{w}") for w in (5, 8, 12)]
    x = nv.random_onehot(rng, 7, 500, n_frac=0.02, p=BG)
    ref = scan(x, motifs, threshold=1e-2, progress=False)
    assert len(ref) > 20
    small = scan(x, motifs, threshold=1e-2, chunk_size=700, progress=False)
    pd.testing.assert_frame_equal(ref, small)
    letters = np.array(list("ACGTN"))
    codes = np.where(x.sum(-1) == 1, x.argmax(-1), 4)
    text = ["".join(letters[c]) for c in codes]
    pd.testing.assert_frame_equal(ref, scan(text, motifs, threshold=1e-2, progress=False))
    pd.testing.assert_frame_equal(ref, scan(list(x), motifs, threshold=1e-2, progress=False))
    # a long sequence spanning several tiles equals the concatenation of its pieces' windows
    long = nv.random_onehot(rng, 1, 140_000, p=BG)
    h = scan(long, motifs[:1], threshold=1e-3, progress=False)
    sc = MotifScanner(motifs[:1], threshold=1e-3)
    # compare with brute force integer scores on the whole sequence
    a = sc.int_matrices_[0]
    idx = long[0].argmax(-1)
    win = np.lib.stride_tricks.sliding_window_view(idx, a.shape[0])
    ints = a[np.arange(a.shape[0]), win].sum(1)
    cand = np.flatnonzero(ints >= sc._scan_thresh[0])
    lo = sc.log_odds_[0]
    real = np.array([sum(lo[j, idx[c + j]] for j in range(a.shape[0])) for c in cand])
    exp = set(cand[real >= sc.real_thresholds_[0]].tolist())
    assert exp == set(h[h.strand == "+"].start.tolist())


def test_hits_sorted_and_columns():
    rng = np.random.default_rng(5)
    motifs = [_random_motif(rng, 6, "a"), _random_motif(rng, 7, "b")]
    x = nv.random_onehot(rng, 3, 400, p=BG)
    h = scan(x, motifs, threshold=1e-2, seq_names=["s1", "s2", "s3"], progress=False)
    assert list(h.columns) == HIT_COLUMNS
    assert h.q_value.isna().all()
    key = list(zip(h.motif, h.seq, h.start, h.strand))
    assert key == sorted(key)
    assert set(h.sequence_name) <= {"s1", "s2", "s3"}
    assert set(h.motif_alt_id) == {"alta", "altb"}
    capped = pytest.warns(UserWarning, match="max_hits")
    with capped:
        h2 = scan(x, motifs, threshold=1e-2, max_hits=5, progress=False)
    assert len(h2) == 5 and h2.p_value.max() <= np.sort(h.p_value)[4]


# --------------------------------------------------------------------------- JASPAR exactness
def _jaspar_check(motifs, thr):
    sc = MotifScanner(motifs, threshold=thr)
    bad = []
    for k, m in enumerate(motifs):
        for si in range(2):
            ms = 2 * k + si
            lo = sc.log_odds_[ms]
            s_real, p_real = _real_pvalues(lo, m.bg_freqs)
            hit_real = p_real <= thr * (1 + 1e-12)
            hit_ours = s_real >= sc.real_thresholds_[ms]
            # the integer prefilter of the kernel never drops a real hit
            s_int = _all_scores(sc.int_matrices_[ms].astype(float))
            assert (s_int[hit_ours] >= sc._scan_thresh[ms]).all()
            if not sc.exact_[ms] or (hit_real != hit_ours).any():
                bad.append((m.name, si))
    return bad


HARD = {"MA0002.3", "MA0092.2", "MA0465.3", "MA0760.2", "MA0792.1", "MA0814.3", "MA0905.2",
        "MA1144.2", "MA1475.2", "MA1517.2", "MA1562.2", "MA1565.2", "MA1641.2"}


@pytest.mark.parametrize("thr", [1e-4, 1e-3])
def test_jaspar_short_motifs_exact(thr):
    """Every JASPAR 2024 motif of width <= 8 (at 1e-4), and the motifs of width <= 9 where a
    1000-steps-per-bit integer score alone ranks words differently at 1e-4 or 1e-3 (found by
    enumerating all 461; the full check is the slow test below), are exact."""
    ms = nv.jaspar_motifs(max_width=9)
    if not ms:
        pytest.skip("no JASPAR database available")
    sel = [m for m in ms if (m.width <= 8 and thr == 1e-4) or m.name in HARD]
    assert _jaspar_check(sel, thr) == []


@pytest.mark.slow
def test_jaspar_all_width9_exact():
    ms = nv.jaspar_motifs(max_width=9)
    if not ms:
        pytest.skip("no JASPAR database available")
    assert _jaspar_check(ms, 1e-4) == []
    assert _jaspar_check(ms, 1e-3) == []


def test_scan_all_words_count_equals_exact_count():
    """Scanning every 9-mer as a sequence finds exactly the enumerated number of hits."""
    ms = [m for m in nv.jaspar_motifs(max_width=9) if m.name in ("MA1562.2", "MA0092.2")]
    if not ms:
        pytest.skip("no JASPAR database available")
    for m in ms:
        w = m.width
        words = np.arange(4**w)[:, None] // (4 ** np.arange(w - 1, -1, -1))[None, :] % 4
        x = np.eye(4, dtype=np.float32)[words]
        for thr in (1e-4, 1e-3):
            h = scan(x, [m], threshold=thr, both_strands=False, progress=False)
            lo = m.log_odds(0.1)
            _, p_real = _real_pvalues(lo, m.bg_freqs)
            expect = np.flatnonzero(p_real <= thr * (1 + 1e-12))
            assert sorted(h.seq.tolist()) == expect.tolist()
            np.testing.assert_allclose(h.sort_values("seq").p_value, p_real[expect], rtol=1e-12)


# --------------------------------------------------------------------------- memelite
def test_against_memelite():
    """Same hits as memelite's fimo, except where its binned p-values are wrong (shown by
    enumeration); the matrices are made identical first."""
    fimo = pytest.importorskip("memelite.fimo").fimo
    jm = [m for m in nv.jaspar_motifs(max_width=9) if m.name in ("MA1562.2", "MA0092.2", "MA0002.3", "MA0814.3")]
    if not jm:
        pytest.skip("no JASPAR database available")
    rng = np.random.default_rng(0)
    x = nv.random_onehot(rng, 20, 5000)
    thr = 1e-3
    ours = scan(x, jm, threshold=thr, progress=False)
    eps = 1e-4
    n_diff = 0
    for k, m in enumerate(jm):
        lo = m.log_odds(0.1)
        pwm = 0.25 * 2.0 ** lo - eps  # memelite takes log2(pwm + eps) - log2(0.25)
        hm = fimo({m.name: pwm.T}, x.transpose(0, 2, 1), threshold=thr)[0]
        theirs = set(zip(hm["sequence_name"], hm["start"], hm["strand"]))
        o = ours[ours.motif == k]
        mine = set(zip(o.seq, o.start, o.strand))
        # exact real p-value of any window by enumeration
        idx = x.argmax(-1)
        p_by = {}
        for strand, mat in (("+", lo), ("-", lo[::-1, ::-1])):
            _, p_real = _real_pvalues(mat, m.bg_freqs)
            p_by[strand] = p_real
        w = m.width

        def p_exact(i, s, strand):
            code = int(np.dot(idx[i, s:s + w], 4 ** np.arange(w - 1, -1, -1)))
            return p_by[strand][code]

        for key in mine - theirs:
            assert p_exact(*key) <= thr * (1 + 1e-12)  # we are right to report it
        for key in theirs - mine:
            assert p_exact(*key) > thr  # memelite should not have
        n_diff += len(mine ^ theirs)
        assert len(mine & theirs) > 0.8 * max(len(mine), 1)


# --------------------------------------------------------------------------- q-values
def test_qvalues_match_scipy_bh():
    from scipy.stats import false_discovery_control

    rng = np.random.default_rng(2)
    motifs = [_random_motif(rng, 6, "a"), _random_motif(rng, 9, "b")]
    x = nv.random_onehot(rng, 4, 200, n_frac=0.02, p=BG)
    h = scan(x, motifs, threshold=1.0, qvalues=True, progress=False)
    for k in range(2):
        sub = h[h.motif == k]
        np.testing.assert_allclose(sub.q_value, false_discovery_control(sub.p_value.to_numpy()), rtol=1e-12)
    # at a threshold, q-values use all tested windows (FIMO): hand BH
    h2 = scan(x, motifs, threshold=0.05, qvalues=True, progress=False)
    for k, m in enumerate(motifs):
        sub = h2[h2.motif == k]
        m_tests = 2 * sum(1 for i in range(4) for s in range(200 - m.width + 1)
                          if (x[i, s:s + m.width].max(-1) == 1).all())
        p = np.sort(sub.p_value.to_numpy())
        q = np.minimum.accumulate((p * m_tests / np.arange(1, p.size + 1))[::-1])[::-1]
        np.testing.assert_allclose(np.sort(sub.q_value.to_numpy()), np.minimum(q, 1), rtol=1e-12)


# --------------------------------------------------------------------------- FIMO TSV
def test_fimo_tsv_round_trip(tmp_path):
    rng = np.random.default_rng(4)
    motifs = [_random_motif(rng, 6, "a"), _random_motif(rng, 8, "b")]
    x = nv.random_onehot(rng, 3, 300, p=BG)
    h = scan(x, motifs, threshold=1e-2, qvalues=True, progress=False)
    path = tmp_path / "fimo.tsv"
    write_fimo_tsv(h, path, command_line="kgenint scan --motifs m.meme --fasta s.fa")
    lines = path.read_text().splitlines()
    assert lines[0].split("\t") == ["motif_id", "motif_alt_id", "sequence_name", "start", "stop", "strand",
                                    "score", "p-value", "q-value", "matched_sequence"]
    assert lines[-4] == "" and lines[-3].startswith("# ") and lines[-1] == "# kgenint scan --motifs m.meme --fasta s.fa"
    first = lines[1].split("\t")
    row = h.iloc[int(np.argmin(h.p_value.to_numpy()))]
    assert first[3] == str(row.start + 1) and first[4] == str(row.end)
    assert first[7] == f"{row.p_value:.3g}" and first[6] == f"{row.score:g}"
    back = read_fimo_tsv(path)
    assert len(back) == len(h)
    m = back.merge(h, on=["motif_id", "sequence_name", "start", "end", "strand"], suffixes=("", "_o"))
    assert len(m) == len(h)
    np.testing.assert_allclose(m.p_value, m.p_value_o, rtol=5e-3)
    assert (m.matched_sequence == m.matched_sequence_o).all()
    buf = io.StringIO()
    write_fimo_tsv(h.assign(q_value=np.nan), buf)
    assert buf.getvalue().splitlines()[1].split("\t")[8] == ""


def test_read_fimo_tsv_errors(tmp_path):
    p = tmp_path / "bad.tsv"
    p.write_text("hello\tworld\n")
    with pytest.raises(FormatError, match="line 1"):
        read_fimo_tsv(p)
    p.write_text("motif_id\tmotif_alt_id\tsequence_name\tstart\tstop\tstrand\tscore\tp-value\tq-value\tmatched_sequence\n"
                 "m\t\ts\tx\t5\t+\t1\t0.1\t\tA\n")
    with pytest.raises(FormatError, match="line 2"):
        read_fimo_tsv(p)
    with pytest.raises(InputError, match="DataFrame"):
        write_fimo_tsv([1, 2], io.StringIO())


# --------------------------------------------------------------------------- CLI
def test_cli_scan(tmp_path, capsys):
    from kgenint.cli import main

    meme = tmp_path / "m.meme"
    meme.write_text("MEME version 5\n\nALPHABET= ACGT\n\nBackground letter frequencies\n"
                    "A 0.3 C 0.2 G 0.2 T 0.3\n\nMOTIF ap1 AP-1\nletter-probability matrix: w= 7 nsites= 20\n"
                    + "".join(" ".join("1" if "ACGT"[j] == c else "0" for j in range(4)) + "\n" for c in "TGACTCA"))
    fa = tmp_path / "s.fa"
    fa.write_text(">chr1\nAAATGACTCAAATTTTTTT\n>chr2\nTGAGTCA\n")
    out = tmp_path / "hits.tsv"
    assert main(["scan", "--motifs", str(meme), "--fasta", str(fa), "--thresh", "1e-3", "-o", str(out), "-q"]) == 0
    h = read_fimo_tsv(out)
    assert set(zip(h.sequence_name, h.start, h.strand)) == {("chr1", 3, "+"), ("chr2", 0, "-")}
    assert (h.motif_alt_id == "AP-1").all()
    assert main(["scan", "--motifs", str(meme), "--fasta", str(fa), "--thresh", "2", "-q"]) == 1
    assert "(0, 1]" in capsys.readouterr().err


# --------------------------------------------------------------------------- bad input
def test_bad_input():
    rng = np.random.default_rng(0)
    m = _random_motif(rng, 6, "m")
    x = nv.random_onehot(rng, 2, 50)
    with pytest.raises(InputError, match="empty"):
        scan(x, [], progress=False)
    with pytest.raises(InputError, match=r"\(0, 1\]"):
        scan(x, [m], threshold=0, progress=False)
    with pytest.raises(InputError, match=r"\(0, 1\]"):
        scan(x, [m], threshold=1.5, progress=False)
    with pytest.raises(InputError, match="shorter"):
        scan(x[:, :4], [m], progress=False)
    bad = x.copy()
    bad[1, 7] = [0.5, 0.5, 0, 0]
    with pytest.raises(InputError, match="sequence 1, position 7"):
        scan(bad, [m], progress=False)
    with pytest.raises(InputError, match=r"\(N, L, 4\)"):
        scan(np.zeros((2, 4, 50), dtype=np.float32), [m], progress=False)
    with pytest.raises(InputError, match=r"sequence 0: invalid character 'Z' at position 4"):
        scan(["ACGTZACGT"], [m], progress=False)
    with pytest.raises(InputError, match=r"sequence 'r2' \(index 1\): invalid character 'U' at position 2.*RNA"):
        scan(["ACGTACGTAC", "ACUGACGTAC"], [m], seq_names=["r1", "r2"], progress=False)
    with pytest.raises(InputError, match="Motif"):
        scan(x, ["ACGT"], progress=False)
    with pytest.raises(InputError, match="seq_names"):
        scan(x, [m], seq_names=["a"], progress=False)
    # motif wider than some sequences: those are skipped, others scanned
    h = scan([("ACGT" * 20), "ACG"], [m], threshold=1.0, progress=False)
    assert set(h.seq) == {0}


def test_prefilter_tiles_groups_overflow_and_threads(monkeypatch):
    """Many motif-strands (several 64-wide filter groups), sequences longer than a tile, Ns,
    and a sequence full of one motif's consensus (more hits than the tile's first capacity):
    the kernel keeps exactly the N-free windows whose integer score reaches the scan
    threshold, whatever the thread count."""
    import numba

    S = sys.modules["kgenint.motifs.scan"]  # the package attribute "scan" is the function

    rng = np.random.default_rng(11)
    widths = [1, 3, 5, 8, 9, 12, 16, 21] * 5
    motifs = [_random_motif(rng, w, f"m{i}", alpha=0.3) for i, w in enumerate(widths)]
    sc = MotifScanner(motifs, threshold=1e-2)
    assert sc._grp_start.size - 1 >= 2
    x = nv.random_onehot(rng, 3, S.TILE + 3000, n_frac=0.01, p=BG)
    cons = motifs[3].pwm.argmax(1)
    x[1] = np.eye(4, dtype=np.float32)[np.resize(cons, x.shape[1])]
    inp = S._Input(x, 10**9)
    (_, codes, off, lens), = list(inp.chunks())
    monkeypatch.setattr(S, "_CAP_MARGIN", 0.0)  # 64 hits per tile at first: tiles overflow
    got = {}
    for nt in (1, 2):
        numba.set_num_threads(min(nt, numba.config.NUMBA_NUM_THREADS))
        seq, pos, ms, isc = sc._scan_codes(codes, off, lens, 0)
        got[nt] = (seq, pos, ms, isc)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    for a, b in zip(got[1], got[2]):
        np.testing.assert_array_equal(a, b)
    seq, pos, ms, isc = got[1]
    ref = set()
    ref_sc = {}
    idx = x.argmax(-1)
    bad = np.concatenate([np.zeros((x.shape[0], 1), dtype=np.int64), np.cumsum(x.max(-1) != 1, axis=1)], axis=1)
    for k in sc._active.tolist():
        a = sc.int_matrices_[k]
        w = a.shape[0]
        nw = x.shape[1] - w + 1
        s = sum(a[j][idx[:, j:j + nw]] for j in range(w))  # vectorised nv.window_int_scores
        s = np.where(bad[:, w:w + nw] - bad[:, :nw] == 0, s, np.iinfo(np.int64).min)
        if k == sc._active[0]:
            np.testing.assert_array_equal(s[:, :300], nv.window_int_scores(x[:, :300 + w - 1], a))
        for i, p in zip(*np.nonzero(s >= sc._scan_thresh[k])):
            ref.add((int(i), int(p), k))
            ref_sc[(int(i), int(p), k)] = int(s[i, p])
    hit = set(zip(seq.tolist(), pos.tolist(), ms.tolist()))
    assert len(hit) == seq.size
    assert hit == ref
    assert all(ref_sc[h] == v for h, v in zip(zip(seq.tolist(), pos.tolist(), ms.tolist()), isc.tolist()))
    assert int((seq == 1).sum()) > 64  # the consensus sequence overflowed its first capacity
