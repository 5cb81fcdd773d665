"""The motif scanner as Dask tasks (``kgenint.motifs.scan(..., client=)``; :mod:`kgenint.distributed`).

Groups of sequences are scanned on the workers; hits are merged back into the single-process
order and q-values are computed once from every group's count of tested windows.
"""
from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._dask import _collect, _rewrap, _ship, n_workers
from ..errors import InputError
from ._scan_hits import best_hits, hit_table, motif_qvalues
from .._alphabet import text_to_codes
from ._scan_input import _DEFAULT_CHUNK, _Input, _n_free_windows, prepare_input


def _scan_task(scanner, part, first, last, names, qvalues, max_hits, chunk_size):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the driver warns once about max_hits
            hits = scanner.scan(part, qvalues=False, max_hits=None if qvalues else max_hits,
                                chunk_size=chunk_size, progress=False)
        n_tested = None
        if qvalues:
            uw = np.unique(scanner.widths_[:: len(scanner.strands_)])
            n_tested = np.zeros(uw.size, dtype=np.int64)
            for _, codes, off, lens in _Input(part, chunk_size or _DEFAULT_CHUNK).chunks():
                n_tested += _n_free_windows(codes, off, lens, uw)
    except Exception as err:  # noqa: BLE001
        where = f"scan of sequences {first}-{last - 1}"
        if isinstance(err, InputError) and isinstance(part, list) and part and isinstance(part[0], str):
            try:  # the bad letter with the sequence's number (and name) in the whole input
                text_to_codes(part, None if names is None else _Shifted(names, first), first)
            except InputError as err2:
                err = err2
        raise _rewrap(err, where) from None
    cols = {k: hits[k].to_numpy() for k in ("seq", "motif", "start", "end", "strand", "score", "p_value",
                                             "matched_sequence")}
    cols["seq"] = cols["seq"] + first
    return first, cols, n_tested


class _Shifted:
    """``names[k]`` for the whole input's index ``k`` given the names of a part starting at ``first``."""

    def __init__(self, names, first):
        self.names, self.first = names, first

    def __getitem__(self, k):
        return self.names[k - self.first]


def scan_motifs(client, scanner, x: Any, *, qvalues: bool = False, seq_names: Sequence[str] | None = None,
                max_hits: int | None = None, chunk_size: int | None = None, progress: bool = True,
                tasks_per_worker: int = 4):
    """:meth:`MotifScanner.scan` with groups of sequences as Dask tasks (``scan(client=...)``).

    Returns the same table, in the same order, as the single-process scan: hits are gathered per
    group, q-values are computed here from every group's count of tested windows (BH per motif),
    and ``max_hits`` cuts the merged table as the single-process scan does.
    """
    inp, chunk = prepare_input(x, chunk_size, max_hits, seq_names, int(scanner.widths_.min()))
    seq_names = inp.names if seq_names is not None else None
    # groups of consecutive sequences with about equal bp; at least tasks_per_worker per worker
    total = int(inp.lengths.sum())
    target = min(chunk, max(1, math.ceil(total / (tasks_per_worker * n_workers(client)))))
    cum = np.concatenate([[0], np.cumsum(inp.lengths)])
    edges = sorted({0, inp.n, *np.searchsorted(cum, np.arange(target, total, target), side="left").tolist()})
    groups = [(a, b) for a, b in itertools.pairwise(edges) if b > a]
    sc_ref = _ship(client, scanner, "the motif scanner")
    futures = {}
    for a, b in groups:
        part = inp.x[a:b]
        names = None if seq_names is None else seq_names[a:b]
        f = client.submit(_scan_task, sc_ref, part, a, b, names, bool(qvalues), max_hits, chunk_size, pure=False)
        futures[f] = f"scan of sequences {a}-{b - 1}"
    from ..progress import progress as progress_bar

    bar = progress_bar(total=total, desc="Scanning", unit="bp", disable=None if progress else True)
    group_bp = {a: int(inp.lengths[a:b].sum()) for a, b in groups}
    parts: dict[int, dict] = {}
    uw = np.unique(scanner.widths_[:: len(scanner.strands_)])
    n_tested = np.zeros(uw.size, dtype=np.int64)

    def store(res):
        first, cols, nt = res
        parts[first] = cols
        if nt is not None:
            n_tested[:] += nt
        bar.update(group_bp[first])

    try:
        _collect(client, futures, store)
    finally:
        bar.close()
    cols = {k: np.concatenate([parts[a][k] for a, _ in groups]) for k in parts[groups[0][0]]}
    # each group is in output order (motif, seq, start, strand) and groups follow seq: a stable
    # sort on motif alone gives the single-process order
    order = np.argsort(cols["motif"], kind="stable")
    cols = {k: v[order] for k, v in cols.items()}
    motif = cols["motif"].astype(np.int64)
    pval = cols["p_value"].astype(np.float64)
    n_str = len(scanner.strands_)
    qv = (motif_qvalues(motif, pval, n_tested, uw, scanner.widths_, n_str) if qvalues else
          np.full(motif.size, np.nan))
    keep = best_hits(pval, motif.size, max_hits, at_least=not qvalues, stacklevel=3)
    if keep is not None:
        cols = {k: v[keep] for k, v in cols.items()}
        motif, pval, qv = motif[keep], pval[keep], qv[keep]
    return hit_table(scanner.motifs_, inp.n, seq_names, seq=cols["seq"], motif=motif, start=cols["start"],
                     end=cols["end"], strand=cols["strand"], score=cols["score"], p_value=pval, q_value=qv,
                     site=cols["matched_sequence"])
