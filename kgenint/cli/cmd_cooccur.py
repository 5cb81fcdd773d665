"""``kgenint cooccur``: model-free motif-pair co-occurrence enrichment between two groups."""
from __future__ import annotations

import argparse
import logging
import os

import numpy as np

from ._options import add_command, add_data, add_motifs, add_out
from ._outputs import check_output_dir, check_outputs, write_tsv

log = logging.getLogger("kgenint")

_EPILOG = """\
inputs (one of):
  --hits FILE                 a FIMO TSV (from 'kgenint scan' or the MEME suite's fimo)
  --motifs FILE --data FILE   motifs (MEME/JASPAR) scanned here at p <= --thresh over --data
groups (--groups):
  class (default)  1/0 from /y/class of --data (HDF5; --class-column picks the column)
  FILE             a TSV 'sequence_name<TAB>group' with group 1, 0 (or pos/neg), -1 = leave out;
                   with --data, its sequences missing from FILE are left out.
  Hits are matched to sequences by name (FIMO's sequence_name = FASTA id or /sequence_ids).

what is counted:
  every ordered pair of non-overlapping hits in a sequence, upstream motif a, downstream motif b,
  0 <= start_b - start_a <= --max-distance, binned by --bin-size, orientation strand_a strand_b;
  each cell is tested with Fisher's exact test on sequence counts (group 1 vs group 2), BH q;
  --null conditional (default) restricts each test to the sequences holding both motifs.

outputs:
  --out    HDF5 (kgenint_format="cooccurrence_scan", format 2; CooccurrenceScan.load): the observed
           cells (cell_index into K x K x D x 4, cell_pair_counts, cell_seq_counts, cell_odds_ratio,
           cell_p_value, cell_q_value), a per-pair summary, n_sequences, motif_names, distances
           (bin lower edges), orientations
  table    the --top cells by p (TSV; stdout unless --table)

memory:
  bounded by --max-memory (plus the hit table): 834 JASPAR motifs at 1-bp bins up to 150 bp run in
  the default 2 GiB. See docs/outputs.md ("Memory").

example:
  kgenint cooccur --motifs motifs.meme --data data.h5 --groups class --out cooc.h5 --table cooc.tsv
"""


def register(subparsers, parents) -> None:
    """Add the ``cooccur`` subcommand."""
    p = add_command(
        subparsers, parents, "cooccur",
        help="motif-pair co-occurrence (distance x orientation) enrichment between two groups of sequences",
        description=(
            "Count every pair of motif hits by distance and orientation in two groups of sequences "
            "(e.g. positives vs negatives) and test each cell for enrichment. Needs no model."
        ),
        epilog=_EPILOG,
    )
    p.add_argument("--hits", default=None, help="FIMO TSV of motif hits")
    add_motifs(p, "scanned over --data")
    add_data(p, "HDF5 /y/class gives groups", max_seqs=True)
    p.add_argument("--thresh", type=float, default=1e-4, help="scan p-value threshold (default: 1e-4)")
    p.add_argument("--groups", default="class", help="'class' (from --data /y/class) or a TSV sequence_name<TAB>group")
    p.add_argument("--class-column", type=int, default=0, help="column of /y/class (default: 0)")
    p.add_argument("--max-distance", type=int, default=150, help="largest distance between hit starts, bp (default: 150)")
    p.add_argument("--bin-size", type=int, default=1, help="distance bin width, bp (default: 1)")
    p.add_argument("--max-memory", type=float, default=2.0,
                   help="memory ceiling in GiB for the counting and the kept cells (default: 2): the K x K x "
                        "distance x orientation cells are counted in blocks of motifs and only observed cells are "
                        "kept; when they would not fit, those with the largest p-values are dropped (the pair table "
                        "and q-values below the stated cutoff stay exact)")
    p.add_argument("--window", type=int, default=0, help="pool this many neighbouring bins on each side (default: 0)")
    p.add_argument("--alternative", choices=("two-sided", "greater", "less"), default="two-sided",
                   help="Fisher test alternative; 'greater' = enriched in group 1 (default: two-sided)")
    p.add_argument("--null", choices=("conditional", "marginal"), default="conditional",
                   help="'conditional' (default): test each geometry among the sequences holding both motifs "
                        "(enriched beyond mere co-presence); 'marginal': among all sequences")
    p.add_argument("--allow-overlap", action="store_true", help="also count pairs of overlapping hits")
    add_out(p, "output HDF5 file", required=True)
    p.add_argument("--table", default=None, help="write the top-cell TSV here instead of stdout")
    p.add_argument("--top", type=int, default=50, help="rows of the table (default: 50; 0 = all)")
    p.add_argument("--plots", default=None, help="directory for cooccurrence_curves.png")
    p.set_defaults(func=run)


def _name_index(names: list[str], seq_names) -> np.ndarray:
    """Position of each of ``seq_names`` in ``names`` (-1 when absent)."""
    lookup = {n: i for i, n in enumerate(names)}
    return np.fromiter((lookup.get(str(s), -1) for s in seq_names), dtype=np.int64, count=len(seq_names))


