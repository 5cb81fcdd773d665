"""Shared readers for the command line stages: sequences, labels, groups and motifs from files.

Sequences come from a FASTA file (plain or gzip) or a kgenint/user HDF5 file with ``/x``
``(N, L, 4)`` (as written by ``kgenint simulate``; optional ``/sequence_ids``, ``/y/class`` or
``/y``, ``/split/<name>``). Every error names the file and says how to fix it. Nothing here
imports TensorFlow.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from .errors import FormatError, InputError

__all__ = [
    "SequenceSet",
    "is_hdf5",
    "open_onehot_hdf5",
    "read_sequences",
    "read_motif_file",
    "read_groups_tsv",
    "class_groups",
    "check_model_length",
    "load_keras_model",
    "check_attribution_file",
    "decode_error",
]

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


@dataclass
class SequenceSet:
    """Sequences read from a file.

    Attributes
    ----------
    x : float32 (N, L, 4)
        One-hot sequences, ACGT order.
    ids : list of str, length N
        Sequence names (FASTA ids or ``/sequence_ids``).
    index : int64 (N,)
        Rows of the source file the sequences were taken from (after ``--split`` and
        ``--max-seqs``).
    path : str
        The file read.
    kind : {"fasta", "hdf5"}
    y_class : uint8 (N, T) or None
        ``/y/class`` (or an integer/binary ``/y``) rows for ``index``; None for FASTA.
    """

    x: np.ndarray
    ids: list[str]
    index: np.ndarray
    path: str
    kind: str
    y_class: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def length(self) -> int:
        """Sequence length L (positions)."""
        return int(self.x.shape[1])


def _check_file(path: str | os.PathLike, what: str) -> str:
    p = os.fspath(path)
    if not os.path.exists(p):
        raise InputError(f"{what} {p}: no such file. Check the path (relative paths start at {os.getcwd()}).")
    if os.path.isdir(p):
        raise InputError(f"{what} {p}: is a directory, not a file.")
    return p


def is_hdf5(path: str | os.PathLike) -> bool:
    """True when the file starts with the HDF5 signature (any extension)."""
    with open(os.fspath(path), "rb") as fh:
        return fh.read(8) == _HDF5_MAGIC


@contextmanager
def open_onehot_hdf5(path: str, needs: str = "one-hot sequences of shape (N, L, 4)"):
    """Open an HDF5 file for reading and check that it has a ``/x`` dataset; yields the open file.

    Raises ``FormatError`` naming the file when it cannot be opened as HDF5 or has no ``/x``
    dataset (``needs``: what the file should hold, for that message).
    """
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise FormatError(f"not an HDF5 file, or a damaged one ({err}).", path=path) from None
    with f:
        if "x" not in f or not isinstance(f["x"], h5py.Dataset):
            raise FormatError(f"no '/x' dataset: {needs}.", path=path)
        yield f


def _rows(n: int, split: str | None, max_seqs: int | None, split_index: np.ndarray | None,
          path: str, splits: list[str]) -> np.ndarray:
    if split is not None:
        if split_index is None:
            have = ", ".join(splits) if splits else "none"
            raise InputError(
                f"{path}: has no split {split!r} (/split/{split}); splits in the file: {have}. "
                f"Drop --split to use every sequence."
            )
        idx = np.asarray(split_index, dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise FormatError(f"/split/{split} holds row numbers outside 0..{n - 1}.", path=path)
    else:
        idx = np.arange(n, dtype=np.int64)
    if max_seqs is not None:
        if int(max_seqs) < 1:
            raise InputError(f"--max-seqs must be >= 1. Received: {max_seqs}")
        idx = idx[: int(max_seqs)]
    if idx.size == 0:
        raise InputError(f"{path}: no sequences selected (split {split!r} is empty).")
    return idx


def read_sequences(path: str | os.PathLike, *, split: str | None = None, max_seqs: int | None = None,
                   what: str = "--data") -> SequenceSet:
    """Read one-hot sequences from FASTA or HDF5.

    Parameters
    ----------
    path : str or os.PathLike
        FASTA (plain or gzip; all records the same length) or HDF5 with ``/x`` (N, L, 4).
    split : str, optional
        HDF5 only: keep the rows listed in ``/split/<split>`` (e.g. ``test``).
    max_seqs : int, optional
        Keep the first this many sequences (after ``split``).
    what : str
        Option name used in messages (e.g. ``--data``).

    Returns
    -------
    SequenceSet

    Raises
    ------
    InputError
        Missing file, unequal FASTA lengths or bad letters (record id and line), an HDF5 file
        without ``/x`` or with a wrong shape, an unknown split, non-one-hot values.
    """
    from ._validate import check_onehot

    p = _check_file(path, what)
    if is_hdf5(p):
        import h5py

        with open_onehot_hdf5(p) as f:
            dx = f["x"]
            if dx.ndim != 3 or dx.shape[2] != 4:
                raise FormatError(f"/x must have shape (N, L, 4); it has shape {dx.shape}.", path=p)
            n = int(dx.shape[0])
            splits: list[str] = sorted(f["split"].keys()) if "split" in f else []
            sidx = f["split"][split][()] if split is not None and split in splits else None
            idx = _rows(n, split, max_seqs, sidx, p, splits)
            order = np.argsort(idx, kind="stable")
            sorted_idx = idx[order]
            uniq, inv = np.unique(sorted_idx, return_inverse=True)
            if uniq.size == n:
                block = dx[()]
            elif uniq.size and uniq[-1] - uniq[0] + 1 == uniq.size:
                block = dx[int(uniq[0]) : int(uniq[-1]) + 1]
            else:
                block = dx[uniq]
            x = np.empty((idx.size, dx.shape[1], 4), dtype=np.float32)
            x[order] = np.asarray(block, dtype=np.float32)[inv]
            if "sequence_ids" in f:
                all_ids = f["sequence_ids"].asstr()[()]
                if len(all_ids) != n:
                    raise FormatError(f"/sequence_ids has {len(all_ids)} entries for {n} sequences.", path=p)
                ids = [str(all_ids[i]) for i in idx]
            else:
                ids = [f"seq_{i}" for i in idx]
            y = None
            if "y" in f:
                node = f["y"]
                if isinstance(node, h5py.Group):
                    y = node["class"][()] if "class" in node else None
                else:
                    arr = node[()]
                    if arr.dtype.kind in "biu" or np.isin(arr, (0, 1)).all():
                        y = arr
                if y is not None:
                    y = np.asarray(y)
                    if y.ndim == 1:
                        y = y[:, None]
                    if y.shape[0] != n:
                        raise FormatError(f"/y has {y.shape[0]} rows but /x has {n} sequences.", path=p)
                    y = y[idx]
        x = check_onehot(x, f"{p} /x")
        return SequenceSet(x=x, ids=ids, index=idx, path=p, kind="hdf5", y_class=y)
    from .sequence import read_fasta

    recs = read_fasta(p)
    lengths = {len(s) for s in recs.sequences}
    if len(lengths) > 1:
        lens = [len(s) for s in recs.sequences]
        first = lens[0]
        j = next(i for i, v in enumerate(lens) if v != first)
        raise FormatError(
            f"sequences must all have the same length: {recs.ids[0]!r} has {first} bp but "
            f"{recs.ids[j]!r} (line {recs.header_lines[j]}) has {lens[j]} bp. Trim or pad them to one "
            f"length (the model's input length).",
            path=p,
        )
    splits = []
    if split is not None:
        raise InputError(f"--split {split} needs an HDF5 data file; {p} is FASTA. Drop --split.")
    idx = _rows(len(recs), None, max_seqs, None, p, splits)
    x = recs.one_hot()[idx]
    return SequenceSet(x=np.ascontiguousarray(x, dtype=np.float32), ids=[recs.ids[i] for i in idx],
                       index=idx, path=p, kind="fasta")


def read_motif_file(path: str | os.PathLike, *, what: str = "--motifs", unique_names: bool = True) -> list:
    """Motifs from a MEME or JASPAR file (format from the extension, else the content).

    Parameters
    ----------
    path : str or os.PathLike
    what : str
        Option name used in messages.
    unique_names : bool
        Reject files where two motifs share a name (results are keyed by name).

    Returns
    -------
    list of Motif

    Raises
    ------
    InputError
        Missing file, parse errors (file and line), no motifs, duplicate names.
    """
    from .motifs.io import read_motifs

    p = _check_file(path, what)
    motifs = read_motifs(p)
    if not motifs:
        raise InputError(f"{what} {p}: the file holds no motifs.")
    if unique_names:
        seen: dict[str, int] = {}
        for m in motifs:
            seen[m.name] = seen.get(m.name, 0) + 1
        dup = sorted(k for k, v in seen.items() if v > 1)
        if dup:
            raise InputError(f"{what} {p}: motif names must be unique; repeated: {', '.join(dup[:5])}. "
                             f"Rename them in the file.")
    return motifs


def decode_error(err: UnicodeDecodeError, path: str | os.PathLike, line: int | None = None) -> FormatError:
    """A :class:`FormatError` for a text input that is not UTF-8 (says what the file probably is)."""
    head = b""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        pass
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(head) > 3 and head[1:4:2] == b"\x00\x00"):
        what = "it is UTF-16 text (a spreadsheet's 'Unicode text' export); save it as UTF-8 text"
    elif b"\x00" in head or head.startswith((b"\x89HDF", b"PK\x03\x04", b"\x1f\x8b", b"\x93NUMPY")):
        what = "it looks like a binary file (HDF5, zip, gzip or numpy?), not text; check that it is the right file"
    else:
        what = f"byte 0x{err.object[err.start]:02x} is not UTF-8; save the file as UTF-8 text"
    return FormatError(f"not UTF-8 text: {what}.", path=os.fspath(path), line=line)


def read_groups_tsv(path: str | os.PathLike, *, what: str = "--groups") -> tuple[list[str], np.ndarray]:
    """A two-column TSV ``sequence_name<TAB>group`` (group 1/0, or -1 to leave out).

    A first line whose second field is not a number is taken as a header. ``#`` lines and blank
    lines are skipped. Group values ``1``/``0``/``-1`` or the words ``pos``/``positive``/``neg``/
    ``negative`` (case-insensitive) are accepted.

    Returns
    -------
    names : list of str (S,)
    groups : int64 (S,)

    Raises
    ------
    FormatError
        Wrong number of fields, unknown group values, repeated names (file and line).
    """
    words = {"1": 1, "0": 0, "-1": -1, "pos": 1, "positive": 1, "neg": 0, "negative": 0, "true": 1, "false": 0}
    p = _check_file(path, what)
    names: list[str] = []
    groups: list[int] = []
    seen: dict[str, int] = {}
    try:
        return _read_groups(p, words, names, groups, seen)
    except UnicodeDecodeError as err:
        raise decode_error(err, p, len(names) + 1 if not names else None) from None


def _read_groups(p, words, names, groups, seen):
    with open(p, encoding="utf-8") as fh:
        first = True
        for ln, line in enumerate(fh, start=1):
            s = line.rstrip("\r\n")
            if not s.strip() or s.startswith("#"):
                continue
            f = s.split("\t")
            if len(f) != 2:
                raise FormatError(f"expected 2 tab-separated fields (sequence_name, group), found {len(f)}.",
                                  path=p, line=ln)
            key = f[1].strip().lower()
            if first and key not in words:
                first = False
                continue  # header
            first = False
            if key not in words:
                try:
                    v = float(key)
                except ValueError:
                    v = None
                if v is None or v not in (0.0, 1.0, -1.0):
                    raise FormatError(f"group {f[1]!r} is not 1, 0 or -1 (or pos/neg).", path=p, line=ln)
                g = int(v)
            else:
                g = words[key]
            name = f[0].strip()
            if name in seen:
                raise FormatError(f"sequence {name!r} is listed twice (first on line {seen[name]}).", path=p, line=ln)
            seen[name] = ln
            names.append(name)
            groups.append(g)
    if not names:
        raise FormatError("no sequence_name<TAB>group rows found.", path=p)
    return names, np.asarray(groups, dtype=np.int64)


def class_groups(seqs: SequenceSet, column: int = 0) -> np.ndarray:
    """Groups (1/0) from the data set's class labels ``/y/class[:, column]``.

    Raises
    ------
    InputError
        The file has no class labels, the column is out of range, or labels are not 0/1.
    """
    if seqs.y_class is None:
        raise InputError(
            f"{seqs.path}: has no class labels (/y/class); give --groups as a TSV file "
            f"'sequence_name<TAB>group' instead."
        )
    y = seqs.y_class
    if not 0 <= column < y.shape[1]:
        raise InputError(f"{seqs.path}: /y/class has {y.shape[1]} column(s); received column {column}.")
    g = np.asarray(y[:, column])
    if not np.isin(g, (0, 1)).all():
        raise InputError(f"{seqs.path}: /y/class column {column} holds values other than 0 and 1.")
    return g.astype(np.int64)


def check_model_length(x: np.ndarray, model_length: int | None, path: str, model_path: str) -> None:
    """Raise when the sequences' length differs from the model's input length."""
    if model_length is not None and int(x.shape[1]) != int(model_length):
        raise InputError(
            f"{path}: sequences are {x.shape[1]} bp but the model {model_path} takes {model_length} bp. "
            f"Use sequences of the model's input length."
        )


def load_keras_model(path: str | os.PathLike, *, what: str = "--model"):
    """Load a ``.keras`` model (kgenint layers registered); returns ``(model, input_length)``.

    ``input_length`` is None for models that accept any length.

    Raises
    ------
    InputError
        Missing file, a file Keras cannot read, a model that does not take ``(N, L, 4)`` input.
    """
    p = _check_file(path, what)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from .keras import load_model

    try:
        model = load_model(p, compile=False)
    except InputError:
        raise
    except Exception as err:  # keras raises ValueError/OSError/zipfile errors for bad files
        msg = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(f"{what} {p}: cannot load as a Keras 3 model ({msg[:200]}). "
                         f"Give a .keras file saved with model.save().") from None
    shape = tuple(model.inputs[0].shape) if getattr(model, "inputs", None) else None
    if shape is None or len(shape) != 3 or shape[-1] != 4:
        raise InputError(f"{what} {p}: the model must take one-hot DNA of shape (N, L, 4); its input is {shape}.")
    return model, (None if shape[1] is None else int(shape[1]))


def check_attribution_file(path: str | os.PathLike, f=None) -> None:
    """Refuse an unfinished or inconsistent attribution file with a message saying what to rerun.

    Raises
    ------
    InputError
        ``path`` is a ``.partial`` checkpoint, is not a kgenint attribution file, or has a chunk
        not marked done or a ``done`` array that does not match its ``chunk_size``.
    """
    import h5py

    path = os.fspath(path)
    if path.endswith(".partial") or path.endswith(".partial.h5"):
        raise InputError(f"{path} is the checkpoint of an unfinished 'kgenint attribute' run; run the same "
                         f"command again to finish it and use {path[:-len('.partial')]} instead.")
    if f is None:
        try:
            with h5py.File(path, "r") as fh:
                return check_attribution_file(path, fh)
        except (OSError, KeyError, ValueError, RuntimeError, TypeError) as err:
            if isinstance(err, InputError):
                raise
            raise InputError(f"{path}: cannot open as HDF5, or the file is damaged ({err}).") from None
    try:
        fmt = f.attrs.get("kgenint_format")
    except (OSError, KeyError, ValueError, RuntimeError, TypeError) as err:
        raise InputError(f"{path}: the file is damaged ({err}).") from None
    if fmt != "attributions":
        raise InputError(f"{path}: not a kgenint attribution file (run 'kgenint attribute').")
    try:
        done = f["done"][()]
        n = f["contributions"].shape[0]
        cs = int(f.attrs["chunk_size"])
    except (KeyError, OSError, ValueError, RuntimeError, TypeError) as err:
        raise InputError(f"{path}: incomplete or damaged attribution file ({err}); run 'kgenint attribute' "
                         f"again.") from None
    if len(done) != -(-n // max(cs, 1)) or not np.asarray(done, bool).all():
        raise InputError(f"{path}: the attribution run did not finish ({int(np.sum(done))} of {len(done)} chunks "
                         f"done); run the same 'kgenint attribute' command again to resume.")
