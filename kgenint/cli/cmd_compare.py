"""``kgenint compare``: TOMTOM-like comparison of query motifs with a motif database."""
from __future__ import annotations

import argparse
import logging
import shlex
import sys

from ._options import add_command, add_out
from ._outputs import check_outputs

log = logging.getLogger("kgenint")

_EPILOG = """\
inputs:
  --query    MEME motif file (MEME suite / JASPAR 'meme' format)
  --target   MEME motif file of known motifs (default: the embedded JASPAR 2024 CORE
             vertebrates, 879 motifs). p-values use the target columns as their null model,
             so give a database of at least ~50 motifs.

output (TSV, exactly TOMTOM's tomtom.tsv columns, so TOMTOM tooling reads it):
  Query_ID Target_ID Optimal_offset p-value E-value q-value Overlap Query_consensus
  Target_consensus Orientation
  Matches with q-value (or E-value with --evalue) <= --thresh, grouped by query, best first;
  a blank line and '#' comment lines (version, format URL, command line) at the end.
  Optimal_offset: query column i aligns with column i + offset of the target in the given
  Orientation ('-' = the target's reverse complement).

example:
  kgenint compare --query learned.meme --thresh 0.05 -o matches.tsv
  kgenint compare --query q.meme --target db.meme --dist ed --evalue --thresh 10 > matches.tsv
"""


def register(subparsers, parents) -> None:
    """Add the ``compare`` subcommand."""
    p = add_command(
        subparsers, parents, "compare",
        help="compare motifs with a motif database (TOMTOM-like; JASPAR by default)",
        description=(
            "Align every query motif with every target motif at all offsets and both "
            "orientations, score columns by Pearson correlation (or Euclidean distance), and "
            "report TOMTOM p-values, E-values and q-values of the best alignment of each pair."
        ),
        epilog=_EPILOG,
    )
    p.add_argument("--query", required=True, help="query motifs (MEME format)")
    p.add_argument("--target", default=None,
                   help="target motifs (MEME format; default: embedded JASPAR 2024 CORE vertebrates)")
    p.add_argument("--dist", default="pearson", choices=("pearson", "ed"),
                   help="column similarity: Pearson correlation or Euclidean distance (default: pearson)")
    p.add_argument("--thresh", type=float, default=0.5,
                   help="report matches with q-value (E-value with --evalue) <= THRESH (default: 0.5)")
    p.add_argument("--evalue", action="store_true", help="threshold on E-value instead of q-value")
    p.add_argument("--min-overlap", type=int, default=1,
                   help="minimum number of aligned columns (default: 1, as TOMTOM)")
    p.add_argument("--bins", type=int, default=100, help="score bins of the null model (default: 100)")
    p.add_argument("--incomplete-scores", action="store_true",
                   help="score only aligned columns (default: complete scores, as TOMTOM)")
    p.add_argument("--best", action="store_true", help="report only the best match of each query")
    add_out(p, "output TSV (default: standard output)")
    p.set_defaults(func=run)


def _command_line(args: argparse.Namespace) -> str:
    """The effective command line (for the TSV's trailing comment, as TOMTOM records it)."""
    parts = ["kgenint", "compare", "--query", args.query]
    if args.target:
        parts += ["--target", args.target]
    parts += ["--dist", args.dist, "--thresh", f"{args.thresh:g}", "--min-overlap", str(args.min_overlap),
              "--bins", str(args.bins)]
    for flag, on in (("--evalue", args.evalue), ("--incomplete-scores", args.incomplete_scores),
                     ("--best", args.best)):
        if on:
            parts.append(flag)
    if args.out:
        parts += ["-o", args.out]
    return " ".join(shlex.quote(x) for x in parts)


def run(args: argparse.Namespace) -> int:
    """Run ``kgenint compare``; returns the exit code."""
    from ..errors import InputError
    from ..motifs.compare import compare, write_tomtom_tsv
    from ..motifs.io import read_meme

    if args.thresh < 0 or (not args.evalue and args.thresh > 1):
        raise InputError(
            f"--thresh must be between 0 and 1 for a q-value threshold (or >= 0 with --evalue). "
            f"Received: --thresh {args.thresh}"
        )
    check_outputs(args, out=args.out)
    queries = read_meme(args.query)
    targets = read_meme(args.target) if args.target else None
    if targets is not None and len(targets) < 50:
        log.warning(
            "only %d target motifs: p-values use the target columns as their null model and "
            "are unreliable below ~50 targets (TOMTOM gives the same warning)", len(targets)
        )
    table = compare(
        queries,
        targets,
        metric=args.dist,
        min_overlap=args.min_overlap,
        bins=args.bins,
        complete=not args.incomplete_scores,
        evalue_threshold=args.thresh if args.evalue else None,
        alpha=None if args.evalue else args.thresh,
        best_only=args.best,
    )
    command = _command_line(args)
    if args.out:
        write_tomtom_tsv(table, args.out, command_line=command)
    else:
        write_tomtom_tsv(table, sys.stdout, command_line=command)
    log.info("%d queries, %d matches reported", len(queries), len(table))
    return 0