def run(args: argparse.Namespace) -> int:
    """Run ``kgenint cooccur``."""
    from .._io_inputs import (
        class_groups,
        read_groups_tsv,
        read_motif_file,
        read_sequences,
    )
    from ..errors import InputError

    if (args.hits is None) == (args.motifs is None):
        raise InputError("give either --hits (a FIMO TSV) or --motifs with --data (to scan here), not both or neither.")
    if args.motifs is not None and args.data is None:
        raise InputError("--motifs needs --data: the sequences to scan.")
    if args.groups == "class" and args.data is None:
        raise InputError("--groups class takes the groups from --data /y/class; give --data or a --groups TSV.")
    if not 0 < args.thresh <= 1:
        raise InputError(f"--thresh must be in (0, 1]. Received: {args.thresh}")
    if args.top < 0:
        raise InputError(f"--top must be >= 0. Received: {args.top}")
    if not args.max_memory > 0:
        raise InputError(f"--max-memory must be a positive number of GiB. Received: {args.max_memory}")
    out = os.fspath(args.out)
    check_outputs(args, out=out, table=args.table)
    check_output_dir(args.plots, "--plots")

    data = read_sequences(args.data, split=args.split, max_seqs=args.max_seqs, what="--data") if args.data else None
    # --- sequences and their groups
    if args.groups == "class":
        assert data is not None  # --groups class needs --data (checked above)
        names = list(data.ids)
        groups = class_groups(data, args.class_column)
        gsrc = f"/y/class column {args.class_column} of {data.path}"
    else:
        tsv_names, tsv_groups = read_groups_tsv(args.groups)
        gsrc = args.groups
        if data is not None:
            names = list(data.ids)
            gi = _name_index(tsv_names, names)
            groups = np.where(gi >= 0, tsv_groups[np.maximum(gi, 0)], -1)
            missing = int((gi < 0).sum())
            if missing:
                log.warning("%d of %d sequences of %s are not in %s: left out", missing, len(names), data.path, gsrc)
            extra = len(set(tsv_names) - set(names))
            if extra:
                log.warning("%d sequence names of %s are not in %s: ignored", extra, gsrc, data.path)
        else:
            names, groups = tsv_names, tsv_groups
    if len(set(names)) != len(names):
        raise InputError("sequence names must be unique to match hits to sequences; rename the duplicates.")

    # --- hits
    motif_names = None
    if args.hits is not None:
        from ..motifs.scan import read_fimo_tsv

        if not os.path.exists(args.hits):
            raise InputError(f"--hits {args.hits}: no such file.")
        hits = read_fimo_tsv(args.hits)
        motif_names = sorted(hits["motif_id"].astype(str).unique())
        seq = _name_index(names, hits["sequence_name"].to_numpy())
        unknown = int((seq < 0).sum())
        if unknown:
            bad = hits["sequence_name"].to_numpy()[seq < 0][0]
            log.warning("%d hits are on sequences without a group (e.g. %r): ignored", unknown, bad)
        if len(hits) and unknown == len(hits):
            raise InputError(
                f"--hits {args.hits}: none of the {len(hits)} hits is on a sequence named in {gsrc} (hits name e.g. "
                f"{hits['sequence_name'].iloc[0]!r}, the groups e.g. {names[0] if names else 'nothing'!r}); "
                f"the names must match the FASTA ids the hits were scanned on.")
        hits = hits[seq >= 0].copy()
        hits["seq"] = seq[seq >= 0]
        log.info("%d hits of %d motifs from %s", len(hits), len(motif_names), args.hits)
    else:
        from ..motifs.scan import scan

        assert data is not None  # --motifs needs --data (checked above)
        motifs = read_motif_file(args.motifs)
        hits = scan(data.x, motifs, threshold=float(args.thresh), seq_names=data.ids, progress=not args.quiet)
        motif_names = [m.name for m in motifs]
        log.info("%d hits of %d motifs at p <= %g in %d sequences", len(hits), len(motifs), args.thresh, len(data))
    if not motif_names:
        raise InputError(f"{args.hits}: the hit table is empty; nothing to count.")
    log.info("groups from %s: %d in group 1, %d in group 2, %d left out", gsrc, int((groups == 1).sum()),
             int((groups == 0).sum()), int((groups == -1).sum()))

    from ..interactions.cooccurrence import cooccurrence

    res = cooccurrence(hits, groups, motif_names=motif_names, max_distance=int(args.max_distance),
                       bin_size=int(args.bin_size), window=int(args.window), allow_overlap=bool(args.allow_overlap),
                       alternative=args.alternative, null=args.null, max_memory=float(args.max_memory) * 2**30,
                       progress=not args.quiet)
    if not res.complete:
        log.warning("%d observed cells did not fit under --max-memory %g GiB: kept the %d with p < %.3g (q-values "
                    "below it are exact; the pair table is exact); raise --max-memory to keep them all",
                    res.n_tests, args.max_memory, res.cell_index.size, res.p_value_cutoff)
    res.save(out)
    log.info("wrote %s", out)
    table = res.to_frame(top=int(args.top) if args.top else None)
    write_tsv(table, args.table, "cells")
    if args.plots:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from ..plot.interactions import plot_cooccurrence_curves

        os.makedirs(args.plots, exist_ok=True)
        from .._io import atomic_open

        fig = plot_cooccurrence_curves(res)
        with atomic_open(os.path.join(args.plots, "cooccurrence_curves.png"), "wb") as fh:
            fig.savefig(fh, format="png", dpi=120, bbox_inches="tight")
        plt.close(fig)
        log.info("wrote figures to %s", args.plots)
    return 0
