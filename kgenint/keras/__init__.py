"""The Keras 3 front of kgenint: genomic layers, reference architectures, training, callbacks.

Keras 3 on the TensorFlow backend (``import keras``).  Importing this package registers every
custom object kgenint defines (layers and initializers), so a model saved with them loads with
plain ``keras.models.load_model`` in a fresh process; the other submodules are imported on first
use.

* :mod:`kgenint.keras.layers` -- :class:`RevCompConv1D`, :class:`ExpActivation`,
  :class:`MotifScan`, :class:`ProfileScalar` (and :func:`profile_scalar`)
* :mod:`kgenint.keras.initializers` -- :class:`PWMInitializer`
* :mod:`kgenint.keras.models` -- ``deepbind``, ``local_cnn``, ``distributed_cnn``, ``basset``,
  ``bpnet``, ``interaction_cnn`` (the demo's architecture) and :func:`build_model`
* :mod:`kgenint.keras.adapter` -- :func:`as_predict_fn` (a Keras model as ``predict(onehot)``)
* :mod:`kgenint.keras.training` -- :func:`train_model`, :func:`shuffled_batches`, :func:`read_training_data`
* :mod:`kgenint.keras.callbacks` -- :class:`FilterMotifTracker`, :class:`AttributionMonitor`,
  :class:`InteractionMonitor`
* :mod:`kgenint.keras.receptive` -- :func:`receptive_field` (any layer's field from the graph)
* :mod:`kgenint.keras.units` -- :func:`unit_motifs`, :func:`representation`, :func:`split_at`
* :mod:`kgenint.keras.callback_features` -- :class:`FeatureMonitor`
"""
from __future__ import annotations

import os

import keras  # noqa: F401  (the one heavy import this package is allowed)

from .._lazy import lazy_exports
from . import initializers as _initializers  # noqa: F401  (registers PWMInitializer with Keras)
from . import layers as _layers  # noqa: F401  (registers the layers with Keras)

_EXPORTS = {
    "RevCompConv1D": "layers",
    "ExpActivation": "layers",
    "MotifScan": "layers",
    "ProfileScalar": "layers",
    "profile_scalar": "layers",
    "PWMInitializer": "initializers",
    "deepbind": "models",
    "local_cnn": "models",
    "distributed_cnn": "models",
    "basset": "models",
    "bpnet": "models",
    "interaction_cnn": "models",
    "build_model": "models",
    "ARCHITECTURES": "models",
    "as_predict_fn": "adapter",
    "train_model": "training",
    "shuffled_batches": "training",
    "read_training_data": "training",
    "FilterMotifTracker": "callbacks",
    "AttributionMonitor": "callbacks",
    "InteractionMonitor": "callbacks",
    "FeatureMonitor": "callback_features",
    "receptive_field": "receptive",
    "unit_motifs": "units",
    "representation": "units",
    "split_at": "model_split",
}
__all__ = sorted([*_EXPORTS, "load_model"])
_getattr, __dir__ = lazy_exports(__name__, _EXPORTS)


def __getattr__(name: str):
    return _getattr(name)


def load_model(path: str | os.PathLike, **kwargs):
    """``keras.models.load_model`` with kgenint's layers registered first.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.keras`` file.
    **kwargs
        Passed to ``keras.models.load_model`` (``compile=False`` is a common choice).
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"No model file at {os.fspath(path)!r}.")
    return keras.models.load_model(path, **kwargs)
