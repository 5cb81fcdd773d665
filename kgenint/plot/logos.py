"""Sequence logos: motifs, contribution matrices, motif pairs and attribution tracks.

(Just over 600 lines on purpose: the four logo figures share one letter-stacking, axis-styling
and colour code and the conventions below; the glyph outlines are in ``_glyphs.py``.)

Reading the figures
-------------------
* ``kind="information"``: a stack per position whose total height is the position's information
  content in bits, ``IC_i = sum_b p_ib log2(p_ib / bg_b)`` (relative to the background); each
  letter's height is ``p_ib * IC_i``.  With a uniform background the axis tops out at 2 bits.
* ``kind="probability"``: letter heights are the probabilities (each stack is 1 high).
* ``kind="weight"``: signed heights (contribution weight matrices, attributions, log-odds).
  Positive values stack upward from 0, negative values downward; on both sides the smallest
  magnitude sits next to the zero line and the largest is outermost.

Letters are stacked smallest at the bottom, largest on top; ties keep A, C, G, T order.

Design choices
--------------
* Our own code, not logomaker.  logomaker (installed here as a dependency of modisco-lite) also
  draws glyph paths and would serve, but it would become a run-time dependency of kgenint, wants
  pandas DataFrames as input, and works through pyplot.  A logo is a few dozen lines on top of
  :mod:`kgenint.plot._glyphs`, and owning them gives exact, testable geometry: every letter is
  one ``PathPatch`` whose extent is exactly its box (a one-hot column is a letter exactly 2 bits
  high), the stacking and sign conventions above, and the TOMTOM alignment of motif pairs.
* Letters are outline paths of DejaVu Sans Bold (shipped with matplotlib), never scaled text, so
  SVG and PDF output are resolution-independent and look the same on every machine.
* Figures are created with :class:`matplotlib.figure.Figure`, not pyplot: nothing is registered
  in pyplot's global state, so making hundreds of logos in a report loop leaks nothing.  In
  Jupyter a returned figure displays as the cell's value (or with ``display(fig)``); save with
  :func:`save_figure`.  Pass ``ax=`` to draw into your own (pyplot) axes.

TOMTOM offsets
--------------
:func:`plot_motif_pair` takes TOMTOM's ``Optimal_offset`` convention ("the offset of the query
relative to the target; a positive value means the query is shifted right"): query column 0 sits
under target column ``offset``, in the coordinates of the target *as drawn*, i.e. of its reverse
complement when ``orientation == '-'``.  This is the convention of
:mod:`kgenint.motifs.compare` (``optimal_offset`` in its tables, ``align``), so a row of a
comparison table plots as ``plot_motif_pair(query, target, row.optimal_offset, row.orientation)``
with the target as stored in the database.
"""
from __future__ import annotations

import os
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.patches import PathPatch
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import blended_transform_factory

from .._deprecation import renamed_args
from ..errors import InputError
from ..motifs.motif import ALPHABET, Motif, MotifError, validate_background, validate_matrix
from ._glyphs import glyph_path

__all__ = [
    "COLOR_SCHEMES",
    "KINDS",
    "plot_logo",
    "plot_motif_pair",
    "plot_motifs",
    "plot_attribution_track",
    "save_figure",
    "logo_heights",
]

#: Letter colours: classic is A green, C blue, G orange, T red.
COLOR_SCHEMES: dict[str, dict[str, str]] = {
    "classic": {"A": "#109648", "C": "#255C99", "G": "#F7A21B", "T": "#D62839"},
    # Okabe-Ito colours, distinguishable with the common colour-vision deficiencies
    "colorblind": {"A": "#009E73", "C": "#0072B2", "G": "#E69F00", "T": "#D55E00"},
}
KINDS = ("information", "probability", "weight")
_YLABELS = {"information": "bits", "probability": "probability", "weight": "contribution"}
#: Letter width as a fraction of a position.
LETTER_WIDTH = 0.9


