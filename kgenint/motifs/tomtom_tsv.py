"""TOMTOM's ``tomtom.tsv`` output for the tables of :func:`kgenint.motifs.compare.compare`:
:data:`TOMTOM_COLUMNS` and :func:`write_tomtom_tsv` (re-exported by :mod:`kgenint.motifs.compare`).
"""
from __future__ import annotations

import io
import os
from typing import TextIO

import pandas as pd

from .._version import __version__
from ..errors import InputError

__all__ = ["TOMTOM_COLUMNS", "write_tomtom_tsv"]

#: TOMTOM's TSV header, in order.
TOMTOM_COLUMNS = (
    "Query_ID",
    "Target_ID",
    "Optimal_offset",
    "p-value",
    "E-value",
    "q-value",
    "Overlap",
    "Query_consensus",
    "Target_consensus",
    "Orientation",
)


# ------------------------------------------------------------------------------------ TSV output
def _fmt_g(x: float) -> str:
    return f"{x:g}"


def write_tomtom_tsv(
    table: pd.DataFrame,
    path_or_buffer: str | os.PathLike | io.TextIOBase | TextIO | None = None,
    *,
    command_line: str | None = None,
) -> str:
    """Write a comparison table as TOMTOM's ``tomtom.tsv``.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`compare` (rows of :func:`annotate` without a match are skipped).
    path_or_buffer : str, os.PathLike, text file object or None
        Where to write; None only returns the text.
    command_line : str, optional
        Recorded in the trailing comment block (TOMTOM records its command line there).

    Returns
    -------
    str
        The text written: the header ``Query_ID Target_ID Optimal_offset p-value E-value
        q-value Overlap Query_consensus Target_consensus Orientation`` (tab-separated), one
        line per match (numbers in C ``%g`` format as TOMTOM prints them), a blank line and
        ``#`` comment lines with the program version, the format description URL and the
        command line.
    """
    missing = [c for c in ("query_id", "target_id", "optimal_offset", "p_value", "e_value",
                           "q_value", "overlap", "query_consensus", "target_consensus",
                           "orientation") if c not in getattr(table, "columns", [])]
    if missing:
        raise InputError(
            f"write_tomtom_tsv needs the table returned by compare(); missing columns: "
            f"{', '.join(missing)}."
        )
    lines = ["\t".join(TOMTOM_COLUMNS)]
    for r in table.itertuples(index=False):
        if not isinstance(r.target_id, str) or r.target_id == "":
            continue  # annotate() row without a match
        lines.append(
            "\t".join(
                [
                    str(r.query_id),
                    str(r.target_id),
                    str(int(r.optimal_offset)),
                    _fmt_g(r.p_value),
                    _fmt_g(r.e_value),
                    _fmt_g(r.q_value),
                    str(int(r.overlap)),
                    str(r.query_consensus),
                    str(r.target_consensus),
                    str(r.orientation),
                ]
            )
        )
    cmd = command_line if command_line else "kgenint.motifs.compare.compare() (Python API)"
    text = (
        "\n".join(lines)
        + "\n\n"
        + f"# kgenint compare (TOMTOM-compatible motif comparison): Version {__version__}\n"
        + "# The format of this file is described at "
        "https://meme-suite.org/meme/doc/tomtom-output-format.html.\n"
        + f"# {cmd}\n"
    )
    if path_or_buffer is not None:
        if hasattr(path_or_buffer, "write"):
            path_or_buffer.write(text)
        else:
            from .._io import atomic_write_text

            atomic_write_text(path_or_buffer, text)
    return text
