"""TOMTOM-like motif comparison: which known motifs does a motif resemble, and how significantly?

The method is TOMTOM's (Gupta, Stamatoyannopoulos, Bailey & Noble, *Quantifying similarity
between motifs*, Genome Biology 8:R24, 2007; MEME suite ``tomtom``), written for Numba
(:mod:`kgenint._kernels.compare`):

* Every query motif is aligned with every target motif at every offset, against both
  orientations of the target (its reverse complement), keeping alignments where at least
  ``min_overlap`` columns overlap (lowered to the width of a shorter motif, as TOMTOM does).
* Columns are compared with the Pearson correlation coefficient of their four probabilities
  (``metric="pearson"``, TOMTOM's default; a uniform column correlates 0 with everything) or
  the negated Euclidean distance (``metric="ed"``, memelite's only metric).
* The **null model** of a query column is its score against a target column drawn uniformly
  from all columns of the database (both orientations). Scores are binned into ``bins``
  equal integer bins spanning the metric's full range (``[-1, 1]`` for Pearson,
  ``[-sqrt 2, 0]`` for ED; TOMTOM uses 100 bins) and the null distribution of a sum over a
  range of query columns is obtained by dynamic programming (exact convolution of the binned
  column distributions).
* **Complete scoring** (``complete=True``, TOMTOM's default and the only mode of memelite):
  every query column counts; a column the target does not cover scores its null median, i.e.
  each column's scores are shifted by their (lower) median bin and unaligned columns add 0.
  Without it a short overlap of two strong columns can beat a full-length match, because
  adding informative but imperfectly matched columns can only lower an incomplete sum.
  The best alignment is the highest complete score (ties: larger overlap, then the ``+``
  orientation, then the smaller offset), and the per-target p-value is the probability that
  the best of all alignments tried (every offset, both orientations) of a random target of
  the same width scores at least as high: ``1 - prod_o (1 - P(S_o >= Z))^2`` with the
  alignments treated as independent (TOMTOM 4.9+ and memelite).
* **Incomplete scoring** (``complete=False``): only overlapping columns count; each alignment
  gets its own p-value from the null of its query columns; the best is the smallest (ties:
  larger overlap), corrected for the ``n`` alignments tried: ``1 - (1 - p_min)^n``
  (TOMTOM's ``-incomplete-scores``).
* ``E-value = p-value x number of targets``; ``q-value``: Benjamini-Hochberg over the targets,
  per query.

Differences from MEME's ``tomtom`` (documented choices)
------------------------------------------------------
* Bins span the metric's full range rather than the observed range of each query's scores
  (so bin edges, binned scores and p-values of one query do not depend on the other
  scores, and no pass over the score table is needed before binning; for JASPAR both ranges
  are nearly the same), without TOMTOM's rounding of the scale to an integer; the median
  shift is applied to the binned scores (binning is monotone, so the median bin is the bin
  of the median score; the lower median of the ``n`` scores, as TOMTOM takes for even
  ``n``).
* Targets with equal p-values (frequent with 100 bins: near-identical motifs reach the same
  bins) are ranked by the unbinned score, so a motif's best match in a database containing
  it is itself; memelite keeps the first index, MEME sorts them arbitrarily.
* With complete scoring TOMTOM counts all ``wq + wt - 1`` alignments in the p-value even when
  ``min_overlap`` excludes some; we count only the alignments that were tried.
* TOMTOM's q-values are computed over both orientations of every target (twice as many
  p-values); ours over the one p-value per target that is reported. p-values are printed
  with full double precision (TOMTOM casts them to single precision first).

Conventions
-----------
``optimal_offset`` is TOMTOM's: query column ``i`` is aligned with column ``i + offset`` of the
target *in the reported orientation* (for ``'-'`` the reverse-complemented target); a positive
value means the query starts to the right of the target's first column.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .._deprecation import renamed_args
from .._stats import bh_qvalues_rows
from ..errors import InputError
from .alignment import MotifAlignment, align
from .motif import ALPHABET, Motif, MotifError, validate_matrix
from .tomtom_tsv import TOMTOM_COLUMNS, write_tomtom_tsv

__all__ = [
    "compare",
    "annotate",
    "write_tomtom_tsv",
    "align",
    "MotifAlignment",
    "METRICS",
    "TOMTOM_COLUMNS",
]

#: Column similarity functions understood by :func:`compare`.
METRICS = ("pearson", "ed")
_RESULT_COLUMNS = [
    "query",
    "query_id",
    "target",
    "target_id",
    "target_alt_id",
    "optimal_offset",
    "p_value",
    "e_value",
    "q_value",
    "overlap",
    "query_consensus",
    "target_consensus",
    "orientation",
    "score",
]
_COMPLEMENT = np.array([3, 2, 1, 0])


# --------------------------------------------------------------------------------------- input
def _as_motifs(motifs: Any, what: str) -> list[Motif]:
    """Motif, sequence of Motifs, a ``(W, 4)`` matrix or a sequence of matrices -> Motifs."""
    if isinstance(motifs, Motif):
        return [motifs]
    if isinstance(motifs, np.ndarray) and motifs.ndim == 2:
        return [Motif(name=f"{what}_0", pwm=motifs)]
    if isinstance(motifs, (str, bytes)) or not isinstance(motifs, Iterable):
        raise InputError(
            f"{what} must be a Motif or a list of Motifs (or of (width, 4) probability "
            f"matrices). Received {type(motifs).__name__}. To compare motifs in a MEME file, "
            f"read it first with kgenint.motifs.read_meme(path)."
        )
    out: list[Motif] = []
    for i, m in enumerate(motifs):
        if isinstance(m, Motif):
            out.append(m)
        else:
            try:
                pwm = validate_matrix(m, name=f"{what}[{i}]")
            except MotifError as err:
                raise MotifError(f"{what}[{i}]: {err}") from None
            out.append(Motif(name=f"{what}_{i}", pwm=pwm))
    if not out:
        raise InputError(f"{what} is empty: give at least one motif.")
    return out


def _check_params(metric: str, min_overlap: Any, bins: Any) -> tuple[int, int, int]:
    from .._kernels.compare import METRIC_ED, METRIC_PEARSON

    if metric not in METRICS:
        raise InputError(
            f"Unknown column similarity metric {metric!r}. Use one of {', '.join(METRICS)} "
            f"('pearson': Pearson correlation, TOMTOM's default; 'ed': Euclidean distance)."
        )
    if isinstance(min_overlap, bool) or not isinstance(min_overlap, (int, np.integer)) or min_overlap < 1:
        raise InputError(
            f"min_overlap must be an integer >= 1 (number of aligned columns). "
            f"Received: min_overlap={min_overlap!r}"
        )
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or not 2 <= bins <= 10000:
        raise InputError(
            f"bins must be an integer between 2 and 10000 (TOMTOM uses 100). Received: bins={bins!r}"
        )
    return (METRIC_PEARSON if metric == "pearson" else METRIC_ED), int(min_overlap), int(bins)


def _prepare_columns(pwms: Sequence[np.ndarray], metric: str) -> np.ndarray:
    """Stack ``(W, 4)`` matrices into ``(sum W, 4)`` columns prepared for the metric."""
    X = np.ascontiguousarray(np.concatenate(pwms, axis=0), dtype=np.float64)
    if metric == "pearson":
        X = X - X.mean(axis=1, keepdims=True)
        norm = np.sqrt((X * X).sum(axis=1, keepdims=True))
        X = np.divide(X, norm, out=np.zeros_like(X), where=norm > 1e-12)
    return np.ascontiguousarray(X)


def _starts(widths: Sequence[int]) -> np.ndarray:
    s = np.zeros(len(widths) + 1, dtype=np.int64)
    np.cumsum(np.asarray(widths, dtype=np.int64), out=s[1:])
    return s


def _target_layout(pwms: Sequence[np.ndarray], metric: str):
    """Target columns grouped by (orientation, width), members interleaved column by column.

    Returns ``(T (4, NT), g_width, g_size, g_col0, t_grp, t_pos)`` as the kernel expects:
    groups ``0..G-1`` hold the targets as given, groups ``G..2G-1`` their reverse complements
    (same members, same order); column ``jj`` of member ``g`` of group ``h`` is
    ``T[:, g_col0[h] + jj * g_size[h] + g]``.
    """
    widths = np.array([p.shape[0] for p in pwms], dtype=np.int64)
    uw = np.unique(widths)
    members = [np.flatnonzero(widths == w) for w in uw]
    t_grp = np.empty(len(pwms), dtype=np.int64)
    t_pos = np.empty(len(pwms), dtype=np.int64)
    blocks = []
    g_col0 = []
    col = 0
    for strand in (0, 1):
        for h, (w, mem) in enumerate(zip(uw, members)):
            if strand == 0:
                t_grp[mem] = h
                t_pos[mem] = np.arange(mem.size)
            stack = np.stack([pwms[t] if strand == 0 else pwms[t][::-1][:, _COMPLEMENT] for t in mem.tolist()])
            blocks.append(stack.transpose(1, 0, 2).reshape(-1, 4))  # (w * n, 4): jj-major
            g_col0.append(col)
            col += int(w) * mem.size
    T = np.ascontiguousarray(_prepare_columns(blocks, metric).T)
    g_width = np.concatenate([uw, uw]).astype(np.int64)
    g_size = np.array([m.size for m in members] * 2, dtype=np.int64)
    return T, g_width, g_size, np.array(g_col0, dtype=np.int64), t_grp, t_pos


def _consensus(pwm: np.ndarray) -> str:
    """TOMTOM's consensus: the most probable letter of each column (first one on ties)."""
    return "".join(ALPHABET[i] for i in np.argmax(pwm, axis=1))