# ---------------------------------------------------------------------------- inputs
def _colors(color_scheme: str | Mapping[str, str]) -> dict[str, str]:
    if isinstance(color_scheme, str):
        if color_scheme not in COLOR_SCHEMES:
            raise InputError(
                f"color_scheme must be one of {sorted(COLOR_SCHEMES)} or a dict base -> colour. "
                f"Received: color_scheme={color_scheme!r}"
            )
        return dict(COLOR_SCHEMES[color_scheme])
    try:
        cols = {str(k).upper(): v for k, v in dict(color_scheme).items()}
    except (TypeError, ValueError):
        raise InputError("color_scheme must be a scheme name or a dict base -> colour.") from None
    missing = [b for b in ALPHABET if b not in cols]
    if missing:
        raise InputError(f"color_scheme lacks a colour for {', '.join(missing)}.")
    return cols


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InputError(f"kind must be one of {KINDS}. Received: kind={kind!r}")
    return kind


def logo_heights(matrix_or_motif: Any, kind: str = "information", bg_freqs: Any = None,
                 **deprecated: Any) -> np.ndarray:
    """Signed letter heights ``(W, 4)`` of a logo (what :func:`plot_logo` draws).

    Parameters
    ----------
    matrix_or_motif : Motif or array_like, shape (W, 4)
        A motif, or a matrix: probabilities (rows sum to 1) for ``"information"`` and
        ``"probability"``, any finite values for ``"weight"``.  For a motif, ``"weight"`` uses
        its CWM when it has one, else its log-odds matrix (bits).
    kind : {'information', 'probability', 'weight'}
        See the module notes.
    bg_freqs : array_like, shape (4,), optional
        ACGT background letter frequencies for information content; the motif's own
        ``bg_freqs`` (or uniform) by default. (Old name: ``background``.)

    Returns
    -------
    ndarray, shape (W, 4)
        Heights in bits, probability or the matrix's units.
    """
    if deprecated:
        bg_freqs = renamed_args("logo_heights", deprecated, {"background": "bg_freqs"},
                                {"bg_freqs": bg_freqs}, {"bg_freqs": None})["bg_freqs"]
    _check_kind(kind)
    if isinstance(matrix_or_motif, Motif):
        m = matrix_or_motif
        bg = m.bg_freqs if bg_freqs is None else validate_background(bg_freqs, name=m.name)
        if kind == "weight":
            return np.array(m.cwm if m.cwm is not None else m.log_odds(), dtype=np.float64)
        p = m.pwm
    else:
        name = "matrix"
        if kind == "weight":
            return validate_matrix(matrix_or_motif, name=name, what="matrix", probabilities=False)
        try:
            p = validate_matrix(matrix_or_motif, name=name)
        except MotifError as err:
            raise InputError(
                f"{err} For contribution or weight matrices (signed values) use kind='weight'."
            ) from None
        bg = validate_background(bg_freqs, name=name)
    if kind == "probability":
        return p.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ic = np.where(p > 0, p * np.log2(p / bg), 0.0).sum(axis=1)
    return p * np.maximum(ic, 0.0)[:, None]


# ---------------------------------------------------------------------------- drawing
def _new_axes(figsize: tuple[float, float]) -> Axes:
    fig = Figure(figsize=figsize, layout="constrained")
    return fig.add_subplot()


def _draw_letters(
    ax: Axes, heights: np.ndarray, start: float, colors: Mapping[str, str], flip_below: bool
) -> tuple[float, float]:
    """Add one PathPatch per non-zero letter; returns the lowest and highest stack ends."""
    lo = hi = 0.0
    half = LETTER_WIDTH / 2
    for i, row in enumerate(heights):
        x0 = start + i - half
        for sign in (1.0, -1.0):
            vals = row * sign
            order = np.argsort(vals, kind="stable")  # smallest magnitude first = next to zero
            y = 0.0
            for b in order:
                h = float(vals[b])
                if h <= 1e-12:
                    continue
                if sign > 0:
                    path = glyph_path(ALPHABET[b], x0, y, LETTER_WIDTH, h)
                    y += h
                else:
                    path = glyph_path(ALPHABET[b], x0, -y - h, LETTER_WIDTH, h, flip=flip_below)
                    y += h
                patch = PathPatch(
                    path,
                    facecolor=colors[ALPHABET[b]],
                    edgecolor="none",
                    linewidth=0,
                    label=f"_{ALPHABET[b]}{i}",
                )
                # Letters lie inside the axes: keep them out of layout computations, and add them
                # as artists because add_patch would compute the curve extents of every glyph
                # to update data limits that are set explicitly anyway.
                patch.set_in_layout(False)
                ax.add_artist(patch)
            if sign > 0:
                hi = max(hi, y)
            else:
                lo = min(lo, -y)
    return lo, hi


