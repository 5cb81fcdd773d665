"""A small synthetic genome with planted sites, peak/blacklist/bigWig files written with the
usual libraries (pysam for the index, pyBigWig), and brute-force references for kgenint.data."""
from __future__ import annotations

import os

import numpy as np

SITE = "TTGCGCAAAGATAAGG"  # a planted site (C/EBP-like + GATA-like halves), placed at peak summits


def make_genome(d, *, seed: int = 0, sizes=None) -> dict:
    """Write ``g.fa`` (3 chromosomes, GC varying in 5-kb blocks, a 10-kb N gap on chr2) and peaks.

    Returns paths and the sequences (dict chrom -> str) for brute-force checks.
    """
    rng = np.random.default_rng(seed)
    sizes = sizes or {"chr1": 240_000, "chr2": 160_000, "chr3": 120_000}
    seqs = {}
    for c, n in sizes.items():
        gc = np.repeat(rng.uniform(0.3, 0.62, n // 5000 + 1), 5000)[:n]
        isgc = rng.random(n) < gc
        u = rng.random(n) < 0.5
        s = np.where(isgc, np.where(u, ord("G"), ord("C")), np.where(u, ord("A"), ord("T"))).astype(np.uint8)
        seqs[c] = s
    seqs["chr2"][50_000:60_000] = ord("N")
    seqs["chr1"][1000:1040] = ord("n")  # soft-masked lower-case N run
    # peaks: task A narrowPeak (summits), task B BED (centres); summits get the planted site,
    # and sit preferentially in GC-rich blocks so positives' GC differs from the genome's
    peaks_a, peaks_b = [], []
    for c, n in sizes.items():
        cand = np.arange(2000, n - 2000, 700)
        block_gc = np.array([np.isin(seqs[c][p - 100 : p + 100], (ord("G"), ord("C"))).mean() for p in cand])
        w = np.exp(8 * block_gc)
        pick = np.sort(rng.choice(cand, size=len(cand) // 8, replace=False, p=w / w.sum()))
        for p in pick:
            summit = int(p + rng.integers(-50, 50))
            a = summit - int(rng.integers(50, 250))
            b = summit + int(rng.integers(50, 250))
            site = np.frombuffer(SITE.encode(), dtype=np.uint8)
            if seqs[c][summit] != ord("N"):
                seqs[c][summit - len(SITE) // 2 : summit - len(SITE) // 2 + len(SITE)] = site
            peaks_a.append((c, a, b, summit - a))
            if rng.random() < 0.5:  # task B shares half of A's peaks, shifted
                peaks_b.append((c, a + 30, b + 30))
        for p in rng.choice(np.arange(3000, n - 3000, 997), size=5, replace=False):
            peaks_b.append((c, int(p), int(p) + 300))
    # a peak inside the N gap and one whose centred window hangs off chr3's end
    peaks_a.append(("chr2", 54_000, 54_400, 200))
    peaks_a.append(("chr2", 59_900, 60_300, 150))  # window 25 % N: skipped at the default 10 %
    peaks_a.append(("chr2", 49_800, 50_000, 110))  # window 5 % N: kept at 10 %
    peaks_a.append(("chr3", sizes["chr3"] - 150, sizes["chr3"] - 10, 100))
    peaks_a.sort(key=lambda r: (list(sizes).index(r[0]), r[1]))
    peaks_b.sort(key=lambda r: (list(sizes).index(r[0]), r[1]))
    fa = os.path.join(d, "g.fa")
    with open(fa, "w") as fh:
        for c, s in seqs.items():
            fh.write(f">{c} synthetic\n")
            b = s.tobytes().decode()
            for i in range(0, len(b), 60):
                fh.write(b[i : i + 60] + "\n")
    pa = os.path.join(d, "taskA.narrowPeak")
    with open(pa, "w") as fh:
        fh.write("track name=taskA\n")
        for i, (c, a, b, off) in enumerate(peaks_a):
            fh.write(f"{c}\t{a}\t{b}\tpeak{i}\t100\t.\t5.0\t4.0\t3.0\t{off}\n")
    pb = os.path.join(d, "taskB.bed")
    with open(pb, "w") as fh:
        for c, a, b in peaks_b:
            fh.write(f"{c}\t{a}\t{b}\n")
    black = [("chr1", 100_000, 110_000), ("chr3", 30_000, 36_000)]
    bl = os.path.join(d, "black.bed")
    with open(bl, "w") as fh:
        for c, a, b in black:
            fh.write(f"{c}\t{a}\t{b}\n")
    up = {c: s.tobytes().decode().upper() for c, s in seqs.items()}
    return {"fa": fa, "peaks_a": pa, "peaks_b": pb, "blacklist": bl, "seqs": up, "sizes": sizes,
            "a": peaks_a, "b": peaks_b, "black": black}


def write_bigwig(path, sizes: dict, seed: int = 0) -> dict:
    """A bigWig with piecewise-constant signal (gaps left uncovered); returns per-base arrays
    (uncovered = 0) for brute force."""
    import pyBigWig

    rng = np.random.default_rng(seed)
    bw = pyBigWig.open(os.fspath(path), "w")
    bw.addHeader(list(sizes.items()))
    per_base = {}
    for c, n in sizes.items():
        v = np.zeros(n)
        starts, ends, vals = [], [], []
        pos = 0
        while pos < n:
            w = int(rng.integers(5, 80))
            e = min(n, pos + w)
            if rng.random() < 0.8:
                val = float(np.round(rng.gamma(2.0, 1.5), 3))
                starts.append(pos)
                ends.append(e)
                vals.append(val)
                v[pos:e] = val
            pos = e
        bw.addEntries([c] * len(starts), starts, ends=ends, values=vals)
        per_base[c] = v
    bw.close()
    return per_base


def decode(x: np.ndarray) -> str:
    """One-hot (L, 4) -> string, all-zero rows as N."""
    s = np.array(list("ACGT"))[x.argmax(-1)]
    s[x.sum(-1) == 0] = "N"
    return "".join(s)


def revcomp(s: str) -> str:
    return s[::-1].translate(str.maketrans("ACGTN", "TGCAN"))


def overlaps_any(c: str, s: int, e: int, intervals) -> bool:
    """Brute force: does [s, e) on c overlap any (chrom, start, end, ...) interval?"""
    return any(ci == c and s < b and a < e for ci, a, b, *_ in intervals)


def gc_of(s: str) -> float:
    n = sum(ch in "ACGT" for ch in s)
    return (s.count("G") + s.count("C")) / n if n else float("nan")
