"""Read and write motif files: MEME minimal motif format, JASPAR ``.jaspar`` and ``.pfm``.

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
  motif's ``background`` (uniform when absent).
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

import gzip
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, InputError
from .motif import ALPHABET, DEFAULT_NSITES, ROW_SUM_TOLERANCE, Motif, MotifError

__all__ = [
    "read_meme",
    "write_meme",
    "read_jaspar",
    "write_jaspar",
    "read_motifs",
    "write_motifs",
]

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


def _is_number(tok: str) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return True


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
        ``pwm`` the ``(W, 4)`` ACGT probability matrix, ``background`` the file's ``(4,)``
        background (uniform when absent), ``nsites`` the matrix's ``nsites=`` (``None`` when
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
            while i < n and lines[i].split() and _is_number(lines[i].split()[0]):
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
                    background=bg.copy(),
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
            if not _is_number(toks[0]):
                break  # the matrix ends at the first line that does not start with a number
            bad = next(t for t in toks if not _is_number(t))
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
    for k in np.flatnonzero(off > 1e-9) if off.max() > 1e-9 else ():
        pwm[k] = _check_row_sum(
            pwm[k], toks_rows[k], label=label, line=lineno + 1 + int(k),
            what=f"motif {name!r}: matrix row {k + 1}",
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


# ----------------------------------------------------------------------------------- MEME write
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


def write_meme(
    motifs: Motif | Iterable[Motif],
    path: PathLike | None = None,
    *,
    background: Any = None,
    version: str = "5",
    strands: str = "+ -",
    comments: Sequence[str] | str | None = None,
    decimals: int = 6,
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
    background : array_like, shape (4,), optional
        ACGT background for the file. By default the motifs' common background; an error when
        they differ (a MEME file holds one background).
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
        motifs with different backgrounds and no ``background=``, bad ``strands``/``decimals``.
    """
    ms = _as_motif_list(motifs)
    if strands not in ("+ -", "+", "-"):
        raise InputError(f"strands must be '+ -', '+' or '-'. Received: strands={strands!r}")
    if not isinstance(decimals, (int, np.integer)) or not 1 <= decimals <= 12:
        raise InputError(f"decimals must be an integer from 1 to 12. Received: decimals={decimals!r}")
    if background is None:
        bg = ms[0].background
        for m in ms[1:]:
            if not np.allclose(m.background, bg, atol=1e-9):
                raise InputError(
                    f"Motifs {ms[0].name!r} and {m.name!r} have different backgrounds, but a MEME "
                    "file holds one. Pass background=[pA, pC, pG, pT] (e.g. [0.25]*4) to choose it."
                )
    else:
        from .motif import validate_background

        bg = validate_background(background, name="background")
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


# ---------------------------------------------------------------------------------- JASPAR read
_JROW_RE = re.compile(r"^\s*([ACGTacgt])\s*[:|]?\s*\[?(.*?)\]?\s*$")


def read_jaspar(source: Any) -> list[Motif]:
    """Read count matrices from a JASPAR ``.jaspar`` or ``.pfm`` file.

    ``.jaspar``: one or more motifs, each a ``>MATRIX_ID NAME`` header line and four rows
    ``A [ 4 19 0 ... ]`` (letters in any order, brackets optional). ``.pfm``: four rows of
    counts in ACGT order without letters, optionally after a ``>`` header; without a header the
    motif is named after the file (``MA0004.1.pfm`` -> ``MA0004.1``).

    Parameters
    ----------
    source : str, os.PathLike or file-like
        A path (plain or gzip), the file's text (a string with newlines) or an open file.

    Returns
    -------
    list of Motif
        Built with :meth:`Motif.from_counts`: ``counts`` kept, ``pwm = counts / column total``,
        ``nsites`` the largest column total, uniform background, ``name`` the matrix id,
        ``alt_name`` the TF name.

    Raises
    ------
    FormatError
        With the file and line: rows that are not numeric, rows of unequal length, a motif
        without exactly 4 rows (A, C, G, T), repeated letters, negative counts, a position with
        no counts, duplicate ids, no motif.
    """
    text, label, stem = _read_source(source)
    return _parse_jaspar(text.splitlines(), label, stem)