def _consensus_all(pwms: Sequence[np.ndarray]) -> list[str]:
    """:func:`_consensus` of many matrices at once."""
    letters = "".join(np.array(list(ALPHABET))[np.argmax(np.concatenate(pwms), axis=1)])
    ends = np.cumsum([p.shape[0] for p in pwms])
    return [letters[e - p.shape[0]:e] for p, e in zip(pwms, ends)]


def _default_targets() -> list[Motif]:
    try:
        from .database import load_default
    except ImportError as err:  # pragma: no cover - database module missing
        raise InputError(
            "No targets given and the embedded JASPAR database is unavailable "
            f"({err}); pass targets=list_of_motifs."
        ) from None
    return load_default()


# ------------------------------------------------------------------------------------- compare
class _RawResult(NamedTuple):
    p: np.ndarray
    z: np.ndarray
    offset: np.ndarray
    overlap: np.ndarray
    strand: np.ndarray
    score: np.ndarray
    lo: np.ndarray
    scale: np.ndarray


def _run(queries: list[Motif], targets: list[Motif], metric: str, min_overlap: int,
         bins: int, complete: bool) -> _RawResult:
    import numba

    from .._kernels.compare import compare_kernel

    metric_id, min_overlap, bins = _check_params(metric, min_overlap, bins)
    Q = _prepare_columns([m.pwm for m in queries], metric)
    q_start = _starts([m.width for m in queries])
    T, g_width, g_size, g_col0, t_grp, t_pos = _target_layout([m.pwm for m in targets], metric)
    M, N = len(queries), len(targets)
    out_p = np.empty((M, N))
    out_z = np.empty((M, N), dtype=np.int32)
    out_off = np.empty((M, N), dtype=np.int32)
    out_ov = np.empty((M, N), dtype=np.int32)
    out_strand = np.empty((M, N), dtype=np.int8)
    out_score = np.empty((M, N))
    out_lo = np.empty(M)
    out_scale = np.empty(M)
    n_threads = max(1, min(M, numba.get_num_threads()))

    def block(b: int) -> None:
        compare_kernel(Q, q_start, T, g_width, g_size, g_col0, t_grp, t_pos, metric_id, bins,
                       min_overlap, bool(complete), b, n_threads, out_p, out_z, out_off, out_ov,
                       out_strand, out_score, out_lo, out_scale)

    if n_threads == 1:
        block(0)
    else:  # the kernel releases the GIL; query m goes to block m % n_threads
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(n_threads) as pool:
            list(pool.map(block, range(n_threads)))
    return _RawResult(out_p, out_z, out_off, out_ov, out_strand, out_score, out_lo, out_scale)


