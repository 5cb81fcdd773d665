"""The result of :func:`kgenint.interactions.cooccurrence.cooccurrence`: sparse cells, a per-pair
summary, and dense views for small scans.

A co-occurrence scan has ``K * K * D * 4`` cells (upstream motif, downstream motif, distance bin,
orientation): 420 million for 834 JASPAR motifs at 1-bp bins up to 150 bp, 6.7 GB per dense
array. :class:`CooccurrenceScan` therefore holds only the *observed* cells (a pair of hits in at
least one sequence of either group) as coordinates ``cell_index`` into the ``(K, K, D, 4)`` grid,
with their counts and statistics, and per ordered motif pair the few numbers its pair table
needs (number of observed cells, smallest p-value, its cell and odds ratio). When the observed
cells themselves do not fit under the memory ceiling of the scan, it keeps the cells with the
smallest p-values (all those with ``p < p_value_cutoff``); the pair table stays exact, and every
q-value below ``p_value_cutoff`` is exact (the others are upper bounds), because BH q-values use
the number of all cells tested, ``n_tests``.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from .._kernels.cooccurrence import pair_summary
from ..errors import InputError
from .pair_table import PAIR_COLUMNS, bh_qvalues
from .placement import ORIENTATIONS

__all__ = ["DENSE_LIMIT", "CooccurrenceScan"]

#: largest dense array (bytes) that the dense accessors of :class:`CooccurrenceScan` build
DENSE_LIMIT = 2**30
FORMAT_VERSION = 2
_CELL_FIELDS = ("cell_index", "cell_pair_counts", "cell_seq_counts", "cell_odds_ratio", "cell_p_value",
                "cell_q_value")
_PAIR_FIELDS = ("pair_n_cells", "pair_best_p", "pair_best_cell", "pair_best_odds")


@dataclass
class CooccurrenceScan:
    """Result of :func:`~kgenint.interactions.cooccurrence.cooccurrence` (sparse).

    Attributes
    ----------
    motif_names : list of str (K,)
    distances : int64 (D,)
        Lower edge of each distance bin (bp between starts).
    bin_size, window, max_distance : int
    n_sequences : int64 (2,)
        Sequences in group 1 and group 2.
    cell_index : int64 (M,)
        Observed cells kept, ascending flat indices into ``(K, K, D, 4)`` (motif of the
        upstream hit, motif of the downstream hit, distance bin, orientation);
        :meth:`cell_coordinates` splits them.
    cell_pair_counts, cell_seq_counts : int64 (2, M)
        Hit pairs, and sequences with at least one such pair, per group (group 1 first).
    cell_odds_ratio, cell_p_value, cell_q_value : float64 (M,)
        Sample odds ratio (group 1 vs 2, 0.5 added to every count), Fisher p-value and BH
        q-value (over ``n_tests`` cells) under ``null``.
    pair_n_cells : int64 (K, K)
        Observed cells of each ordered pair (upstream a, downstream b).
    pair_best_p, pair_best_odds : float64 (K, K)
        Smallest cell p-value of the ordered pair and that cell's odds ratio (NaN: none).
    pair_best_cell : int64 (K, K)
        That cell as ``d * 4 + o`` (-1: none).
    n_tests : int
        Observed cells, all tested (the BH denominator).
    p_value_cutoff : float
        ``inf`` when every observed cell is kept; otherwise exactly the cells with
        ``p < p_value_cutoff`` are kept (the memory ceiling was reached), their q-values are
        exact below the cutoff and upper bounds above it.
    presence : int64 (2, K, K, 4) or None
        Sequences per group with neither motif, A only, B only, both (for ``a == b``: 0, 1, -,
        2+ hits of the motif, "B only" is 0).
    null : {"conditional", "marginal"}
        The cells' null (module docstring of :mod:`kgenint.interactions.cooccurrence`).

    Dense views ``pair_counts``, ``seq_counts`` ``(2, K, K, D, 4)`` and ``odds_ratio``, ``p``,
    ``q`` ``(K, K, D, 4)`` (NaN for cells never observed) are built on access when every cell
    is kept and an array is at most :data:`DENSE_LIMIT` bytes; otherwise they raise an
    :class:`~kgenint.errors.InputError` that points at the sparse accessors (:meth:`to_frame`,
    :meth:`pair_cells`, the ``cell_*`` arrays).
    """

    motif_names: list[str]
    distances: np.ndarray
    bin_size: int
    window: int
    max_distance: int
    n_sequences: np.ndarray
    cell_index: np.ndarray
    cell_pair_counts: np.ndarray
    cell_seq_counts: np.ndarray
    cell_odds_ratio: np.ndarray
    cell_p_value: np.ndarray
    cell_q_value: np.ndarray
    pair_n_cells: np.ndarray
    pair_best_p: np.ndarray
    pair_best_cell: np.ndarray
    pair_best_odds: np.ndarray
    n_tests: int
    p_value_cutoff: float = math.inf
    alternative: str = "two-sided"
    params: dict = field(default_factory=dict)
    orientations: tuple[str, ...] = ORIENTATIONS
    presence: np.ndarray | None = None
    null: str = "marginal"

    # ------------------------------------------------------------------ shape and coordinates
    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(K, K, D, 4)``: the grid of cells."""
        K = len(self.motif_names)
        return (K, K, len(self.distances), len(self.orientations))

    @property
    def complete(self) -> bool:
        """Whether every observed cell is kept (no memory-ceiling cut)."""
        return not math.isfinite(self.p_value_cutoff)

    def cell_coordinates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(a, b, d, o)`` int64 arrays (M,) of the kept cells: motif indices, distance bin,
        orientation index."""
        a, b, d, o = np.unravel_index(self.cell_index, self.shape)
        return a.astype(np.int64), b.astype(np.int64), d.astype(np.int64), o.astype(np.int64)

    def _motif_index(self, m) -> int:
        if isinstance(m, (int, np.integer)):
            if not 0 <= int(m) < len(self.motif_names):
                raise InputError(f"motif index {m} is outside 0..{len(self.motif_names) - 1}.")
            return int(m)
        try:
            return self.motif_names.index(str(m))
        except ValueError:
            raise InputError(f"motif {m!r} is not in this co-occurrence scan "
                             f"(it has {len(self.motif_names)} motifs, e.g. {self.motif_names[:3]}).") from None

    def pair_cells(self, motif_a, motif_b) -> dict[str, np.ndarray]:
        """Dense arrays of one ordered pair (``motif_a`` upstream), from the sparse cells.

        Parameters
        ----------
        motif_a, motif_b : str or int
            Motif names (or indices).

        Returns
        -------
        dict
            ``pair_counts``, ``seq_counts`` int64 ``(2, D, 4)`` (group 1 first); ``odds_ratio``,
            ``p_value``, ``q_value`` float64 ``(D, 4)``, NaN where no cell is kept.
        """
        a, b = self._motif_index(motif_a), self._motif_index(motif_b)
        K, _, D, O = self.shape
        lo = np.searchsorted(self.cell_index, (a * K + b) * D * O)
        hi = np.searchsorted(self.cell_index, (a * K + b + 1) * D * O)
        loc = self.cell_index[lo:hi] - (a * K + b) * D * O
        out: dict[str, np.ndarray] = {}
        for k in ("pair_counts", "seq_counts"):
            counts = np.zeros((2, D * O), dtype=np.int64)
            counts[:, loc] = getattr(self, "cell_" + k)[:, lo:hi]
            out[k] = counts.reshape(2, D, O)
        for k in ("odds_ratio", "p_value", "q_value"):
            vals = np.full(D * O, np.nan)
            vals[loc] = getattr(self, "cell_" + k)[lo:hi]
            out[k] = vals.reshape(D, O)
        return out

    # ------------------------------------------------------------------ dense views (small scans)
    def _dense(self, name: str, values: np.ndarray, groups: bool):
        K, _, D, O = self.shape
        shape = ((2,) if groups else ()) + (K, K, D, O)
        nbytes = 8 * int(np.prod(shape, dtype=np.float64))
        if not self.complete:
            raise InputError(
                f"CooccurrenceScan.{name}: the scan kept only the cells with p < {self.p_value_cutoff:.3g} (its memory "
                f"ceiling was reached), so a dense array would be wrong; use the kept cells: to_frame(), "
                f"pair_cells(a, b), or cell_index with the cell_* arrays.")
        if nbytes > DENSE_LIMIT:
            raise InputError(
                f"CooccurrenceScan.{name} would be a dense array of shape {shape} ({nbytes / 2**30:.1f} GiB, above "
                f"kgenint.interactions.cooccurrence_result.DENSE_LIMIT = {DENSE_LIMIT / 2**30:.1f} GiB); use the "
                f"sparse cells instead: to_frame(), pair_cells(a, b), or cell_index with the cell_* arrays.")
        out: np.ndarray
        if groups:
            out = np.zeros((2, K * K * D * O), dtype=np.int64)
            out[:, self.cell_index] = values
        else:
            out = np.full(K * K * D * O, np.nan)
            out[self.cell_index] = values
        return out.reshape(shape)

    @property
    def pair_counts(self) -> np.ndarray:
        """Dense hit-pair counts, int64 ``(2, K, K, D, 4)`` (small scans only)."""
        return self._dense("pair_counts", self.cell_pair_counts, True)

    @property
    def seq_counts(self) -> np.ndarray:
        """Dense sequence counts, int64 ``(2, K, K, D, 4)`` (small scans only)."""
        return self._dense("seq_counts", self.cell_seq_counts, True)

    @property
    def odds_ratio(self) -> np.ndarray:
        """Dense odds ratios, float64 ``(K, K, D, 4)``, NaN where unobserved (small scans only)."""
        return self._dense("odds_ratio", self.cell_odds_ratio, False)

    @property
    def p(self) -> np.ndarray:
        """Dense Fisher p-values, float64 ``(K, K, D, 4)``, NaN where unobserved (small scans only)."""
        return self._dense("p", self.cell_p_value, False)

    @property
    def q(self) -> np.ndarray:
        """Dense BH q-values, float64 ``(K, K, D, 4)``, NaN where unobserved (small scans only)."""
        return self._dense("q", self.cell_q_value, False)

    @classmethod
    def from_dense(cls, *, pair_counts, seq_counts, odds_ratio, p, q, **kw) -> CooccurrenceScan:
        """Build the sparse result from dense arrays (cells observed = finite ``p``), as written
        by format version 1 files."""
        p = np.asarray(p, dtype=np.float64)
        K, _, D, O = p.shape
        index = np.flatnonzero(np.isfinite(p.ravel())).astype(np.int64)
        pv = p.ravel()[index]
        odds = np.asarray(odds_ratio, dtype=np.float64).ravel()[index]
        summary = _summary(index, pv, odds, K, D * O)
        # cast: mypy checks a **dict[str, ndarray] against every parameter, not only the pair_* arrays
        return cls(cell_index=index,
                   cell_pair_counts=np.asarray(pair_counts, dtype=np.int64).reshape(2, -1)[:, index],
                   cell_seq_counts=np.asarray(seq_counts, dtype=np.int64).reshape(2, -1)[:, index],
                   cell_odds_ratio=odds, cell_p_value=pv, cell_q_value=np.asarray(q, dtype=np.float64).ravel()[index],
                   n_tests=int(index.size), **cast("dict[str, Any]", summary), **kw)

    # ------------------------------------------------------------------ tables
    def to_frame(self, *, observed_only: bool = True, top: int | None = None):
        """One row per cell: ``motif_a motif_b distance orientation n1 n2 frac1 frac2
        odds_ratio p q`` (``n1``/``n2``: sequences with the pair in group 1/2), sorted by ``p``.

        Parameters
        ----------
        observed_only : bool
            Only the kept observed cells (default). ``False`` lists every cell of the grid
            (small, complete scans only).
        top : int, optional
            Only the ``top`` cells with the smallest p-values (ties in cell order); builds only
            those rows, so a table of a large scan stays small.
        """
        import pandas as pd

        if observed_only:
            sel = np.argsort(self.cell_p_value, kind="stable")
            if top is not None:
                sel = sel[: int(top)]
            a, b, d, o = (v[sel] for v in self.cell_coordinates())
            sc = self.cell_seq_counts[:, sel]
            odds, p, q = self.cell_odds_ratio[sel], self.cell_p_value[sel], self.cell_q_value[sel]
        else:
            K, _, D, O = self.shape
            a, b, d, o = (v.ravel() for v in np.meshgrid(np.arange(K), np.arange(K), np.arange(D), np.arange(O),
                                                         indexing="ij"))
            sc = self.seq_counts.reshape(2, -1)
            odds, p, q = self.odds_ratio.ravel(), self.p.ravel(), self.q.ravel()
        names = np.array(self.motif_names, dtype=object)
        df = pd.DataFrame({
            "motif_a": names[a], "motif_b": names[b], "distance": self.distances[d],
            "orientation": np.array(self.orientations, dtype=object)[o],
            "n1": sc[0], "n2": sc[1],
            "frac1": sc[0] / max(1, self.n_sequences[0]), "frac2": sc[1] / max(1, self.n_sequences[1]),
            "odds_ratio": odds, "p": p, "q": q,
        })
        if not observed_only:
            df = df.sort_values("p", kind="mergesort").reset_index(drop=True)
            if top is not None:
                df = df.head(int(top))
        return df

    def pairs(self, presence: bool = False):
        """The pair table (``docs/api.md``): one row per unordered motif pair, its strongest
        cell and a pair-level p-value and q-value.

        Parameters
        ----------
        presence : bool
            Also run the presence-interaction test (module docstring of
            :mod:`kgenint.interactions.cooccurrence`; biased when presence is confounded with
            other motifs, hence off by default).

        Returns
        -------
        DataFrame
            ``motif_a motif_b distance orientation effect ci_low ci_high p_value q_value method``
            then ``odds_ratio p_cell n_cells p_geometry presence_log_or p_presence p q``, sorted
            by ``p_value`` (ties in pair order). ``p`` and ``q`` repeat ``p_value`` and
            ``q_value`` under their old names (kept for one release).

            * ``p_geometry``: the smallest cell p of the pair (both orders) times the number of
              observed cells (Bonferroni over distances and orientations);
            * ``presence_log_or``, ``p_presence``: the presence-interaction contrast and its
              z-test p-value (NaN without presence counts or for ``a == b``);
            * ``p_value = p_geometry``, or with ``presence=True`` ``min(1, 2 * min(p_geometry,
              p_presence))`` (Bonferroni over the two tests); ``q_value`` BH over the pairs;
              ``effect`` the log odds ratio of the test that gave ``p_value`` (> 0: synergy /
              enrichment in group 1); ``ci_low``/``ci_high`` NaN.

        Exact whatever the memory ceiling cut from the cells (computed from the per-pair summary).
        """
        import pandas as pd
        from scipy import stats

        K = len(self.motif_names)
        a, b = np.triu_indices(K)
        diag = a == b
        nab = self.pair_n_cells[a, b]
        nba = np.where(diag, 0, self.pair_n_cells[b, a])
        pab, pba = self.pair_best_p[a, b], self.pair_best_p[b, a]
        # the first smallest p over [cells of (a, b) ..., cells of (b, a) ...], as nanargmin
        use_ba = (nba > 0) & ((nab == 0) | (pba < pab))
        i, j = np.where(use_ba, b, a), np.where(use_ba, a, b)
        n = nab + nba
        seen = n > 0
        pcell = np.where(seen, np.where(use_ba, pba, pab), np.nan)
        cell = np.where(seen, self.pair_best_cell[i, j], 0)
        odds = np.where(seen, self.pair_best_odds[i, j], np.nan)
        pg = np.where(seen, np.minimum(1.0, pcell * n), 1.0)
        lor = np.full(a.size, np.nan)
        pp = np.full(a.size, np.nan)
        if presence and self.presence is not None:
            off = ~diag
            c = self.presence[:, a[off], b[off], :].astype(np.float64) + 0.5  # (2 groups, pairs, 4 categories)
            lo = np.log(c[0] / c[1])
            lor[off] = lo[:, 3] - lo[:, 1] - lo[:, 2] + lo[:, 0]
            se = np.sqrt((1.0 / c).transpose(1, 0, 2).reshape(-1, 8).sum(axis=1))
            pp[off] = 2 * stats.norm.sf(np.abs(lor[off]) / se)
        keep = seen | np.isfinite(pp)
        use_presence = np.isfinite(pp) & (pp < pg)
        n_tests = np.where(np.isfinite(pp), 2, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            effect = np.where(use_presence, lor, np.log(odds))
        pval = np.minimum(1.0, np.where(use_presence, pp, pg) * n_tests)
        names = np.array(self.motif_names, dtype=object)
        di, oi = np.divmod(cell, len(self.orientations))
        df = pd.DataFrame({
            "motif_a": names[i], "motif_b": names[j], "distance": self.distances[di].astype(np.int64),
            "orientation": np.array(self.orientations, dtype=object)[oi], "effect": effect,
            "ci_low": np.nan, "ci_high": np.nan, "p_value": pval, "q_value": np.nan, "method": "cooccurrence",
            "odds_ratio": odds, "p_cell": pcell, "n_cells": n.astype(np.int64), "p_geometry": pg,
            "presence_log_or": lor, "p_presence": pp,
        })[keep].reset_index(drop=True)
        if len(df):
            df["q_value"] = bh_qvalues(df["p_value"].to_numpy())
            df = df.sort_values("p_value", kind="mergesort").reset_index(drop=True)
        df["p"], df["q"] = df["p_value"], df["q_value"]
        return df[list(PAIR_COLUMNS) + [c for c in df.columns if c not in PAIR_COLUMNS]]

    # ------------------------------------------------------------------ HDF5
    def save(self, path: str | os.PathLike, *, overwrite: bool = True) -> None:
        """Write to HDF5 atomically (format version 2).

        Attributes ``kgenint_format="cooccurrence_scan"``, ``format_version``, ``bin_size``,
        ``window``, ``max_distance``, ``alternative``, ``null``, ``n_tests``,
        ``p_value_cutoff``; datasets ``motif_names``, ``orientations``, ``distances``,
        ``n_sequences``, the ``cell_*`` and ``pair_*`` arrays, optional ``presence``.
        """
        import h5py

        from .._io import atomic_path

        path = os.fspath(path)
        sd = h5py.string_dtype()
        with atomic_path(path, overwrite=overwrite, check=lambda p: CooccurrenceScan.load(p)) as tmp, \
                h5py.File(tmp, "w") as h:
            h.attrs.update(kgenint_format="cooccurrence_scan", format_version=FORMAT_VERSION, bin_size=self.bin_size,
                           window=self.window, max_distance=self.max_distance, alternative=self.alternative,
                           null=self.null, n_tests=int(self.n_tests), p_value_cutoff=float(self.p_value_cutoff),
                           allow_overlap=bool(self.params.get("allow_overlap", False)))
            h.create_dataset("motif_names", data=np.array(self.motif_names, dtype=object), dtype=sd)
            h.create_dataset("orientations", data=np.array(self.orientations, dtype=object), dtype=sd)
            h.create_dataset("distances", data=self.distances)
            h.create_dataset("n_sequences", data=self.n_sequences)
            for k in _CELL_FIELDS + _PAIR_FIELDS:
                v = getattr(self, k)
                h.create_dataset(k, data=v, compression="gzip" if v.size > 1024 else None)
            if self.presence is not None:
                h.create_dataset("presence", data=self.presence, compression="gzip")

    @classmethod
    def load(cls, path: str | os.PathLike) -> CooccurrenceScan:
        """Read a scan written by :meth:`save` (format versions 1, dense, and 2, sparse)."""
        from .._io import open_result

        with open_result(os.fspath(path), "cooccurrence_scan", FORMAT_VERSION, "co-occurrence scan") as h:
            dec = lambda a: [v.decode() if isinstance(v, bytes) else str(v) for v in a]
            kw = dict(
                motif_names=dec(h["motif_names"][()]), orientations=tuple(dec(h["orientations"][()])),
                bin_size=int(h.attrs["bin_size"]), window=int(h.attrs["window"]),
                max_distance=int(h.attrs["max_distance"]), alternative=str(h.attrs["alternative"]),
                distances=h["distances"][()], n_sequences=h["n_sequences"][()],
                presence=h["presence"][()] if "presence" in h else None,
                null=str(h.attrs.get("null", "marginal")),
            )
            if "allow_overlap" in h.attrs:
                kw["params"] = {"allow_overlap": bool(h.attrs["allow_overlap"])}
            if int(h.attrs.get("format_version", 1)) < 2:
                return cls.from_dense(**{k: h[k][()] for k in ("pair_counts", "seq_counts", "odds_ratio", "p", "q")},
                                      **kw)
            missing = [k for k in _CELL_FIELDS + _PAIR_FIELDS if k not in h]
            if missing:
                raise InputError(f"{path}: co-occurrence scan lacks {missing}; the file is incomplete, "
                                 f"run kgenint cooccur again.")
            return cls(**{k: h[k][()] for k in _CELL_FIELDS + _PAIR_FIELDS}, n_tests=int(h.attrs["n_tests"]),
                       p_value_cutoff=float(h.attrs["p_value_cutoff"]), **kw)


def _summary(index: np.ndarray, p: np.ndarray, odds: np.ndarray, K: int, DO: int) -> dict[str, np.ndarray]:
    """The per-ordered-pair summary (``pair_*`` fields) of cells sorted by ``index``."""
    out = new_summary(K)
    pair_summary(index, p, odds, DO, *(out[k].reshape(-1) for k in _PAIR_FIELDS))
    return out


def new_summary(K: int) -> dict[str, np.ndarray]:
    """Empty per-ordered-pair summary arrays ``(K, K)`` for :func:`pair_summary`."""
    return {"pair_n_cells": np.zeros((K, K), dtype=np.int64), "pair_best_p": np.full((K, K), np.nan),
            "pair_best_cell": np.full((K, K), -1, dtype=np.int64), "pair_best_odds": np.full((K, K), np.nan)}


def cells_qvalues(p: np.ndarray, n_tests: int) -> np.ndarray:
    """BH q-values of the kept cells' p-values with ``n_tests`` cells tested in all."""
    return bh_qvalues(p, n_tests=n_tests)
