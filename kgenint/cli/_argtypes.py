"""argparse value types shared by the subcommands."""
from __future__ import annotations

import argparse
from collections.abc import Callable


def positive_int(what: str) -> Callable[[str], int]:
    """An argparse ``type=`` that accepts a whole number >= 1 (``what`` names it in the message)."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number >= 1 ({what}), got {text!r}") from None
        if v < 1:
            raise argparse.ArgumentTypeError(f"must be >= 1 ({what}), got {v}")
        return v

    return parse