def _style_axes(ax: Axes, start: float, width: int, kind: str, lo: float, hi: float, ymax: float | None) -> None:
    ax.set_xlim(start - 0.5, start + width - 0.5)
    if kind == "weight":
        span = max(hi - lo, 1e-12)
        bottom = lo - 0.04 * span if lo < 0 else 0.0
        top = hi + 0.04 * span if hi > 0 else 0.0
        ax.set_ylim(float(bottom), float(top))
        if lo == hi == 0:
            ax.set_ylim(-1, 1)
        ax.axhline(0.0, color="0.3", linewidth=0.6, zorder=0)
        ax.spines["bottom"].set_visible(False)
    else:
        ax.set_ylim(0.0, float(max(ymax or 0.0, hi)))
    for s in ("top", "right"):
        ax.spines[s].set_visible(False)
    if width <= 30:
        ax.set_xticks(np.arange(start, start + width))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="x", length=2, labelsize=7)
    ax.tick_params(axis="y", labelsize=7)


def plot_logo(
    matrix_or_motif: Any,
    *,
    kind: str = "information",
    ax: Axes | None = None,
    bg_freqs: Any = None,
    color_scheme: str | Mapping[str, str] = "classic",
    start: int = 0,
    title: str | None = None,
    flip_below: bool = False,
    ylabel: str | None = None,
    **deprecated: Any,
) -> Axes:
    """Draw a sequence logo.

    Parameters
    ----------
    matrix_or_motif : Motif or array_like, shape (W, 4)
        A motif or an ACGT matrix (see :func:`logo_heights` for what each kind needs).
    kind : {'information', 'probability', 'weight'}
        Information-content logo (bits), probability logo, or signed-height logo for
        contribution/weight matrices.
    ax : matplotlib Axes, optional
        Axes to draw into; a new figure (0.35 inch per position, 1.8 inch high) otherwise.
    bg_freqs : array_like, shape (4,), optional
        ACGT background letter frequencies for information content (the motif's own, or
        uniform). (Old name: ``background``.)
    color_scheme : str or dict
        ``"classic"`` (A green, C blue, G orange, T red), ``"colorblind"`` or a dict base ->
        any matplotlib colour.
    start : int
        x coordinate of the first position (e.g. its position in a sequence).
    title : str, optional
        Axes title.
    flip_below : bool
        Draw letters below zero upside down (logomaker's style); upright by default.
    ylabel : str, optional
        y axis label; "bits", "probability" or "contribution" by default.

    Returns
    -------
    matplotlib Axes
        One ``PathPatch`` per drawn letter in ``ax.patches``, positioned in data coordinates.

    Raises
    ------
    InputError
        Unknown kind or colour scheme, a matrix that is not ``(W, 4)``, non-finite values,
        probabilities that do not sum to 1.

    Examples
    --------
    >>> from kgenint.motifs import Motif
    >>> ax = plot_logo(Motif.from_consensus("TGACTCA"))
    >>> len(ax.patches)  # one glyph per letter
    7
    >>> float(ax.patches[0].get_path().get_extents().height)  # a certain base: 2 bits
    2.0
    """
    if deprecated:
        bg_freqs = renamed_args("plot_logo", deprecated, {"background": "bg_freqs"},
                                {"bg_freqs": bg_freqs}, {"bg_freqs": None})["bg_freqs"]
    _check_kind(kind)
    colors = _colors(color_scheme)
    heights = logo_heights(matrix_or_motif, kind, bg_freqs)
    w = heights.shape[0]
    if ax is None:
        ax = _new_axes((max(2.0, 0.35 * w + 0.8), 1.8))
    lo, hi = _draw_letters(ax, heights, float(start), colors, flip_below)
    ymax = None
    if kind == "information":
        bg = (
            cast(np.ndarray, matrix_or_motif.bg_freqs)  # a constructed Motif's is an array
            if isinstance(matrix_or_motif, Motif) and bg_freqs is None
            else validate_background(bg_freqs)
        )
        ymax = float(np.log2(1.0 / bg.min()))
    elif kind == "probability":
        ymax = 1.0
    _style_axes(ax, float(start), w, kind, lo, hi, ymax)
    ax.set_ylabel(ylabel if ylabel is not None else _YLABELS[kind], fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def _motif_label(m: Any, default: str) -> str:
    if isinstance(m, Motif):
        return f"{m.name} ({m.alt_name})" if m.alt_name else m.name
    return default


def _reverse_complement(m: Any) -> Any:
    if isinstance(m, Motif):
        return m.reverse_complement()
    a = np.asarray(m, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 4:
        raise InputError(f"target must be a Motif or a (W, 4) matrix. Received shape {a.shape}.")
    return a[::-1, ::-1].copy()


def _width(m: Any, what: str) -> int:
    if isinstance(m, Motif):
        return m.width
    a = np.asarray(m)
    if a.ndim != 2 or a.shape[1] != 4 or a.shape[0] == 0:
        raise InputError(f"{what} must be a Motif or a (W, 4) matrix. Received shape {a.shape}.")
    return int(a.shape[0])


def plot_motif_pair(
    query: Any,
    target: Any,
    offset: int,
    orientation: str = "+",
    *,
    axes: Sequence[Axes] | None = None,
    labels: tuple[str, str] | None = None,
    kind: str = "information",
    color_scheme: str | Mapping[str, str] = "classic",
    shade_overlap: bool = True,
) -> Figure | SubFigure:
    """Query logo above its match, aligned at the TOMTOM offset, on a common x axis.

    Parameters
    ----------
    query, target : Motif or array_like, shape (W, 4)
        The two motifs.
    offset : int
        TOMTOM ``Optimal_offset``: query column 0 lies under target column ``offset``
        (negative: the query starts before the target), in the coordinates of the target as
        drawn (reverse-complemented when ``orientation == '-'``).  The x axis is in those
        target coordinates.
    orientation : {'+', '-'}
        ``'-'``: the target is drawn reverse-complemented (TOMTOM's ``Orientation``).
    axes : pair of matplotlib Axes, optional
        Axes for the query (top) and target (bottom); a new two-row figure otherwise.
    labels : (str, str), optional
        Panel labels; motif names (target marked "reverse complement") by default.
    kind : {'information', 'probability', 'weight'}
        Logo kind of both panels.
    color_scheme : str or dict
        As in :func:`plot_logo`.
    shade_overlap : bool
        Shade the overlapping columns in both panels.

    Returns
    -------
    matplotlib Figure
        The new figure, or the figure (or subfigure) holding ``axes``.

    Raises
    ------
    InputError
        Orientation not '+'/'-', non-integer offset, a pair that does not overlap, bad
        matrices or axes.
    """
    if orientation not in ("+", "-"):
        raise InputError(f"orientation must be '+' or '-'. Received: orientation={orientation!r}")
    try:
        ok = not isinstance(offset, bool) and float(offset).is_integer()
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InputError(f"offset must be an integer number of columns. Received: offset={offset!r}")
    offset = int(offset)
    wq, wt = _width(query, "query"), _width(target, "target")
    if offset >= wt or offset + wq <= 0:
        raise InputError(
            f"offset {offset} leaves no overlap between the query (width {wq}) and the target "
            f"(width {wt}): it must be between {-wq + 1} and {wt - 1}."
        )
    shown_target = _reverse_complement(target) if orientation == "-" else target
    if labels is None:
        tl = _motif_label(target, "target")
        labels = (
            _motif_label(query, "query"),
            tl + (" (reverse complement)" if orientation == "-" else ""),
        )
    elif len(labels) != 2:
        raise InputError(f"labels must be two strings (query, target). Received {labels!r}.")
    lo, hi = min(0, offset), max(wt, offset + wq)
    fig: Figure | SubFigure
    if axes is None:
        fig = Figure(figsize=(max(2.5, 0.35 * (hi - lo) + 1.0), 3.4), layout="constrained")
        ax_q, ax_t = fig.subplots(2, 1, sharex=True)
    else:
        if len(axes) != 2 or not all(isinstance(a, Axes) for a in axes):
            raise InputError("axes must be two matplotlib Axes (query, target).")
        ax_q, ax_t = axes
        fig = ax_q.figure
    plot_logo(query, kind=kind, ax=ax_q, color_scheme=color_scheme, start=offset)
    plot_logo(shown_target, kind=kind, ax=ax_t, color_scheme=color_scheme, start=0)
    for ax, label in zip((ax_q, ax_t), labels):
        ax.set_xlim(lo - 0.5, hi - 0.5)
        ax.set_title(label, fontsize=8, loc="left")
        if shade_overlap:
            ax.axvspan(max(0, offset) - 0.5, min(wt, offset + wq) - 0.5, color="0.92", zorder=0, lw=0)
    if hi - lo <= 30:
        ax_t.set_xticks(np.arange(lo, hi))
    ax_t.set_xlabel("target position" + (" (reverse complement)" if orientation == "-" else ""), fontsize=8)
    return fig


def plot_motifs(
    motifs: Sequence[Any],
    *,
    ncols: int = 4,
    kind: str = "information",
    titles: Sequence[str] | None = None,
    color_scheme: str | Mapping[str, str] = "classic",
    panel_size: tuple[float, float] | None = None,
) -> Figure:
    """A grid of logos on a common x scale (letters equally wide in every panel).

    Parameters
    ----------
    motifs : sequence of Motif or array_like (W, 4)
        The motifs, drawn row by row.
    ncols : int
        Panels per row (>= 1).
    kind : {'information', 'probability', 'weight'}
        Logo kind of every panel.
    titles : sequence of str, optional
        Panel titles; motif names (and alternate names) by default.
    color_scheme : str or dict
        As in :func:`plot_logo`.
    panel_size : (float, float), optional
        Width and height of one panel in inches; from the widest motif by default.

    Returns
    -------
    matplotlib Figure
    """
    motifs = list(motifs) if not isinstance(motifs, Motif) else [motifs]
    if not motifs:
        raise InputError("plot_motifs got an empty motif list; give at least one motif.")
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise InputError(f"ncols must be an integer >= 1. Received: ncols={ncols!r}")
    _check_kind(kind)
    if titles is not None and len(titles) != len(motifs):
        raise InputError(f"titles must give one title per motif: {len(motifs)} motifs, {len(titles)} titles.")
    widths = [_width(m, f"motifs[{i}]") for i, m in enumerate(motifs)]
    wmax = max(widths)
    ncols = min(int(ncols), len(motifs))
    nrows = -(-len(motifs) // ncols)
    pw, ph = panel_size or (max(1.8, 0.3 * wmax + 0.7), 1.6)
    fig = Figure(figsize=(pw * ncols, ph * nrows), layout="constrained")
    axs = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for i, m in enumerate(motifs):
        title = titles[i] if titles is not None else _motif_label(m, f"motif {i}")
        plot_logo(m, kind=kind, ax=axs[i], color_scheme=color_scheme, title=title)
        axs[i].set_xlim(-0.5, wmax - 0.5)
    for ax in axs[len(motifs):]:
        ax.set_axis_off()
    return fig


def plot_attribution_track(
    attr: Any,
    *,
    ax: Axes | None = None,
    highlight: Sequence[tuple[int, int, str | None]] | None = None,
    start: int = 0,
    title: str | None = None,
    color_scheme: str | Mapping[str, str] = "classic",
    highlight_color: str = "#FFE08A",
    ylabel: str = "contribution",
) -> Axes:
    """Signed logo of a per-base attribution map, with shaded regions (e.g. motif hits).

    Parameters
    ----------
    attr : array_like, shape (L, 4)
        Attributions of one sequence (e.g. ``x * hypothetical`` contributions), ACGT columns,
        any units; zeros are not drawn.
    ax : matplotlib Axes, optional
        Axes to draw into; a new wide figure otherwise.
    highlight : sequence of (start, end, label), optional
        Regions to shade, 0-based half-open positions into ``attr`` (not shifted by
        ``start``); ``label`` may be None or empty.
    start : int
        x coordinate of position 0 (e.g. its genomic or sequence offset).
    title : str, optional
        Axes title.
    color_scheme : str or dict
        As in :func:`plot_logo`.
    highlight_color : str
        Colour of the shaded regions.
    ylabel : str
        y axis label.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    InputError
        ``attr`` not ``(L, 4)`` or non-finite, regions outside ``0..L`` or empty.
    """
    try:
        a = np.asarray(attr, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("attr must be a numeric (L, 4) array.") from None
    if a.ndim != 2 or a.shape[1] != 4 or a.shape[0] == 0:
        hint = " For one sequence of a batch pass attr[i]." if a.ndim == 3 else ""
        raise InputError(
            f"attr must have shape (L, 4): positions by A, C, G, T. Received shape {a.shape}.{hint}"
        )
    if not np.all(np.isfinite(a)):
        i, j = np.argwhere(~np.isfinite(a))[0]
        raise InputError(f"attr has a non-finite value at position {i}, base {ALPHABET[j]}.")
    length = a.shape[0]
    regions = []
    for r in highlight or ():
        try:
            s, e, *rest = r
            s, e = int(s), int(e)
        except (TypeError, ValueError):
            raise InputError(f"highlight entries must be (start, end, label). Received {r!r}.") from None
        if not (0 <= s < e <= length):
            raise InputError(
                f"highlight region ({s}, {e}) must satisfy 0 <= start < end <= {length} "
                "(0-based half-open positions into attr)."
            )
        regions.append((s, e, rest[0] if rest else None))
    if ax is None:
        ax = _new_axes((min(max(4.0, 0.09 * length + 1.0), 24.0), 1.8))
    plot_logo(a, kind="weight", ax=ax, color_scheme=color_scheme, start=start, title=title, ylabel=ylabel)
    tr = blended_transform_factory(ax.transData, ax.transAxes)
    for s, e, label in regions:
        ax.axvspan(start + s - 0.5, start + e - 0.5, color=highlight_color, alpha=0.5, zorder=0, lw=0)
        if label:
            ax.text(
                start + (s + e - 1) / 2, 0.98, str(label), transform=tr, ha="center", va="top", fontsize=7
            )
    return ax


def save_figure(
    fig: Figure | Axes, path: str | os.PathLike, *, dpi: float = 300, **kwargs: Any
) -> pathlib.Path:
    """Save a figure; the format comes from the file extension (svg, pdf, png, eps, ...).

    The file is written to a temporary file in the same directory and moved into place, so a
    crash never leaves a half-written figure under the final name.

    Parameters
    ----------
    fig : matplotlib Figure or Axes
        The figure (an Axes means its figure).
    path : str or path-like
        Output file; its extension picks the format.
    dpi : float
        Resolution of raster output (dots per inch); vector formats keep paths.
    **kwargs
        Passed to ``Figure.savefig`` (e.g. ``transparent=True``, ``bbox_inches="tight"``).

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    InputError
        Not a figure, no or unknown extension, missing directory.
    """
    figure = fig.figure if isinstance(fig, Axes) else fig
    if not isinstance(figure, Figure):
        raise InputError(f"save_figure needs a matplotlib Figure or Axes. Received {type(figure).__name__}.")
    p = pathlib.Path(path)
    fmt = p.suffix.lower().lstrip(".")
    supported = figure.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise InputError(
            f"Cannot tell the figure format from {str(p)!r}: use one of the extensions "
            f"{', '.join('.' + k for k in sorted(supported))}."
        )
    parent = p.parent if str(p.parent) else pathlib.Path(".")
    if not parent.is_dir():
        raise InputError(f"The directory {str(parent)!r} for {p.name!r} does not exist; create it first.")
    from .._io import atomic_open

    with atomic_open(p, "wb") as fh:
        figure.savefig(fh, format=fmt, dpi=dpi, **kwargs)
    return p
