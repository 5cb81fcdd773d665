"""read_fasta / write_fasta: layouts, gzip, errors with file and line, round trips."""
import gzip
import os
import pathlib
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kgenint.errors import FormatError, InputError
from kgenint.sequence import FastaRecords, one_hot_encode, read_fasta, write_fasta

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import naive_sequence as naive  # noqa: E402

TEXT = (
    ">chr1:100-110 peak one\n"
    "ACGTA\n"
    "CGTAC\n"
    "\n"
    ">chr2:5-15\tsecond  peak \n"
    "acgtn\n"
    "\n"
    "NNACG\n"
    ">x3\n"
    "TTTTTTTTTT\n"
)


def _write(path, text, *, crlf=False, gz=False):
    data = text.replace("\n", "\r\n") if crlf else text
    raw = data.encode()
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("gz", [False, True])
def test_read_layouts_match_naive(tmp_path, crlf, gz):
    p = _write(tmp_path / "a.fa", TEXT, crlf=crlf, gz=gz)  # gzip detected from content, not name
    recs = read_fasta(p)
    ids, descs, seqs = naive.parse_fasta(TEXT)
    assert (recs.ids, recs.descriptions, recs.sequences) == (ids, descs, seqs)
    assert recs.header_lines == [1, 5, 9] and len(recs) == 3
    assert recs.descriptions[1] == "second  peak"
    x = recs.one_hot(n_value=0.25)
    np.testing.assert_array_equal(x, naive.one_hot_encode(seqs, n_value=0.25))
    direct = read_fasta(p, one_hot=True, n_value=0.25)
    np.testing.assert_array_equal(direct.one_hot(n_value=0.25), x)
    assert direct.sequences == [s.upper() for s in seqs]


def test_one_hot_padding_and_unequal(tmp_path):
    p = _write(tmp_path / "b.fa", ">a\nACGT\n>b\nAC\n")
    recs = read_fasta(p)
    np.testing.assert_array_equal(recs.one_hot(length=5), naive.one_hot_encode(["ACGT", "AC"], length=5))
    with pytest.raises(InputError, match=r"b.fa: sequence 'b' \(index 1\) has length 2"):
        recs.one_hot()
    with pytest.raises(FormatError, match=r"b.fa, line 3: record 'b' has length 2 but the first record 'a' has length 4"):
        read_fasta(p, one_hot=True)


@pytest.mark.parametrize(
    "text, line, pattern",
    [
        ("ACGT\n>a\nACGT\n", 1, "before the first '>' header"),
        (">a\nAC\n>b\n>c\nGT\n", 3, "record 'b' has no sequence"),
        (">a\nAC\n>b\n\n", 3, "record 'b' has no sequence"),
        (">a x\nAC\n>b\nAA\n>a y\nGT\n", 5, r"duplicate id 'a': the records with headers on line 1 and line 5"),
        (">\nAC\n", 1, "has no id"),
    ],
)
def test_format_errors_name_file_and_line(tmp_path, text, line, pattern):
    p = _write(tmp_path / "bad.fa", text)
    with pytest.raises(FormatError, match=pattern) as e:
        read_fasta(p)
    assert e.value.line == line and e.value.path == str(p)
    assert str(e.value).startswith(f"{p}, line {line}: ")


def test_bad_letter_with_one_hot(tmp_path):
    p = _write(tmp_path / "r.fa", ">a\nACGT\n>b\nACXT\n")
    with pytest.raises(FormatError, match=r"line 3: record 'b': invalid character 'X' at sequence position 2"):
        read_fasta(p, one_hot=True)
    recs = read_fasta(p)  # reading as text keeps every letter
    assert recs.sequences[1] == "ACXT"
    with pytest.raises(InputError, match=r"sequence 'b' \(index 1\): invalid character 'X' at position 2"):
        recs.one_hot()


def test_iupac_codes_read_as_n(tmp_path):
    p = _write(tmp_path / "r.fa", ">a\nACGT\n>b\nAYrT\n")
    recs = read_fasta(p)
    assert recs.sequences[1] == "AYrT"
    x = read_fasta(p, one_hot=True, n_value=0.25).one_hot(n_value=0.25)
    np.testing.assert_array_equal(x, naive.one_hot_encode(["ACGT", "ANNT"], n_value=0.25))
    np.testing.assert_array_equal(recs.one_hot(), naive.one_hot_encode(["ACGT", "ANNT"]))


