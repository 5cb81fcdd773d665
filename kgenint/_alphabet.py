"""kgenint's one letter-code policy: which bytes of DNA text are bases, and their codes.

The policy (the only place it is defined; ``docs/sequences.md`` explains it to users)
-------------------------------------------------------------------------------------
=========================================  =====  ===============================================
letters (upper or lower case)              code   read as
=========================================  =====  ===============================================
``A C G T``                                0 - 3  the base: the one-hot channel, ACGT order
``N`` and the IUPAC ambiguity codes        4      an unknown base: a one-hot row of all 0 (or all
``R Y S W K M B D H V``                           0.25, ``n_value``); the motif scanner skips
                                                  windows that contain one (as FIMO does)
``U``                                      5      invalid; the message says "Is this RNA?
                                                  Replace U with T."
``-`` ``.`` (alignment gaps)               6      invalid; the message says to remove them
anything else (``X``, digits, spaces,      255    invalid
non-ASCII)
=========================================  =====  ===============================================

Codes 0-4 are valid (:data:`N_CODE` is the largest). An invalid letter is an error whose message
names the sequence (its id when known, else its 0-based index), the 0-based position and the
character, e.g. ``sequence 'peak2' (index 1): invalid character 'U' at position 3 (0-based). Is
this RNA? Replace U with T. Allowed letters are A, C, G, T, N and the IUPAC ambiguity codes
(upper or lower case).`` An ambiguity code is read as N, so decoding a one-hot array gives ``N``
where the text had ``R``.

One table, two compilers
------------------------
:data:`LETTER_CODES` (256 uint8 entries, read-only) is the table. Python code indexes it directly
(:func:`text_to_codes`; Numba kernels can take it as a global array); the C core
(``kgenint._ccore``: ``one_hot_encode``, FASTA parsing with ``one_hot=True``) compiles the same
table from ``csrc/alphabet.h``, which :func:`write_c_header` generates from this module
(``setup.py`` runs it before every build). ``tests/test_h4_alphabet.py`` fails when the header is
stale or when C and Python disagree on the code or the error message of any of the 256 bytes.

This module imports only numpy (``setup.py`` loads it by path, before the package is built).
"""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

__all__ = [
    "LETTER_CODES", "N_CODE", "RNA_U_CODE", "GAP_CODE", "INVALID_CODE", "IUPAC_AMBIGUITY", "HINTS", "ALLOWED",
    "describe_char", "invalid_letter_message", "text_to_codes", "c_header", "write_c_header",
]

#: Code of N and of the IUPAC ambiguity codes, and the largest valid code (0-3 are A, C, G, T).
N_CODE = 4
#: Code of U/u (invalid: RNA).
RNA_U_CODE = 5
#: Code of the alignment gaps ``-`` and ``.`` (invalid).
GAP_CODE = 6
#: Code of every other byte (invalid).
INVALID_CODE = 255
#: IUPAC ambiguity letters other than N (read as N).
IUPAC_AMBIGUITY = "RYSWKMBDHV"

#: The sentence added to an invalid letter's message, by code (empty for the other codes).
HINTS = {
    RNA_U_CODE: " Is this RNA? Replace U with T.",
    GAP_CODE: " It is an alignment gap: remove the gaps (or replace them with N).",
}
#: The last sentence of every invalid-letter message.
ALLOWED = " Allowed letters are A, C, G, T, N and the IUPAC ambiguity codes (upper or lower case)."


def _table() -> np.ndarray:
    t = np.full(256, INVALID_CODE, dtype=np.uint8)
    for letters, code in [(c, i) for i, c in enumerate("ACGT")] + [
        ("N" + IUPAC_AMBIGUITY, N_CODE), ("U", RNA_U_CODE), ("-.", GAP_CODE)
    ]:
        for ch in letters:
            t[ord(ch)] = t[ord(ch.lower())] = code
    t.flags.writeable = False
    return t


#: Byte -> code (see the module docstring). Read-only.
LETTER_CODES = _table()


def describe_char(ch: str, from_bytes: bool) -> str:
    """How a message names a character: ``'X'``, ``a space``, ``byte 0x80``, ``U+00E9``."""
    o = ord(ch)
    if ch == " ":
        return "a space"
    if ch == "\t":
        return "a tab"
    if 32 < o < 127:
        return f"'{ch}'"
    return f"byte 0x{o:02X}" if from_bytes else f"U+{o:04X}"


