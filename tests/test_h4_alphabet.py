"""One letter-code policy (kgenint/_alphabet.py) shared by the C core and the Python/Numba code.

Every one of the 256 byte values goes through the C encoder (``one_hot_encode``, from bytes and
from str), the C FASTA parser (``one_hot=True``) and the Python table (:func:`text_to_codes`):
they must give the same code or the same error message. The generated ``csrc/alphabet.h`` must
be the one the Python table writes. One-hot rows are read by one rule in C and Numba.
"""
from __future__ import annotations

import pathlib

import numpy as np
import pytest

from kgenint import _alphabet as A
from kgenint import _ccore
from kgenint._kernels.scan import onehot_to_codes
from kgenint.errors import InputError
from kgenint.sequence import one_hot_decode, one_hot_encode
from kgenint.sequence.shuffle import onehot_codes

ROOT = pathlib.Path(__file__).resolve().parents[1]
WS = set(b" \t\r\n\v\f")  # dropped (or line breaks) by the FASTA parser


def test_policy_spelled_out():
    """The table against the policy written independently of it."""
    expect = {**{ord(c): i for i, c in enumerate("ACGT")}, **{ord(c): i for i, c in enumerate("acgt")},
              **{ord(c): 4 for c in "NRYSWKMBDHVnryswkmbdhv"}}
    for b in range(256):
        code = int(A.LETTER_CODES[b])
        if b in expect:
            assert code == expect[b], chr(b)
        else:
            assert code > A.N_CODE, f"byte {b} ({chr(b)!r}) must be invalid"
    assert A.LETTER_CODES[ord("U")] == A.LETTER_CODES[ord("u")] == A.RNA_U_CODE
    assert A.LETTER_CODES[ord("-")] == A.LETTER_CODES[ord(".")] == A.GAP_CODE
    for ch in "XxZ*0 Ee":
        assert A.LETTER_CODES[ord(ch)] == A.INVALID_CODE
    assert not A.LETTER_CODES.flags.writeable


def test_c_header_is_generated_from_the_table():
    assert (ROOT / "csrc" / "alphabet.h").read_text() == A.c_header(), (
        "csrc/alphabet.h is stale: rebuild (setup.py writes it from kgenint/_alphabet.py)")


def _c_result(seq, ids):
    """('ok', codes) or ('error', message) from the C encoder."""
    try:
        x = one_hot_encode([seq], ids=ids)[0]
    except InputError as err:
        return "error", str(err)
    return "ok", np.where(x.sum(-1) == 1, x.argmax(-1), 4).astype(np.uint8)


def _py_result(seq, ids):
    try:
        codes, _, _ = A.text_to_codes([seq], ids)
    except InputError as err:
        return "error", str(err)
    return "ok", codes


@pytest.mark.parametrize("ids", [None, ["s'1"]])
def test_c_and_python_agree_on_every_byte(ids):
    n_ok = 0
    for b in range(256):
        for seq in (b"AC" + bytes([b]) + b"gt", "AC" + chr(b) + "gt"):
            c, p = _c_result(seq, ids), _py_result(seq, ids)
            assert c[0] == p[0], (b, seq, c, p)
            if c[0] == "ok":
                np.testing.assert_array_equal(c[1], p[1])
                n_ok += 1
            else:
                assert c[1] == p[1], (b, seq)
                assert "position 2 (0-based)" in c[1] and c[1].endswith(A.ALLOWED)
    assert n_ok == 2 * 30  # ACGTN and 10 IUPAC codes, both cases, as bytes and as str


def test_c_fasta_parser_uses_the_same_table():
    for b in sorted(set(range(256)) - WS):
        data = b">r1\nAC" + bytes([b]) + b"gt\n"
        ch = chr(b)
        try:
            x = _ccore.parse_fasta(data, "f.fa", True)[2][0]
        except _ccore.ParseError as err:
            assert A.LETTER_CODES[b] > A.N_CODE, ch
            hint = A.HINTS.get(int(A.LETTER_CODES[b]), "")
            assert err.reason == (f"record 'r1': invalid character {A.describe_char(ch, True)} at sequence "
                                  f"position 2 (0-based).{hint}{A.ALLOWED}")
            continue
        assert A.LETTER_CODES[b] <= A.N_CODE, ch
        code = x[2].argmax() if x[2].sum() == 1 else 4
        assert code == A.LETTER_CODES[b]


