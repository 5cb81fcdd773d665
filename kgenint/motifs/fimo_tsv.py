"""FIMO's ``fimo.tsv`` for the tables of :func:`kgenint.motifs.scan`: :data:`FIMO_COLUMNS`,
:func:`write_fimo_tsv` and :func:`read_fimo_tsv` (both re-exported by :mod:`kgenint.motifs.scan`).
"""
from __future__ import annotations

import os
import sys
from typing import TextIO

import numpy as np
import pandas as pd

from .._version import __version__
from ..errors import FormatError, InputError

__all__ = ["FIMO_COLUMNS", "write_fimo_tsv", "read_fimo_tsv"]

#: FIMO's TSV header, in order.
FIMO_COLUMNS = [
    "motif_id", "motif_alt_id", "sequence_name", "start", "stop", "strand", "score", "p-value",
    "q-value", "matched_sequence",
]


def _fmt_g(v: float, prec: int | None = None) -> str:
    if v != v:  # NaN
        return ""
    return f"{v:g}" if prec is None else f"{v:.{prec}g}"


def write_fimo_tsv(
    hits: pd.DataFrame,
    path_or_buffer: str | os.PathLike | TextIO,
    *,
    command_line: str | None = None,
    sort: bool = True,
    overwrite: bool = True,
) -> None:
    """Write hits as FIMO's ``fimo.tsv``.

    Columns ``motif_id motif_alt_id sequence_name start stop strand score p-value q-value
    matched_sequence`` with 1-based inclusive coordinates; score as C ``%g``, p- and q-values as
    ``%.3g`` (an empty q-value when it was not computed), then a blank line and three ``#``
    lines: the program and version, the format description and the command line, as FIMO
    writes them.

    Parameters
    ----------
    hits : pandas.DataFrame
        A table from :func:`scan` (0-based half-open ``start``/``end``).
    path_or_buffer : str, os.PathLike or text file
        Destination.
    command_line : str, optional
        Recorded on the last line (default: this process's command line).
    sort : bool
        Sort by p-value as FIMO does (stable, so ties keep the table's order).
    overwrite : bool
        A path is written atomically (:func:`kgenint._io.atomic_path`); False refuses an existing one.
    """
    need = ["motif_id", "motif_alt_id", "sequence_name", "start", "end", "strand", "score", "p_value"]
    if not isinstance(hits, pd.DataFrame):
        raise InputError(f"hits must be a pandas DataFrame from kgenint.motifs.scan. Received {type(hits).__name__}.")
    missing = [c for c in need if c not in hits.columns]
    if missing:
        raise InputError(f"hits lacks the columns {missing}; pass the table returned by kgenint.motifs.scan.")
    h = hits
    if sort and len(h):
        h = h.iloc[np.argsort(h["p_value"].to_numpy(), kind="stable")]
    qv = h["q_value"].to_numpy(dtype=float) if "q_value" in h.columns else np.full(len(h), np.nan)
    site = h["matched_sequence"].to_numpy() if "matched_sequence" in h.columns else np.full(len(h), "")
    lines = ["\t".join(FIMO_COLUMNS)]
    for mid, alt, sn, st, en, strand, scv, pv, q, ms in zip(
        h["motif_id"].to_numpy(), h["motif_alt_id"].to_numpy(), h["sequence_name"].to_numpy(),
        h["start"].to_numpy(), h["end"].to_numpy(), h["strand"].to_numpy(), h["score"].to_numpy(),
        h["p_value"].to_numpy(), qv, site,
    ):
        lines.append(
            f"{mid}\t{'' if alt is None or alt != alt else alt}\t{sn}\t{int(st) + 1}\t{int(en)}\t{strand}\t"
            f"{_fmt_g(float(scv))}\t{_fmt_g(float(pv), 3)}\t{_fmt_g(float(q), 3)}\t"
            f"{'' if ms is None or ms != ms else ms}"
        )
    if command_line is None:
        command_line = " ".join([os.path.basename(sys.argv[0]) or "python", *sys.argv[1:]])
    text = "\n".join(lines) + "\n"
    text += f"\n# kgenint scan (FIMO-compatible output): Version {__version__}\n"
    text += "# The format of this file is described at https://meme-suite.org/meme/doc/fimo-output-format.html.\n"
    text += f"# {command_line}\n"
    if hasattr(path_or_buffer, "write"):
        path_or_buffer.write(text)  # type: ignore[union-attr]
    else:
        from .._io import atomic_write_text

        atomic_write_text(path_or_buffer, text, overwrite=overwrite)


def read_fimo_tsv(path: str | os.PathLike | TextIO) -> pd.DataFrame:
    """Read a FIMO ``fimo.tsv`` (ours or the MEME suite's) into a 0-based half-open table.

    Returns a DataFrame with ``motif_id``, ``motif_alt_id``, ``sequence_name``, ``start``,
    ``end`` (0-based, half-open), ``strand``, ``score``, ``p_value``, ``q_value`` (NaN when
    empty) and ``matched_sequence``.  Lines starting with ``#`` and blank lines are skipped.

    Raises
    ------
    FormatError
        No header line, or a row with the wrong number of fields or non-numeric coordinates
        (the message gives the file and line).
    """
    name = getattr(path, "name", None) if hasattr(path, "read") else os.fspath(path)
    if hasattr(path, "read"):
        text = path.read()  # type: ignore[union-attr]
    else:
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except UnicodeDecodeError as err:
            raise FormatError(f"not UTF-8 text (byte 0x{err.object[err.start]:02x} at byte {err.start}); save it as "
                              f"UTF-8 tab-separated text (a spreadsheet's 'Unicode text' export is UTF-16).",
                              path=str(name)) from None
    rows = []
    header_seen = False
    for ln, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split("\t")
        if not header_seen:
            if f[:3] != FIMO_COLUMNS[:3]:
                raise FormatError(
                    f"not a FIMO TSV: the first line should start with {FIMO_COLUMNS[:3]}, found {f[:3]}.",
                    path=str(name), line=ln,
                )
            header_seen = True
            continue
        if len(f) < 9:
            raise FormatError(f"expected 10 tab-separated fields, found {len(f)}.", path=str(name), line=ln)
        while len(f) < 10:
            f.append("")
        try:
            st, en = int(f[3]) - 1, int(f[4])
            scv = float(f[6])
            pv = float(f[7])
            qv = float(f[8]) if f[8] else np.nan
        except ValueError as err:
            raise FormatError(f"bad number ({err}).", path=str(name), line=ln) from None
        if st < 0 or en <= st:
            raise FormatError(f"start {f[3]} and stop {f[4]} are not 1-based inclusive coordinates "
                              f"(start >= 1, stop >= start).", path=str(name), line=ln)
        if not (0.0 <= pv <= 1.0):
            raise FormatError(f"p-value {f[7]} is not between 0 and 1.", path=str(name), line=ln)
        if f[5] not in ("+", "-", "."):
            raise FormatError(f"strand {f[5]!r} is not '+', '-' or '.'.", path=str(name), line=ln)
        rows.append((f[0], f[1], f[2], st, en, f[5], scv, pv, qv, f[9]))
    if not header_seen:
        raise FormatError("no FIMO header line found.", path=str(name))
    cols = ["motif_id", "motif_alt_id", "sequence_name", "start", "end", "strand", "score", "p_value",
            "q_value", "matched_sequence"]
    df = pd.DataFrame(rows, columns=cols)
    return df.astype({"start": np.int64, "end": np.int64, "score": float, "p_value": float, "q_value": float})
