"""JASPAR ``.jaspar`` (header + four count rows) and ``.pfm`` (four count rows) files:
:func:`read_jaspar` and :func:`write_jaspar`."""
from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, InputError
from .motif import ALPHABET, DEFAULT_NSITES, Motif, MotifError
from .._validate import is_number
from ._textio import (
    PathLike,
    _as_motif_list,
    _read_source,
    _write_text,
)

__all__ = ["read_jaspar", "write_jaspar"]


# ---------------------------------------------------------------------------------- JASPAR read
_JROW_RE = re.compile(r"^\s*([ACGTacgt])\s*[:|]?\s*\[?(.*?)\]?\s*$")


def read_jaspar(source: Any) -> list[Motif]:
    """Read count matrices from a JASPAR ``.jaspar`` or ``.pfm`` file.

    ``.jaspar``: one or more motifs, each a ``>MATRIX_ID NAME`` header line and four rows
    ``A [ 4 19 0 ... ]`` (letters in any order, brackets optional). ``.pfm``: four rows of
    counts in ACGT order without letters, optionally after a ``>`` header; without a header the
    motif is named after the file (``MA0004.1.pfm`` -> ``MA0004.1``).

    Parameters
    ----------
    source : str, os.PathLike or file-like
        A path (plain or gzip), the file's text (a string with newlines) or an open file.

    Returns
    -------
    list of Motif
        Built with :meth:`Motif.from_counts`: ``counts`` kept, ``pwm = counts / column total``,
        ``nsites`` the largest column total, uniform background, ``name`` the matrix id,
        ``alt_name`` the TF name.

    Raises
    ------
    FormatError
        With the file and line: rows that are not numeric, rows of unequal length, a motif
        without exactly 4 rows (A, C, G, T), repeated letters, negative counts, a position with
        no counts, duplicate ids, no motif.
    """
    text, label, stem = _read_source(source)
    return _parse_jaspar(text.splitlines(), label, stem)


def _parse_jaspar(lines: list[str], label: str, stem: str | None) -> list[Motif]:
    blocks: list[dict] = []
    cur: dict | None = None
    for k, raw in enumerate(lines):
        s = raw.strip()
        ln = k + 1
        if not s or s.startswith("#"):
            continue
        if s.startswith(">"):
            toks = s[1:].split()
            if not toks:
                raise FormatError(
                    "header line '>' without a matrix id. Write '>MA0004.1 Arnt'.",
                    path=label,
                    line=ln,
                )
            cur = {"name": toks[0], "alt": toks[1] if len(toks) > 1 else None, "line": ln, "rows": []}
            blocks.append(cur)
            continue
        if cur is None:
            cur = {"name": stem or "motif_1", "alt": None, "line": ln, "rows": []}
            blocks.append(cur)
        m = _JROW_RE.match(s)
        letter = None
        body = s
        if m:
            letter, body = m.group(1).upper(), m.group(2)
        body = body.replace("[", " ").replace("]", " ")
        toks = body.split()
        if not toks:
            raise FormatError(f"row {s!r} holds no counts.", path=label, line=ln)
        try:
            vals = np.array([float(t) for t in toks])
        except ValueError:
            bad = next(t for t in toks if not is_number(t))
            raise FormatError(
                f"motif {cur['name']!r}: count {bad!r} is not a number. Rows look like "
                "'A [ 4 19 0 ]' (.jaspar) or '4 19 0' (.pfm).",
                path=label,
                line=ln,
            ) from None
        if not np.all(np.isfinite(vals)) or np.any(vals < 0):
            raise FormatError(
                f"motif {cur['name']!r}: counts must be finite and >= 0.", path=label, line=ln
            )
        if cur["rows"] and len(vals) != len(cur["rows"][0][2]):
            raise FormatError(
                f"motif {cur['name']!r}: this row has {len(vals)} counts but the first row has "
                f"{len(cur['rows'][0][2])}; all four rows need one count per position.",
                path=label,
                line=ln,
            )
        cur["rows"].append((ln, letter, vals))
    if not blocks:
        raise FormatError("no motifs found: the file has no count rows.", path=label)
    motifs: list[Motif] = []
    seen: dict[str, int] = {}
    for b in blocks:
        rows = b["rows"]
        if len(rows) != 4:
            raise FormatError(
                f"motif {b['name']!r} has {len(rows)} count rows; expected 4 (A, C, G, T).",
                path=label,
                line=b["line"],
            )
        letters = [r[1] for r in rows]
        if all(x is None for x in letters):
            order = list(ALPHABET)
        elif any(x is None for x in letters) or sorted(letters) != list(ALPHABET):
            raise FormatError(
                f"motif {b['name']!r}: rows are labelled {letters}; expected one row each for "
                "A, C, G and T.",
                path=label,
                line=b["line"],
            )
        else:
            order = letters
        counts = np.empty((len(rows[0][2]), 4))
        for (ln, _, vals), letter in zip(rows, order):
            counts[:, ALPHABET.index(letter)] = vals
        tot = counts.sum(axis=1)
        if np.any(tot <= 0):
            pos = int(np.flatnonzero(tot <= 0)[0])
            raise FormatError(
                f"motif {b['name']!r}: position {pos + 1} has no counts (all four are 0).",
                path=label,
                line=b["line"],
            )
        if b["name"] in seen:
            raise FormatError(
                f"duplicate motif id {b['name']!r} (first on line {seen[b['name']]}).",
                path=label,
                line=b["line"],
            )
        seen[b["name"]] = b["line"]
        try:
            motifs.append(Motif.from_counts(counts, name=b["name"], alt_name=b["alt"]))
        except MotifError as err:  # pragma: no cover - checked above
            raise FormatError(str(err), path=label, line=b["line"]) from None
    return motifs


