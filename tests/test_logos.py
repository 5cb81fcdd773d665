"""Tests of kgenint.plot.logos: letter geometry read back from the drawn patches, file output."""
from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import imread  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402

from kgenint.errors import InputError  # noqa: E402
from kgenint.motifs.motif import Motif  # noqa: E402
from kgenint.plot import (  # noqa: E402
    COLOR_SCHEMES,
    logo_heights,
    plot_attribution_track,
    plot_logo,
    plot_motif_pair,
    plot_motifs,
    save_figure,
)


def letters(ax):
    """(base, position index, x centre, y0, y1) of every letter patch, in drawing order."""
    out = []
    for p in ax.patches:
        if not isinstance(p, PathPatch):
            continue
        e = p.get_path().get_extents()
        lab = p.get_label()  # "_<base><index>"
        out.append((lab[1], int(lab[2:]), (e.x0 + e.x1) / 2, e.y0, e.y1))
    return out


def new_ax(w=3.0, h=2.0):
    return Figure(figsize=(w, h)).add_subplot()


# ---------------------------------------------------------------------------- geometry
def test_one_hot_column_is_two_bits():
    ax = plot_logo(Motif.from_consensus("ACGT"), ax=new_ax())
    got = letters(ax)
    assert [g[0] for g in got] == list("ACGT")
    for base, i, xc, y0, y1 in got:
        assert y0 == pytest.approx(0.0, abs=1e-9)
        assert y1 - y0 == pytest.approx(2.0, abs=1e-9)
        assert xc == pytest.approx(i, abs=1e-9)
    assert ax.get_ylim() == pytest.approx((0.0, 2.0))
    assert ax.get_ylabel() == "bits"


def test_information_heights_and_stacking():
    p = np.array([[0.5, 0.5, 0.0, 0.0], [0.1, 0.2, 0.3, 0.4], [0.25] * 4])
    ax = plot_logo(p, ax=new_ax(), start=10)
    got = letters(ax)
    col0 = [g for g in got if g[1] == 0]
    assert {g[0] for g in col0} == {"A", "C"}
    for g in col0:  # IC = 1 bit, each base half of it
        assert g[4] - g[3] == pytest.approx(0.5, abs=1e-9)
        assert g[2] == pytest.approx(10.0)
    col1 = [g for g in got if g[1] == 1]
    ic = 2 - (-(p[1] * np.log2(p[1])).sum())
    assert [g[0] for g in col1] == list("ACGT")  # smallest at the bottom
    for g, pb in zip(col1, p[1]):
        assert g[4] - g[3] == pytest.approx(pb * ic, abs=1e-9)
    assert [g[3] for g in col1] == pytest.approx(np.concatenate([[0], np.cumsum(p[1] * ic)[:-1]]))
    assert not [g for g in got if g[1] == 2]  # no information, nothing drawn


def test_information_uses_background():
    bg = np.array([0.4, 0.1, 0.1, 0.4])
    m = Motif(name="m", pwm=[[0.0, 1.0, 0.0, 0.0], [0.4, 0.1, 0.1, 0.4]], bg_freqs=bg)
    h = logo_heights(m)
    np.testing.assert_allclose(h[0], [0, np.log2(10), 0, 0])
    np.testing.assert_allclose(h[1], 0, atol=1e-12)
    ax = plot_logo(m, ax=new_ax())
    assert ax.get_ylim()[1] == pytest.approx(np.log2(10))
    # an explicit background overrides the motif's
    np.testing.assert_allclose(logo_heights(m, bg_freqs=[0.25] * 4)[0], [0, 2, 0, 0])


def test_probability_logo():
    p = np.array([[0.1, 0.2, 0.3, 0.4]])
    ax = plot_logo(p, kind="probability", ax=new_ax())
    got = letters(ax)
    assert [g[4] - g[3] for g in got] == pytest.approx([0.1, 0.2, 0.3, 0.4])
    assert got[-1][4] == pytest.approx(1.0)
    assert ax.get_ylim() == pytest.approx((0, 1))


