"""The MEME minimal motif format: :func:`read_meme` and :func:`write_meme`.

(Just over 600 lines on purpose: one format's reader, its section parsers and its writer, with
the rules both follow written once below; the text helpers shared with JASPAR are in
``_textio.py``.)

MEME minimal format (what JASPAR, HOCOMOCO and the MEME suite export)::

    MEME version 5

    ALPHABET= ACGT

    strands: + -

    Background letter frequencies
    A 0.25 C 0.25 G 0.25 T 0.25

    MOTIF MA0004.1 Arnt
    letter-probability matrix: alength= 4 w= 6 nsites= 20 E= 0
     0.200000  0.800000  0.000000  0.000000
     ...
    URL https://jaspar.elixir.no/matrix/MA0004.1/

What the reader accepts
-----------------------
* ``MEME version`` must come before the first ``MOTIF`` line (the MEME suite requires it).
* ``ALPHABET= ACGT`` or a MEME 5 ``ALPHABET "..." DNA-LIKE`` block whose core letters are A, C,
  G, T; any other alphabet (RNA, protein) is an error.
* The ``Background letter frequencies`` may be on one or several lines; it becomes every
  motif's ``bg_freqs`` (uniform when absent).
* ``MOTIF identifier [alternate name]``: the identifier becomes :attr:`Motif.name` and the
  alternate name :attr:`Motif.alt_name`; further words (MEME's ``width = ...`` summary) are
  ignored.
* After ``letter-probability matrix:`` every ``key= value`` pair is optional: ``w`` is the
  number of rows found, ``alength`` must be 4 when given, ``nsites`` (left ``None`` when absent;
  scoring then uses MEME's default of 20) and ``E`` (kept in ``metadata["evalue"]``). Rows are
  read until a blank or non-numeric line.
* Rows whose sum is off 1 by no more than their printed precision explains (and by at most
  0.002) are renormalised silently; rows off by at most 0.02 are renormalised with a warning
  naming the file and line; others are an error.
* ``URL`` lines give :attr:`Motif.url`. Lines starting with ``#`` and any other text outside a
  matrix are ignored (MEME's full text output has many such sections).

Every parse error is a :class:`~kgenint.errors.FormatError` whose message starts with the file
and the 1-based line number.

Where the writer puts comments
------------------------------
Some readers reject text before the ``MEME version`` line, and a line starting with ``MOTIF``
or ``letter`` anywhere confuses simple readers (memelite). :func:`write_meme` therefore writes
``comments`` as ``# ``-prefixed lines after the background block and before the first ``MOTIF``:
the place where MEME's own text output has its free-text sections.
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .._deprecation import renamed_args
from ..errors import FormatError, InputError
from .motif import ALPHABET, DEFAULT_NSITES, ROW_SUM_TOLERANCE, Motif, MotifError
from .._validate import is_number
from ._textio import (
    PathLike,
    _KV_RE,
    _as_motif_list,
    _check_row_sum,
    _fmt_rows,
    _read_source,
    _write_text,
)

__all__ = ["read_meme", "write_meme"]


# ------------------------------------------------------------------------------------ MEME read
def read_meme(source: Any) -> list[Motif]:
    """Read motifs from a MEME minimal motif format file.

    Parameters
    ----------
    source : str, os.PathLike or file-like
        A path (plain or gzip-compressed, detected from the content), the file's text (any
        string containing a newline), or an open file.

    Returns
    -------
    list of Motif
        In file order. ``name`` is the MOTIF identifier, ``alt_name`` the alternate name,
        ``pwm`` the ``(W, 4)`` ACGT probability matrix, ``bg_freqs`` the file's ``(4,)``
        background letter frequencies (uniform when absent), ``nsites`` the matrix's ``nsites=`` (``None`` when
        absent), ``url`` the URL line; ``metadata`` may hold ``"evalue"`` (str) and
        ``"strands"`` (str).

    Raises
    ------
    FormatError
        With the file and the 1-based line: missing ``MEME version`` line, unsupported
        alphabet, bad background, malformed ``MOTIF`` line, duplicate identifier, a row with a
        wrong number of columns or a non-numeric or negative value, ``w=`` not matching the
        rows found, rows not summing to 1, a motif without a matrix, no motif at all.
    InputError
        The path does not exist.

    Examples
    --------
    >>> text = '''MEME version 5
    ...
    ... MOTIF ap1 AP-1
    ... letter-probability matrix:
    ... 0 0 0 1
    ... 0 0 1 0
    ... 1 0 0 0
    ... '''
    >>> m = read_meme(text)[0]
    >>> m.name, m.alt_name, m.consensus, m.nsites
    ('ap1', 'AP-1', 'TGA', None)
    """
    text, label, _ = _read_source(source)
    return _parse_meme(text.splitlines(), label)


def _parse_meme(lines: list[str], label: str) -> list[Motif]:
    version_line: int | None = None
    background: np.ndarray | None = None
    strands: str | None = None
    records: list[dict] = []
    seen: dict[str, int] = {}
    cur: dict | None = None
    n = len(lines)
    i = 0

    def finish(rec: dict | None) -> None:
        if rec is not None and rec["pwm"] is None:
            raise FormatError(
                f"motif {rec['name']!r} has no 'letter-probability matrix:' section. Every MOTIF "
                "line must be followed by a 'letter-probability matrix:' line and its rows.",
                path=label,
                line=rec["line"],
            )

    while i < n:
        s = lines[i].strip()
        lineno = i + 1
        if not s or s.startswith("#"):
            i += 1
            continue
        first = s.split(None, 1)[0]
        if s.startswith("MEME version"):
            if version_line is None:
                version_line = lineno
            i += 1
            continue
        if first.startswith("ALPHABET") and cur is None:
            i = _parse_alphabet(lines, i, label)
            continue
        if first == "strands:" and cur is None:
            strands = _parse_strands(s, label, lineno)
            i += 1
            continue
        if s.startswith("Background letter frequencies") and cur is None:
            background, i = _parse_background(lines, i, label)
            continue
        if first == "MOTIF":
            if version_line is None:
                raise FormatError(
                    "found a MOTIF line before any 'MEME version' line; this is not a MEME motif "
                    "file or its header is missing. Add the line 'MEME version 5' at the top.",
                    path=label,
                    line=lineno,
                )
            finish(cur)
            tokens = s.split()
            if len(tokens) < 2:
                raise FormatError(
                    "MOTIF line without an identifier. Write 'MOTIF <identifier> [alternate name]'.",
                    path=label,
                    line=lineno,
                )
            name = tokens[1]
            if name in seen:
                raise FormatError(
                    f"duplicate motif identifier {name!r} (first defined on line {seen[name]}). "
                    "Motif identifiers must be unique within a file; rename one of them.",
                    path=label,
                    line=lineno,
                )
            seen[name] = lineno
            alt = tokens[2] if len(tokens) > 2 and "=" not in tokens[2] else None
            cur = {"name": name, "alt": alt, "line": lineno, "pwm": None, "nsites": None,
                   "evalue": None, "url": None}
            records.append(cur)
            i += 1
            continue
        if s.startswith("letter-probability matrix"):
            if cur is None:
                raise FormatError(
                    "'letter-probability matrix:' line before any MOTIF line. Put "
                    "'MOTIF <identifier>' on the line above it.",
                    path=label,
                    line=lineno,
                )
            if cur["pwm"] is not None:
                raise FormatError(
                    f"motif {cur['name']!r} (line {cur['line']}) has a second "
                    "'letter-probability matrix:'; start a new motif with a MOTIF line.",
                    path=label,
                    line=lineno,
                )
            i = _parse_lpm(lines, i, label, cur)
            continue
        if s.startswith("log-odds matrix"):
            i += 1
            while i < n and lines[i].split() and is_number(lines[i].split()[0]):
                i += 1
            continue
        if first == "URL" and cur is not None:
            parts = s.split(None, 1)
            cur["url"] = parts[1] if len(parts) > 1 else None
            i += 1
            continue
        i += 1  # free text (MEME's full output has many sections): ignored

    finish(cur)
    if not records:
        if version_line is None:
            hint = " It has no 'MEME version' line either: is it a MEME motif file?"
        else:
            hint = ""
        raise FormatError(
            f"no motifs found: the file ({n} lines) has no 'MOTIF' line.{hint}", path=label
        )
    bg = background if background is not None else np.full(4, 0.25)
    motifs = []
    for rec in records:
        meta: dict[str, Any] = {}
        if rec["evalue"] is not None:
            meta["evalue"] = rec["evalue"]
        if strands is not None:
            meta["strands"] = strands
        try:
            motifs.append(
                Motif(
                    name=rec["name"],
                    pwm=rec["pwm"],
                    alt_name=rec["alt"],
                    nsites=rec["nsites"],
                    bg_freqs=bg.copy(),
                    url=rec["url"],
                    metadata=meta,
                )
            )
        except MotifError as err:  # pragma: no cover - the parser checks these first
            raise FormatError(str(err), path=label, line=rec["line"]) from None
    return motifs


def _parse_alphabet(lines: list[str], i: int, label: str) -> int:
    s = lines[i].strip()
    lineno = i + 1
    if s.startswith("ALPHABET="):
        letters = s[len("ALPHABET="):].strip()
        if letters.upper() != "ACGT":
            raise FormatError(
                f"unsupported alphabet {letters!r}: kgenint works with DNA motifs over ACGT only "
                "(RNA 'ACGU' and protein alphabets are not supported). Convert the motifs to DNA "
                "and write 'ALPHABET= ACGT'.",
                path=label,
                line=lineno,
            )
        return i + 1
    # MEME 5 custom alphabet block: ALPHABET "name" [RNA-LIKE|DNA-LIKE|PROTEIN-LIKE] ... END ALPHABET
    header = s
    if "PROTEIN-LIKE" in header.upper() or "RNA-LIKE" in header.upper():
        raise FormatError(
            f"unsupported alphabet ({header!r}): only DNA (ACGT) motifs are supported.",
            path=label,
            line=lineno,
        )
    core: list[str] = []
    j = i + 1
    while j < len(lines):
        t = lines[j].strip()
        if t.upper().startswith("END ALPHABET"):
            break
        if t and not t.startswith("#"):
            toks = t.split()
            if "=" not in toks:
                core.append(toks[0])
                if "~" in toks:
                    k = toks.index("~")
                    if k + 1 < len(toks):
                        core.append(toks[k + 1])
        j += 1
    else:
        raise FormatError(
            "ALPHABET block without 'END ALPHABET' line.", path=label, line=lineno
        )
    if sorted(c.upper() for c in core) != list(ALPHABET):
        raise FormatError(
            f"unsupported alphabet with core letters {''.join(core)!r}: only DNA (A, C, G, T) "
            "motifs are supported.",
            path=label,
            line=lineno,
        )
    return j + 1


def _parse_strands(s: str, label: str, lineno: int) -> str:
    toks = s.split()[1:]
    if not toks or any(t not in ("+", "-") for t in toks):
        raise FormatError(
            f"bad strands line {s!r}: expected 'strands: + -', 'strands: +' or 'strands: -'.",
            path=label,
            line=lineno,
        )
    return " ".join(toks)


def _parse_background(lines: list[str], i: int, label: str) -> tuple[np.ndarray, int]:
    head = lines[i].strip()
    lineno = i + 1
    rest = head[len("Background letter frequencies"):]
    rest = re.sub(r"\(.*?\)", " ", rest).strip().lstrip(":").strip()
    values: dict[str, float] = {}
    tokens: list[str] = []

    def take(toks: list[str], ln: int) -> None:
        if len(toks) % 2:
            raise FormatError(
                "background frequencies must be letter/value pairs such as "
                f"'A 0.3 C 0.2 G 0.2 T 0.3'. Received {' '.join(toks)!r}.",
                path=label,
                line=ln,
            )
        for k in range(0, len(toks), 2):
            letter, val = toks[k].upper(), toks[k + 1]
            if letter not in ALPHABET:
                raise FormatError(
                    f"background letter {toks[k]!r} is not one of A, C, G, T.", path=label, line=ln
                )
            if letter in values:
                raise FormatError(
                    f"background letter {letter} is given twice.", path=label, line=ln
                )
            try:
                v = float(val)
            except ValueError:
                raise FormatError(
                    f"background frequency of {letter} is not a number: {val!r}.", path=label, line=ln
                ) from None
            if not np.isfinite(v) or v <= 0:
                raise FormatError(
                    f"background frequency of {letter} must be > 0. Received {val}.",
                    path=label,
                    line=ln,
                )
            values[letter] = v
            tokens.append(val)

    if rest:
        take(rest.split(), lineno)
    j = i + 1
    last = lineno
    while len(values) < 4 and j < len(lines):
        t = lines[j].strip()
        if not t and not values:
            j += 1
            continue
        toks = t.split()
        if not toks or toks[0].upper() not in ALPHABET or len(toks[0]) != 1:
            break
        take(toks, j + 1)
        last = j + 1
        j += 1
    if len(values) < 4:
        missing = [b for b in ALPHABET if b not in values]
        raise FormatError(
            f"background letter frequencies are incomplete: missing {', '.join(missing)}. "
            "Give one value per base, e.g. 'A 0.25 C 0.25 G 0.25 T 0.25'.",
            path=label,
            line=lineno,
        )
    bg = np.array([values[b] for b in ALPHABET])
    s = float(bg.sum())
    if abs(s - 1) > ROW_SUM_TOLERANCE:
        raise FormatError(
            f"background letter frequencies sum to {s:.6g}, not 1.", path=label, line=last
        )
    return bg / s, j


def _parse_lpm(lines: list[str], i: int, label: str, rec: dict) -> int:
    s = lines[i].strip()
    lineno = i + 1
    kv = dict(_KV_RE.findall(s.split(":", 1)[1] if ":" in s else s[len("letter-probability matrix"):]))
    name = rec["name"]

    def num(key: str, kind: type) -> Any:
        if key not in kv:
            return None
        try:
            v = float(kv[key])
        except ValueError:
            raise FormatError(
                f"motif {name!r}: {key}= must be a number. Received {kv[key]!r}.",
                path=label,
                line=lineno,
            ) from None
        if kind is int:
            if not np.isfinite(v) or v != int(v):
                raise FormatError(
                    f"motif {name!r}: {key}= must be a whole number. Received {kv[key]!r}.",
                    path=label,
                    line=lineno,
                )
            return int(v)
        return v

    alength = num("alength", int)
    if alength is not None and alength != 4:
        raise FormatError(
            f"motif {name!r}: alength= {alength}, but only 4-letter DNA motifs (ACGT) are supported.",
            path=label,
            line=lineno,
        )
    w = num("w", int)
    if w is not None and w <= 0:
        raise FormatError(
            f"motif {name!r}: w= must be > 0. Received {w}.", path=label, line=lineno
        )
    nsites = num("nsites", float)
    if nsites is not None:
        if not np.isfinite(nsites) or nsites <= 0:
            warnings.warn(
                f"{label}, line {lineno}: motif {name!r} has nsites= {kv['nsites']}; ignored "
                f"(scoring uses the default of {DEFAULT_NSITES}).",
                stacklevel=4,
            )
            nsites = None
        else:
            nsites = max(1, int(round(nsites)))
    if "E" in kv:
        rec["evalue"] = kv["E"]
    toks_rows: list[list[str]] = []
    vals_rows: list[list[float]] = []
    j = i + 1
    while j < len(lines):
        toks = lines[j].split()
        if not toks:
            break
        try:
            vals = [float(t) for t in toks]
        except ValueError:
            if not is_number(toks[0]):
                break  # the matrix ends at the first line that does not start with a number
            bad = next(t for t in toks if not is_number(t))
            raise FormatError(
                f"motif {name!r}: matrix row {len(vals_rows) + 1} has a non-numeric value {bad!r}.",
                path=label,
                line=j + 1,
            ) from None
        if len(vals) != 4:
            raise FormatError(
                f"motif {name!r}: matrix row {len(vals_rows) + 1} has {len(vals)} values; "
                "expected 4 (probabilities of A, C, G, T).",
                path=label,
                line=j + 1,
            )
        toks_rows.append(toks)
        vals_rows.append(vals)
        j += 1
    if not vals_rows:
        raise FormatError(
            f"motif {name!r}: no matrix rows after 'letter-probability matrix:' (rows must "
            "follow on the next lines, 4 numbers each, without a blank line in between).",
            path=label,
            line=lineno,
        )
    pwm = np.array(vals_rows)
    finite = np.isfinite(pwm).all(axis=1)
    if not finite.all():  # checked row by row only when something is wrong
        k = int(np.flatnonzero(~finite)[0])
        raise FormatError(
            f"motif {name!r}: matrix row {k + 1} has a non-finite value.",
            path=label,
            line=lineno + 1 + k,
        )
    if pwm.min() < 0:
        neg = (pwm < 0).any(axis=1)
        k = int(np.flatnonzero(neg)[0])
        raise FormatError(
            f"motif {name!r}: matrix row {k + 1} has a negative probability "
            f"{pwm[k][pwm[k] < 0][0]:g}.",
            path=label,
            line=lineno + 1 + k,
        )
    off = np.abs(pwm.sum(axis=1) - 1.0)
    for row in np.flatnonzero(off > 1e-9) if off.max() > 1e-9 else ():
        pwm[row] = _check_row_sum(
            pwm[row], toks_rows[row], label=label, line=lineno + 1 + int(row),
            what=f"motif {name!r}: matrix row {row + 1}",
        )
    if w is not None and w != len(toks_rows):
        raise FormatError(
            f"motif {name!r}: the matrix header declares w= {w} but {len(toks_rows)} rows follow "
            f"(lines {lineno + 1}-{lineno + len(toks_rows)}). Fix w= or the rows.",
            path=label,
            line=lineno,
        )
    rec["pwm"] = pwm
    rec["nsites"] = nsites
    return j


def write_meme(
    motifs: Motif | Iterable[Motif],
    path: PathLike | None = None,
    *,
    bg_freqs: Any = None,
    version: str = "5",
    strands: str = "+ -",
    comments: Sequence[str] | str | None = None,
    decimals: int = 6,
    **deprecated: Any,
) -> str:
    """Write motifs in MEME minimal motif format.

    Parameters
    ----------
    motifs : Motif or iterable of Motif
        Motifs to write; names must be unique single words (the MOTIF identifier), alt names
        single words too.
    path : str or os.PathLike, optional
        Output file, written atomically (temporary file, then ``os.replace``); a name ending in
        ``.gz`` is gzip-compressed. When omitted only the text is returned.
    bg_freqs : array_like, shape (4,), optional
        ACGT letter frequencies for the file's "Background letter frequencies" line. By default
        the motifs' common ``bg_freqs``; an error when they differ (a MEME file holds one
        background). (Old name: ``background``.)
    version : str
        Written as ``MEME version <version>``.
    strands : str
        ``"+ -"`` (default), ``"+"`` or ``"-"``.
    comments : str or sequence of str, optional
        Free text (licence, provenance ...) written as ``# `` lines between the background and
        the first motif, where MEME readers ignore it.
    decimals : int
        Decimals of the probabilities (default 6, as JASPAR). Rows are rounded so that the
        printed values sum to exactly 1, so every value is within ``10**-decimals`` of the
        original.

    Returns
    -------
    str
        The file's text.

    Raises
    ------
    InputError
        Empty list, objects that are not Motifs, duplicate names, names with white space,
        motifs with different backgrounds and no ``bg_freqs=``, bad ``strands``/``decimals``.
    """
    if deprecated:
        bg_freqs = renamed_args("write_meme", deprecated, {"background": "bg_freqs"},
                                {"bg_freqs": bg_freqs}, {"bg_freqs": None})["bg_freqs"]
    ms = _as_motif_list(motifs)
    if strands not in ("+ -", "+", "-"):
        raise InputError(f"strands must be '+ -', '+' or '-'. Received: strands={strands!r}")
    if not isinstance(decimals, (int, np.integer)) or not 1 <= decimals <= 12:
        raise InputError(f"decimals must be an integer from 1 to 12. Received: decimals={decimals!r}")
    if bg_freqs is None:
        bg = ms[0]._bg
        for m in ms[1:]:
            if not np.allclose(m._bg, bg, atol=1e-9):
                raise InputError(
                    f"Motifs {ms[0].name!r} and {m.name!r} have different backgrounds, but a MEME "
                    "file holds one. Pass bg_freqs=[pA, pC, pG, pT] (e.g. [0.25]*4) to choose it."
                )
    else:
        from .motif import validate_background

        bg = validate_background(bg_freqs, name="bg_freqs")
    out = [f"MEME version {version}", "", "ALPHABET= ACGT", "", f"strands: {strands}", "",
           "Background letter frequencies"]
    bgv = _fmt_rows(bg[None, :], decimals, sep=" ")[0].split()
    out.append(" ".join(f"{b} {v}" for b, v in zip(ALPHABET, bgv)))
    out.append("")
    if comments:
        if isinstance(comments, str):
            comments = [comments]
        for c in comments:
            for ln in str(c).splitlines() or [""]:
                out.append(f"# {ln}".rstrip())
        out.append("")
    for m in ms:
        out.append(f"MOTIF {m.name}" + (f" {m.alt_name}" if m.alt_name else ""))
        head = f"letter-probability matrix: alength= 4 w= {m.width}"
        if m.nsites is not None:
            head += f" nsites= {int(m.nsites)}"
        ev = m.metadata.get("evalue") if isinstance(m.metadata, dict) else None
        if ev is not None:
            head += f" E= {ev}"
        out.append(head)
        out.extend(" " + r for r in _fmt_rows(m.pwm, decimals))
        if m.url:
            out.append(f"URL {m.url}")
        out.append("")
    text = "\n".join(out)
    if path is not None:
        _write_text(text, path)
    return text


