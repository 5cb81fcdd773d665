"""Slow, obvious numpy references for kgenint.motifs.scan (used by tests/test_scan.py)."""
from __future__ import annotations

import itertools
import pathlib
import sqlite3

import numpy as np

from kgenint.motifs.motif import Motif

LETTERS = "ACGT"


def onehot(seqs: list[str]) -> np.ndarray:
    """One-hot (N, L, 4) float32 of equal-length strings; N and other letters give zero rows."""
    eye = {c: np.eye(4, dtype=np.float32)[i] for i, c in enumerate(LETTERS)}
    z = np.zeros(4, dtype=np.float32)
    return np.array([[eye.get(c, z) for c in s] for s in seqs], dtype=np.float32).reshape(len(seqs), -1, 4)


def random_onehot(rng: np.random.Generator, n: int, length: int, n_frac: float = 0.0, p=None) -> np.ndarray:
    idx = rng.choice(4, size=(n, length), p=p)
    x = np.eye(4, dtype=np.float32)[idx]
    if n_frac > 0:
        x[rng.random((n, length)) < n_frac] = 0.0
    return x


def window_int_scores(x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Integer score of every window, shape (N, L - W + 1); windows with an N are ``None``-marked
    as the minimum int64."""
    n, length, _ = x.shape
    w = a.shape[0]
    valid_pos = x.max(-1) == 1
    idx = x.argmax(-1)
    out = np.full((n, length - w + 1), np.iinfo(np.int64).min, dtype=np.int64)
    for i in range(n):
        for s in range(length - w + 1):
            if valid_pos[i, s:s + w].all():
                out[i, s] = int(sum(a[j, idx[i, s + j]] for j in range(w)))
    return out


def window_float_scores(x: np.ndarray, lo: np.ndarray) -> np.ndarray:
    n, length, _ = x.shape
    w = lo.shape[0]
    out = np.full((n, length - w + 1), np.nan)
    idx = x.argmax(-1)
    valid_pos = x.max(-1) == 1
    for i in range(n):
        for s in range(length - w + 1):
            if valid_pos[i, s:s + w].all():
                out[i, s] = sum(lo[j, idx[i, s + j]] for j in range(w))
    return out


def all_words(w: int) -> np.ndarray:
    """All 4**w words as letter indices, shape (4**w, w)."""
    return np.array(list(itertools.product(range(4), repeat=w)), dtype=np.int64)


def enumerate_scores(mat: np.ndarray, bg: np.ndarray):
    """Scores and background probabilities of all 4**W words for a (W, 4) matrix."""
    w = mat.shape[0]
    words = all_words(w)
    scores = mat[np.arange(w)[None, :], words].sum(axis=1)
    probs = np.prod(bg[words], axis=1)
    return words, scores, probs


def enumerated_pvalues(scores: np.ndarray, probs: np.ndarray, tie_tol: float = 0.0) -> np.ndarray:
    """p-value of each word: total probability of words scoring >= its score (ties within
    ``tie_tol`` count as equal)."""
    order = np.argsort(-scores, kind="stable")
    s_sorted = scores[order]
    csum = np.cumsum(probs[order])
    # for each word, the last index in sorted order whose score >= its score - tie_tol
    last = np.searchsorted(-s_sorted, -(scores - tie_tol), side="right") - 1
    return csum[last]


def rc_string(s: str) -> str:
    return s[::-1].translate(str.maketrans("ACGTN", "TGCAN"))


def naive_hits(x: np.ndarray, scanner) -> set:
    """Set of (seq, start, strand, motif) whose integer score reaches the scanner's threshold."""
    out = set()
    ns = len(scanner.strands_)
    for ms, a in enumerate(scanner.int_matrices_):
        if x.shape[1] < a.shape[0]:
            continue
        sc = window_int_scores(x, a)
        t = scanner.thresholds_[ms]
        for i, s in zip(*np.nonzero(sc >= t)):
            out.add((int(i), int(s), scanner.strands_[ms % ns], ms // ns))
    return out


_JASPAR_DB = None


def _find_db() -> pathlib.Path | None:
    try:
        import pyjaspar
    except ImportError:
        return None
    p = pathlib.Path(pyjaspar.__file__).parent / "data" / "JASPAR2024.sqlite"
    return p if p.exists() else None


def jaspar_motifs(max_width: int | None = None) -> list[Motif]:
    """JASPAR 2024 CORE vertebrate motifs, latest version of each (879), from kgenint's database
    when available, else straight from pyjaspar's SQLite file."""
    global _JASPAR_DB
    if _JASPAR_DB is None:
        motifs = None
        try:
            from kgenint.motifs.database import load_default

            motifs = list(load_default())
        except Exception:  # database module not written yet
            motifs = None
        if motifs is None:
            db = _find_db()
            if db is None:
                _JASPAR_DB = []
                return []
            con = sqlite3.connect(str(db))
            rows = con.execute(
                "select m.ID, m.BASE_ID, m.VERSION, m.NAME from MATRIX m join MATRIX_ANNOTATION a "
                "on a.ID = m.ID where m.COLLECTION = 'CORE' and a.TAG = 'tax_group' and "
                "a.VAL = 'vertebrates'"
            ).fetchall()
            latest: dict[str, tuple] = {}
            for r in rows:
                if r[1] not in latest or r[2] > latest[r[1]][2]:
                    latest[r[1]] = r
            motifs = []
            for mid, base, ver, name in sorted(latest.values(), key=lambda r: (r[1], r[2])):
                data = con.execute("select row, col, val from MATRIX_DATA where ID = ?", (mid,)).fetchall()
                w = max(c for _, c, _ in data)
                counts = np.zeros((w, 4))
                for row, col, val in data:
                    counts[col - 1, "ACGT".index(row.upper())] = val
                motifs.append(Motif.from_counts(counts, f"{base}.{ver}", alt_name=name))
            con.close()
        _JASPAR_DB = motifs
    if max_width is None:
        return list(_JASPAR_DB)
    return [m for m in _JASPAR_DB if m.width <= max_width]