def invalid_letter_message(index: int, position: int, ch: str, *, from_bytes: bool = False,
                           seq_id: object = None) -> str:
    """The message for an invalid letter ``ch`` at ``position`` of sequence ``index``."""
    who = f"sequence {index}" if seq_id is None else f"sequence {seq_id!r} (index {index})"
    code = int(LETTER_CODES[ord(ch)]) if ord(ch) < 256 else INVALID_CODE
    return (f"{who}: invalid character {describe_char(ch, from_bytes)} at position {position} "
            f"(0-based).{HINTS.get(code, '')}{ALLOWED}")


def text_to_codes(seqs: Sequence[str | bytes], ids: Sequence[object] | None = None,
                  first_index: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Base codes of DNA text, all sequences concatenated.

    Parameters
    ----------
    seqs : sequence of str or bytes, N sequences
        DNA text (letters as in the module docstring).
    ids : sequence, optional
        Names for messages, indexed by ``first_index + i`` (the sequences may be one chunk of a
        longer list).
    first_index : int
        Index of ``seqs[0]`` in the full list (for messages).

    Returns
    -------
    codes : np.ndarray, uint8, shape (sum of lengths,)
        0-3 for A, C, G, T and 4 for N (and the IUPAC ambiguity codes).
    offsets, lengths : np.ndarray, int64, shape (N,)
        Where each sequence starts in ``codes``, and its length.

    Raises
    ------
    InputError
        The first invalid letter, with the message of :func:`invalid_letter_message` (the same
        text the C core gives).
    """
    bufs = [s.encode("ascii", errors="replace") if isinstance(s, str) else bytes(s) for s in seqs]
    lens = np.array([len(b) for b in bufs], dtype=np.int64)
    off = np.zeros(len(bufs), dtype=np.int64)
    if len(bufs) > 1:
        off[1:] = np.cumsum(lens)[:-1]
    codes = LETTER_CODES[np.frombuffer(b"".join(bufs), dtype=np.uint8)]
    bad = np.flatnonzero(codes > N_CODE)
    if bad.size:
        from .errors import InputError

        j = int(bad[0])
        i = int(np.searchsorted(off, j, side="right") - 1)
        pos = j - int(off[i])
        s = seqs[i]
        ch = s[pos] if isinstance(s, str) else chr(s[pos])
        k = first_index + i
        raise InputError(invalid_letter_message(
            k, pos, ch, from_bytes=not isinstance(s, str), seq_id=None if ids is None else ids[k]))
    return codes, off, lens


# --------------------------------------------------------------------------- the C header
def c_header() -> str:
    """The text of ``csrc/alphabet.h``: this module's table, hints and sentence for C."""

    def c_str(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    rows = ",\n".join(
        "    " + ", ".join(f"{int(v):3d}" for v in LETTER_CODES[r:r + 16]) for r in range(0, 256, 16)
    )
    n_hints = max(HINTS) + 1
    hints = ",\n".join(f"    {c_str(HINTS.get(c, ''))}" for c in range(n_hints))
    return f"""/* Generated from kgenint/_alphabet.py by write_c_header() (setup.py runs it before each
 * build): do not edit; edit the Python module.  kgenint's one letter-code policy: byte -> code,
 * 0..3 = A, C, G, T, {N_CODE} = N and the IUPAC ambiguity codes (both cases); every code above
 * {N_CODE} is an invalid letter. */
#ifndef KGENINT_ALPHABET_H
#define KGENINT_ALPHABET_H

#include <stdint.h>

#define KG_N {N_CODE}
#define KG_BAD {INVALID_CODE}

static const uint8_t kg_code[256] = {{
{rows}}};

/* The hint sentence of an invalid letter, by code (codes >= KG_NHINTS have none). */
#define KG_NHINTS {n_hints}
static const char *const kg_hints[KG_NHINTS] = {{
{hints}}};

/* The last sentence of every invalid-letter message. */
#define KG_ALLOWED {c_str(ALLOWED)}

#endif /* KGENINT_ALPHABET_H */
"""


def write_c_header(path: str | os.PathLike) -> bool:
    """Write :func:`c_header` to ``path`` unless it already holds it; True when written."""
    text = c_header()
    try:
        with open(path, encoding="utf-8") as fh:
            if fh.read() == text:
                return False
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return True
