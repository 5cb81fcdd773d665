"""One list of the demo's stage files (kgenint.results.layout): every file name the demo's code
writes or the report reads is in it, and the old names still import."""
from __future__ import annotations

import ast
import fnmatch
import pathlib

from kgenint.results import layout

ROOT = pathlib.Path(__file__).resolve().parents[1]
SUFFIXES = (".h5", ".meme", ".tsv", ".json", ".keras", ".html", ".partial")


def _file_literals(path: pathlib.Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith(SUFFIXES) \
                and " " not in node.value and "{" not in node.value and not node.value.startswith("."):
            out.add(node.value)
        if isinstance(node, ast.JoinedStr):  # f"attributions/{m}.h5" -> attributions/*.h5
            parts = ["*" if isinstance(v, ast.FormattedValue) else str(v.value) for v in node.values]
            s = "".join(parts)
            if s.endswith(SUFFIXES) and " " not in s:
                out.add(s)
    return out


def test_every_demo_file_name_is_in_the_layout():
    listed = [p for _, pats in layout.STAGE_OUTPUTS for p in pats] + list(layout.OTHER_FILES)
    used = _file_literals(ROOT / "kgenint" / "pipeline.py")
    assert {"data.h5", "scan.h5", "results.h5"} <= used
    missing = sorted(n for n in used if not any(n == p or fnmatch.fnmatch(n, p)
                                                for p in listed))
    assert not missing, f"pipeline.py writes files not in kgenint.results.layout: {missing}"
    assert set(layout.DEMO_FILES.values()) <= set(listed)


def test_later_outputs_and_old_paths(tmp_path):
    assert layout.later_outputs("evaluate") == ["report.html"]
    assert "results.h5" in layout.later_outputs("attr:deepshap") and "data.h5" not in layout.later_outputs("train")
    (tmp_path / "scan.h5").write_bytes(b"")
    (tmp_path / "attributions").mkdir()
    (tmp_path / "attributions" / "saliency.h5").write_bytes(b"")
    assert layout.demo_file_map(tmp_path) == {"scan": tmp_path / "scan.h5",
                                              "attributions:saliency": tmp_path / "attributions" / "saliency.h5"}
    from kgenint import _stagefiles, pipeline, report, results

    assert _stagefiles.discover is results.discover and pipeline.read_results is results.read_results
    assert report.DEMO_FILES is layout.DEMO_FILES and pipeline._ORDER is layout.STAGE_OUTPUTS
