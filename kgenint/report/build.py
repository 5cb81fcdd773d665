"""Assemble the report: every section in order, one self-contained HTML page."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Callable

from .._version import __version__
from ..errors import InputError
from ..results.layout import DEMO_FILES  # noqa: F401  (named in the docstring)
from ._context import _Ctx, _demo_file_map
from ._figures import _Figures, _remove_stale_figures
from ._html import _CSS, _esc, _notice
from ._sections_interactions import _sec_cooccurrence, _sec_detectors, _sec_insilico, _sec_truth
from ._sections_motifs import (
    _sec_filters,
    _sec_findings,
    _sec_model,
    _sec_overview,
    _sec_roles,
    _sec_seqlets,
    _sec_tracks,
)

__all__ = ["build_report"]

log = logging.getLogger("kgenint")

_SECTIONS: list[tuple[str, str, Callable[[_Ctx], str]]] = [
    ("findings", "Findings", _sec_findings),
    ("overview", "Overview", _sec_overview),
    ("model", "Model performance", _sec_model),
    ("filters", "Learned first-layer filters", _sec_filters),
    ("seqlets", "Discovered seqlet motifs", _sec_seqlets),
    ("tracks", "Attribution tracks of example sequences", _sec_tracks),
    ("roles", "Attribution methods × motif roles", _sec_roles),
    ("insilico", "In-silico interaction scan", _sec_insilico),
    ("detectors", "Other interaction detectors", _sec_detectors),
    ("cooccurrence", "Motif co-occurrence", _sec_cooccurrence),
    ("truth", "Scores against the planted truth", _sec_truth),
]


def build_report(out_dir: str | os.PathLike, *, results: dict | None = None, dpi: int = 110) -> Path:
    """Write ``out_dir/report.html`` and ``out_dir/figures/`` from the results saved in a directory.

    Two kinds of directory are understood:

    * the output of ``kgenint demo`` (:class:`kgenint.pipeline.Demo`): it holds ``results.h5``
      (every score and summary) and the stage files under their fixed names (``data.h5``,
      ``model.metrics.json``, ``filters.meme``, ``seqlets.h5``, ``scan.h5``, ``cooccurrence.h5``
      ...; see :data:`DEMO_FILES`);
    * a directory the stage commands wrote into (``kgenint train``, ``attribute``, ``seqlets``,
      ``compare``, ``interactions``, ``cooccur``, ``simulate``), with file names of the user's
      choosing: when there is no ``results.h5``, every ``*.h5``, ``*.meme``, ``*.json`` and
      ``*.tsv`` file (also one sub-directory down) is recognised by its content
      (:func:`kgenint._stagefiles.discover`), the newest file of each kind is used, and the
      summary is computed from them with :func:`kgenint.pipeline.collect_results` (pair tables
      of the scans; scores against the planted truth when a simulated data set is among the
      files). That summary is not written into the directory: the report is rebuilt from the
      stage files each time, so a stage run again is always seen. Files that cannot be read or
      are of no known kind are skipped (logged, and listed in the report's overview).

    Each section names the file(s) it was drawn from.

    Parameters
    ----------
    out_dir : str or path-like
        The directory (see above).
    results : dict, optional
        What :func:`kgenint.pipeline.read_results` returns for ``out_dir`` (read or computed
        when omitted).
    dpi : int
        Resolution of the PNG figures (dots per inch).

    Returns
    -------
    pathlib.Path
        The report file (written atomically: a failure never leaves a half-written report).

    Raises
    ------
    InputError
        ``out_dir`` is not a directory, its ``results.h5`` cannot be read, or it holds neither
        ``results.h5`` nor any stage file the report recognises (the message lists them).
    """
    from ..results.summary import read_results

    out = Path(out_dir)
    if not out.is_dir():
        raise InputError(f"{out} is not a directory: give the output directory of 'kgenint demo' "
                         "(or of the stage commands).")
    stage = None
    loaded: dict[str, Any] = {}
    if (out / "results.h5").exists():
        files = _demo_file_map(out)
        if results is None:
            try:
                results = read_results(out / "results.h5")
            except OSError as err:
                raise InputError(f"{out / 'results.h5'} cannot be read as a kgenint results file ({err}); it may be "
                                 "truncated by an interrupted run: delete it and run 'kgenint demo' again (it "
                                 "recomputes only the missing summary).") from None
    else:
        stage, files, results = _stage_results(out, results, loaded)
    ctx = _Ctx(out=out, results=results, fig=_Figures(out / "figures", dpi=int(dpi)), files=files, stage=stage,
               loaded=loaded)
    parts = []
    for anchor, title, fn in _SECTIONS:
        try:
            body = fn(ctx)
        except Exception as err:  # noqa: BLE001 - a broken piece must not take the whole report down
            log.warning("report section %r could not be drawn: %s: %s", title, type(err).__name__, err)
            body = _notice(f"This section could not be drawn from the saved results: "
                           f"<code>{_esc(type(err).__name__)}: {_esc(err)}</code>. The other sections are not "
                           "affected; re-run the stage that writes these files, then <code>kgenint report</code>.")
        parts.append(f'<section id="{anchor}"><h2>{_esc(title)}</h2>{body}</section>')
    toc = "".join(f'<li><a href="#{a}">{_esc(t)}</a></li>' for a, t, _ in _SECTIONS)
    cfg = results.get("config") or {}
    what = [f"{_esc(cfg[k])} {label}" for k, label in (("preset", "data"), ("arch", "model")) if cfg.get(k)]
    subtitle = ", ".join(what + ([] if stage is None else ["stage files"])) + f" · kgenint {__version__}"
    subtitle = subtitle.lstrip(" ·")
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>kgenint report: {_esc(out.resolve().name)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>What did the model learn?</h1><p class=\"sub\">{subtitle}</p>"
        f"<nav><ol>{toc}</ol></nav>{''.join(parts)}"
        f"<footer>Written by kgenint {__version__} from {_esc(out.resolve())}. Figures are also in "
        "<code>figures/</code> as PNG and SVG. Rebuild with <code>kgenint report DIR</code>.</footer>"
        "</main></body></html>\n"
    )
    path = out / "report.html"
    from .._io import atomic_write_text

    atomic_write_text(path, page)
    _remove_stale_figures(ctx.fig)
    log.info("report: %s (%d figures)", path, len(ctx.fig.names))
    return path


def _stage_results(out: Path, results: dict | None, loaded: dict) -> tuple[Any, dict[str, Path], dict]:
    """Discover the stage files of ``out`` and compute the results dict from them (the scans
    read on the way are put into ``loaded``, for the sections that draw them)."""
    from ..results.discovery import LOOKED_FOR, discover, stage_config
    from ..results.summary import collect_results, read_results

    st = discover(out)
    if not st:
        skipped = ""
        looked = [(f.path, "your own motifs: nothing to report from motifs alone") for f in st.motif_files]
        looked += st.skipped
        if looked:
            listed = "; ".join(f"{p.name}: {why}" for p, why in looked[:5])
            more = f" and {len(looked) - 5} more" if len(looked) > 5 else ""
            skipped = f" Files looked at and not used: {listed}{more}."
        raise InputError(
            f"{out} has no results.h5 and none of the stage files kgenint report reads. It looks for: "
            f"results.h5 of 'kgenint demo'; or {LOOKED_FOR}.{skipped} Run 'kgenint demo --out {out}' or the "
            "stage commands with their output in this directory first.")
    files = st.file_map()
    if results is None and "results" in st.chosen:
        try:
            results = read_results(st.chosen["results"].path)
        except Exception as err:  # noqa: BLE001 - fall back to the stage files
            log.warning("report: %s cannot be read (%s); using the stage files", st.chosen["results"].path, err)
    if results is None:
        scores, tables, examples = collect_results(
            data=st.path("data"), metrics=st.path("metrics"),
            attributions={m: f.path for m, f in st.attributions.items()},
            scan=st.path("scan"), cooccurrence=st.path("cooccurrence"),
            annotations={k: p for k in ("filters", "seqlets")
                         if (p := st.path(f"{k}_annotation")) is not None}, strict=False, loaded=loaded)
        results = {"config": stage_config(st), "scores": scores, "tables": tables, "examples": examples}
    log.info("report: %d stage files recognised in %s", len(files), out)
    return st, files, results
