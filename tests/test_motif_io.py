"""Tests of kgenint.motifs.io: MEME minimal format and JASPAR .jaspar/.pfm files."""
from __future__ import annotations

import gzip
import io as pyio
import os
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kgenint.errors import FormatError, InputError
from kgenint.motifs import io as mio
from kgenint.motifs.motif import Motif

MEME_TEXT = """MEME version 4

ALPHABET= ACGT

strands: + -

Background letter frequencies (from uniform background):
A 0.30000 C 0.20000
G 0.20000 T 0.30000

MOTIF MA0004.1 Arnt
letter-probability matrix: alength= 4 w= 3 nsites= 20 E= 0
  0.200000	  0.800000	  0.000000	  0.000000
  0.950000	  0.000000	  0.050000	  0.000000
  0.000000	  1.000000	  0.000000	  0.000000
URL http://jaspar.genereg.net/matrix/MA0004.1

MOTIF noalt
letter-probability matrix:
 0.25 0.25 0.25 0.25
 0 0 1 0
"""


def _motifs(rng: np.random.Generator, n: int = 4) -> list[Motif]:
    out = []
    for k in range(n):
        w = int(rng.integers(1, 15))
        pwm = rng.dirichlet(np.full(4, 0.3), size=w)
        out.append(Motif(f"m{k}", pwm, alt_name=f"TF{k}" if k % 2 else None,
                         nsites=int(rng.integers(1, 500)) if k % 3 else None,
                         bg_freqs=[0.3, 0.2, 0.2, 0.3], url=f"https://x/{k}/" if k else None))
    return out


def _assert_same(a: list[Motif], b: list[Motif], atol: float = 1e-6) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert (x.name, x.alt_name, x.nsites, x.url) == (y.name, y.alt_name, y.nsites, y.url)
        assert x.pwm.shape == y.pwm.shape
        np.testing.assert_allclose(x.pwm, y.pwm, atol=atol, rtol=0)
        np.testing.assert_allclose(x.bg_freqs, y.bg_freqs, atol=atol, rtol=0)


# ------------------------------------------------------------------------------- MEME reading
def test_read_meme_fields():
    a, b = mio.read_meme(MEME_TEXT)
    assert (a.name, a.alt_name, a.nsites, a.url) == (
        "MA0004.1", "Arnt", 20, "http://jaspar.genereg.net/matrix/MA0004.1")
    np.testing.assert_allclose(a.pwm, [[0.2, 0.8, 0, 0], [0.95, 0, 0.05, 0], [0, 1, 0, 0]])
    np.testing.assert_allclose(a.bg_freqs, [0.3, 0.2, 0.2, 0.3])  # spans two lines
    assert a.metadata == {"evalue": "0", "strands": "+ -"}
    # no key=value pairs at all: w inferred from the rows, nsites left None
    assert (b.name, b.alt_name, b.width, b.nsites, b.url) == ("noalt", None, 2, None, None)
    np.testing.assert_allclose(b.bg_freqs, [0.3, 0.2, 0.2, 0.3])


def test_read_meme_sources(tmp_path):
    p = tmp_path / "m.meme"
    p.write_text(MEME_TEXT)
    gz = tmp_path / "m.meme.gz"
    gz.write_bytes(gzip.compress(MEME_TEXT.encode()))
    odd = tmp_path / "m.dat"  # gzip detected from the content, not the name
    odd.write_bytes(gzip.compress(MEME_TEXT.encode()))
    ref = mio.read_meme(MEME_TEXT)
    for src in (p, str(p), gz, str(gz), odd, pyio.StringIO(MEME_TEXT), open(p)):
        _assert_same(mio.read_meme(src), ref, atol=0)
    with pytest.raises(InputError, match="no such file"):
        mio.read_meme(tmp_path / "missing.meme")
    with pytest.raises(InputError, match="Expected a file path"):
        mio.read_meme(12)


