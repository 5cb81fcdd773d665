"""Figures of the report: saved as PNG + SVG under ``figures/`` and inlined as base64 PNG."""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._html import _esc

@dataclass
class _Figures:
    """Saves figures as PNG + SVG files and returns them as inline ``<figure>`` HTML."""

    directory: Path
    dpi: int = 110
    names: list[str] = field(default_factory=list)

    def __call__(self, fig: Any, name: str, caption: str, *, alt: str | None = None) -> str:
        from matplotlib.axes import Axes

        from ..plot import save_figure

        if isinstance(fig, Axes):
            fig = fig.figure
        try:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=self.dpi, bbox_inches="tight", facecolor="white")
            png = buf.getvalue()
            self.directory.mkdir(parents=True, exist_ok=True)
            _write_bytes_atomic(self.directory / f"{name}.png", png)
            save_figure(fig, self.directory / f"{name}.svg", bbox_inches="tight")
        finally:
            _close(fig)
        self.names.append(name)
        data = base64.b64encode(png).decode("ascii")
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{_esc(alt or caption)}">'
                f"<figcaption>{_esc(caption)}</figcaption></figure>")


def _close(fig) -> None:
    import sys

    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        plt.close(fig)


def _new_figure(figsize: tuple[float, float], nrows: int = 1, ncols: int = 1, **kw):
    """A Figure not registered with pyplot (no GUI backend needed, nothing to close)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


#: Names of the figures the report writes (``attribution_seq<i>`` per example sequence).
_FIGURE_NAMES = {"training_curves", "filters", "seqlet_motifs", "seqlet_motif_pair", "role_table",
                 "interaction_heatmap", "distance_curves", "cooccurrence_curves"}


def _remove_stale_figures(figs: "_Figures") -> None:
    """Delete report figures of an earlier build that this build did not draw (other files stay)."""
    if not figs.directory.is_dir():
        return
    keep = set(figs.names)
    for p in figs.directory.iterdir():
        if p.suffix in (".png", ".svg") and p.stem not in keep and (
                p.stem in _FIGURE_NAMES or p.stem.startswith("attribution_seq")):
            p.unlink(missing_ok=True)


def _write_bytes_atomic(path: Path, data: bytes) -> None:
    from .._io import atomic_open

    with atomic_open(path, "wb") as fh:
        fh.write(data)
