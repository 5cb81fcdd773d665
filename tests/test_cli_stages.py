"""The ``kgenint attribute``, ``interactions`` and ``cooccur`` commands, run through
``kgenint.cli.main`` on tiny inputs and checked against direct library calls."""
from __future__ import annotations

import os

import numpy as np
import pytest

from kgenint.cli import main

L = 80


def cli(argv: list[str]) -> int:
    """``kgenint.cli.main``; ``--quiet`` sets TQDM_DISABLE for the process, undo that so it does
    not leak into later library calls and tests."""
    try:
        return main(argv)
    finally:
        os.environ.pop("TQDM_DISABLE", None)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """A tiny saved model, a tiny simulated data set (HDF5 + FASTA) and three motifs."""
    import keras

    from kgenint.keras.models import local_cnn
    from kgenint.motifs import load_curated, write_meme
    from kgenint.sequence import write_fasta
    from kgenint.simulate import SimulationConfig, save, simulate

    d = tmp_path_factory.mktemp("cli_stages")
    keras.utils.set_random_seed(0)
    model = local_cnn(L, n_filters=4, kernel_size=7, pool_size=10, n_filters2=4, hidden=8, dropout=0.0)
    model.save(d / "m.keras")
    data = simulate(SimulationConfig.from_preset("default", length=L), n=40, seed=0)
    save(data, d / "d.h5")
    seqs = ["".join("ACGT"[i] for i in row) for row in data.x.argmax(-1)]
    write_fasta(d / "d.fa", list(data.sequence_ids), seqs)
    motifs = load_curated()[:3]
    write_meme(motifs, d / "m3.meme")
    return {"dir": d, "model": str(d / "m.keras"), "h5": str(d / "d.h5"), "fa": str(d / "d.fa"),
            "meme": str(d / "m3.meme"), "data": data, "motifs": motifs, "seqs": seqs}


@pytest.fixture(scope="module")
def model(work):
    from kgenint.keras import load_model

    return load_model(work["model"], compile=False)


def _shuffle_refs(x, n, seed):
    """References documented by ``kgenint attribute``: per sequence i, ``n`` dinucleotide
    shuffles seeded by (seed, i)."""
    from kgenint.sequence import dinucleotide_shuffle

    out = []
    for i in range(len(x)):
        s = int(np.random.SeedSequence([seed, i]).generate_state(1, np.uint64)[0] >> 1)
        out.append(dinucleotide_shuffle(x[i:i + 1], n, seed=s)[0])
    return np.stack(out).astype(np.float32)


# --------------------------------------------------------------------------- attribute
def test_attribute_deepshap_interrupt_resume_equals_direct(work, model, monkeypatch, capsys):
    import kgenint.attribution.stream as stream
    from kgenint.attribution import deepshap, load_attributions

    out = str(work["dir"] / "attr.h5")
    argv = ["attribute", "--model", work["model"], "--data", work["h5"], "--split", "train", "--max-seqs", "10",
            "--chunk-size", "4", "--n-shuffles", "4", "--seed", "3", "--out", out, "-q"]
    real = stream._run
    calls = []

    def interrupted(*a, **k):
        calls.append(a[4] if len(a) > 4 else k.get("start"))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(stream, "_run", interrupted)
    assert cli(argv) == 130
    assert "finished chunks are kept" in capsys.readouterr().err
    assert not os.path.exists(out) and os.path.exists(out + ".partial")
    import h5py

    with h5py.File(out + ".partial", "r") as f:  # the header; finished chunks are files of their own
        assert f["done"][()].tolist() == [False, False, False]
    assert sorted(os.listdir(out + ".partial.chunks")) == ["0000000.h5"]
    calls.clear()
    monkeypatch.setattr(stream, "_run", lambda *a, **k: (calls.append(a[4]), real(*a, **k))[1])
    assert cli(argv) == 0
    assert calls == [4, 8]  # only the unfinished chunks were computed
    assert not os.path.exists(out + ".partial")

    r = load_attributions(out)
    idx = work["data"].split["train"][:10]
    x = work["data"].x[idx]
    np.testing.assert_array_equal(r["index"], idx)
    np.testing.assert_array_equal(r["x"], x)
    assert r["sequence_ids"] == [str(s) for s in work["data"].sequence_ids[idx]]
    assert r["method"] == "deepshap"
    hyp = deepshap(model, x, _shuffle_refs(x, 4, 3), hypothetical=True)
    np.testing.assert_allclose(r["hypothetical"], hyp, atol=1e-5)
    np.testing.assert_allclose(r["contributions"], hyp * x, atol=1e-5)
    # a finished file is not overwritten by accident; a bad argument leaves it intact
    before = open(out, "rb").read()
    assert cli(argv) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert cli([*argv, "--overwrite", "--method", "nonsense"]) == 1
    err = capsys.readouterr().err
    assert "nonsense" in err and "deepshap" in err and len(err.strip().splitlines()) == 1
    assert open(out, "rb").read() == before


