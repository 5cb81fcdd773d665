"""Shared parts of the instance-based detectors (DFIM, dependency maps, block Hessians).

* :func:`hit_pairs`: pairs of motif hits of different motifs in the same sequence;
* :func:`null_windows`: random window pairs of the same widths and distance that overlap no hit
  (the DFIM null: "the same experiment at positions without a motif");
* :func:`aggregate_instances`: per-instance scores -> the pair table (one row per unordered pair
  or per pair and distance/orientation bin), with a Mann-Whitney test against the null scores;
* :func:`place` / :func:`revcomp`: writing one-hot instances into sequences.

No TensorFlow here.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["hit_pairs", "null_windows", "aggregate_instances", "shifted_mannwhitney", "check_hits", "revcomp", "place"]

HIT_COLUMNS = ("seq", "start", "end", "strand", "motif")


def revcomp(onehot: np.ndarray) -> np.ndarray:
    """Reverse complement of ACGT one-hot ``(..., W, 4)`` (reverse both the position and base axes)."""
    return onehot[..., ::-1, ::-1]


def place(x: np.ndarray, start: int, inst: np.ndarray, strand: str = "+") -> None:
    """Write ``inst`` ``(W, 4)`` into ``x`` ``(L, 4)`` at ``start`` (in place), on ``strand``."""
    w = inst.shape[0]
    x[start:start + w] = inst if strand == "+" else revcomp(inst)


def check_hits(hits: Any, n_seqs: int, length: int, *, name: str = "hits") -> pd.DataFrame:
    """Validate a motif-hit table and return it with a string ``motif`` column.

    Accepts :func:`kgenint.motifs.scan` output (``motif_id`` names the motif, ``motif`` is an
    index) or any table with ``seq, start, end, strand, motif`` (motif names).
    """
    if not isinstance(hits, pd.DataFrame):
        raise InputError(f"{name} must be a pandas DataFrame of motif hits. Received {type(hits).__name__}.")
    df = hits.copy()
    if "motif_id" in df.columns:
        df["motif"] = df["motif_id"].astype(str)
    miss = [c for c in HIT_COLUMNS if c not in df.columns]
    if miss:
        raise InputError(f"{name} lacks the column(s) {miss}; expected {list(HIT_COLUMNS)} "
                         f"(the output of kgenint.motifs.scan).")
    df["motif"] = df["motif"].astype(str)
    if len(df) == 0:
        return df.reset_index(drop=True)
    s = df["seq"].to_numpy()
    a = df["start"].to_numpy()
    b = df["end"].to_numpy()
    bad = (s < 0) | (s >= n_seqs) | (a < 0) | (b > length) | (b <= a)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        r = df.iloc[i]
        raise InputError(
            f"{name} row {i}: sequence {r['seq']}, [{r['start']}, {r['end']}) is not a window of one of the "
            f"{n_seqs} sequences of length {length}."
        )
    st = ~df["strand"].isin(["+", "-"])
    if st.any():
        i = int(np.flatnonzero(st.to_numpy())[0])
        raise InputError(f"{name} row {i}: strand={df['strand'].iloc[i]!r} is not '+' or '-'.")
    return df.reset_index(drop=True)


def hit_pairs(hits: pd.DataFrame, *, max_distance: int | None = None, homotypic: bool = False,
              max_per_seq: int | None = None, seed=0) -> pd.DataFrame:
    """Pairs of non-overlapping hits in the same sequence.

    Returns
    -------
    DataFrame with ``seq, a_start, a_end, b_start, b_end, motif_a, motif_b, distance,
    orientation`` where the pair is ordered so that ``motif_a <= motif_b`` (names), ``distance =
    b_start - a_start`` and ``orientation`` = strand of A + strand of B.
    """
    rng = np.random.default_rng(seed) if not isinstance(seed, np.random.Generator) else seed
    rows = []
    for s, g in hits.groupby("seq", sort=True):
        g = g.sort_values("start")
        st, en = g["start"].to_numpy(), g["end"].to_numpy()
        sd, mo = g["strand"].to_numpy(), g["motif"].to_numpy()
        here = []
        for i in range(len(g)):
            for j in range(i + 1, len(g)):
                if mo[i] == mo[j] and not homotypic:
                    continue
                if st[j] < en[i] and st[i] < en[j]:
                    continue  # overlap
                a, b = (i, j) if mo[i] <= mo[j] else (j, i)
                d = int(st[b] - st[a])
                if max_distance is not None and abs(d) > max_distance:
                    continue
                here.append((int(s), int(st[a]), int(en[a]), int(st[b]), int(en[b]), mo[a], mo[b], d, sd[a] + sd[b]))
        if max_per_seq is not None and len(here) > max_per_seq:
            keep = rng.choice(len(here), max_per_seq, replace=False)
            here = [here[k] for k in sorted(keep)]
        rows.extend(here)
    cols = ["seq", "a_start", "a_end", "b_start", "b_end", "motif_a", "motif_b", "distance", "orientation"]
    return pd.DataFrame(rows, columns=cols)


def _free(mask_row: np.ndarray, start: int, width: int) -> bool:
    return 0 <= start and start + width <= mask_row.size and not mask_row[start:start + width].any()


def null_windows(pairs: pd.DataFrame, hits: pd.DataFrame, length: int, *, n_null: int = 1,
                 seed=0, max_tries: int = 200) -> pd.DataFrame:
    """Random window pairs of the same widths and distance as each instance, overlapping no hit.

    Returns the same columns as ``pairs`` plus ``instance`` (row of ``pairs``); instances for
    which no free placement was found in ``max_tries`` draws get fewer null rows.
    """
    rng = np.random.default_rng(seed) if not isinstance(seed, np.random.Generator) else seed
    occupied: dict[int, np.ndarray] = {}
    for s, a, b in zip(hits["seq"].to_numpy(), hits["start"].to_numpy(), hits["end"].to_numpy()):
        m = occupied.setdefault(int(s), np.zeros(length, bool))
        m[a:b] = True
    out = []
    for k, r in enumerate(pairs.itertuples(index=False)):
        m = occupied.get(int(r.seq), np.zeros(length, bool))
        wa, wb, d = r.a_end - r.a_start, r.b_end - r.b_start, r.distance
        lo = max(0, -d)
        hi = min(length - wa, length - wb - d)
        if hi < lo:
            continue
        got = 0
        for _ in range(max_tries):
            sa = int(rng.integers(lo, hi + 1))
            sb = sa + d
            if _free(m, sa, wa) and _free(m, sb, wb):
                out.append((int(r.seq), sa, sa + wa, sb, sb + wb, r.motif_a, r.motif_b, d, r.orientation, k))
                got += 1
                if got == n_null:
                    break
    cols = list(pairs.columns[:9]) + ["instance"]
    return pd.DataFrame(out, columns=cols)


def _bin_label(d: np.ndarray, width: int) -> np.ndarray:
    return np.floor(np.asarray(d) / width).astype(np.int64)


def shifted_mannwhitney(s: np.ndarray, null: np.ndarray, margin: float = 0.0) -> float:
    """Two-sided p-value that the scores ``s`` lie more than ``margin`` away from the null
    scores (location shift): ``min(1, 2 min(P[s - margin > null], P[s + margin < null]))`` from
    one-sided Mann-Whitney tests. ``margin = 0`` is the ordinary two-sided test."""
    from scipy import stats

    if margin == 0:
        return float(stats.mannwhitneyu(s, null, alternative="two-sided").pvalue)
    hi = stats.mannwhitneyu(s - margin, null, alternative="greater").pvalue
    lo = stats.mannwhitneyu(s + margin, null, alternative="less").pvalue
    return float(min(1.0, 2.0 * min(hi, lo)))


def aggregate_instances(inst: pd.DataFrame, null_scores: np.ndarray, method: str, *,
                        by: str = "pair", distance_bin: int = 10, min_instances: int = 3,
                        margin: float = 0.0, extra: Sequence[str] = ()) -> pd.DataFrame:
    """Per-instance scores -> the pair table.

    Parameters
    ----------
    inst : DataFrame
        One row per instance: ``motif_a, motif_b, distance, orientation, score`` (+ ``extra``
        columns, averaged per group).
    null_scores : float array (M,)
        Scores of the same experiment on random window pairs without motifs.
    by : {"pair", "bin"}
        ``"pair"``: one row per unordered pair; its ``distance``/``orientation`` are those of the
        (distance bin, orientation) cell with the largest ``|mean score|`` among cells with at
        least ``min_instances`` instances (the median distance of that cell). ``"bin"``: one
        row per pair, distance bin and orientation.

    Each row's ``effect`` is the mean instance score (``ci_low``, ``ci_high``: a 95 % t
    interval), ``p_value`` the two-sided Mann-Whitney test of the row's instance scores against
    all null scores (shifted by ``margin``, the smallest interaction worth reporting in the
    method's units: :func:`shifted_mannwhitney`), ``n_instances`` the number of instances.
    """
    from scipy import stats

    from .pair_table import finish_pair_table

    if by not in ("pair", "bin"):
        raise InputError(f"by must be 'pair' or 'bin'. Received: by={by!r}")
    if not (np.isfinite(margin) and margin >= 0):
        raise InputError(f"margin must be a finite number >= 0. Received: margin={margin!r}")
    null = np.asarray(null_scores, dtype=np.float64)
    null = null[np.isfinite(null)]
    rows: list[dict] = []
    if len(inst) == 0:
        return finish_pair_table(rows, method)
    inst = inst.copy()
    inst["_bin"] = _bin_label(inst["distance"].to_numpy(), distance_bin)

    def summarise(g: pd.DataFrame) -> dict:
        s = g["score"].to_numpy(dtype=np.float64)
        n = s.size
        m = float(s.mean())
        if n > 1:
            se = float(s.std(ddof=1) / np.sqrt(n))
            h = float(stats.t.ppf(0.975, n - 1) * se)
        else:
            h = np.nan
        if null.size >= 1 and n >= 1:
            p = shifted_mannwhitney(s, null, margin)
        else:
            p = np.nan
        rec = {"effect": m, "ci_low": m - h, "ci_high": m + h, "p_value": p, "n_instances": n}
        for c in extra:
            rec[c] = float(g[c].mean())
        return rec

    for (a, b), g in inst.groupby(["motif_a", "motif_b"], sort=True):
        cells = []
        for (bn, o), c in g.groupby(["_bin", "orientation"], sort=True):
            cells.append((bn, o, c))
        if by == "bin":
            for bn, o, c in cells:
                rec = {"motif_a": a, "motif_b": b, "distance": int(np.median(c["distance"])), "orientation": o}
                rec.update(summarise(c))
                rows.append(rec)
            continue
        ok = [t for t in cells if len(t[2]) >= min_instances] or cells
        best = max(ok, key=lambda t: abs(t[2]["score"].mean()))
        rec = {"motif_a": a, "motif_b": b, "distance": int(np.median(best[2]["distance"])), "orientation": best[1]}
        rec.update(summarise(g))
        rec["best_cell_effect"] = float(best[2]["score"].mean())
        rows.append(rec)
    df = finish_pair_table(rows, method)
    df["distance"] = df["distance"].astype("Int64")
    return df
