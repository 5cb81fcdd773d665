"""Progress on stderr: a tqdm bar on a terminal, plain lines otherwise.

Long work must show that it is alive even when stderr is a log file or a pipe (a batch job, CI,
``kgenint demo 2> log``), where a tqdm bar writes nothing useful.  So when stderr is not a terminal
:func:`progress` returns a :class:`LineProgress` that writes one line at most every
``interval`` seconds (and one when the work ends).  ``TQDM_DISABLE`` (``kgenint -q``) or
``disable=True`` silences both.
"""
from __future__ import annotations

import os
import sys
import time

from tqdm.auto import tqdm as _tqdm

__all__ = ["progress", "LineProgress"]

#: seconds between two progress lines when stderr is not a terminal
LINE_INTERVAL = 10.0


class LineProgress:
    """The subset of tqdm's interface kgenint uses, written as lines (``desc: n/total unit``)."""

    def __init__(self, iterable=None, *, desc: str | None = None, total: int | None = None, unit: str = "it",
                 interval: float = LINE_INTERVAL, stream=None):
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.desc, self.total, self.unit, self.interval = desc or "progress", total, unit, float(interval)
        self.stream = stream
        self.n = 0
        self.postfix = ""
        self._t0 = self._last = time.perf_counter()
        self._closed = False
        self._printed = False

    def _line(self, final: bool = False) -> str:
        el = time.perf_counter() - self._t0
        if self.total:
            pct = 100.0 * self.n / self.total
            text = f"{self.desc}: {self.n:,}/{self.total:,} {self.unit} ({pct:.0f} %), {el:.0f} s"
            if not final and 0 < self.n < self.total:
                text += f", about {el * (self.total - self.n) / self.n:.0f} s left"
        else:
            text = f"{self.desc}: {self.n:,} {self.unit}, {el:.0f} s"
        if self.postfix:
            text += f" [{self.postfix}]"
        return text + (" - done" if final else "")

    def _write(self, text: str) -> None:
        stream = self.stream or sys.stderr
        try:
            stream.write(f"kgenint: {text}\n")
            stream.flush()
        except (OSError, ValueError):  # a closed or broken stderr must not stop the work
            pass
        self._printed = True

    def update(self, n: int = 1) -> None:
        self.n += int(n)
        now = time.perf_counter()
        if now - self._last >= self.interval:
            self._last = now
            self._write(self._line())

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.postfix = str(s)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # a closing line when the work was long enough to have printed (or nearly)
        if self._printed or time.perf_counter() - self._t0 >= self.interval / 2:
            self._write(self._line(final=True))

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.update(1)
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def progress(iterable=None, *, desc: str | None = None, total: int | None = None, unit: str = "it", **kw):
    """Progress for ``total`` units of work on stderr.

    Parameters
    ----------
    iterable : iterable, optional
        Wrapped and iterated, as with tqdm.
    desc, total, unit : str, int, str
        What is counted.
    disable : bool or None
        True: nothing. None or False (default): a tqdm bar when stderr is a terminal, a line
        every :data:`LINE_INTERVAL` seconds otherwise. ``TQDM_DISABLE`` set in the environment
        (``kgenint -q``) silences both.
    """
    requested = kw.pop("disable", None)
    if os.environ.get("TQDM_DISABLE") or requested is True:
        return _tqdm(iterable, desc=desc, total=total, unit=unit, file=sys.stderr, disable=True, **kw)
    if not _is_terminal(sys.stderr):
        return LineProgress(iterable, desc=desc, total=total, unit=unit)
    return _tqdm(iterable, desc=desc, total=total, unit=unit, file=sys.stderr, leave=False, **kw)