def test_attribute_fasta_saliency_and_shared_background(work, model):
    from kgenint.attribution import deepshap, load_attributions, saliency

    x = work["data"].x[:5]
    out = str(work["dir"] / "sal.h5")
    assert cli(["attribute", "--model", work["model"], "--data", work["fa"], "--max-seqs", "5",
                 "--method", "saliency", "--out", out, "-q"]) == 0
    r = load_attributions(out)
    g = saliency(model, x)
    np.testing.assert_allclose(r["hypothetical"], g, atol=1e-6)
    np.testing.assert_allclose(r["contributions"], g * x, atol=1e-6)
    assert r["sequence_ids"] == [str(s) for s in work["data"].sequence_ids[:5]]
    # --background file (shared references), without hypothetical scores
    out2 = str(work["dir"] / "ds_bg.h5")
    assert cli(["attribute", "--model", work["model"], "--data", work["fa"], "--max-seqs", "5",
                 "--background", work["h5"], "--no-hypothetical", "--out", out2, "-q"]) == 0
    r2 = load_attributions(out2)
    assert r2["hypothetical"] is None
    np.testing.assert_allclose(r2["contributions"], deepshap(model, x, work["data"].x), atol=1e-5)


def test_attribute_bad_inputs(work, capsys):
    d = work["dir"]
    out = str(d / "bad.h5")
    base = ["attribute", "--data", work["fa"], "--out", out, "-q"]
    assert cli([*base, "--model", str(d / "missing.keras")]) == 1
    assert "missing.keras: no such file" in capsys.readouterr().err
    uneven = d / "uneven.fa"
    uneven.write_text(">a\n" + "ACGT" * 20 + "\n>b\n" + "ACGT" * 19 + "\n")
    assert cli(["attribute", "--model", work["model"], "--data", str(uneven), "--out", out, "-q"]) == 1
    err = capsys.readouterr().err
    assert "same length" in err and "'b'" in err and "uneven.fa" in err
    short = d / "short.fa"
    short.write_text(">a\n" + "ACGT" * 15 + "\n")
    assert cli(["attribute", "--model", work["model"], "--data", str(short), "--out", out, "-q"]) == 1
    assert "60 bp but the model" in capsys.readouterr().err
    assert cli(["attribute", "--model", work["model"], "--data", work["fa"], "--split", "test", "--out", out]) == 1
    assert "needs an HDF5" in capsys.readouterr().err
    assert cli(["attribute", "--model", work["model"], "--data", work["h5"], "--split", "nope", "--out", out]) == 1
    assert "no split 'nope'" in capsys.readouterr().err
    notmodel = d / "notmodel.keras"
    notmodel.write_text("hello")
    assert cli(["attribute", "--model", str(notmodel), "--data", work["fa"], "--out", out, "-q"]) == 1
    assert "cannot load as a Keras 3 model" in capsys.readouterr().err
    assert not os.path.exists(out) and not os.path.exists(out + ".partial")