def test_truncated_and_other_compression(tmp_path):
    raw = gzip.compress((">a\n" + "ACGT" * 5000 + "\n").encode())
    p = tmp_path / "t.fa.gz"
    p.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(FormatError, match=r"t.fa.gz: the gzip file is truncated"):
        read_fasta(p)
    p.write_bytes(raw[:10] + b"\x00" * 40)
    with pytest.raises(FormatError, match="t.fa.gz: the gzip"):
        read_fasta(p)
    p2 = tmp_path / "c.fa.bz2"
    p2.write_bytes(b"BZh91AY&SY...")
    with pytest.raises(FormatError, match="bzip2"):
        read_fasta(p2)


def test_empty_and_missing(tmp_path):
    p = _write(tmp_path / "e.fa", "\n\n")
    with pytest.raises(FormatError, match="e.fa: no FASTA records"):
        read_fasta(p)
    with pytest.raises(FileNotFoundError):
        read_fasta(tmp_path / "missing.fa")
    with pytest.raises(InputError, match="n_value"):
        read_fasta(p, n_value=1)


def test_write_read_round_trip_strings_and_onehot(tmp_path):
    seqs = ["ACGTACGTAC" * 13 + "A", "acgtnNNA"]
    p = tmp_path / "w.fa"
    write_fasta(p, ["s1", "s2"], seqs, line_width=60, descriptions=["first seq", ""])
    lines = p.read_text().splitlines()
    assert lines[0] == ">s1 first seq" and len(lines[1]) == 60 and lines[3] == "ACGTACGTACA"
    recs = read_fasta(p)
    assert recs.ids == ["s1", "s2"] and recs.sequences == seqs and recs.descriptions == ["first seq", ""]
    x = one_hot_encode(["ACGTN", "TTGCA"], n_value=0.25)
    pz = tmp_path / "w.fa.gz"
    write_fasta(pz, ["a", "b"], x, line_width=None)
    assert pz.read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(read_fasta(pz).one_hot(n_value=0.25), x)
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


@settings(max_examples=20)
@given(st.lists(st.text("ACGTNacgtn", min_size=1, max_size=200), min_size=1, max_size=5), st.integers(1, 80))
def test_round_trip_property(tmp_path_factory, seqs, width):
    p = tmp_path_factory.mktemp("rt") / "p.fa"
    ids = [f"r{i}" for i in range(len(seqs))]
    write_fasta(p, ids, seqs, line_width=width)
    recs = read_fasta(p)
    assert recs.ids == ids and recs.sequences == seqs


def test_write_is_atomic_on_error(tmp_path):
    p = tmp_path / "keep.fa"
    write_fasta(p, ["a"], ["ACGT"])
    before = p.read_bytes()
    bad = np.zeros((1, 4, 4), np.float32)
    bad[0, 0] = [1, 1, 0, 0]
    with pytest.raises(InputError, match="not one-hot"):
        write_fasta(p, ["a"], bad)
    assert p.read_bytes() == before


def test_write_bad_input(tmp_path):
    p = tmp_path / "x.fa"
    with pytest.raises(InputError, match="2 ids and 1 sequences"):
        write_fasta(p, ["a", "b"], ["ACGT"])
    with pytest.raises(InputError, match="duplicate id 'a'"):
        write_fasta(p, ["a", "a"], ["A", "C"])
    with pytest.raises(InputError, match="contains whitespace"):
        write_fasta(p, ["a b"], ["A"])
    with pytest.raises(InputError, match="cannot contain whitespace or '>'"):
        write_fasta(p, ["a"], ["AC GT"])
    with pytest.raises(InputError, match="line_width"):
        write_fasta(p, ["a"], ["ACGT"], line_width=-3)
    with pytest.raises(InputError, match="is empty"):
        write_fasta(p, ["a"], [""])
    assert not p.exists()


def test_records_repr_and_len():
    r = FastaRecords(["a"], [""], ["AC"])
    assert len(r) == 1 and "1 records" in repr(r)


def test_non_ascii_sequence_byte(tmp_path):
    p = tmp_path / "u.fa"
    p.write_bytes(">a\nACGT\n>b\nAC\xe9T\n".encode("latin-1"))
    with pytest.raises(FormatError, match=r"u.fa, line 3: record 'b' has a non-ASCII byte 0xE9 at sequence position 2"):
        read_fasta(p)


def test_bom_and_cr_only_line_ends(tmp_path):
    p = tmp_path / "bom.fa"
    p.write_bytes(b"\xef\xbb\xbf>a\nACGT\n")
    assert read_fasta(p).ids == ["a"]
    p.write_bytes(b">a\rACGT\r>b\rAC\r")
    with pytest.raises(FormatError, match=r"bom.fa: .*old Mac line ends"):
        read_fasta(p)
