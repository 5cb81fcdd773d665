"""Issue 13's renames: the old names still work for one release, warn, and give the same results.

Renamed: letter frequencies ``background`` -> ``bg_freqs`` (Motif, write_meme, filters_to_motifs,
weights_to_motifs, logo_heights, plot_logo); q-value thresholds ``qvalue_threshold`` /
``q_threshold`` -> ``alpha`` (compare, annotate, plot_interaction_heatmap, FilterMotifTracker);
insertion sequences ``background`` -> ``backgrounds`` (InteractionMonitor, SimulationConfig).
"""
from __future__ import annotations

import json
import warnings

import h5py
import numpy as np
import pandas as pd
import pytest

from kgenint.errors import InputError
from kgenint.motifs import Motif, annotate, compare, filters_to_motifs, read_meme, weights_to_motifs, write_meme
from kgenint.plot import logo_heights, plot_logo

BG = [0.3, 0.2, 0.2, 0.3]


def _motifs(seed: int, k: int = 6) -> list[Motif]:
    rng = np.random.default_rng(seed)
    return [Motif(f"m{i}", rng.dirichlet(np.full(4, 0.4), size=int(rng.integers(5, 10)))) for i in range(k)]


def _silent(fn, *a, **kw):
    """Call ``fn`` with every warning an error (the new names must not warn)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*a, **kw)


# ----------------------------------------------------------------------------- Motif.bg_freqs
def test_motif_old_field_name_warns_and_is_the_same():
    pwm = [[0.7, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.7]]
    new = _silent(Motif, "m", pwm, bg_freqs=BG)
    with pytest.warns(DeprecationWarning, match=r"background= is deprecated; use bg_freqs="):
        old = Motif("m", pwm, background=BG)
    np.testing.assert_array_equal(old.bg_freqs, BG)
    assert old.allclose(new)
    np.testing.assert_array_equal(old.log_odds(), new.log_odds())
    # the attribute: read and write
    with pytest.warns(DeprecationWarning, match=r"Motif.background is deprecated; use Motif.bg_freqs"):
        np.testing.assert_array_equal(new.background, BG)
    with pytest.warns(DeprecationWarning, match="bg_freqs"):
        changed = new.copy(background=[0.25] * 4)
    np.testing.assert_array_equal(changed.bg_freqs, [0.25] * 4)
    np.testing.assert_array_equal(new.bg_freqs, BG)  # copy, not a change of the original
    # from_counts spreads the pseudocount by the frequencies under either name
    with pytest.warns(DeprecationWarning):
        fc_old = Motif.from_counts([[2, 0, 0, 0]], "c", pseudocount=2, background=[0.4, 0.1, 0.1, 0.4])
    fc_new = _silent(Motif.from_counts, [[2, 0, 0, 0]], "c", pseudocount=2, bg_freqs=[0.4, 0.1, 0.1, 0.4])
    np.testing.assert_allclose(fc_new.pwm, [[(2 + 0.8) / 4, 0.2 / 4, 0.2 / 4, 0.8 / 4]])  # by hand
    np.testing.assert_array_equal(fc_old.pwm, fc_new.pwm)


def test_motif_both_names_disagree_is_an_error():
    with pytest.warns(DeprecationWarning), pytest.raises(InputError, match="give bg_freqs= only"):
        Motif("m", [[1, 0, 0, 0]], bg_freqs=[0.25] * 4, background=BG)
    with pytest.raises(TypeError, match="unexpected keyword"):
        Motif("m", [[1, 0, 0, 0]], bg_freq=BG)


def test_motif_signature_has_only_the_new_name():
    import dataclasses
    import inspect

    assert "bg_freqs" in inspect.signature(Motif).parameters
    assert "background" not in inspect.signature(Motif).parameters
    assert [f.name for f in dataclasses.fields(Motif)].count("bg_freqs") == 1


# ----------------------------------------------------------------------------- write_meme
@pytest.mark.parametrize("seed", [0, 1])
def test_write_meme_old_name_same_text(seed):
    ms = _motifs(seed)
    new = _silent(write_meme, ms, bg_freqs=BG)
    with pytest.warns(DeprecationWarning, match=r"write_meme\(\): background= is deprecated; use bg_freqs="):
        old = write_meme(ms, background=BG)
    assert old == new
    assert "A 0.300000 C 0.200000 G 0.200000 T 0.300000" in new  # MEME's line keeps its own words
    assert "Background letter frequencies" in new
    back = read_meme(new)
    assert all(np.allclose(m.bg_freqs, BG) for m in back)


# ----------------------------------------------------------------------------- filters -> motifs
@pytest.mark.parametrize("seed", [0, 1])
def test_filters_and_weights_to_motifs_old_name_same_motifs(seed):
    rng = np.random.default_rng(seed)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (60, 30))]
    w = rng.normal(size=(5, 4, 3)).astype(np.float32)
    for bg in (BG, "data"):
        new = _silent(filters_to_motifs, w, x, bg_freqs=bg, pseudocount=1.0, min_sites=1)
        with pytest.warns(DeprecationWarning, match=r"filters_to_motifs\(\): background="):
            old = filters_to_motifs(w, x, background=bg, pseudocount=1.0, min_sites=1)
        for a, b in zip(old, new):
            np.testing.assert_array_equal(a.pwm, b.pwm)
            np.testing.assert_array_equal(a.bg_freqs, b.bg_freqs)
    # 'data': the base composition of x, counted here independently
    freq = x.sum(axis=(0, 1)) / x.sum()
    np.testing.assert_allclose(new[0].bg_freqs, freq)
    new_w = _silent(weights_to_motifs, w, bg_freqs=BG)
    with pytest.warns(DeprecationWarning, match=r"weights_to_motifs\(\): background="):
        old_w = weights_to_motifs(w, background=BG)
    for a, b in zip(old_w, new_w):
        np.testing.assert_array_equal(a.pwm, b.pwm)
        np.testing.assert_array_equal(a.bg_freqs, BG)


# ----------------------------------------------------------------------------- logos
@pytest.mark.parametrize("seed", [0, 1])
def test_logo_old_name_same_heights(seed):
    m = _motifs(seed, 1)[0]
    p = m.pwm
    ic = (p * np.log2(p / np.array(BG))).sum(axis=1)  # no zero probabilities in a Dirichlet draw
    ref = p * np.maximum(ic, 0)[:, None]
    new = _silent(logo_heights, m, bg_freqs=BG)
    np.testing.assert_allclose(new, ref)
    with pytest.warns(DeprecationWarning, match=r"logo_heights\(\): background="):
        np.testing.assert_array_equal(logo_heights(m, background=BG), new)
    np.testing.assert_array_equal(logo_heights(m, "information", BG), new)  # positional unchanged

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax_new = _silent(plot_logo, m, bg_freqs=BG)
    with pytest.warns(DeprecationWarning, match=r"plot_logo\(\): background="):
        ax_old = plot_logo(m, background=BG)
    assert ax_old.get_ylim() == ax_new.get_ylim()
    assert len(ax_old.patches) == len(ax_new.patches)
    plt.close("all")


# ----------------------------------------------------------------------------- compare / annotate
@pytest.mark.parametrize("seed", [0, 1])
def test_compare_and_annotate_alpha(seed):
    import pandas as pd

    db = _motifs(seed + 10, 30)
    qs = [db[3].copy(name="q3"), db[7].copy(name="q7"), *_motifs(seed + 20, 2)]
    full = _silent(compare, qs, db)
    new = _silent(compare, qs, db, alpha=0.2)
    # independent of the renaming: the filter keeps exactly the rows with q <= alpha
    ref = full[full["q_value"] <= 0.2].reset_index(drop=True)
    pd.testing.assert_frame_equal(new.reset_index(drop=True), ref)
    with pytest.warns(DeprecationWarning, match=r"compare\(\): qvalue_threshold= is deprecated; use alpha="):
        old = compare(qs, db, qvalue_threshold=0.2)
    pd.testing.assert_frame_equal(old, new)

    a_new = _silent(annotate, qs, db, alpha=0.2)
    with pytest.warns(DeprecationWarning, match=r"annotate\(\): qvalue_threshold= is deprecated"):
        a_old = annotate(qs, db, qvalue_threshold=0.2)
    pd.testing.assert_frame_equal(a_old, a_new)
    assert a_new["target_id"].iloc[0] == db[3].name and a_new["target_id"].iloc[1] == db[7].name
    best_q = _silent(compare, qs, db, best_only=True).set_index("query")["q_value"]
    expect = [bool(best_q[i] <= 0.2) for i in range(len(qs))]
    assert (a_new["target"].to_numpy() >= 0).tolist() == expect
    assert not all(expect) and any(expect)  # the threshold decides something here
    assert len(ref) < len(full)
    with pytest.warns(DeprecationWarning), pytest.raises(InputError, match="give alpha= only"):
        annotate(qs, db, alpha=0.1, qvalue_threshold=0.2)


# ----------------------------------------------------------------------------- plot_interaction_heatmap
class _FakeScan:
    """What plot_interaction_heatmap reads from an InteractionScan."""

    motif_names = ["A", "B"]

    def strongest(self):
        return np.array([[0.0, 1.0], [-1.0, 0.0]])

    def pairs(self):
        import pandas as pd

        return pd.DataFrame({"motif_a": ["A", "B"], "motif_b": ["B", "A"], "q_value": [0.01, 0.08]})


def test_plot_interaction_heatmap_alpha():
    import inspect

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kgenint.plot import plot_interaction_heatmap

    assert "q_threshold" not in inspect.signature(plot_interaction_heatmap).parameters
    n_dots = []
    for kw in ({"alpha": 0.1}, {"alpha": 0.05}):
        ax = _silent(plot_interaction_heatmap, _FakeScan(), **kw)
        n_dots.append(len(ax.lines))
    with pytest.warns(DeprecationWarning, match=r"q_threshold= is deprecated; use alpha="):
        ax = plot_interaction_heatmap(_FakeScan(), q_threshold=0.1)
    assert n_dots == [2, 1] and len(ax.lines) == 2  # the old name really sets the threshold
    assert "q < 0.1" in ax.get_title()
    plt.close("all")


# ----------------------------------------------------------------------------- Keras callbacks
def test_callbacks_new_names():
    from kgenint.keras import FilterMotifTracker, InteractionMonitor

    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (20, 40))]
    t = _silent(FilterMotifTracker, x, alpha=0.1)
    assert t.alpha == 0.1
    with pytest.warns(DeprecationWarning, match=r"FilterMotifTracker\(\): q_threshold= is deprecated; use alpha="):
        t_old = FilterMotifTracker(x, q_threshold=0.1)
    assert t_old.alpha == 0.1
    with pytest.raises(InputError, match="alpha"):
        FilterMotifTracker(x, alpha=0)

    pair = [(Motif.from_consensus("TGACTCA"), Motif.from_consensus("CACGTG"))]
    m_new = _silent(InteractionMonitor, x, pair, distance=10)
    with pytest.warns(DeprecationWarning, match=r"InteractionMonitor\(\): background= is deprecated; use backgrounds="):
        m_old = InteractionMonitor(background=x, motif_pairs=pair, distance=10)
    np.testing.assert_array_equal(m_old.backgrounds, m_new.backgrounds)
    np.testing.assert_array_equal(m_new.backgrounds, x)
    with pytest.warns(DeprecationWarning, match=r"InteractionMonitor.background is deprecated"):
        np.testing.assert_array_equal(m_new.background, x)


# ----------------------------------------------------------------------------- SimulationConfig
def _toy_config(**kw):
    from kgenint.simulate import MotifSpec, PairRule, SimulationConfig

    base = dict(length=80, rules=[PairRule("and", "A1", "B1", effect=2.0)],
                motifs=[MotifSpec("C1", "main", 1.0, 0.3)], group_probs=(0.5, 0.5), trim_ic=None)
    base.update(kw)
    return SimulationConfig(**base)


def _toy_motifs():
    out = {}
    for name, c in {"A1": "TTGACGTCAA", "B1": "GGGCCCGG", "C1": "CATATGCA"}.items():
        pwm = np.full((len(c), 4), 0.04)
        pwm[np.arange(len(c)), ["ACGT".index(ch) for ch in c]] = 0.88
        out[name] = Motif(name=name, pwm=pwm)
    return out


def test_simulation_config_old_field_name():
    from kgenint.simulate import SimulationConfig

    with pytest.warns(DeprecationWarning, match=r"SimulationConfig\(\): background= is deprecated; use backgrounds="):
        old = _toy_config(background="shuffle")
    assert old == _silent(_toy_config, backgrounds="shuffle")
    with pytest.warns(DeprecationWarning, match=r"SimulationConfig.background is deprecated"):
        assert old.background == "shuffle"
    # dictionaries and JSON of older versions load without a warning (the user cannot change them)
    d = old.to_dict()
    assert "background" not in d and d["backgrounds"] == "shuffle"
    d["background"] = d.pop("backgrounds")
    assert _silent(SimulationConfig.from_dict, d) == old
    assert _silent(SimulationConfig.from_json, json.dumps(d)) == old
    with pytest.raises(InputError, match="both 'background'"):
        SimulationConfig.from_dict({**d, "backgrounds": "gc"})
    with pytest.warns(DeprecationWarning, match="backgrounds="):
        pre = SimulationConfig.from_preset("default", background="shuffle")
    assert pre.backgrounds == "shuffle"
    with pytest.raises(InputError, match="backgrounds must be 'gc' or 'shuffle'"):
        _toy_config(backgrounds="genome").validate()


@pytest.mark.parametrize("seed", [0, 1])
def test_data_file_written_the_old_way_loads(tmp_path, seed):
    """A data file of the previous release: config JSON key "background", motif attr "background"."""
    from kgenint.simulate import load, save, simulate

    bg = [0.3, 0.2, 0.2, 0.3]
    motifs = {k: m.copy(bg_freqs=bg) for k, m in _toy_motifs().items()}
    data = simulate(_toy_config(backgrounds="gc"), n=40, seed=seed, motifs=motifs)
    path = tmp_path / "old.h5"
    save(data, path)
    with h5py.File(path, "r+") as f:
        for attrs in (f.attrs, f["truth"].attrs):
            if "config" in attrs:
                cfg = json.loads(attrs["config"])
                cfg["background"] = cfg.pop("backgrounds")
                attrs["config"] = json.dumps(cfg, sort_keys=True)
        n_motif_attrs = 0
        for k, d in f["truth/motifs"].items():
            if k.startswith("pwm_"):
                d.attrs["background"] = d.attrs["bg_freqs"]
                del d.attrs["bg_freqs"]
                n_motif_attrs += 1
        assert n_motif_attrs == 3
        assert "backgrounds" not in f["truth"].attrs["config"]
    back = _silent(load, path)
    assert back.truth.config == data.truth.config
    assert back.truth.config.backgrounds == "gc"
    for a, b in zip(back.truth.motifs, data.truth.motifs):
        np.testing.assert_allclose(a.bg_freqs, bg)
        assert a.allclose(b)
    np.testing.assert_array_equal(back.x, data.x)


@pytest.mark.parametrize("seed", [0, 1])
def test_scan_background_is_bg_freqs(seed):
    """``scan(background=)`` / ``MotifScanner(background=)`` (letter frequencies) still work, warn,
    and give the hits of ``bg_freqs=``."""
    from kgenint.motifs import Motif
    from kgenint.motifs.scan import MotifScanner, scan

    rng = np.random.default_rng(seed)
    m = Motif.from_consensus("TGACTCA", name="AP1")
    seqs = ["".join(rng.choice(list("ACGT"), 300)) + "TGACTCA" for _ in range(3)]
    bg = np.array([0.3, 0.2, 0.2, 0.3])
    new = scan(seqs, [m], threshold=1e-3, bg_freqs=bg, progress=False)
    with pytest.warns(DeprecationWarning, match="bg_freqs"):
        old = scan(seqs, [m], threshold=1e-3, background=bg, progress=False)
    pd.testing.assert_frame_equal(new, old)
    with pytest.warns(DeprecationWarning, match="bg_freqs"):
        sc = MotifScanner([m], background=bg)
    np.testing.assert_allclose(sc.bg_freqs, bg)
    # the p-values use the given frequencies, not the motif's uniform ones
    uni = scan(seqs, [m], threshold=1e-3, progress=False)
    assert not np.allclose(uni["p_value"].to_numpy()[:3], new["p_value"].to_numpy()[:3])


def test_train_model_verbose_is_progress(capsys):
    from kgenint.keras.training import train_model

    x = np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(0, 4, (40, 24))]
    y = x[:, :, 0].sum(1, keepdims=True)
    with pytest.warns(DeprecationWarning, match="progress"):
        train_model(x, y, arch="deepbind", epochs=1, batch_size=16, patience=0, verbose=0,
                    model_kwargs={"n_filters": 2, "kernel_size": 5})
    assert "epoch 1/1" not in capsys.readouterr().err  # verbose=0 -> progress=False: no epoch line
    train_model(x, y, arch="deepbind", epochs=1, batch_size=16, patience=0, progress=True,
                model_kwargs={"n_filters": 2, "kernel_size": 5})
    assert "epoch 1/1" in capsys.readouterr().err
