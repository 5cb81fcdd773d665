"""Arguments shared by ``kgenint interactions``'s detectors: the ``--distances`` parser and the
insertion backgrounds (``--background``/``--n-backgrounds``).

Both :mod:`kgenint.cli.cmd_interactions` and :mod:`kgenint.cli._detectors_cli` use these; living
here, neither command module imports the other.
"""
from __future__ import annotations

import numpy as np

__all__ = ["parse_distances", "make_backgrounds"]


def parse_distances(text: str) -> np.ndarray:
    """Parse ``'a:b'``, ``'a:b:step'`` (inclusive) or comma lists of those and integers."""
    from ..errors import InputError

    out: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if ":" in part:
                f = [int(v) for v in part.split(":")]
                if len(f) not in (2, 3) or (len(f) == 3 and f[2] <= 0) or f[1] < f[0]:
                    raise ValueError
                out.extend(range(f[0], f[1] + 1, f[2] if len(f) == 3 else 1))
            else:
                out.append(int(part))
        except ValueError:
            raise InputError(
                f"--distances: cannot read {part!r}; use 'a:b' (a <= b, inclusive), 'a:b:step' (step > 0) "
                f"or integers separated by commas."
            ) from None
    if not out:
        raise InputError("--distances is empty.")
    return np.unique(np.asarray(out, dtype=np.int64))


def make_backgrounds(kind: str | None, n: int, length: int | None, data_x: np.ndarray | None, seed: int
                     ) -> tuple[np.ndarray, str]:
    """Backgrounds ``(n, L, 4)`` and a sentence saying what they are.

    ``shuffle``: rows drawn with ``np.random.default_rng(seed).choice(N, n, replace=N < n)`` from
    ``data_x``, each dinucleotide-shuffled once (``shuffled_background(..., 1, seed=seed)``);
    ``gc`` with data: ``gc_matched_background(data_x, n, seed=seed)``; ``gc`` without data:
    ``random_background(n, length, gc=0.42, seed=seed)``.
    """
    from ..errors import InputError
    from ..sequence import gc_matched_background, random_background, shuffled_background

    if kind is None:
        kind = "shuffle" if data_x is not None else "gc"
    if kind == "shuffle":
        if data_x is None:
            raise InputError("--background shuffle needs --data (the sequences to shuffle); use --background gc.")
        N = data_x.shape[0]
        rows = np.random.default_rng(seed).choice(N, size=n, replace=N < n)
        bg = shuffled_background(data_x[rows], 1, seed=seed)
        return bg, f"{n} dinucleotide shuffles of sequences drawn from --data ({N} sequences), seed {seed}"
    if kind == "gc":
        if data_x is not None:
            return gc_matched_background(data_x, n, seed=seed), f"{n} random sequences GC-matched to --data, seed {seed}"
        if length is None:
            raise InputError("the model accepts any sequence length: give --length or --data.")
        return random_background(n, int(length), gc=0.42, seed=seed), f"{n} i.i.d. random sequences at 42 % GC, seed {seed}"
    raise InputError(f"--background must be 'shuffle', 'gc' or a file. Received {kind!r}.")
