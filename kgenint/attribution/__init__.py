"""Attribution methods for Keras 3 genomic models, all returning float32 ``(N, L, 4)``.

``saliency`` and ``smoothgrad`` (through tf-keras-vis), ``gradient_x_input``,
``integrated_gradients``, ``deepshap`` (our exact DeepLIFT/DeepSHAP, with hypothetical
contributions), ``lrp`` (epsilon, z+, alpha-beta), ``ism`` (in-silico mutagenesis) and
``shap_deepexplainer`` (shap's DeepExplainer as a reference, made safe). ``attribute`` runs any of
them over large inputs in chunks to a resumable HDF5 file.

This package imports TensorFlow (lazily, on first use of a method).
"""
from .._lazy import lazy_exports

_EXPORTS = {
    "deepshap": "deeplift",
    "DeepShapResult": "deeplift",
    "AdditivityWarning": "deeplift",
    "saliency": "gradients",
    "smoothgrad": "gradients",
    "gradient_x_input": "gradients",
    "input_gradients": "gradients",
    "integrated_gradients": "gradients",
    "IGResult": "gradients",
    "gradient_correction": "gradients",
    "lrp": "relevance",
    "ism": "mutagenesis",
    "shap_deepexplainer": "shap_ref",
    "UnsupportedLayerError": "_rules",
    "attribute": "stream",
    "METHODS": "stream",
    "load_attributions": "stream",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
