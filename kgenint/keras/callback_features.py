"""A Keras callback that watches what a chosen layer's units represent, and how they interact,
during ``model.fit``.

Same contract as the callbacks of :mod:`kgenint.keras.callbacks`: work only on due epochs
(``epoch % every == 0``), NaN for every key on other epochs (so ``History`` lists stay aligned),
full results in ``records_`` and, with ``history_path``, an HDF5 file replaced atomically at the
end of each due epoch.
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..motifs.motif import Motif
from ._callback_base import NAN, _PeriodicCallback, _write_h5_atomic, take_sequences

__all__ = ["FeatureMonitor"]


class FeatureMonitor(_PeriodicCallback):
    """Representation metrics of one layer and its strongest feature-space interactions.

    On each due epoch: the layer's unit motifs are annotated against ``reference_motifs``
    (:func:`kgenint.keras.units.representation`) and the unit pairs are scored with a
    feature-space detector, mapped to motif pairs
    (:func:`kgenint.interactions.features.feature_interactions`, several units per motif
    summed). Logged keys:

    * ``{prefix}_matched_frac`` -- fraction of units matching a reference at q < ``alpha``;
    * ``{prefix}_refs_covered`` -- references matched by at least one unit;
    * ``{prefix}_units_per_motif`` -- mean units per covered reference (redundancy);
    * ``{prefix}_share_matched`` -- share of the output variance carried by matched units;
    * ``{prefix}_top_effect`` -- effect of the strongest motif pair (smallest q, then largest
      ``|effect|``); NaN when no pair of annotated units exists;
    * ``{prefix}_top_q`` -- its q-value.

    ``records_[i]`` also holds ``unit_motif`` (the reference of each unit, "" when none) and
    ``top_pairs`` (the ``top_k`` rows of the pair table).

    Parameters
    ----------
    x_ref : array_like (N, L, 4), tf.data.Dataset or PyDataset
        Sequences for the unit motifs and the contrasts (a few hundred).
    reference_motifs : list of Motif
        Motifs the units are named after (e.g. the simulator's planted motifs).
    layer : str or int
        The layer whose units are watched (every path to the output must pass it for the
        interactions and output shares).
    every : int
        Run every ``every`` epochs (0-based epochs 0, every, 2 every, ...).
    detector : {"mdd", "nid", "hessian"}
        Feature-space detector.
    top_k : int
        Strongest motif pairs kept per due epoch.
    alpha : float
        q-value threshold of a unit's match.
    task : int
        Output column.
    head : int or str, optional
        Which model output (multi-output models).
    logits : bool, optional
        See ``docs/api.md`` (None: logits where the output ends in sigmoid/softmax).
    null_database : None, "default" or list of Motif
        Calibration targets of the motif comparison.
    history_path : str or path, optional
        HDF5 file with the per-epoch results.
    max_sequences : int
        Use at most this many sequences of ``x_ref``.
    seed : int
        Seed of the random steps (the same every epoch).
    prefix : str
        Prefix of the log keys.

    Examples
    --------
    >>> mon = FeatureMonitor(x_valid[:300], truth.motifs, layer="global_pools", every=2)  # doctest: +SKIP
    >>> model.fit(x, y, epochs=10, callbacks=[mon])  # doctest: +SKIP
    """

    def __init__(
        self,
        x_ref: Any,
        reference_motifs: Sequence[Motif],
        layer: str | int,
        every: int = 1,
        detector: str = "mdd",
        *,
        top_k: int = 3,
        alpha: float = 0.05,
        task: int = 0,
        head: int | str | None = None,
        logits: bool | None = None,
        null_database: Any = None,
        history_path: str | os.PathLike | None = None,
        max_sequences: int = 500,
        seed: int = 0,
        prefix: str = "features",
    ):
        from ..interactions.features import DETECTORS
        from .units import _load_refs

        super().__init__(every, history_path, prefix)
        self._set_target(task, head, logits)
        self.x_ref = take_sequences(x_ref, "x_ref", max_sequences)
        self.reference_motifs = _load_refs(reference_motifs)
        if detector not in DETECTORS:
            raise InputError(f"detector must be one of {DETECTORS}. Received: detector={detector!r}")
        if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
            raise InputError(f"top_k must be a positive integer. Received: top_k={top_k!r}")
        if not (0 < float(alpha) <= 1):
            raise InputError(f"alpha must be in (0, 1]. Received: alpha={alpha!r}")
        if not isinstance(layer, (str, int, np.integer)) or isinstance(layer, bool):
            raise InputError(f"layer must be a layer name or index. Received: layer={layer!r}")
        self.layer = layer
        self.detector = detector
        self.top_k = int(top_k)
        self.alpha = float(alpha)
        self.null_database = null_database
        self.seed = int(seed)
        self._layer_name: str | None = None

    def keys(self) -> list[str]:
        p = self.prefix
        return [f"{p}_matched_frac", f"{p}_refs_covered", f"{p}_units_per_motif", f"{p}_share_matched",
                f"{p}_top_effect", f"{p}_top_q"]

    def on_train_begin(self, logs=None):
        from .receptive import find_layer
        from .model_split import split_at

        lay = find_layer(self.model, self.layer)
        self._layer_name = lay.name
        split_at(self.model, lay, head=self.head, logits=self.logits)  # fail early on a bypassed layer

    def compute(self, epoch: int):
        from ..interactions.features import feature_interactions
        from .units import representation

        assert self._layer_name is not None  # Keras calls on_train_begin before any epoch ends
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rep = representation(
                self.model, self.x_ref, self.reference_motifs, self._layer_name, alpha=self.alpha,
                head=self.head, task=self.task, logits=self.logits, null_database=self.null_database,
                max_sequences=None, seed=self.seed,
            )
            unit_motif = rep.units["motif"].tolist()
            table = feature_interactions(
                self.model, self.x_ref, self.reference_motifs, layer=self._layer_name, detector=self.detector,
                head=self.head, task=self.task, logits=self.logits,
                annotation=[m if m else None for m in unit_motif], max_sequences=None, seed=self.seed,
            )
        s = rep.summary
        top = table.head(self.top_k)
        p = self.prefix
        scalars = {
            f"{p}_matched_frac": s["matched_frac"],
            f"{p}_refs_covered": float(s["refs_covered"]),
            f"{p}_units_per_motif": s["units_per_motif"],
            f"{p}_share_matched": s["share_matched"],
            f"{p}_top_effect": float(top["effect"].iloc[0]) if len(top) else NAN,
            f"{p}_top_q": float(top["q_value"].iloc[0]) if len(top) else NAN,
        }
        pairs = [(str(a), str(b)) for a, b in zip(top["motif_a"], top["motif_b"])]
        extra = {
            "unit_motif": unit_motif,
            "top_pairs": pairs,
            "top_effects": top["effect"].to_numpy(dtype=np.float64),
            "top_qs": top["q_value"].to_numpy(dtype=np.float64),
            "summary": s,
        }
        return scalars, extra

    def _write_history(self, path: Path) -> None:
        arrays = self._scalar_arrays()
        recs = self.records_
        k = self.top_k
        arrays["unit_motif"] = np.array([r["unit_motif"] for r in recs], dtype=str)
        pairs = np.full((len(recs), k, 2), "", dtype=object)
        eff = np.full((len(recs), k), np.nan)
        qv = np.full((len(recs), k), np.nan)
        for i, r in enumerate(recs):
            for j, (a, b) in enumerate(r["top_pairs"]):
                pairs[i, j] = (a, b)
            eff[i, : len(r["top_effects"])] = r["top_effects"]
            qv[i, : len(r["top_qs"])] = r["top_qs"]
        arrays["top_pairs"] = pairs.astype(str)
        arrays["top_effect_k"] = eff
        arrays["top_q_k"] = qv
        arrays["reference_names"] = np.array([m.name for m in self.reference_motifs], dtype=str)
        attrs = {"kind": "kgenint.FeatureMonitor", "format_version": 1, "layer": self._layer_name,
                 "detector": self.detector, "alpha": self.alpha, "task": self.task, "aggregate": "sum"}
        _write_h5_atomic(path, arrays, attrs)
