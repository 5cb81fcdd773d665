"""``kgenint seqlets``: motif discovery from attribution maps (seqlets -> clusters -> motifs)."""
from __future__ import annotations

import argparse
import logging
import sys

from ._options import add_command, add_data, add_out
from ._outputs import check_outputs

log = logging.getLogger("kgenint")


def register(subparsers, parents) -> None:
    p = add_command(
        subparsers, parents, "seqlets",
        help="discover motifs from attribution maps (fast TF-MoDISco-class)",
        description=(
            "Call seqlets (windows of high total contribution, thresholds from a Laplace null at "
            "the chosen FDR), cluster them by their contribution and hypothetical-contribution "
            "shapes over all shifts and both strands, and aggregate each cluster into a motif "
            "(CWM, hypothetical CWM, PPM). Writes the tfmodisco-lite results HDF5 that "
            "'modisco report' and 'modisco meme' read, plus a /kgenint group with the seqlet "
            "table, thresholds and timings. Input: --attributions is an HDF5 or .npz holding "
            "'contributions' and/or 'hypothetical' (N, L, 4) arrays and optionally the one-hot "
            "sequences as 'onehot' or 'x'; or a .npy with one (N, L, 4) attribution array, with "
            "the sequences in --data (.npy, .npz or HDF5 with 'onehot'/'x')."
        ),
    )
    p.add_argument("--attributions", required=True, help="attribution file (.h5, .npz or .npy)")
    add_data(p, help="one-hot sequences (.npy, .npz or HDF5 with 'onehot'/'x') when not in --attributions",
             split=False)
    p.add_argument("--kind", choices=("auto", "contributions", "hypothetical"), default="auto",
                   help="what a lone .npy attribution array holds (default: detect)")
    add_out(p, "output results HDF5 (tfmodisco-lite layout)", required=True)
    p.add_argument("--meme", default=None, help="also write the trimmed motifs (PPMs) as a MEME file")
    p.add_argument("--tsv", default=None,
                   help="also write the seqlet table (seq, start, end, strand, score, sign, cluster, site_start, "
                        "site_end; 0-based half-open) as tab-separated text")
    p.add_argument("--caller", choices=("laplace", "recursive"), default="laplace",
                   help="seqlet caller (default: laplace, TF-MoDISco style)")
    p.add_argument("--window", type=int, default=21, help="seqlet core width (default: 21)")
    p.add_argument("--flank", type=int, default=10, help="flank added each side (default: 10)")
    p.add_argument("--fdr", type=float, default=0.05, help="seqlet false-discovery rate (default: 0.05)")
    p.add_argument("--max-seqlets", type=int, default=None,
                   help="cap per sign, keeping the highest-scoring (default: no cap)")
    p.add_argument("--min-cluster-size", type=int, default=20,
                   help="fewest seqlets for a motif (default: 20)")
    p.add_argument("--merge-threshold", type=float, default=0.6,
                   help="similarity at which clusters merge (default: 0.6)")
    p.add_argument("--annotate", action="store_true",
                   help="annotate motifs against the default database (kgenint.motifs.annotate)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import warnings

    from ..seqlets import discover, load_attributions

    check_outputs(args, out=args.out, meme=args.meme, tsv=args.tsv)
    onehot, contrib, hyp = load_attributions(args.attributions, args.data, args.kind)
    log.info("%s: %d sequences of %d bp", args.attributions, onehot.shape[0], onehot.shape[1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = discover(
            onehot, contrib, hyp, caller=args.caller, window=args.window, flank=args.flank, fdr=args.fdr,
            max_seqlets=args.max_seqlets, min_cluster_size=args.min_cluster_size,
            merge_threshold=args.merge_threshold, annotate=bool(args.annotate), seed=args.seed,
        )
    for w in caught:
        log.warning("%s", w.message)
    res.save(args.out)
    for line in res.summary().splitlines():
        log.info("%s", line)
    if args.tsv:
        _write_tsv(res, args.tsv)
    if args.meme:
        from ..motifs.io import write_meme

        if res.motifs:
            write_meme(res.motifs, args.meme, comments=[f"kgenint seqlets --attributions {args.attributions}"])
        else:
            log.warning("no motifs found; %s not written", args.meme)
    log.info(
        "%d motifs from %d seqlets (%d placed) in %.1f s -> %s",
        len(res.motifs), len(res.seqlets), int((res.seqlets["cluster"] >= 0).sum()), res.timings["total"], args.out,
    )
    print(f"{len(res.motifs)} motifs written to {args.out}", file=sys.stderr if args.quiet else sys.stdout)
    return 0


def _write_tsv(res, path) -> None:
    from .._io import atomic_open

    df = res.seqlet_table()
    names = [m.name for m in res.motifs]
    df.insert(df.columns.get_loc("cluster") + 1, "motif", [names[c] if c >= 0 else "" for c in df["cluster"]])
    with atomic_open(path) as fh:  # file mode from the umask (was 0600 from mkstemp)
        df.to_csv(fh, sep="\t", index=False)
