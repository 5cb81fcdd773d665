"""``kgenint simulate``: write a synthetic benchmark data set with planted motif interactions."""
from __future__ import annotations

import argparse
import logging
import sys

from ._options import add_command, add_out
from ._outputs import check_outputs

log = logging.getLogger("kgenint")


def register(subparsers, parents) -> None:
    """Add the ``simulate`` subcommand."""
    p = add_command(
        subparsers, parents, "simulate",
        help="simulate sequences with planted motif interactions (the benchmark ground truth)",
        description=(
            "Simulate one-hot DNA sequences with planted motifs and pair rules (additive control, "
            "AND, spacing, orientation, order, XOR, OR), binary and continuous labels, a "
            "train/valid/test split and the full ground truth, into one HDF5 file. "
            "Presets: 'default' (200 bp), 'additive' (same sequences, no interactions: the null "
            "data set), 'long' (1 kb, 300-600 bp spacing rule)."
        ),
        epilog="Example: kgenint simulate --preset default --n 20000 --out data.h5 --seed 0",
    )
    p.add_argument("--preset", default="default", choices=["default", "additive", "long"],
                   help="simulation preset (default: default)")
    p.add_argument("--n", type=int, default=None,
                   help="number of sequences (default: the preset's, 100000 for default)")
    add_out(p, "output HDF5 file", required=True)
    p.add_argument("--length", type=int, default=None, help="sequence length in bp (default: the preset's)")
    p.add_argument("--noise-sd", type=float, default=None, help="noise SD of the continuous target")
    p.add_argument("--positive-fraction", type=float, default=None, help="target fraction of class 1")
    p.add_argument("--fasta", default=None, help="also write the sequences as FASTA to this file")
    p.add_argument("--meme", default=None,
                   help="also write the planted motifs (as planted: trimmed PWMs) as MEME to this file, "
                        "e.g. for 'kgenint interactions --motifs' or 'kgenint scan --motifs'")
    # deprecated: --motifs names inputs in every other command
    p.add_argument("--motifs", dest="motifs_out", default=None, help=argparse.SUPPRESS)
    p.add_argument("--x-dtype", default="uint8", choices=["uint8", "float32"],
                   help="storage type of /x (default: uint8)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``kgenint simulate``."""
    from ..errors import InputError
    from ..simulate import SimulationConfig
    from ..simulate.generate import simulate_to_hdf5

    overrides = {}
    if args.length is not None:
        overrides["length"] = args.length
    if args.noise_sd is not None:
        overrides["noise_sd"] = args.noise_sd
    if args.positive_fraction is not None:
        overrides["positive_fraction"] = args.positive_fraction
    cfg = SimulationConfig.from_preset(args.preset, **overrides)
    if args.n is not None and args.n <= 0:
        raise InputError(f"--n must be a positive number of sequences. Received --n {args.n}.")
    meme = args.meme
    if args.motifs_out is not None:
        log.warning("simulate --motifs is deprecated (--motifs is an input elsewhere); use --meme")
        if meme is not None and meme != args.motifs_out:
            raise InputError("give --meme only (its old name --motifs was given too, with another file).")
        meme = args.motifs_out
    check_outputs(args, out=args.out, fasta=args.fasta, meme=meme)  # after the arguments, before the work
    truth = simulate_to_hdf5(args.out, cfg, n=args.n, seed=args.seed, progress=not args.quiet,
                             x_dtype=args.x_dtype)
    if args.fasta:
        _write_fasta(args.out, args.fasta)
    if meme:
        from ..motifs import write_meme

        write_meme(truth.motifs, meme)
    if not args.quiet:
        import h5py

        with h5py.File(args.out, "r") as f:
            frac = float(f["y/class"][()].mean())
        print(summary_text(truth, args.out, frac), file=sys.stderr)
    return 0


def _write_fasta(h5_path: str, fasta_path: str) -> None:
    """Write ``/x`` of ``h5_path`` as FASTA, in blocks, with the labels in the header."""
    import h5py
    import numpy as np

    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    from .._io import atomic_open

    with h5py.File(h5_path, "r") as f, atomic_open(fasta_path) as out:
        x = f["x"]
        ids = f["sequence_ids"].asstr()
        yc = f["y/class"][:, 0]
        yr = f["y/continuous"][:, 0]
        step = 4096
        for i in range(0, x.shape[0], step):
            block = x[i : i + step]
            seqs = letters[block.argmax(axis=-1)]
            names = ids[i : i + step]
            for j in range(block.shape[0]):
                out.write(f">{names[j]} class={int(yc[i + j])} y={float(yr[i + j]):.4f}\n")
                out.write(seqs[j].tobytes().decode() + "\n")


def summary_text(truth, path: str, class_fraction: float | None = None) -> str:
    """A short human summary: counts per rule state and the class balance."""
    import numpy as np

    s = truth.summary()
    lines = [
        f"kgenint simulate: wrote {truth.n_sequences} sequences of {truth.config.length} bp "
        f"(preset {truth.config.preset}, seed {truth.seed}) to {path}",
        "  class 1 fraction: "
        + (f"{class_fraction:.3f} (" if class_fraction is not None else "(")
        + f"{float(np.mean(truth.probability)):.3f} expected); "
        f"latent mean {truth.latent.mean():.2f}, SD {truth.latent.std():.2f}; threshold "
        f"{truth.threshold:.3f}",
        f"  planted sites: {len(truth.instances)}; accidental matches removed: {truth.n_removed}, "
        f"left (recorded): {len(truth.background_matches)}",
        "  rule                         interaction  A only  B only  both ok  both bad",
    ]
    for _, r in s.iterrows():
        lines.append(
            f"  {r['kind'] + ' ' + r['pair']:<28} {r['interaction']:>+11.2f}  {r['A only']:>6d}  "
            f"{r['B only']:>6d}  {r['both, satisfied']:>7d}  {r['both, violated']:>8d}"
        )
    return "\n".join(lines)
