"""Tests of the HTML report (kgenint.report) and ``kgenint report``.

A tiny demo directory is built once (module fixture, about a minute on 2 busy cores); its report
is written by the pipeline's own report stage. The page is checked as text (sections, notes,
figures inline, nothing fetched from the network) and in a real browser: Debian's ``chromium``
driven by playwright, checking that every image decoded (``naturalWidth > 0``), every inline
SVG has a size, and the console stayed free of errors. The browser test is skipped with a clear
message when ``/usr/bin/chromium`` or playwright is missing (``make test`` installs both).
"""
from __future__ import annotations

import base64
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from kgenint.errors import InputError

CHROMIUM = Path("/usr/bin/chromium")
SECTIONS = ["findings", "overview", "model", "filters", "seqlets", "tracks", "roles", "insilico", "detectors", "cooccurrence", "truth"]
FIGURES = ["training_curves", "filters", "role_table", "interaction_heatmap", "distance_curves", "cooccurrence_curves"]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    from kgenint.pipeline import Demo, DemoConfig

    out = tmp_path_factory.mktemp("report_demo")
    cfg = DemoConfig(n=2000, epochs=1, patience=1, n_attr=100, n_shuffles=2, n_backgrounds=2, max_distance=20,
                     methods=("deepshap", "saliency"))
    Demo(out, cfg).run()
    return out


@pytest.fixture(scope="module")
def page(demo_dir) -> str:
    return (demo_dir / "report.html").read_text(encoding="utf-8")


def _only_results(src: Path, dst: Path) -> Path:
    """A pipeline directory holding nothing but results.h5 (every other stage file missing)."""
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copy(src / "results.h5", dst / "results.h5")
    return dst


# ---------------------------------------------------------------------------- the page as text
@pytest.mark.slow
def test_report_has_every_section_with_notes(page):
    for s in SECTIONS:
        assert f'<section id="{s}">' in page, f"section {s} missing"
    assert page.count("How to read this") == len(SECTIONS)
    assert page.count("If this check fails, do this") == len(SECTIONS)
    assert "could not be drawn" not in page, "a section crashed on a complete demo directory"
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


@pytest.mark.slow
def test_report_is_self_contained(page):
    assert not re.search(r"https?://", page), "the report must not reference the network"
    assert "<script" not in page.lower() and "<link" not in page.lower()
    srcs = re.findall(r'<img[^>]*\ssrc="([^"]*)"', page)
    assert len(srcs) >= len(FIGURES)
    for s in srcs:
        assert s.startswith("data:image/png;base64,"), s[:60]
        png = base64.b64decode(s.split(",", 1)[1], validate=True)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
    assert len(re.findall(r"<img\b", page)) == len(srcs), "an <img> without src"


@pytest.mark.slow
def test_figures_written_as_png_and_svg(demo_dir, page):
    fig_dir = demo_dir / "figures"
    for name in FIGURES:
        assert (fig_dir / f"{name}.png").stat().st_size > 1000, name
        svg = (fig_dir / f"{name}.svg").read_text()
        assert "<svg" in svg and "</svg>" in svg, name
    tracks = sorted(fig_dir.glob("attribution_seq*.png"))
    assert 1 <= len(tracks) <= 4
    # the inline copy is the file's bytes
    data = base64.b64encode((fig_dir / "role_table.png").read_bytes()).decode()
    assert data in page
    assert not list(demo_dir.glob("*.tmp")) and not list(demo_dir.glob(".*.tmp"))


@pytest.mark.slow
def test_report_content_matches_results(demo_dir, page):
    from kgenint.pipeline import read_results

    r = read_results(demo_dir)
    # planted sites are labelled with motif and role in the track captions' source data
    ex = r["examples"]
    assert ex is not None
    # the method x role table lists every method and role of the results
    for m in r["tables"]["role_auroc"]["method"]:
        assert f"<td>{m}</td>" in page
    # every planted rule is scored, with a badge, for the in-silico scan
    rules = r["tables"]["rules_insilico"]
    sec = page.split('<section id="truth">')[1]
    for kind in rules["kind"]:
        assert f"<td>{kind}</td>" in sec
    assert sec.count('class="badge') >= 3 * len(rules)
    assert "Pair AUROC ≥ 0.95" in sec
    # the seqlet section never crashes: motifs, or the clear "no motif" notice
    seq = page.split('<section id="seqlets">')[1].split("</section>")[0]
    assert "seqlet_motifs" not in seq or "<img" in seq
    if not len(r["tables"].get("seqlets", [])):
        assert "found <b>no motif</b>" in seq or "<img" in seq


# ---------------------------------------------------------------------------- missing pieces
@pytest.mark.slow
def test_missing_stage_files_give_notices_not_errors(demo_dir, tmp_path):
    from kgenint.report import build_report

    d = _only_results(demo_dir, tmp_path / "partial")
    (d / "figures").mkdir()
    (d / "figures" / "interaction_heatmap.png").write_bytes(b"stale figure of an earlier build")
    (d / "figures" / "my_own_plot.png").write_bytes(b"a user's file")
    path = build_report(d)
    page = path.read_text()
    for s in SECTIONS:
        assert f'<section id="{s}">' in page
    assert "could not be drawn" not in page
    assert "the filter stage was not run" in page
    assert "the seqlet stage was not run" in page
    assert "in-silico interaction stage was not run" in page
    assert "co-occurrence stage was not run" in page
    # results.h5 alone still carries the examples and the method x role table
    assert (d / "figures" / "role_table.png").exists()
    # figures of an earlier build that were not drawn now are removed; other files are kept
    assert not (d / "figures" / "interaction_heatmap.png").exists()
    assert (d / "figures" / "my_own_plot.png").exists()


