"""Inputs of the simulator that are not the design itself: the motifs a configuration names
(:func:`resolve_motifs`) and the seeded train/valid/test split (:func:`make_split`).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..errors import InputError
from ..motifs.motif import Motif

__all__ = ["resolve_motifs", "make_split"]


def _lookup(name: str, pool: Sequence[Motif]) -> Motif | None:
    low = name.lower()
    exact = [m for m in pool if m.name == name]
    if exact:
        return exact[-1]
    alt = [m for m in pool if (m.alt_name or "").lower() == low]
    if alt:
        return alt[-1]
    base = [m for m in pool if m.name.split(".")[0] == name.split(".")[0] and "." not in name]
    return base[-1] if base else None


def resolve_motifs(names: Sequence[str], source: Any = None) -> list[Motif]:
    """Find the motifs called ``names``.

    Parameters
    ----------
    names : sequence of str
        Motif identifiers (``MA0466.4``), base ids (``MA0466``) or TF names (``CEBPB``).
    source : list of Motif, dict of str -> Motif, or None
        Where to look; None uses :func:`kgenint.motifs.load_curated`, then
        :func:`kgenint.motifs.load_default`.

    Returns
    -------
    list of Motif
        Copies renamed to the requested names; ``metadata["source_id"]`` keeps the original
        identifier.

    Raises
    ------
    InputError
        A name that is not found (the message lists a few available names).
    """
    pools: list[Sequence[Motif]] = []
    if source is None:
        from .. import motifs as _m

        try:
            pools.append(list(_m.load_curated()))
        except (ImportError, AttributeError):  # pragma: no cover - database not built yet
            pass
        try:
            pools.append(list(_m.load_default()))
        except (ImportError, AttributeError):  # pragma: no cover
            pass
        if not pools:  # pragma: no cover
            raise InputError("No motif database is available; pass motifs=[Motif, ...].")
    elif isinstance(source, dict):
        pools.append([m.copy(name=k) if m.name != k else m for k, m in source.items()])
    else:
        pools.append(list(source))
    out = []
    for name in names:
        found = None
        for pool in pools:
            found = _lookup(name, pool)
            if found is not None:
                break
        if found is None:
            avail = sorted({(m.alt_name or m.name) for m in pools[0]})[:12]
            raise InputError(
                f"Motif {name!r} is not in the motif source. Use a matrix id or TF name such as "
                f"{', '.join(avail)} ..., or pass motifs=[Motif, ...]."
            )
        src_id = found.name
        m = found.copy()
        m.name = name
        m.alt_name = src_id if src_id != name else found.alt_name
        m.metadata = {**m.metadata, "source_id": src_id}
        out.append(m)
    return out


# --------------------------------------------------------------------------- split
def make_split(n: int, fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> dict[str, np.ndarray]:
    """Random train / valid / test indices, fully determined by ``seed``.

    Parameters
    ----------
    n : int
        Number of sequences.
    fractions : (float, float, float)
        Train, validation and test fractions (sum 1).
    seed : int
        Seed of the permutation.

    Returns
    -------
    dict of str -> ndarray of int64
        Sorted, disjoint indices covering ``0 .. n-1``.
    """
    if int(n) <= 0:
        raise InputError(f"n must be > 0. Received n={n}.")
    f = np.asarray(fractions, dtype=np.float64)
    if f.shape != (3,) or np.any(f < 0) or abs(f.sum() - 1) > 1e-6:
        raise InputError(f"fractions must be three non-negative numbers summing to 1. Received {fractions}.")
    perm = np.random.default_rng([int(seed), 0x5B1]).permutation(int(n))
    n_train = int(round(f[0] * n))
    n_valid = int(round(f[1] * n))
    n_valid = min(n_valid, n - n_train)
    return {
        "train": np.sort(perm[:n_train]).astype(np.int64),
        "valid": np.sort(perm[n_train : n_train + n_valid]).astype(np.int64),
        "test": np.sort(perm[n_train + n_valid :]).astype(np.int64),
    }