def test_read_meme_without_background_is_uniform_and_ignores_free_text():
    text = ("MEME version 5\nsome free text\n# a comment\nMOTIF x\n"
            "letter-probability matrix: w= 1\n1 0 0 0\n\nmore text\n")
    (m,) = mio.read_meme(text)
    np.testing.assert_array_equal(m.bg_freqs, [0.25] * 4)
    assert m.metadata == {}


def test_read_meme_dna_alphabet_block():
    text = ('MEME version 5\nALPHABET "DNA" DNA-LIKE\nA "Adenine" CC0000 ~ T "Thymine" 008000\n'
            'C "Cytosine" 0000CC ~ G "Guanine" FFB300\nN "Any base" = ACGT\nEND ALPHABET\n\n'
            "MOTIF x\nletter-probability matrix:\n0 1 0 0\n")
    assert mio.read_meme(text)[0].consensus == "C"


def test_memelite_crashes_without_w_but_we_do_not(tmp_path):
    memelite_io = pytest.importorskip("memelite.io")
    p = tmp_path / "now.meme"
    p.write_text("MEME version 5\n\nMOTIF a\nletter-probability matrix: nsites= 7\n1 0 0 0\n0 1 0 0\n")
    with pytest.raises(AttributeError):  # re.search(...) returns None
        memelite_io.read_meme(str(p))
    (m,) = mio.read_meme(p)
    assert (m.width, m.nsites) == (2, 7)


def test_rounding_is_silent_but_real_errors_warn():
    rows = "0.333 0.333 0.333 0.000\n0.1 0.2 0.3 0.4\n"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (m,) = mio.read_meme("MEME version 5\nMOTIF r\nletter-probability matrix:\n" + rows)
    np.testing.assert_allclose(m.pwm[0], [1 / 3, 1 / 3, 1 / 3, 0])
    text = "MEME version 5\nMOTIF r\nletter-probability matrix:\n0.5 0.2 0.2 0.11\n"
    with pytest.warns(UserWarning, match=r"<text>, line 4: .*sums to 1\.01"):
        (m,) = mio.read_meme(text)
    np.testing.assert_allclose(m.pwm.sum(), 1.0)


BAD_MEME = [
    # (text, expected line, message pattern)
    ("MEME version 5\n\nMOTIF a\nletter-probability matrix: w= 2\n0.25 0.25 0.5\n0 0 0 1\n",
     5, "has 3 values; expected 4"),
    ("MEME version 5\nMOTIF a\nletter-probability matrix:\n0.25 0.25 0.5 0\n0.25 x 0.5 0.25\n",
     5, "non-numeric value 'x'"),
    ("MEME version 5\n\nMOTIF a\nletter-probability matrix: alength= 4 w= 3\n1 0 0 0\n0 1 0 0\n\n",
     4, "declares w= 3 but 2 rows follow"),
    ("MEME version 5\nMOTIF a\nletter-probability matrix:\n1 0 0 0\n0.5 0.1 0.1 0.1\n",
     5, "sums to 0.8"),
    ("MEME version 5\nMOTIF a\nletter-probability matrix:\n1 0 0 0\n\nMOTIF b\n"
     "letter-probability matrix:\n1 0 0 0\nMOTIF a\nletter-probability matrix:\n0 1 0 0\n",
     9, r"duplicate motif identifier 'a' \(first defined on line 2\)"),
    ("\n\nMOTIF a\nletter-probability matrix:\n1 0 0 0\n", 3, "before any 'MEME version'"),
    ("MEME version 5\nALPHABET= ACGU\nMOTIF a\n", 2, "unsupported alphabet 'ACGU'"),
    ('MEME version 5\nALPHABET "Protein" PROTEIN-LIKE\n', 2, "only DNA"),
    ("MEME version 5\nMOTIF a\nletter-probability matrix: alength= 20 w= 1\n", 3, "alength= 20"),
    ("MEME version 5\nBackground letter frequencies\nA 0.3 C 0.2 G 0.5\n\nMOTIF a\n", 2,
     "incomplete: missing T"),
    ("MEME version 5\nBackground letter frequencies\nA 0.3 C 0.2 G x T 0.5\n", 3, "not a number"),
    ("MEME version 5\nBackground letter frequencies\nA 0.6 C 0.2 G 0.2 T 0.3\n", 3,
     "sum to 1.3"),
    ("MEME version 5\nMOTIF a\nletter-probability matrix:\n1.2 -0.2 0 0\n", 4,
     "negative probability"),
    ("MEME version 5\n\nMOTIF a\nMOTIF b\nletter-probability matrix:\n1 0 0 0\n", 3,
     "'a' has no 'letter-probability matrix:'"),
    ("MEME version 5\nletter-probability matrix:\n1 0 0 0\n", 2, "before any MOTIF line"),
    ("MEME version 5\nMOTIF a\nletter-probability matrix:\n\n1 0 0 0\n", 3, "no matrix rows"),
    ("MEME version 5\nMOTIF\n", 2, "without an identifier"),
    ("MEME version 5\nMOTIF a\nletter-probability matrix: w= x\n1 0 0 0\n", 3, "w= must be"),
    ("MEME version 5\nstrands: + x\n", 2, "bad strands line"),
    ("MEME version 5\nMOTIF a\nletter-probability matrix:\n1 0 0 0\n"
     "letter-probability matrix:\n1 0 0 0\n", 5, "second 'letter-probability matrix:'"),
]