def test_weight_logo_negative_below_zero():
    w = np.array([[1.0, -2.0, 0.5, -0.5], [0.0, 0.0, 0.0, 0.0], [-1.0, 0.0, 0.0, 0.0]])
    for flip in (False, True):
        ax = plot_logo(w, kind="weight", ax=new_ax(), flip_below=flip)
        got = {(g[0], g[1]): (g[3], g[4]) for g in letters(ax)}
        assert set(got) == {("A", 0), ("C", 0), ("G", 0), ("T", 0), ("A", 2)}
        assert got[("G", 0)] == pytest.approx((0.0, 0.5))  # smaller positive next to zero
        assert got[("A", 0)] == pytest.approx((0.5, 1.5))
        assert got[("T", 0)] == pytest.approx((-0.5, 0.0))  # smaller negative next to zero
        assert got[("C", 0)] == pytest.approx((-2.5, -0.5))
        assert got[("A", 2)] == pytest.approx((-1.0, 0.0))
        lo, hi = ax.get_ylim()
        assert lo < -2.5 and hi > 1.5


def test_motif_weight_uses_cwm_or_log_odds():
    cwm = np.array([[0.0, 0.3, -0.2, 0.0]])
    m = Motif(name="m", pwm=[[0.1, 0.7, 0.1, 0.1]], cwm=cwm)
    np.testing.assert_allclose(logo_heights(m, "weight"), cwm)
    m2 = Motif(name="m2", pwm=[[0.1, 0.7, 0.1, 0.1]])
    np.testing.assert_allclose(logo_heights(m2, "weight"), m2.log_odds())


def test_colors_and_custom_scheme():
    ax = plot_logo(Motif.from_consensus("ACGT"), ax=new_ax())
    fc = [p.get_facecolor() for p in ax.patches if isinstance(p, PathPatch)]
    assert fc == [to_rgba(COLOR_SCHEMES["classic"][b]) for b in "ACGT"]
    ax = plot_logo(
        Motif.from_consensus("A"), ax=new_ax(), color_scheme={"a": "k", "c": "k", "g": "k", "t": "k"}
    )
    assert ax.patches[0].get_facecolor() == to_rgba("k")


# ---------------------------------------------------------------------------- output files
def test_save_svg_pdf_png(tmp_path):
    fig = Figure(figsize=(3, 2))
    plot_logo(Motif.from_consensus("TGACTCA"), ax=fig.add_subplot(), title="AP-1")
    png = save_figure(fig, tmp_path / "logo.png", dpi=100)
    img = imread(png)
    assert img.shape[:2] == (200, 300)
    assert img[..., :3].min() < 0.5  # something dark was drawn
    svg = save_figure(fig, tmp_path / "logo.svg")
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<path" in text
    pdf = save_figure(fig.axes[0], str(tmp_path / "logo.pdf"))
    assert pdf.read_bytes()[:4] == b"%PDF"
    assert sorted(os.listdir(tmp_path)) == ["logo.pdf", "logo.png", "logo.svg"]  # no temp files left
    for f in (png, svg, pdf):
        assert f.stat().st_size > 1000


def test_default_figure_size(tmp_path):
    ax = plot_logo(Motif.from_consensus("ACGTACGTAC"))
    w, h = ax.figure.get_size_inches()
    out = save_figure(ax, tmp_path / "x.png", dpi=50)
    assert imread(out).shape[:2] == (round(h * 50), round(w * 50))


def test_save_figure_bad(tmp_path):
    ax = plot_logo(Motif.from_consensus("ACGT"))
    with pytest.raises(InputError, match="figure format"):
        save_figure(ax, tmp_path / "logo.xyz")
    with pytest.raises(InputError, match="figure format"):
        save_figure(ax, tmp_path / "logo")
    with pytest.raises(InputError, match="does not exist"):
        save_figure(ax, tmp_path / "missing" / "logo.png")
    with pytest.raises(InputError, match="Figure or Axes"):
        save_figure("not a figure", tmp_path / "logo.png")


