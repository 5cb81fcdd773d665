"""The compiled core kgenint._ccore called directly: types, exceptions, buffers, references."""
import pathlib
import sys

import numpy as np
import pytest

from kgenint import _ccore

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import naive_sequence as naive  # noqa: E402


def test_exceptions_are_value_errors():
    assert issubclass(_ccore.SequenceError, ValueError)
    assert issubclass(_ccore.ParseError, ValueError)


def test_encode_accepts_str_bytes_bytearray_and_numpy_str():
    seqs = ["ACGTN", b"acgtn", bytearray(b"TTTTA"), np.str_("GGCCN")]
    x = _ccore.one_hot_encode(seqs, -1, 0.25)
    ref = naive.one_hot_encode(["ACGTN", "acgtn", "TTTTA", "GGCCN"], n_value=0.25)
    assert x.dtype == np.float32 and x.flags.c_contiguous
    np.testing.assert_array_equal(x, ref)


def test_encode_padding_and_empty():
    x = _ccore.one_hot_encode(["AC", "A", ""], 3, 0.0)
    np.testing.assert_array_equal(x, naive.one_hot_encode(["AC", "A", ""], length=3))
    assert _ccore.one_hot_encode([], -1, 0.0).shape == (0, 0, 4)
    assert _ccore.one_hot_encode([], 7, 0.0).shape == (0, 7, 4)


def test_encode_error_attributes():
    with pytest.raises(_ccore.SequenceError, match=r"sequence 'b' \(index 1\).*'U'.*position 2.*RNA") as e:
        _ccore.one_hot_encode(["AAAA", "ACUT"], -1, 0.0, ["a", "b"])
    assert (e.value.index, e.value.position, e.value.char) == (1, 2, "U")
    with pytest.raises(_ccore.SequenceError, match=r"sequence 0: invalid character U\+00E9 at position 1"):
        _ccore.one_hot_encode(["AéT"], -1, 0.0)
    with pytest.raises(_ccore.SequenceError, match=r"byte 0xFF at position 0"):
        _ccore.one_hot_encode([b"\xffA"], -1, 0.0)
    with pytest.raises(_ccore.SequenceError, match=r"a space at position 1"):
        _ccore.one_hot_encode(["A C"], -1, 0.0)


def test_encode_first_error_wins_across_ascii_and_non_ascii():
    # An ASCII error in an earlier sequence is reported before a non-ASCII one later.
    with pytest.raises(_ccore.SequenceError, match="sequence 0: invalid character 'X'"):
        _ccore.one_hot_encode(["AXA", "AéA"], -1, 0.0)
    with pytest.raises(_ccore.SequenceError, match="sequence 1: invalid character U"):
        _ccore.one_hot_encode(["AAA", "AéA", "AXA"], -1, 0.0)


def test_encode_bad_arguments():
    with pytest.raises(TypeError, match="sequence 1 is a int"):
        _ccore.one_hot_encode(["A", 3], -1, 0.0)
    with pytest.raises(TypeError, match="not a single str"):
        _ccore.one_hot_encode("ACGT", -1, 0.0)
    with pytest.raises(ValueError, match="length must be"):
        _ccore.one_hot_encode(["A"], -5, 0.0)
    with pytest.raises(ValueError, match="n_value must be a finite"):
        _ccore.one_hot_encode(["A"], -1, float("nan"))
    with pytest.raises(ValueError, match="2 ids for 1 sequences"):
        _ccore.one_hot_encode(["A"], -1, 0.0, ["a", "b"])
    with pytest.raises(_ccore.SequenceError, match="has length 3, longer than length=2"):
        _ccore.one_hot_encode(["AC", "ACG"], 2, 0.0)
    with pytest.raises(_ccore.SequenceError, match="sequence 2 has length 1 but the first"):
        _ccore.one_hot_encode(["AC", "GT", "A"], -1, 0.0)


def test_encode_does_not_leak_references():
    seqs = ["ACGT" * 10 for _ in range(5)]
    before = [sys.getrefcount(s) for s in seqs]
    for _ in range(100):
        _ccore.one_hot_encode(seqs, -1, 0.0)
        with pytest.raises(_ccore.SequenceError):
            _ccore.one_hot_encode(seqs + ["ACGX" * 10], -1, 0.0)
    assert [sys.getrefcount(s) for s in seqs] == before