@pytest.mark.parametrize("text, line, match", BAD_MEME)
def test_malformed_meme_names_file_and_line(tmp_path, text, line, match):
    p = tmp_path / "bad.meme"
    p.write_text(text)
    with pytest.raises(FormatError, match=match) as info:
        mio.read_meme(p)
    assert info.value.line == line
    assert info.value.path == str(p)
    assert str(info.value).startswith(f"{p}, line {line}: ")
    with pytest.raises(FormatError, match=match) as info:  # the same from text
        mio.read_meme(text if "\n" in text else text + "\n")
    assert str(info.value).startswith(f"<text>, line {line}: ")


def test_no_motifs(tmp_path):
    p = tmp_path / "empty.meme"
    p.write_text("MEME version 5\n\nALPHABET= ACGT\n")
    with pytest.raises(FormatError, match=r"empty\.meme: no motifs found.*3 lines"):
        mio.read_meme(p)
    p.write_text("")
    with pytest.raises(FormatError, match="no 'MEME version' line either"):
        mio.read_meme(p)


# ------------------------------------------------------------------------------- MEME writing
def test_write_meme_layout_and_comments():
    ms = mio.read_meme(MEME_TEXT)
    text = mio.write_meme(ms, comments=["Licence: CC BY 4.0", "two\nlines"])
    lines = text.splitlines()
    assert lines[0] == "MEME version 5"
    assert "ALPHABET= ACGT" in lines and "strands: + -" in lines
    i_bg = lines.index("Background letter frequencies")
    assert lines[i_bg + 1] == "A 0.300000 C 0.200000 G 0.200000 T 0.300000"
    i_c = lines.index("# Licence: CC BY 4.0")
    assert i_bg < i_c < lines.index("MOTIF MA0004.1 Arnt")
    assert lines[i_c + 1: i_c + 3] == ["# two", "# lines"]
    assert "letter-probability matrix: alength= 4 w= 3 nsites= 20 E= 0" in lines
    assert "letter-probability matrix: alength= 4 w= 2" in lines  # nsites unknown: omitted
    assert "URL http://jaspar.genereg.net/matrix/MA0004.1" in lines
    # every printed row sums to exactly 1 in decimal
    for ln in lines:
        toks = ln.split()
        if len(toks) == 4 and all(t[0].isdigit() for t in toks):
            assert sum(int(t.replace(".", "")) for t in toks) == 10**6


