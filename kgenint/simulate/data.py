"""The in-memory simulated data set, :class:`SimulatedData`: shared by the generator
(:mod:`kgenint.simulate.generate`) and the HDF5 reader/writer (:mod:`kgenint.simulate.io`), so
neither imports the other for it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .config import SimulationConfig
from .truth import GroundTruth

__all__ = ["SimulatedData"]


@dataclass
class SimulatedData:
    """A simulated data set in memory.

    Attributes
    ----------
    x : ndarray, float32, shape (N, L, 4)
        One-hot sequences, ACGT.
    y_class : ndarray, uint8, shape (N, 1)
        Binary labels.
    y_reg : ndarray, float32, shape (N, 1)
        Continuous target (latent activity + noise).
    split : dict of str -> ndarray of int64
        ``train``, ``valid``, ``test`` sequence indices (sorted, disjoint, complete).
    sequence_ids : ndarray of str, shape (N,)
    truth : GroundTruth or None
        None for a user's own HDF5 file without ``/truth``.
    seed : int or None
    preset : str or None
    """

    x: np.ndarray
    y_class: np.ndarray | None
    y_reg: np.ndarray | None
    split: dict[str, np.ndarray] | None
    sequence_ids: np.ndarray
    truth: GroundTruth | None = None
    seed: int | None = None
    preset: str | None = None

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def onehot(self) -> np.ndarray:
        """Alias of :attr:`x`: one-hot sequences, float32 ``(N, L, 4)``."""
        return self.x

    @property
    def config(self) -> SimulationConfig | None:
        return None if self.truth is None else self.truth.config

    def subset(self, name: str, target: str = "class") -> tuple[np.ndarray, np.ndarray]:
        """``(x, y)`` of split ``name`` (``train``/``valid``/``test``); ``target`` ``class`` or
        ``continuous``."""
        if self.split is None or name not in self.split:
            raise InputError(
                f"This data set has no {name!r} split. Splits: "
                f"{sorted(self.split) if self.split else 'none'}; make one with "
                f"kgenint.simulate.make_split(len(data), seed=...)."
            )
        y = self.y_class if target == "class" else self.y_reg if target == "continuous" else None
        if y is None:
            raise InputError(f"No {target!r} target in this data set (use 'class' or 'continuous').")
        idx = self.split[name]
        return self.x[idx], y[idx]


# --------------------------------------------------------------------------- motifs
