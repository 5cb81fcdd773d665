"""The result of seqlet discovery, :class:`DiscoveryResult`, and its writer :func:`save_hdf5`
(tfmodisco-lite results layout, described in :mod:`kgenint.seqlets.io`).

Shared by :mod:`kgenint.seqlets.pipeline` (which builds it) and :mod:`kgenint.seqlets.io` (which
reads it back), so neither imports the other.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..errors import InputError
from .calling import SeqletThresholds

__all__ = ["DiscoveryResult", "save_hdf5", "FORMAT"]

@dataclass
class DiscoveryResult:
    """Result of :func:`discover`.

    Attributes
    ----------
    motifs : list of Motif
        Trimmed motifs, positive ones first, each by decreasing seqlet count. ``metadata`` holds
        ``n_seqlets``, ``sign``, ``sites`` (structured array seq, start, end, strand: where each
        seqlet's copy of the motif lies) and ``seqlet_index`` (rows of :attr:`seqlets`).
    seqlets : numpy structured array
        Every called seqlet (:data:`~kgenint.seqlets.calling.SEQLET_DTYPE`): seq, start, end,
        strand, score, sign, cluster (index into :attr:`motifs`, -1 if unassigned), site_start,
        site_end.
    patterns : list of Pattern
        Untrimmed aligned patterns (what the modisco HDF5 layout stores), parallel to motifs.
    thresholds : SeqletThresholds
        The calling thresholds and the null they came from.
    timings : dict
        Wall-clock seconds per stage (``calling``, ``windows``, ``similarity``, ``clustering``,
        ``aggregation``, ``annotation``, ``total``).
    stats : dict
        Counts per sign: seqlets, Leiden clusters, clusters after merging, motifs, seqlets placed.
    options : dict
        The options used.
    annotation : pandas.DataFrame or None
        Best database match per motif when annotation ran.
    sequence_length : int
    """

    motifs: list
    seqlets: np.ndarray
    patterns: list
    thresholds: SeqletThresholds
    timings: dict
    stats: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    annotation: Any = None
    sequence_length: int = 0

    def seqlet_table(self):
        """The seqlets as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame({k: self.seqlets[k] for k in self.seqlets.dtype.names})

    def summary(self) -> str:
        """A short human-readable report: thresholds, then one line per motif."""
        lines = [str(self.thresholds)]
        for sign, label in ((1, "pos"), (-1, "neg")):
            st = self.stats.get(label)
            if st:
                lines.append(
                    f"{label}: {st['seqlets']} seqlets -> {st['leiden']} Leiden clusters -> {st['merged']} after "
                    f"merging -> {st['motifs']} motifs holding {st['placed']} seqlets"
                )
        for m in self.motifs:
            ann = m.metadata.get("annotation") or {}
            best = f"  best match {ann.get('target_alt_id') or ann.get('target_id')} (q={ann.get('q_value'):.2g})" if ann.get("target_id") else ""
            lines.append(f"{m.name}: {m.metadata['n_seqlets']} seqlets, width {m.width}, consensus {m.consensus}{best}")
        lines.append("time: " + ", ".join(f"{k} {v:.2f} s" for k, v in self.timings.items()))
        return "\n".join(lines)

    def save(self, path, **kwargs) -> None:
        """Write the tfmodisco-lite results HDF5 (see :func:`save_hdf5`)."""
        save_hdf5(self, path, **kwargs)

    def __repr__(self) -> str:
        return (
            f"<DiscoveryResult {len(self.motifs)} motifs from {len(self.seqlets)} seqlets "
            f"({int((self.seqlets['cluster'] >= 0).sum())} placed) in {self.timings.get('total', 0):.2f} s>"
        )


FORMAT = "kgenint.seqlets/1"


def _json(obj: Any) -> str:
    def default(o):
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        return str(o)

    return json.dumps(obj, default=default, allow_nan=True)


def save_hdf5(result, path: str | os.PathLike, *, window_size: int | None = None, overwrite: bool = True) -> None:
    """Write a :class:`~kgenint.seqlets.DiscoveryResult` in the tfmodisco-lite results layout.

    Parameters
    ----------
    result : DiscoveryResult
    path : str or os.PathLike
        Output ``.h5`` file (replaced atomically, :func:`kgenint._io.atomic_path`).
    overwrite : bool
        False refuses an existing ``path``.
    window_size : int, optional
        Root attribute ``window_size`` (the input window length that ``modisco bed``/``fasta``
        centre on peaks); default the sequence length.
    """
    import h5py

    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"Cannot write {path}: folder {folder} does not exist.")
    from .._io import atomic_path, check_hdf5

    with atomic_path(path, overwrite=overwrite, check=check_hdf5) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["window_size"] = int(window_size if window_size is not None else result.sequence_length)
            groups: dict[str, Any] = {}
            for pat in result.patterns:
                gname, pname = pat.name.split(".")
                if gname not in groups:
                    groups[gname] = f.create_group(gname)
                g = groups[gname].create_group(pname)
                g.create_dataset("sequence", data=pat.ppm)
                g.create_dataset("contrib_scores", data=pat.cwm)
                g.create_dataset("hypothetical_contribs", data=pat.hcwm)
                s = g.create_group("seqlets")
                s.create_dataset("n_seqlets", data=np.array([len(pat.seq)]))
                s.create_dataset("start", data=pat.start)
                s.create_dataset("end", data=pat.end)
                s.create_dataset("example_idx", data=pat.seq)
                s.create_dataset("is_revcomp", data=pat.is_revcomp.astype(bool))
                s.create_dataset("sequence", data=pat.onehot, compression="gzip", compression_opts=1)
                s.create_dataset("contrib_scores", data=pat.contrib, compression="gzip", compression_opts=1)
                s.create_dataset("hypothetical_contribs", data=pat.hyp, compression="gzip", compression_opts=1)
            k = f.create_group("kgenint")
            k.attrs["format"] = FORMAT
            k.attrs["kgenint_version"] = __version__
            k.attrs["options"] = _json(result.options)
            k.attrs["thresholds"] = _json(result.thresholds.to_dict())
            k.attrs["timings"] = _json(result.timings)
            k.attrs["stats"] = _json(result.stats)
            k.attrs["sequence_length"] = int(result.sequence_length)
            sq = k.create_group("seqlets")
            for name in result.seqlets.dtype.names:
                col = result.seqlets[name]
                if col.dtype.kind == "U":
                    col = col.astype("S1")
                sq.create_dataset(name, data=col)
            mg = k.create_group("motifs")
            for m in result.motifs:
                g = mg.create_group(m.name)
                g.create_dataset("pwm", data=m.pwm)
                g.create_dataset("cwm", data=m.cwm)
                g.create_dataset("hcwm", data=m.hcwm)
                if m.counts is not None:
                    g.create_dataset("counts", data=m.counts)
                g.attrs["name"] = m.name
                g.attrs["n_seqlets"] = int(m.metadata.get("n_seqlets", m.nsites or 0))
                g.attrs["sign"] = int(m.metadata.get("sign", 1))
                g.attrs["pattern_trim"] = np.asarray(m.metadata.get("pattern_trim", (0, m.width)))
                g.attrs["mean_similarity"] = float(m.metadata.get("mean_similarity", np.nan))
                if "annotation" in m.metadata:
                    g.attrs["annotation"] = _json(m.metadata["annotation"])