# --------------------------------------------------------------------------- interactions
def test_interactions_equals_scan_pairs_and_resumes(work, model, monkeypatch, capsys):
    import kgenint.interactions.insilico as ins
    from kgenint.keras import as_predict_fn
    from kgenint.sequence import shuffled_background

    out = str(work["dir"] / "scan.h5")
    table = str(work["dir"] / "top.tsv")
    argv = ["interactions", "--model", work["model"], "--motifs", work["meme"], "--data", work["h5"],
            "--n-backgrounds", "6", "--distances", "0:30:6", "--orientations", "++,-+", "--seed", "2",
            "--out", out, "--table", table, "--top", "4", "-q"]
    real = ins._Checkpoint.save_pair
    n = []

    def stop(self, a, b, block, raw_block):
        real(self, a, b, block, raw_block)
        n.append((a, b))
        if len(n) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(ins._Checkpoint, "save_pair", stop)
    assert cli(argv) == 130
    assert os.path.exists(out + ".partial") and not os.path.exists(out)
    monkeypatch.setattr(ins._Checkpoint, "save_pair", real)
    assert cli(argv) == 0
    assert not os.path.exists(out + ".partial")

    x = work["data"].x
    rows = np.random.default_rng(2).choice(len(x), size=6, replace=False)
    bg = shuffled_background(x[rows], 1, seed=2)
    ref = ins.scan_pairs(as_predict_fn(model, logits=True), work["motifs"], bg, distances=range(0, 31, 6),
                         orientations=["++", "-+"], seed=2, progress=False)
    got = ins.load(out)
    assert got.motif_names == [m.name for m in work["motifs"]]
    np.testing.assert_array_equal(got.distances, [0, 6, 12, 18, 24, 30])
    assert got.orientations == ("++", "-+")
    for k in ("effect", "se", "t", "p", "q", "contrasts", "raw_effect", "main_a", "main_b"):
        np.testing.assert_allclose(getattr(got, k), getattr(ref, k), rtol=1e-5, atol=1e-6, equal_nan=True)
    import pandas as pd

    tsv = pd.read_csv(table, sep="\t")  # the pair table, first --top 4 rows
    assert len(tsv) == 4
    full = ref.pairs().head(4)
    np.testing.assert_allclose(tsv["effect"], full["effect"], rtol=1e-4, atol=1e-6)
    assert list(tsv["motif_a"]) == list(full["motif_a"])
    assert (np.diff(tsv["q_value"]) >= 0).all()


