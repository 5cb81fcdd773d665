"""Keras callbacks that watch motifs, attributions and interactions appear during ``model.fit``.

Usable in any user's ``model.fit(..., callbacks=[...])``. Common behaviour:

* Work is done only on *due* epochs, ``epoch % every == 0`` (0-based, so the first epoch is
  always due); on other epochs the callback only writes NaN for its keys, which costs nothing.
* Every epoch each callback writes all of its keys into ``logs`` (NaN when not due), so the
  lists in ``History.history`` stay aligned with the epochs. Keras hands one ``logs`` dict to
  the callbacks in list order and appends ``History`` last: callbacks listed *before* ours (for
  example ``EarlyStopping``) do not see our keys; list ours first if another callback should
  monitor them.
* Full results per due epoch are kept in ``callback.records_`` (a list of dicts) and, with
  ``history_path``, written to an HDF5 file that is replaced atomically (temporary file +
  rename) at the end of each due epoch: an interrupted run leaves the previous complete file,
  never a partial one.
* The fixed data a callback uses (reference sequences, validation subset, background) may be
  given as arrays, a ``tf.data.Dataset`` or a ``keras.utils.PyDataset`` yielding ``x`` or
  ``(x, y[, w])`` batches; the first ``max_sequences`` sequences are taken once, at
  construction.

Modules: :mod:`~kgenint.keras.callback_filters` (:class:`FilterMotifTracker`),
:mod:`~kgenint.keras.callback_attribution` (:class:`AttributionMonitor`), this one
(:class:`InteractionMonitor`), :mod:`~kgenint.keras.callback_features` (:class:`FeatureMonitor`);
shared pieces in :mod:`~kgenint.keras._callback_base`.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .._deprecation import renamed_fields
from ..errors import InputError
from ..motifs.motif import Motif

__all__ = ["FilterMotifTracker", "AttributionMonitor", "InteractionMonitor", "take_sequences", "planted_mask"]

from ._callback_base import (  # noqa: F401
    NAN,
    _PeriodicCallback,
    _check_every,
    _find_first_conv,
    _following_activation,
    _is_dataset,
    _iterate,
    _n_outputs,
    _write_h5_atomic,
    take_sequences,
)
from .callback_attribution import AttributionMonitor, planted_mask  # noqa: F401
from .callback_filters import FilterMotifTracker  # noqa: F401

if TYPE_CHECKING:
    from .adapter import PredictFn


# ---------------------------------------------------------------------------- InteractionMonitor
@renamed_fields({"background": "backgrounds"})
class InteractionMonitor(_PeriodicCallback):
    """In-silico interaction effect of motif pairs, tracked over training.

    On each due epoch, for every pair ``(A, B)`` the mean interaction effect over the background
    sequences is computed on the model's logits with
    :func:`kgenint.interactions.insilico.pair_effect` (motif consensus instances at ``distance``
    bp, strands ``orientation``; the control-insert contrast
    ``f(A,B) - f(A,C_B) - f(C_A,B) + f(C_A,C_B)`` of the in-silico scan, see
    ``docs/interactions.md``). Logs ``{prefix}_{A}_{B}`` per pair (the standard
    error is in ``records_`` and the history file). Logits are used because effects that the
    model combines additively add up on the log-odds scale; probabilities saturate (see
    :func:`as_predict_fn`).

    Parameters
    ----------
    backgrounds : array_like (N, L, 4), tf.data.Dataset or PyDataset
        Background sequences the motifs are inserted into (e.g. 100 dinucleotide-shuffled
        validation sequences). (Old name: ``background``; the attribute ``.background`` still
        reads ``.backgrounds``, with a warning.)
    motif_pairs : sequence of (Motif, Motif)
        The pairs to test.
    distance : int or sequence of int
        Distance between the motifs' anchors (bp), one for all pairs or one per pair.
    orientation : str or sequence of str
        Strands of A and B: ``"++"``, ``"+-"``, ``"-+"`` or ``"--"``; one or one per pair.
    every : int
        Run every ``every`` epochs.
    task : int
        Column ``t`` of the head whose values are used. (Old name: ``output``.)
    head : int or str, optional
        Which model output (layer name or index), for multi-output models. (Old name:
        ``model_output``.)
    logits : bool or None
        ``None``: the logits of a sigmoid/softmax head, the output of any other head (softplus,
        linear ...); True/False force. The history file's ``scale`` attribute says which.
    seed : int
        Seed of the insertion procedure (the same every epoch, so epochs are comparable).
    history_path : str or path, optional
        HDF5 file with per-epoch effects and standard errors, replaced atomically.
    max_sequences : int
        Use at most this many background sequences.
    prefix : str
        Prefix of the log keys.
    """

    def __init__(
        self,
        backgrounds: Any,
        motif_pairs: Sequence[tuple[Motif, Motif]],
        distance: int | Sequence[int],
        orientation: str | Sequence[str] = "++",
        every: int = 1,
        task: int = 0,
        *,
        head: int | str | None = None,
        logits: bool | None = None,
        seed: int = 0,
        history_path: str | os.PathLike | None = None,
        max_sequences: int = 200,
        batch_size: int = 1024,
        prefix: str = "interaction",
        **deprecated: Any,
    ):
        super().__init__(every, history_path, prefix)
        self._set_target(task, head, logits, deprecated)
        self.backgrounds = take_sequences(backgrounds, "backgrounds", max_sequences)
        try:
            pairs = [tuple(p) for p in motif_pairs]
        except TypeError:
            raise InputError("motif_pairs must be a list of (Motif, Motif) pairs.") from None
        if not pairs:
            raise InputError("motif_pairs is empty: give at least one (Motif, Motif) pair.")
        for i, p in enumerate(pairs):
            if len(p) != 2 or not all(isinstance(m, Motif) for m in p):
                raise InputError(f"motif_pairs[{i}] must be a pair of kgenint.motifs.Motif. Received: {p!r}")
        self.motif_pairs = pairs
        n = len(pairs)
        # checked one by one below (np.isscalar also lets through what the check then rejects)
        dist: list[Any] = [distance] * n if np.isscalar(distance) else list(cast(Sequence[int], distance))
        ori = [orientation] * n if isinstance(orientation, str) else list(orientation)
        if len(dist) != n or len(ori) != n:
            raise InputError(
                f"distance and orientation must be single values or one per pair ({n} pairs). "
                f"Received {len(dist)} distances and {len(ori)} orientations."
            )
        for d in dist:
            if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
                raise InputError(f"distance must be an integer number of bp. Received: {d!r}")
        for o in ori:
            if o not in ("++", "+-", "-+", "--"):
                raise InputError(f"orientation must be '++', '+-', '-+' or '--'. Received: {o!r}")
        self.distance = [int(d) for d in dist]
        self.orientation = ori
        self.seed = int(seed)
        self.batch_size = int(batch_size)
        names = [f"{prefix}_{a.name}_{b.name}" for a, b in pairs]
        if len(set(names)) != n:  # same pair at several distances/orientations
            names = [f"{nm}_{d}{o}" for nm, d, o in zip(names, self.distance, self.orientation)]
        self._keys = names
        self._predict: PredictFn | None = None  # made by on_train_begin

    def keys(self) -> list[str]:
        return list(self._keys)

    def on_train_begin(self, logs=None):
        from .adapter import as_predict_fn

        self._predict = as_predict_fn(self.model, self.head, logits=self.logits, batch_size=self.batch_size)
        n_out = _n_outputs(self._predict.model) if self.head is None else None
        if n_out is not None and self.task >= n_out:
            raise InputError(f"InteractionMonitor: task={self.task} but the head has {n_out} column(s).")

    def compute(self, epoch: int):
        from ..interactions.insilico import pair_effect

        assert self._predict is not None  # Keras calls on_train_begin before any epoch ends
        scalars, se = {}, []
        for key, (a, b), d, o in zip(self._keys, self.motif_pairs, self.distance, self.orientation):
            e, s = pair_effect(self._predict, self.backgrounds, a, b, d, o, task=self.task, seed=self.seed)
            scalars[key] = float(e)
            se.append(float(s))
        return scalars, {"se": np.array(se)}

    def _write_history(self, path: Path) -> None:
        arrays = self._scalar_arrays()
        arrays["effect"] = np.array([[r[k] for k in self._keys] for r in self.records_], dtype=np.float64)
        arrays["se"] = np.array([r["se"] for r in self.records_], dtype=np.float64)
        arrays["pair"] = np.array([[a.name, b.name] for a, b in self.motif_pairs], dtype=str)
        arrays["distance"] = np.array(self.distance, dtype=np.int64)
        arrays["orientation"] = np.array(self.orientation, dtype=str)
        attrs = {"kind": "kgenint.InteractionMonitor", "format_version": 1, "output": self.task, "task": self.task,
                 "seed": self.seed, "scale": self._predict.scale if self._predict is not None else ""}
        _write_h5_atomic(path, arrays, attrs)
