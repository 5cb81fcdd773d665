"""``kgenint report``: the HTML report of a demo or stage-command directory, from its saved results."""
from __future__ import annotations

import argparse
import logging

from ._options import add_command

log = logging.getLogger("kgenint")

_EPILOG = """\
DIR is either
  the output directory of 'kgenint demo': DIR/results.h5 holds every score, and the stage files
  have fixed names (data.h5, model.metrics.json, filters.meme, seqlets.h5, scan.h5,
  cooccurrence.h5, *_annotation.tsv, attributions/<method>.h5); or
  a directory you ran the stage commands into, with file names of your choosing. Without
  DIR/results.h5 every file in DIR (and one sub-directory down) is recognised by its content:
    *.h5     kgenint attribute (one per method), seqlets (or modisco's own results),
             interactions, cooccur, simulate (the planted truth: scores against it)
    *.json   the <model>.metrics.json that kgenint train writes beside the model
    *.meme   seqlet motifs (pos_patterns.pattern_<i> names, kgenint seqlets --meme), filter
             motifs (filter_<i> or <layer>_f<i> names, or 'filter' in the file name), or your
             own motifs (listed only)
    *.tsv    kgenint compare output (TOMTOM columns): the best match of each filter or seqlet
             motif, assigned by the motif names it shares with them
  When several files hold the same kind of result the newest is used; each section says which
  file it came from, and the overview lists the files not used and why. Unreadable or unknown
  files are skipped (a log message), never an error. The summary is computed from the stage
  files each time and not written to DIR.
A missing piece becomes a notice in its section; a DIR with none of these files is an error.

writes:
  DIR/report.html             one self-contained page (inline CSS and figures, no network)
  DIR/figures/*.png, *.svg    every figure as files

examples:
  kgenint report kgenint-demo
  kgenint train --data sim.h5 --out run/net.keras
  kgenint attribute --model run/net.keras --data sim.h5 --split test --out run/attr.h5
  kgenint seqlets --attributions run/attr.h5 --out run/motifs.h5 --meme run/learned.meme
  kgenint compare --query run/learned.meme -o run/learned_vs_jaspar.tsv
  kgenint interactions --model run/net.keras --motifs my.meme --data sim.h5 --out run/pairs.h5
  kgenint report run
"""


def register(subparsers, parents) -> None:
    """Add the ``report`` subcommand."""
    p = add_command(
        subparsers, parents, "report",
        help="build DIR/report.html from the results saved in DIR (no model is run)",
        description=(
            "Build the self-contained HTML report of a directory from the results saved there (the output "
            "of 'kgenint demo', or of the stage commands): model performance, filter and seqlet motifs with "
            "their best JASPAR match, attribution tracks, the method x motif-role table, interaction heatmap "
            "and distance curves, co-occurrence, and scores against the planted truth. No model is run: "
            "only saved results are drawn, tabulated and (for a stage directory) scored."
        ),
        epilog=_EPILOG,
    )
    p.add_argument("dir", metavar="DIR",
                   help="output directory of 'kgenint demo', or a directory of stage command outputs")
    p.add_argument("--dpi", type=int, default=110, help="resolution of the PNG figures (default: 110)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``kgenint report``."""
    from ..errors import InputError
    from ..report import build_report

    if args.dpi < 20 or args.dpi > 600:
        raise InputError(f"--dpi must be between 20 and 600. Received: {args.dpi}")
    path = build_report(args.dir, dpi=args.dpi)
    log.info("wrote %s", path)
    print(path)
    return 0
