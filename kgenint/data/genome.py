"""Indexed genome FASTA access (plain or bgzip) through pysam's faidx.

Only the windows asked for are read from disk, so memory does not grow with the genome. A
missing ``.fai`` index is built beside the FASTA (as ``samtools faidx`` would) unless
``build_index=False``; a gzip file that is not bgzip cannot be indexed and is refused with the
command that fixes it.
"""
from __future__ import annotations

import logging
import os

import numpy as np

from .._alphabet import LETTER_CODES, N_CODE
from ..errors import InputError

__all__ = ["Genome", "encode_windows"]

log = logging.getLogger("kgenint")

# byte -> upper-case A/C/G/T/N by the one letter policy (kgenint._alphabet.LETTER_CODES: soft-masked
# bases upper-cased, IUPAC ambiguity codes N). Genome windows are read leniently: a byte the policy
# calls invalid also becomes N (an assembly is not user-typed text); FASTA input is checked first.
_TO_ACGTN = bytes(b"ACGTN"[min(int(c), N_CODE)] for c in LETTER_CODES)


def _compression(path: str) -> str:
    with open(path, "rb") as fh:
        head = fh.read(18)
    if head[:2] != b"\x1f\x8b":
        return "plain"
    # BGZF: gzip with the FEXTRA flag and a 'BC' subfield
    if len(head) >= 14 and head[3] & 4 and head[12:14] == b"BC":
        return "bgzip"
    return "gzip"


class Genome:
    """A genome FASTA opened for random access.

    Parameters
    ----------
    path : str or os.PathLike
        FASTA file, plain or bgzip-compressed, with (or to be given) a ``.fai`` index (and a
        ``.gzi`` index when bgzip).
    build_index : bool
        Build a missing index beside the FASTA (default). When False a missing index is an error.

    Attributes
    ----------
    path : str
    sizes : dict of str to int
        Chromosome lengths in bp, in FASTA order.

    Raises
    ------
    InputError
        Missing file, a gzip (not bgzip) FASTA, a missing index that cannot or may not be built,
        a file pysam cannot read.
    """

    def __init__(self, path: str | os.PathLike, *, build_index: bool = True):
        import pysam

        p = os.fspath(path)
        if not os.path.exists(p):
            raise InputError(f"--genome {p}: no such file. Check the path (relative paths start at {os.getcwd()}).")
        kind = _compression(p)
        if kind == "gzip":
            raise InputError(
                f"--genome {p}: the file is gzip-compressed but not with bgzip, so it cannot be indexed "
                f"for random access. Recompress it: 'zcat {p} | bgzip > {p.removesuffix('.gz')}.gz' "
                f"(or gunzip it)."
            )
        need = [p + ".fai"] + ([p + ".gzi"] if kind == "bgzip" else [])
        missing = [q for q in need if not os.path.exists(q)]
        if missing:
            how = f"'samtools faidx {p}' (or in Python: import pysam; pysam.faidx({p!r}))"
            if not build_index:
                raise InputError(f"--genome {p}: no index ({', '.join(os.path.basename(q) for q in missing)}). "
                                 f"Build it with {how}.")
            if not os.access(os.path.dirname(os.path.abspath(p)) or ".", os.W_OK):
                raise InputError(f"--genome {p}: no index and its folder is not writable. Build the index "
                                 f"where you can write with {how}, or copy the FASTA to a writable folder.")
            log.info("%s: no index; building %s", p, ", ".join(os.path.basename(q) for q in missing))
            try:
                pysam.faidx(p)
            except Exception as err:  # pysam raises SamtoolsError with samtools' stderr
                msg = " ".join(str(err).split())[:200]
                raise InputError(f"--genome {p}: cannot index the FASTA ({msg}). Check that it is a FASTA "
                                 f"file with lines of equal length within each sequence.") from None
        try:
            self._fa = pysam.FastaFile(p)
        except (OSError, ValueError) as err:
            raise InputError(f"--genome {p}: cannot open as an indexed FASTA ({err}).") from None
        self.path = p
        self.sizes: dict[str, int] = dict(zip(self._fa.references, (int(v) for v in self._fa.lengths)))
        if not self.sizes:
            raise InputError(f"--genome {p}: the FASTA holds no sequences.")

    def fetch(self, chrom: str, start: int, end: int) -> bytes:
        """Upper-case bytes of ``chrom[start:end]`` (0-based, half-open); non-ACGT letters become N."""
        if chrom not in self.sizes:
            raise InputError(f"{self.path}: no chromosome {chrom!r}.")
        if start < 0 or end > self.sizes[chrom] or end <= start:
            raise InputError(f"{self.path}: window {chrom}:{start}-{end} is outside 0..{self.sizes[chrom]}.")
        s = self._fa.fetch(chrom, int(start), int(end))
        return s.encode("ascii", "replace").translate(_TO_ACGTN)

    def close(self) -> None:
        """Close the FASTA."""
        self._fa.close()

    def __enter__(self) -> "Genome":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def encode_windows(seqs: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """One-hot ``uint8 (N, L, 4)`` ACGT of equal-length upper-case ACGTN byte strings, and the
    number of N in each ``int64 (N,)``. N rows are all zero."""
    n = len(seqs)
    if n == 0:
        return np.zeros((0, 0, 4), np.uint8), np.zeros(0, np.int64)
    buf = np.frombuffer(b"".join(seqs), dtype=np.uint8).reshape(n, -1)
    x = np.zeros(buf.shape + (4,), dtype=np.uint8)
    for k, ch in enumerate(b"ACGT"):
        x[..., k] = buf == ch
    return x, (buf == ord("N")).sum(axis=1).astype(np.int64)