def compare(
    queries: Motif | Sequence[Motif],
    targets: Sequence[Motif] | None = None,
    *,
    metric: str = "pearson",
    min_overlap: int = 1,
    bins: int = 100,
    complete: bool = True,
    evalue_threshold: float | None = None,
    alpha: float | None = None,
    best_only: bool = False,
    **deprecated: Any,
) -> pd.DataFrame:
    """Compare query motifs with a database of target motifs, TOMTOM style.

    Parameters
    ----------
    queries : Motif or sequence of Motif (or of array_like (W, 4))
        Query motifs; only their probability matrices ``pwm`` (W, 4), ACGT, are used.
    targets : sequence of Motif, optional
        The target database; default the embedded JASPAR 2024 CORE vertebrate motifs
        (:func:`kgenint.motifs.load_default`, 879 motifs). p-values use the target columns
        as their null model: with fewer than ~50 targets they depend strongly on which
        targets are given (TOMTOM warns below 50).
    metric : {"pearson", "ed"}
        Column similarity: Pearson correlation (TOMTOM's default) or negated Euclidean
        distance (memelite's metric).
    min_overlap : int
        Minimum number of aligned columns (>= 1; TOMTOM's default 1). Lowered to the width
        of a motif shorter than it, as TOMTOM does.
    bins : int
        Number of score bins over the metric's range (TOMTOM: 100). Cost grows as ``bins^2``.
    complete : bool
        Complete scoring (default, TOMTOM's): unaligned query columns score their null
        median. ``False`` scores only the overlap (TOMTOM's ``-incomplete-scores``).
    evalue_threshold : float, optional
        Keep only rows with an E-value at or below this.
    alpha : float, optional
        Keep only rows with a q-value at or below this (no filter when None). (Old name:
        ``qvalue_threshold``.)
    best_only : bool
        Keep only the best match (smallest p-value) of each query.

    Returns
    -------
    pandas.DataFrame
        One row per (query, target), sorted by query then p-value, with columns
        ``query`` (index into ``queries``), ``query_id``, ``target`` (index into
        ``targets``), ``target_id``, ``target_alt_id``, ``optimal_offset`` (TOMTOM's: query
        column ``i`` aligns with target column ``i + offset`` in the reported orientation),
        ``p_value``, ``e_value`` (p x number of targets), ``q_value`` (Benjamini-Hochberg per
        query), ``overlap`` (aligned columns), ``query_consensus``, ``target_consensus`` (of
        the target in the reported orientation), ``orientation`` (``'+'`` target as given,
        ``'-'`` its reverse complement) and ``score`` (the best alignment's score in column
        similarity units; complete scores are relative to the columns' null medians). The
        string columns are pandas Categoricals (cheap for tables of a million rows).

    Raises
    ------
    InputError
        Empty query or target set, a matrix that is not a valid ``(W, 4)`` probability
        matrix (NaN, wrong shape, ...), unknown metric, ``min_overlap < 1``, bad ``bins``
        or thresholds.

    Examples
    --------
    >>> from kgenint.motifs import Motif
    >>> db = [Motif.from_consensus(s) for s in ("TGACTCA", "CACGTG", "CCAAT", "GATA", "TTGCGCAA")]
    >>> hit = compare(Motif.from_consensus("GACTC", name="q"), db, best_only=True)
    >>> hit[["query_id", "target_id", "optimal_offset", "overlap", "orientation"]].values.tolist()
    [['q', 'TGACTCA', 1, 5, '+']]

    With no ``targets`` the embedded JASPAR database is searched:
    ``compare(my_motifs, best_only=True)``.
    """
    if deprecated:
        alpha = renamed_args("compare", deprecated, {"qvalue_threshold": "alpha"},
                             {"alpha": alpha}, {"alpha": None})["alpha"]
    qs = _as_motifs(queries, "queries")
    ts = _default_targets() if targets is None else _as_motifs(targets, "targets")
    for name, val in (("evalue_threshold", evalue_threshold), ("alpha", alpha)):
        if val is not None and not (np.isfinite(val) and val >= 0):
            raise InputError(f"{name} must be a number >= 0. Received: {name}={val!r}")
    raw = _run(qs, ts, metric, min_overlap, bins, complete)
    return _table(qs, ts, raw, complete, evalue_threshold, alpha, best_only)


