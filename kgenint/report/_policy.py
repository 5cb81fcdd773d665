"""Pass/fail policy of the report: the project's goals and the badges of each planted rule."""
from __future__ import annotations

import math

from ._html import _badge, _fmt

__all__ = ["GOALS", "_rule_checks"]

#: Targets of the interaction scans against the planted truth (the issue's goals).
GOALS = {
    "pair_auroc": 0.95,  # ranking of planted interacting pairs above the others
    "spacing_bp": 2.0,  # best distance within this many bp of the planted spacing
    "q_threshold": 0.05,  # a pair is "called" when its q-value is below this
}



def _rule_checks(row: dict) -> dict[str, str]:
    """Per planted rule: detection / spacing / orientation badges (HTML)."""
    called = bool(row.get("called", False))
    kind = str(row.get("kind", ""))
    out = {}
    if kind == "additive":
        out["detected"] = _badge("fail" if called else "pass", "called (should not be)" if called else "not called")
        out["spacing"] = _badge(None)
        out["orientation"] = _badge(None)
        return out
    out["detected"] = _badge("pass" if called else "fail", "called" if called else "missed")
    try:
        lo, hi = (int(v) for v in str(row.get("planted_distance", "")).replace("..", " ").split())
    except ValueError:
        lo, hi = -10**9, 10**9
    err = row.get("spacing_error_bp")
    err = float(err) if err is not None and not (isinstance(err, float) and math.isnan(err)) else None
    if hi - lo <= 2 * GOALS["spacing_bp"] + 1 and called and err is not None:
        out["spacing"] = _badge("pass" if err <= GOALS["spacing_bp"] else "fail", f"{_fmt(err)} bp off")
    elif hi - lo <= 2 * GOALS["spacing_bp"] + 1:
        out["spacing"] = _badge("fail", "not called")
    else:
        out["spacing"] = _badge(None, "any spacing")
    orients = str(row.get("planted_orientations", ""))
    if len([o for o in orients.split(",") if o]) < 4:
        ok = row.get("orientation_ok")
        if called and ok is not None and not (isinstance(ok, float) and math.isnan(ok)):
            out["orientation"] = _badge("pass" if bool(ok) else "fail", f"{row.get('best_orientation')}")
        else:
            out["orientation"] = _badge("fail", "not called")
    else:
        out["orientation"] = _badge(None, "any orientation")
    return out
