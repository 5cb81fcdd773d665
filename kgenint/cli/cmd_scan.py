"""``kgenint scan``: FIMO-like motif scanning of a FASTA file with exact p-values."""
from __future__ import annotations

import argparse
import logging
import shlex
import sys

from ._options import add_command, add_motifs, add_out
from ._outputs import check_outputs

log = logging.getLogger("kgenint")

_EPILOG = """\
inputs:
  --motifs      MEME motif file (MEME suite / JASPAR 'meme' format; default: the embedded
                JASPAR 2024 CORE vertebrates, 879 motifs)
  --fasta       FASTA file of DNA sequences (plain or gzip); letters other than ACGT (N and
                IUPAC codes) are allowed, and windows that contain one are not scored
  --background  'motif' (the motif file's background letter frequencies; the default),
                'uniform', or a file: either four numbers 'A C G T' or MEME background lines
                such as 'A 0.3' (order-0 entries are used)

output (TSV, exactly FIMO's fimo.tsv columns, so FIMO tooling reads it):
  motif_id motif_alt_id sequence_name start stop strand score p-value q-value matched_sequence
  1-based inclusive coordinates, sorted by p-value; score is the log-odds score in bits;
  p-values are exact (no score binning); q-values only with --qvalues.

example:
  kgenint scan --motifs jaspar.meme --fasta peaks.fa --thresh 1e-4 > hits.tsv
  kgenint scan --fasta peaks.fa --qvalues -o hits.tsv
"""


def register(subparsers, parents) -> None:
    """Add the ``scan`` subcommand."""
    p = add_command(
        subparsers, parents, "scan",
        help="find motif occurrences in a FASTA file (FIMO-like, exact p-values)",
        description=(
            "Score every motif at every position on both strands of every sequence and report "
            "the windows whose exact p-value under the background is <= --thresh, as FIMO's TSV."
        ),
        epilog=_EPILOG,
    )
    add_motifs(p, "default: embedded JASPAR 2024 CORE vertebrates", help="motif file (MEME)")
    p.add_argument("--fasta", required=True, help="sequences to scan (FASTA, plain or gzip)")
    p.add_argument("--thresh", type=float, default=1e-4,
                   help="report windows with p-value <= THRESH (default: 1e-4, as FIMO)")
    p.add_argument("--qvalues", action="store_true", help="compute Benjamini-Hochberg q-values")
    p.add_argument("--bg-freqs", "--background", dest="background", default="motif",
                   help="'motif' (default), 'uniform', or a background file (see below)")
    p.add_argument("--motif-pseudo", type=float, default=0.1,
                   help="pseudocount added to the motifs (default: 0.1, as FIMO)")
    p.add_argument("--norc", action="store_true", help="scan the given strand only")
    p.add_argument("--max-hits", type=int, default=None,
                   help="keep at most this many hits (best p-values); applied while scanning, so memory stays "
                        "bounded (about 3 x MAX_HITS hits; not with --qvalues, which needs every hit)")
    add_out(p, "output TSV (default: standard output)")
    from ._distributed import add_distributed_options

    add_distributed_options(p)
    p.set_defaults(func=run)


def _background(spec: str):
    import numpy as np

    if spec == "motif":
        return None
    if spec == "uniform":
        return np.full(4, 0.25)
    from .._io_inputs import decode_error

    try:
        return _read_background(spec)
    except UnicodeDecodeError as err:
        raise decode_error(err, spec) from None


def _read_background(spec: str):
    import numpy as np

    from ..errors import FormatError

    vals: dict[str, float] = {}
    nums: list[float] = []
    with open(spec, encoding="utf-8") as fh:
        for ln, line in enumerate(fh, start=1):
            t = line.split()
            if not t or t[0].startswith("#"):
                continue
            try:
                if len(t) == 2 and len(t[0]) == 1 and t[0].upper() in "ACGT":
                    vals[t[0].upper()] = float(t[1])
                else:
                    nums.extend(float(v) for v in t)
            except ValueError:
                raise FormatError(f"expected 'A 0.3' lines or four numbers, found {line.strip()!r}.",
                                  path=spec, line=ln) from None
    if len(vals) == 4:
        return np.array([vals[c] for c in "ACGT"])
    if len(nums) == 4:
        return np.array(nums)
    raise FormatError("the background file must give the frequencies of A, C, G and T.", path=spec)


def run(args: argparse.Namespace) -> int:
    from ..motifs.scan import scan, write_fimo_tsv
    from ..sequence import read_fasta

    check_outputs(args, out=args.out)
    if args.motifs is None:
        from ..motifs.database import load_default

        motifs = load_default()
    else:
        from ..motifs.io import read_meme

        motifs = read_meme(args.motifs)
    bg = _background(args.background)
    rec = read_fasta(args.fasta)
    log.info("scanning %d sequences (%d bp) with %d motifs", len(rec.ids),
             sum(len(s) for s in rec.sequences), len(motifs))
    from ..errors import InputError
    from ._distributed import client_from_args

    try:
        with client_from_args(args) as client:
            hits = scan(list(rec.sequences), motifs, threshold=args.thresh, bg_freqs=bg,
                        pseudocount=args.motif_pseudo, both_strands=not args.norc, qvalues=args.qvalues,
                        seq_names=list(rec.ids), max_hits=args.max_hits, progress=not args.quiet, client=client)
    except InputError as err:
        if str(err).startswith(("sequence ", "Sequence ", "scan of sequences ")):  # a bad letter: say which file
            raise InputError(f"{args.fasta}: {err}") from None
        raise
    cmd = "kgenint " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:] else "kgenint scan"
    if args.out:
        write_fimo_tsv(hits, args.out, command_line=cmd)
    else:
        write_fimo_tsv(hits, sys.stdout, command_line=cmd)
    log.info("%d hits", len(hits))
    return 0
