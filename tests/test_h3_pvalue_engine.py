"""The motif scanner's exact p-value engine (kgenint.motifs._pvalue_engine) against enumeration
of every word, and the split of kgenint.motifs.scan (every old name still importable there)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from kgenint.errors import InputError
from kgenint.motifs._pvalue_engine import (
    P_TOLERANCE, RESOLUTION, TIE, ScoreDistribution, ThresholdTails, integer_log_odds,
)
from kgenint.motifs.motif import Motif

BG = np.array([0.35, 0.15, 0.2, 0.3])


def _words(w: int) -> np.ndarray:
    return np.array(list(itertools.product(range(4), repeat=w)), dtype=np.int64)


def _enumerate(lo: np.ndarray, bg: np.ndarray, r: int):
    """Integer score, real score and probability of every word with a finite score."""
    words = _words(lo.shape[0])
    cols = np.arange(lo.shape[0])
    real = lo[cols, words].sum(axis=1)
    ok = np.isfinite(real)
    a = np.rint(np.where(np.isfinite(lo), lo, 0.0) * r).astype(np.int64)
    return a[cols, words[ok]].sum(axis=1), real[ok], bg[words[ok]].prod(axis=1)


def _sf(scores: np.ndarray, probs: np.ndarray, s: np.ndarray) -> np.ndarray:
    return np.array([probs[scores >= v].sum() for v in np.atleast_1d(s)])


@pytest.mark.parametrize("pseudocount", [0.1, 0.0])
@pytest.mark.parametrize("r", [RESOLUTION, 37])
def test_score_distribution_matches_enumeration(pseudocount, r):
    rng = np.random.default_rng(3)
    pwm = rng.dirichlet(np.full(4, 0.3), size=6)
    if pseudocount == 0.0:
        pwm[1] = [0.0, 0.5, 0.5, 0.0]  # letters the motif never has: -inf entries
    lo = Motif(name="m", pwm=pwm, bg_freqs=BG).log_odds(pseudocount)
    d = ScoreDistribution(lo, BG, r)
    isc, _, pr = _enumerate(lo, BG, r)
    assert d.base == isc.min() and d.best == isc.max()
    s = np.arange(d.base - 3, d.best + 4)
    # below the lowest score the engine answers 1 (as MotifScanner.pvalue_int always has), even
    # where words scoring -inf (a letter the motif gives probability 0) leave less than 1 above it
    np.testing.assert_allclose(d.sf_int(s), np.where(s < d.base, 1.0, _sf(isc, pr, s)), rtol=1e-11, atol=1e-15)
    assert pseudocount or d.sf_int(d.base) == pytest.approx(pr.sum()) and pr.sum() < 0.5
    # p_value of scores in bits: P(I >= ceil(score * r)); on-grid scores are exact
    np.testing.assert_allclose(d.p_value(s / r), d.sf_int(s), rtol=0, atol=0)
    np.testing.assert_allclose(d.p_value((s - 0.5) / r), d.sf_int(s), rtol=0, atol=0)
    for p in (1e-1, 1e-3, 3e-4):
        t = d.int_threshold(p)
        want = min((v for v in range(d.base, d.best + 1) if _sf(isc, pr, v)[0] <= p * (1 + P_TOLERANCE)),
                   default=d.best + 1)
        assert t == want
        assert d.score_threshold(p) == (np.inf if t > d.best else t / r)
    assert d.score_threshold(pr.max() / 2) == np.inf or d.int_threshold(pr.max() / 2) <= d.best


def test_score_distribution_rejects_bad_input():
    with pytest.raises(InputError, match="shape"):
        ScoreDistribution(np.zeros((3, 5)), BG)
    with pytest.raises(InputError, match="bg_freqs"):
        ScoreDistribution(np.zeros((3, 4)), [0.5, 0.5, 0.0, 0.0])
    with pytest.raises(InputError, match="no letter"):
        integer_log_odds(np.array([[0.0, 1.0, 0.0, 0.0], [-np.inf] * 4]), 1000, "bad")


@pytest.mark.parametrize("r", [RESOLUTION, 20])
def test_threshold_tails_agree_with_enumeration(r):
    """Thresholds, stored tails and hit p-values of several motif-strands (one pair sharing a
    strand-symmetric background) against the full distribution and enumerated real scores; at a
    coarse resolution the integer score often ranks words differently from the real one."""
    rng = np.random.default_rng(8)
    sym_bg = np.array([0.3, 0.2, 0.2, 0.3])
    los, bgs = [], []
    for w, bg in ((4, BG), (5, sym_bg), (6, BG)):
        lo = Motif(name="m", pwm=rng.dirichlet(np.full(4, 0.4), size=w), bg_freqs=bg).log_odds(0.1)
        for L in (lo, lo[::-1, ::-1].copy()):
            los.append(L)
            bgs.append(bg)
    ints, fins = zip(*(integer_log_odds(L, r) for L in los))
    thr = 2e-3
    tt = ThresholdTails(list(ints), list(fins), los, np.array(bgs), thr, r, paired=True)
    n_differ = 0
    for k, (L, bg) in enumerate(zip(los, bgs)):
        full = ScoreDistribution(L, bg, r)
        assert tt.thresholds[k] == full.int_threshold(thr) and tt.best[k] == full.best
        s = np.arange(tt.thresholds[k] - 3, tt.best[k] + 2)
        np.testing.assert_allclose(tt.sf_int(k, s), full.sf_int(s), rtol=1e-12, atol=0)
        if not tt.exact[k]:
            continue
        # every word at or above the scan threshold: real-valued p-value P(S' >= S - TIE)
        isc, real, pr = _enumerate(L, bg, r)
        sel = np.flatnonzero(isc >= tt.scan_thresholds[k])
        n_differ += int(np.sum(full.sf_int(isc[sel]) != tt.hit_pvalues(np.full(sel.size, k), isc[sel], real[sel])))
        got = tt.hit_pvalues(np.full(sel.size, k), isc[sel], real[sel])
        want = np.array([pr[real >= v - TIE].sum() for v in real[sel]])
        band = isc[sel] <= tt._band[k][0]
        np.testing.assert_allclose(got[band], want[band], rtol=1e-11)
        # the hit decision: real score >= the real threshold <=> real-valued p-value <= threshold
        hit = real[sel] >= tt.real_thresholds[k]
        assert np.array_equal(hit[band], want[band] <= thr * (1 + P_TOLERANCE))
    assert tt.exact.any()
    assert r == RESOLUTION or n_differ > 0  # the real-valued refinement was tested


def test_scan_module_keeps_its_names():
    import kgenint.motifs as M
    from kgenint.motifs import fimo_tsv
    from kgenint.motifs import scan as scan_fn
    from kgenint.motifs.scan import (  # noqa: F401
        FIMO_COLUMNS, HIT_COLUMNS, MAX_BAND_WORDS, P_TOLERANCE as P_TOL, RESOLUTION as RES, TIE as T,
        MotifScanner, read_fimo_tsv, scan, write_fimo_tsv,
    )

    assert scan_fn is scan and scan.__module__ == "kgenint.motifs.scan"
    assert M.write_fimo_tsv is fimo_tsv.write_fimo_tsv is write_fimo_tsv
    assert M.read_fimo_tsv is read_fimo_tsv and FIMO_COLUMNS is fimo_tsv.FIMO_COLUMNS
    assert (RES, P_TOL, T) == (RESOLUTION, P_TOLERANCE, TIE)


def test_scanner_pvalues_are_the_engine_distribution():
    rng = np.random.default_rng(5)
    m = Motif(name="m", pwm=rng.dirichlet(np.full(4, 0.4), size=7), bg_freqs=BG)
    from kgenint.motifs.scan import MotifScanner

    sc = MotifScanner([m], threshold=1e-3)
    for strand, L in zip("+-", sc.log_odds_):
        d = ScoreDistribution(L, BG)
        isc, _, pr = _enumerate(L, BG, RESOLUTION)
        s = np.arange(d.base, d.best + 1, 7)
        np.testing.assert_allclose(sc.pvalue_int(0, s, strand), _sf(isc, pr, s), rtol=1e-11)
        assert np.array_equal(sc.pvalue_int(0, s, strand), d.sf_int(s))
        assert sc.score_threshold(0, 1e-2, strand) == d.score_threshold(1e-2)
