"""Small HTML helpers of the report: escaping, badges, notes, notices, tables (no figures)."""
from __future__ import annotations

import functools
import html
import math
from typing import Any, Callable

import numpy as np

_CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;color:#1d2329;background:#f6f7f9;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:1.2em 1.6em 4em;background:#fff}
h1{font-size:1.7em;margin:.3em 0 .1em}h2{font-size:1.3em;border-bottom:2px solid #dfe3e8;padding-bottom:.2em;margin-top:2.2em}
h3{font-size:1.05em;margin:1.3em 0 .4em}
.sub{color:#5b6670;margin:0 0 1em}
nav ol{columns:2;font-size:.95em}
figure{margin:1em 0;text-align:center}figure img{max-width:100%;height:auto;border:1px solid #eceff2}
figcaption{font-size:.88em;color:#4a545d;margin-top:.3em}
table.tbl{border-collapse:collapse;font-size:.85em;margin:.6em 0;max-width:100%}
table.tbl th,table.tbl td{border:1px solid #dfe3e8;padding:.25em .5em;text-align:right}
table.tbl th{background:#f0f2f5}table.tbl td:first-child,table.tbl th:first-child{text-align:left}
.wrap{overflow-x:auto}
.note{border-left:4px solid #3b82c4;background:#eef5fb;padding:.5em .9em;margin:.7em 0;font-size:.92em}
.note.fix{border-color:#c47a3b;background:#fbf3ec}
.note b{display:block;margin-bottom:.15em}
.notice{border:1px dashed #b0b8c0;background:#fafbfc;padding:.7em 1em;color:#4a545d;margin:.8em 0}
.badge{display:inline-block;padding:.05em .55em;border-radius:.8em;font-size:.8em;font-weight:600;color:#fff}
.pass{background:#2e8b57}.fail{background:#c0392b}.warn{background:#d08b1a}.na{background:#8a949e}
.kv td{text-align:left}
footer{color:#6b757e;font-size:.85em;margin-top:3em}
"""


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _badge(state: str | None, text: str | None = None) -> str:
    """``state`` in pass / fail / warn / na (None)."""
    state = state or "na"
    label = text or {"pass": "PASS", "fail": "FAIL", "warn": "CHECK", "na": "n/a"}[state]
    return f'<span class="badge {state}">{_esc(label)}</span>'


def _notes(read: str, fix: str) -> str:
    return (f'<div class="note"><b>How to read this</b>{read}</div>'
            f'<div class="note fix"><b>If this check fails, do this</b>{fix}</div>')


def _section(read: str, fix: str) -> Callable[[Callable[[Any], str]], Callable[[Any], str]]:
    """Decorator of a report section: its notes (``read``: how to read it; ``fix``: what to do when
    its check fails) come first, then the HTML the function returns (figures, tables or a notice)."""
    def deco(fn: Callable[[Any], str]) -> Callable[[Any], str]:
        @functools.wraps(fn)
        def section(c: Any) -> str:
            return _notes(read, fix) + fn(c)

        return section

    return deco


def _notice(text: str) -> str:
    return f'<div class="notice">{text}</div>'


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(float(v)):
            return "–"
        f = float(v)
        if f != 0 and (abs(f) < 1e-3 or abs(f) >= 1e5):
            return f"{f:.2e}"
        return f"{f:.3f}".rstrip("0").rstrip(".") if abs(f) < 1000 else f"{f:.0f}"
    return str(v)


def _table(df, *, columns: list[str] | None = None, max_rows: int | None = None, raw: set[str] | None = None) -> str:
    """A DataFrame as an HTML table (escaped cells, compact numbers); ``raw`` columns hold HTML."""
    raw = raw or set()
    if df is None or len(df) == 0:
        return _notice("(empty table)")
    cols = [c for c in (columns or list(df.columns)) if c in df.columns]
    rows = df.head(max_rows) if max_rows else df
    head = "".join(f"<th>{_esc(c)}</th>" for c in cols)
    body = []
    for _, r in rows.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if c in raw:
                cells.append(f"<td>{v}</td>")
            else:
                if not isinstance(v, (list, dict, str)) and v is not None:
                    try:
                        if isinstance(v, float) and not math.isfinite(v):
                            v = float("nan")
                    except TypeError:
                        pass
                cells.append(f"<td>{_esc(_fmt(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if max_rows and len(df) > max_rows:
        more = f'<p class="sub">Showing {max_rows} of {len(df)} rows.</p>'
    return f'<div class="wrap"><table class="tbl"><tr>{head}</tr>{"".join(body)}</table></div>{more}'


def _kv(pairs: list[tuple[str, Any]]) -> str:
    rows = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(_fmt(v))}</td></tr>" for k, v in pairs)
    return f'<table class="tbl kv">{rows}</table>'
