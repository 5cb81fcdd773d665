"""Find the files the stage commands wrote in a directory, by their content, for ``kgenint report``.

A user who runs the stage commands (``kgenint train``, ``attribute``, ``seqlets``, ``compare``,
``interactions``, ``cooccur``, ``simulate``) names the output files; :func:`discover` looks at
every candidate file of a directory (and of its sub-directories one level down, except
``figures/`` and hidden ones) and recognises it by what it holds:

==================  ==========================================================================
role                recognised by
==================  ==========================================================================
``results``         HDF5, root attribute ``kgenint_format = "results"`` (``kgenint demo``)
``data``            HDF5, root attribute ``format = "kgenint.simulate"`` (``kgenint simulate``;
                    carries the planted truth); otherwise any HDF5 with a ``/x`` (N, L, 4)
                    dataset and no kgenint format attribute (a user's own data set: sizes only)
``attributions``    HDF5, ``kgenint_format = "attributions"`` and every chunk done
                    (``kgenint attribute``); one file per attribution method
``scan``            HDF5, ``kgenint_format = "interaction_scan"`` (``kgenint interactions``)
``cooccurrence``    HDF5, ``kgenint_format = "cooccurrence_scan"`` (``kgenint cooccur``)
``pairs_<method>``  HDF5, ``kgenint_format = "pair_table"`` (``kgenint interactions --method``)
``seqlets_h5``      HDF5 with a ``/kgenint`` group of format ``kgenint.seqlets/1`` (``kgenint
                    seqlets``), or the tfmodisco-lite layout of modisco itself (``pos_patterns``
                    / ``neg_patterns`` groups)
``metrics``         JSON object with test metrics (``auroc``, ``pearson`` or ``epochs_trained``;
                    ``kgenint train`` writes ``<model>.metrics.json``)
``seqlets_meme``    MEME file whose motifs are all named ``pos_patterns.pattern_<i>`` /
                    ``neg_patterns.pattern_<i>`` (``kgenint seqlets --meme``, ``modisco meme``),
                    or that carries a ``# kgenint seqlets`` comment
``filters_meme``    MEME file whose motifs are all named like first-layer filters
                    (``filter_<i>``, ``<layer>_f<i>`` as :class:`~kgenint.keras.callbacks.\
FilterMotifTracker` names them)
``motifs_meme``     any other readable MEME file: the user's own motifs (the input of ``kgenint
                    scan`` / ``interactions`` / ``cooccur``); listed, not drawn
``*_annotation``    TSV with TOMTOM's header (``kgenint compare``) or :func:`kgenint.motifs.annotate`
                    columns (``query_id``, ``target_id``, ``q_value``); it annotates the filter or
                    the seqlet motifs whose names its query ids share
==================  ==========================================================================

A MEME file whose motif names match neither pattern is taken as filter motifs when its file
name contains ``filter`` and as seqlet motifs when it contains ``seqlet`` or ``modisco``.

When several files have one role (one per method for attributions) the newest (modification
time; then the path, for ties) is used; the others are listed in the report. A file that cannot
be read, or that is a kgenint file of no use to the report (a partial run, a FIMO hit table), is
skipped with a log message, never an error.
"""
from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..motifs.compare import TOMTOM_COLUMNS
from .layout import ATTRIBUTION_METHODS

log = logging.getLogger("kgenint")

__all__ = ["StageFiles", "Found", "discover", "read_annotation", "ROLE_LABELS", "LOOKED_FOR"]

#: What each role is, for the report's file table and messages.
ROLE_LABELS = {
    "results": "pipeline summary (kgenint demo)",
    "data": "data set",
    "metrics": "model test metrics (kgenint train)",
    "attributions": "attributions (kgenint attribute)",
    "filters_meme": "first-layer filter motifs",
    "filters_annotation": "filter motif annotation (kgenint compare)",
    "seqlets_h5": "seqlet motifs (kgenint seqlets)",
    "seqlets_meme": "seqlet motifs, MEME (kgenint seqlets --meme)",
    "seqlets_annotation": "seqlet motif annotation (kgenint compare)",
    "motifs_meme": "your motifs (input of scan / interactions / cooccur)",
    "scan": "in-silico interaction scan (kgenint interactions)",
    "cooccurrence": "co-occurrence scan (kgenint cooccur)",
    **{f"pairs_{m}": f"{m} pair table (kgenint interactions --method {m})"
       for m in ("dfim", "dependency", "hessian", "anova", "tukey", "hierlasso", "features")},
}

