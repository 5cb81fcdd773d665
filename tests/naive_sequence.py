"""Slow, obvious references for the sequence layer (one-hot, FASTA, shuffles, backgrounds)."""
from __future__ import annotations

import itertools
from collections import Counter

import numpy as np

ACGT = "ACGT"


def one_hot_encode(seqs, n_value=0.0, length=None):
    """Python loops: (N, L, 4) float32."""
    L = length if length is not None else len(seqs[0])
    x = np.zeros((len(seqs), L, 4), dtype=np.float32)
    for i, s in enumerate(seqs):
        if isinstance(s, bytes):
            s = s.decode()
        for j in range(L):
            ch = s[j].upper() if j < len(s) else "N"
            if ch in ACGT:
                x[i, j, ACGT.index(ch)] = 1.0
            elif ch in "NRYSWKMBDHV":  # N and the IUPAC ambiguity codes
                x[i, j, :] = n_value
            else:
                raise ValueError(f"bad char {ch!r} at {i}, {j}")
    return x


def one_hot_decode(x):
    out = []
    for seq in np.asarray(x):
        letters = []
        for row in seq:
            if np.all(row == 0) or np.all(row == 0.25):
                letters.append("N")
            else:
                (k,) = np.flatnonzero(row == 1)
                letters.append(ACGT[k])
        out.append("".join(letters))
    return out


def reverse_complement(x):
    return np.ascontiguousarray(np.asarray(x)[:, ::-1, ::-1])


def parse_fasta(text: str):
    """Straightforward line-by-line FASTA parser: (ids, descriptions, sequences)."""
    ids, descs, seqs = [], [], []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith(">"):
            head = line[1:].strip().split(None, 1)
            ids.append(head[0])
            descs.append(head[1] if len(head) > 1 else "")
            seqs.append([])
        else:
            seqs[-1].append("".join(line.split()))
    return ids, descs, ["".join(s) for s in seqs]


def codes(x):
    """(N, L) int letter codes 0..3 = ACGT, 4 = N."""
    x = np.asarray(x)
    c = np.argmax(x, axis=-1)
    return np.where(x.max(axis=-1) == 1.0, c, 4)


def dinucleotide_counts(x):
    c = codes(x)
    out = np.zeros((c.shape[0], 5, 5), dtype=np.int64)
    for i in range(c.shape[0]):
        np.add.at(out[i], (c[i, :-1], c[i, 1:]), 1)
    return out


def gc_content(x):
    c = codes(x)
    res = []
    for row in c:
        called = row[row < 4]
        res.append(np.nan if called.size == 0 else np.isin(called, [1, 2]).mean())
    return np.array(res)


def same_dinucleotide_sequences(seq: str) -> set[str]:
    """Every sequence with the same first letter and dinucleotide counts as seq (brute force)."""
    target = Counter(zip(seq, seq[1:]))
    found = set()
    for perm in set(itertools.permutations(seq[1:])):
        cand = seq[0] + "".join(perm)
        if Counter(zip(cand, cand[1:])) == target:
            found.add(cand)
    return found
