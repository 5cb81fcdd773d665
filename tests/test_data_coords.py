"""kgenint.data.coords and ``kgenint bed``: features in genome windows mapped back to the genome,
checked by comparing the feature's letters in the window with the genome slice (both strands)."""
from __future__ import annotations

import os

import h5py
import numpy as np
import pandas as pd
import pytest
from naive_data import SITE, decode, make_genome, revcomp

from kgenint.cli import main
from kgenint.data import build_from_peaks
from kgenint.data.coords import parse_window_id, to_genome, write_bed
from kgenint.errors import InputError

L = 120


@pytest.fixture(scope="module")
def stranded(tmp_path_factory):
    d = tmp_path_factory.mktemp("coords")
    g = make_genome(str(d), seed=3)
    src = [line.split("\t") for line in open(g["peaks_a"]) if not line.startswith("track")]
    p = os.path.join(d, "s.narrowPeak")
    with open(p, "w") as fh:
        for i, f in enumerate(src):
            f[5] = "-" if i % 3 == 0 else "+"
            fh.write("\t".join(f))
    out = os.path.join(d, "s.h5")
    build_from_peaks(p, g["fa"], out, length=L, negatives="shuffle", stranded=True, seed=0, progress=False)
    with h5py.File(out) as f:
        x = f["x"][()]
        ids = f["sequence_ids"].asstr()[()].tolist()
    return g, x, ids, out, d


def test_parse_window_id():
    assert parse_window_id("chr1:100-300(+)") == ("chr1", 100, 300, "+")
    assert parse_window_id("chrUn_KI270302v1:5-9(-)") == ("chrUn_KI270302v1", 5, 9, "-")
    assert parse_window_id("chr2:7-9") == ("chr2", 7, 9, "+")
    for bad in ("shuffle:chr1:100-300(+)", "seq_1", "chr1:300-100", "chr1:1-5(.)"):
        assert parse_window_id(bad) is None


@pytest.mark.parametrize("seed", [0, 1])
def test_features_map_to_the_same_letters_on_the_genome(stranded, seed):
    g, x, ids, _, _ = stranded
    rng = np.random.default_rng(seed)
    n = 300
    seq = rng.integers(0, len(ids), n)
    s = rng.integers(0, L - 20, n)
    e = s + rng.integers(1, 20, n)
    st = rng.choice(["+", "-"], n)
    t = to_genome(pd.DataFrame({"seq": seq, "start": s, "end": e, "strand": st}), ids)
    assert {"chrom", "genome_start", "genome_end", "genome_strand"} <= set(t.columns)
    mapped = 0
    for i in range(n):
        word = decode(x[seq[i]][s[i] : e[i]])
        if st[i] == "-":
            word = revcomp(word)  # the feature's own letters
        if ids[seq[i]].startswith("shuffle:"):
            assert pd.isna(t["chrom"][i]) and pd.isna(t["genome_start"][i])
            continue
        c, a, b = t["chrom"][i], int(t["genome_start"][i]), int(t["genome_end"][i])
        gw = g["seqs"][c][a:b]
        assert (gw if t["genome_strand"][i] == "+" else revcomp(gw)) == word, i
        mapped += 1
    assert mapped > 50 and any("(-)" in ids[j] for j in seq)


def test_bed_and_errors(stranded, tmp_path):
    _, _, ids, _, _ = stranded
    t = to_genome(pd.DataFrame({"seq": [0, 1], "start": [5, 6], "end": [10, 12], "motif": ["a b", "c"]}), ids)
    k = write_bed(t, tmp_path / "o.bed", name="motif")
    lines = (tmp_path / "o.bed").read_text().splitlines()
    assert k == 2 and all(len(line.split("\t")) == 6 for line in lines)
    assert "a_b" in (tmp_path / "o.bed").read_text()
    with pytest.raises(InputError, match="exists"):
        write_bed(t, tmp_path / "o.bed")
    with pytest.raises(InputError, match="outside its 120-bp"):
        to_genome(pd.DataFrame({"seq": [0], "start": [100], "end": [130]}), ids)
    with pytest.raises(InputError, match="only"):
        to_genome(pd.DataFrame({"seq": [len(ids)], "start": [1], "end": [3]}), ids)
    with pytest.raises(InputError, match="'end'"):
        to_genome(pd.DataFrame({"seq": [0], "start": [1]}), ids)


