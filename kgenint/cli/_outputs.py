"""The output options every writing command shares: ``--overwrite`` and the up-front check.

One policy (``docs/outputs.md``): an existing output is refused unless ``--overwrite``, which also
clears stale partial state; outputs are checked *before* the work starts, so a long run is not
wasted on a name that will be refused, and written atomically at the end.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

__all__ = ["add_overwrite", "check_outputs", "check_output_dir", "write_tsv"]

log = logging.getLogger("kgenint")

HELP = "replace existing output files (and clear a stale checkpoint); see docs/outputs.md"


def add_overwrite(p: argparse.ArgumentParser) -> None:
    """Add ``--overwrite`` (store_true) to a subcommand parser."""
    p.add_argument("--overwrite", action="store_true", help=HELP)


def check_outputs(args: argparse.Namespace, **outputs: str | os.PathLike | None) -> None:
    """Refuse existing outputs unless ``args.overwrite``; ``outputs`` maps an option name
    (``out``, ``table`` ...) to its value (None: not given, or standard output)."""
    from .._io import check_overwrite
    from ..errors import OutputError

    seen: dict[str, str] = {}
    for name, value in outputs.items():
        if value is None:
            continue
        opt = "--" + name.replace("_", "-")
        key = os.path.realpath(os.fspath(value))
        if key in seen:
            raise OutputError(f"{opt} and {seen[key]} name the same file ({value}); give them different names.")
        seen[key] = opt
        check_overwrite(value, bool(getattr(args, "overwrite", False)), what=opt)


def check_output_dir(path: str | os.PathLike | None, option: str) -> None:
    """A folder output (``--plots``): it must be a folder or not exist yet (it is created)."""
    from ..errors import OutputError

    if path is None:
        return
    if os.path.exists(path) and not os.path.isdir(path):
        raise OutputError(f"{option} {path} is a file; {option} takes a folder (it is created if missing).")


def write_tsv(table: Any, path: str | os.PathLike | None, what: str = "rows") -> None:
    """A table (pandas DataFrame) as tab-separated text, floats ``%.6g``: to ``path``, written
    atomically (``.gz``: compressed), or to standard output without one. ``what`` names the rows
    in the log line."""
    if path is None or path == "":
        table.to_csv(sys.stdout, sep="\t", index=False, float_format="%.6g")
        return
    from .._io import atomic_open

    with atomic_open(path) as fh:
        table.to_csv(fh, sep="\t", index=False, float_format="%.6g")
    log.info("wrote %d %s to %s", len(table), what, path)
