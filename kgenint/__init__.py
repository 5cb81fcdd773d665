"""kgenint: which motifs a genomic CNN learned, and how they interact.

``import kgenint`` is light: it never imports TensorFlow.  kgenint's Keras layers are registered
with Keras as soon as both are imported, in either order: here if Keras is already imported,
otherwise right after ``import keras`` (a one-shot import hook), so plain
``keras.models.load_model`` finds them. :func:`kgenint.load_model` does the same explicitly.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
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


def _register_keras_objects() -> None:
    """Import :mod:`kgenint.keras`, which registers our custom objects with Keras."""
    try:
        importlib.import_module("kgenint.keras")
    except Exception as err:  # noqa: BLE001 - never break the user's ``import keras``
        import warnings

        warnings.warn(f"kgenint could not register its Keras layers ({err}); use kgenint.load_model.",
                      RuntimeWarning, stacklevel=2)


class _RegisterOnKerasImport(importlib.abc.MetaPathFinder):
    """One-shot hook: once ``keras`` has been imported (by anyone), register kgenint's layers.

    It finds nothing itself; it only wraps the real loader of the top-level ``keras`` package
    so that our registration runs right after Keras has finished importing, then removes itself.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec("keras")
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        exec_module = loader.exec_module

        def exec_then_register(module):
            exec_module(module)
            _register_keras_objects()

        loader.exec_module = exec_then_register
        return spec


if "keras" in sys.modules:  # Keras is already paid for: register our layers now.
    _register_keras_objects()
elif not any(isinstance(f, _RegisterOnKerasImport) for f in sys.meta_path):
    sys.meta_path.insert(0, _RegisterOnKerasImport())