def test_interactions_adaptive_equals_python_api(work, model):
    """``kgenint interactions --adaptive`` runs the sequential design of
    :func:`scan_pairs_adaptive` on the same backgrounds and writes a file that loads back."""
    from kgenint.interactions.adaptive import load_adaptive, scan_pairs_adaptive
    from kgenint.keras import as_predict_fn
    from kgenint.sequence import shuffled_background

    out = str(work["dir"] / "adaptive.h5")
    assert cli(["interactions", "--model", work["model"], "--motifs", work["meme"], "--data", work["h5"],
                "--n-backgrounds", "8", "--distances", "0:30:6", "--orientations", "++,-+", "--seed", "3",
                "--adaptive", "--out", out, "--top", "0", "-q"]) == 0
    x = work["data"].x
    rows = np.random.default_rng(3).choice(len(x), size=8, replace=False)
    bg = shuffled_background(x[rows], 1, seed=3)
    ref = scan_pairs_adaptive(as_predict_fn(model, logits=True), work["motifs"], bg, distances=range(0, 31, 6),
                              orientations=["++", "-+"], seed=3, progress=False)
    got = load_adaptive(out)
    assert got.params["n_predicted"] == ref.params["n_predicted"] < ref.params["n_predicted_exhaustive"]
    for k in ("effect", "p", "q", "contrasts"):
        np.testing.assert_allclose(getattr(got, k), getattr(ref, k), rtol=1e-5, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(got.pairs()["q_value"], ref.pairs()["q_value"], rtol=1e-6)


def test_interactions_gc_default_and_stdout(work, model, capsys, caplog):
    from kgenint.interactions.insilico import scan_pairs
    from kgenint.keras import as_predict_fn
    from kgenint.sequence import random_background

    caplog.set_level("INFO", logger="kgenint")
    assert cli(["interactions", "--model", work["model"], "--motifs", work["meme"], "--n-backgrounds", "4",
                 "--distances", "14,20", "--orientations", "+-", "--top", "0",
                 "--plots", str(work["dir"] / "figs_i")]) == 0
    assert "42 % GC" in caplog.text
    for name in ("heatmap.png", "distance_curves.png"):
        assert (work["dir"] / "figs_i" / name).stat().st_size > 1000
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split("\t")[:4] == ["motif_a", "motif_b", "distance", "orientation"]
    ref = scan_pairs(as_predict_fn(model), work["motifs"], random_background(4, L, gc=0.42, seed=0),
                     distances=[14, 20], orientations=["+-"], progress=False)
    pairs = ref.pairs()  # stdout holds the pair table: one row per unordered motif pair
    K = len(work["motifs"])
    assert len(lines) - 1 == len(pairs) == K * (K + 1) // 2
    got = sorted(float(r.split("\t")[4]) for r in lines[1:])
    np.testing.assert_allclose(got, np.sort(pairs["effect"].to_numpy()), rtol=1e-4, atol=1e-6)
    assert "motif pairs interact (q < 0.05)" in caplog.text


def test_interactions_bad_inputs(work, capsys):
    base = ["interactions", "--model", work["model"], "--motifs", work["meme"], "-q"]
    assert cli([*base, "--distances", "10:5"]) == 1
    assert "--distances" in capsys.readouterr().err
    assert cli([*base, "--background", "shuffle"]) == 1
    assert "needs --data" in capsys.readouterr().err
    assert cli([*base, "--orientations", "+x"]) == 1
    assert "orientations" in capsys.readouterr().err
    bad = work["dir"] / "bad.meme"
    bad.write_text("MEME version 4\n\nALPHABET= ACGT\n\nMOTIF a\nletter-probability matrix:\n0.5 0.5 0.5\n")
    assert cli(["interactions", "--model", work["model"], "--motifs", str(bad), "-q"]) == 1
    assert "bad.meme" in capsys.readouterr().err


# --------------------------------------------------------------------------- cooccur
def test_cooccur_scan_and_hits_equal_direct(work, capsys):
    from kgenint.interactions.cooccurrence import CooccurrenceScan, cooccurrence
    from kgenint.motifs.scan import scan, write_fimo_tsv

    data = work["data"]
    hits = scan(data.x, work["motifs"], threshold=1e-3, seq_names=list(data.sequence_ids), progress=False)
    ref = cooccurrence(hits, data.y_class[:, 0], motif_names=[m.name for m in work["motifs"]], max_distance=60,
                       bin_size=2)
    marg = cooccurrence(hits, data.y_class[:, 0], motif_names=[m.name for m in work["motifs"]], max_distance=60,
                        bin_size=2, null="marginal")
    out = str(work["dir"] / "c.h5")
    assert cli(["cooccur", "--motifs", work["meme"], "--data", work["h5"], "--thresh", "1e-3",
                 "--max-distance", "60", "--bin-size", "2", "--out", out, "--top", "0", "-q"]) == 0
    got = CooccurrenceScan.load(out)
    assert got.motif_names == ref.motif_names
    np.testing.assert_array_equal(got.seq_counts, ref.seq_counts)
    np.testing.assert_array_equal(got.pair_counts, ref.pair_counts)
    np.testing.assert_allclose(got.p, ref.p, equal_nan=True)
    assert len(capsys.readouterr().out.strip().splitlines()) - 1 == int(np.isfinite(ref.p).sum())

    # the same through a FIMO TSV and a groups TSV (reversed order, one sequence left out)
    tsv = work["dir"] / "hits.tsv"
    write_fimo_tsv(hits, tsv)
    ids = list(data.sequence_ids)
    g = work["dir"] / "groups.tsv"
    g.write_text("sequence_name\tgroup\n" + "".join(
        f"{n}\t{'pos' if c else 'neg'}\n" for n, c in list(zip(ids, data.y_class[:, 0]))[::-1]) + f"{ids[0]}x\t-1\n")
    out2 = str(work["dir"] / "c2.h5")
    assert cli(["cooccur", "--hits", str(tsv), "--groups", str(g), "--max-distance", "60", "--bin-size", "2",
                 "--out", out2, "--table", str(work["dir"] / "c2.tsv"), "--plots", str(work["dir"] / "figs_c"),
                 "-q"]) == 0
    assert (work["dir"] / "figs_c" / "cooccurrence_curves.png").stat().st_size > 1000
    got2 = CooccurrenceScan.load(out2)
    perm = [got2.motif_names.index(n) for n in ref.motif_names]
    sc = got2.seq_counts[:, perm][:, :, perm]
    np.testing.assert_array_equal(sc, ref.seq_counts)
    np.testing.assert_array_equal(got2.n_sequences, ref.n_sequences)
    # FIMO TSV + groups from the data set's class labels
    out3 = str(work["dir"] / "c3.h5")
    assert cli(["cooccur", "--hits", str(tsv), "--data", work["h5"], "--max-distance", "60", "--bin-size", "2",
                "--out", out3, "--top", "3", "-q"]) == 0
    got3 = CooccurrenceScan.load(out3)
    np.testing.assert_array_equal(got3.pair_counts[:, perm][:, :, perm], ref.pair_counts)
    # --null marginal
    out4 = str(work["dir"] / "c4.h5")
    assert cli(["cooccur", "--hits", str(tsv), "--data", work["h5"], "--max-distance", "60", "--bin-size", "2",
                "--null", "marginal", "--out", out4, "--top", "3", "-q"]) == 0
    got4 = CooccurrenceScan.load(out4)
    assert got4.null == "marginal"
    np.testing.assert_allclose(got4.p[perm][:, perm], marg.p, equal_nan=True)


def test_cooccur_bad_inputs(work, capsys):
    out = str(work["dir"] / "cbad.h5")
    assert cli(["cooccur", "--hits", "x.tsv", "--motifs", work["meme"], "--data", work["h5"], "--out", out]) == 1
    assert "not both" in capsys.readouterr().err
    assert cli(["cooccur", "--motifs", work["meme"], "--data", work["fa"], "--out", out]) == 1
    assert "no class labels" in capsys.readouterr().err
    g = work["dir"] / "badgroups.tsv"
    g.write_text("seq_0\t1\nseq_1\tmaybe\n")
    assert cli(["cooccur", "--motifs", work["meme"], "--data", work["fa"], "--groups", str(g), "--out", out]) == 1
    err = capsys.readouterr().err
    assert "badgroups.tsv, line 2" in err and "maybe" in err
    assert not os.path.exists(out)


def test_quiet_progress_with_explicit_disable(monkeypatch):
    """``--quiet`` sets TQDM_DISABLE; library calls that also pass ``disable=`` (chunked
    attribution, the pair scan) must then get a hidden bar, not a duplicate-keyword error."""
    from kgenint.progress import progress

    monkeypatch.setenv("TQDM_DISABLE", "1")
    for requested in (None, False, True):
        bar = progress(range(3), disable=requested)
        assert bar.disable is True
        assert list(bar) == [0, 1, 2]
    monkeypatch.delenv("TQDM_DISABLE")
    assert progress(range(3), disable=True).disable is True
