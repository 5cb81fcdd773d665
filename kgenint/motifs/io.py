"""Read and write motif files: MEME minimal motif format, JASPAR ``.jaspar`` and ``.pfm``.

The formats live in :mod:`kgenint.motifs.meme` and :mod:`kgenint.motifs.jaspar` (shared pieces in
:mod:`kgenint.motifs._textio`); this module chooses the format (:func:`read_motifs`,
:func:`write_motifs`) and keeps every name importable from its old place.

What each reader accepts and where the MEME writer puts comments: :mod:`kgenint.motifs.meme`.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import FormatError, InputError
from .motif import Motif
from .._validate import is_number
from ._textio import (  # noqa: F401
    PathLike,
    _KV_RE,
    _MAX_SILENT_SLACK,
    _TEXT_LABEL,
    _as_motif_list,
    _check_row_sum,
    _check_token,
    _decode,
    _fmt_rows,
    _read_source,
    _round_rows,
    _rounding_slack,
    _stem,
    _write_text,
)
from .jaspar import _JROW_RE, _parse_jaspar, read_jaspar, write_jaspar  # noqa: F401
from .meme import (  # noqa: F401
    _parse_alphabet,
    _parse_background,
    _parse_lpm,
    _parse_meme,
    _parse_strands,
    read_meme,
    write_meme,
)

__all__ = [
    "read_meme",
    "write_meme",
    "read_jaspar",
    "write_jaspar",
    "read_motifs",
    "write_motifs",
]


# ------------------------------------------------------------------------------------- dispatch
_FORMATS = ("meme", "jaspar", "pfm")


def _format_from_name(name: str, *, writing: bool = False) -> str | None:
    """Format named by a file extension (``.gz`` ignored); ``None`` when it does not say.

    ``.txt`` means MEME when writing; when reading it is decided from the content, because
    JASPAR distributes both ``*_meme.txt`` and ``*_jaspar.txt`` files.
    """
    n = name.lower().removesuffix(".gz")
    if n.endswith(".jaspar"):
        return "jaspar"
    if n.endswith(".pfm"):
        return "pfm"
    if n.endswith(".meme") or (writing and n.endswith(".txt")):
        return "meme"
    return None


def read_motifs(source: Any, *, format: str | None = None) -> list[Motif]:
    """Read a motif file in any supported format.

    Parameters
    ----------
    source : str, os.PathLike or file-like
        Path (plain or ``.gz``), text, or open file.
    format : {"meme", "jaspar", "pfm"}, optional
        Default: from the extension (``.meme`` MEME, ``.jaspar``, ``.pfm``, each optionally
        ``.gz``), else (``.txt`` and anything else) from the content: a ``MEME version`` line
        means MEME, a ``>`` header or rows of numbers mean JASPAR.

    Returns
    -------
    list of Motif
    """
    if format is not None and format not in _FORMATS:
        raise InputError(f"format must be one of {_FORMATS}. Received: format={format!r}")
    text, label, stem = _read_source(source)
    if format is None and label not in (_TEXT_LABEL, "<stream>"):
        format = _format_from_name(label)
    lines = text.splitlines()
    if format is None:
        head = [ln.strip() for ln in lines[:2000]]
        if any(ln.startswith("MEME version") for ln in head):
            format = "meme"
        elif any(ln.startswith(">") for ln in head) or (
            head and all(not ln or ln.startswith("#") or is_number(ln.split()[0].strip("[")) or
                         _JROW_RE.match(ln) for ln in head)
        ):
            format = "jaspar"
        else:
            raise FormatError(
                "cannot tell the motif format: no 'MEME version' line (MEME) and no '>' header "
                "or count rows (JASPAR). Supported: MEME minimal format (.meme, .txt), JASPAR "
                "(.jaspar, .pfm); pass format= to choose.",
                path=label,
            )
    if format == "meme":
        return _parse_meme(lines, label)
    return _parse_jaspar(lines, label, stem)


def write_motifs(
    motifs: Motif | Iterable[Motif], path: PathLike, *, format: str | None = None, **kwargs: Any
) -> str:
    """Write motifs to ``path`` in the format its extension names.

    ``.meme``/``.txt`` (optionally ``.gz``) -> :func:`write_meme`, ``.jaspar`` or ``.pfm`` ->
    :func:`write_jaspar`; ``format=`` overrides. ``kwargs`` go to the writer.

    Returns
    -------
    str
        The file's text.
    """
    if format is None:
        format = _format_from_name(Path(path).name, writing=True)
        if format is None:
            raise InputError(
                f"{path}: cannot tell the motif format from the extension. Use .meme or .txt "
                "(MEME), .jaspar or .pfm (JASPAR), or pass format='meme'|'jaspar'|'pfm'."
            )
    if format not in _FORMATS:
        raise InputError(f"format must be one of {_FORMATS}. Received: format={format!r}")
    if format == "meme":
        return write_meme(motifs, path, **kwargs)
    return write_jaspar(motifs, path, format=format, **kwargs)
