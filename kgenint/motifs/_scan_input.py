"""Sequence input of the motif scanner: FASTA text, one-hot arrays and lists of them as
chunks of base codes, and the count of windows a scan tests (for q-values).

Kept apart from :mod:`kgenint.motifs.scan` so that the scanner's Dask tasks
(:mod:`kgenint.motifs._scan_dask`) use the same input code without importing the scanner module.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, cast

import numpy as np

from .._alphabet import text_to_codes
from .._kernels import scan as _k
from .._validate import check_onehot
from ..errors import InputError

#: Bases per chunk handed to the scan kernels.
_DEFAULT_CHUNK = 4_000_000
#: Columns of the hit table returned by :func:`kgenint.motifs.scan`.
HIT_COLUMNS = [
    "seq", "sequence_name", "motif", "motif_id", "motif_alt_id", "start", "end", "strand",
    "score", "p_value", "q_value", "matched_sequence",
]


class _Input:
    """Sequences as chunks of letter codes: one-hot ``(N, L, 4)``, a list of one-hot arrays, or
    a list of strings."""

    def __init__(self, x: Any, chunk_size: int):
        self.chunk_size = int(chunk_size)
        self.names: list[str] | None = None  # sequence names for error messages
        # by kind: "dense" an (N, L, 4) array, "text" a list of str, "ragged" a list of (L, 4)
        self.x: np.ndarray | list[str] | list[np.ndarray]
        if isinstance(x, str):
            x = [x]
        if isinstance(x, np.ndarray) or (
            hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, (list, tuple))
        ):
            a = x
            if not (isinstance(a, np.ndarray) and a.dtype == np.float32 and a.ndim == 3
                    and a.shape[-1] == 4 and a.flags.c_contiguous):
                a = check_onehot(a, "x")
            if a.shape[0] == 0:
                check_onehot(a, "x")
            self.kind = "dense"
            self.x = a
            self.n = a.shape[0]
            self.lengths = np.full(self.n, a.shape[1], dtype=np.int64)
        elif isinstance(x, (list, tuple)):
            if len(x) == 0:
                raise InputError("x holds no sequences (an empty list).")
            if all(isinstance(s, str) for s in x):
                self.kind = "text"
                self.x = list(x)
                self.lengths = np.array([len(s) for s in x], dtype=np.int64)
            else:
                self.kind = "ragged"
                checked = [check_onehot(s, f"x[{i}]")[0] if np.ndim(s) == 2 else None for i, s in enumerate(x)]
                for i, s in enumerate(checked):
                    if s is None:
                        raise InputError(
                            f"x[{i}] must be one sequence of shape (L, 4) in a list of sequences; "
                            f"received an array of shape {np.shape(x[i])}."
                        )
                ragged = cast(list[np.ndarray], checked)  # no None left after the loop above
                self.x = ragged
                self.lengths = np.array([s.shape[0] for s in ragged], dtype=np.int64)
            self.n = len(self.x)
        else:
            raise InputError(
                f"x must be one-hot DNA of shape (N, L, 4), a list of (L, 4) arrays or a list of "
                f"DNA strings. Received {type(x).__name__}."
            )

    def chunks(self) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        """Yield ``(first_seq, codes, seq_off, seq_len)`` for consecutive groups of sequences."""
        i = 0
        while i < self.n:
            tot = 0
            j = i
            while j < self.n and (j == i or tot + self.lengths[j] <= self.chunk_size):
                tot += int(self.lengths[j])
                j += 1
            yield (i, *self._codes(i, j))
            i = j

    def _codes(self, i: int, j: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.kind == "text":
            return text_to_codes(cast(list[str], self.x)[i:j], self.names, i)
        if self.kind == "dense":
            part = cast(np.ndarray, self.x)[i:j]
            length = part.shape[1]
            codes = np.empty(part.shape[0] * length, dtype=np.uint8)
            bad = _k.onehot_to_codes(part, codes) if codes.size else -1
            if bad >= 0:
                check_onehot(part, "x")  # raises with the standard message
                s, p = divmod(int(bad), length)
                raise InputError(f"x is not one-hot DNA: sequence {i + s}, position {p}.")
            off = np.arange(part.shape[0], dtype=np.int64) * length
            return codes, off, np.full(part.shape[0], length, dtype=np.int64)
        parts = cast(list[np.ndarray], self.x)[i:j]
        lens = np.array([p.shape[0] for p in parts], dtype=np.int64)
        off = np.zeros(len(parts), dtype=np.int64)
        if len(parts) > 1:
            off[1:] = np.cumsum(lens)[:-1]
        codes = np.empty(int(lens.sum()), dtype=np.uint8)
        for t, p in enumerate(parts):
            if p.shape[0]:
                c = np.empty(p.shape[0], dtype=np.uint8)
                bad = _k.onehot_to_codes(np.ascontiguousarray(p[None], dtype=np.float32), c)
                if bad >= 0:
                    raise InputError(f"x[{i + t}] is not one-hot DNA at position {int(bad)}.")
                codes[off[t]:off[t] + p.shape[0]] = c
        return codes, off, lens


#: windows x motif-strands per batch of a bounded (max_hits) scan
_BOUNDED_BATCH = 1 << 20


def _n_free_windows(codes: np.ndarray, seq_off: np.ndarray, seq_len: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Number of windows of each width (``widths``) that contain no N, summed over sequences."""
    isn = codes > 3
    out = np.zeros(len(widths), dtype=np.int64)
    for o, n in zip(seq_off.tolist(), seq_len.tolist()):
        s = isn[o:o + n]
        # lengths of runs of non-N
        edges = np.flatnonzero(np.diff(np.concatenate(([1], s.view(np.int8), [1]))))
        runs = (edges[1::2] - edges[::2]) if edges.size else np.zeros(0, dtype=np.int64)
        for t, w in enumerate(widths.tolist()):
            out[t] += int(np.clip(runs - w + 1, 0, None).sum())
    return out


def prepare_input(x: Any, chunk_size: int | None, max_hits: int | None, seq_names: Sequence[str] | None,
                  min_width: int) -> tuple[_Input, int]:
    """The checked input of a scan (in this process or as Dask tasks): ``(_Input, chunk)``.

    Raises
    ------
    InputError
        A chunk size below 1, a negative ``max_hits``, names that do not match the sequences, or
        sequences all shorter than the narrowest motif (``min_width``).
    """
    chunk = _DEFAULT_CHUNK if chunk_size is None else int(chunk_size)
    if chunk < 1:
        raise InputError(f"chunk_size must be a positive number of positions. Received: chunk_size={chunk_size!r}")
    if max_hits is not None and int(max_hits) < 0:
        raise InputError(f"max_hits must be >= 0 or None. Received: max_hits={max_hits!r}")
    inp = _Input(x, chunk)
    if seq_names is not None:
        seq_names = [str(s) for s in seq_names]
        if len(seq_names) != inp.n:
            raise InputError(f"seq_names has {len(seq_names)} names for {inp.n} sequences.")
        inp.names = seq_names
    if int(inp.lengths.max()) < int(min_width):
        raise InputError(
            f"Every sequence is shorter ({int(inp.lengths.max())} bp) than the narrowest motif "
            f"({int(min_width)} bp): there is no window to scan.")
    return inp, chunk
