"""Shared pieces of the motif file readers and writers: opening a path, bytes or text,
row-sum checks with the printed precision, number formatting and atomic text output."""
from __future__ import annotations

import gzip
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, InputError
from .motif import ROW_SUM_TOLERANCE, Motif

PathLike = str | os.PathLike
_KV_RE = re.compile(r"([A-Za-z_][\w-]*)\s*=\s*(\S+)")
_TEXT_LABEL = "<text>"
#: Rows off 1 by at most their printed precision (and at most this) are renormalised silently.
_MAX_SILENT_SLACK = 0.002


# ---------------------------------------------------------------------------------------- input
def _read_source(source: Any) -> tuple[str, str, str | None]:
    """Return ``(text, label, stem)`` for a path, a text string or a file-like object.

    ``label`` names the source in error messages; ``stem`` is the file name without its
    extensions (``None`` for text).
    """
    if hasattr(source, "read"):
        data = source.read()
        name = getattr(source, "name", None)
        label = str(name) if isinstance(name, str) else "<stream>"
        if isinstance(data, bytes):
            data = _decode(data, label)
        return data, label, _stem(label) if name else None
    if isinstance(source, bytes):
        source = source.decode()
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        return source, _TEXT_LABEL, None
    if not isinstance(source, (str, os.PathLike)):
        raise InputError(
            "Expected a file path (str or pathlib.Path), the file's text (a string with newlines) "
            f"or an open file. Received {type(source).__name__}."
        )
    path = Path(source)
    label = str(path)
    if not path.exists():
        raise InputError(f"{label}: no such file. Check the path (relative paths start at {os.getcwd()}).")
    if path.is_dir():
        raise InputError(f"{label}: is a directory, not a motif file.")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise FormatError(f"corrupt gzip data ({err}).", path=label) from None
    return _decode(raw, label), label, _stem(label)


def _decode(raw: bytes, label: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _stem(label: str) -> str:
    name = Path(label).name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    stem = Path(name).stem
    return stem or name


def _rounding_slack(tokens: Sequence[str]) -> float:
    """Largest amount by which printed values can miss their true sum through rounding."""
    slack = 0.0
    for t in tokens:
        mant, _, exp = t.lower().partition("e")
        if "." not in mant:
            if not exp:
                continue  # an integer such as 0 or 1 is taken as exact
            decimals = 0
        else:
            decimals = len(mant.split(".", 1)[1])
        shift = int(exp) if exp and exp.lstrip("+-").isdigit() else 0
        slack += 0.5 * 10.0 ** (shift - decimals)
    # Capped: values printed with 1 or 2 decimals could in theory hide large errors.
    return min(slack, _MAX_SILENT_SLACK) + 1e-9


def _check_row_sum(row: np.ndarray, tokens: Sequence[str], *, label: str, line: int, what: str) -> np.ndarray:
    s = float(row.sum())
    off = abs(s - 1.0)
    if off <= _rounding_slack(tokens):
        return row / s if s > 0 else row
    if off <= ROW_SUM_TOLERANCE:
        warnings.warn(
            f"{label}, line {line}: {what} sums to {s:.6g}, not 1; renormalised.",
            stacklevel=4,
        )
        return row / s
    raise FormatError(
        f"{what} sums to {s:.6g}, not 1 (values: {' '.join(tokens)}). Each row of a "
        "letter-probability matrix must hold the 4 probabilities of A, C, G, T at one position "
        "and sum to 1; count matrices belong in .jaspar/.pfm files.",
        path=label,
        line=line,
    )


# ------------------------------------------------------------------------------------ output
def _round_rows(p: np.ndarray, decimals: int) -> np.ndarray:
    """Round each row to ``decimals`` so that the printed values sum to exactly 1.

    Largest-remainder rounding: every value moves by less than ``10**-decimals``.
    """
    scale = 10**decimals
    x = p * scale
    fl = np.floor(x + 1e-9)
    rem = x - fl
    short = np.rint(scale - fl.sum(axis=1)).astype(np.int64)
    order = np.argsort(-rem, axis=1, kind="stable")
    out = fl.copy()
    for r in range(p.shape[0]):
        k = int(short[r])
        if k > 0:
            out[r, order[r, :k]] += 1
        elif k < 0:  # only from float noise: take units from the smallest non-zero remainders
            for c in order[r, ::-1]:
                if k == 0:
                    break
                if out[r, c] > 0:
                    out[r, c] -= 1
                    k += 1
    return out.astype(np.int64)


def _fmt_rows(p: np.ndarray, decimals: int, sep: str = "  ") -> list[str]:
    ints = _round_rows(np.atleast_2d(p), decimals)
    scale = 10**decimals
    out = []
    for row in ints:
        out.append(sep.join(f"{v // scale}.{v % scale:0{decimals}d}" for v in row))
    return out


def _check_token(value: str | None, what: str, motif_name: str) -> None:
    if value is not None and (not value or any(c.isspace() for c in value)):
        suggestion = re.sub(r"\s+", "_", value.strip())
        raise InputError(
            f"Motif {motif_name!r}: the {what} {value!r} contains white space; MEME and JASPAR "
            f"files need a single word. Rename it (e.g. {suggestion!r})."
        )


def _as_motif_list(motifs: Any) -> list[Motif]:
    if isinstance(motifs, Motif):
        return [motifs]
    try:
        out = list(motifs)
    except TypeError:
        raise InputError(
            f"motifs must be a Motif or a list of Motif objects. Received {type(motifs).__name__}."
        ) from None
    for k, m in enumerate(out):
        if not isinstance(m, Motif):
            raise InputError(
                f"motifs[{k}] is a {type(m).__name__}, not a Motif. Build motifs with "
                "kgenint.motifs.Motif(name, pwm) or Motif.from_counts."
            )
    if not out:
        raise InputError("No motifs to write: the motif list is empty.")
    names = [m.name for m in out]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise InputError(
            f"Motif names must be unique in a file; repeated: {', '.join(dup[:10])}. Rename them "
            "(e.g. motif.copy(name=...))."
        )
    for m in out:
        _check_token(m.name, "name", m.name)
        _check_token(m.alt_name, "alt_name", m.name)
    return out


def _write_text(text: str, path: PathLike, overwrite: bool = True) -> None:
    """Write ``text`` to ``path`` atomically (temporary file + ``os.replace``); ``.gz`` compresses."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"{path}: the folder {parent} does not exist. Create it first.")
    from .._io import atomic_path

    data = text.encode("utf-8")
    if path.name.lower().endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    with atomic_path(path, overwrite=overwrite) as tmp, open(tmp, "wb") as fh:
        fh.write(data)


