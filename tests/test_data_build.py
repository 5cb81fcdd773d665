"""kgenint.data: windows from peaks + genome against brute-force slices of the genome, labels,
GC-matched negatives (distribution test), no overlap with peaks or the blacklist, splits, N
handling, bigWig targets, bgzip genomes, FASTA + labels, and bad input."""
from __future__ import annotations

import os
import shutil

import h5py
import numpy as np
import pytest
from naive_data import decode, gc_of, make_genome, overlaps_any, revcomp, write_bigwig
from scipy import stats

from kgenint.data import build_from_fasta, build_from_peaks, read_bed
from kgenint.data.intervals import IntervalIndex
from kgenint.errors import InputError

L = 200


@pytest.fixture(scope="module")
def gen(tmp_path_factory):
    d = tmp_path_factory.mktemp("genome")
    g = make_genome(str(d), seed=0)
    g["dir"] = d
    return g


@pytest.fixture(scope="module")
def built(gen):
    out = os.path.join(gen["dir"], "ab.h5")
    s = build_from_peaks([gen["peaks_a"], gen["peaks_b"]], gen["fa"], out, length=L, blacklist=gen["blacklist"],
                         test_chroms="chr3", valid_chroms=["chr2"], seed=1, chunk_size=64, progress=False)
    return s, out


def _read(path):
    with h5py.File(path, "r") as f:
        return {
            "x": f["x"][()], "y": f["y/class"][()] if "class" in f["y"] else None,
            "cont": f["y/continuous"][()] if "continuous" in f["y"] else None,
            "chrom": f["intervals/chrom"].asstr()[()].tolist(), "start": f["intervals/start"][()],
            "end": f["intervals/end"][()], "strand": f["intervals/strand"].asstr()[()].tolist(),
            "origin": f["intervals/origin"][()], "ids": f["sequence_ids"].asstr()[()].tolist(),
            "split": {k: f["split"][k][()] for k in f["split"]}, "attrs": dict(f.attrs),
        }


def test_windows_are_genome_slices_centred_on_summits(gen, built):
    s, out = built
    r = _read(out)
    assert r["x"].shape == (s.n, L, 4) and r["x"].dtype == np.uint8
    assert np.all(r["end"] - r["start"] == L)
    for i in range(s.n):
        c, a, b = r["chrom"][i], int(r["start"][i]), int(r["end"][i])
        want = gen["seqs"][c][a:b]
        got = decode(r["x"][i])
        if r["origin"][i] == 2:
            continue
        assert got == want, (i, c, a)
    # the positive windows are exactly the brute-force set: summit (A) / centre (B) +- L/2, kept when
    # inside the chromosome, off the blacklist and with at most 10 % N
    expect = set()
    edge = black = nskip = 0
    for rows, has_summit in ((gen["a"], True), (gen["b"], False)):
        for row in rows:
            c, a, b = row[:3]
            cen = a + row[3] if has_summit else (a + b) // 2
            st = cen - L // 2
            if st < 0 or st + L > gen["sizes"][c]:
                edge += 1
                continue
            expect.add((c, st))
    kept = set()
    for c, st in expect:
        if overlaps_any(c, st, st + L, gen["black"]):
            black += 1
        elif gen["seqs"][c][st : st + L].count("N") > 0.1 * L:
            nskip += 1
        else:
            kept.add((c, st))
    pos = {(r["chrom"][i], int(r["start"][i])) for i in range(s.n) if r["origin"][i] == 0}
    assert pos == kept
    assert s.skipped == {"too_many_n": nskip, "chrom_edge": edge, "blacklist": black}
    assert nskip >= 1 and edge >= 1 and black >= 1  # the fixture plants each case
    assert r["ids"][0] == f"{r['chrom'][0]}:{r['start'][0]}-{r['end'][0]}(+)"


