"""Where motifs go in an in-silico experiment: instances, orientations and placements."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .._validate import check_seed
from ..errors import InputError
from ..motifs.motif import Motif

__all__ = ["ORIENTATIONS", "motif_instances", "placements", "check_anchor", "check_orientations"]

ORIENTATIONS: tuple[str, ...] = ("++", "+-", "-+", "--")


def motif_instances(
    motifs: Sequence[Motif], n: int, *, mode: str = "consensus", seed=0
) -> tuple[np.ndarray, np.ndarray]:
    """One-hot instances of each motif for each of ``n`` backgrounds.

    Parameters
    ----------
    motifs : list of Motif, length K
    n : int
        Number of backgrounds (one instance per motif and background).
    mode : {"consensus", "sample"}
        ``"consensus"``: the most probable base at each position (the same instance for every
        background). ``"sample"``: each instance drawn from the motif's probability matrix.
    seed : int or numpy Generator
        Seed for ``mode="sample"``.

    Returns
    -------
    inst : float32 (K, n, Wmax, 4)
        Forward-strand instances, zero-padded beyond each motif's width.
    widths : int64 (K,)
    """
    if mode not in ("consensus", "sample"):
        raise InputError(f"instances must be 'consensus' or 'sample'. Received: instances={mode!r}")
    rng = check_seed(seed)
    K = len(motifs)
    widths = np.array([m.width for m in motifs], dtype=np.int64)
    inst = np.zeros((K, n, int(widths.max()), 4), dtype=np.float32)
    for k, m in enumerate(motifs):
        w = m.width
        if mode == "consensus":
            idx = np.argmax(m.pwm, axis=1)
            inst[k, :, np.arange(w), idx] = 1.0
        else:
            cum = np.cumsum(m.pwm, axis=1)
            cum[:, -1] = 1.0
            u = rng.random((n, w))
            idx = (u[:, :, None] > cum[None, :, :]).sum(axis=2)
            rows = np.broadcast_to(np.arange(w), (n, w))
            inst[k, np.arange(n)[:, None], rows, idx] = 1.0
    return inst, widths


def placements(
    wa: int, wb: int, d: int, length: int, anchor: str | int = "center", min_gap: int = 0
) -> tuple[int, int] | None:
    """Starts ``(start_a, start_b)`` of motifs of widths ``wa``, ``wb`` at distance ``d``.

    ``d = start_b - start_a``. Returns ``None`` when the motifs overlap, leave fewer than
    ``min_gap`` bases between them, or a motif leaves the sequence of length ``length``. See the
    module docstring for ``anchor``.
    """
    if not (d >= wa + min_gap or d <= -(wb + min_gap)):
        return None  # overlap, or closer than min_gap
    if anchor == "center":
        lo = min(0, d)
        hi = max(wa, d + wb)
        left = (length - (hi - lo)) // 2
        sa = left - lo
    elif anchor == "a":
        sa = (length - wa) // 2
    else:
        sa = int(anchor)
    sb = sa + d
    if sa < 0 or sb < 0 or sa + wa > length or sb + wb > length:
        return None
    return sa, sb


def check_anchor(anchor, length):
    if anchor in ("center", "a"):
        return anchor
    if isinstance(anchor, (int, np.integer)) and 0 <= int(anchor) < length:
        return int(anchor)
    raise InputError(
        f"anchor must be 'center', 'a' or a start position in [0, {length}). Received: anchor={anchor!r}"
    )


def check_orientations(orientations) -> list[int]:
    out = []
    for o in orientations:
        if o not in ORIENTATIONS:
            raise InputError(f"orientations must be drawn from {ORIENTATIONS}. Received {o!r}.")
        out.append(ORIENTATIONS.index(o))
    if not out:
        raise InputError("orientations is empty; give at least one of '++', '+-', '-+', '--'.")
    return out


