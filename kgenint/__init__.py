"""kgenint: which motifs a genomic CNN learned, and how they interact.

``import kgenint`` is light: it never imports TensorFlow.  The Keras layers are registered with
Keras when :mod:`kgenint.keras` is imported, which happens automatically here if Keras is already
imported, and always in :func:`kgenint.load_model`.
"""
from __future__ import annotations

import sys

from ._version import __version__

__all__ = ["__version__", "load_model"]


def load_model(path, **kwargs):
    """Load a ``.keras`` model that may use kgenint layers.

    A thin wrapper around ``keras.models.load_model`` that first registers kgenint's custom
    layers, so a saved model loads without the caller importing :mod:`kgenint.keras`.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.keras`` file.
    **kwargs
        Passed to ``keras.models.load_model``.
    """
    from .keras import load_model as _load

    return _load(path, **kwargs)


if "keras" in sys.modules:  # Keras is already paid for: register our layers now.
    try:
        from .keras import layers as _layers  # noqa: F401
    except ImportError:  # pragma: no cover - kgenint.keras not importable in this env
        pass