def test_multitask_labels_brute_force(gen, built):
    s, out = built
    r = _read(out)
    assert r["y"].shape == (s.n, 2) and s.tasks == ["taskA", "taskB"]
    cen_a = [(c, a + off) for c, a, b, off in gen["a"]]
    cen_b = [(c, (a + b) // 2) for c, a, b in gen["b"]]
    for i in range(s.n):
        c, a, b = r["chrom"][i], r["start"][i], r["end"][i]
        for t, cens in enumerate((cen_a, cen_b)):
            assert r["y"][i, t] == any(cc == c and a <= p < b for cc, p in cens), (i, t)
    assert r["y"][r["origin"] == 0].max(axis=1).min() == 1  # every peak window is positive somewhere
    assert r["y"][r["origin"] == 1].max() == 0
    # some windows are positive for A only, some for both
    assert (r["y"][:, 0] & ~r["y"][:, 1]).any() and (r["y"][:, 0] & r["y"][:, 1]).any()


def test_negatives_avoid_every_peak_and_the_blacklist(gen, built):
    s, out = built
    r = _read(out)
    every = [row[:3] for row in gen["a"]] + list(gen["b"]) + list(gen["black"])
    neg = np.flatnonzero(r["origin"] == 1)
    assert neg.size == s.n_negative > 50
    for i in neg:
        assert not overlaps_any(r["chrom"][i], int(r["start"][i]), int(r["end"][i]), every), i
        assert decode(r["x"][i]).count("N") <= 0.1 * L
    pos = np.flatnonzero(r["origin"] == 0)
    assert not any(overlaps_any(r["chrom"][i], int(r["start"][i]), int(r["end"][i]), gen["black"]) for i in pos)
    # no duplicate rows
    keys = {(r["chrom"][i], int(r["start"][i]), int(r["origin"][i])) for i in range(s.n)}
    assert len(keys) == s.n


@pytest.mark.parametrize("seed", [1, 7])
def test_negatives_match_positive_gc(gen, seed, tmp_path):
    out = tmp_path / "gc.h5"
    s = build_from_peaks(gen["peaks_a"], gen["fa"], out, length=L, seed=seed, negative_ratio=2, progress=False)
    r = _read(out)
    gc = np.array([gc_of(decode(x)) for x in r["x"]])
    pos, neg = gc[r["origin"] == 0], gc[r["origin"] == 1]
    assert neg.size == 2 * pos.size
    assert stats.ks_2samp(pos, neg).pvalue > 0.05
    # the test has power: uniformly drawn genomic windows (same chromosomes, same N rule) differ
    rng = np.random.default_rng(seed)
    uni = []
    while len(uni) < neg.size:
        c = rng.choice(list(gen["sizes"]))
        a = int(rng.integers(0, gen["sizes"][c] - L))
        w = gen["seqs"][c][a : a + L]
        if w.count("N") <= 0.1 * L:
            uni.append(gc_of(w))
    assert stats.ks_2samp(pos, np.array(uni)).pvalue < 1e-3
    assert s.n_negative == neg.size


def test_seeded_and_chunk_independent(gen, tmp_path):
    a = build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "a.h5", length=L, seed=3, progress=False)
    build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "b.h5", length=L, seed=3, chunk_size=7, progress=False)
    build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "c.h5", length=L, seed=4, progress=False)
    ra, rb, rc = _read(tmp_path / "a.h5"), _read(tmp_path / "b.h5"), _read(tmp_path / "c.h5")
    assert np.array_equal(ra["x"], rb["x"]) and np.array_equal(ra["start"], rb["start"])
    assert all(np.array_equal(ra["split"][k], rb["split"][k]) for k in ra["split"])
    assert not np.array_equal(ra["start"][ra["origin"] == 1], rc["start"][rc["origin"] == 1])
    assert a.n == ra["x"].shape[0]


def test_chromosome_split(gen, built):
    s, out = built
    r = _read(out)
    ch = np.asarray(r["chrom"])
    sp = r["split"]
    assert set(ch[sp["test"]]) == {"chr3"} and set(ch[sp["valid"]]) == {"chr2"}
    assert set(ch[sp["train"]]) == {"chr1"}
    allidx = np.sort(np.concatenate([sp["train"], sp["valid"], sp["test"]]))
    assert np.array_equal(allidx, np.arange(s.n))
    # negatives land in every split (drawn from every chromosome with peaks)
    for k in ("train", "valid", "test"):
        assert (r["origin"][sp[k]] == 1).any() and (r["origin"][sp[k]] == 0).any()


