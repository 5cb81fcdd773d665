"""The :class:`FilterMotifTracker` callback: first-layer filters as motifs during training (see
:mod:`kgenint.keras.callbacks` for what every callback shares)."""
from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from .._deprecation import renamed_args
from ..errors import InputError
from ..motifs.motif import Motif
from ._callback_base import (
    NAN,
    _PeriodicCallback,
    _find_first_conv,
    _following_activation,
    _write_h5_atomic,
    take_sequences,
)

__all__ = ["FilterMotifTracker"]


# ---------------------------------------------------------------------------- FilterMotifTracker
class FilterMotifTracker(_PeriodicCallback):
    """Track which reference motifs the first-layer filters have learned.

    On each due epoch: compute the first layer's activations on ``x_ref`` (forward strand, after
    the layer's activation, or the directly following activation layer), turn each filter into
    a motif from its activating windows (:func:`kgenint.motifs.filters_to_motifs`), compare the
    motifs TOMTOM-style with ``reference_motifs`` (:func:`kgenint.motifs.compare.compare`) and
    log:

    * ``{prefix}_matched_frac`` -- fraction of filters whose best reference match has
      q-value < ``alpha``;
    * ``{prefix}_refs_covered`` -- number of reference motifs matched by at least one filter;
    * ``{prefix}_refs_covered_frac`` -- the same as a fraction of the references (NaN when the
      default database is used);
    * ``{prefix}_redundant`` -- number of filters that duplicate another one (learned the same
      reference, or match each other at q < ``alpha``): the sum over groups of
      ``size - 1``.

    ``records_[i]`` also holds ``covered`` (reference names), ``groups`` (lists of filter
    indices that learned the same motif), ``filter_target`` / ``filter_q`` / ``filter_n_sites``
    per filter and the filter motifs.

    Parameters
    ----------
    x_ref : array_like (N, L, 4), tf.data.Dataset or PyDataset
        Sequences whose activating windows define the filter motifs (a few hundred to a few
        thousand sequences, e.g. validation positives).
    reference_motifs : list of Motif, optional
        Motifs to look for (e.g. the simulator's planted motifs); the embedded JASPAR database
        when omitted.
    every : int
        Run every ``every`` epochs (epochs 0, every, 2*every, ...).
    layer : str, int or Layer, optional
        The first convolution (name, index or layer); the model's first ``Conv1D`` /
        ``RevCompConv1D`` / ``MotifScan`` by default.
    alpha : float
        A filter matches a reference when the TOMTOM-like q-value is below this. (Old name:
        ``q_threshold``.)
    history_path : str or path, optional
        HDF5 file with the per-epoch results (replaced atomically each due epoch).
    logo_dir : str or path, optional
        Folder for one PNG logo grid per due epoch (``filters_epoch<k>.png``).
    threshold : float
        Fraction of a filter's maximum activation above which a window is a site.
    min_sites : int
        Filters with fewer sites are not compared (they count as unmatched).
    null_database : None, "default" or list of Motif
        Extra motifs added to the comparison targets only to calibrate p-values (TOMTOM's
        p-values depend on the target set and are unreliable below ~50 targets); only matches
        to ``reference_motifs`` count.
    max_sequences : int
        Use at most this many sequences of ``x_ref``.
    prefix : str
        Prefix of the log keys.

    Examples
    --------
    >>> tracker = FilterMotifTracker(x_valid[:500], truth.motifs, every=2)  # doctest: +SKIP
    >>> model.fit(x, y, epochs=20, callbacks=[tracker])  # doctest: +SKIP
    >>> history.history["filters_matched_frac"]  # doctest: +SKIP
    """

    def __init__(
        self,
        x_ref: Any,
        reference_motifs: Sequence[Motif] | None = None,
        every: int = 1,
        layer: Any = None,
        alpha: float = 0.05,
        history_path: str | os.PathLike | None = None,
        logo_dir: str | os.PathLike | None = None,
        *,
        threshold: float = 0.5,
        min_sites: int = 10,
        null_database: Any = None,
        max_sequences: int = 2000,
        prefix: str = "filters",
        **deprecated: Any,
    ):
        if deprecated:
            alpha = renamed_args("FilterMotifTracker", deprecated, {"q_threshold": "alpha"},
                                 {"alpha": alpha}, {"alpha": 0.05})["alpha"]
        super().__init__(every, history_path, prefix)
        self.x_ref = take_sequences(x_ref, "x_ref", max_sequences)
        if reference_motifs is not None:
            from .initializers import _check_motifs

            reference_motifs = _check_motifs(reference_motifs, "reference_motifs")
        self.reference_motifs = reference_motifs
        if not (0 < float(alpha) <= 1):
            raise InputError(f"alpha (the q-value threshold of a match) must be in (0, 1]. Received: alpha={alpha!r}")
        if not (0 < float(threshold) <= 1):
            raise InputError(f"threshold must be in (0, 1]. Received: threshold={threshold!r}")
        self.alpha = float(alpha)
        self.threshold = float(threshold)
        self.min_sites = int(min_sites)
        self.layer = layer
        self.logo_dir = None if logo_dir is None else Path(logo_dir)
        if isinstance(null_database, str) and null_database != "default":
            raise InputError(f"null_database must be None, 'default' or a list of Motif. Received: {null_database!r}")
        self.null_database = null_database
        self._layer: Any = None  # the tracked keras layer, found by on_train_begin
        self._act: Callable[[Any], Any] | None = None  # the activation that follows it, if separate

    def keys(self) -> list[str]:
        p = self.prefix
        return [f"{p}_matched_frac", f"{p}_refs_covered", f"{p}_refs_covered_frac", f"{p}_redundant"]

    def on_train_begin(self, logs=None):
        self._layer = _find_first_conv(self.model, self.layer)
        shape = tuple(self._layer.kernel.shape)
        if len(shape) != 3 or shape[1] != 4:
            raise InputError(
                f"layer {self._layer.name!r} has a kernel of shape {shape}; FilterMotifTracker needs a "
                f"first-layer convolution on one-hot DNA (kernel (W, 4, F))."
            )
        try:
            direct = any(self._layer.input is t for t in self.model.inputs)
        except (AttributeError, ValueError, RuntimeError):  # subclassed model: trust the user
            direct = True
        if not direct:
            raise InputError(
                f"layer {self._layer.name!r} does not take the model's one-hot input directly; "
                f"FilterMotifTracker reads motifs from a first-layer convolution. Pass layer= the "
                f"convolution applied to the input."
            )
        self._act = _following_activation(self.model, self._layer)

    # -- the pieces
    def filter_activations(self, batch_size: int = 512) -> np.ndarray:
        """Forward-strand activations of the tracked layer on ``x_ref``, float32 ``(N, L', F)``."""
        from .layers import MotifScan, RevCompConv1D

        lay = self._layer
        out = []
        for s in range(0, self.x_ref.shape[0], batch_size):
            xb = keras.ops.convert_to_tensor(self.x_ref[s : s + batch_size])
            if isinstance(lay, (RevCompConv1D, MotifScan)):
                a = lay.strand_scans(xb)[0]
            else:
                a = lay(xb)
            if self._act is not None:
                a = self._act(a)
            out.append(keras.ops.convert_to_numpy(a))
        return np.concatenate(out, axis=0).astype(np.float32, copy=False)

    def filter_motifs(self) -> list[Motif]:
        """The tracked layer's filters as motifs (from the windows that activate them)."""
        from ..motifs.from_filters import filters_to_motifs

        weights = keras.ops.convert_to_numpy(self._layer.kernel)
        acts = self.filter_activations()
        acts = np.nan_to_num(acts, nan=0.0, posinf=float(np.finfo(np.float32).max / 4))
        names = [f"{self._layer.name}_f{i}" for i in range(weights.shape[-1])]
        padding = getattr(self._layer, "padding", "auto")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return filters_to_motifs(
                weights, self.x_ref, activations=acts, threshold=self.threshold,
                min_sites=self.min_sites, names=names, pseudocount=1.0,
                padding=padding if padding in ("valid", "same") else "auto",
            )

    def compute(self, epoch: int):
        from ..motifs.compare import compare

        motifs = self.filter_motifs()
        n_filt = len(motifs)
        n_sites = np.array([int(m.metadata.get("n_sites", 0)) for m in motifs])
        usable = np.flatnonzero(n_sites >= max(self.min_sites, 1))
        refs = self.reference_motifs
        if refs is None:
            from ..motifs.database import load_default

            refs = load_default()
        targets = list(refs)
        if self.null_database is not None:
            extra = self.null_database
            if isinstance(extra, str):
                from ..motifs.database import load_default

                extra = load_default()
            targets = targets + list(extra)
        target = np.full(n_filt, -1, dtype=np.int64)
        qval = np.full(n_filt, np.nan)
        if usable.size:
            tab = compare([motifs[i] for i in usable], targets)
            tab = tab[tab["target"].to_numpy() < len(refs)]  # only the references count
            tab = tab.sort_values(["query", "p_value"], kind="mergesort").drop_duplicates("query")
            for q, t, qv in zip(tab["query"].to_numpy(), tab["target"].to_numpy(), tab["q_value"].to_numpy()):
                qval[usable[q]] = qv
                if qv < self.alpha:
                    target[usable[q]] = t
        matched = target >= 0
        covered = sorted({refs[t].name for t in target[matched]})
        # groups: filters that learned the same reference, joined with filters that match each other
        parent = list(range(n_filt))

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        def union(i, j):
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)

        for t in np.unique(target[matched]):
            members = np.flatnonzero(target == t)
            for j in members[1:]:
                union(members[0], j)
        if usable.size > 1:
            ff = compare([motifs[i] for i in usable], [motifs[i] for i in usable])
            ff = ff[(ff["query"] != ff["target"]) & (ff["q_value"] < self.alpha)]
            for a, b in zip(ff["query"].to_numpy(), ff["target"].to_numpy()):
                union(usable[a], usable[b])
        comp: dict[int, list[int]] = {}
        for i in range(n_filt):
            comp.setdefault(find(i), []).append(i)
        groups = [g for g in comp.values() if len(g) > 1]
        redundant = sum(len(g) - 1 for g in groups)
        scalars = {
            f"{self.prefix}_matched_frac": float(matched.mean()) if n_filt else NAN,
            f"{self.prefix}_refs_covered": float(len(covered)),
            f"{self.prefix}_refs_covered_frac": (
                len(covered) / len(refs) if self.reference_motifs is not None else NAN
            ),
            f"{self.prefix}_redundant": float(redundant),
        }
        extra = {
            "covered": covered,
            "groups": groups,
            "filter_target": [refs[t].name if t >= 0 else "" for t in target],
            "filter_q": qval,
            "filter_n_sites": n_sites,
            "motifs": motifs,
        }
        if self.logo_dir is not None:
            self._save_logos(self.logo_dir, epoch, motifs, extra["filter_target"], n_sites)
        return scalars, extra

    def _save_logos(self, logo_dir: Path, epoch: int, motifs: list[Motif], names: list[str], n_sites: np.ndarray) -> None:
        from ..plot.logos import plot_motifs, save_figure

        order = sorted(range(len(motifs)), key=lambda i: (names[i] == "", -n_sites[i]))[:16]
        titles = [f"f{i}" + (f" = {names[i]}" if names[i] else "") for i in order]
        fig = plot_motifs([motifs[i] for i in order], titles=titles, ncols=4)
        logo_dir.mkdir(parents=True, exist_ok=True)
        save_figure(fig, logo_dir / f"filters_epoch{epoch + 1:03d}.png", dpi=80)

    def _write_history(self, path: Path) -> None:
        arrays = self._scalar_arrays()
        recs = self.records_
        arrays["filter_target"] = np.array([r["filter_target"] for r in recs], dtype=str)
        arrays["filter_q"] = np.array([r["filter_q"] for r in recs], dtype=np.float64)
        arrays["filter_n_sites"] = np.array([r["filter_n_sites"] for r in recs], dtype=np.int64)
        arrays["filter_pwm"] = np.array([[m.pwm for m in r["motifs"]] for r in recs], dtype=np.float32)
        attrs: dict[str, Any] = {
            "kind": "kgenint.FilterMotifTracker",
            "format_version": 1,
            "layer": self._layer.name,
            "alpha": self.alpha,
            "threshold": self.threshold,
        }
        if self.reference_motifs is not None:
            names = [m.name for m in self.reference_motifs]
            arrays["reference_names"] = np.array(names, dtype=str)
            arrays["covered"] = np.array([[n in r["covered"] for n in names] for r in recs], dtype=bool)
        _write_h5_atomic(path, arrays, attrs)
