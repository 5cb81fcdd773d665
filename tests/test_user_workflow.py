"""A user's own Keras model and FASTA file through every stage command, in order, as a user runs
them; then bad input at a late stage leaves the earlier results intact."""
import hashlib

import numpy as np
import pandas as pd
import pytest

from kgenint.cli import main
from kgenint.motifs import get_motif, load_curated, read_meme, write_meme
from kgenint.sequence import one_hot_decode, write_fasta

L = 100


def _plant(rng, n, word, frac):
    idx = rng.integers(0, 4, (n, L))
    y = np.zeros(n, int)
    for i in range(n):
        if rng.random() < frac:
            p = int(rng.integers(5, L - len(word) - 5))
            idx[i, p:p + len(word)] = ["ACGT".index(c) for c in word]
            y[i] = 1
    return np.eye(4, dtype="float32")[idx], y


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    import keras

    from kgenint.keras.models import local_cnn

    d = tmp_path_factory.mktemp("user")
    rng = np.random.default_rng(0)
    spi1 = get_motif("SPI1").consensus
    x, y = _plant(rng, 3000, spi1, 0.5)
    keras.utils.set_random_seed(0)
    model = local_cnn(L, n_filters=16)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy")
    model.fit(x, y, epochs=4, batch_size=128, verbose=0)
    model.save(d / "model.keras")
    xs, ys = _plant(np.random.default_rng(1), 120, spi1, 0.5)
    write_fasta(d / "peaks.fa", [f"peak{i}" for i in range(120)], one_hot_decode(xs))
    pd.DataFrame({"sequence_name": [f"peak{i}" for i in range(120)], "group": ys}).to_csv(
        d / "groups.tsv", sep="\t", index=False, header=False)
    curated = load_curated()
    write_meme([get_motif(n, curated) for n in ("SPI1", "CEBPB", "RUNX1")], d / "known.meme")
    return d


def _run(args, capsys):
    rc = main(args)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_every_stage_in_order(workdir, capsys):
    d = workdir
    rc, _, err = _run(["attribute", "--model", str(d / "model.keras"), "--data", str(d / "peaks.fa"),
                       "--method", "deepshap", "--n-shuffles", "4", "--out", str(d / "attr.h5")], capsys)
    assert rc == 0, err
    rc, _, err = _run(["seqlets", "--attributions", str(d / "attr.h5"), "--out", str(d / "motifs.h5"),
                       "--meme", str(d / "learned.meme"), "--min-cluster-size", "10"], capsys)
    assert rc == 0, err
    learned = read_meme(d / "learned.meme")
    assert learned, "the planted SPI1 site should come back as a seqlet motif"
    rc, out, err = _run(["compare", "--query", str(d / "learned.meme")], capsys)
    assert rc == 0, err
    assert "Query_ID" in out.splitlines()[0]
    tbl = pd.read_csv(__import__("io").StringIO(out), sep="\t", comment="#").sort_values("p-value")
    best = tbl.iloc[0]
    # the learned motif is an ETS-family (PU.1-like) motif: its best JASPAR match holds the GGAA core
    core = best["Target_consensus"].upper()
    assert "GGAA" in core or "TTCC" in core, best.to_dict()
    assert best["q-value"] < 0.05
    rc, out, err = _run(["scan", "--motifs", str(d / "known.meme"), "--fasta", str(d / "peaks.fa"),
                         "--thresh", "1e-4", "-o", str(d / "hits.tsv")], capsys)
    assert rc == 0, err
    hits = pd.read_csv(d / "hits.tsv", sep="\t", comment="#")
    assert list(hits.columns[:3]) == ["motif_id", "motif_alt_id", "sequence_name"] and len(hits) > 0
    rc, out, err = _run(["interactions", "--model", str(d / "model.keras"), "--motifs", str(d / "known.meme"),
                         "--data", str(d / "peaks.fa"), "--n-backgrounds", "4", "--distances", "0:30:5",
                         "--out", str(d / "scan.h5")], capsys)
    assert rc == 0, err
    assert out.splitlines()[0].startswith("motif_a\tmotif_b\tdistance\torientation")
    rc, out, err = _run(["cooccur", "--hits", str(d / "hits.tsv"), "--groups", str(d / "groups.tsv"),
                         "--max-distance", "50", "--out", str(d / "cooc.h5")], capsys)
    assert rc == 0, err
    for f in ("attr.h5", "motifs.h5", "learned.meme", "hits.tsv", "scan.h5", "cooc.h5"):
        assert (d / f).stat().st_size > 0


def test_bad_input_late_keeps_earlier_results(workdir, capsys):
    d = workdir
    if not (d / "attr.h5").exists():
        pytest.skip("runs after test_every_stage_in_order")
    before = hashlib.sha256((d / "attr.h5").read_bytes()).hexdigest()
    bad = d / "broken.meme"
    bad.write_text("MEME version 5\n\nALPHABET= ACGT\n\nMOTIF X\nletter-probability matrix: w= 2\n0.5 0.5\n")
    rc, _, err = _run(["interactions", "--model", str(d / "model.keras"), "--motifs", str(bad),
                       "--data", str(d / "peaks.fa"), "--out", str(d / "scan2.h5")], capsys)
    assert rc == 1 and "broken.meme" in err and "line" in err
    assert not (d / "scan2.h5").exists()
    rc, _, err = _run(["attribute", "--model", str(d / "nope.keras"), "--data", str(d / "peaks.fa"),
                       "--out", str(d / "attr.h5"), "--overwrite"], capsys)
    assert rc == 1 and "nope.keras" in err
    assert hashlib.sha256((d / "attr.h5").read_bytes()).hexdigest() == before


def test_report_on_the_stage_directory(workdir, capsys):
    """``kgenint report`` on the directory the stage commands above wrote into (no results.h5,
    names of the user's choosing, a user's model without metrics, no planted truth)."""
    import re

    d = workdir
    if not (d / "cooc.h5").exists():
        pytest.skip("runs after test_every_stage_in_order")
    rc, out, err = _run(["report", str(d)], capsys)
    assert rc == 0, err
    assert out.strip() == str(d / "report.html")
    page = (d / "report.html").read_text(encoding="utf-8")
    assert "could not be drawn" not in page
    unused = page.split("<h3>Files not used</h3>")[1].split("</table>")[0]
    assert "<td>broken.meme</td>" in unused and "<td>peaks.fa</td>" not in unused
    sec = {s: page.split(f'<section id="{s}">')[1].split("</section>")[0]
           for s in ("model", "seqlets", "tracks", "insilico", "cooccurrence", "truth")}
    assert "From <code>motifs.h5</code>" in sec["seqlets"]
    assert "From <code>attr.h5</code>" in sec["tracks"] and "No planted truth" in sec["tracks"]
    assert "From <code>scan.h5</code>" in sec["insilico"] and "From <code>cooc.h5</code>" in sec["cooccurrence"]
    assert "the training stage was not run" in sec["model"]
    assert "real data" in sec["truth"]
    # the strongest pair of the scan heads the table: one with SPI1, the only motif the model learned
    top = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td>", sec["insilico"].split("<h3>Strongest pairs</h3>")[1])[0]
    assert get_motif("SPI1").name in top
    assert not (d / "results.h5").exists()