def test_random_split_with_test_chroms_only(gen, tmp_path):
    s = build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "t.h5", length=L, test_chroms="chr1",
                         valid_fraction=0.2, seed=0, progress=False)
    r = _read(tmp_path / "t.h5")
    ch = np.asarray(r["chrom"])
    assert set(ch[r["split"]["test"]]) == {"chr1"}
    assert "chr1" not in set(ch[r["split"]["valid"]]) | set(ch[r["split"]["train"]])
    rest = int((ch != "chr1").sum())
    assert r["split"]["valid"].size == round(0.2 * rest)
    assert s.split_sizes["test"] == int((ch == "chr1").sum())


def test_n_threshold(gen, tmp_path):
    # with max_n_fraction = 1 only the all-N window is still skipped; with 0 every window with an N
    s1 = build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "n1.h5", length=L, negatives="none",
                          max_n_fraction=1.0, progress=False)
    s0 = build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "n0.h5", length=L, negatives="none",
                          max_n_fraction=0.0, progress=False)
    wins = {(c, a + off - L // 2) for c, a, b, off in gen["a"]}
    wins = {(c, st) for c, st in wins if 0 <= st and st + L <= gen["sizes"][c]}
    n_all_n = sum(gen["seqs"][c][st : st + L].count("N") == L for c, st in wins)
    n_any_n = sum(gen["seqs"][c][st : st + L].count("N") > 0 for c, st in wins)
    assert s1.skipped["too_many_n"] == n_all_n >= 1
    assert s0.skipped["too_many_n"] == n_any_n > n_all_n
    r = _read(tmp_path / "n0.h5")
    assert (r["x"].sum(-1) == 1).all()


def test_stranded_windows_are_reverse_complemented(gen, tmp_path):
    src = [line.split("\t") for line in open(gen["peaks_a"]) if not line.startswith("track")]
    p = tmp_path / "stranded.narrowPeak"
    with open(p, "w") as fh:
        for i, f in enumerate(src):
            f[5] = "-" if i % 2 else "+"
            fh.write("\t".join(f))
    build_from_peaks(str(p), gen["fa"], tmp_path / "s.h5", length=L, negatives="none", stranded=True, progress=False)
    r = _read(tmp_path / "s.h5")
    assert "-" in r["strand"] and "+" in r["strand"]
    for i in range(len(r["chrom"])):
        w = gen["seqs"][r["chrom"][i]][r["start"][i] : r["end"][i]]
        assert decode(r["x"][i]) == (revcomp(w) if r["strand"][i] == "-" else w)


def test_shuffle_negatives_keep_dinucleotides(gen, tmp_path):
    from kgenint.sequence import dinucleotide_counts

    s = build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "sh.h5", length=L, negatives="shuffle",
                         test_chroms="chr3", seed=2, progress=False)
    r = _read(tmp_path / "sh.h5")
    pos, neg = np.flatnonzero(r["origin"] == 0), np.flatnonzero(r["origin"] == 2)
    assert neg.size == pos.size == s.n_negative
    xp = r["x"][pos].astype(np.float32)
    xn = r["x"][neg].astype(np.float32)
    assert np.array_equal(dinucleotide_counts(xp), dinucleotide_counts(xn))
    assert not np.array_equal(xp, xn)
    assert r["y"][neg].max() == 0
    # a shuffle stays in its source window's split (same chromosome)
    ch = np.asarray(r["chrom"])
    assert np.array_equal(ch[pos], ch[neg])


@pytest.mark.parametrize("stat", ["mean", "sum", "max"])
def test_bigwig_targets_brute_force(gen, stat, tmp_path):
    bwp = tmp_path / "sig.bw"
    per_base = write_bigwig(bwp, gen["sizes"], seed=5)
    s = build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "bw.h5", length=L, bigwigs=[str(bwp)],
                         bigwig_stat=stat, seed=0, progress=False)
    r = _read(tmp_path / "bw.h5")
    assert r["cont"].shape == (s.n, 1) and s.targets == ["sig"]
    f = {"mean": np.mean, "sum": np.sum, "max": np.max}[stat]
    want = np.array([f(per_base[c][a:b]) for c, a, b in zip(r["chrom"], r["start"], r["end"])])
    np.testing.assert_allclose(r["cont"][:, 0], want, rtol=1e-5, atol=1e-4)
    assert r["y"] is not None  # GC negatives: class labels too


