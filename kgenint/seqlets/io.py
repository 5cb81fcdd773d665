"""Files of seqlet discovery: the tfmodisco-lite results HDF5 and attribution inputs.

Results layout (what ``modisco report`` / ``modisco meme`` 3.0.0 read)
---------------------------------------------------------------------
::

    /                               attrs: window_size (sequence length L)
    /pos_patterns/pattern_<i>/      i = 0, 1, ... (largest first); same for /neg_patterns
        sequence                    (E, 4) PPM of the aligned, untrimmed pattern
        contrib_scores              (E, 4) CWM
        hypothetical_contribs       (E, 4) hypothetical CWM
        seqlets/n_seqlets           (1,)   number of seqlets
        seqlets/start, end          (m,)   window of each aligned seqlet on the forward strand
        seqlets/example_idx         (m,)   sequence index
        seqlets/is_revcomp          (m,)   True when the seqlet is the pattern's reverse complement
        seqlets/sequence, contrib_scores, hypothetical_contribs   (m, E, 4)
    /kgenint/                       ours (modisco ignores it)
        attrs: format ("kgenint.seqlets/1"), kgenint_version, options, thresholds, timings,
               stats (JSON strings)
        seqlets/<field>             the seqlet table, one dataset per field (strand as bytes)
        motifs/<group>.pattern_<i>/ pwm, cwm, hcwm, counts (trimmed); attrs name, n_seqlets,
                                    sign, pattern_trim, annotation (JSON)

``E = window + 2 * flank``; pattern ``i`` of a group is ``result.motifs`` entry with that name.
Files are written to a temporary file in the same folder and moved into place (``os.replace``).

Attribution inputs (``kgenint seqlets --attributions``)
-------------------------------------------------------
* HDF5 with datasets ``onehot`` (or ``x``), and ``contributions`` and/or ``hypothetical``
  (``(N, L, 4)``);
* ``.npz`` with the same keys;
* ``.npy`` holding one ``(N, L, 4)`` attribution array, with the one-hot sequences given
  separately (``--data`` as ``.npy``/``.npz``/HDF5 with ``onehot`` or ``x``). Whether the array is
  contributions or hypothetical contributions is detected (contributions are zero at the three
  unobserved bases of every position) unless stated.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import cast

import numpy as np

from ..errors import FormatError, InputError
from ..motifs.motif import Motif
from .result import FORMAT, DiscoveryResult, save_hdf5

__all__ = ["save_hdf5", "load_hdf5", "read_modisco_motifs", "load_attributions", "FORMAT"]

def _pattern_items(group) -> list:
    items = []
    for name, g in group.items():
        try:
            idx = int(name.split("_")[-1])
        except ValueError:
            continue
        items.append((idx, name, g))
    return sorted(items)


def read_modisco_motifs(path: str | os.PathLike, trim_threshold: float = 0.3) -> list[Motif]:
    """Motifs of any tfmodisco(-lite) results HDF5 (ours or modisco's).

    Each pattern is trimmed like ``modisco report`` (positions with ``sum |CWM|`` at least
    ``trim_threshold`` of the largest). Motif names are ``pos_patterns.pattern_<i>``.

    Raises
    ------
    FormatError
        The file has neither ``pos_patterns`` nor ``neg_patterns`` or a pattern lacks a dataset.
    """
    import h5py

    from .aggregate import trim_bounds

    out = []
    with h5py.File(path, "r") as f:
        if "pos_patterns" not in f and "neg_patterns" not in f:
            if "kgenint" in f and "motifs" in f["kgenint"]:
                return []  # a valid result without any pattern
            raise FormatError("not a tfmodisco results file (no pos_patterns or neg_patterns group).", path=str(path))
        for gname in ("pos_patterns", "neg_patterns"):
            if gname not in f:
                continue
            for _, pname, g in _pattern_items(f[gname]):
                try:
                    ppm = np.asarray(g["sequence"][:], dtype=float)
                    cwm = np.asarray(g["contrib_scores"][:], dtype=float)
                    hcwm = np.asarray(g["hypothetical_contribs"][:], dtype=float)
                    n = int(g["seqlets"]["n_seqlets"][0])
                except KeyError as err:
                    raise FormatError(f"pattern {gname}/{pname} lacks dataset {err}.", path=str(path)) from None
                a, b = trim_bounds(cwm, trim_threshold)
                p = ppm[a:b] + 1e-9
                out.append(
                    Motif(
                        name=f"{gname}.{pname}", pwm=p / p.sum(axis=1, keepdims=True), cwm=cwm[a:b], hcwm=hcwm[a:b],
                        nsites=max(n, 1), metadata={"n_seqlets": n, "sign": 1 if gname == "pos_patterns" else -1,
                                                    "pattern_trim": (a, b), "source": str(path)},
                    )
                )
    return out


def load_hdf5(path: str | os.PathLike):
    """Read back what :func:`save_hdf5` wrote, as a :class:`~kgenint.seqlets.DiscoveryResult`.

    ``patterns`` are not rebuilt (read them with h5py or modisco); ``motifs`` carry their sites.
    """
    import h5py

    from .aggregate import SITE_DTYPE
    from .calling import SEQLET_DTYPE, SeqletThresholds

    with h5py.File(path, "r") as f:
        if "kgenint" not in f or f["kgenint"].attrs.get("format") != FORMAT:
            raise FormatError(f"not a kgenint seqlets results file (no /kgenint group of format {FORMAT}).", path=str(path))
        k = f["kgenint"]
        sq = k["seqlets"]
        n = sq["seq"].shape[0]
        table = np.zeros(n, dtype=SEQLET_DTYPE)
        for name in cast(tuple[str, ...], SEQLET_DTYPE.names):  # a structured dtype: never None
            col = sq[name][:]
            table[name] = col.astype("U1") if name == "strand" else col
        th = json.loads(k.attrs["thresholds"])
        th["per_length"] = {int(a): tuple(b) for a, b in th.get("per_length", {}).items()}
        thresholds = SeqletThresholds(**th)
        motifs = []
        for name, g in k["motifs"].items():
            sign = int(g.attrs["sign"])
            idx = int(name.split("_")[-1])
            group = name.split(".")[0]
            motifs.append((0 if group == "pos_patterns" else 1, idx, name, g, sign))
        motifs.sort()
        out = []
        for ci, (_, _, name, g, sign) in enumerate(motifs):
            rows = np.flatnonzero(table["cluster"] == ci)
            sites = np.zeros(rows.size, dtype=SITE_DTYPE)
            sites["seq"] = table["seq"][rows]
            sites["start"] = table["site_start"][rows]
            sites["end"] = table["site_end"][rows]
            sites["strand"] = table["strand"][rows]
            n_seqlets = int(g.attrs["n_seqlets"])
            meta = {"n_seqlets": n_seqlets, "sign": sign, "sites": sites, "seqlet_index": rows,
                    "pattern_trim": tuple(int(v) for v in g.attrs["pattern_trim"]),
                    "mean_similarity": float(g.attrs["mean_similarity"]), "source": str(path)}
            if "annotation" in g.attrs:
                meta["annotation"] = json.loads(g.attrs["annotation"])
            out.append(Motif(name=name, pwm=g["pwm"][:], cwm=g["cwm"][:], hcwm=g["hcwm"][:],
                             counts=g["counts"][:] if "counts" in g else None, nsites=max(n_seqlets, 1),
                             metadata=meta))
        return DiscoveryResult(
            motifs=out, seqlets=table, patterns=[], thresholds=thresholds, timings=json.loads(k.attrs["timings"]),
            stats=json.loads(k.attrs["stats"]), options=json.loads(k.attrs["options"]),
            sequence_length=int(k.attrs["sequence_length"]),
        )


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    suffix = path.suffix.lower()
    if not path.exists():
        raise FileNotFoundError(f"No such file: {path}")
    if suffix == ".partial" or path.name.endswith(".partial.h5"):
        raise FormatError("this is the checkpoint of an unfinished run; run the same command again to finish it "
                          f"and give the finished file ({path.name.rsplit('.partial', 1)[0]}) instead.", path=str(path))
    if suffix in (".npy", ".npz"):
        # a damaged file fails in many ways (ValueError, EOFError, zipfile.BadZipFile, zlib.error,
        # SyntaxError from the header, MemoryError from a garbled shape): all mean "damaged"
        try:
            if suffix == ".npy":
                return {"array": np.load(path, allow_pickle=False)}
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except Exception as err:  # noqa: BLE001
            raise FormatError(f"cannot read as a {suffix} file: truncated or damaged "
                              f"({type(err).__name__}: {' '.join(str(err).split())[:200]}); write it again.",
                              path=str(path)) from None
    import h5py

    try:
        with h5py.File(path, "r") as f:
            if f.attrs.get("kgenint_format") == "attributions":
                from .._io_inputs import check_attribution_file

                check_attribution_file(str(path), f)
            return {k: f[k][:] for k in f.keys() if isinstance(f[k], h5py.Dataset)}
    except (OSError, KeyError, ValueError, RuntimeError, TypeError) as err:
        if isinstance(err, InputError):
            raise
        raise FormatError(f"cannot read as HDF5, .npz or .npy, or the file is damaged ({err}).",
                          path=str(path)) from None


def load_attributions(
    attributions: str | os.PathLike, data: str | os.PathLike | None = None, kind: str = "auto"
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Read ``(onehot, contributions, hypothetical)`` for :func:`~kgenint.seqlets.discover`.

    Parameters
    ----------
    attributions : path
        HDF5 / ``.npz`` with ``contributions`` and/or ``hypothetical`` (and optionally
        ``onehot``/``x``), or ``.npy`` with one ``(N, L, 4)`` array.
    data : path, optional
        Where the one-hot sequences are (dataset/key ``onehot`` or ``x``, or a ``.npy``) when
        ``attributions`` lacks them.
    kind : {"auto", "contributions", "hypothetical"}
        What a lone array (``.npy`` or a single unnamed dataset) holds.

    Raises
    ------
    FormatError
        Missing arrays (the message lists what the file holds).
    """
    if kind not in ("auto", "contributions", "hypothetical"):
        raise InputError(f"kind must be 'auto', 'contributions' or 'hypothetical'. Received: kind={kind!r}")
    apath = Path(attributions)
    arrs = _read_arrays(apath)
    onehot = arrs.get("onehot", arrs.get("x"))
    if onehot is None and data is not None:
        d = _read_arrays(Path(data))
        onehot = d.get("onehot", d.get("x", d.get("array")))
        if onehot is None:
            raise FormatError(f"no 'onehot' or 'x' array (found: {', '.join(sorted(d)) or 'nothing'}).", path=str(data))
    if onehot is None:
        raise FormatError(
            f"no one-hot sequences: the file holds {', '.join(sorted(arrs)) or 'nothing'}; add a dataset "
            f"'onehot' (or 'x') or give the sequences with --data.", path=str(apath)
        )
    contrib = arrs.get("contributions", arrs.get("contrib_scores"))
    hyp = arrs.get("hypothetical", arrs.get("hypothetical_contribs"))
    lone = arrs.get("array", arrs.get("attributions"))
    if contrib is None and hyp is None and lone is not None:
        if kind == "auto":
            oh = np.asarray(onehot)
            la = np.asarray(lone)
            is_contrib = la.shape == oh.shape and np.array_equal(la * (oh == 0), np.zeros_like(la))
            kind = "contributions" if is_contrib else "hypothetical"
        if kind == "contributions":
            contrib = lone
        else:
            hyp = lone
    if contrib is None and hyp is None:
        raise FormatError(
            f"no attribution arrays: expected 'contributions' and/or 'hypothetical' of shape (N, L, 4); "
            f"the file holds {', '.join(sorted(arrs)) or 'nothing'}.", path=str(apath)
        )
    return np.asarray(onehot, dtype=np.float32), contrib, hyp
