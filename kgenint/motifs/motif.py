"""The :class:`Motif` record: a position probability matrix and what goes with it.

Conventions
-----------
* Matrices are ``(W, 4)`` float64 in ACGT column order; row ``i`` is motif position ``i``.
* ``bg_freqs`` is the ``(4,)`` ACGT letter frequencies of the background the motif is scored
  against (the motif file's background when it has one, uniform otherwise).
* ``nsites`` is the number of sites the matrix was built from; MEME's default of 20 is used for
  pseudocounts when it is unknown.
* Information content is in bits, relative to ``bg_freqs`` (``sum p log2(p / bg)``).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from .._deprecation import renamed_fields
from ..errors import InputError

ALPHABET = "ACGT"
DEFAULT_NSITES = 20
#: Rows whose sum is off by at most this much are renormalised with a warning.
ROW_SUM_TOLERANCE = 0.02

__all__ = ["Motif", "MotifError", "ALPHABET", "DEFAULT_NSITES", "validate_matrix", "validate_background"]


class MotifError(InputError):
    """A motif matrix or background is not valid."""


def validate_matrix(
    matrix: Any, *, name: str = "motif", what: str = "probability matrix", probabilities: bool = True
) -> np.ndarray:
    """Check a ``(W, 4)`` matrix and return it as float64.

    Parameters
    ----------
    matrix : array_like, shape (W, 4)
        Rows are positions, columns A, C, G, T.
    name : str
        The motif's name, used in error messages.
    what : str
        What the matrix is ("probability matrix", "count matrix", "CWM"), for messages.
    probabilities : bool
        If True the rows must be non-negative and sum to 1: rows off by at most
        ``ROW_SUM_TOLERANCE`` are renormalised with a warning, others are an error.

    Raises
    ------
    MotifError
        Wrong shape, width 0, non-finite values, negative probabilities, rows that do not sum
        to 1.
    """
    try:
        m = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise MotifError(f"Motif {name!r}: the {what} is not numeric ({err}).") from None
    if m.ndim != 2:
        raise MotifError(
            f"Motif {name!r}: the {what} must be 2-D with shape (width, 4). Received shape {m.shape}."
        )
    if m.shape[1] != 4:
        if m.shape[0] == 4 and m.shape[1] != 4:
            hint = " It looks transposed (4, width): pass matrix.T."
        else:
            hint = " Only the DNA alphabet ACGT is supported."
        raise MotifError(
            f"Motif {name!r}: the {what} must have 4 columns (A, C, G, T). "
            f"Received shape {m.shape}.{hint}"
        )
    if m.shape[0] == 0:
        raise MotifError(f"Motif {name!r}: the {what} has width 0 (no positions).")
    if not np.isfinite(m).all():
        bad = np.argwhere(~np.isfinite(m))[0]
        raise MotifError(
            f"Motif {name!r}: the {what} has a non-finite value at position {bad[0]} "
            f"(0-based), base {ALPHABET[bad[1]]}."
        )
    if probabilities:
        if m.min() < 0:
            bad = np.argwhere(m < 0)[0]
            raise MotifError(
                f"Motif {name!r}: the {what} has a negative probability {m[bad[0], bad[1]]:g} "
                f"at position {bad[0]} (0-based), base {ALPHABET[bad[1]]}."
            )
        sums = m.sum(axis=1)
        off = np.abs(sums - 1.0)
        worst = float(off.max())
        if worst > ROW_SUM_TOLERANCE:
            i = int(np.argmax(off))
            raise MotifError(
                f"Motif {name!r}: row {i} (0-based) of the {what} sums to {sums[i]:.4g}, "
                f"not 1. Pass counts with Motif.from_counts, or normalise the rows."
            )
        if worst > 1e-6:
            warnings.warn(
                f"Motif {name!r}: rows of the {what} sum to between {sums.min():.4g} and "
                f"{sums.max():.4g}; renormalised to 1.",
                stacklevel=3,
            )
            m = m / sums[:, None]
    return m


def validate_background(background: Any, *, name: str = "motif") -> np.ndarray:
    """Return a valid ``(4,)`` ACGT background (``None`` gives uniform)."""
    if background is None:
        return np.full(4, 0.25)
    bg = np.array(background, dtype=np.float64).reshape(-1)
    if bg.shape != (4,):
        raise MotifError(
            f"Motif {name!r}: the background must have 4 values (A, C, G, T). "
            f"Received {bg.shape[0]} values."
        )
    if not np.isfinite(bg).all() or bg.min() <= 0:
        raise MotifError(
            f"Motif {name!r}: background frequencies must be finite and > 0. Received {bg.tolist()}."
        )
    s = bg.sum()
    if abs(s - 1) > ROW_SUM_TOLERANCE:
        raise MotifError(
            f"Motif {name!r}: background frequencies must sum to 1. Received sum {s:.4g}."
        )
    # Renormalise only when needed, so that already-normalised backgrounds are kept bit for bit
    # (reverse_complement twice is then the identity).
    return bg / s if abs(s - 1) > 1e-12 else bg


@renamed_fields({"background": "bg_freqs"})
@dataclass(eq=False)
class Motif:
    """A DNA sequence motif.

    Parameters
    ----------
    name : str
        Identifier (MEME ``MOTIF`` identifier, JASPAR matrix id such as ``MA0139.2``, or a filter
        or cluster name).
    pwm : array_like, shape (W, 4)
        Position probability matrix, ACGT columns; rows sum to 1.
    alt_name : str, optional
        Alternate name (the TF name for JASPAR motifs, e.g. ``CTCF``).
    counts : array_like, shape (W, 4), optional
        Position count matrix the probabilities came from.
    nsites : int, optional
        Number of sites; taken from ``counts`` when they are given.
    bg_freqs : array_like, shape (4,), optional
        ACGT background letter frequencies (sum 1); uniform when omitted. (Old name:
        ``background``; the attribute ``.background`` still reads it, with a warning.)
    cwm : array_like, shape (W, 4), optional
        Contribution weight matrix (mean attribution per position and base, signed).
    hcwm : array_like, shape (W, 4), optional
        Hypothetical contribution weight matrix.
    url : str, optional
        Source URL (MEME ``URL`` line).
    metadata : dict
        Anything else (seqlet count, source filter, provenance ...).

    Examples
    --------
    >>> m = Motif.from_consensus("TGACTCA", name="AP1")
    >>> m.width, m.consensus
    (7, 'TGACTCA')
    >>> m.reverse_complement().consensus
    'TGAGTCA'
    """

    name: str
    pwm: np.ndarray
    alt_name: str | None = None
    counts: np.ndarray | None = None
    nsites: int | None = None
    bg_freqs: np.ndarray | None = None
    cwm: np.ndarray | None = None
    hcwm: np.ndarray | None = None
    url: str | None = None
    metadata: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.name = str(self.name)
        if self.metadata is None:
            self.metadata = {}
        elif not isinstance(self.metadata, dict):
            raise MotifError(
                f"Motif {self.name!r}: metadata must be a dict. Received {type(self.metadata).__name__}."
            )
        if not self.name:
            raise MotifError("A motif needs a non-empty name.")
        self.pwm = validate_matrix(self.pwm, name=self.name)
        w = self.pwm.shape[0]
        if self.counts is not None:
            self.counts = validate_matrix(
                self.counts, name=self.name, what="count matrix", probabilities=False
            )
            if np.any(self.counts < 0):
                raise MotifError(f"Motif {self.name!r}: the count matrix has negative counts.")
            if self.counts.shape[0] != w:
                raise MotifError(
                    f"Motif {self.name!r}: the count matrix has width {self.counts.shape[0]} "
                    f"but the probability matrix has width {w}."
                )
            if self.nsites is None:
                self.nsites = int(round(float(self.counts.sum(axis=1).max())))
        if self.nsites is not None:
            self.nsites = int(self.nsites)
            if self.nsites <= 0:
                raise MotifError(f"Motif {self.name!r}: nsites must be > 0. Received {self.nsites}.")
        self.bg_freqs = validate_background(self.bg_freqs, name=self.name)
        for attr in ("cwm", "hcwm"):
            val = getattr(self, attr)
            if val is not None:
                val = validate_matrix(val, name=self.name, what=attr.upper(), probabilities=False)
                if val.shape[0] != w:
                    raise MotifError(
                        f"Motif {self.name!r}: the {attr.upper()} has width {val.shape[0]} but "
                        f"the probability matrix has width {w}."
                    )
                setattr(self, attr, val)

    @property
    def _bg(self) -> np.ndarray:
        """``bg_freqs``, an array once constructed: ``__post_init__`` turns ``None`` into uniform (the
        field's type admits ``None`` only as the constructor's default)."""
        return cast(np.ndarray, self.bg_freqs)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_counts(
        cls, counts: Any, name: str, *, pseudocount: float = 0.0, **kwargs: Any
    ) -> "Motif":
        """Build a motif from a ``(W, 4)`` count matrix.

        ``pwm = (counts + pseudocount * bg) / (n + pseudocount)`` per row, where ``n`` is the
        row total and ``bg`` the letter frequencies ``bg_freqs`` (uniform by default).
        """
        c = validate_matrix(counts, name=name, what="count matrix", probabilities=False)
        if np.any(c < 0):
            raise MotifError(f"Motif {name!r}: the count matrix has negative counts.")
        bg = validate_background(kwargs.get("bg_freqs", kwargs.get("background")), name=name)
        tot = c.sum(axis=1, keepdims=True)
        if np.any(tot + pseudocount <= 0):
            i = int(np.argmin(tot[:, 0]))
            raise MotifError(
                f"Motif {name!r}: row {i} (0-based) of the count matrix is all zero; give a "
                f"pseudocount > 0."
            )
        pwm = (c + pseudocount * bg) / (tot + pseudocount)
        return cls(name=name, pwm=pwm, counts=c, **kwargs)

    @classmethod
    def from_consensus(cls, consensus: str, name: str | None = None, **kwargs: Any) -> "Motif":
        """A motif with probability 1 on each base of ``consensus`` (IUPAC codes allowed)."""
        rows = []
        for i, ch in enumerate(consensus.upper()):
            if ch not in _IUPAC:
                raise MotifError(
                    f"Consensus {consensus!r}: character {ch!r} at position {i} is not an IUPAC "
                    f"DNA code."
                )
            bases = _IUPAC[ch]
            rows.append([1.0 / len(bases) if b in bases else 0.0 for b in ALPHABET])
        return cls(name=name or consensus, pwm=np.array(rows), **kwargs)

    # ------------------------------------------------------------------ properties
    @property
    def width(self) -> int:
        """Number of positions ``W``."""
        return int(self.pwm.shape[0])

    def __len__(self) -> int:
        return self.width

    def __repr__(self) -> str:
        alt = f" ({self.alt_name})" if self.alt_name else ""
        return f"<Motif {self.name}{alt} width={self.width} consensus={self.consensus}>"

    @property
    def consensus(self) -> str:
        """Most probable base per position (upper case; ``N`` where all four are equal)."""
        out = []
        for row in self.pwm:
            out.append("N" if np.ptp(row) < 1e-12 else ALPHABET[int(np.argmax(row))])
        return "".join(out)

    @property
    def iupac(self) -> str:
        """IUPAC consensus string.

        A base is included when its probability is at least half the top probability and at
        least 0.25; positions with information content below 0.25 bit give ``N``.
        """
        ic = self.information_content()
        out = []
        for row, i in zip(self.pwm, ic):
            if i < 0.25:
                out.append("N")
                continue
            top = row.max()
            bases = "".join(b for b, p in zip(ALPHABET, row) if p >= max(0.25, top / 2))
            out.append(_IUPAC_FROM_SET[frozenset(bases)])
        return "".join(out)

    def information_content(self) -> np.ndarray:
        """Per-position information content in bits, shape ``(W,)``.

        ``IC_i = sum_b p_ib log2(p_ib / bg_b)`` (relative entropy to the background; equals
        ``2 - H_i`` for a uniform background).
        """
        p = self.pwm
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(p > 0, p * np.log2(p / self._bg), 0.0)
        return t.sum(axis=1)

    @property
    def total_information(self) -> float:
        """Sum of per-position information content (bits)."""
        return float(self.information_content().sum())

    # ------------------------------------------------------------------ transforms
    def _map(self, rows: slice | np.ndarray, flip: bool, name: str | None = None) -> "Motif":
        def tr(a):
            if a is None:
                return None
            a = a[rows]
            return a[::-1, ::-1].copy() if flip else a.copy()

        return Motif(
            name=name or self.name,
            pwm=tr(self.pwm),
            alt_name=self.alt_name,
            counts=tr(self.counts),
            nsites=self.nsites,
            bg_freqs=self._bg[::-1].copy() if flip else self._bg.copy(),
            cwm=tr(self.cwm),
            hcwm=tr(self.hcwm),
            url=self.url,
            metadata=dict(self.metadata),
        )

    def reverse_complement(self) -> "Motif":
        """The motif on the other strand (rows reversed, A<->T, C<->G; background too)."""
        return self._map(slice(None), flip=True)

    def trim(self, min_ic: float = 0.3, *, return_offsets: bool = False):
        """Drop flanking positions whose information content is below ``min_ic`` bits.

        Positions inside the motif are kept even if uninformative.  When every position is
        below the threshold the single most informative position is kept.

        Returns
        -------
        Motif, or (Motif, start, end) with ``return_offsets=True`` where ``start:end`` is the
        kept half-open slice of the original motif.
        """
        ic = self.information_content()
        keep = np.flatnonzero(ic >= min_ic)
        if keep.size == 0:
            start = int(np.argmax(ic))
            end = start + 1
        else:
            start, end = int(keep[0]), int(keep[-1]) + 1
        m = self._map(slice(start, end), flip=False)
        return (m, start, end) if return_offsets else m

    def log_odds(self, pseudocount: float = 0.1, *, base: float = 2.0) -> np.ndarray:
        """Log-odds scoring matrix ``(W, 4)`` against ``bg_freqs``.

        Follows the MEME suite (FIMO's ``--motif-pseudo``): site counts are ``pwm * nsites``
        (``nsites`` defaults to 20) and ``pseudocount`` total pseudo-sites are spread by the
        background, ``q = (pwm * n + pseudocount * bg) / (n + pseudocount)``; the score is
        ``log_base(q / bg)``.  With ``pseudocount=0`` zero probabilities give ``-inf``.
        """
        if pseudocount < 0:
            raise MotifError(f"pseudocount must be >= 0. Received: pseudocount={pseudocount}")
        n = float(self.nsites if self.nsites is not None else DEFAULT_NSITES)
        bg = self._bg
        q = (self.pwm * n + pseudocount * bg) / (n + pseudocount)
        with np.errstate(divide="ignore"):
            return np.log(q / bg) / np.log(base)

    def _clone(self) -> "Motif":
        """A deep copy without re-validation (the fields are already valid)."""
        new = object.__new__(Motif)
        for k, v in self.__dict__.items():
            if isinstance(v, np.ndarray):
                v = v.copy()
            elif isinstance(v, dict):
                v = dict(v)
            new.__dict__[k] = v
        return new

    def copy(self, **changes: Any) -> "Motif":
        """A deep copy, with fields replaced by ``changes``."""
        m = self._map(slice(None), flip=False)
        for k, v in changes.items():
            setattr(m, k, v)
        if changes:
            m.__post_init__()
        return m

    def allclose(self, other: "Motif", atol: float = 1e-6) -> bool:
        """True when both probability matrices and backgrounds agree to ``atol``."""
        return (
            self.pwm.shape == other.pwm.shape
            and np.allclose(self.pwm, other.pwm, atol=atol)
            and np.allclose(self._bg, other._bg, atol=atol)
        )


_IUPAC = {
    "A": "A", "C": "C", "G": "G", "T": "T", "U": "T",
    "R": "AG", "Y": "CT", "S": "CG", "W": "AT", "K": "GT", "M": "AC",
    "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG", "N": "ACGT",
}
_IUPAC_FROM_SET = {frozenset(v): k for k, v in _IUPAC.items() if k != "U"}