def test_bigwig_without_a_chromosome(gen, tmp_path):
    bwp = tmp_path / "part.bw"
    write_bigwig(bwp, {"chr1": gen["sizes"]["chr1"], "chr2": gen["sizes"]["chr2"]})
    with pytest.raises(InputError) as e:
        build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "o.h5", length=L, bigwigs=[str(bwp)], progress=False)
    assert "part.bw" in _one_line(e) and "'chr3'" in str(e.value)
    assert not os.path.exists(tmp_path / "o.h5")


def test_bgzip_genome_gives_the_same_file(gen, tmp_path):
    import pysam

    bgz = str(tmp_path / "g.fa.gz")
    pysam.tabix_compress(gen["fa"], bgz)
    build_from_peaks(gen["peaks_a"], bgz, tmp_path / "z.h5", length=L, seed=0, progress=False)
    build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "p.h5", length=L, seed=0, progress=False)
    assert os.path.exists(bgz + ".fai") and os.path.exists(bgz + ".gzi")
    assert np.array_equal(_read(tmp_path / "z.h5")["x"], _read(tmp_path / "p.h5")["x"])


def test_interval_index_brute_force():
    rng = np.random.default_rng(0)
    from kgenint.data.intervals import Intervals

    iv = []
    for _ in range(60):
        a = int(rng.integers(0, 5000))
        iv.append(("c", a, a + int(rng.integers(1, 200))))
    iv.sort(key=lambda t: t[1])
    obj = Intervals(chrom=[c for c, _, _ in iv], start=np.array([a for _, a, _ in iv]),
                    end=np.array([b for _, _, b in iv]), summit=np.full(len(iv), -1), strand=["."] * len(iv),
                    line=np.arange(len(iv)))
    idx = IntervalIndex.from_intervals(obj)
    q = rng.integers(0, 5300, 500)
    w = rng.integers(1, 100, 500)
    got = idx.overlaps("c", q, q + w)
    want = [overlaps_any("c", int(a), int(a + b), iv) for a, b in zip(q, w)]
    assert got.tolist() == want
    assert not idx.overlaps("other", [0], [10])[0]


# ---------------------------------------------------------------------------- FASTA inputs
def _write_fa(path, recs):
    with open(path, "w") as fh:
        for i, s in recs:
            fh.write(f">{i}\n{s}\n")


def test_fasta_positives_and_negatives(tmp_path):
    rng = np.random.default_rng(0)
    pos = [(f"p{i}", "".join(rng.choice(list("ACGT"), 50))) for i in range(30)]
    neg = [(f"n{i}", "".join(rng.choice(list("ACGT"), 60))) for i in range(20)]
    _write_fa(tmp_path / "p.fa", pos)
    _write_fa(tmp_path / "n.fa", neg)
    s = build_from_fasta(tmp_path / "p.fa", tmp_path / "o.h5", negatives=tmp_path / "n.fa", length=50,
                         progress=False)
    with h5py.File(tmp_path / "o.h5") as f:
        x, y, ids = f["x"][()], f["y/class"][()], f["sequence_ids"].asstr()[()].tolist()
        assert "intervals" not in f
    assert s.n == 50 and s.n_positive == 30 and y[:, 0].tolist() == [1] * 30 + [0] * 20
    assert ids == [i for i, _ in pos + neg]
    assert decode(x[0]) == pos[0][1] and decode(x[30]) == neg[0][1][5:55]  # cut to the centre


def test_fasta_with_labels_multi_column(tmp_path):
    rng = np.random.default_rng(1)
    recs = [(f"s{i}", "".join(rng.choice(list("ACGTN"), 40))) for i in range(25)]
    _write_fa(tmp_path / "a.fa", recs)
    lab = {i: (int(rng.integers(0, 2)), float(rng.normal())) for i, _ in recs}
    with open(tmp_path / "l.tsv", "w") as fh:
        fh.write("id\tbound\tactivity\n")
        for i in reversed(list(lab)):  # any order
            fh.write(f"{i}\t{lab[i][0]}\t{lab[i][1]}\n")
        fh.write("extra\t1\t0.5\n")  # an id without sequence: ignored with a warning
    s = build_from_fasta(tmp_path / "a.fa", tmp_path / "o.h5", labels=tmp_path / "l.tsv", progress=False)
    assert s.tasks == ["bound"] and s.targets == ["activity"]
    with h5py.File(tmp_path / "o.h5") as f:
        assert f["y/class"][:, 0].tolist() == [lab[i][0] for i, _ in recs]
        np.testing.assert_allclose(f["y/continuous"][:, 0], [lab[i][1] for i, _ in recs], rtol=1e-6)
        assert decode(f["x"][3]) == recs[3][1]


