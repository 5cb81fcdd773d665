"""The options every distributed verb shares: ``--scheduler ADDRESS`` and ``--workers N``.

``attribute``, ``scan`` and ``interactions`` add them with :func:`add_distributed_options` and
open the client with :func:`client_from_args` (``kgenint.distributed.connect``); without either
option the verb runs in this process. See ``docs/distributed.md``.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from ._argtypes import positive_int

__all__ = ["add_distributed_options", "client_from_args"]

log = logging.getLogger("kgenint")


def add_distributed_options(p: argparse.ArgumentParser) -> None:
    """Add ``--scheduler ADDRESS`` and ``--workers N`` (mutually exclusive) to a subcommand."""
    g = p.add_argument_group("distributed (Dask; pip install 'kgenint[dask]')")
    m = g.add_mutually_exclusive_group()
    m.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run the chunks as tasks on a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (workers "
                        "must see the model and output paths; a shared file system)")
    m.add_argument("--workers", metavar="N", type=positive_int("worker processes"), default=None,
                   help="run the chunks on N local worker processes (a Dask LocalCluster, one thread each)")


@contextlib.contextmanager
def client_from_args(args: argparse.Namespace) -> Iterator[Any]:
    """The Dask client that ``--scheduler`` / ``--workers`` ask for, or None (this process)."""
    from ..distributed import connect

    scheduler, workers = getattr(args, "scheduler", None), getattr(args, "workers", None)
    level = logging.ERROR if getattr(args, "quiet", False) else logging.WARNING
    quiet = (scheduler is not None or workers is not None) and not getattr(args, "verbose", False)
    if quiet:
        from ..distributed import require_distributed

        require_distributed()  # its loggers exist once it is imported
        _quiet_dask(level)
    with connect(scheduler=scheduler, workers=workers) as client:
        if quiet:
            _quiet_dask(level)  # and those made while the cluster started
        if client is not None:
            where = scheduler if scheduler else f"a local cluster of {workers} worker process(es)"
            log.info("running on %s", where)
        yield client


def _quiet_dask(level: int) -> None:
    """Raise every ``distributed.*`` logger to ``level``: Dask's INFO lines (workers starting and
    closing) are shown with ``-v`` only; its warnings and errors always."""
    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(level)
