"""Keras initializers that load sequence motifs into convolution kernels.

The motif matrices are *not* part of the initializer's config: a saved model keeps the kernel
values as weights in the ``.keras`` file, and the config only remembers the motif names and
widths.  An initializer rebuilt from its config (as ``keras.models.load_model`` does) therefore
fills the motif slots with zeros; the loader then overwrites the kernel with the saved weights.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from ..errors import InputError
from ..motifs.motif import Motif

__all__ = ["PWMInitializer", "motifs_to_kernel"]


def _check_motifs(motifs: Any, name: str = "motifs") -> list[Motif]:
    if isinstance(motifs, Motif):
        motifs = [motifs]
    try:
        out = list(motifs)
    except TypeError:
        raise InputError(
            f"{name} must be a list of kgenint.motifs.Motif objects. Received: {type(motifs).__name__}."
        ) from None
    if not out:
        raise InputError(f"{name} is empty: give at least one kgenint.motifs.Motif.")
    for i, m in enumerate(out):
        if not isinstance(m, Motif):
            raise InputError(
                f"{name}[{i}] is a {type(m).__name__}, not a kgenint.motifs.Motif. Read motif files "
                f"with kgenint.motifs.read_motifs or build one with Motif.from_consensus."
            )
    return out


def motifs_to_kernel(
    motifs: Sequence[Motif],
    width: int | None = None,
    *,
    pseudocount: float = 0.1,
    base: float = 2.0,
    align: str = "center",
) -> np.ndarray:
    """Stack motifs' log-odds matrices into a convolution kernel.

    Parameters
    ----------
    motifs : sequence of Motif, length M
        The motifs; each contributes one filter.
    width : int, optional
        Kernel width ``W`` (positions); the widest motif's width when omitted. Narrower motifs
        are padded with zeros (a zero log-odds column scores every base as background).
    pseudocount : float
        MEME-style pseudo-sites spread by the background (see :meth:`Motif.log_odds`); > 0 keeps
        the scores finite.
    base : float
        Logarithm base of the scores (2: bits).
    align : {"center", "left"}
        Where a narrower motif sits in the window.

    Returns
    -------
    np.ndarray, float32, shape (W, 4, M)
        ``kernel[j, b, m]`` is the log-odds of base ``b`` at motif position ``j`` of motif ``m``.
    """
    motifs = _check_motifs(motifs)
    if pseudocount <= 0:
        raise InputError(
            f"pseudocount must be > 0 so that log-odds are finite. Received: pseudocount={pseudocount}"
        )
    if align not in ("center", "left"):
        raise InputError(f"align must be 'center' or 'left'. Received: align={align!r}")
    wmax = max(m.width for m in motifs)
    width = wmax if width is None else int(width)
    if width < wmax:
        widest = max(motifs, key=lambda m: m.width)
        raise InputError(
            f"The kernel width {width} is narrower than motif {widest.name!r} (width {widest.width}). "
            f"Use a kernel of at least {wmax} positions or trim the motif with Motif.trim()."
        )
    k = np.zeros((width, 4, len(motifs)), dtype=np.float32)
    for i, m in enumerate(motifs):
        lo = (width - m.width) // 2 if align == "center" else 0
        k[lo : lo + m.width, :, i] = m.log_odds(pseudocount, base=base)
    return k


@keras.saving.register_keras_serializable(package="kgenint")
class PWMInitializer(keras.initializers.Initializer):
    """Initialise a ``(W, 4, F)`` convolution kernel with motif log-odds matrices.

    The first ``M = len(motifs)`` filters hold the motifs (centred in the window, zero-padded);
    the remaining ``F - M`` filters are drawn from a normal distribution with ``stddev``.

    Args:
        motifs: list of :class:`kgenint.motifs.Motif` (M motifs).
        pseudocount: float, MEME-style pseudo-sites for the log-odds (> 0).
        base: float, logarithm base of the scores (2 gives bits).
        scale: float, multiplies the log-odds (use < 1 with an exponential activation).
        stddev: float, standard deviation of the random filters beyond the motifs.
        seed: int or None, seed of the random filters.
        motif_names, motif_widths: set by ``from_config``; do not pass them yourself.

    Serialisation: the config holds only names, widths and scalars, never the matrices. A
    rebuilt initializer puts zeros in the motif slots; ``keras.models.load_model`` then restores
    the saved kernel values.

    Example:

    >>> from kgenint.motifs import Motif
    >>> init = PWMInitializer([Motif.from_consensus("TGACTCA", name="AP1")])
    >>> layer = keras.layers.Conv1D(8, 11, kernel_initializer=init)
    >>> layer.build((None, 100, 4)); tuple(layer.kernel.shape)
    (11, 4, 8)
    """

    def __init__(
        self,
        motifs: Sequence[Motif] | None = None,
        pseudocount: float = 0.1,
        base: float = 2.0,
        scale: float = 1.0,
        stddev: float = 0.05,
        seed: int | None = None,
        motif_names: Sequence[str] | None = None,
        motif_widths: Sequence[int] | None = None,
    ):
        if motifs is not None:
            motifs = _check_motifs(motifs)
            motif_names = [m.name for m in motifs]
            motif_widths = [m.width for m in motifs]
        elif motif_names is None:
            raise InputError("PWMInitializer needs motifs: a list of kgenint.motifs.Motif objects.")
        if pseudocount <= 0:
            raise InputError(f"pseudocount must be > 0. Received: pseudocount={pseudocount}")
        if stddev < 0:
            raise InputError(f"stddev must be >= 0. Received: stddev={stddev}")
        self.motifs = motifs
        self.pseudocount = float(pseudocount)
        self.base = float(base)
        self.scale = float(scale)
        self.stddev = float(stddev)
        self.seed = seed
        self.motif_names = [str(n) for n in motif_names]
        self.motif_widths = [int(w) for w in (motif_widths or [])]

    def __call__(self, shape, dtype=None):
        shape = tuple(int(s) for s in shape)
        if len(shape) != 3 or shape[1] != 4:
            raise InputError(
                f"PWMInitializer fills (width, 4, filters) kernels of a first-layer Conv1D on one-hot "
                f"DNA. Received kernel shape {shape}."
            )
        w, _, f = shape
        m = len(self.motif_names)
        if f < m:
            raise InputError(
                f"The layer has {f} filters but PWMInitializer holds {m} motifs: give the layer at "
                f"least {m} filters."
            )
        rng = np.random.default_rng(self.seed)
        k = (rng.standard_normal(shape) * self.stddev).astype(np.float32)
        if self.motifs is not None:
            k[:, :, :m] = self.scale * motifs_to_kernel(
                self.motifs, w, pseudocount=self.pseudocount, base=self.base
            )
        else:  # rebuilt from config: the saved weights will replace these zeros
            k[:, :, :m] = 0.0
        return keras.ops.convert_to_tensor(k, dtype=dtype or "float32")

    def get_config(self) -> dict:
        return {
            "pseudocount": self.pseudocount,
            "base": self.base,
            "scale": self.scale,
            "stddev": self.stddev,
            "seed": self.seed,
            "motif_names": list(self.motif_names),
            "motif_widths": list(self.motif_widths),
        }
