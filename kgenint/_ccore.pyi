"""Type stub for the compiled core ``kgenint._ccore`` (csrc/module.c, onehot.c, fasta.c)."""

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

class SequenceError(ValueError):
    index: int | None
    position: int | None
    char: str | None

class ParseError(ValueError):
    filename: str
    line: int | None
    reason: str

def one_hot_encode(
    seqs: Sequence[str | bytes | bytearray],
    length: int = -1,
    n_value: float = 0.0,
    ids: Sequence[str] | None = None,
) -> npt.NDArray[np.float32]: ...
def one_hot_decode(x: npt.ArrayLike) -> list[str]: ...
def reverse_complement(x: npt.ArrayLike) -> npt.NDArray[np.float32]: ...
def parse_fasta(
    data: bytes | bytearray | memoryview,
    filename: str = "<buffer>",
    one_hot: bool = False,
    n_value: float = 0.0,
    as_str: bool = False,
) -> tuple[list[str], list[str], Any, list[int]]: ...
# The third item is list[bytes], list[str] (as_str=True) or a float32 (N, L, 4) array
# (one_hot=True): the flags are run-time values at the only call site, hence Any.
