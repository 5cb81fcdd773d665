"""``kgenint report``: rebuild the HTML report of a pipeline directory from its saved results."""
from __future__ import annotations

import argparse
import logging

log = logging.getLogger("kgenint")

_EPILOG = """\
needs:
  DIR/results.h5              written by 'kgenint demo' (its evaluate stage)
uses when present (a missing piece becomes a notice in its section):
  DIR/model.metrics.json      test metrics and training history
  DIR/filters.meme, DIR/seqlets.h5 (or seqlets.meme)   motif logos
  DIR/scan.h5, DIR/cooccurrence.h5                     interaction figures
writes:
  DIR/report.html             one self-contained page (inline CSS and figures, no network)
  DIR/figures/*.png, *.svg    every figure as files

example:
  kgenint report kgenint-demo
"""


def register(subparsers, parents) -> None:
    """Add the ``report`` subcommand."""
    p = subparsers.add_parser(
        "report",
        parents=parents,
        help="rebuild DIR/report.html from the results saved in DIR (nothing is recomputed)",
        description=(
            "Rebuild the self-contained HTML report of a pipeline directory (e.g. the output of 'kgenint "
            "demo') from the results saved there: model performance, filter and seqlet motifs with their "
            "best JASPAR match, attribution tracks, the method x motif-role table, interaction heatmap and "
            "distance curves, co-occurrence, and scores against the planted truth."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("dir", metavar="DIR", help="pipeline output directory holding results.h5")
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
