"""The options that mean the same in every subcommand, each defined once with one help text.

``--seed``, ``--threads``, ``-q/--quiet`` and ``-v/--verbose`` come with every subcommand (the
``parents`` of :func:`add_command`). The others a subcommand adds when it has them:

* :func:`add_out`: ``-o/--out`` (the command says what it writes) and ``--overwrite``
  (:data:`kgenint.cli._outputs.HELP`: an existing output is refused unless given; ``docs/outputs.md``);
* :func:`add_model`: ``--model`` (a Keras 3 ``.keras`` file in);
* :func:`add_data`: ``--data`` (sequences in) with ``--split`` and ``--max-seqs``;
* :func:`add_motifs`: ``--motifs`` (a motif file in; never an output).
"""
from __future__ import annotations

import argparse
import textwrap

from ._outputs import add_overwrite

__all__ = ["add_command", "add_out", "add_model", "add_data", "add_motifs"]

MODEL_HELP = "Keras 3 model file (.keras)"
DATA_HELP = "sequences: FASTA (plain or gzip) or HDF5 with /x (N, L, 4)"
SPLIT_HELP = "HDF5 only: use the rows of /split/<SPLIT>"
MAX_SEQS_HELP = "use only the first N sequences of --data"
MOTIFS_HELP = "motif file (MEME or JASPAR)"


def add_command(subparsers, parents, name: str, *, help: str, description: str,
                epilog: str | None = None) -> argparse.ArgumentParser:
    """Add subcommand ``name`` with the common options: ``help`` is its line in ``kgenint --help``,
    ``description`` a paragraph (wrapped here), ``epilog`` printed as written."""
    return subparsers.add_parser(name, parents=parents, help=help, description=textwrap.fill(description),
                                 epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)


def add_out(p: argparse.ArgumentParser, help: str, *, required: bool = False, default: str | None = None,
            overwrite: bool = True) -> None:
    """``-o/--out`` (``help`` says what is written there) and, unless ``overwrite=False`` (a command
    with its own policy, e.g. ``demo --force``), ``--overwrite``."""
    p.add_argument("-o", "--out", required=required, default=default, help=help)
    if overwrite:
        add_overwrite(p)


def add_model(p: argparse.ArgumentParser, use: str | None = None) -> None:
    """``--model`` FILE, required (``use`` adds what the command needs of it)."""
    p.add_argument("--model", required=True, help=f"{MODEL_HELP} {use}" if use else MODEL_HELP)


def add_data(p: argparse.ArgumentParser, use: str | None = None, *, required: bool = False,
             help: str = DATA_HELP, split: bool = True, split_default: str | None = None,
             max_seqs: bool = False) -> None:
    """``--data`` (``help``; ``use`` adds what this command does with the sequences), ``--split``
    (unless ``split=False``) and ``--max-seqs`` (with ``max_seqs=True``)."""
    p.add_argument("--data", required=required, help=f"{help}; {use}" if use else help)
    if split:
        p.add_argument("--split", default=split_default,
                       help=SPLIT_HELP + (f" (default: {split_default})" if split_default else " (e.g. test)"))
    if max_seqs:
        p.add_argument("--max-seqs", type=int, default=None, help=MAX_SEQS_HELP)


def add_motifs(p: argparse.ArgumentParser, use: str | None = None, *, required: bool = False,
               help: str = MOTIFS_HELP) -> None:
    """``--motifs`` FILE, an input (``help``; ``use`` adds what it is for, or its default when not
    ``required``)."""
    p.add_argument("--motifs", required=required, help=f"{help}; {use}" if use else help)