def test_write_read_round_trip(tmp_path):
    ms = _motifs(np.random.default_rng(1), 6)
    for name in ("r.meme", "r.txt", "r.meme.gz"):
        p = tmp_path / name
        text = mio.write_meme(ms, p)
        back = mio.read_meme(p)
        _assert_same(back, ms)
        if name.endswith(".gz"):
            assert gzip.decompress(p.read_bytes()).decode() == text
        else:
            assert p.read_text() == text
    # writing what was read gives the same text again (values already on the 1e-6 grid)
    again = mio.write_meme(mio.read_meme(text))
    assert again == text


def test_round_trip_readable_by_memelite(tmp_path):
    memelite_io = pytest.importorskip("memelite.io")
    ms = _motifs(np.random.default_rng(2), 5)
    p = tmp_path / "x.meme"
    mio.write_meme(ms, p, comments=["MOTIF-like text is safe here", "letter-probability too"])
    got = memelite_io.read_meme(str(p))
    assert list(got) == [f"{m.name} {m.alt_name}" if m.alt_name else m.name for m in ms]
    for m, pwm in zip(ms, got.values()):
        np.testing.assert_allclose(pwm.T, m.pwm, atol=1e-6, rtol=0)


@given(st.lists(st.lists(st.floats(0, 1), min_size=4, max_size=4), min_size=1, max_size=20),
       st.integers(1, 9))
def test_largest_remainder_rounding(rows, decimals):
    p = np.array(rows) + 1e-3
    p /= p.sum(axis=1, keepdims=True)
    ints = mio._round_rows(p, decimals)
    assert np.all(ints.sum(axis=1) == 10**decimals)
    assert np.all(np.abs(ints / 10**decimals - p) < 10.0**-decimals + 1e-12)
    assert np.all(ints >= 0)


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    p = tmp_path / "a.meme"
    p.write_text("old")
    ms = _motifs(np.random.default_rng(3), 2)
    mio.write_meme(ms, p)
    assert p.read_text().startswith("MEME version 5")
    assert sorted(os.listdir(tmp_path)) == ["a.meme"]
    with pytest.raises(InputError, match="does not exist"):
        mio.write_meme(ms, tmp_path / "nope" / "a.meme")


def test_write_meme_bad_input():
    m = Motif("a", [[1, 0, 0, 0]])
    with pytest.raises(InputError, match="empty"):
        mio.write_meme([])
    with pytest.raises(InputError, match=r"motifs\[1\] is a str"):
        mio.write_meme([m, "b"])
    with pytest.raises(InputError, match="repeated: a"):
        mio.write_meme([m, m])
    with pytest.raises(InputError, match="white space.*'my_motif'"):
        mio.write_meme([Motif("my motif", [[1, 0, 0, 0]])])
    with pytest.raises(InputError, match="alt_name"):
        mio.write_meme([Motif("a", [[1, 0, 0, 0]], alt_name="two words")])
    other = Motif("b", [[1, 0, 0, 0]], bg_freqs=[0.3, 0.2, 0.2, 0.3])
    with pytest.raises(InputError, match="different backgrounds"):
        mio.write_meme([m, other])
    text = mio.write_meme([m, other], bg_freqs=[0.25] * 4)  # explicit choice is fine
    assert all(np.allclose(x.bg_freqs, 0.25) for x in mio.read_meme(text))
    with pytest.raises(InputError, match="strands"):
        mio.write_meme([m], strands="both")
    with pytest.raises(InputError, match="decimals"):
        mio.write_meme([m], decimals=0)
    with pytest.raises(InputError, match="a Motif or a list"):
        mio.write_meme(3)
    assert mio.write_meme(m).count("MOTIF") == 1  # a single Motif is accepted


# ------------------------------------------------------------------------------------- JASPAR
JASPAR_TEXT = """>MA0004.1\tArnt
A  [     4     19      0      0      0      0 ]
C  [    16      0     20      0      0      0 ]
G  [     0      1      0     20      0     20 ]
T  [     0      0      0      0     20      0 ]
>MA0006.1 Ahr::Arnt
T  [ 0 0 0 22 0 0 ]
G  [ 2 0 23 0 24 0 ]
C  [ 19 0 1 0 0 0 ]
A  [ 3 24 0 2 0 0.5 ]
"""