def _table(qs: list[Motif], ts: list[Motif], raw: _RawResult, complete: bool,
           evalue_threshold: float | None, alpha: float | None,
           best_only: bool) -> pd.DataFrame:
    M, N = raw.p.shape
    p = raw.p
    e = p * N
    score = raw.score
    # rank within each query: smallest p, then higher score, then lower target index
    if best_only:
        best_p = p.min(axis=1, keepdims=True)
        order = np.argmax(np.where(p == best_p, score, -np.inf), axis=1)[:, None]
        # BH q-value of the smallest p of each row: min_k p_(k) N / k
        q = np.full((M, N), np.nan)
        q[np.arange(M), order[:, 0]] = np.minimum(
            (np.sort(p, axis=1) * (N / np.arange(1, N + 1))).min(axis=1), 1.0
        )
    else:
        by_score = np.argsort(-score, axis=1, kind="stable")
        order = np.take_along_axis(
            by_score, np.argsort(np.take_along_axis(p, by_score, axis=1), axis=1, kind="stable"), axis=1
        )
        q = bh_qvalues_rows(p, order)
    mi = np.repeat(np.arange(M), order.shape[1])
    ti = order.reshape(-1)
    keep = np.ones(mi.size, dtype=bool)
    if evalue_threshold is not None:
        keep &= e[mi, ti] <= evalue_threshold
    if alpha is not None:
        keep &= q[mi, ti] <= alpha
    mi, ti = mi[keep], ti[keep]
    strand = raw.strand[mi, ti].astype(np.int64)
    t_cons = _consensus_all([m.pwm for m in ts] + [m.pwm[::-1][:, _COMPLEMENT] for m in ts])
    return pd.DataFrame(
        {
            "query": mi.astype(np.int64),
            "query_id": _categorical([m.name for m in qs], mi),
            "target": ti.astype(np.int64),
            "target_id": _categorical([m.name for m in ts], ti),
            "target_alt_id": _categorical([m.alt_name or "" for m in ts], ti),
            "optimal_offset": raw.offset[mi, ti].astype(np.int64),
            "p_value": p[mi, ti],
            "e_value": e[mi, ti],
            "q_value": q[mi, ti],
            "overlap": raw.overlap[mi, ti].astype(np.int64),
            "query_consensus": _categorical(_consensus_all([m.pwm for m in qs]), mi),
            "target_consensus": _categorical(t_cons, ti + strand * len(ts)),
            "orientation": _categorical(["+", "-"], strand),
            "score": score[mi, ti],
        },
        columns=_RESULT_COLUMNS,
    )