def test_fasta_alone_gets_shuffled_negatives(tmp_path):
    rng = np.random.default_rng(2)
    _write_fa(tmp_path / "a.fa", [(f"s{i}", "".join(rng.choice(list("ACGT"), 30))) for i in range(10)])
    s = build_from_fasta(tmp_path / "a.fa", tmp_path / "o.h5", seed=0, progress=False)
    assert s.n == 20 and s.n_negative == 10


def test_fasta_letters_follow_the_one_policy(tmp_path):
    """IUPAC codes are read as N; U and gaps are errors with the policy's hint, naming file and line."""
    from kgenint.errors import FormatError

    _write_fa(tmp_path / "a.fa", [("s0", "ACGTRYACGT"), ("s1", "ACGTNNACGT")])
    build_from_fasta(tmp_path / "a.fa", tmp_path / "o.h5", seed=0, progress=False)
    with h5py.File(tmp_path / "o.h5", "r") as f:
        assert decode(f["x"][0]) == "ACGTNNACGT"
    for bad, hint in (("ACGUACGTAC", "RNA"), ("ACG-ACGTAC", "gap")):
        _write_fa(tmp_path / "b.fa", [("s0", "ACGTACGTAC"), ("s1", bad)])
        with pytest.raises(FormatError, match=rf"b\.fa.*line 4.*record 's1'.*{hint}") as e:
            build_from_fasta(tmp_path / "b.fa", tmp_path / "o2.h5", seed=0, progress=False)
        assert "\n" not in str(e.value)


# ---------------------------------------------------------------------------- bad input
def _one_line(err) -> str:
    msg = str(err.value)
    assert "\n" not in msg
    return msg


def _bed(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize("text, line, words", [
    ("chr1\t100\t300\nchr1\t50\t90\n", 2, "not sorted"),
    ("chr1\t100\t300\nchr2\t10\t90\nchr1\t500\t600\n", 3, "not sorted"),
    ("chr1\t100\n", 1, "at least 3"),
    ("chr1 100 300\n", 1, "tabs"),
    ("chr1\t100\tabc\n", 1, "integers"),
    ("chr1\t300\t100\n", 1, "start < end"),
    ("chr1\t100\t300\tp\t0\t.\t1\t1\t1\t500\n", 1, "summit"),
    ("chr1\t100\t300\tp\t0\t*\n", 1, "strand"),
    ("# nothing\n", None, "no intervals"),
])
def test_bad_bed(gen, tmp_path, text, line, words):
    p = _bed(tmp_path, "bad.bed", text)
    with pytest.raises(InputError) as e:
        build_from_peaks(p, gen["fa"], tmp_path / "o.h5", length=L, progress=False)
    msg = _one_line(e)
    assert p in msg and words in msg
    if line is not None:
        assert f"line {line}" in msg


def test_interval_off_chromosome_end_and_missing_chromosome(gen, tmp_path):
    end = gen["sizes"]["chr2"]
    p = _bed(tmp_path, "off.bed", f"chr1\t100\t300\nchr2\t{end - 50}\t{end + 10}\n")
    with pytest.raises(InputError) as e:
        build_from_peaks(p, gen["fa"], tmp_path / "o.h5", length=L, progress=False)
    msg = _one_line(e)
    assert p in msg and "line 2" in msg and "past the end" in msg
    p = _bed(tmp_path, "miss.bed", "chr1\t100\t300\n1\t100\t300\n")
    with pytest.raises(InputError) as e:
        build_from_peaks(p, gen["fa"], tmp_path / "o.h5", length=L, progress=False)
    msg = _one_line(e)
    assert p in msg and "line 2" in msg and "'1'" in msg and "chr1" in msg
    p = _bed(tmp_path, "bl.bed", "chrX\t1\t10\n")
    with pytest.raises(InputError, match="bl.bed, line 1"):
        build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "o.h5", length=L, blacklist=p, progress=False)