def test_read_jaspar_by_hand(tmp_path):
    a, b = mio.read_jaspar(JASPAR_TEXT)
    assert (a.name, a.alt_name, a.nsites) == ("MA0004.1", "Arnt", 20)
    np.testing.assert_allclose(a.pwm[0], [0.2, 0.8, 0, 0])
    np.testing.assert_array_equal(a.counts[1], [19, 0, 1, 0])
    # rows in another letter order, a fractional count, unequal column totals
    assert (b.name, b.alt_name) == ("MA0006.1", "Ahr::Arnt")
    np.testing.assert_array_equal(b.counts[0], [3, 19, 2, 0])
    np.testing.assert_allclose(b.pwm[5], [0.5 / 0.5, 0, 0, 0])
    assert b.nsites == 24


def test_jaspar_and_pfm_round_trip(tmp_path):
    ms = mio.read_jaspar(JASPAR_TEXT)
    for name in ("x.jaspar", "x.pfm", "x.jaspar.gz"):
        p = tmp_path / name
        text = mio.write_jaspar(ms, p)
        back = mio.read_jaspar(p)
        _assert_same(back, ms, atol=0)
        for x, y in zip(back, ms):
            np.testing.assert_array_equal(x.counts, y.counts)
        if name == "x.pfm":
            assert "[" not in text and text.splitlines()[1].split()[0] == "4"
    # motifs without counts are written as pwm * nsites and read back to the same pwm
    ms = _motifs(np.random.default_rng(4), 4)
    back = mio.read_jaspar(mio.write_jaspar(ms))
    for x, y in zip(back, ms):
        np.testing.assert_allclose(x.pwm, y.pwm, atol=1e-9)
        assert x.nsites == (y.nsites or 20)


def test_pfm_without_header_takes_the_file_name(tmp_path):
    p = tmp_path / "MA0004.1.pfm"
    p.write_text("4 19 0 0 0 0\n16 0 20 0 0 0\n0 1 0 20 0 20\n0 0 0 0 20 0\n")
    (m,) = mio.read_jaspar(p)
    assert (m.name, m.alt_name, m.consensus) == ("MA0004.1", None, "CACGTG")
    gz = tmp_path / "MA0004.1.pfm.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    assert mio.read_motifs(gz)[0].name == "MA0004.1"


BAD_JASPAR = [
    (">a\nA [1 2]\nC [1 2]\nG [1 2]\n", 1, "has 3 count rows; expected 4"),
    (">a\nA [1 2]\nC [1 2 3]\nG [1 2]\nT [1 2]\n", 3, "this row has 3 counts"),
    (">a\nA [1 2]\nC [1 x]\nG [1 2]\nT [1 2]\n", 3, "count 'x' is not a number"),
    (">a\nA [1 0]\nC [1 0]\nG [1 0]\nT [1 0]\n", 1, "position 2 has no counts"),
    (">a\nA [1 2]\nA [1 2]\nG [1 2]\nT [1 2]\n", 1, "expected one row each"),
    (">a\nA [1 -2]\nC [1 2]\nG [1 2]\nT [1 2]\n", 2, "finite and >= 0"),
    (">a\nA [1]\nC [1]\nG [1]\nT [1]\n>a\nA [1]\nC [1]\nG [1]\nT [1]\n", 6, "duplicate motif id"),
    (">\nA [1]\n", 1, "without a matrix id"),
]


@pytest.mark.parametrize("text, line, match", BAD_JASPAR)
def test_malformed_jaspar_names_file_and_line(tmp_path, text, line, match):
    p = tmp_path / "bad.jaspar"
    p.write_text(text)
    with pytest.raises(FormatError, match=match) as info:
        mio.read_jaspar(p)
    assert info.value.line == line and str(info.value).startswith(f"{p}, line {line}: ")


