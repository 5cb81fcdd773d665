"""``kgenint bed``: genome coordinates and BED for motif hits or seqlets in genome windows."""
from __future__ import annotations

import argparse
import io
import logging
import os
import sys

from ._options import add_command, add_out

log = logging.getLogger("kgenint")


def register(subparsers, parents) -> None:
    p = add_command(
        subparsers, parents, "bed",
        help="genome coordinates (BED) of hits or seqlets in windows from 'kgenint data'",
        description=(
            "Map a hit table ('kgenint scan' FIMO TSV: sequence_name, start, stop, 1-based) or a seqlet "
            "table ('kgenint seqlets --tsv': seq, start, end, 0-based half-open) to the genome, for "
            "sequences from 'kgenint data' (ids 'chrom:start-end(strand)'; shuffled windows map to "
            "nothing). Seqlet rows number the sequences of --ids (the attribution or data HDF5 they "
            "came from). Writes BED6 (sorted) to --out or stdout, and optionally the table with "
            "chrom/genome_start/genome_end/genome_strand columns."
        ),
    )
    p.add_argument("--table", required=True, help="hits (FIMO TSV) or seqlets TSV")
    p.add_argument("--ids", default=None,
                   help="HDF5 with /sequence_ids (kgenint attribute or data output) that the 'seq' column numbers")
    add_out(p, "output BED (default: standard output)")
    p.add_argument("--tsv", default=None, help="also write the table with genome columns here")
    p.set_defaults(func=run)


def _read_table(path: str):
    import pandas as pd

    from ..errors import FormatError, InputError

    if not os.path.exists(path):
        raise InputError(f"--table {path}: no such file.")
    with open(path, encoding="utf-8") as fh:
        text = "".join(line for line in fh if not line.startswith("#"))
    if not text.strip():
        raise FormatError("the table is empty.", path=path)
    try:
        return pd.read_csv(io.StringIO(text), sep="\t")
    except Exception as err:  # noqa: BLE001 - pandas raises several parser errors
        raise FormatError(f"cannot read as a tab-separated table ({err}).", path=path) from None


def run(args: argparse.Namespace) -> int:
    from ..data.coords import to_genome, write_bed
    from ..errors import FormatError, InputError

    t = _read_table(args.table)
    name: str | None  # the column that names each BED line
    if {"sequence_name", "start", "stop"} <= set(t.columns):  # FIMO: 1-based inclusive
        t = t.assign(start=t["start"].astype("int64") - 1, end=t["stop"].astype("int64"))
        g = to_genome(t, seq="sequence_name")
        name = "motif_alt_id" if "motif_alt_id" in t.columns and t["motif_alt_id"].notna().all() else "motif_id"
        score = "score" if "score" in t.columns else None
    elif {"seq", "start", "end"} <= set(t.columns):
        ids = None
        if args.ids is not None:
            import h5py

            if not os.path.exists(args.ids):
                raise InputError(f"--ids {args.ids}: no such file.")
            with h5py.File(args.ids, "r") as f:
                if "sequence_ids" not in f:
                    raise FormatError("has no /sequence_ids.", path=args.ids)
                ids = f["sequence_ids"].asstr()[()].tolist()
        else:
            raise InputError("a seqlet table numbers its sequences: give --ids (the attribution HDF5 it came from).")
        g = to_genome(t, ids)
        name = "motif" if "motif" in t.columns else ("cluster" if "cluster" in t.columns else None)
        score = "score" if "score" in t.columns else None
    else:
        raise FormatError("neither a FIMO table (sequence_name, start, stop) nor a seqlet table (seq, start, end).",
                          path=args.table)
    n_map = int(g["chrom"].notna().sum())
    if args.out is None:
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            k = write_bed(g, os.path.join(d, "o.bed"), name=name, score=score)
            sys.stdout.write(open(os.path.join(d, "o.bed")).read())
    else:
        k = write_bed(g, args.out, name=name, score=score, overwrite=args.overwrite)
    if args.tsv:
        if os.path.exists(args.tsv) and not args.overwrite:
            raise InputError(f"--tsv {args.tsv} exists; pass --overwrite to replace it.")
        g.to_csv(args.tsv, sep="\t", index=False)
    log.info("%d of %d rows in genome coordinates (%d BED lines%s)", n_map, len(g), k,
             "" if args.out is None else f" in {args.out}")
    return 0
