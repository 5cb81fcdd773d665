"""one_hot_encode / one_hot_decode / reverse_complement against the naive references."""
import pathlib
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kgenint.errors import InputError
from kgenint.sequence import one_hot_decode, one_hot_encode, reverse_complement

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import naive_sequence as naive  # noqa: E402

dna = st.text(alphabet="ACGTNacgtn", min_size=1, max_size=40)


@given(st.lists(dna, min_size=1, max_size=6), st.sampled_from([0.0, 0.25]))
def test_encode_matches_naive_with_padding(seqs, n_value):
    L = max(map(len, seqs)) + 2
    x = one_hot_encode(seqs, n_value=n_value, length=L)
    np.testing.assert_array_equal(x, naive.one_hot_encode(seqs, n_value=n_value, length=L))
    assert x.dtype == np.float32 and x.shape == (len(seqs), L, 4)


@given(st.integers(1, 30).flatmap(lambda L: st.lists(st.text("ACGTNacgtn", min_size=L, max_size=L), min_size=1, max_size=5)))
def test_round_trip_upper_cases(seqs):
    for nv in (0.0, 0.25):
        x = one_hot_encode(seqs, n_value=nv)
        assert one_hot_decode(x) == [s.upper() for s in seqs]
        assert one_hot_decode(x) == naive.one_hot_decode(x)


def test_single_string_and_bytes():
    assert one_hot_encode("ACGT").shape == (1, 4, 4)
    np.testing.assert_array_equal(one_hot_encode(b"ACGT"), one_hot_encode(["ACGT"]))
    assert one_hot_decode(one_hot_encode("GATTACA")[0]) == ["GATTACA"]


def test_n_value():
    x = one_hot_encode(["ANn"], n_value=0.25)
    np.testing.assert_array_equal(x[0, 1:], np.full((2, 4), 0.25, np.float32))
    x = one_hot_encode(["ANn"])
    np.testing.assert_array_equal(x[0, 1:], np.zeros((2, 4), np.float32))


def test_revcomp_reference_and_involution():
    rng = np.random.default_rng(3)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(5, 21))]
    rc = reverse_complement(x)
    np.testing.assert_array_equal(rc, x[:, ::-1, ::-1])
    np.testing.assert_array_equal(reverse_complement(rc), x)
    np.testing.assert_array_equal(reverse_complement(x[0]), x[0, ::-1, ::-1])
    assert one_hot_decode(reverse_complement(one_hot_encode("AACGTN"))) == ["NACGTT"]
    # Attribution-like values pass through unchanged in value.
    a = rng.normal(size=(2, 9, 4)).astype(np.float32)
    np.testing.assert_array_equal(reverse_complement(a), a[:, ::-1, ::-1])


def test_encode_bad_character_names_id_and_position():
    with pytest.raises(InputError, match=r"sequence 'peak2' \(index 1\): invalid character 'U' at position 3"):
        one_hot_encode(["ACGT", "ACGU"], ids=["peak1", "peak2"])
    with pytest.raises(InputError, match=r"sequence 0: invalid character '-' at position 2"):
        one_hot_encode(["AC-T"])


def test_encode_bad_input():
    with pytest.raises(InputError, match=r"sequence 1 has length 3 but the first sequence has length 4.*length="):
        one_hot_encode(["ACGT", "ACG"])
    with pytest.raises(InputError, match="longer than length=2"):
        one_hot_encode(["ACG"], length=2)
    with pytest.raises(InputError, match="n_value .* must be 0.0 or 0.25"):
        one_hot_encode(["ACG"], n_value=0.5)
    with pytest.raises(InputError, match="length must be a positive"):
        one_hot_encode(["ACG"], length=0)
    with pytest.raises(InputError, match="no sequences"):
        one_hot_encode([])
    with pytest.raises(InputError, match="sequence 0 is a int"):
        one_hot_encode([5])
    with pytest.raises(InputError, match="3 ids for 1 sequences"):
        one_hot_encode(["A"], ids=["a", "b", "c"])


def test_decode_bad_input():
    x = one_hot_encode(["ACGT"])
    x[0, 2] = [0.5, 0.5, 0, 0]
    with pytest.raises(InputError, match="sequence 0, position 2 holds"):
        one_hot_decode(x)
    with pytest.raises(InputError, match=r"shape \(N, L, 4\)"):
        one_hot_decode(np.zeros((2, 4, 3)))
    with pytest.raises(InputError, match="numeric array"):
        one_hot_decode([["A", "C", "G", "T"]])


def test_revcomp_bad_input():
    with pytest.raises(InputError, match=r"Received shape \(2, 5\)"):
        reverse_complement(np.zeros((2, 5)))
    with pytest.raises(InputError, match=r"Received shape \(1, 2, 3, 4\)"):
        reverse_complement(np.zeros((1, 2, 3, 4)))


@given(st.lists(st.text(alphabet="ACGTNacgtnRYX- é\x00", min_size=5, max_size=5), min_size=1, max_size=5))
def test_error_names_first_bad_character(seqs):
    bad = [(i, j, c) for i, s in enumerate(seqs) for j, c in enumerate(s) if c not in "ACGTNacgtnRY"]
    if not bad:  # IUPAC ambiguity codes are read as N
        assert one_hot_decode(one_hot_encode(seqs)) == [s.upper().replace("R", "N").replace("Y", "N") for s in seqs]
        return
    i, j, c = bad[0]
    with pytest.raises(InputError, match=rf"^sequence {i}: invalid character .* at position {j} \(0-based\)"):
        one_hot_encode(seqs)
    with pytest.raises(InputError, match=rf"^sequence {i}: invalid character .* at position {j} "):
        one_hot_encode([s.encode("utf-8") if s.isascii() else s for s in seqs])