# ---------------------------------------------------------------------------- pairs and grids
@pytest.mark.parametrize("orientation", ["+", "-"])
def test_motif_pair(orientation, tmp_path):
    query = Motif.from_consensus("GTT", name="q")
    target = Motif.from_consensus("AACGT", name="t", alt_name="TF")  # rc: ACGTT
    offset = 2 if orientation == "-" else -1
    fig = plot_motif_pair(query, target, offset, orientation)
    ax_q, ax_t = fig.axes
    lq, lt = letters(ax_q), letters(ax_t)
    assert [g[2] for g in lq] == pytest.approx([offset, offset + 1, offset + 2])
    shown = "ACGTT" if orientation == "-" else "AACGT"
    assert "".join(g[0] for g in sorted(lt, key=lambda g: g[2])) == shown
    assert [g[2] for g in sorted(lt, key=lambda g: g[2])] == pytest.approx(range(5))
    lo, hi = min(0, offset), max(5, offset + 3)
    assert ax_q.get_xlim() == pytest.approx((lo - 0.5, hi - 0.5))
    assert ax_t.get_xlim() == pytest.approx((lo - 0.5, hi - 0.5))
    assert ax_q.get_title(loc="left") == "q"
    assert ax_t.get_title(loc="left") == "t (TF)" + (" (reverse complement)" if orientation == "-" else "")
    assert save_figure(fig, tmp_path / "pair.svg").stat().st_size > 1000


@pytest.mark.parametrize("orientation", ["+", "-"])
@pytest.mark.parametrize("offset", [-2, 0, 3])
def test_motif_pair_matches_compare_align(orientation, offset):
    """Same offset convention as kgenint.motifs.compare.align (the TOMTOM table's)."""
    compare = pytest.importorskip("kgenint.motifs.compare")
    if not hasattr(compare, "align"):
        pytest.skip("kgenint.motifs.compare.align not available")
    query = Motif.from_consensus("GATTA", name="q")
    target = Motif.from_consensus("CCAGTGA", name="t")
    al = compare.align(query, target, offset, orientation)
    fig = plot_motif_pair(query, target, offset, orientation)
    ax_q, ax_t = fig.axes
    frame0 = ax_q.get_xlim()[0] + 0.5
    xq = sorted(g[2] for g in letters(ax_q))
    xt = sorted(letters(ax_t), key=lambda g: g[2])
    assert xq[0] - frame0 == pytest.approx(al.query_start)
    assert xt[0][2] - frame0 == pytest.approx(al.target_start)
    assert "".join(g[0] for g in xt) == al.target.consensus
    assert ax_q.get_xlim()[1] - ax_q.get_xlim()[0] == pytest.approx(al.width)


def test_motif_pair_into_given_axes_and_matrices():
    fig = Figure()
    axes = fig.subplots(2, 1)
    out = plot_motif_pair(np.eye(4)[[0, 1]], np.eye(4)[[3, 0, 1]], 1, "+", axes=axes, labels=("a", "b"))
    assert out is fig
    assert [g[0] for g in letters(axes[0])] == ["A", "C"]
    assert [g[2] for g in letters(axes[0])] == pytest.approx([1, 2])


def test_motif_pair_bad():
    q, t = Motif.from_consensus("ACG"), Motif.from_consensus("ACGT")
    with pytest.raises(InputError, match="orientation"):
        plot_motif_pair(q, t, 0, "x")
    with pytest.raises(InputError, match="no overlap"):
        plot_motif_pair(q, t, 4, "+")
    with pytest.raises(InputError, match="no overlap"):
        plot_motif_pair(q, t, -3, "+")
    with pytest.raises(InputError, match="integer"):
        plot_motif_pair(q, t, 1.5, "+")
    with pytest.raises(InputError, match="integer"):
        plot_motif_pair(q, t, "two", "+")
    with pytest.raises(InputError, match="two matplotlib Axes"):
        plot_motif_pair(q, t, 0, "+", axes=[new_ax()])
    with pytest.raises(InputError, match=r"\(W, 4\)"):
        plot_motif_pair(np.ones((3, 5)), t, 0, "+")