def _parse_jaspar(lines: list[str], label: str, stem: str | None) -> list[Motif]:
    blocks: list[dict] = []
    cur: dict | None = None
    for k, raw in enumerate(lines):
        s = raw.strip()
        ln = k + 1
        if not s or s.startswith("#"):
            continue
        if s.startswith(">"):
            toks = s[1:].split()
            if not toks:
                raise FormatError(
                    "header line '>' without a matrix id. Write '>MA0004.1 Arnt'.",
                    path=label,
                    line=ln,
                )
            cur = {"name": toks[0], "alt": toks[1] if len(toks) > 1 else None, "line": ln, "rows": []}
            blocks.append(cur)
            continue
        if cur is None:
            cur = {"name": stem or "motif_1", "alt": None, "line": ln, "rows": []}
            blocks.append(cur)
        m = _JROW_RE.match(s)
        letter = None
        body = s
        if m:
            letter, body = m.group(1).upper(), m.group(2)
        body = body.replace("[", " ").replace("]", " ")
        toks = body.split()
        if not toks:
            raise FormatError(f"row {s!r} holds no counts.", path=label, line=ln)
        try:
            vals = np.array([float(t) for t in toks])
        except ValueError:
            bad = next(t for t in toks if not _is_number(t))
            raise FormatError(
                f"motif {cur['name']!r}: count {bad!r} is not a number. Rows look like "
                "'A [ 4 19 0 ]' (.jaspar) or '4 19 0' (.pfm).",
                path=label,
                line=ln,
            ) from None
        if not np.all(np.isfinite(vals)) or np.any(vals < 0):
            raise FormatError(
                f"motif {cur['name']!r}: counts must be finite and >= 0.", path=label, line=ln
            )
        if cur["rows"] and len(vals) != len(cur["rows"][0][2]):
            raise FormatError(
                f"motif {cur['name']!r}: this row has {len(vals)} counts but the first row has "
                f"{len(cur['rows'][0][2])}; all four rows need one count per position.",
                path=label,
                line=ln,
            )
        cur["rows"].append((ln, letter, vals))
    if not blocks:
        raise FormatError("no motifs found: the file has no count rows.", path=label)
    motifs: list[Motif] = []
    seen: dict[str, int] = {}
    for b in blocks:
        rows = b["rows"]
        if len(rows) != 4:
            raise FormatError(
                f"motif {b['name']!r} has {len(rows)} count rows; expected 4 (A, C, G, T).",
                path=label,
                line=b["line"],
            )
        letters = [r[1] for r in rows]
        if all(x is None for x in letters):
            order = list(ALPHABET)
        elif any(x is None for x in letters) or sorted(letters) != list(ALPHABET):
            raise FormatError(
                f"motif {b['name']!r}: rows are labelled {letters}; expected one row each for "
                "A, C, G and T.",
                path=label,
                line=b["line"],
            )
        else:
            order = letters
        counts = np.empty((len(rows[0][2]), 4))
        for (ln, _, vals), letter in zip(rows, order):
            counts[:, ALPHABET.index(letter)] = vals
        tot = counts.sum(axis=1)
        if np.any(tot <= 0):
            pos = int(np.flatnonzero(tot <= 0)[0])
            raise FormatError(
                f"motif {b['name']!r}: position {pos + 1} has no counts (all four are 0).",
                path=label,
                line=b["line"],
            )
        if b["name"] in seen:
            raise FormatError(
                f"duplicate motif id {b['name']!r} (first on line {seen[b['name']]}).",
                path=label,
                line=b["line"],
            )
        seen[b["name"]] = b["line"]
        try:
            motifs.append(Motif.from_counts(counts, name=b["name"], alt_name=b["alt"]))
        except MotifError as err:  # pragma: no cover - checked above
            raise FormatError(str(err), path=label, line=b["line"]) from None
    return motifs


# --------------------------------------------------------------------------------- JASPAR write
def _fmt_count(v: float) -> str:
    if abs(v - round(v)) < 1e-9:
        return str(int(round(v)))
    return f"{v:.10g}"


def write_jaspar(
    motifs: Motif | Iterable[Motif], path: PathLike | None = None, *, format: str | None = None
) -> str:
    """Write count matrices in JASPAR ``.jaspar`` or ``.pfm`` format.

    Parameters
    ----------
    motifs : Motif or iterable of Motif
        Motifs with unique single-word names. Motifs without ``counts`` are written as
        ``pwm * nsites`` (``nsites`` defaults to 20), which reads back to the same ``pwm``.
    path : str or os.PathLike, optional
        Output file (atomic write; ``.gz`` compresses). When omitted only the text is returned.
    format : {"jaspar", "pfm"}, optional
        ``"jaspar"``: ``>ID NAME`` then rows ``A [ ... ]``. ``"pfm"``: ``>ID NAME`` then four
        rows of counts without letters (JASPAR's .pfm download). Default: from the file
        extension, else ``"jaspar"``.

    Returns
    -------
    str
        The file's text.
    """
    ms = _as_motif_list(motifs)
    if format is None:
        format = "jaspar"
        if path is not None:
            name = Path(path).name.lower().removesuffix(".gz")
            if name.endswith(".pfm"):
                format = "pfm"
    if format not in ("jaspar", "pfm"):
        raise InputError(f"format must be 'jaspar' or 'pfm'. Received: format={format!r}")
    out: list[str] = []
    for m in ms:
        if m.counts is not None:
            c = m.counts
        else:
            c = m.pwm * float(m.nsites if m.nsites is not None else DEFAULT_NSITES)
        out.append(f">{m.name}" + (f"\t{m.alt_name}" if m.alt_name else ""))
        cols = [[_fmt_count(v) for v in c[:, j]] for j in range(4)]
        width = max(len(t) for col in cols for t in col)
        for j, col in enumerate(cols):
            body = " ".join(t.rjust(width) for t in col)
            out.append(f"{ALPHABET[j]}  [ {body} ]" if format == "jaspar" else body)
    text = "\n".join(out) + "\n"
    if path is not None:
        _write_text(text, path)
    return text


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
            head and all(not ln or ln.startswith("#") or _is_number(ln.split()[0].strip("[")) or
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
