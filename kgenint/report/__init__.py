"""The HTML report of a pipeline directory: one self-contained page a biologist can read.

:func:`build_report` reads what the pipeline stages wrote: ``results.h5`` and the stage files
next to it in a ``kgenint demo`` directory (see :mod:`kgenint.pipeline`), or, in a directory the
stage commands wrote into under names of the user's choosing, the stage files recognised by
their content (:mod:`kgenint._stagefiles`), from which the same summary is computed. It writes

* ``report.html``: one file with inline CSS and every figure inline as a base64 PNG; no
  JavaScript, no network access, so it can be e-mailed or archived as it is;
* ``figures/<name>.png`` and ``figures/<name>.svg``: every figure as files for papers and slides.

No model is run: the report only draws, tabulates and scores saved results. A missing piece (a
stage that was not run, no seqlet motif found, a file that cannot be read) becomes a clear
notice in its section, never an error; only a directory with neither ``results.h5`` nor any
recognised stage file is an error. Each section names the file(s) it was drawn from.

Every section carries two notes written for the reader: *How to read this* and *If this check
fails, do this*. Checks against the planted truth (simulated data only) get PASS / FAIL badges
against the project's goals: pair AUROC >= 0.95, spacing within +-2 bp, the right orientation,
and the additive control pair not called.

Modules: :mod:`~kgenint.report.build` (the page), :mod:`~kgenint.report._sections_motifs` and
:mod:`~kgenint.report._sections_interactions` (the sections), :mod:`~kgenint.report._policy`
(goals and pass/fail badges), :mod:`~kgenint.report._figures`, :mod:`~kgenint.report._html` and
:mod:`~kgenint.report._context`.
"""
from ..results.layout import DEMO_FILES
from ._html import _fmt
from ._policy import GOALS, _rule_checks
from ._sections_motifs import MAX_EXAMPLES, MAX_FILTER_LOGOS, MAX_SEQLET_LOGOS
from .build import build_report

__all__ = ["build_report", "GOALS", "DEMO_FILES", "MAX_EXAMPLES", "MAX_FILTER_LOGOS", "MAX_SEQLET_LOGOS",
           "_fmt", "_rule_checks"]
