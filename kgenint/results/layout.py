"""The file layout of a ``kgenint demo`` directory: one list of the stage files.

:data:`STAGE_OUTPUTS` is the one list of what each stage of :class:`kgenint.pipeline.Demo`
writes, in pipeline order (glob patterns, partial files included); :data:`DEMO_FILES` names the
file of each role the report reads. When a stage runs, the outputs of every later stage are
removed (they were made from what it replaces). A test checks that every file name the demo's
code writes is listed here.

Directory layout::

    data.h5                     simulated data set (kgenint.simulate layout)
    model.keras                 trained model; model.metrics.json its test metrics
    attributions/<method>.h5    attributions of the analysed test sequences (kgenint attribute layout)
    filters.meme                first-layer filters as motifs; filters_annotation.tsv best JASPAR match
    seqlets.h5                  seqlet motifs (tfmodisco-lite layout); seqlets.meme; seqlets_annotation.tsv
    scan.h5                     in-silico pairwise interaction scan; scan_top.tsv
    hits.tsv, cooccurrence.h5   motif hits (FIMO TSV) and their co-occurrence scan
    results.h5                  every summary the report needs (:func:`kgenint.results.write_results`)
    report.html, figures/       the self-contained report and its figures as files
    timings.json                seconds per stage
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["ATTRIBUTION_METHODS", "STAGE_OUTPUTS", "DEMO_FILES", "OTHER_FILES", "demo_file_map",
           "later_outputs"]

#: attribution methods of the demo, in the order the report shows them
ATTRIBUTION_METHODS = ("deepshap", "saliency", "gradient_x_input", "integrated_gradients")

#: outputs of each stage in pipeline order (glob patterns relative to the demo directory)
STAGE_OUTPUTS: list[tuple[str, tuple[str, ...]]] = [
    ("simulate", ("data.h5",)),
    ("train", ("model.keras", "model.metrics.json")),
    ("attr", ("attributions/*.h5", "attributions/*.partial")),
    ("filters", ("filters.meme", "filters_annotation.tsv")),
    ("seqlets", ("seqlets.h5", "seqlets.meme", "seqlets_annotation.tsv")),
    ("interactions", ("scan.h5", "scan_top.tsv", "scan.partial.h5")),
    ("cooccurrence", ("hits.tsv", "cooccurrence.h5")),
    ("evaluate", ("results.h5",)),
    ("report", ("report.html",)),
]

#: the file of each role (what the report reads) in a demo directory
DEMO_FILES = {
    "results": "results.h5",
    "data": "data.h5",
    "metrics": "model.metrics.json",
    "filters_meme": "filters.meme",
    "filters_annotation": "filters_annotation.tsv",
    "seqlets_h5": "seqlets.h5",
    "seqlets_meme": "seqlets.meme",
    "seqlets_annotation": "seqlets_annotation.tsv",
    "scan": "scan.h5",
    "cooccurrence": "cooccurrence.h5",
}

#: files of a demo directory that belong to no stage's outputs
OTHER_FILES = ("timings.json", "figures")


def later_outputs(stage: str) -> list[str]:
    """Glob patterns of the outputs of every stage after ``stage`` (``"attr:deepshap"`` counts
    as ``"attr"``)."""
    names = [n for n, _ in STAGE_OUTPUTS]
    group = stage.split(":")[0]
    return [pat for _, pats in STAGE_OUTPUTS[names.index(group) + 1:] for pat in pats]


def demo_file_map(out: Path) -> dict[str, Path]:
    """``role -> path`` of the demo files that exist in ``out`` (attributions as
    ``attributions:<method>``)."""
    out = Path(out)
    files = {role: out / name for role, name in DEMO_FILES.items() if (out / name).exists()}
    adir = out / "attributions"
    if adir.is_dir():
        files.update({f"attributions:{p.stem}": p for p in sorted(adir.glob("*.h5"))})
    return files


def _check() -> None:
    stage_files = {p for _, pats in STAGE_OUTPUTS for p in pats}
    missing = set(DEMO_FILES.values()) - stage_files
    assert not missing, missing


_check()