#: One line per file kind :func:`discover` recognises (for error messages and ``--help``).
LOOKED_FOR = (
    "*.h5 written by kgenint attribute, seqlets, interactions, cooccur or simulate (recognised by "
    "their content, any file name); *.metrics.json written by kgenint train; *.meme motif files "
    "(kgenint seqlets --meme, filter motifs, your own motifs); *.tsv tables of kgenint compare "
    "(TOMTOM format)"
)

_H5_SUFFIXES = (".h5", ".hdf5", ".hdf")
_TSV_SUFFIXES = (".tsv", ".txt")
_SEQLET_NAME = re.compile(r"^(pos|neg)_patterns\.pattern_\d+$")
_FILTER_NAME = re.compile(r"^(filter_\d+|.+_f\d+)$")
_TOMTOM_HEAD = TOMTOM_COLUMNS[:2]
_ANNOT_COLS = {"query_id", "target_id", "q_value"}
_METRIC_KEYS = ("auroc", "pearson", "epochs_trained")


@dataclass
class Found:
    """One recognised file.

    Attributes
    ----------
    role : str
        Key of :data:`ROLE_LABELS`.
    path : pathlib.Path
    mtime : float
        Modification time (seconds since the epoch).
    detail : str
        What was found in it, for the report (e.g. ``"deepshap, 120 sequences"``).
    meta : dict
        Role-specific facts read while recognising it (``method``, ``motif_names`` ...).
    why_unused : str
        Why the file is not used (set for the files in :attr:`StageFiles.unused`).
    """

    role: str
    path: Path
    mtime: float
    detail: str = ""
    meta: dict = field(default_factory=dict)
    why_unused: str = ""


@dataclass
class StageFiles:
    """The outcome of :func:`discover`.

    Attributes
    ----------
    directory : pathlib.Path
    chosen : dict of str to Found
        The file used for each role (newest of its kind).
    attributions : dict of str to Found
        The file used for each attribution method, in the order of
        :data:`kgenint.pipeline.ATTRIBUTION_METHODS` then by name.
    unused : list of Found
        Recognised files not used (an older file of the same role, annotations of other motifs),
        each with its ``why_unused``.
    skipped : list of (pathlib.Path, str)
        Files looked at and not recognised, with the reason.
    motif_files : list of Found
        The user's own MEME files (listed in the report, not drawn; alone they are not enough
        for a report).
    """

    directory: Path
    chosen: dict[str, Found] = field(default_factory=dict)
    attributions: dict[str, Found] = field(default_factory=dict)
    unused: list[Found] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    motif_files: list[Found] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.chosen or self.attributions)

    def path(self, role: str) -> Path | None:
        f = self.chosen.get(role)
        return f.path if f is not None else None

    def used(self) -> list[Found]:
        """The files used, in the order of :data:`ROLE_LABELS`."""
        order = list(ROLE_LABELS)
        rank = {r: i for i, r in enumerate(order)}
        out = sorted(self.chosen.values(), key=lambda f: rank.get(f.role, len(order)))
        i = sum(1 for f in out if rank.get(f.role, len(order)) < rank["attributions"])
        return out[:i] + list(self.attributions.values()) + out[i:] + self.motif_files

    def _drop(self, items: list[Found], why: str) -> None:
        for f in items:
            f.why_unused = why
            self.unused.append(f)

    def file_map(self) -> dict[str, Path]:
        """``role -> path`` of every chosen file (attributions as ``attributions:<method>``)."""
        out = {r: f.path for r, f in self.chosen.items()}
        out.update({f"attributions:{m}": f.path for m, f in self.attributions.items()})
        return out


