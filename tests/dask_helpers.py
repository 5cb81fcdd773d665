"""Picklable test models for tests/test_distributed.py (imported by the Dask worker processes)."""
import os

import numpy as np

from kgenint.errors import InputError
from kgenint.motifs import Motif

A = Motif.from_consensus("GGATAAGG", name="A")
B = Motif.from_consensus("CGCCAATG", name="B")
C = Motif.from_consensus("TGGGCGGG", name="C")


def onehot(n, L, seed):
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(n, L))]


class Pairwise:
    """A deterministic nonlinear model: two linear filters, their sum and product."""

    def __init__(self, L, seed):
        rng = np.random.default_rng(seed)
        self.w1 = rng.normal(size=(L, 4)).astype(np.float32)
        self.w2 = rng.normal(size=(L, 4)).astype(np.float32)

    def __call__(self, x):
        s1 = np.einsum("nlc,lc->n", x, self.w1)
        s2 = np.einsum("nlc,lc->n", x, self.w2)
        return np.stack([s1 + s2 + 0.3 * s1 * s2, s1], axis=1).astype(np.float32)


class KillOnce:
    """``inner``, except that the first call in any worker (marked by a file) kills that worker."""

    def __init__(self, inner, marker):
        self.inner, self.marker = inner, marker

    def __call__(self, x):
        try:  # exactly one process claims the kill, even when two start at once
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return self.inner(x)
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os._exit(17)


class FailOnN:
    """Raises a kgenint error for any sequence holding an N (all-zero row)."""

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, x):
        if (x.sum(-1) == 0).any():
            raise InputError("the model cannot read N")
        return self.inner(x)


class FailOnPair:
    """Raises when motifs A and C are both in a sequence (only pair tasks see that)."""

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, x):
        text = ["".join("ACGT"[i] for i in r) for r in x.argmax(-1)]
        if any(A.consensus in t and C.consensus in t for t in text):
            raise ValueError("cannot score A with C")
        return self.inner(x)


