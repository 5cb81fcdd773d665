"""Two motifs placed in one frame at a TOMTOM offset and orientation: :func:`align` and
:class:`MotifAlignment` (for plotting matched pairs; re-exported by :mod:`kgenint.motifs.compare`).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import InputError
from .motif import Motif

__all__ = ["align", "MotifAlignment"]


# ------------------------------------------------------------------------------------ alignment
class MotifAlignment(NamedTuple):
    """A query aligned with a target at a TOMTOM offset and orientation (for plotting pairs).

    Attributes
    ----------
    query : Motif
        The query motif, unchanged.
    target : Motif
        The target in the aligned orientation (reverse-complemented for ``'-'``).
    query_start, target_start : int
        First column of each motif in the common frame (0-based).
    width : int
        Width of the common frame (union of both motifs).
    overlap : int
        Number of aligned columns.
    query_matrix, target_matrix : numpy.ndarray, shape (width, 4)
        Probability matrices placed in the common frame; frame columns a motif does not
        cover are zero rows.
    offset : int
        TOMTOM's offset (query column ``i`` aligns with target column ``i + offset``).
    orientation : str
        ``'+'`` or ``'-'``.
    """

    query: Motif
    target: Motif
    query_start: int
    target_start: int
    width: int
    overlap: int
    query_matrix: np.ndarray
    target_matrix: np.ndarray
    offset: int
    orientation: str


def align(query: Motif, target: Motif, offset: int, orientation: str = "+") -> MotifAlignment:
    """Place ``query`` and ``target`` in one frame at a TOMTOM offset and orientation.

    Parameters
    ----------
    query, target : Motif
        The two motifs (target as stored in the database).
    offset : int
        TOMTOM's ``Optimal_offset``: query column ``i`` aligns with column ``i + offset`` of
        the target in the given orientation.
    orientation : {"+", "-"}
        ``'-'`` aligns the query with the target's reverse complement.

    Returns
    -------
    MotifAlignment

    Raises
    ------
    InputError
        Not motifs, a bad orientation, or an offset at which the motifs do not overlap.

    Examples
    --------
    >>> a = align(Motif.from_consensus("ACGT"), Motif.from_consensus("TTACGTAA"), 2)
    >>> a.query_start, a.target_start, a.width, a.overlap
    (2, 0, 8, 4)
    """
    if not isinstance(query, Motif) or not isinstance(target, Motif):
        raise InputError("align() takes two Motif objects (query, target).")
    if orientation not in ("+", "-"):
        raise InputError(f"orientation must be '+' or '-'. Received: orientation={orientation!r}")
    if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)):
        raise InputError(f"offset must be an integer. Received: offset={offset!r}")
    offset = int(offset)
    t = target.reverse_complement() if orientation == "-" else target
    wq, wt = query.width, t.width
    if offset <= -wq or offset >= wt:
        raise InputError(
            f"At offset {offset} the query (width {wq}) and the target (width {wt}) do not "
            f"overlap: the offset must be between {-(wq - 1)} and {wt - 1}."
        )
    frame0 = min(0, offset)
    q_start = offset - frame0
    t_start = -frame0
    width = max(wt, offset + wq) - frame0
    overlap = min(wt, offset + wq) - max(0, offset)
    qm = np.zeros((width, 4))
    tm = np.zeros((width, 4))
    qm[q_start:q_start + wq] = query.pwm
    tm[t_start:t_start + wt] = t.pwm
    return MotifAlignment(query, t, q_start, t_start, width, overlap, qm, tm, offset, orientation)
