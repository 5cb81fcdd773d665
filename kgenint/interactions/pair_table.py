"""The pair table: one format for the output of every interaction detector.

Columns (see ``docs/api.md``): ``motif_a motif_b distance orientation effect ci_low ci_high
p_value q_value method``, then any method-specific columns. One row per unordered motif pair, or
per pair and (distance, orientation) bin where a method resolves them. Ranking, the report and
:func:`kgenint.evaluate.score_interactions` read only these columns, so every detector is scored
the same way.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .._stats import bh_qvalues  # noqa: F401 - part of this module's API
from ..errors import InputError

__all__ = ["PAIR_COLUMNS", "METHODS", "check_pair_table", "bh_qvalues", "finish_pair_table", "save", "load",
           "FORMAT_VERSION"]

PAIR_COLUMNS: tuple[str, ...] = (
    "motif_a", "motif_b", "distance", "orientation", "effect", "ci_low", "ci_high",
    "p_value", "q_value", "method",
)
FORMAT_VERSION = 1
METHODS: tuple[str, ...] = (
    "insilico", "cooccurrence", "dfim", "dependency", "hessian", "anova", "tukey", "hierlasso",
    "features",
)


def finish_pair_table(rows: list[dict], method: str, *, sort_by: tuple[str, ...] = ("q_value",)):
    """Build a pair table from row dicts: fill missing shared columns, add ``q_value`` (BH over
    the rows' ``p_value``) and ``method``, order the shared columns first, sort.

    Rows are sorted by ``q_value`` (NaN last), then by ``|effect|`` descending.
    """
    import pandas as pd

    if method not in METHODS:
        raise InputError(f"method must be one of {METHODS}. Received: method={method!r}")
    df = pd.DataFrame(rows)
    for col in PAIR_COLUMNS:
        if col not in df.columns:
            df[col] = np.nan if col not in ("motif_a", "motif_b", "orientation", "method") else None
    df["method"] = method
    if len(df):
        df["q_value"] = bh_qvalues(df["p_value"].to_numpy(dtype=np.float64))
        df["_abs"] = -np.abs(df["effect"].to_numpy(dtype=np.float64))
        df = df.sort_values(list(sort_by) + ["_abs"], kind="mergesort", na_position="last")
        df = df.drop(columns="_abs").reset_index(drop=True)
    extra = [c for c in df.columns if c not in PAIR_COLUMNS]
    return df[list(PAIR_COLUMNS) + extra]


def check_pair_table(df: Any) -> None:
    """Raise :class:`InputError` unless ``df`` is a pair table (columns, types, value ranges).

    Checks: every shared column present; ``motif_a``/``motif_b`` strings; ``orientation`` one of
    ``++ +- -+ --`` or missing; ``p_value``/``q_value`` in [0, 1] or NaN; ``method`` one of
    :data:`METHODS`.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise InputError(f"a pair table must be a pandas DataFrame. Received {type(df).__name__}.")
    missing = [c for c in PAIR_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(f"pair table lacks the column(s) {missing}; expected {list(PAIR_COLUMNS)}.")
    for col in ("p_value", "q_value"):
        v = df[col].to_numpy(dtype=np.float64)
        bad = np.isfinite(v) & ((v < 0) | (v > 1))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"pair table row {i}: {col}={v[i]} is outside [0, 1].")
    ok_o = {"++", "+-", "-+", "--"}
    for i, o in enumerate(df["orientation"].tolist()):
        if o is not None and not (isinstance(o, float) and np.isnan(o)) and o not in ok_o:
            raise InputError(f"pair table row {i}: orientation={o!r} is not one of {sorted(ok_o)}.")
    for i, m in enumerate(df["method"].tolist()):
        if m not in METHODS:
            raise InputError(f"pair table row {i}: method={m!r} is not one of {METHODS}.")
    for col in ("motif_a", "motif_b"):
        for i, v in enumerate(df[col].tolist()):
            if not isinstance(v, str):
                raise InputError(f"pair table row {i}: {col}={v!r} is not a motif name.")


def save(df, path, *, meta: dict | None = None) -> None:
    """Write a pair table to HDF5 atomically.

    Layout (``format_version`` 1): root attributes ``kgenint_format="pair_table"``,
    ``format_version``, ``kgenint_version`` and ``meta`` (strings/numbers: the method's settings);
    group ``table`` with one dataset per column (numbers as float64, text as bytes) and the
    attribute ``columns`` giving their order.
    """
    import h5py
    import pandas as pd

    from .._io import atomic_path
    from .._version import __version__

    check_pair_table(df)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["kgenint_format"] = "pair_table"
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["kgenint_version"] = __version__
        for k, v in (meta or {}).items():
            f.attrs[k] = v
        g = f.create_group("table")
        for c in df.columns:
            col = df[c]
            if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
                g.create_dataset(c, data=np.array(["" if v is None or v != v else str(v) for v in col], dtype="S"))
            else:
                g.create_dataset(c, data=col.to_numpy(dtype=float))
        g.attrs["columns"] = list(df.columns)


def load(path):
    """Read a pair table written by :func:`save` (``attrs`` holds the file's metadata)."""
    import pandas as pd

    from .._io import open_result

    with open_result(path, "pair_table", FORMAT_VERSION, "pair table") as f:
        g = f["table"]
        cols = [c.decode() if isinstance(c, bytes) else str(c) for c in g.attrs["columns"]]
        data = {}
        for c in cols:
            v = g[c][()]
            if v.dtype.kind == "S":
                v = np.array([x.decode() for x in v], dtype=object)
                v = np.where(v == "", None, v)
            data[c] = v
        df = pd.DataFrame(data)
        df.attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    for c in ("distance",):
        if c in df:
            df[c] = pd.to_numeric(df[c], errors="coerce")
    return df