@pytest.mark.slow
def test_seqlet_section_with_discovered_motifs(demo_dir, tmp_path):
    """Motifs discovered from planted JASPAR motifs: CWM logos, counts, best match, motif-pair panel."""
    from kgenint.motifs import annotate, get_motif
    from kgenint.pipeline import read_results
    from kgenint.report import build_report
    from kgenint.seqlets import discover
    from kgenint.seqlets._testing import make_attributions

    d = _only_results(demo_dir, tmp_path / "with_seqlets")
    planted = make_attributions(300, 150, [get_motif("SPI1").pwm, get_motif("CTCF").pwm], sites_per_seq=1.2, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = discover(planted.onehot, planted.contributions, planted.hypothetical, seed=0)
    assert res.motifs, "the synthetic attributions should give a motif"
    res.save(d / "seqlets.h5")
    r = read_results(d)
    r["tables"]["seqlets"] = annotate(res.motifs)
    page = build_report(d, results=r).read_text()
    sec = page.split('<section id="seqlets">')[1].split("</section>")[0]
    assert "<th>seqlets</th>" in sec and "2 motifs discovered" in sec
    for tf, jaspar in (("Spi1", "MA0080"), ("CTCF", "MA0139")):
        assert f"<td>{tf}</td>" in sec and f"<td>{jaspar}." in sec, tf
    assert "Best-matching discovered motif" in sec
    assert sec.count("<img") == 2
    assert (d / "figures" / "seqlet_motif_pair.svg").exists()


def test_rule_badges_follow_the_goals():
    from kgenint.report import _rule_checks

    add_called = _rule_checks({"kind": "additive", "called": True})
    assert "fail" in add_called["detected"]
    assert "pass" in _rule_checks({"kind": "additive", "called": False})["detected"]
    spacing = {"kind": "spacing", "called": True, "planted_distance": "18..22", "planted_orientations": "++,+-,-+,--",
               "spacing_error_bp": 2.0, "orientation_ok": True, "best_orientation": "++"}
    c = _rule_checks(spacing)
    assert "pass" in c["detected"] and "pass" in c["spacing"] and "any orientation" in c["orientation"]
    assert "fail" in _rule_checks({**spacing, "spacing_error_bp": 3.0})["spacing"]
    assert "fail" in _rule_checks({**spacing, "called": False})["detected"]
    ori = {"kind": "orientation", "called": True, "planted_distance": "-200..200", "planted_orientations": "+-",
           "spacing_error_bp": 40.0, "orientation_ok": False, "best_orientation": "--"}
    c = _rule_checks(ori)
    assert "fail" in c["orientation"] and "any spacing" in c["spacing"]
    assert "pass" in _rule_checks({**ori, "orientation_ok": True})["orientation"]


# ---------------------------------------------------------------------------- bad input, CLI
def test_build_report_bad_input(tmp_path):
    from kgenint.report import build_report

    with pytest.raises(InputError, match="is not a directory"):
        build_report(tmp_path / "nope")
    with pytest.raises(InputError, match="has no results.h5"):
        build_report(tmp_path)
    (tmp_path / "results.h5").write_bytes(b"not hdf5")
    with pytest.raises(InputError, match="cannot be read as a kgenint results file"):
        build_report(tmp_path)
    assert not (tmp_path / "report.html").exists()


def test_cli_report_without_results_exits_1(tmp_path, capsys):
    from kgenint.cli import main

    assert main(["report", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "has no results.h5" in err and "kgenint demo" in err
    assert main(["report", str(tmp_path / "missing")]) == 1
    assert "is not a directory" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_report_rebuilds(demo_dir, tmp_path, capsys):
    from kgenint.cli import main

    d = _only_results(demo_dir, tmp_path / "cli")
    assert main(["report", str(d), "--dpi", "60"]) == 0
    assert (d / "report.html").exists()
    assert str(d / "report.html") in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["report"])


# ---------------------------------------------------------------------------- in a real browser
@pytest.mark.slow
def test_report_renders_in_headless_chromium(demo_dir):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing: install Debian's chromium package "
                    "(apt-get install -y chromium; 'make test' does this) to check the report in a browser")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is missing: pip install -e '.[test]'")
    errors: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        try:
            pg = browser.new_page(viewport={"width": 1200, "height": 900})
            pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            pg.on("pageerror", lambda e: errors.append(str(e)))
            pg.on("request", lambda r: requests.append(r.url))
            pg.goto((demo_dir / "report.html").resolve().as_uri(), wait_until="load")
            imgs = pg.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
            svgs = pg.evaluate("Array.from(document.querySelectorAll('svg')).map(s => {"
                               "const r = s.getBoundingClientRect(); return [r.width, r.height]; })")
            title = pg.title()
        finally:
            browser.close()
    assert imgs, "no image in the report"
    for i, (complete, w, h) in enumerate(imgs):
        assert complete and w > 0 and h > 0, f"image {i} did not render"
    for i, (w, h) in enumerate(svgs):
        assert w > 0 and h > 0, f"inline svg {i} has no size"
    assert not errors, f"console errors: {errors}"
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    assert title.startswith("kgenint report")
    assert len(imgs) >= len(FIGURES) + 1
    assert np.all([w > 100 for _, w, _ in imgs])
