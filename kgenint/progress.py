"""Progress bars on stderr (tqdm), quiet when stderr is not a terminal or TQDM_DISABLE is set."""
from __future__ import annotations

import os
import sys

from tqdm.auto import tqdm as _tqdm

__all__ = ["progress"]


def progress(iterable=None, *, desc: str | None = None, total: int | None = None, unit: str = "it", **kw):
    """A tqdm bar on stderr; ``disable=None`` hides it when stderr is not a TTY."""
    requested = kw.pop("disable", None)
    disable = True if os.environ.get("TQDM_DISABLE") else requested
    return _tqdm(iterable, desc=desc, total=total, unit=unit, file=sys.stderr, disable=disable, leave=False, **kw)