# ---------------------------------------------------------------------------- per-file readers
def _h5(path: Path) -> Found | str:
    """Classify one HDF5 file; a string is the reason it was skipped."""
    import h5py

    try:
        f = h5py.File(path, "r")
    except Exception as err:  # noqa: BLE001 - anything h5py cannot open is skipped
        return f"not a readable HDF5 file ({type(err).__name__}: {err})"
    with f:
        try:
            kind = f.attrs.get("kgenint_format")
            kind = kind.decode() if isinstance(kind, bytes) else kind
            fmt = f.attrs.get("format")
            fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
            mt = path.stat().st_mtime
            if kind == "results":
                return Found("results", path, mt, "summary written by kgenint demo")
            if kind == "interaction_scan":
                names = [v.decode() if isinstance(v, bytes) else str(v) for v in f["motif_names"][()]]
                d = f["distances"][()]
                return Found("scan", path, mt, f"{len(names)} motifs, distances {int(d.min())}..{int(d.max())} bp, "
                             f"{int(f.attrs['n_backgrounds'])} backgrounds",
                             {"motif_names": names, "n_backgrounds": int(f.attrs["n_backgrounds"]),
                              "max_distance": int(d.max())})
            if kind == "cooccurrence_scan":
                names = [v.decode() if isinstance(v, bytes) else str(v) for v in f["motif_names"][()]]
                sizes = [int(v) for v in f["n_sequences"][()].ravel()]
                return Found("cooccurrence", path, mt, f"{len(names)} motifs, {sizes[0]} + {sizes[1]} sequences",
                             {"motif_names": names})
            if kind == "pair_table":
                method = f.attrs.get("method", "detector")
                method = method.decode() if isinstance(method, bytes) else str(method)
                n = int(len(f["table/motif_a"])) if "table/motif_a" in f else 0
                return Found(f"pairs_{method}", path, mt, f"{method} pair table, {n} motif pairs",
                             {"method": method})
            if kind == "attributions":
                if "done" in f and not bool(f["done"][()].all()):
                    return "an unfinished kgenint attribute run (run the same command again to finish it)"
                method = str(f.attrs["method"])
                n, length = (int(v) for v in f["x"].shape[:2])
                return Found("attributions", path, mt, f"{method}, {n} sequences of {length} bp",
                             {"method": method, "n": n})
            if kind is not None:
                return f"a kgenint file of kind {kind!r}, which the report does not use"
            if fmt == "kgenint.simulate":
                n, length = (int(v) for v in f["x"].shape[:2])
                truth = "truth" in f
                preset = f.attrs.get("preset")
                meta = {"simulated": True, "truth": truth, "n": n, "length": length,
                        "preset": str(preset.decode() if isinstance(preset, bytes) else preset) if preset else None}
                return Found("data", path, mt, f"simulated data set, {n} sequences of {length} bp"
                             + (", planted truth" if truth else ""), meta)
            k = f.get("kgenint")
            if k is not None and k.attrs.get("format") == "kgenint.seqlets/1":
                names = list(k["motifs"].keys()) if "motifs" in k else []
                return Found("seqlets_h5", path, mt, f"{len(names)} seqlet motifs (kgenint seqlets)",
                             {"motif_names": names})
            if "pos_patterns" in f or "neg_patterns" in f:
                names = [f"{g}.{p}" for g in ("pos_patterns", "neg_patterns") if g in f for p in f[g]]
                return Found("seqlets_h5", path, mt, f"{len(names)} patterns (tfmodisco-lite results)",
                             {"motif_names": names, "modisco": True})
            x = f.get("x")
            if x is not None and getattr(x, "ndim", 0) == 3 and x.shape[2] == 4:
                return Found("data", path, mt, f"sequences /x, {x.shape[0]} of {x.shape[1]} bp (no planted truth)",
                             {"simulated": False, "truth": False, "n": int(x.shape[0]), "length": int(x.shape[1])})
            if "config_hash" in f.attrs:
                return "the checkpoint of an unfinished run (not a result)"
            return "an HDF5 file the report does not know (no kgenint format attribute)"
        except Exception as err:  # noqa: BLE001 - a damaged file of a known kind is skipped too
            return f"cannot be read ({type(err).__name__}: {err})"


def _meme(path: Path) -> Found | str:
    from ..motifs import read_meme

    try:
        motifs = read_meme(path)
    except Exception as err:  # noqa: BLE001
        if "no motif" in str(err).lower():
            motifs = []
        else:
            return f"not a readable MEME file ({err})"
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError as err:
        return f"cannot be read ({err})"
    if not motifs and not head.lstrip().startswith("MEME version"):
        return "not a MEME motif file"
    names = [m.name for m in motifs]
    comments = " ".join(ln for ln in head.splitlines() if ln.startswith("#"))
    if (names and all(_SEQLET_NAME.match(n) for n in names)) or "kgenint seqlets" in comments:
        role = "seqlets_meme"
    elif names and all(_FILTER_NAME.match(n) for n in names):
        role = "filters_meme"
    elif _name_hint(path):
        role = f"{_name_hint(path)}_meme"
    else:
        role = "motifs_meme"
    return Found(role, path, path.stat().st_mtime, f"{len(names)} motifs", {"motif_names": names})


def _name_hint(path: Path) -> str | None:
    """``filters`` / ``seqlets`` when the file name says so (for files whose content does not)."""
    low = path.name.lower()
    if "filter" in low:
        return "filters"
    if "seqlet" in low or "modisco" in low:
        return "seqlets"
    return None


