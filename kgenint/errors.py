"""Exceptions of kgenint.

Every error a user can cause with bad input is an :class:`InputError` (a ``ValueError``) whose
message says what is wrong, where (file, line, sequence id, position) and how to fix it. The
command line turns these into a one-line message and exit code 1.
"""
from __future__ import annotations

__all__ = ["KgenintError", "InputError", "FormatError", "OutputError"]


class KgenintError(Exception):
    """Base class of kgenint's own errors."""


class InputError(KgenintError, ValueError):
    """Bad input data or arguments (shapes, values, alphabets ...)."""


class FormatError(InputError):
    """A file does not follow its format. The message names the file and the line."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message)
        self.path = path
        self.line = line


class OutputError(InputError):
    """An output cannot be written: it exists (and ``--overwrite`` was not given), another process
    is writing it, the disk is full, or the folder is not writable. The previous file is kept."""
