"""Training HDF5 from FASTA files (positives + negatives, or a FASTA + a labels TSV), and the
reverse: the windows of a data HDF5 written as FASTA.

The HDF5 layout is described in :mod:`kgenint.data.build`.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from typing import Any, Iterator

import numpy as np

from .._alphabet import ALLOWED, HINTS, LETTER_CODES, N_CODE, describe_char
from .._validate import is_number
from ..errors import FormatError, InputError
from ._common import DataSummary, _atomic_h5, _check_fraction, _check_length, _log_split, _write_common, _XWriter, random_split
from .genome import encode_windows

__all__ = ["build_from_fasta", "read_labels_tsv", "write_windows_fasta"]

log = logging.getLogger("kgenint")


# ---------------------------------------------------------------------------- FASTA (+ labels)
def _iter_fasta(path: str, what: str) -> Iterator[tuple[str, bytes, int]]:
    """Stream ``(id, upper-case ACGTN bytes, header line)`` from a FASTA file (plain or gzip)."""
    import gzip

    from .genome import _TO_ACGTN

    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    opener = gzip.open if gz else open
    rid, head_ln = None, 0
    parts: list[bytes] = []
    seen_any = False
    with opener(path, "rb") as fh:
        for ln, raw in enumerate(fh, start=1):
            s = raw.rstrip(b"\r\n")
            if s.startswith(b">"):
                if rid is not None:
                    yield rid, b"".join(parts).translate(_TO_ACGTN), head_ln
                name = s[1:].split()
                if not name:
                    raise FormatError("a FASTA header ('>') without a sequence id.", path=path, line=ln)
                rid, head_ln, parts = name[0].decode("utf-8", "replace"), ln, []
                seen_any = True
            elif s.strip():
                if rid is None:
                    raise FormatError(f"sequence letters before the first '>' header; is {what} a FASTA file?",
                                      path=path, line=ln)
                s = s.strip()
                bad = np.flatnonzero(LETTER_CODES[np.frombuffer(s, dtype=np.uint8)] > N_CODE)
                if bad.size:  # the one letter policy (kgenint._alphabet): its hint and allowed letters
                    code = int(LETTER_CODES[s[bad[0]]])
                    raise FormatError(f"record {rid!r} holds {describe_char(chr(s[bad[0]]), True)}, which is not "
                                      f"a DNA letter.{HINTS.get(code, '')}{ALLOWED}", path=path, line=ln)
                parts.append(s)
    if rid is not None:
        yield rid, b"".join(parts).translate(_TO_ACGTN), head_ln
    if not seen_any:
        raise FormatError("the file holds no FASTA records ('>' header lines).", path=path)


def read_labels_tsv(path: str | os.PathLike) -> tuple[list[str], dict[str, tuple[np.ndarray, int]]]:
    """Read a labels TSV: a header ``id<TAB>name1<TAB>name2...`` then one row per sequence.

    Returns
    -------
    columns : list of str
        Label column names (the header without its first field).
    rows : dict of str to (float64 (T,), line)
        Values and the 1-based line of each id.

    Raises
    ------
    FormatError
        Empty file, no label column, wrong field count, non-numeric values, repeated ids (file
        and line).
    """
    p = os.fspath(path)
    if not os.path.exists(p):
        raise InputError(f"--labels {p}: no such file. Check the path (relative paths start at {os.getcwd()}).")
    cols: list[str] | None = None
    rows: dict[str, tuple[np.ndarray, int]] = {}
    with open(p, encoding="utf-8", errors="replace") as fh:
        for ln, raw in enumerate(fh, start=1):
            s = raw.rstrip("\r\n")
            if not s.strip() or s.startswith("#"):
                continue
            f = s.split("\t")
            if cols is None:
                if len(f) < 2:
                    raise FormatError("the header needs an id column and at least one label column, "
                                      "separated by tabs (e.g. 'id<TAB>bound').", path=p, line=ln)
                cols = [c.strip() for c in f[1:]]
                if all(is_number(v) for v in cols):  # a first row of numbers is data, not a header
                    raise FormatError("the first line must be a header ('id<TAB>name ...'); it holds numbers.",
                                      path=p, line=ln)
                continue
            if len(f) != len(cols) + 1:
                raise FormatError(f"expected {len(cols) + 1} tab-separated fields (id and {len(cols)} label(s)), "
                                  f"found {len(f)}.", path=p, line=ln)
            rid = f[0].strip()
            if rid in rows:
                raise FormatError(f"id {rid!r} is listed twice (first on line {rows[rid][1]}).", path=p, line=ln)
            try:
                v = np.array([float(x) for x in f[1:]], dtype=np.float64)
            except ValueError:
                raise FormatError(f"labels of {rid!r} must be numbers; found {f[1:]}.", path=p, line=ln) from None
            if not np.all(np.isfinite(v)):
                raise FormatError(f"labels of {rid!r} must be finite numbers; found {f[1:]}.", path=p, line=ln)
            rows[rid] = (v, ln)
    if cols is None or not rows:
        raise FormatError("the labels file is empty: it needs a header 'id<TAB>name ...' and one row per "
                          "sequence.", path=p)
    return cols, rows


def build_from_fasta(
    fasta: str | os.PathLike,
    out: str | os.PathLike,
    *,
    negatives: str | os.PathLike | None = None,
    labels: str | os.PathLike | None = None,
    length: int | None = None,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    chunk_size: int = 4096,
    seed: Any = 0,
    overwrite: bool = False,
    progress: bool = True,
) -> DataSummary:
    """Training HDF5 from a FASTA of positives and a FASTA of negatives, or a FASTA and a labels TSV.

    Parameters
    ----------
    fasta : path
        FASTA (plain or gzip). All records must have one length, or give ``length``: longer
        records are cut to their central ``length`` bp (shorter ones are an error).
    out : path
        Output HDF5 (layout in the module docstring; no ``/intervals``).
    negatives : path or "shuffle", optional
        FASTA of negatives (label 0; ``fasta`` records get 1), or ``"shuffle"`` for one
        dinucleotide shuffle of each record. Default: ``"shuffle"`` when ``labels`` is not given.
    labels : path, optional
        TSV with a header ``id<TAB>name ...`` and one row per FASTA id; columns of 0/1 only
        become ``/y/class``, anything else ``/y/continuous``. Every FASTA id must have a row.
    length : int, optional
    valid_fraction, test_fraction : float
        Seeded random split.
    chunk_size : int
        Records per HDF5 write.
    seed : int or numpy.random.Generator
    overwrite : bool
    progress : bool

    Returns
    -------
    DataSummary

    Raises
    ------
    InputError
        Both ``negatives`` and ``labels``, empty or malformed files, repeated ids, unequal lengths,
        FASTA ids without a label row (file and line in each message).
    """
    fa = os.fspath(fasta)
    if not os.path.exists(fa):
        raise InputError(f"--fasta {fa}: no such file. Check the path (relative paths start at {os.getcwd()}).")
    if negatives is not None and labels is not None:
        raise InputError("give either negatives (a FASTA of negatives) or labels (a TSV), not both.")
    if negatives is None and labels is None:
        negatives = "shuffle"
    L = None if length is None else _check_length(length)
    vfrac = _check_fraction(valid_fraction, "valid_fraction")
    tfrac = _check_fraction(test_fraction, "test_fraction")
    if vfrac + tfrac >= 1:
        raise InputError(f"valid_fraction + test_fraction must be < 1. Received: {vfrac} + {tfrac}")
    chunk = int(chunk_size)
    if chunk < 1:
        raise InputError(f"chunk_size must be >= 1. Received: {chunk_size!r}")
    rng = np.random.default_rng(seed)
    cols, lab = (None, None)
    if labels is not None:
        cols, lab = read_labels_tsv(labels)
    files: list[tuple[str, int]] = [(fa, 1)]
    neg_kind = None
    if negatives is not None:
        if os.fspath(negatives) == "shuffle":
            neg_kind = "shuffle"
        else:
            neg_kind = "fasta"
            nf = os.fspath(negatives)
            if not os.path.exists(nf):
                raise InputError(f"--negatives {nf}: no such file (give a FASTA of negatives or 'shuffle').")
            files.append((nf, 0))
    ids: list[str] = []
    ylist: list[Any] = []
    seen: dict[str, tuple[str, int]] = {}
    with _atomic_h5(os.fspath(out), overwrite) as f:
        xw: _XWriter | None = None
        buf: list[bytes] = []

        def flush() -> None:
            if buf:
                assert xw is not None  # buf fills only after xw is made
                xw.append(encode_windows(buf)[0])
                buf.clear()

        for path, cls in files:
            what = "--fasta" if cls == 1 else "--negatives"
            for rid, seq, ln in _iter_fasta(path, what):
                if rid in seen:
                    raise FormatError(f"sequence id {rid!r} appears twice (first in {seen[rid][0]} line "
                                      f"{seen[rid][1]}); ids must be unique.", path=path, line=ln)
                seen[rid] = (path, ln)
                if L is None:
                    L = len(seq)
                if len(seq) < L or (length is None and len(seq) != L):
                    raise FormatError(f"record {rid!r} has {len(seq)} bp but the first record has {L} bp; "
                                      f"all sequences must have one length (or give --length to cut longer "
                                      f"ones to their centre).", path=path, line=ln)
                if len(seq) > L:
                    a = (len(seq) - L) // 2
                    seq = seq[a : a + L]
                if xw is None:
                    xw = _XWriter(f, L)
                if lab is not None:
                    if rid not in lab:
                        raise FormatError(f"sequence {rid!r} has no row in the labels file {labels}.",
                                          path=path, line=ln)
                    ylist.append(lab[rid][0])
                else:
                    ylist.append(cls)
                ids.append(rid)
                buf.append(seq)
                if len(buf) >= chunk:
                    flush()
        if xw is None:
            raise FormatError("the file holds no sequences.", path=fa)
        assert L is not None  # set with xw, by the first record
        flush()
        n_first = xw.n
        if neg_kind == "shuffle":
            from ..sequence.shuffle import dinucleotide_shuffle

            for a in range(0, n_first, chunk):
                b = min(n_first, a + chunk)
                sh = dinucleotide_shuffle(xw.ds[a:b].astype(np.float32), 1, seed=rng)[:, 0]
                xw.append(sh.astype(np.uint8))
            ids += [f"shuffle:{i}" for i in ids[:n_first]]
            ylist += [0] * n_first
        n = xw.n
        gy = f.create_group("y")
        tasks: list[str] = []
        targets: list[str] = []
        y: np.ndarray | None
        if lab is None:
            y = np.asarray(ylist, dtype=np.uint8)[:, None]
            d = gy.create_dataset("class", data=y)
            tasks = [os.path.basename(fa).split(".")[0] or "positive"]
            d.attrs["tasks"] = json.dumps(tasks)
            n_pos, n_neg = int(y.sum()), int(n - y.sum())
        else:
            assert cols is not None  # read together with lab
            yv = np.vstack(ylist)
            binary = np.all((yv == 0) | (yv == 1), axis=0)
            if binary.any():
                tasks = [c for c, b in zip(cols, binary) if b]
                d = gy.create_dataset("class", data=yv[:, binary].astype(np.uint8))
                d.attrs["tasks"] = json.dumps(tasks)
            if (~binary).any():
                targets = [c for c, b in zip(cols, binary) if not b]
                d = gy.create_dataset("continuous", data=yv[:, ~binary].astype(np.float32))
                d.attrs["targets"] = json.dumps(targets)
            y = yv[:, binary] if binary.any() else None
            n_pos = int((y.max(axis=1) > 0).sum()) if y is not None else 0
            n_neg = n - n_pos if y is not None else 0
            missing = len(lab) - len(ids)
            if missing > 0:
                log.warning("%s: %d labelled id(s) have no sequence in %s", labels, missing, fa)
        split = random_split(n, valid_fraction=vfrac, test_fraction=tfrac, seed=rng)
        source = {"fasta": os.path.abspath(fa), "negatives": None if negatives is None else (
            "shuffle" if neg_kind == "shuffle" else os.path.abspath(os.fspath(negatives))),
            "labels": None if labels is None else os.path.abspath(os.fspath(labels)),
            "seed": seed if isinstance(seed, int) else None}
        _write_common(f, length=L, split=split, ids=ids, source=source)
        if progress:
            log.info("%d sequences of %d bp (%d positive, %d negative)", n, L, n_pos, n_neg)
            _log_split(split, None if y is None else np.asarray(y).reshape(n, -1))
    return DataSummary(path=os.fspath(out), n=n, n_positive=n_pos, n_negative=n_neg, length=int(L), tasks=tasks,
                       targets=targets, split_sizes={k: int(v.size) for k, v in split.items()}, skipped={})


def write_windows_fasta(data: str | os.PathLike, out: str | os.PathLike, *, split: str | None = None,
                        overwrite: bool = False, chunk_size: int = 4096) -> int:
    """Write the sequences of a data HDF5 as FASTA named by ``/sequence_ids``.

    Genome windows keep their ids (``chrom:start-end(strand)``), so motif hits found in the FASTA
    (``kgenint scan``) map back to the genome with :func:`kgenint.data.to_genome` or ``kgenint bed``.
    All-zero rows are written as ``N``. Streams ``/x`` in chunks; the file is renamed into place
    at the end.

    Parameters
    ----------
    data : path
        HDF5 with ``/x`` (N, L, 4) and optionally ``/sequence_ids`` and ``/split/<split>``.
    out : path
        Output FASTA.
    split : str, optional
        Write only the rows of ``/split/<split>``.
    overwrite : bool
    chunk_size : int

    Returns
    -------
    int
        Records written.
    """
    import h5py

    p, o = os.fspath(data), os.fspath(out)
    if os.path.exists(o) and not overwrite:
        raise InputError(f"{o} exists; choose another name or pass --overwrite.")
    with h5py.File(p, "r") as f:
        if "x" not in f:
            raise FormatError("has no /x dataset.", path=p)
        n = int(f["x"].shape[0])
        ids = f["sequence_ids"].asstr()[()].tolist() if "sequence_ids" in f else [f"seq_{i}" for i in range(n)]
        if split is None:
            rows = np.arange(n)
        elif "split" in f and split in f["split"]:
            rows = np.sort(f["split"][split][()].astype(np.int64))
        else:
            raise InputError(f"{p}: has no split {split!r}.")
        letters = np.frombuffer(b"ACGTN", dtype=np.uint8)
        d = os.path.dirname(os.path.abspath(o))
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(o)}.", suffix=".tmp", dir=d)
        try:
            with os.fdopen(fd, "w") as fh:
                for a in range(0, rows.size, chunk_size):
                    r = rows[a : a + chunk_size]
                    x = f["x"][int(r[0]) : int(r[-1]) + 1][r - r[0]]
                    code = np.where(x.sum(-1) == 0, 4, x.argmax(-1))
                    for i, row in zip(r, letters[code]):
                        fh.write(f">{ids[i]}\n{row.tobytes().decode()}\n")
            um = os.umask(0)
            os.umask(um)
            os.chmod(tmp, 0o666 & ~um)
            os.replace(tmp, o)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    return int(rows.size)