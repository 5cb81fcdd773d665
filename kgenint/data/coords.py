"""Genome coordinates of positions in sequences that came from a genome, and BED output.

Windows written by :func:`kgenint.data.build_from_peaks` have ids ``chrom:start-end(strand)``
(also in ``/intervals``), and ``kgenint attribute`` carries them into its output. A feature at
``[s, e)`` of a window ``[W, W + L)`` read on ``+`` lies at ``[W + s, W + e)`` on the genome, same
strand; in a window read on ``-`` (reverse complement) it lies at ``[W + L - e, W + L - s)`` on
the other strand. Shuffled windows (``shuffle:...``) and sequences without coordinates map to
nothing (NA).
"""
from __future__ import annotations

import os
import re
import tempfile
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["parse_window_id", "to_genome", "write_bed"]

_ID = re.compile(r"^(?P<chrom>[^:\s]+):(?P<start>\d+)-(?P<end>\d+)(?:\((?P<strand>[+-])\))?$")


def parse_window_id(seq_id: str) -> tuple[str, int, int, str] | None:
    """``"chr1:100-300(+)"`` -> ``("chr1", 100, 300, "+")``; None for anything else (shuffles too).

    The strand defaults to ``+`` when absent (``chr1:100-300``). Coordinates are 0-based,
    half-open, as written by :mod:`kgenint.data`.
    """
    m = _ID.match(str(seq_id).strip())
    if m is None:
        return None
    a, b = int(m["start"]), int(m["end"])
    if b <= a:
        return None
    return m["chrom"], a, b, m["strand"] or "+"


def to_genome(table: pd.DataFrame, seq_ids: Sequence[str] | None = None, *, seq: str = "seq",
              start: str = "start", end: str = "end", strand: str = "strand") -> pd.DataFrame:
    """Add genome coordinates to a table of features in sequences (hits, seqlets).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per feature, with 0-based half-open ``start``/``end`` in its sequence and the
        sequence in column ``seq``: a row number into ``seq_ids``, or (when ``seq_ids`` is None)
        the sequence id itself.
    seq_ids : sequence of str, optional
        Ids of the sequences, e.g. ``/sequence_ids`` of an attribution or data file.
    seq, start, end, strand : str
        Column names. A missing strand column means ``+``.

    Returns
    -------
    pandas.DataFrame
        A copy with ``chrom``, ``genome_start``, ``genome_end`` (nullable Int64) and
        ``genome_strand``; NA where the sequence has no genome coordinates.

    Raises
    ------
    InputError
        Missing columns, row numbers outside ``seq_ids``, features outside their window.
    """
    for c in (seq, start, end):
        if c not in table.columns:
            raise InputError(f"the table has no {c!r} column (it has: {', '.join(map(str, table.columns))}).")
    out = table.copy()
    n = len(out)
    if seq_ids is not None:
        rows = pd.to_numeric(out[seq], errors="coerce")
        if rows.isna().any() or (rows % 1 != 0).any():
            raise InputError(f"column {seq!r} must hold sequence row numbers when ids are given.")
        rows = rows.astype(np.int64).to_numpy()
        if n and (rows.min() < 0 or rows.max() >= len(seq_ids)):
            raise InputError(f"column {seq!r} holds row {int(rows.max())}, but there are only {len(seq_ids)} sequences.")
        ids = [seq_ids[i] for i in rows]
    else:
        ids = [str(v) for v in out[seq]]
    s = out[start].to_numpy(np.int64)
    e = out[end].to_numpy(np.int64)
    st = out[strand].astype(str).to_numpy() if strand in out.columns else np.full(n, "+")
    chrom = np.full(n, None, dtype=object)
    gs = np.full(n, -1, dtype=np.int64)
    ge = np.full(n, -1, dtype=np.int64)
    gst = np.full(n, None, dtype=object)
    cache: dict[str, tuple[str, int, int, str] | None] = {}
    for i, sid in enumerate(ids):
        if sid not in cache:
            cache[sid] = parse_window_id(sid)
        w = cache[sid]
        if w is None:
            continue
        c, a, b, ws = w
        if not 0 <= s[i] < e[i] <= b - a:
            raise InputError(f"row {i}: feature [{s[i]}, {e[i]}) lies outside its {b - a}-bp sequence {sid!r}.")
        chrom[i] = c
        if ws == "+":
            gs[i], ge[i], gst[i] = a + s[i], a + e[i], st[i]
        else:
            gs[i], ge[i] = b - e[i], b - s[i]
            gst[i] = {"+": "-", "-": "+"}.get(st[i], st[i])
    out["chrom"] = chrom
    out["genome_start"] = pd.array(np.where(gs >= 0, gs, 0), dtype="Int64")
    out["genome_end"] = pd.array(np.where(ge >= 0, ge, 0), dtype="Int64")
    out.loc[gs < 0, ["genome_start", "genome_end"]] = pd.NA
    out["genome_strand"] = gst
    return out


def write_bed(table: pd.DataFrame, path: str | os.PathLike, *, name: str | None = None,
              score: str | None = None, overwrite: bool = False) -> int:
    """Write the rows of a :func:`to_genome` table that have coordinates as BED6, sorted.

    Parameters
    ----------
    table : pandas.DataFrame
        With ``chrom``, ``genome_start``, ``genome_end``, ``genome_strand``.
    path : str or os.PathLike
        Output BED, written under a temporary name and renamed.
    name, score : str, optional
        Columns for BED's name and score fields (``.`` and ``0`` when not given).
    overwrite : bool

    Returns
    -------
    int
        Rows written (rows without genome coordinates are left out).
    """
    for c in ("chrom", "genome_start", "genome_end", "genome_strand"):
        if c not in table.columns:
            raise InputError(f"the table has no {c!r} column; add genome coordinates with to_genome first.")
    p = os.fspath(path)
    if os.path.exists(p) and not overwrite:
        raise InputError(f"{p} exists; choose another name or pass --overwrite.")
    t = table[table["chrom"].notna() & table["genome_start"].notna()]
    bed = pd.DataFrame({
        "chrom": t["chrom"].astype(str), "start": t["genome_start"].astype(np.int64),
        "end": t["genome_end"].astype(np.int64),
        "name": t[name].astype(str).str.replace(r"\s+", "_", regex=True) if name else ".",
        "score": t[score] if score else 0,
        "strand": t["genome_strand"].where(t["genome_strand"].isin(["+", "-"]), "."),
    }).sort_values(["chrom", "start", "end"], kind="stable")
    d = os.path.dirname(os.path.abspath(p))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(p)}.", suffix=".tmp", dir=d)
    os.close(fd)
    try:
        bed.to_csv(tmp, sep="\t", header=False, index=False)
        um = os.umask(0)
        os.umask(um)
        os.chmod(tmp, 0o666 & ~um)
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return len(bed)
