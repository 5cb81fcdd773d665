"""The motif databases embedded in kgenint.

* :data:`DEFAULT_DATABASE`: JASPAR 2024 CORE vertebrates, latest version of each matrix (879
  profiles; the "non-redundant" set), in MEME format. Names are JASPAR matrix ids
  (``MA0139.2``), alternate names the TF names (``CTCF``), ``url`` the JASPAR page.
* :data:`CURATED_DATABASE`: a few dozen distinct, informative, well-known vertebrate profiles
  from the same release, flanks trimmed, for the simulator to plant (see
  :func:`motif_similarity` for the distinctness criterion).

Both are generated offline by ``scripts/make_jaspar_db.py`` from the JASPAR SQLite database that
pyjaspar ships. JASPAR data are licensed CC BY 4.0; cite Rauluseviciute et al., JASPAR 2024:
20th anniversary of the open-access database of transcription factor binding profiles, Nucleic
Acids Res. 2024;52(D1):D174-D182, doi:10.1093/nar/gkad1059.
"""
from __future__ import annotations

import difflib
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..errors import InputError
from .motif import Motif

__all__ = [
    "DATA_DIR",
    "DEFAULT_DATABASE",
    "CURATED_DATABASE",
    "CURATED_MAX_SIMILARITY",
    "CURATED_TRIM_IC",
    "CURATED_WIDTH_RANGE",
    "load_default",
    "load_curated",
    "get_motif",
    "motif_similarity",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
#: JASPAR 2024 CORE vertebrates, latest version of each matrix (MEME format).
DEFAULT_DATABASE = DATA_DIR / "JASPAR2024_CORE_vertebrates_non-redundant.meme"
#: Curated subset for simulations (MEME format).
CURATED_DATABASE = DATA_DIR / "curated.meme"
#: Curated motifs are trimmed of flanking positions below this information content (bits).
CURATED_TRIM_IC = 0.5
#: Inclusive range of curated motif widths after trimming.
CURATED_WIDTH_RANGE = (6, 20)
#: Every pair of curated motifs has :func:`motif_similarity` below this value.
CURATED_MAX_SIMILARITY = 0.8

_cache: dict[str, list[Motif]] = {}
_lock = threading.Lock()


def _load(path: Path) -> list[Motif]:
    key = str(path)
    with _lock:
        if key not in _cache:
            if not path.is_file():
                raise InputError(
                    f"The embedded motif database {path} is missing: the kgenint installation is "
                    "incomplete. Reinstall kgenint, or regenerate it with scripts/make_jaspar_db.py."
                )
            from .io import read_meme

            _cache[key] = read_meme(path)
        return _cache[key]


def load_default() -> list[Motif]:
    """The default motif database: JASPAR 2024 CORE vertebrates, non-redundant (879 motifs).

    The file is parsed once per process; every call returns fresh copies, so changing the
    returned motifs never changes what later calls return.

    Returns
    -------
    list of Motif
        Sorted by JASPAR id. ``name`` is the matrix id (``MA0139.2``), ``alt_name`` the TF name
        (``CTCF``), ``counts``-derived ``pwm`` of shape ``(W, 4)``, ``nsites``, uniform
        ``background`` and ``url``.

    Examples
    --------
    >>> db = load_default()
    >>> len(db), db[0].name
    (879, 'MA0002.3')
    """
    return [m._clone() for m in _load(DEFAULT_DATABASE)]


def load_curated() -> list[Motif]:
    """The curated simulation subset: distinct, informative vertebrate motifs from JASPAR 2024.

    Each is a JASPAR 2024 CORE profile (name = matrix id, ``alt_name`` = TF name) with flanks
    below :data:`CURATED_TRIM_IC` bits trimmed, width within :data:`CURATED_WIDTH_RANGE`; no
    pair has :func:`motif_similarity` of :data:`CURATED_MAX_SIMILARITY` or more. Fresh copies
    on every call.

    Returns
    -------
    list of Motif
    """
    return [m._clone() for m in _load(CURATED_DATABASE)]


def get_motif(
    query: str, motifs: Iterable[Motif] | None = None, *, all_matches: bool = False
) -> Motif | list[Motif]:
    """Look a motif up by JASPAR id or TF name.

    Matching goes from the most to the least specific rule and stops at the first rule that
    matches: exact ``name`` (``"MA0139.2"``), ``name`` without version (``"MA0139"``), exact
    ``alt_name`` (``"CTCF"``), ``alt_name`` ignoring case (``"ctcf"``, ``"Spi1"``).

    Parameters
    ----------
    query : str
        Matrix id, base id or TF name.
    motifs : iterable of Motif, optional
        Where to look; the default database (:func:`load_default`) when omitted.
    all_matches : bool
        Return the list of all motifs matched by the first matching rule instead of one motif.
        Several JASPAR profiles can share a TF name (CTCF has MA0139, MA1929, MA1930); without
        ``all_matches`` the one with the smallest id (usually the classic profile) is returned.

    Returns
    -------
    Motif or list of Motif
        A copy (or copies).

    Raises
    ------
    InputError
        Nothing matches; the message suggests close names.

    Examples
    --------
    >>> get_motif("CTCF").name
    'MA0139.2'
    """
    if not isinstance(query, str) or not query.strip():
        raise InputError(f"query must be a non-empty motif id or TF name. Received: {query!r}")
    q = query.strip()
    pool = list(motifs) if motifs is not None else _load(DEFAULT_DATABASE)
    rules = (
        lambda m: m.name == q,
        lambda m: m.name.split(".")[0] == q,
        lambda m: m.alt_name == q,
        lambda m: m.alt_name is not None and m.alt_name.casefold() == q.casefold(),
    )
    for rule in rules:
        hits = [m for m in pool if rule(m)]
        if hits:
            hits.sort(key=_id_key)
            if all_matches:
                return [m._clone() for m in hits]
            return hits[0]._clone()
    names = sorted({m.name for m in pool} | {m.alt_name for m in pool if m.alt_name})
    close = difflib.get_close_matches(q, names, n=5, cutoff=0.6)
    if not close:
        close = [n for n in names if q.casefold() in n.casefold()][:5]
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    where = (
        "the given motifs" if motifs is not None
        else "the default database (JASPAR 2024 CORE vertebrates)"
    )
    raise InputError(f"No motif named {q!r} in {where}.{hint}")


def _id_key(m: Motif) -> tuple:
    base, _, ver = m.name.partition(".")
    return (base, int(ver) if ver.isdigit() else 0, m.name)


def _column_correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of every column of ``a`` (Wa, 4) with every column of ``b`` (Wb, 4).

    A column with no variance (uniform) correlates 0 with everything.
    """
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    na = np.sqrt((a * a).sum(axis=1))
    nb = np.sqrt((b * b).sum(axis=1))
    den = np.outer(na, nb)
    ok = den > 1e-12
    return np.where(ok, (a @ b.T) / np.where(ok, den, 1.0), 0.0)


def motif_similarity(a: Motif, b: Motif, *, min_overlap: int = 5) -> float:
    """Column-correlation similarity of two motifs, used to keep the curated set distinct.

    ``S(a, b)`` is the best, over both strands of ``b`` and every offset with at least
    ``min(min_overlap, W_a, W_b)`` aligned positions, of the sum of the Pearson correlations
    between aligned probability columns, divided by the shorter width ``min(W_a, W_b)``. It is
    1 when the shorter motif lies exactly inside the longer one, about 0 for unrelated motifs
    and below 0 for anti-correlated ones; MAX vs MYC (both CACGTG) scores 1.0, GATA1 vs GATA3
    0.87, SP1 vs KLF4 0.82.

    Parameters
    ----------
    a, b : Motif
        Motifs with ``pwm`` of shape ``(W_a, 4)`` and ``(W_b, 4)``.
    min_overlap : int
        Fewest aligned positions that count (capped by the shorter width).

    Returns
    -------
    float
    """
    pa, pb = a.pwm, b.pwm
    wa, wb = pa.shape[0], pb.shape[0]
    need = min(min_overlap, wa, wb)
    best = -np.inf
    for other in (pb, pb[::-1, ::-1]):
        c = _column_correlations(pa, other)
        for k in range(-(wa - 1), wb):
            d = np.diagonal(c, offset=k)
            if d.size >= need:
                best = max(best, float(d.sum()))
    return best / min(wa, wb)
