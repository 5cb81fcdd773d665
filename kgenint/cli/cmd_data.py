"""``kgenint data``: training HDF5 from peaks + genome, or from FASTA (+ negatives or labels)."""
from __future__ import annotations

import argparse
import json
import logging
import sys

from ._options import add_command, add_out

log = logging.getLogger("kgenint")


def register(subparsers, parents) -> None:
    p = add_command(
        subparsers, parents, "data",
        help="training HDF5 from peaks + genome FASTA, or from FASTA files (+ labels)",
        description=(
            "Write the training HDF5 that 'kgenint train' and every stage read ('/x', '/y/class' and/or "
            "'/y/continuous', '/split/train|valid|test', and '/intervals/chrom|start|end|strand' for genome "
            "windows), streaming in chunks. From peaks: one --peaks file per task (BED or narrowPeak, "
            "sorted), windows of --length bp centred on the summit (narrowPeak column 10) or the interval "
            "centre, GC-matched genomic negatives that overlap no peak and no --blacklist region "
            "(or dinucleotide shuffles), optional --bigwig signal as continuous targets, splits by held-out "
            "chromosomes (--test-chroms chr8,chr9) or seeded random. From FASTA: --fasta POS.fa with "
            "--negatives NEG.fa (or 'shuffle'), or with --labels L.tsv (header 'id<TAB>name ...'). "
            "Windows with too many N are skipped and counted on stderr. The output is written under a "
            "temporary name and renamed at the end."
        ),
        epilog=("examples:\n"
                "  kgenint data --peaks ctcf.narrowPeak --genome hg38.fa --length 200 "
                "--blacklist blacklist.bed --test-chroms chr8,chr9 --valid-chroms chr7 --out ctcf.h5\n"
                "  kgenint data --fasta enhancers.fa --negatives controls.fa --out enh.h5\n"
                "  kgenint data --fasta seqs.fa --labels activity.tsv --out act.h5"),
    )
    g = p.add_argument_group("from peaks and a genome")
    g.add_argument("--peaks", action="append", default=[], metavar="BED",
                   help="BED/narrowPeak file of one task (repeat for multi-task labels)")
    g.add_argument("--genome", default=None, help="genome FASTA (plain or bgzip); a missing .fai index is built")
    g.add_argument("--no-build-index", dest="build_index", action="store_false",
                   help="fail instead of building a missing FASTA index")
    g.add_argument("--blacklist", default=None, help="BED of regions no window may overlap")
    g.add_argument("--bigwig", action="append", default=[], metavar="BW",
                   help="bigWig signal: one /y/continuous column per file (repeat)")
    g.add_argument("--bigwig-stat", choices=("mean", "sum", "max"), default="mean",
                   help="signal statistic over each window; uncovered bases count as 0 (default: mean)")
    g.add_argument("--max-n", type=float, default=0.1,
                   help="skip windows with more than this fraction of N (default: 0.1)")
    g.add_argument("--negative-ratio", type=float, default=1.0, help="negatives per positive (default: 1)")
    g.add_argument("--test-chroms", default=None, help="comma-separated chromosomes held out for testing")
    g.add_argument("--valid-chroms", default=None,
                   help="comma-separated chromosomes held out for validation (default: a random fraction)")
    g.add_argument("--stranded", action="store_true",
                   help="read '-' strand peaks (BED column 6) as their reverse complement")
    f = p.add_argument_group("from FASTA")
    f.add_argument("--fasta", default=None, help="FASTA of positives (or of every sequence with --labels)")
    f.add_argument("--labels", default=None, help="TSV: header 'id<TAB>name ...', one row per FASTA id")
    p.add_argument("--negatives", default=None,
                   help="with --peaks: gc (default), shuffle or none; with --fasta: a FASTA of negatives "
                        "or 'shuffle' (default without --labels)")
    p.add_argument("--length", type=int, default=None,
                   help="window length in bp (required with --peaks; with --fasta, cut longer records to "
                        "their centre)")
    p.add_argument("--valid-fraction", type=float, default=0.1, help="random validation fraction (default: 0.1)")
    p.add_argument("--test-fraction", type=float, default=0.1,
                   help="random test fraction when no --test-chroms (default: 0.1)")
    p.add_argument("--chunk-size", type=int, default=4096, help="windows per write (default: 4096)")
    add_out(p, "output HDF5 file", required=True)
    p.add_argument("--fasta-out", default=None,
                   help="also write the sequences as FASTA named chrom:start-end(strand), for 'kgenint scan' "
                        "(hits map back to the genome with 'kgenint bed')")
    p.set_defaults(func=run, _parser=p)


def run(args: argparse.Namespace) -> int:
    from ..data.build import build_from_peaks
    from ..data.build_fasta import build_from_fasta

    import os

    from ..errors import InputError

    p = args._parser
    if args.fasta_out and os.path.exists(args.fasta_out) and not args.overwrite:
        raise InputError(f"--fasta-out {args.fasta_out} exists; choose another name or pass --overwrite.")
    if bool(args.peaks) == bool(args.fasta):
        p.error("give either --peaks (with --genome) or --fasta")
    if args.peaks:
        if args.genome is None:
            p.error("--peaks needs --genome")
        if args.length is None:
            p.error("--peaks needs --length (window length in bp)")
        if args.labels is not None:
            p.error("--labels goes with --fasta; with --peaks every peaks file is one task")
        s = build_from_peaks(
            args.peaks, args.genome, args.out, length=args.length, blacklist=args.blacklist,
            bigwigs=args.bigwig, bigwig_stat=args.bigwig_stat, negatives=args.negatives or "gc",
            negative_ratio=args.negative_ratio, max_n_fraction=args.max_n, test_chroms=args.test_chroms,
            valid_chroms=args.valid_chroms, valid_fraction=args.valid_fraction, test_fraction=args.test_fraction,
            stranded=args.stranded, build_index=args.build_index, chunk_size=args.chunk_size, seed=args.seed,
            overwrite=args.overwrite, progress=not args.quiet,
        )
    else:
        for opt in ("genome", "blacklist", "test_chroms", "valid_chroms"):
            if getattr(args, opt) is not None:
                p.error(f"--{opt.replace('_', '-')} goes with --peaks, not --fasta")
        if args.bigwig:
            p.error("--bigwig goes with --peaks, not --fasta")
        s = build_from_fasta(
            args.fasta, args.out, negatives=args.negatives, labels=args.labels, length=args.length,
            valid_fraction=args.valid_fraction, test_fraction=args.test_fraction, chunk_size=args.chunk_size,
            seed=args.seed, overwrite=args.overwrite, progress=not args.quiet,
        )
    if args.fasta_out:
        from ..data.build_fasta import write_windows_fasta

        k = write_windows_fasta(s.path, args.fasta_out, overwrite=args.overwrite, chunk_size=args.chunk_size)
        log.info("wrote %d sequences to %s", k, args.fasta_out)
    if s.skipped and any(s.skipped.values()) and not args.quiet:
        print(f"kgenint data: skipped {s.skipped['too_many_n']} window(s) with more than {args.max_n:g} N, "
              f"{s.skipped['chrom_edge']} at a chromosome end, {s.skipped['blacklist']} on the blacklist",
              file=sys.stderr)
    log.info("wrote %s: %d sequences of %d bp (%d positive, %d negative); %s", s.path, s.n, s.length,
             s.n_positive, s.n_negative, json.dumps(s.split_sizes))
    return 0
