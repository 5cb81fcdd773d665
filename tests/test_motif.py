"""Tests of the Motif record (kgenint/motifs/motif.py) against hand-computed values."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from kgenint.errors import InputError
from kgenint.motifs.motif import DEFAULT_NSITES, Motif, MotifError


def _rng_pwm(rng: np.random.Generator, w: int) -> np.ndarray:
    return rng.dirichlet(np.full(4, 0.5), size=w)


# ----------------------------------------------------------------------- information content
def test_information_content_uniform_background_by_hand():
    m = Motif("m", [[1, 0, 0, 0], [0.5, 0.5, 0, 0], [0.25] * 4, [0.7, 0.1, 0.1, 0.1]])
    row4 = 2 + 0.7 * math.log2(0.7) + 3 * 0.1 * math.log2(0.1)  # 2 - entropy
    np.testing.assert_allclose(m.information_content(), [2.0, 1.0, 0.0, row4], atol=1e-12)
    assert m.total_information == pytest.approx(3.0 + row4)


def test_information_content_nonuniform_background_by_hand():
    bg = [0.3, 0.2, 0.2, 0.3]
    m = Motif("m", [[0.7, 0.1, 0.1, 0.1], [0, 0, 1, 0]], bg_freqs=bg)
    r1 = (0.7 * math.log2(0.7 / 0.3) + 0.1 * math.log2(0.1 / 0.2) * 2
          + 0.1 * math.log2(0.1 / 0.3))
    r2 = math.log2(1 / 0.2)
    np.testing.assert_allclose(m.information_content(), [r1, r2], atol=1e-12)


# --------------------------------------------------------------------------- reverse complement
def test_reverse_complement_by_hand_and_twice_is_identity():
    rng = np.random.default_rng(0)
    pwm = _rng_pwm(rng, 7)
    counts = np.round(pwm * 50)
    counts[counts.sum(1) == 0, 0] = 1
    m = Motif("m", counts / counts.sum(1, keepdims=True), counts=counts,
              bg_freqs=[0.1, 0.2, 0.3, 0.4], cwm=rng.normal(size=(7, 4)),
              hcwm=rng.normal(size=(7, 4)), alt_name="X", url="u", nsites=50)
    rc = m.reverse_complement()
    # row i of rc is the complement of row W-1-i: A<->T, C<->G
    np.testing.assert_array_equal(rc.pwm[0], m.pwm[-1][[3, 2, 1, 0]])
    np.testing.assert_array_equal(rc.bg_freqs, [0.4, 0.3, 0.2, 0.1])
    np.testing.assert_array_equal(rc.cwm[2], m.cwm[4][::-1])
    rr = rc.reverse_complement()
    for attr in ("pwm", "counts", "bg_freqs", "cwm", "hcwm"):
        np.testing.assert_array_equal(getattr(rr, attr), getattr(m, attr))
    assert (rr.name, rr.alt_name, rr.url, rr.nsites) == ("m", "X", "u", 50)
    assert Motif.from_consensus("AACGTTG").reverse_complement().consensus == "CAACGTT"


# ------------------------------------------------------------------------------------ trimming
def test_trim_offsets_keep_interior():
    rows = [[0.25] * 4, [0.3, 0.2, 0.3, 0.2], [1, 0, 0, 0], [0.25] * 4, [0, 0, 0, 1],
            [0.25] * 4, [0.25] * 4]
    m = Motif("m", rows)
    t, start, end = m.trim(0.3, return_offsets=True)
    assert (start, end) == (2, 5)
    np.testing.assert_array_equal(t.pwm, m.pwm[2:5])
    assert t.consensus == "ANT"
    assert m.trim(0.3).width == 3


def test_trim_all_uninformative_keeps_best_position():
    m = Motif("m", [[0.25] * 4, [0.3, 0.2, 0.3, 0.2], [0.25] * 4])
    t, start, end = m.trim(1.0, return_offsets=True)
    assert (start, end, t.width) == (1, 2, 1)


def test_trim_keeps_counts_and_cwm_aligned():
    counts = np.array([[5, 5, 5, 5], [20, 0, 0, 0], [0, 20, 0, 0], [5, 5, 5, 5]], float)
    cwm = np.arange(16, dtype=float).reshape(4, 4)
    m = Motif.from_counts(counts, "m", cwm=cwm)
    t = m.trim(0.5)
    np.testing.assert_array_equal(t.counts, counts[1:3])
    np.testing.assert_array_equal(t.cwm, cwm[1:3])


# --------------------------------------------------------------------------- consensus / IUPAC
def test_consensus_and_iupac():
    m = Motif.from_consensus("TGASTCA", name="ap1")
    assert m.consensus[:3] == "TGA" and m.iupac == "TGASTCA"
    rows = [[0.5, 0, 0.5, 0], [0.25] * 4, [0, 0.45, 0.1, 0.45], [0.9, 0.04, 0.03, 0.03]]
    m = Motif("m", rows)
    assert m.iupac == "RNYA"
    assert m.consensus == "ANCA"  # ties go to the first base; all-equal gives N
    with pytest.raises(MotifError, match="not an IUPAC"):
        Motif.from_consensus("ACGX")


# --------------------------------------------------------------------------------- log-odds
def test_log_odds_meme_pseudocount_formula_by_hand():
    # MEME/FIMO: q = (p * nsites + pseudo * bg) / (nsites + pseudo); score = log2(q / bg)
    m = Motif("m", [[1, 0, 0, 0], [0.5, 0.5, 0, 0]], nsites=10, bg_freqs=[0.3, 0.2, 0.2, 0.3])
    lo = m.log_odds(0.1)
    qa = (1 * 10 + 0.1 * 0.3) / 10.1
    qc = (0 + 0.1 * 0.2) / 10.1
    assert lo[0, 0] == pytest.approx(math.log2(qa / 0.3))
    assert lo[0, 1] == pytest.approx(math.log2(qc / 0.2))
    q2 = (0.5 * 10 + 0.1 * 0.2) / 10.1
    assert lo[1, 1] == pytest.approx(math.log2(q2 / 0.2))
    # natural log base and the default nsites of 20
    m20 = Motif("m", [[1, 0, 0, 0]])
    assert m20.nsites is None
    q = (20 + 1 * 0.25) / 21
    assert m20.log_odds(1.0, base=math.e)[0, 0] == pytest.approx(math.log(q / 0.25))
    assert DEFAULT_NSITES == 20
    assert np.isneginf(m20.log_odds(0.0)[0, 1])
    with pytest.raises(MotifError, match="pseudocount must be >= 0"):
        m.log_odds(-1)


# ------------------------------------------------------------------------------- from_counts
def test_from_counts_by_hand():
    m = Motif.from_counts([[1, 2, 3, 4], [10, 0, 0, 0]], "c")
    np.testing.assert_allclose(m.pwm, [[0.1, 0.2, 0.3, 0.4], [1, 0, 0, 0]])
    assert m.nsites == 10
    np.testing.assert_array_equal(m.counts, [[1, 2, 3, 4], [10, 0, 0, 0]])
    # pseudocount spread by the background
    m = Motif.from_counts([[2, 0, 0, 0]], "c", pseudocount=2, bg_freqs=[0.4, 0.1, 0.1, 0.4])
    np.testing.assert_allclose(m.pwm, [[(2 + 0.8) / 4, 0.2 / 4, 0.2 / 4, 0.8 / 4]])
    with pytest.raises(MotifError, match="all zero"):
        Motif.from_counts([[0, 0, 0, 0]], "z")
    with pytest.raises(MotifError, match="negative counts"):
        Motif.from_counts([[1, -1, 0, 0]], "n")


# ------------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "pwm, match",
    [
        (np.zeros((0, 4)), "width 0"),
        ([[0.25, 0.25, np.nan, 0.25]], "non-finite value at position 0"),
        ([[0.5, -0.1, 0.3, 0.3]], "negative probability"),
        ([[0.5, 0.1, 0.1, 0.1]], "sums to 0.8"),
        (np.full((4, 7), 0.25), "transposed"),
        (np.full((6, 5), 0.2), "Only the DNA alphabet"),
        (np.full(4, 0.25), "2-D"),
        ([["a", "b", "c", "d"]], "not numeric"),
    ],
)
def test_matrix_validation_errors(pwm, match):
    with pytest.raises(MotifError, match=match):
        Motif("bad", pwm)


def test_motif_error_is_input_error():
    assert issubclass(MotifError, InputError) and issubclass(MotifError, ValueError)


def test_close_row_sums_warn_and_normalise():
    with pytest.warns(UserWarning, match="renormalised"):
        m = Motif("close", [[0.5, 0.2, 0.2, 0.11]])
    np.testing.assert_allclose(m.pwm.sum(1), 1.0)
    np.testing.assert_allclose(m.pwm[0], np.array([0.5, 0.2, 0.2, 0.11]) / 1.01)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Motif("exact", [[0.5, 0.2, 0.2, 0.1]])  # no warning when exact


@pytest.mark.parametrize(
    "bg, match",
    [
        ([0.25, 0.25, 0.5], "4 values"),
        ([0.5, 0.5, 0.0, 0.0], "> 0"),
        ([0.5, 0.5, 0.5, 0.5], "sum to 1"),
        ([np.nan, 0.25, 0.25, 0.25], "finite"),
    ],
)
def test_bad_background(bg, match):
    with pytest.raises(MotifError, match=match):
        Motif("m", [[1, 0, 0, 0]], bg_freqs=bg)


def test_other_field_errors():
    with pytest.raises(MotifError, match="non-empty name"):
        Motif("", [[1, 0, 0, 0]])
    with pytest.raises(MotifError, match="nsites must be > 0"):
        Motif("m", [[1, 0, 0, 0]], nsites=0)
    with pytest.raises(MotifError, match="count matrix has width 2"):
        Motif("m", [[1, 0, 0, 0]], counts=[[1, 0, 0, 0], [1, 0, 0, 0]])
    with pytest.raises(MotifError, match="negative counts"):
        Motif("m", [[1, 0, 0, 0]], counts=[[1, -1, 0, 0]])
    assert Motif("m", [[1, 0, 0, 0]], metadata=None).metadata == {}
    with pytest.raises(MotifError, match="metadata must be a dict"):
        Motif("m", [[1, 0, 0, 0]], metadata=[1])
    with pytest.raises(MotifError, match="CWM has width 2"):
        Motif("m", [[1, 0, 0, 0]], cwm=np.zeros((2, 4)))


def test_copy_and_clone_are_independent():
    m = Motif("m", [[1, 0, 0, 0], [0, 1, 0, 0]], metadata={"k": 1})
    for c in (m.copy(), m._clone()):
        c.pwm[0, 0] = 0.5
        c.metadata["k"] = 2
        assert m.pwm[0, 0] == 1.0 and m.metadata["k"] == 1
    r = m.copy(name="other")
    assert r.name == "other" and m.name == "m"
    with pytest.raises(MotifError, match="non-empty name"):
        m.copy(name="")
    assert m.allclose(m._clone()) and not m.allclose(m.reverse_complement())
