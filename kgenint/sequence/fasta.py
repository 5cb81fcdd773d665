"""Read and write FASTA files (plain or gzip), parsed by the compiled core.

Reading accepts multi-line records, empty lines, Windows (CRLF) line ends, spaces inside sequence
lines and ``;`` comment lines. A header is ``>`` followed by the id (first word) and an optional
description (the rest of the line). Errors name the file and the line: data before the first
header, a header without id, a record without sequence, duplicate ids, a truncated gzip file.

>>> recs = read_fasta("peaks.fa.gz")                      # doctest: +SKIP
>>> x = recs.one_hot(length=500)                          # doctest: +SKIP
>>> write_fasta("out.fa", recs.ids, x)                    # doctest: +SKIP
"""
from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _ccore
from ..errors import FormatError, InputError
from .onehot import check_n_value, one_hot_decode, one_hot_encode

__all__ = ["FastaRecords", "read_fasta", "write_fasta"]

_GZIP_MAGIC = b"\x1f\x8b"
_OTHER_COMPRESSION = {
    b"BZh": "bzip2 (decompress it with bunzip2)",
    b"\xfd7zXZ\x00": "xz (decompress it with unxz)",
    b"\x28\xb5\x2f\xfd": "zstd (decompress it with unzstd)",
    b"PK\x03\x04": "zip (unzip it)",
}


class FastaRecords:
    """The records of a FASTA file.

    Attributes
    ----------
    ids : list of str, length N
        Record ids (first word after ``>``).
    descriptions : list of str, length N
        Rest of each header line ('' when absent).
    sequences : list of str, length N
        Sequences as in the file (case kept). When the file was read with ``one_hot=True`` they
        are decoded from the one-hot array on first access (upper case).
    path : str or None
        The file that was read.
    header_lines : list of int, length N
        1-based line number of each header.
    """

    def __init__(
        self,
        ids: list[str],
        descriptions: list[str],
        sequences: list[str] | None = None,
        *,
        path: str | None = None,
        header_lines: list[int] | None = None,
        x: np.ndarray | None = None,
        n_value: float = 0.0,
    ) -> None:
        if sequences is None and x is None:
            raise InputError("FastaRecords needs sequences or a one-hot array x.")
        self.ids = ids
        self.descriptions = descriptions
        self._sequences = sequences
        self.path = path
        self.header_lines = header_lines if header_lines is not None else [0] * len(ids)
        self._x = x
        self._x_n_value = n_value

    @property
    def sequences(self) -> list[str]:
        if self._sequences is None:
            self._sequences = one_hot_decode(self._x)
        return self._sequences

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"FastaRecords({len(self)} records, path={self.path!r})"

    def one_hot(self, n_value: float = 0.0, length: int | None = None) -> np.ndarray:
        """The sequences as one-hot DNA.

        Parameters
        ----------
        n_value : float
            Value of the four channels at an N: 0.0 or 0.25.
        length : int, optional
            Pad every sequence on the right with N to this many positions (longer is an error).
            Without it all records must have the same length.

        Returns
        -------
        np.ndarray, float32, shape (N, L, 4)
            ACGT order. When the file was read with ``one_hot=True`` and the arguments match,
            the array read is returned (not a copy).

        Raises
        ------
        InputError
            Invalid characters (message names the record id and position), unequal lengths.
        """
        nv = check_n_value(n_value)
        if self._x is not None and nv == self._x_n_value and length in (None, self._x.shape[1]):
            return self._x
        seqs = self._sequences if self._sequences is not None else self.sequences
        try:
            return one_hot_encode(seqs, n_value=nv, ids=self.ids, length=length)
        except InputError as err:
            where = f"{self.path}: " if self.path else ""
            raise InputError(where + str(err)) from None


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except EOFError:
            raise FormatError(
                "the gzip file is truncated (it ends before the end-of-stream marker). "
                "Re-download or re-create it.",
                path=path,
            ) from None
        except (gzip.BadGzipFile, zlib.error, OSError) as err:
            raise FormatError(f"the gzip data is corrupt ({err}).", path=path) from None
    else:
        for magic, what in _OTHER_COMPRESSION.items():
            if data.startswith(magic):
                raise FormatError(
                    f"the file is compressed with {what}; kgenint reads plain or gzip FASTA.",
                    path=path,
                )
    if data.startswith(b"\xef\xbb\xbf"):  # UTF-8 byte-order mark written by some editors
        data = data[3:]
    if b"\r" in data[:65536] and b"\n" not in data:
        raise FormatError(
            "the file uses old Mac line ends (CR only); convert them to LF, e.g. with "
            "`tr '\\r' '\\n' < in.fa > out.fa`.",
            path=path,
        )
    return data