def _categorical(values: list[str], index: np.ndarray) -> pd.Categorical:
    """``values[index]`` as a pandas Categorical (fast for tables of millions of rows)."""
    cats, inv = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
    return pd.Categorical.from_codes(inv[index], categories=cats)


def annotate(
    motifs: Motif | Sequence[Motif],
    database: Sequence[Motif] | None = None,
    *,
    alpha: float | None = 0.5,
    evalue_threshold: float | None = None,
    **kw: Any,
) -> pd.DataFrame:
    """Best database match of every motif, one row per motif.

    Parameters
    ----------
    motifs : Motif or sequence of Motif
        The motifs to name (for example motifs learned by a CNN).
    database : sequence of Motif, optional
        Known motifs; default the embedded JASPAR 2024 CORE vertebrate motifs.
    alpha : float or None
        A best match with a larger q-value is not reported (TOMTOM's default 0.5); None
        disables the check. (Old name: ``qvalue_threshold``.)
    evalue_threshold : float or None
        Likewise for the E-value.
    **kw
        Passed to :func:`compare` (``metric``, ``min_overlap``, ``bins``, ``complete``).

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`compare`, one row per motif in input order (``query`` is its
        index). Motifs without a match passing the thresholds have ``target`` -1, empty
        strings in ``target_id``/``target_alt_id``/``target_consensus``/``orientation``,
        NaN in ``p_value``/``e_value``/``q_value``/``score`` and ``<NA>`` in the (nullable
        integer) ``optimal_offset`` and ``overlap``.
    """
    if "qvalue_threshold" in kw:
        alpha = renamed_args("annotate", {"qvalue_threshold": kw.pop("qvalue_threshold")},
                             {"qvalue_threshold": "alpha"}, {"alpha": alpha}, {"alpha": 0.5})["alpha"]
    for bad in ("best_only",):
        if bad in kw:
            raise InputError(f"annotate() always keeps the best match; do not pass {bad}=.")
    qs = _as_motifs(motifs, "motifs")
    table = compare(qs, database, best_only=True, **kw)
    keep = np.ones(len(table), dtype=bool)
    if alpha is not None:
        keep &= table["q_value"].to_numpy() <= alpha
    if evalue_threshold is not None:
        keep &= table["e_value"].to_numpy() <= evalue_threshold
    hits = table[keep].set_index("query")
    rows = []
    for i, m in enumerate(qs):
        if i in hits.index:
            r = hits.loc[i].to_dict()
            r["query"] = i
        else:
            r = {
                "query": i,
                "query_id": m.name,
                "target": -1,
                "target_id": "",
                "target_alt_id": "",
                "optimal_offset": np.nan,
                "p_value": np.nan,
                "e_value": np.nan,
                "q_value": np.nan,
                "overlap": np.nan,
                "query_consensus": _consensus(m.pwm),
                "target_consensus": "",
                "orientation": "",
                "score": np.nan,
            }
        rows.append(r)
    out = pd.DataFrame(rows, columns=_RESULT_COLUMNS)
    for col in ("optimal_offset", "overlap"):
        out[col] = out[col].astype("Int64")  # missing matches stay integer columns (<NA>)
    return out