def test_cli_bed_fimo_and_seqlets(stranded, tmp_path, capsys):
    g, x, ids, data, _ = stranded
    j = next(i for i, v in enumerate(ids) if v.endswith("(+)"))
    fimo = tmp_path / "hits.tsv"
    fimo.write_text(
        "motif_id\tmotif_alt_id\tsequence_name\tstart\tstop\tstrand\tscore\tp-value\tq-value\tmatched_sequence\n"
        f"M1\tGATA\t{ids[j]}\t3\t10\t+\t9.5\t1e-5\t0.01\tACGTACG\n"
        f"M1\tGATA\tother\t3\t10\t+\t9.5\t1e-5\t0.01\tACGTACG\n"
        "# kgenint scan\n")
    assert main(["bed", "--table", str(fimo), "-o", str(tmp_path / "h.bed")]) == 0
    c, a, b = parse_window_id(ids[j])[:3]
    assert (tmp_path / "h.bed").read_text() == f"{c}\t{a + 2}\t{a + 10}\tGATA\t9.5\t+\n"
    seql = tmp_path / "seqlets.tsv"
    seql.write_text("seq\tstart\tend\tstrand\tscore\tcluster\n0\t1\t5\t-\t0.5\t0\n")
    assert main(["bed", "--table", str(seql), "--ids", data]) == 0
    out = capsys.readouterr().out.split("\t")
    c, a, b, _ = parse_window_id(ids[0])
    want = (str(a + 1), str(a + 5)) if ids[0].endswith("(+)") else (str(b - 5), str(b - 1))
    assert out[0] == c and (out[1], out[2]) == want
    assert main(["bed", "--table", str(seql)]) == 1
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tb\n1\t2\n")
    assert main(["bed", "--table", str(bad)]) == 1
    assert "bad.tsv" in capsys.readouterr().err


def test_scan_hits_in_window_fasta_map_to_the_genome(tmp_path, capsys):
    """data --fasta-out -> scan -> bed: every BED line's genome letters are the hit's matched sequence."""
    g = make_genome(str(tmp_path), seed=4)
    src = [line.split("\t") for line in open(g["peaks_a"]) if not line.startswith("track")]
    p = tmp_path / "s.narrowPeak"
    with open(p, "w") as fh:
        for i, f in enumerate(src):
            f[5] = "-" if i % 2 else "+"
            fh.write("\t".join(f))
    assert main(["data", "--peaks", str(p), "--genome", g["fa"], "--length", "100", "--stranded",
                 "--negatives", "shuffle", "-o", str(tmp_path / "d.h5"), "--fasta-out", str(tmp_path / "w.fa"),
                 "-q"]) == 0
    with open(tmp_path / "site.meme", "w") as fh:  # the planted site as a motif
        fh.write("MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
                 "Background letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\nMOTIF site\n"
                 f"letter-probability matrix: alength= 4 w= {len(SITE)}\n")
        for ch in SITE:
            fh.write(" ".join("0.97" if ch == b else "0.01" for b in "ACGT") + "\n")
    capsys.readouterr()
    assert main(["scan", "--motifs", str(tmp_path / "site.meme"), "--fasta", str(tmp_path / "w.fa"),
                 "--thresh", "1e-6"]) == 0
    (tmp_path / "hits.tsv").write_text(capsys.readouterr().out)
    hits = pd.read_csv(tmp_path / "hits.tsv", sep="\t", comment="#")
    assert main(["bed", "--table", str(tmp_path / "hits.tsv"), "-o", str(tmp_path / "hits.bed"),
                 "--tsv", str(tmp_path / "hits_genome.tsv")]) == 0
    bed = [line.split("\t") for line in (tmp_path / "hits.bed").read_text().splitlines()]
    n_genome = int((~hits["sequence_name"].str.startswith("shuffle:")).sum())
    assert len(bed) == n_genome >= 20
    words = set(hits["matched_sequence"].str.upper())
    for c, a, b, _, _, st in bed:
        w = g["seqs"][c][int(a) : int(b)]
        assert (w if st.strip() == "+" else revcomp(w)) in words
    t = pd.read_csv(tmp_path / "hits_genome.tsv", sep="\t")
    assert {"chrom", "genome_start", "genome_end", "genome_strand"} <= set(t.columns)