def test_plot_motifs_grid():
    ms = [Motif.from_consensus(s) for s in ("ACG", "TTGACA", "GG")]
    fig = plot_motifs(ms, ncols=2)
    axs = fig.axes
    assert len(axs) == 4
    assert [a.get_title() for a in axs[:3]] == ["ACG", "TTGACA", "GG"]
    assert not axs[3].axison
    for a in axs[:3]:
        assert a.get_xlim() == pytest.approx((-0.5, 5.5))  # common scale
    fig = plot_motifs(ms, kind="probability", titles=["a", "b", "c"], ncols=10)
    assert len(fig.axes) == 3 and fig.axes[2].get_title() == "c"


def test_plot_motifs_bad():
    with pytest.raises(InputError, match="empty"):
        plot_motifs([])
    with pytest.raises(InputError, match="ncols"):
        plot_motifs([Motif.from_consensus("A")], ncols=0)
    with pytest.raises(InputError, match="one title per motif"):
        plot_motifs([Motif.from_consensus("A")], titles=["a", "b"])
    with pytest.raises(InputError, match="kind"):
        plot_motifs([Motif.from_consensus("A")], kind="bits")


# ---------------------------------------------------------------------------- attribution track
def test_attribution_track():
    rng = np.random.default_rng(0)
    length = 40
    a = np.zeros((length, 4))
    a[np.arange(length), rng.integers(0, 4, length)] = rng.normal(size=length)
    ax = plot_attribution_track(a, highlight=[(5, 12, "AP-1"), (30, 34, None)], start=100)
    got = letters(ax)
    assert len(got) == length
    for base, i, xc, y0, y1 in got:
        v = a[i, "ACGT".index(base)]
        assert xc == pytest.approx(100 + i)
        assert (y1 - y0) == pytest.approx(abs(v), abs=1e-9)
        assert (y0 == pytest.approx(0.0, abs=1e-12)) if v > 0 else (y1 == pytest.approx(0.0, abs=1e-12))
    spans = [p for p in ax.patches if not isinstance(p, PathPatch)]
    assert len(spans) == 2
    assert spans[0].get_x() == pytest.approx(104.5) and spans[0].get_width() == pytest.approx(7)
    assert [t.get_text() for t in ax.texts] == ["AP-1"]


def test_attribution_track_bad():
    with pytest.raises(InputError, match=r"attr\[i\]"):
        plot_attribution_track(np.zeros((2, 10, 4)))
    with pytest.raises(InputError, match="non-finite"):
        plot_attribution_track(np.full((3, 4), np.nan))
    with pytest.raises(InputError, match="start < end"):
        plot_attribution_track(np.zeros((10, 4)), highlight=[(5, 11, "x")])
    with pytest.raises(InputError, match="start < end"):
        plot_attribution_track(np.zeros((10, 4)), highlight=[(5, 5, "x")])
    with pytest.raises(InputError, match=r"\(start, end, label\)"):
        plot_attribution_track(np.zeros((10, 4)), highlight=[5])


# ---------------------------------------------------------------------------- bad input
def test_plot_logo_bad_input():
    with pytest.raises(InputError, match="kind must be one of"):
        plot_logo(np.full((3, 4), 0.25), kind="bits")
    with pytest.raises(InputError, match="4 columns"):
        plot_logo(np.full((3, 5), 0.2))
    with pytest.raises(InputError, match="transposed"):
        plot_logo(np.full((4, 6), 1 / 6))
    with pytest.raises(InputError, match="kind='weight'"):
        plot_logo(np.array([[1.0, -0.5, 0.0, 0.5]]))
    with pytest.raises(InputError, match="non-finite"):
        plot_logo(np.array([[np.nan, 0, 0, 0]]), kind="weight")
    with pytest.raises(InputError, match="color_scheme"):
        plot_logo(np.full((3, 4), 0.25), color_scheme="rainbow")
    with pytest.raises(InputError, match="lacks a colour for T"):
        plot_logo(np.full((3, 4), 0.25), color_scheme={"A": "r", "C": "g", "G": "b"})
    with pytest.raises(InputError, match="width 0"):
        plot_logo(np.zeros((0, 4)), kind="weight")