# --------------------------------------------------------------------------------- JASPAR write
def _fmt_count(v: float) -> str:
    if abs(v - round(v)) < 1e-9:
        return str(int(round(v)))
    return f"{v:.10g}"


def write_jaspar(
    motifs: Motif | Iterable[Motif], path: PathLike | None = None, *, format: str | None = None
) -> str:
    """Write count matrices in JASPAR ``.jaspar`` or ``.pfm`` format.

    Parameters
    ----------
    motifs : Motif or iterable of Motif
        Motifs with unique single-word names. Motifs without ``counts`` are written as
        ``pwm * nsites`` (``nsites`` defaults to 20), which reads back to the same ``pwm``.
    path : str or os.PathLike, optional
        Output file (atomic write; ``.gz`` compresses). When omitted only the text is returned.
    format : {"jaspar", "pfm"}, optional
        ``"jaspar"``: ``>ID NAME`` then rows ``A [ ... ]``. ``"pfm"``: ``>ID NAME`` then four
        rows of counts without letters (JASPAR's .pfm download). Default: from the file
        extension, else ``"jaspar"``.

    Returns
    -------
    str
        The file's text.
    """
    ms = _as_motif_list(motifs)
    if format is None:
        format = "jaspar"
        if path is not None:
            name = Path(path).name.lower().removesuffix(".gz")
            if name.endswith(".pfm"):
                format = "pfm"
    if format not in ("jaspar", "pfm"):
        raise InputError(f"format must be 'jaspar' or 'pfm'. Received: format={format!r}")
    out: list[str] = []
    for m in ms:
        if m.counts is not None:
            c = m.counts
        else:
            c = m.pwm * float(m.nsites if m.nsites is not None else DEFAULT_NSITES)
        out.append(f">{m.name}" + (f"\t{m.alt_name}" if m.alt_name else ""))
        cols = [[_fmt_count(v) for v in c[:, j]] for j in range(4)]
        width = max(len(t) for col in cols for t in col)
        for j, col in enumerate(cols):
            body = " ".join(t.rjust(width) for t in col)
            out.append(f"{ALPHABET[j]}  [ {body} ]" if format == "jaspar" else body)
    text = "\n".join(out) + "\n"
    if path is not None:
        _write_text(text, path)
    return text


