"""Letter glyphs as outline paths that fill a box exactly.

A glyph is the outline of a character in a bold sans-serif font (DejaVu Sans Bold, which ships
with matplotlib, so output is the same on every machine), normalised once so that its exact
extent -- curves included, not the Bezier control points -- is the unit square.  Placing a letter
is then one affine map, and the drawn letter's extent *is* the box it was given: a letter of
height 2 bits spans exactly 2 units on the y axis.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.font_manager import FontProperties
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D

__all__ = ["FONT", "unit_glyph", "glyph_path"]

#: Font of the logo letters.
FONT = FontProperties(family="DejaVu Sans", weight="bold")


@lru_cache(maxsize=128)
def unit_glyph(char: str) -> Path:
    """Outline of ``char`` scaled and shifted so that its extent is exactly ``[0, 1] x [0, 1]``."""
    if len(char) != 1 or char.isspace():
        raise ValueError(f"a glyph is one visible character. Received: {char!r}")
    tp = TextPath((0, 0), char, size=1, prop=FONT)
    ext = tp.get_extents()
    tr = Affine2D().translate(-ext.x0, -ext.y0).scale(1.0 / ext.width, 1.0 / ext.height)
    return tr.transform_path(tp)


def glyph_path(char: str, x0: float, y0: float, width: float, height: float, *, flip: bool = False) -> Path:
    """Glyph of ``char`` filling the box ``[x0, x0 + width] x [y0, y0 + height]`` (data units).

    ``flip=True`` draws the letter upside down in the same box.
    """
    unit = unit_glyph(char)
    v = np.asarray(unit.vertices) * (width, -height if flip else height)  # stubs: ArrayLike
    v += (x0, y0 + height if flip else y0)
    return Path(v, unit.codes)