def _metrics(path: Path) -> Found | str:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        return f"not readable JSON ({err})"
    if not isinstance(obj, dict) or not any(k in obj for k in _METRIC_KEYS):
        return "JSON without model metrics (auroc, pearson, epochs_trained)"
    main = [f"{k} {obj[k]:.3f}" for k in ("auroc", "pearson") if isinstance(obj.get(k), (int, float))]
    return Found("metrics", path, path.stat().st_mtime, ", ".join(main) or "model metrics",
                 {"arch": obj.get("arch")})


def _tsv_header(path: Path) -> list[str] | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.strip() and not line.startswith("#"):
                    return line.rstrip("\r\n").split("\t")
    except OSError:
        return None
    return None


def _tsv(path: Path) -> Found | str:
    head = _tsv_header(path)
    if head is None:
        return "empty or unreadable table"
    tomtom = tuple(head[:2]) == _TOMTOM_HEAD
    if not tomtom and not _ANNOT_COLS <= set(head):
        return "a table that is not a motif annotation (TOMTOM / kgenint compare) table"
    import pandas as pd

    # only the query ids are needed to recognise it; the table is read by collect_results
    col = "Query_ID" if tomtom else "query_id"
    try:
        ids = pd.read_csv(path, sep="\t", comment="#" if tomtom else None, usecols=[col], dtype=str)[col]
    except Exception as err:  # noqa: BLE001
        return f"an annotation table that cannot be read ({err})"
    queries = list(dict.fromkeys(ids.dropna()))
    return Found("annotation", path, path.stat().st_mtime, f"best matches of {len(queries)} motifs",
                 {"queries": queries})


def read_annotation(path: str | os.PathLike):
    """An annotation table: :func:`kgenint.motifs.annotate` columns, one row per query motif.

    Parameters
    ----------
    path : str or path-like
        Either a TSV with :func:`~kgenint.motifs.annotate` columns (what ``kgenint demo`` writes
        as ``filters_annotation.tsv``; read unchanged) or TOMTOM's ``tomtom.tsv`` layout (what
        ``kgenint compare`` writes; columns renamed to ``query_id target_id optimal_offset
        p_value e_value q_value overlap query_consensus target_consensus orientation``, only the
        best match of each query kept (smallest q, then p), and ``target_alt_id`` filled with
        the TF name from the embedded JASPAR database when the target is one of its motifs).

    Returns
    -------
    pandas.DataFrame
    """
    import pandas as pd

    head = _tsv_header(Path(path)) or []
    if tuple(head[:2]) != _TOMTOM_HEAD:
        return pd.read_csv(path, sep="\t")
    df = pd.read_csv(path, sep="\t", comment="#", dtype={"Query_ID": str, "Target_ID": str})
    df = df.rename(columns={c: c.lower().replace("-", "_") for c in TOMTOM_COLUMNS})
    order = {q: i for i, q in enumerate(dict.fromkeys(df["query_id"]))}
    df = df.assign(_o=df["query_id"].map(order)).sort_values(["_o", "q_value", "p_value"], kind="mergesort")
    df = df.drop_duplicates("query_id", keep="first").drop(columns="_o").reset_index(drop=True)
    alt = _jaspar_names()
    df.insert(df.columns.get_loc("target_id") + 1, "target_alt_id",
              [alt.get(str(t), "") for t in df["target_id"]])
    return df


def _jaspar_names() -> dict[str, str]:
    try:
        from ..motifs import load_default

        return {m.name: m.alt_name or "" for m in load_default()}
    except Exception as err:  # noqa: BLE001 - names are a nicety
        log.debug("embedded JASPAR names unavailable: %s", err)
        return {}


# ---------------------------------------------------------------------------- discovery
def _candidates(directory: Path) -> list[Path]:
    out = []
    for p in sorted(directory.iterdir()):
        if p.name.startswith("."):
            continue
        if p.is_dir():
            if p.name == "figures":
                continue
            try:
                out += [q for q in sorted(p.iterdir()) if q.is_file() and not q.name.startswith(".")]
            except OSError:
                continue
        elif p.is_file():
            out.append(p)
    return out


def _newest(items: list[Found]) -> list[Found]:
    return sorted(items, key=lambda f: (-f.mtime, str(f.path)))


