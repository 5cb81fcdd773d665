"""Numba kernels: dinucleotide counts and dinucleotide-preserving shuffles of one-hot DNA.

Letters are coded 0..3 = A, C, G, T and 4 = N (a row of all 0 or all 0.25; the codes come from
:func:`kgenint._kernels.onehot.onehot_codes_kernel`). The shuffle is the
Altschul-Erickson Euler-path method: the sequence is a path through the multigraph whose vertices
are letters and whose edges are its L-1 dinucleotides. A uniformly random Eulerian path with the
same first and last letter is drawn by (1) a random spanning arborescence of "last exit" edges
pointing to the last letter (Wilson's loop-erased random walk, which samples it with the right
weights), (2) a random order of every vertex's remaining out-edges, (3) the walk that takes each
vertex's edges in that order. Dinucleotide counts, first and last letter are kept exactly.

Every (sequence, shuffle) pair gets its own splitmix64 stream derived from the user seed and its
index, so results do not depend on the number of threads.
"""
from __future__ import annotations

import numba
import numpy as np

from . import jit, pjit

from .rng import INV53 as _INV53, S11 as _S11, S32 as _S32  # noqa: E402
from .rng import mix64 as _mix64, next_bits as _next, stream_seed as _stream_seed  # noqa: E402, F401

_RNG_SOURCE = "4294cb031608"  # kgenint/_kernels/rng.py's hash (its module docstring: Numba cache key)


@jit
def _randint(state, n):
    """(new state, uniform integer in [0, n)) for 1 <= n < 2**53.

    Multiply-shift on the top 32 bits for n < 2**32 (bias below n / 2**32, negligible for
    sequence lengths), 53-bit float otherwise.
    """
    state, r = _next(state)
    if n < 4294967296:
        return state, np.int64(((r >> _S32) * np.uint64(n)) >> _S32)
    u = np.float64(r >> _S11) * _INV53
    k = np.int64(u * n)
    if k >= n:  # pragma: no cover - guards against rounding
        k = n - 1
    return state, k


@pjit
def dinucleotide_counts_kernel(codes):
    """int64 (N, 5, 5) counts of dinucleotides (a, b) at positions (j, j+1); index 4 is N."""
    N, L = codes.shape[0], codes.shape[1]
    counts = np.zeros((N, 5, 5), dtype=np.int64)
    for i in numba.prange(N):
        for j in range(L - 1):
            counts[i, codes[i, j], codes[i, j + 1]] += 1
    return counts


@jit
def _euler_shuffle(s, L, state, targets, off, deg, ptr, nxt, in_tree, out):
    """Write one dinucleotide shuffle of codes s[:L] into out[:L]; returns the new RNG state.

    Work arrays: targets (L,), off/deg/ptr/nxt (5,), in_tree (5,) bool.
    """
    out[0] = s[0]
    if L <= 2:
        for j in range(L):
            out[j] = s[j]
        return state
    # Out-edge lists grouped by source letter (counting sort keeps it O(L)).
    for v in range(5):
        deg[v] = 0
    for j in range(L - 1):
        deg[s[j]] += 1
    acc = 0
    for v in range(5):
        off[v] = acc
        ptr[v] = acc
        acc += deg[v]
    for j in range(L - 1):
        a = s[j]
        targets[ptr[a]] = s[j + 1]
        ptr[a] += 1
    last = s[L - 1]
    # Random arborescence of last-exit edges towards `last` (Wilson's algorithm). nxt[v] is the
    # index (within v's list) of v's chosen last-exit edge.
    for v in range(5):
        in_tree[v] = False
        nxt[v] = -1
    in_tree[last] = True
    for v0 in range(5):
        if deg[v0] == 0 or in_tree[v0]:
            continue
        u = v0
        while not in_tree[u]:
            state, k = _randint(state, deg[u])
            nxt[u] = k
            u = targets[off[u] + k]
        u = v0
        while not in_tree[u]:
            in_tree[u] = True
            u = targets[off[u] + nxt[u]]
    # Put each last-exit edge at the end of its list and shuffle the others (Fisher-Yates).
    for v in range(5):
        d = deg[v]
        if d == 0:
            continue
        base = off[v]
        m = d
        if v != last:
            k = nxt[v]
            t = targets[base + k]
            targets[base + k] = targets[base + d - 1]
            targets[base + d - 1] = t
            m = d - 1
        for a in range(m - 1, 0, -1):
            state, b = _randint(state, a + 1)
            t = targets[base + a]
            targets[base + a] = targets[base + b]
            targets[base + b] = t
        ptr[v] = base
    # Walk the Eulerian path.
    u = s[0]
    for j in range(1, L):
        w = targets[ptr[u]]
        ptr[u] += 1
        out[j] = w
        u = w
    return state


_CHUNK = 32  # work items per parallel task (work arrays are allocated once per task)


@pjit
def dinucleotide_shuffle_kernel(codes, nvals, n, seed):
    """float32 (N, n, L, 4): n dinucleotide shuffles of each coded sequence (codes (N, L) int8).

    Work item ``item = i * n + r`` (shuffle r of sequence i) draws from its own stream seeded by
    (seed, item), so the output does not depend on how items are spread over threads.
    """
    N, L = codes.shape[0], codes.shape[1]
    res = np.zeros((N, n, L, 4), dtype=np.float32)
    total = N * n
    n_tasks = (total + _CHUNK - 1) // _CHUNK
    useed = np.uint64(seed)
    for task in numba.prange(n_tasks):
        s = np.empty(L, dtype=np.int64)
        out = np.empty(L, dtype=np.int64)
        targets = np.empty(max(L, 1), dtype=np.int64)
        off = np.empty(5, dtype=np.int64)
        deg = np.empty(5, dtype=np.int64)
        ptr = np.empty(5, dtype=np.int64)
        nxt = np.empty(5, dtype=np.int64)
        in_tree = np.empty(5, dtype=np.bool_)
        last_i = -1
        for item in range(task * _CHUNK, min(total, (task + 1) * _CHUNK)):
            i = item // n
            r = item - i * n
            if i != last_i:
                for j in range(L):
                    s[j] = codes[i, j]
                last_i = i
            state = _stream_seed(useed, np.uint64(item))
            _euler_shuffle(s, L, state, targets, off, deg, ptr, nxt, in_tree, out)
            nval = nvals[i]
            for j in range(L):
                c = out[j]
                if c < 4:
                    res[i, r, j, c] = 1.0
                elif nval != 0.0:
                    for k in range(4):
                        res[i, r, j, k] = nval
    return res