def read_fasta(path: str | os.PathLike, *, one_hot: bool = False, n_value: float = 0.0) -> FastaRecords:
    """Read a FASTA file, plain or gzip-compressed (detected from the content, not the name).

    Parameters
    ----------
    path : str or os.PathLike
        The FASTA file.
    one_hot : bool
        Also encode all sequences into one float32 ``(N, L, 4)`` array while parsing (fast path;
        all records must then have the same length). Get it with ``records.one_hot()``.
    n_value : float
        Value of the four channels at an N (0.0 or 0.25) for ``one_hot=True``.

    Returns
    -------
    FastaRecords
        ``ids``, ``descriptions``, ``sequences`` (lists of N str), ``header_lines``,
        ``.one_hot(n_value=0.0, length=None)`` and ``len()``.

    Raises
    ------
    FormatError
        With the file name and line: data before the first header, a header without id, a
        record without sequence, duplicate ids, no records, a truncated or corrupt gzip file,
        and with ``one_hot=True`` unequal lengths or invalid letters.
    FileNotFoundError
        The file does not exist.
    """
    nv = check_n_value(n_value)
    p = os.fspath(path)
    data = _read_bytes(p)
    try:
        ids, descs, seqs, lines = _ccore.parse_fasta(data, str(p), bool(one_hot), nv, not one_hot)
    except _ccore.ParseError as err:
        raise FormatError(err.reason, path=p, line=err.line) from None
    del data
    if not ids:
        raise FormatError(
            "no FASTA records found (a record starts with a '>' header line).", path=p
        )
    if one_hot:
        return FastaRecords(ids, descs, None, path=p, header_lines=lines, x=seqs, n_value=nv)
    return FastaRecords(ids, descs, seqs, path=p, header_lines=lines)


_BAD_SEQ_CHARS = re.compile(r"[\s>]")


def write_fasta(
    path: str | os.PathLike,
    ids: Sequence[str],
    sequences_or_onehot: Sequence[str] | np.ndarray,
    *,
    line_width: int | None = 60,
    descriptions: Sequence[str] | None = None,
    overwrite: bool = True,
) -> None:
    """Write sequences to a FASTA file atomically (:func:`kgenint._io.atomic_path`).

    Parameters
    ----------
    path : str or os.PathLike
        Output file; a name ending in ``.gz`` is written gzip-compressed.
    ids : sequence of str, length N
        Unique record ids without whitespace.
    sequences_or_onehot : sequence of str (N sequences) or array_like, shape (N, L, 4) or (L, 4)
        Sequences as strings, or one-hot DNA (ACGT; all-0 / all-0.25 rows are written as N).
    line_width : int or None
        Letters per sequence line; None or 0 writes each sequence on one line.
    descriptions : sequence of str, length N, optional
        Text after the id on each header line.
    overwrite : bool
        Replace an existing ``path`` (default); False refuses it (:class:`~kgenint.errors.OutputError`).

    Raises
    ------
    InputError
        Number of ids and sequences differ, empty/duplicate ids or ids with whitespace,
        sequences containing whitespace or '>', a bad ``line_width``, non-one-hot arrays.
    """
    p = os.fspath(path)
    if isinstance(sequences_or_onehot, np.ndarray) and sequences_or_onehot.dtype.kind not in "USO":
        seqs = one_hot_decode(sequences_or_onehot)
    elif isinstance(sequences_or_onehot, (str, bytes)):
        seqs = [_as_str(sequences_or_onehot, 0)]
    else:
        seqs = [_as_str(s, i) for i, s in enumerate(sequences_or_onehot)]
    if isinstance(ids, str):
        ids = [ids]
    ids = [str(i) for i in ids]
    if len(ids) != len(seqs):
        raise InputError(
            f"write_fasta needs one id per sequence: received {len(ids)} ids and {len(seqs)} sequences."
        )
    if descriptions is None:
        descriptions = [""] * len(ids)
    elif isinstance(descriptions, str) or len(descriptions) != len(ids):
        raise InputError("descriptions must be a list with one string per sequence.")
    if line_width is None or line_width == 0:
        width = 0
    elif isinstance(line_width, bool) or not isinstance(line_width, (int, np.integer)) or line_width < 0:
        raise InputError(
            f"line_width must be a positive integer or None. Received: line_width={line_width!r}"
        )
    else:
        width = int(line_width)
    seen: dict[str, int] = {}
    for i, rid in enumerate(ids):
        if not rid or any(c.isspace() for c in rid):
            raise InputError(
                f"id {rid!r} (index {i}) is empty or contains whitespace; FASTA ids are one word."
            )
        if rid in seen:
            raise InputError(f"duplicate id {rid!r} at indices {seen[rid]} and {i}; ids must be unique.")
        seen[rid] = i
    for i, s in enumerate(seqs):
        m = _BAD_SEQ_CHARS.search(s)
        if m:
            raise InputError(
                f"sequence {ids[i]!r} (index {i}) contains {m.group()!r} at position {m.start()}; "
                "sequences cannot contain whitespace or '>'."
            )
        if not s:
            raise InputError(f"sequence {ids[i]!r} (index {i}) is empty.")

    parts: list[str] = []
    for rid, desc, s in zip(ids, descriptions, seqs):
        desc = " ".join(str(desc).split())
        parts.append(f">{rid} {desc}\n" if desc else f">{rid}\n")
        if width:
            parts.extend(s[k : k + width] + "\n" for k in range(0, len(s), width))
        else:
            parts.append(s + "\n")
    payload = "".join(parts).encode("ascii", errors="strict")
    if p.endswith(".gz"):
        payload = gzip.compress(payload, compresslevel=6, mtime=0)

    from .._io import atomic_path

    with atomic_path(p, overwrite=overwrite) as tmp, open(tmp, "wb") as fh:
        fh.write(payload)


def _as_str(s: Any, i: int) -> str:
    if isinstance(s, bytes):
        try:
            return s.decode("ascii")
        except UnicodeDecodeError:
            raise InputError(f"sequence {i} holds non-ASCII bytes.") from None
    if isinstance(s, str):
        if not s.isascii():
            raise InputError(f"sequence {i} holds non-ASCII characters.")
        return s
    raise InputError(f"sequence {i} is a {type(s).__name__}; expected str, bytes or a one-hot array.")