def discover(directory: str | os.PathLike) -> StageFiles:
    """Recognise the stage files of ``directory`` (see the module docstring).

    Parameters
    ----------
    directory : str or path-like
        Looked at with its sub-directories one level down (not ``figures/`` or hidden ones).

    Returns
    -------
    StageFiles
        Falsy when nothing was recognised.
    """
    d = Path(directory)
    res = StageFiles(directory=d)
    found: list[Found] = []
    for p in _candidates(d):
        suf = p.suffix.lower()
        if suf in _H5_SUFFIXES:
            r = _h5(p)
        elif suf == ".meme":
            r = _meme(p)
        elif suf == ".json":
            r = _metrics(p)
        elif suf in _TSV_SUFFIXES:
            r = _tsv(p)
        elif suf == ".partial":
            r = "an unfinished run (run the same command again to finish it)"
        else:
            continue
        if isinstance(r, str):
            log.info("report: skipping %s: %s", p, r)
            res.skipped.append((p, r))
        else:
            log.debug("report: %s is %s (%s)", p, r.role, r.detail)
            found.append(r)

    by_role: dict[str, list[Found]] = {}
    for f in found:
        by_role.setdefault(f.role, []).append(f)
    # data: a simulated data set (planted truth) before a plain one
    data = by_role.pop("data", [])
    if data:
        ranked = sorted(data, key=lambda f: (not f.meta.get("truth"), -f.mtime, str(f.path)))
        res.chosen["data"] = ranked[0]
        res._drop(ranked[1:], f"another data set is used ({ranked[0].path.name}: a simulated one first, "
                              "then the newest)")
    # attributions: newest per method
    per_method: dict[str, list[Found]] = {}
    for f in by_role.pop("attributions", []):
        per_method.setdefault(f.meta["method"], []).append(f)
    order = [m for m in ATTRIBUTION_METHODS if m in per_method] + sorted(set(per_method) - set(ATTRIBUTION_METHODS))
    for m in order:
        ranked = _newest(per_method[m])
        res.attributions[m] = ranked[0]
        res._drop(ranked[1:], f"older {m} attributions than {ranked[0].path.name}")
    annotations = by_role.pop("annotation", [])
    res.motif_files = sorted(by_role.pop("motifs_meme", []), key=lambda f: str(f.path))
    for role, items in by_role.items():
        ranked = _newest(items)
        res.chosen[role] = ranked[0]
        res._drop(ranked[1:], f"older than {ranked[0].path.name} ({ROLE_LABELS.get(role, role)})")
    # annotation tables: of the filter or of the seqlet motifs, by the names their queries share
    names: dict[str, set[str]] = {"filters": set(), "seqlets": set()}
    for role, key in (("filters_meme", "filters"), ("seqlets_h5", "seqlets"), ("seqlets_meme", "seqlets")):
        if role in res.chosen:
            names[key] |= set(res.chosen[role].meta.get("motif_names", []))
    assigned: dict[str, list[Found]] = {"filters": [], "seqlets": []}
    for f in annotations:
        q = set(f.meta["queries"])
        overlap = {k: len(q & v) for k, v in names.items()}
        if not any(overlap.values()):
            # no motif file to match: go by the query names' pattern, then by the file name
            overlap = {"seqlets": sum(bool(_SEQLET_NAME.match(n)) for n in q),
                       "filters": sum(bool(_FILTER_NAME.match(n)) for n in q)}
        if not any(overlap.values()) and (hint := _name_hint(f.path)):
            overlap[hint] = 1
        best = max(overlap, key=lambda k: overlap[k])
        if overlap[best] == 0:
            log.info("report: %s annotates motifs that are neither filter nor seqlet motifs; not used", f.path)
            res._drop([f], "annotates other motifs than the filter or seqlet motifs found here")
            continue
        f.role = f"{best}_annotation"
        assigned[best].append(f)
    for key, items in assigned.items():
        if items:
            ranked = _newest(items)
            res.chosen[f"{key}_annotation"] = ranked[0]
            res._drop(ranked[1:], f"older than {ranked[0].path.name} ({ROLE_LABELS[key + '_annotation']})")
    return res


def stage_config(files: StageFiles) -> dict[str, Any]:
    """What the overview lists as "what was run" for a stage directory (keys of ``DemoConfig``
    where they have a counterpart)."""
    cfg: dict[str, Any] = {}
    data = files.chosen.get("data")
    if data is not None and data.meta.get("preset"):
        cfg["preset"] = data.meta["preset"]
    met = files.chosen.get("metrics")
    if met is not None and met.meta.get("arch"):
        cfg["arch"] = met.meta["arch"]
    if files.attributions:
        first = next(iter(files.attributions.values()))
        cfg["n_attr"] = first.meta.get("n")
        cfg["methods"] = list(files.attributions)
    scan = files.chosen.get("scan")
    if scan is not None:
        cfg["n_backgrounds"] = scan.meta.get("n_backgrounds")
        cfg["max_distance"] = scan.meta.get("max_distance")
    return cfg
