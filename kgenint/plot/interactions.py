"""Figures of interaction scans: K x K heatmap of the strongest effect, distance-effect curves."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .._deprecation import renamed_args

__all__ = ["plot_interaction_heatmap", "plot_distance_curves", "plot_cooccurrence_curves"]


def plot_interaction_heatmap(scan, *, ax=None, alpha: float = 0.05, cmap: str = "RdBu_r", title: str | None = None,
                             **deprecated: Any):
    """Heatmap of the strongest interaction effect for every ordered motif pair.

    Rows are motif A (upstream anchor), columns motif B. Colour: signed effect of the pair's
    reported cell (largest lower confidence bound of ``|effect|``, as in
    :meth:`InteractionScan.pairs`; red synergy, blue antagonism, symmetric scale). A dot marks
    pairs called by the pair table (pair ``q_value < alpha``).

    Parameters
    ----------
    scan : InteractionScan
    ax : matplotlib Axes, optional
    alpha : float
        q-value threshold of a call. (Old name: ``q_threshold``.)
    cmap : str
        matplotlib colour map of the effect.
    title : str, optional
        Axes title.
    """
    import matplotlib.pyplot as plt

    if deprecated:
        alpha = renamed_args("plot_interaction_heatmap", deprecated, {"q_threshold": "alpha"},
                             {"alpha": alpha}, {"alpha": 0.05})["alpha"]
    eff = scan.strongest()
    K = eff.shape[0]
    if ax is None:
        size = max(3.5, 0.45 * K + 1.5)
        _, ax = plt.subplots(figsize=(size + 1, size))
    vmax = float(np.nanmax(np.abs(eff))) if np.isfinite(eff).any() else 1.0
    vmax = vmax or 1.0
    im = ax.imshow(eff, cmap=cmap, vmin=-vmax, vmax=vmax)
    ax.set_xticks(range(K), scan.motif_names, rotation=90, fontsize=8)
    ax.set_yticks(range(K), scan.motif_names, fontsize=8)
    ax.set_xlabel("motif B")
    ax.set_ylabel("motif A")
    names = list(scan.motif_names)
    tbl = scan.pairs()
    for _, r in tbl[tbl["q_value"] < alpha].iterrows():
        a, b = names.index(r["motif_a"]), names.index(r["motif_b"])
        ax.plot(b, a, "k.", ms=4)
    cb = ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    cb.set_label("strongest interaction effect")
    ax.set_title(title or f"In-silico interactions (dot: pair q < {alpha:g})", fontsize=10)
    return ax


def plot_distance_curves(scan, pairs: Sequence[tuple[str, str]] | None = None, *, top: int = 4,
                         orientations: Sequence[str] | None = None, ncols: int = 2):
    """Distance-effect curves with confidence bands, one panel per motif pair.

    Parameters
    ----------
    scan : InteractionScan
    pairs : list of (motif_a, motif_b) names, optional
        Default: the ``top`` pairs of :meth:`InteractionScan.pairs`.
    orientations : list of str, optional
        Orientations to draw (default all in the scan).
    """
    import matplotlib.pyplot as plt

    names = list(scan.motif_names)
    if pairs is None:
        tbl = scan.pairs()
        tbl = tbl[tbl.motif_a != tbl.motif_b] if (tbl.motif_a != tbl.motif_b).any() else tbl
        pairs = list(zip(tbl.motif_a, tbl.motif_b))[:top]
    orients = list(orientations or scan.orientations)
    n = max(1, len(pairs))
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(5 * ncols, 3.0 * nrows), squeeze=False)
    colors = {"++": "#d62728", "+-": "#1f77b4", "-+": "#2ca02c", "--": "#9467bd"}
    for ax, (pa, pb) in zip(axes.ravel(), pairs):
        a, b = names.index(pa), names.index(pb)
        for o in orients:
            oi = scan.orientations.index(o)
            e = scan.effect[a, b, :, oi]
            ok = np.isfinite(e)
            if not ok.any():
                continue
            d = scan.distances[ok]
            ax.plot(d, e[ok], color=colors.get(o), lw=1.2, label=o)
            ax.fill_between(d, scan.ci_low[a, b, ok, oi], scan.ci_high[a, b, ok, oi], color=colors.get(o), alpha=0.2, lw=0)
        ax.axhline(0, color="0.5", lw=0.8)
        ax.set_title(f"{pa} \u2192 {pb}", fontsize=10)
        ax.set_xlabel("distance from start of A to start of B (bp)")
        ax.set_ylabel("interaction effect")
        ax.legend(fontsize=7, title="orientation", title_fontsize=7, loc="best")
    for ax in axes.ravel()[len(pairs):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_cooccurrence_curves(scan, pairs: Sequence[tuple[str, str]] | None = None, *, top: int = 4, ncols: int = 2):
    """Fraction of sequences carrying each pair at each distance, group 1 vs group 2."""
    import matplotlib.pyplot as plt

    names = list(scan.motif_names)
    if pairs is None:
        tbl = scan.pairs()
        pairs = list(zip(tbl.motif_a, tbl.motif_b))[:top]
    n = max(1, len(pairs))
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(5 * ncols, 3.0 * nrows), squeeze=False)
    for ax, (pa, pb) in zip(axes.ravel(), pairs):
        a, b = names.index(pa), names.index(pb)
        counts = scan.pair_cells(a, b)["seq_counts"] if hasattr(scan, "pair_cells") else scan.seq_counts[:, a, b]
        for g, (lab, ls) in enumerate((("group 1", "-"), ("group 2", "--"))):
            frac = counts[g].sum(axis=-1) / max(1, scan.n_sequences[g])
            ax.plot(scan.distances, frac, ls, lw=1.2, label=lab)
        ax.set_title(f"{pa} \u2192 {pb}", fontsize=10)
        ax.set_xlabel("distance between hit starts (bp)")
        ax.set_ylabel("fraction of sequences")
        ax.legend(fontsize=7)
    for ax in axes.ravel()[len(pairs):]:
        ax.axis("off")
    fig.tight_layout()
    return fig