def test_messages_name_sequence_position_and_hint():
    with pytest.raises(InputError) as e:
        A.text_to_codes(["ACGT", "ACG-"], ids=["x", "peak2"])
    assert str(e.value) == (
        "sequence 'peak2' (index 1): invalid character '-' at position 3 (0-based). It is an alignment "
        "gap: remove the gaps (or replace them with N). Allowed letters are A, C, G, T, N and the IUPAC "
        "ambiguity codes (upper or lower case).")
    with pytest.raises(InputError, match=r"^sequence 7: invalid character U\+00E9 at position 1 .*case\)\.$"):
        A.text_to_codes(["AC", "Aé"], first_index=6)
    with pytest.raises(InputError, match=r"sequence 'c' \(index 2\).*'u' at position 0.*RNA"):
        A.text_to_codes(["u"], ids=["a", "b", "c"], first_index=2)
    with pytest.raises(InputError, match=r"byte 0xFF at position 1 \(0-based\)\. Allowed"):
        A.text_to_codes([b"A\xff"])


def test_text_codes_of_valid_text():
    codes, off, lens = A.text_to_codes(["ACGTN", b"acgtn", "", "RyK"])
    np.testing.assert_array_equal(codes, [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 4, 4, 4])
    np.testing.assert_array_equal(off, [0, 5, 10, 10])
    np.testing.assert_array_equal(lens, [5, 5, 0, 3])


# --------------------------------------------------------------------------- one-hot rows
ROWS = {
    "A": ([1, 0, 0, 0], 0), "C": ([0, 1, 0, 0], 1), "G": ([0, 0, 1, 0], 2), "T": ([0, 0, 0, 1], 3),
    "N0": ([0, 0, 0, 0], 4), "N-0": ([-0.0, 0, 0, 0], 4), "N.25": ([0.25] * 4, 4),
    "sum1": ([1, 0.5, -0.5, 0], None), "sum0": ([0.5, -0.5, 0, 0], None), "two": ([1, 1, 0, 0], None),
    "half": ([0.5, 0.5, 0, 0], None), "nan": ([np.nan, 0, 0, 0], None), "big": ([2, 0, 0, 0], None),
    "mixed.25": ([0.25, 0.25, 0.25, 0], None),
}


@pytest.mark.parametrize("name", sorted(ROWS))
def test_one_row_rule_in_c_scan_and_shuffle(name):
    row, code = ROWS[name]
    x = np.eye(4, dtype=np.float32)[[0, 1, 2, 3, 2]][None].copy()
    x[0, 3] = row
    out = np.empty(5, dtype=np.uint8)
    bad = onehot_to_codes(x, out)
    if code is None:
        assert bad == 3
        with pytest.raises(InputError, match="sequence 0, position 3"):
            onehot_codes(x)
        with pytest.raises(InputError, match="sequence 0, position 3"):
            one_hot_decode(x)
    else:
        assert bad == -1
        np.testing.assert_array_equal(out, [0, 1, 2, code, 2])
        np.testing.assert_array_equal(onehot_codes(x)[0][0], [0, 1, 2, code, 2])
        assert one_hot_decode(x)[0] == "ACG" + "ACGTN"[code] + "G"


def test_scan_codes_first_bad_row_and_valid_input():
    rng = np.random.default_rng(0)
    c = rng.integers(0, 5, size=(7, 33))
    x = np.where(c[..., None] < 4, np.eye(4, dtype=np.float32)[np.minimum(c, 3)], np.float32(0.25))
    out = np.empty(c.size, dtype=np.uint8)
    assert onehot_to_codes(x, out) == -1
    np.testing.assert_array_equal(out, c.ravel())
    codes, nvals = onehot_codes(x)
    np.testing.assert_array_equal(codes, c)
    np.testing.assert_array_equal(nvals, np.where((c == 4).any(1), 0.25, 0.0))
    x[5, 2] = [1, 1, -1, 0]
    x[3, 30] = [0.5, 0.5, 0, 0]
    x[3, 31] = [0.5, 0.5, 0, 0]
    assert onehot_to_codes(x, out) == 3 * 33 + 30


def test_check_onehot_n_rows_are_all_zero_or_all_quarter():
    """The Python validator reads rows as C and Numba do: an N row is all zeros (or all 0.25); a
    row that only sums to 0 is rejected with its sequence and position."""

    from kgenint._validate import check_onehot

    x = np.zeros((2, 5, 4), dtype=np.float32)
    x[:, :, 0] = 1
    x[0, 1] = 0.0
    x[1, 2] = 0.25
    check_onehot(x)
    x[1, 3] = [0.5, -0.5, 0.0, 0.0]
    with pytest.raises(InputError, match=r"sequence 1, position 3"):
        check_onehot(x)