def test_decode_and_revcomp_match_reference():
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(7, 33))]
    x[2, 5] = 0.0
    x[3, 7] = 0.25
    assert _ccore.one_hot_decode(x) == naive.one_hot_decode(x)
    np.testing.assert_array_equal(_ccore.reverse_complement(x), naive.reverse_complement(x))
    # Non-contiguous and float64 inputs are converted.
    xv = np.asarray(x, dtype=np.float64)[:, ::2]
    np.testing.assert_array_equal(_ccore.reverse_complement(xv), naive.reverse_complement(xv))
    assert _ccore.one_hot_decode(np.zeros((0, 5, 4), np.float32)) == []


def test_decode_errors():
    x = np.zeros((2, 3, 4), np.float32)
    x[1, 2] = [0.5, 0.5, 0, 0]
    with pytest.raises(_ccore.SequenceError, match=r"sequence 1, position 2 holds \[0.5, 0.5, 0.0, 0.0\]"):
        _ccore.one_hot_decode(x)
    x[1, 2] = [np.nan, 0, 0, 0]
    with pytest.raises(_ccore.SequenceError, match="position 2"):
        _ccore.one_hot_decode(x)
    with pytest.raises(ValueError, match=r"shape \(N, L, 4\).*\(3, 4, 5\)"):
        _ccore.one_hot_decode(np.zeros((3, 4, 5), np.float32))
    with pytest.raises(ValueError, match=r"Received shape \(4,\)"):
        _ccore.reverse_complement(np.zeros(4, np.float32))


def test_parse_fasta_buffers_and_lines():
    text = b">a desc one\r\nAC\r\n\r\nGT\r\n;comment\n>b\n  AA AA \n"
    for buf in (text, bytearray(text), memoryview(text)):
        ids, descs, seqs, lines = _ccore.parse_fasta(buf, "x.fa")
        assert ids == ["a", "b"] and descs == ["desc one", ""]
        assert seqs == [b"ACGT", b"AAAA"] and lines == [1, 6]
    ids, _, x, _ = _ccore.parse_fasta(text, "x.fa", True, 0.25)
    np.testing.assert_array_equal(x, naive.one_hot_encode(["ACGT", "AAAA"]))
    assert _ccore.parse_fasta(b"", "x.fa") == ([], [], [], [])
    with pytest.raises(TypeError):
        _ccore.parse_fasta("not bytes", "x.fa")


@pytest.mark.parametrize(
    "data, line, pattern",
    [
        (b"ACGT\n>a\nA\n", 1, "before the first '>' header"),
        (b"\n\n>a\nA\n>b\n\n>c\nA\n", 5, "record 'b' has no sequence"),
        (b">a\nA\n>b\n", 3, "record 'b' has no sequence .the file ends"),
        (b">a\nA\n>b x\nC\n>a y\nG\n", 5, "duplicate id 'a'.*line 1 and line 5"),
        (b">a\nA\n>  \nC\n", 3, "has no id"),
        (b">a\nACGT\n>b\nACG\n", 3, "record 'b' has length 3 but the first record 'a' has length 4"),
        (b">a\nACGT\n>b\nACGX\n", 3, "record 'b': invalid character 'X' at sequence position 3"),
    ],
)
def test_parse_fasta_errors(data, line, pattern):
    with pytest.raises(_ccore.ParseError, match=pattern) as e:
        _ccore.parse_fasta(data, "in.fa", True)
    assert e.value.line == line and e.value.filename == "in.fa"
    assert str(e.value).startswith(f"in.fa, line {line}: ")


def test_parse_fasta_as_str():
    ids, _, seqs, _ = _ccore.parse_fasta(b">a\nAC GT\n>b\nnnRY\n", "x.fa", as_str=True)
    assert seqs == ["ACGT", "nnRY"] and all(type(s) is str for s in seqs)
    with pytest.raises(_ccore.ParseError, match=r"x.fa, line 3: record 'b' has a non-ASCII byte 0xC3 at sequence position 1"):
        _ccore.parse_fasta(">a\nA\n>b\nAéA\n".encode(), "x.fa", as_str=True)