def test_jaspar_empty(tmp_path):
    p = tmp_path / "e.jaspar"
    p.write_text("\n# nothing\n")
    with pytest.raises(FormatError, match="no motifs found"):
        mio.read_jaspar(p)
    with pytest.raises(InputError, match="format must be"):
        mio.write_jaspar([Motif("a", [[1, 0, 0, 0]])], format="transfac")


# ----------------------------------------------------------------------------------- dispatch
def test_read_write_motifs_dispatch(tmp_path):
    ms = mio.read_jaspar(JASPAR_TEXT)
    for name, marker in (("d.meme", "MEME version"), ("d.txt", "MEME version"),
                         ("d.jaspar", "A  ["), ("d.pfm", ">MA0004.1"), ("d.meme.gz", None)):
        p = tmp_path / name
        text = mio.write_motifs(ms, p)
        if marker:
            assert marker in text
        _assert_same(mio.read_motifs(p), ms)
    # content sniffing when the name says nothing
    for text in (mio.write_meme(ms), JASPAR_TEXT):
        _assert_same(mio.read_motifs(text), ms)
        q = tmp_path / "noext"
        q.write_text(text)
        _assert_same(mio.read_motifs(q), ms)
    _assert_same(mio.read_motifs(tmp_path / "d.jaspar", format="jaspar"), ms)
    # JASPAR ships both *_meme.txt and *_jaspar.txt: .txt is decided by the content
    q = tmp_path / "x_jaspar.txt"
    q.write_text(JASPAR_TEXT)
    _assert_same(mio.read_motifs(q), ms)
    q = tmp_path / "what.dat"
    q.write_text("hello\nworld\n")
    with pytest.raises(FormatError, match="cannot tell the motif format"):
        mio.read_motifs(q)
    with pytest.raises(InputError, match="format must be one of"):
        mio.read_motifs(q, format="homer")
    with pytest.raises(InputError, match="cannot tell the motif format from the extension"):
        mio.write_motifs(ms, tmp_path / "x.xyz")
    with pytest.raises(InputError, match="format must be one of"):
        mio.write_motifs(ms, tmp_path / "x.xyz", format="homer")
    assert Path(tmp_path / "x.xyz").exists() is False


MEME_FULL_OUTPUT = """********************************************************************************
MEME - Motif discovery tool
********************************************************************************
MEME version 5.5.5 (Release date: test)

ALPHABET= ACGT

Background letter frequencies (from file background.txt):
A 0.295 C 0.205 G 0.205 T 0.295

MOTIF GCGTG MEME-1\twidth =   3  sites =  12  llr = 80  E-value = 1.1e-004

--------------------------------------------------------------------------------
\tMotif GCGTG MEME-1 position-specific scoring matrix
--------------------------------------------------------------------------------
log-odds matrix: alength= 4 w= 3 n= 300 bayes= 4.1 E= 1.1e-004
  -100   -100    200   -100
  -100    210   -100   -100
    12    -30     40    -12
--------------------------------------------------------------------------------
\tMotif GCGTG MEME-1 sites sorted by position p-value
--------------------------------------------------------------------------------
seq_1     +     10  1.5e-05 ACGTA GCA ATTTT
--------------------------------------------------------------------------------
\tMotif GCGTG MEME-1 position-specific probability matrix
--------------------------------------------------------------------------------
letter-probability matrix: alength= 4 w= 3 nsites= 12 E= 1.1e-004
  0.000000  0.000000  1.000000  0.000000
  0.000000  1.000000  0.000000  0.000000
  0.250000  0.250000  0.250000  0.250000
--------------------------------------------------------------------------------
"""


def test_meme_full_text_output():
    (m,) = mio.read_meme(MEME_FULL_OUTPUT)
    assert (m.name, m.alt_name, m.nsites, m.metadata["evalue"]) == ("GCGTG", "MEME-1", 12, "1.1e-004")
    assert m.consensus == "GCN"
    np.testing.assert_allclose(m.bg_freqs, [0.295, 0.205, 0.205, 0.295])
