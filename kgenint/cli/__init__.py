"""The ``kgenint`` command line.

Every subcommand lives in its own module ``kgenint/cli/cmd_<name>.py`` that defines
``register(subparsers, parents)``: it adds its parser (with ``parents=parents`` for the shared
options) and sets ``func`` to a function ``run(args) -> int``. Modules are discovered, so adding a
subcommand touches no other file.

Conventions: data go to stdout or ``-o/--out``; logs and progress bars go to stderr. Exit codes:
0 success, 1 bad data (one-line message), 2 usage error (argparse).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys

from .._version import __version__
from ..errors import InputError

__all__ = ["main", "build_parser"]

log = logging.getLogger("kgenint")


def _common_parent() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("common options")
    g.add_argument("--seed", type=int, default=0, help="random seed for every random step (default: 0)")
    g.add_argument("--threads", type=int, default=None, help="number of Numba threads (default: all cores)")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bars or log messages")
    g.add_argument("-v", "--verbose", action="store_true", help="debug log messages on stderr")
    return p


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every discovered subcommand."""
    parser = argparse.ArgumentParser(
        prog="kgenint",
        description=(
            "Find which sequence motifs a genomic CNN has learned and how they interact. "
            "Run 'kgenint demo' for the whole pipeline on built-in simulated data, or "
            "'kgenint <command> --help' for one stage."
        ),
    )
    parser.add_argument("--version", action="version", version=f"kgenint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    sub.required = True
    parents = [_common_parent()]
    for mod in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("cmd_")):
        importlib.import_module(f"{__name__}.{mod}").register(sub, parents)
    return parser


def _setup(args: argparse.Namespace) -> None:
    level = logging.WARNING if args.quiet else (logging.DEBUG if args.verbose else logging.INFO)
    logging.basicConfig(level=level, format="kgenint: %(message)s", stream=sys.stderr)
    if args.quiet:
        import os

        os.environ["TQDM_DISABLE"] = "1"
    if args.threads is not None:
        from .._kernels import set_num_threads

        set_num_threads(args.threads)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kgenint`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _setup(args)
        rc = args.func(args)
    except InputError as err:
        print(f"kgenint {args.command}: error: {err}", file=sys.stderr)
        return 1
    except (FileNotFoundError, IsADirectoryError, PermissionError) as err:
        print(f"kgenint {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"kgenint {args.command}: interrupted; finished chunks are kept.", file=sys.stderr)
        return 130
    return int(rc or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
