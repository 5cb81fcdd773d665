"""``kgenint data`` on the command line, and the chain data -> train -> attribute -> seqlets ->
report on a small synthetic genome."""
from __future__ import annotations

import os

import h5py
import numpy as np
import pytest
from naive_data import decode, make_genome

from kgenint.cli import main


def cli(argv: list[str]) -> int:
    try:
        return main(argv)
    finally:
        os.environ.pop("TQDM_DISABLE", None)


@pytest.fixture(scope="module")
def gen(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli_genome")
    g = make_genome(str(d), seed=1)
    g["dir"] = d
    return g


def test_cli_peaks(gen, tmp_path, capsys):
    out = tmp_path / "d.h5"
    rc = cli(["data", "--peaks", gen["peaks_a"], "--peaks", gen["peaks_b"], "--genome", gen["fa"], "--length", "150",
              "--blacklist", gen["blacklist"], "--test-chroms", "chr3", "--seed", "2", "-o", str(out)])
    assert rc == 0
    err = capsys.readouterr()
    assert err.out == ""  # data go to the file, logs to stderr
    assert "skipped" in err.err and "with more than 0.1 N" in err.err
    with h5py.File(out) as f:
        assert f["y/class"].shape[1] == 2 and f["x"].shape[1] == 150
        ch = f["intervals/chrom"].asstr()[()]
        assert set(ch[f["split/test"][()]]) == {"chr3"}
        i = 5
        c, a, b = ch[i], int(f["intervals/start"][i]), int(f["intervals/end"][i])
        assert decode(f["x"][i]) == gen["seqs"][c][a:b]
    # an existing output is refused (exit 1), kept, and replaced with --overwrite
    before = out.read_bytes()
    assert cli(["data", "--peaks", gen["peaks_a"], "--genome", gen["fa"], "--length", "150", "-o", str(out)]) == 1
    assert "exists" in capsys.readouterr().err and out.read_bytes() == before


def test_cli_fasta(tmp_path):
    rng = np.random.default_rng(0)
    with open(tmp_path / "p.fa", "w") as fh:
        for i in range(20):
            fh.write(f">p{i}\n{''.join(rng.choice(list('ACGT'), 40))}\n")
    with open(tmp_path / "l.tsv", "w") as fh:
        fh.write("id\tactivity\n" + "".join(f"p{i}\t{i * 0.5}\n" for i in range(20)))
    assert cli(["data", "--fasta", str(tmp_path / "p.fa"), "--labels", str(tmp_path / "l.tsv"),
                "-o", str(tmp_path / "o.h5"), "-q"]) == 0
    with h5py.File(tmp_path / "o.h5") as f:
        assert "class" not in f["y"]
        np.testing.assert_allclose(f["y/continuous"][:, 0], np.arange(20) * 0.5)
    assert cli(["data", "--fasta", str(tmp_path / "p.fa"), "-o", str(tmp_path / "s.h5"), "-q"]) == 0
    with h5py.File(tmp_path / "s.h5") as f:
        assert f["y/class"][:, 0].tolist() == [1] * 20 + [0] * 20


def test_cli_errors(gen, tmp_path, capsys):
    bad = tmp_path / "bad.bed"
    bad.write_text("chr1\t500\t700\nchr1\t100\t300\n")
    assert cli(["data", "--peaks", str(bad), "--genome", gen["fa"], "--length", "100", "-o", str(tmp_path / "o.h5")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.bed, line 2" in err and "sort -k1,1 -k2,2n" in err
    assert not os.path.exists(tmp_path / "o.h5")
    for argv in (["data", "-o", "x.h5"],
                 ["data", "--peaks", gen["peaks_a"], "--length", "100", "-o", "x.h5"],
                 ["data", "--peaks", gen["peaks_a"], "--genome", gen["fa"], "-o", "x.h5"],
                 ["data", "--fasta", "a.fa", "--genome", gen["fa"], "-o", "x.h5"]):
        with pytest.raises(SystemExit) as e:
            cli(argv)
        assert e.value.code == 2


@pytest.mark.slow
def test_chain_data_train_attribute_seqlets_report(gen, tmp_path, capsys):
    """data -> train (1 epoch) -> attribute (test chromosome) -> seqlets -> report."""
    d = tmp_path / "run"
    d.mkdir()
    data = str(d / "data.h5")
    assert cli(["data", "--peaks", gen["peaks_a"], "--genome", gen["fa"], "--length", "200", "--test-chroms", "chr3",
                "--valid-chroms", "chr2", "-o", data, "-q"]) == 0
    assert cli(["train", "--data", data, "--out", str(d / "model.keras"), "--epochs", "1", "--batch-size", "64",
                "-q"]) == 0
    assert cli(["attribute", "--model", str(d / "model.keras"), "--data", data, "--split", "test",
                "--max-seqs", "40", "--n-shuffles", "4", "--out", str(d / "attr.h5"), "-q"]) == 0
    with h5py.File(data) as f, h5py.File(d / "attr.h5") as a:
        idx = a["index"][()]
        assert np.array_equal(idx, f["split/test"][()][:40])
        # attributions trace back to the genome: row index -> /intervals, ids carry the coordinates
        ch = f["intervals/chrom"].asstr()[()][idx]
        st = f["intervals/start"][()][idx]
        assert set(ch) == {"chr3"}
        ids = a["sequence_ids"].asstr()[()]
        assert all(i.startswith(f"{c}:{s}-") for i, c, s in zip(ids, ch, st))
    assert cli(["seqlets", "--attributions", str(d / "attr.h5"), "--out", str(d / "motifs.h5"), "-q"]) == 0
    assert cli(["report", str(d), "-q"]) == 0
    assert (d / "report.html").stat().st_size > 1000
