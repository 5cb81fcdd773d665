"""First-layer convolution filters to motifs.

Two ways to read a motif out of a CNN's first convolution layer:

* :func:`filters_to_motifs` -- the activation-based practice of DeepBind and Basset: run the
  filter over real sequences, keep every window whose activation reaches a fraction
  (``threshold``) of the filter's largest activation over the whole data set, align those
  windows and count them into a position frequency matrix.  The result reflects what the filter
  responds to *in the data*, and has counts, so it can be compared with database motifs.
* :func:`weights_to_motifs` -- the plain weight-based PWM: a softmax over the four bases of the
  filter weights at each position.  No data needed, but it ignores the filter bias, the
  activation function and which sequences actually occur.

Nothing here imports TensorFlow: activations either come in as an array (computed by the model
upstream, e.g. by :mod:`kgenint.keras`) or are computed here with a Numba kernel from the kernel
weights and bias.  The kernel layout is Keras' ``Conv1D`` layout ``(W, 4, F)``; a PyTorch
``Conv1d.weight`` of shape ``(F, 4, W)`` must be given as ``weight.transpose(2, 1, 0)``.

Alignment of activations to sequence windows (stride 1, no dilation)
--------------------------------------------------------------------
``padding="valid"``
    activation ``j`` covers input positions ``j .. j+W-1``; ``L' = L - W + 1``.
``padding="same"``
    Keras/TensorFlow zero padding: ``(W - 1) // 2`` zeros before the sequence and the rest
    after, so activation ``j`` covers ``j - (W-1)//2 .. j - (W-1)//2 + W - 1``; ``L' = L``.
``padding="causal"``
    ``W - 1`` zeros before: activation ``j`` covers ``j-W+1 .. j``; ``L' = L``.
``padding="auto"`` (default)
    ``"valid"`` when activations are computed here or have length ``L - W + 1``, ``"same"``
    when given activations have length ``L``.

Window positions that fall into the padding, ``N`` rows (all 0) and ambiguous rows (all 0.25)
count as nothing, so the rows of a count matrix can have different totals.

Filters with few sites
----------------------
Every filter gives one motif, in filter order (``result[i]`` is filter ``i``), unless
``drop_few_sites=True``.  A filter with fewer than ``min_sites`` sites is kept, flagged
``metadata["few_sites"] = True``, and one warning names all such filters: its matrix rests on
too few windows to be trusted, but dropping it silently would shift indices and hide a dead
filter.  A filter that never activates above zero has no sites at all; its matrix is the
background (no counts).
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .._deprecation import renamed_args
from .._validate import check_onehot, check_unit_fraction
from ..errors import InputError
from .motif import Motif, validate_background

__all__ = ["filters_to_motifs", "weights_to_motifs"]

#: Activation chunks are at most this many bytes; smaller totals are kept between passes.
_CHUNK_BYTES = 64 * 2**20
_KEEP_BYTES = 256 * 2**20
#: Sequence blocks of the site-collection kernel (fixed, so results do not depend on threads).
_N_BLOCKS = 64
_PADDINGS = ("auto", "valid", "same", "causal")
_ACTIVATIONS = {"linear": 0, None: 0, "relu": 1, "exp": 2, "exponential": 2}


# ---------------------------------------------------------------------------- validation
def _check_weights(weights: Any, dtype: type = np.float32) -> np.ndarray:
    try:
        w: np.ndarray = np.asarray(weights, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise InputError(f"weights must be a numeric array ({err}).") from None
    if w.ndim != 3 or w.shape[1] != 4 or w.shape[0] == 0 or w.shape[2] == 0:
        hint = ""
        if w.ndim == 2 and w.shape[1] == 4:
            hint = " A single filter (W, 4) needs a filter axis: pass weights[:, :, None]."
        elif w.ndim == 3 and w.shape[2] == 4:
            hint = " It looks like (W, F, 4): pass weights.transpose(0, 2, 1)."
        elif w.ndim == 4 and 1 in w.shape[:2]:
            hint = " It looks like a Conv2D kernel: squeeze the axis of size 1."
        raise InputError(
            "weights must be a first-layer Conv1D kernel of shape (W, 4, F): filter width W, "
            f"the 4 bases A, C, G, T, F filters (Keras layout). Received shape {w.shape}.{hint} "
            "A PyTorch Conv1d weight (F, 4, W) must be passed as weight.transpose(2, 1, 0)."
        )
    if not np.all(np.isfinite(w)):
        k, c, f = np.argwhere(~np.isfinite(w))[0]
        raise InputError(
            f"weights has a non-finite value at position {k}, base {'ACGT'[c]}, filter {f}."
        )
    return np.ascontiguousarray(w)


def _check_names(names: Sequence[str] | None, n_filt: int) -> list[str]:
    if names is None:
        return [f"filter_{i}" for i in range(n_filt)]
    if isinstance(names, str):
        raise InputError(f"names must be a list of {n_filt} strings, not one string.")
    names = [str(n) for n in names]
    if len(names) != n_filt:
        raise InputError(
            f"names must give one name per filter: {n_filt} filters but {len(names)} names."
        )
    if any(not n for n in names):
        raise InputError("names must be non-empty strings.")
    return names


def _check_threshold(threshold: Any) -> float:
    return check_unit_fraction(threshold, "threshold", "the fraction of each filter's maximum activation a window "
                               "must reach", " (Basset used 0.5)")


def _padding_geometry(padding: str, length: int, width: int) -> tuple[int, int]:
    """``(pad_left, out_len)`` of a stride-1 convolution."""
    if padding == "valid":
        return 0, length - width + 1
    if padding == "same":
        return (width - 1) // 2, length
    if padding == "causal":
        return width - 1, length
    raise AssertionError(padding)


def _resolve_bg_freqs(bg_freqs: Any, x: np.ndarray) -> np.ndarray:
    if isinstance(bg_freqs, str):
        if bg_freqs != "data":
            raise InputError(
                f"bg_freqs (the motifs' background letter frequencies) must be None (uniform), "
                f"'data' or 4 frequencies (A, C, G, T). Received: bg_freqs={bg_freqs!r}"
            )
        freq = (x == 1.0).sum(axis=(0, 1)).astype(np.float64)
        if freq.sum() == 0 or np.any(freq == 0):
            raise InputError(
                "bg_freqs='data': the sequences in x lack at least one of A, C, G, T; give the "
                "background letter frequencies explicitly."
            )
        return freq / freq.sum()
    try:
        return validate_background(bg_freqs, name="bg_freqs")
    except InputError as err:
        raise InputError(str(err).replace("Motif 'bg_freqs': the background", "bg_freqs: the background")) from None


def _resolve_activation(activation_fn: Any) -> tuple[int, Callable[[np.ndarray], np.ndarray] | None]:
    if callable(activation_fn):
        return 0, activation_fn
    key = activation_fn.lower() if isinstance(activation_fn, str) else activation_fn
    if key not in _ACTIVATIONS:
        raise InputError(
            "activation_fn must be None, 'linear', 'relu', 'exp' or a function of a numpy array. "
            f"Received: activation_fn={activation_fn!r}"
        )
    return _ACTIVATIONS[key], None


def _number(v: Any) -> float:
    """``float(v)``, or NaN for anything that is not a number (so range checks reject it)."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _chunks(n: int, per_item_bytes: int) -> Iterator[tuple[int, int]]:
    step = max(1, _CHUNK_BYTES // max(1, per_item_bytes))
    for s in range(0, n, step):
        yield s, min(n, s + step)


# ---------------------------------------------------------------------------- public API
def filters_to_motifs(
    weights: Any,
    x: Any,
    *,
    activations: Any = None,
    activation_fn: str | Callable[[np.ndarray], np.ndarray] | None = None,
    bias: Any = None,
    padding: str = "auto",
    threshold: float = 0.5,
    min_sites: int = 10,
    drop_few_sites: bool = False,
    names: Sequence[str] | None = None,
    bg_freqs: Any = None,
    pseudocount: float = 0.0,
    trim: float | None = None,
    **deprecated: Any,
) -> list[Motif]:
    """Motifs of first-layer convolution filters from the windows that activate them.

    For each filter ``f`` the maximum activation ``m_f`` over all sequences and positions is
    found; every window whose activation is ``>= threshold * m_f`` is a site.  The sites'
    ``W``-long subsequences are counted into a ``(W, 4)`` position frequency matrix and turned
    into a :class:`~kgenint.motifs.Motif` with :meth:`Motif.from_counts`.  Filters whose maximum
    is not positive have no sites (see the module notes on filters with few sites).

    Parameters
    ----------
    weights : array_like, shape (W, 4, F)
        First convolution layer kernel in Keras ``Conv1D`` layout: filter width ``W``, bases
        A, C, G, T, ``F`` filters.  Needed for ``W`` and ``F`` even when ``activations`` are
        given.
    x : array_like, shape (N, L, 4)
        One-hot sequences (float32, ACGT; N rows all 0 or all 0.25 are allowed and count as
        nothing).
    activations : array_like, shape (N, L', F), optional
        The filters' activations on ``x`` (after bias and activation function), e.g. from the
        Keras model.  ``L'`` must be ``L - W + 1`` (valid) or ``L`` (same/causal).  When omitted
        they are computed here from ``weights``, ``bias`` and ``activation_fn``.
    activation_fn : {None, 'linear', 'relu', 'exp'} or callable, optional
        Elementwise activation applied after the convolution when activations are computed here;
        a callable gets and must return a float32 ``(n, L', F)`` numpy array (it should be
        monotonic increasing, or thresholding against the maximum makes no sense).  None is
        linear.  Not allowed together with ``activations``.  The threshold applies after the
        activation: for ReLU (Basset) that is the same as before it, for 'exp' a fraction of
        the maximum is a fixed distance ``-ln(threshold)`` below the maximal pre-activation.
    bias : array_like, shape (F,), optional
        Filter biases (activation units); zero when omitted.  Not allowed with ``activations``.
    padding : {'auto', 'valid', 'same', 'causal'}
        How activation positions align to sequence windows (module notes).
    threshold : float
        Fraction of each filter's maximum activation, in (0, 1]; windows at or above it are
        sites.  0.5 is the Basset choice.
    min_sites : int
        Filters with fewer sites are flagged ``metadata["few_sites"]`` and warned about.
    drop_few_sites : bool
        Leave filters with fewer than ``min_sites`` sites out of the result (then ``result[i]``
        is no longer filter ``i``: use ``metadata["filter_index"]``).
    names : sequence of str, length F, optional
        Motif names; ``filter_<i>`` by default.
    bg_freqs : None, 'data' or array_like, shape (4,)
        ACGT background letter frequencies of the motifs (uniform when None; 'data' uses the
        base composition of ``x``).  Pseudocounts are spread by it. (Old name: ``background``.)
    pseudocount : float
        Total pseudo-sites added to every row (spread by the background), >= 0.
    trim : float, optional
        If given, trim flanking positions whose information content is below ``trim`` bits;
        ``metadata["trim_start"]``/``["trim_end"]`` give the kept slice of the filter.

    Returns
    -------
    list of Motif
        One per filter (see ``drop_few_sites``), with ``counts`` and metadata keys
        ``source`` ("filter_activations"), ``filter_index``, ``n_sites``, ``threshold``
        (absolute activation cutoff, NaN without sites), ``threshold_fraction``,
        ``max_activation``, ``mean_activation`` (mean over sites, NaN without sites),
        ``few_sites``, ``padding``.

    Raises
    ------
    InputError
        Weights not ``(W, 4, F)``, ``x`` not one-hot or shorter than ``W``, activations of the
        wrong shape or non-finite, bias not ``(F,)``, threshold outside (0, 1], bad padding,
        names, bg_freqs or pseudocount.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (50, 40))]
    >>> w = np.eye(4, dtype=np.float32)[[0, 1, 2, 3]][:, :, None] * 2 - 1   # prefers "ACGT"
    >>> m = filters_to_motifs(w, x, threshold=0.99, min_sites=1)[0]
    >>> m.consensus, m.metadata["n_sites"] > 0
    ('ACGT', True)
    """
    if deprecated:
        bg_freqs = renamed_args("filters_to_motifs", deprecated, {"background": "bg_freqs"},
                                {"bg_freqs": bg_freqs}, {"bg_freqs": None})["bg_freqs"]
    w = _check_weights(weights)
    width, _, n_filt = w.shape
    xx = check_onehot(x, "x")
    n_seq, length, _ = xx.shape
    t = _check_threshold(threshold)
    if padding not in _PADDINGS:
        raise InputError(f"padding must be one of {_PADDINGS}. Received: padding={padding!r}")
    try:
        min_sites = int(min_sites)
    except (TypeError, ValueError):
        raise InputError(f"min_sites must be an integer >= 0. Received: min_sites={min_sites!r}") from None
    if min_sites < 0:
        raise InputError(f"min_sites must be >= 0. Received: min_sites={min_sites}")
    pc = _number(pseudocount)
    if not (math.isfinite(pc) and pc >= 0):
        raise InputError(f"pseudocount must be a finite number >= 0. Received: pseudocount={pseudocount!r}")
    if trim is not None and not (math.isfinite(_number(trim)) and _number(trim) >= 0):
        raise InputError(f"trim must be None or a number of bits >= 0. Received: trim={trim!r}")
    motif_names = _check_names(names, n_filt)
    bg = _resolve_bg_freqs(bg_freqs, xx)

    from .._kernels.filters import collect_sites, conv1d

    if activations is not None:
        if activation_fn is not None or bias is not None:
            raise InputError(
                "Give either activations (already computed, with bias and activation function "
                "applied) or activation_fn/bias to compute them here, not both."
            )
        act_all = _check_activations(activations, n_seq, length, width, n_filt, padding)
        mode = "same" if (padding == "auto" and act_all.shape[1] == length and width > 1) else (
            "valid" if padding == "auto" else padding
        )
        pad_left, out_len = _padding_geometry(mode, length, width)

        def chunk_act(s: int, e: int) -> np.ndarray:
            return act_all[s:e]

        keep = False
    else:
        mode = "valid" if padding == "auto" else padding
        pad_left, out_len = _padding_geometry(mode, length, width)
        if out_len < 1:
            raise InputError(
                f"x has sequences of length {length}, shorter than the filter width {width}: "
                "valid convolution gives no windows. Use longer sequences or padding='same'."
            )
        if bias is None:
            b = np.zeros(n_filt, dtype=np.float32)
        else:
            try:
                b = np.asarray(bias, dtype=np.float32).reshape(-1)
            except (TypeError, ValueError):
                raise InputError("bias must be a numeric array of shape (F,).") from None
            if b.shape != (n_filt,) or np.asarray(bias).ndim > 1:
                raise InputError(
                    f"bias must have shape (F,) = ({n_filt},), one value per filter. "
                    f"Received shape {np.shape(bias)}."
                )
            if not np.all(np.isfinite(b)):
                raise InputError(f"bias has a non-finite value at filter {int(np.argmax(~np.isfinite(b)))}.")
        code, fn = _resolve_activation(activation_fn)

        def chunk_act(s: int, e: int) -> np.ndarray:
            a = conv1d(xx[s:e], w, b, pad_left, out_len, code)
            if fn is not None:
                a = np.asarray(fn(a), dtype=np.float32)
                if a.shape != (e - s, out_len, n_filt):
                    raise InputError(
                        f"activation_fn must return an array of the shape it was given "
                        f"({e - s}, {out_len}, {n_filt}). It returned shape {a.shape}."
                    )
                if not np.all(np.isfinite(a)):
                    raise InputError("activation_fn returned non-finite values.")
            return a

        keep = n_seq * out_len * n_filt * 4 <= _KEEP_BYTES

    per_seq = out_len * n_filt * 4
    spans = list(_chunks(n_seq, per_seq))
    kept: list[np.ndarray] = []
    max_act = np.full(n_filt, -np.inf)
    for s, e in spans:
        a = chunk_act(s, e)
        if a.shape[1] > 0:
            max_act = np.maximum(max_act, a.max(axis=(0, 1)).astype(np.float64))
        if keep:
            kept.append(a)
    cutoff = np.where(max_act > 0, t * max_act, np.inf)

    counts = np.zeros((n_filt, width, 4), dtype=np.float64)
    n_sites = np.zeros(n_filt, dtype=np.int64)
    sum_act = np.zeros(n_filt, dtype=np.float64)
    for ci, (s, e) in enumerate(spans):
        a = np.ascontiguousarray(kept[ci] if keep else chunk_act(s, e))
        c, ns, sa = collect_sites(xx[s:e], a, cutoff, width, pad_left, _N_BLOCKS)
        counts += c
        n_sites += ns
        sum_act += sa
    del kept

    motifs: list[Motif] = []
    few: list[str] = []
    for f in range(n_filt):
        name = motif_names[f]
        ns = int(n_sites[f])
        meta = {
            "source": "filter_activations",
            "filter_index": f,
            "n_sites": ns,
            "threshold": float(cutoff[f]) if ns else float("nan"),
            "threshold_fraction": t,
            "max_activation": float(max_act[f]),
            "mean_activation": float(sum_act[f] / ns) if ns else float("nan"),
            "few_sites": ns < min_sites,
            "padding": mode,
        }
        if ns < min_sites:
            few.append(f"{name} ({ns})")
            if drop_few_sites:
                continue
        motifs.append(_motif_from_counts(counts[f], name, bg, pc, meta, trim))
    if few:
        what = "left out" if drop_few_sites else "kept with metadata['few_sites']=True"
        warnings.warn(
            f"{len(few)} of {n_filt} filters have fewer than {min_sites} sites at threshold {t:g} "
            f"of their maximum activation ({what}): {', '.join(few[:20])}"
            f"{' ...' if len(few) > 20 else ''}. Their matrices rest on too few windows; use more "
            "sequences or a lower threshold.",
            stacklevel=2,
        )
    return motifs


def _check_activations(
    activations: Any, n_seq: int, length: int, width: int, n_filt: int, padding: str
) -> np.ndarray:
    try:
        a = np.asarray(activations, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise InputError(f"activations must be a numeric array ({err}).") from None
    valid_len = length - width + 1
    if a.ndim != 3 or a.shape[0] != n_seq or a.shape[2] != n_filt:
        raise InputError(
            f"activations must have shape (N, L', F) = ({n_seq}, L', {n_filt}) to match x "
            f"(N={n_seq}) and weights (F={n_filt}). Received shape {a.shape}."
        )
    expected = {
        "auto": (valid_len, length),
        "valid": (valid_len,),
        "same": (length,),
        "causal": (length,),
    }[padding]
    if a.shape[1] not in expected:
        raise InputError(
            f"activations have length L'={a.shape[1]} but with padding={padding!r}, sequences of "
            f"length L={length} and filter width W={width} the length must be "
            f"{' or '.join(str(v) for v in expected)} (valid: L-W+1, same/causal: L). Strided, "
            "dilated or pooled activations are not supported: take the convolution's own output."
        )
    if a.shape[1] < 1:
        raise InputError(f"activations are empty along the position axis (shape {a.shape}).")
    if not np.all(np.isfinite(a)):
        i, j, f = np.argwhere(~np.isfinite(a))[0]
        raise InputError(
            f"activations have a non-finite value in sequence {i}, position {j}, filter {f}."
        )
    return a


def _motif_from_counts(
    c: np.ndarray, name: str, bg: np.ndarray, pc: float, meta: dict, trim: float | None
) -> Motif:
    tot = c.sum(axis=1)
    if meta["n_sites"] == 0 or not np.any(tot > 0):
        m = Motif(name=name, pwm=np.tile(bg, (c.shape[0], 1)), bg_freqs=bg, metadata=meta)
    elif pc > 0 or np.all(tot > 0):
        m = Motif.from_counts(c, name, pseudocount=pc, bg_freqs=bg, metadata=meta)
    else:  # some rows only ever fell into padding or N: give them the background
        pwm = np.where(tot[:, None] > 0, c / np.maximum(tot, 1e-300)[:, None], bg[None, :])
        m = Motif(name=name, pwm=pwm, counts=c, bg_freqs=bg, metadata=meta)
    if trim is not None:
        m, s, e = m.trim(float(trim), return_offsets=True)
        m.metadata["trim_start"] = s
        m.metadata["trim_end"] = e
    return m


def weights_to_motifs(
    weights: Any,
    *,
    temperature: float = 1.0,
    names: Sequence[str] | None = None,
    bg_freqs: Any = None,
    **deprecated: Any,
) -> list[Motif]:
    """Weight-based PWMs: a softmax over the bases of each filter position.

    ``pwm[k, c] = exp(w[k, c, f] / T) / sum_c' exp(w[k, c', f] / T)`` for filter ``f`` and
    temperature ``T``.  This ignores bias, activation function and data; prefer
    :func:`filters_to_motifs` when sequences are available.

    Parameters
    ----------
    weights : array_like, shape (W, 4, F)
        First convolution layer kernel (Keras ``Conv1D`` layout).
    temperature : float
        Softmax temperature ``T > 0`` (weight units): lower is sharper.
    names : sequence of str, length F, optional
        Motif names; ``filter_<i>`` by default.
    bg_freqs : array_like, shape (4,), optional
        ACGT background letter frequencies stored in the motifs (uniform when None); they do not
        enter the softmax. (Old name: ``background``.)

    Returns
    -------
    list of Motif
        One per filter, metadata ``source`` ("filter_weights"), ``filter_index``,
        ``temperature``.

    Raises
    ------
    InputError
        Weights not ``(W, 4, F)`` or non-finite, temperature not > 0, wrong number of names.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.log(np.array([[0.7, 0.1, 0.1, 0.1]]))[:, :, None]
    >>> weights_to_motifs(w)[0].pwm.round(3).tolist()
    [[0.7, 0.1, 0.1, 0.1]]
    """
    if deprecated:
        bg_freqs = renamed_args("weights_to_motifs", deprecated, {"background": "bg_freqs"},
                                {"bg_freqs": bg_freqs}, {"bg_freqs": None})["bg_freqs"]
    w = _check_weights(weights, np.float64)
    try:
        temp = float(temperature)
    except (TypeError, ValueError):
        raise InputError(f"temperature must be a number > 0. Received: temperature={temperature!r}") from None
    if not (math.isfinite(temp) and temp > 0):
        raise InputError(f"temperature must be a finite number > 0. Received: temperature={temperature!r}")
    motif_names = _check_names(names, w.shape[2])
    bg = validate_background(bg_freqs, name="bg_freqs")
    z = w / temp
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    return [
        Motif(
            name=motif_names[f],
            pwm=p[:, :, f],
            bg_freqs=bg,
            metadata={"source": "filter_weights", "filter_index": f, "temperature": temp},
        )
        for f in range(w.shape[2])
    ]