def test_genome_without_index(gen, tmp_path):
    fa = tmp_path / "g.fa"
    shutil.copy(gen["fa"], fa)
    with pytest.raises(InputError) as e:
        build_from_peaks(gen["peaks_a"], fa, tmp_path / "o.h5", length=L, build_index=False, progress=False)
    msg = _one_line(e)
    assert str(fa) in msg and "samtools faidx" in msg
    # gzip (not bgzip) cannot be indexed: say how to recompress
    import gzip

    gz = tmp_path / "g2.fa.gz"
    with open(gen["fa"], "rb") as a, gzip.open(gz, "wb") as b:
        b.write(a.read())
    with pytest.raises(InputError, match="bgzip"):
        build_from_peaks(gen["peaks_a"], gz, tmp_path / "o.h5", length=L, progress=False)
    # default: the index is built beside the FASTA
    build_from_peaks(gen["peaks_a"], fa, tmp_path / "o.h5", length=L, negatives="none", progress=False)
    assert os.path.exists(str(fa) + ".fai")


def test_bad_labels_and_fasta(tmp_path):
    _write_fa(tmp_path / "a.fa", [("s1", "ACGT"), ("s2", "ACGA")])
    (tmp_path / "empty.tsv").write_text("")
    with pytest.raises(InputError) as e:
        build_from_fasta(tmp_path / "a.fa", tmp_path / "o.h5", labels=tmp_path / "empty.tsv", progress=False)
    assert "empty.tsv" in _one_line(e) and "empty" in str(e.value)
    (tmp_path / "hdr.tsv").write_text("id\tbound\n")
    with pytest.raises(InputError, match="empty"):
        build_from_fasta(tmp_path / "a.fa", tmp_path / "o.h5", labels=tmp_path / "hdr.tsv", progress=False)
    (tmp_path / "dup.tsv").write_text("id\tbound\ns1\t1\ns2\t0\ns1\t0\n")
    with pytest.raises(InputError) as e:
        build_from_fasta(tmp_path / "a.fa", tmp_path / "o.h5", labels=tmp_path / "dup.tsv", progress=False)
    msg = _one_line(e)
    assert "dup.tsv, line 4" in msg and "'s1'" in msg and "line 2" in msg
    (tmp_path / "nan.tsv").write_text("id\tbound\ns1\tyes\n")
    with pytest.raises(InputError, match="nan.tsv, line 2"):
        build_from_fasta(tmp_path / "a.fa", tmp_path / "o.h5", labels=tmp_path / "nan.tsv", progress=False)
    (tmp_path / "miss.tsv").write_text("id\tbound\ns1\t1\n")
    with pytest.raises(InputError, match=r"a.fa, line 3: sequence 's2' has no row"):
        build_from_fasta(tmp_path / "a.fa", tmp_path / "o.h5", labels=tmp_path / "miss.tsv", progress=False)
    _write_fa(tmp_path / "d.fa", [("s1", "ACGT"), ("s1", "ACGA")])
    with pytest.raises(InputError, match=r"d.fa, line 3: sequence id 's1' appears twice"):
        build_from_fasta(tmp_path / "d.fa", tmp_path / "o.h5", progress=False)
    _write_fa(tmp_path / "u.fa", [("s1", "ACGT"), ("s2", "ACGAA")])
    with pytest.raises(InputError, match=r"u.fa, line 3: record 's2' has 5 bp"):
        build_from_fasta(tmp_path / "u.fa", tmp_path / "o.h5", progress=False)
    _write_fa(tmp_path / "x.fa", [("s1", "ACGT"), ("s2", "AC1T")])
    with pytest.raises(InputError, match=r"x.fa, line 4: record 's2' holds '1'"):
        build_from_fasta(tmp_path / "x.fa", tmp_path / "o.h5", progress=False)
    with pytest.raises(InputError, match="not both"):
        build_from_fasta(tmp_path / "a.fa", tmp_path / "o.h5", labels=tmp_path / "dup.tsv",
                         negatives=tmp_path / "a.fa", progress=False)


