"""The ``kgenint`` command line.

Every subcommand lives in its own module ``kgenint/cli/cmd_<name>.py`` that defines
``register(subparsers, parents)``: it adds its parser (with ``parents=parents`` for the shared
options) and sets ``func`` to a function ``run(args) -> int``. Modules are discovered, so adding a
subcommand touches no other file.

Conventions: data go to stdout or ``-o/--out``; logs and progress bars go to stderr. Exit codes:
0 success, 1 bad data or an expected failure (one-line message), 2 usage error (argparse), 130
interrupted. Expected failures are kgenint's own errors, text that is not UTF-8, damaged
HDF5/.npz/.npy files, a full disk, permissions and missing files, and running out of memory; with
``-v`` their traceback follows the message. Anything else is a bug and keeps its traceback.
Outputs, resume and overwrite behaviour: ``docs/outputs.md``.
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


#: commands that load TensorFlow (imported up front with its start-up noise captured)
_USES_TENSORFLOW = frozenset({"demo", "train", "attribute", "interactions", "benchmark"})

#: commands that keep finished work when interrupted (what to tell the user on Ctrl-C)
_KEPT_ON_INTERRUPT = {
    "attribute": "finished chunks are kept; run the same command again to resume",
    "interactions": "finished chunks are kept; run the same command again to resume",
    "demo": "finished stages are kept; run the same command again to continue",
}

from ._argtypes import positive_int  # noqa: E402

OUTPUTS_DOC = "docs/outputs.md"


def _common_parent() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("common options")
    g.add_argument("--seed", type=int, default=0, help="random seed for every random step (default: 0)")
    g.add_argument("--threads", type=positive_int("the number of threads to use"), default=None,
                   help="number of Numba threads, >= 1 (default: all cores)")
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
        epilog=(f"Outputs are written atomically, an existing output is refused unless --overwrite, and "
                f"interrupted long runs resume: see {OUTPUTS_DOC}."),
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
    if getattr(args, "command", None) in _USES_TENSORFLOW:
        # TensorFlow's start-up lines (absl, oneDNN, CUDA stubs) stay off the screen unless -v
        from .._tf import import_tensorflow_quietly

        import_tensorflow_quietly(show=bool(args.verbose))
    if args.threads is not None:
        from .._kernels import set_num_threads

        set_num_threads(args.threads)


def expected_failure(err: BaseException) -> str | None:
    """The one-line message for an expected failure, or None for a bug (which keeps its traceback)."""
    import zipfile
    import zlib

    from .._io import os_error_message

    if isinstance(err, InputError):
        return str(err)
    if isinstance(err, UnicodeDecodeError):
        return (f"an input file is not UTF-8 text (byte 0x{err.object[err.start]:02x} at byte {err.start}); "
                f"save it as UTF-8 (spreadsheet 'Unicode text' exports are UTF-16) or check that it is the "
                f"right file.")
    if isinstance(err, MemoryError):
        return ("out of memory; use smaller inputs or chunks (see --help), or a machine with more memory.")
    if isinstance(err, (zipfile.BadZipFile, zlib.error, EOFError)):
        return f"a .npz/.npy input is truncated or damaged ({err}); write it again."
    if isinstance(err, OSError):
        if err.errno is not None:
            return os_error_message(err)
        # h5py: errno-less OSError for unreadable files and damaged compressed chunks
        text = str(err)
        if any(k in text for k in ("HDF5", "h5", "filter", "file signature", "Can't", "Unable", "unable")):
            return f"an HDF5 input is damaged or truncated ({text}); write it again."
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kgenint`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _setup(args)
        rc = args.func(args)
    except KeyboardInterrupt:
        kept = _KEPT_ON_INTERRUPT.get(args.command, "outputs not finished were not written "
                                                    "(previous files are unchanged)")
        print(f"kgenint {args.command}: interrupted; {kept}.", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - expected failures become one line, bugs re-raise
        msg = expected_failure(err)
        if msg is None:
            raise
        print(f"kgenint {args.command}: error: {' '.join(msg.split())}", file=sys.stderr)
        if getattr(args, "verbose", False):
            import traceback

            traceback.print_exc(file=sys.stderr)
        return 1
    return int(rc or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