def test_bad_arguments(gen, tmp_path):
    with pytest.raises(InputError, match="length"):
        build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "o.h5", length=0)
    with pytest.raises(InputError, match="negatives"):
        build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "o.h5", length=L, negatives="random")
    with pytest.raises(InputError, match="chr9"):
        build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "o.h5", length=L, test_chroms="chr9")
    with pytest.raises(InputError, match="both"):
        build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "o.h5", length=L, test_chroms="chr1",
                         valid_chroms="chr1")
    with pytest.raises(InputError, match="train split is empty"):
        build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "o.h5", length=L, test_chroms="chr1,chr3",
                         valid_chroms="chr2", progress=False)
    with pytest.raises(InputError, match="shuffled negatives have no signal"):
        build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "o.h5", length=L, negatives="shuffle",
                         bigwigs=[gen["fa"]])
    with pytest.raises(InputError, match="not a bigWig"):
        build_from_peaks(gen["peaks_a"], gen["fa"], tmp_path / "o.h5", length=L, bigwigs=[gen["fa"]],
                         progress=False)
    with pytest.raises(InputError, match="no such file"):
        read_bed(tmp_path / "nope.bed")


def test_nothing_already_written_is_lost(gen, tmp_path):
    out = tmp_path / "keep.h5"
    out.write_bytes(b"precious")
    with pytest.raises(InputError, match="exists"):
        build_from_peaks(gen["peaks_a"], gen["fa"], out, length=L)
    bad = _bed(tmp_path, "bad.bed", "chr1\t100\t300\nchr1\t50\t90\n")
    with pytest.raises(InputError):
        build_from_peaks(bad, gen["fa"], out, length=L, overwrite=True)
    with pytest.raises(InputError):  # fails after the output was opened: the temporary file is removed
        build_from_peaks(gen["peaks_a"], gen["fa"], out, length=L, test_chroms="chr1,chr3", valid_chroms="chr2",
                         overwrite=True, progress=False)
    assert out.read_bytes() == b"precious"
    assert sorted(os.listdir(tmp_path)) == ["bad.bed", "keep.h5"]


def test_kgenint_data_never_imports_tensorflow():
    import subprocess
    import sys

    code = ("import sys, kgenint.data.build, kgenint.data.coords, kgenint.data.negatives, kgenint.data.bigwig; "
            "print('tensorflow' in sys.modules or 'keras' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "False"


def test_gc_quotas_hand_computed():
    from kgenint.data.negatives import gc_quotas

    # 4 bins; positives' GC 0.1, 0.3, 0.3, 0.9 -> shares 1/4, 2/4, 0, 1/4 of 6 = 1.5, 3, 0, 1.5
    q = gc_quotas(np.array([0.1, 0.3, 0.3, 0.9, np.nan]), 6, 4)
    assert q.sum() == 6 and q[1] == 3 and q[2] == 0 and sorted(q[[0, 3]].tolist()) == [1, 2]
    assert gc_quotas(np.array([1.0]), 3, 10).tolist() == [0] * 9 + [3]  # GC 1.0 falls in the last bin
    with pytest.raises(InputError, match="non-N"):
        gc_quotas(np.array([np.nan]), 3, 10)


def test_unfillable_gc_bins_warn_and_return_fewer(gen, caplog):
    from kgenint.data.genome import Genome
    from kgenint.data.negatives import sample_gc_matched

    with Genome(gen["fa"]) as g, caplog.at_level("WARNING", logger="kgenint"):
        res = sample_gc_matched(g, np.full(10, 0.97), 10, L, IntervalIndex(), max_draws=3000, seed=0)
    assert len(res.chrom) == 0 and res.n_drawn == 3000
    assert "found 0 of 10" in caplog.text and "0.95-1.00: 10" in caplog.text
    with Genome(gen["fa"]) as g:
        res = sample_gc_matched(g, np.full(30, 0.45), 30, L, IntervalIndex(), seed=0)
    assert len(res.chrom) == 30 and np.all((res.gc >= 0.45) & (res.gc < 0.5))
    for c, s, v in zip(res.chrom, res.start, res.gc):  # reported GC = brute-force GC of the window
        assert v == pytest.approx(gc_of(gen["seqs"][c][s : s + L]))
