"""Write the training HDF5 that ``kgenint train`` and every stage read, streaming.

Layout (``format = "kgenint.data"``, ``format_version = 1``):

* ``/x`` -- uint8 ``(N, L, 4)`` one-hot ACGT (N bases all zero), written in chunks;
* ``/y/class`` -- uint8 ``(N, T)``, one column per peaks file (attribute ``tasks``), and/or
  ``/y/continuous`` -- float32 ``(N, B)``, one column per bigWig or numeric label column;
* ``/split/train``, ``/split/valid``, ``/split/test`` -- int64 row indices;
* ``/sequence_ids`` -- one string per row (``chrom:start-end(strand)`` for genome windows);
* ``/intervals/chrom``, ``/intervals/start``, ``/intervals/end`` (0-based, half-open),
  ``/intervals/strand`` (``+``/``-``: the strand the row's sequence reads) and
  ``/intervals/origin`` (0 peak window, 1 genomic negative, 2 dinucleotide shuffle of the peak
  window at the same coordinates) -- only where rows come from a genome.

Rows from a genome: positives first (genome order), then negatives. The file is written under a
temporary name beside ``out`` and renamed at the end, so an existing file is never half replaced.
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any, Sequence

import numpy as np

from ..errors import InputError
from ._common import (FORMAT, FORMAT_VERSION, ORIGINS, DataSummary, _atomic_h5, _check_fraction, _check_length,
                      _log_split, _parse_chroms, _write_common, _write_intervals, _XWriter, chrom_split, random_split)
from .build_fasta import build_from_fasta, read_labels_tsv, write_windows_fasta
from .genome import Genome, encode_windows
from .intervals import IntervalIndex, read_bed

__all__ = ["DataSummary", "build_from_peaks", "build_from_fasta", "read_labels_tsv", "write_windows_fasta", "chrom_split", "random_split",
           "FORMAT", "FORMAT_VERSION", "ORIGINS"]

log = logging.getLogger("kgenint")


# ---------------------------------------------------------------------------- peaks + genome
def build_from_peaks(
    peaks: str | os.PathLike | Sequence[str | os.PathLike],
    genome: str | os.PathLike,
    out: str | os.PathLike,
    *,
    length: int,
    blacklist: str | os.PathLike | None = None,
    bigwigs: Sequence[str | os.PathLike] = (),
    bigwig_stat: str = "mean",
    negatives: str = "gc",
    negative_ratio: float = 1.0,
    max_n_fraction: float = 0.1,
    test_chroms: str | Sequence[str] | None = None,
    valid_chroms: str | Sequence[str] | None = None,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    stranded: bool = False,
    task_names: Sequence[str] | None = None,
    build_index: bool = True,
    chunk_size: int = 4096,
    seed: Any = 0,
    overwrite: bool = False,
    progress: bool = True,
) -> DataSummary:
    """Training HDF5 from peaks (one BED/narrowPeak file per task) and an indexed genome FASTA.

    Each peak gives a window of ``length`` bp centred on its summit (narrowPeak column 10) or,
    without one, on the interval centre; identical windows from several files are one row. Row
    ``i`` has class label 1 for task ``t`` when a summit (centre) of a peak of task ``t`` lies
    inside its window. Windows that run off a chromosome, overlap the blacklist or hold more
    than ``max_n_fraction`` N are skipped and counted.

    Parameters
    ----------
    peaks : path or sequence of paths
        BED (>= 3 columns) or narrowPeak files, sorted (``sort -k1,1 -k2,2n``); one task each.
    genome : path
        Genome FASTA (plain or bgzip) with a ``.fai`` index (built beside it when missing and
        ``build_index``).
    out : path
        Output HDF5 (layout in the module docstring).
    length : int
        Window length L in bp.
    blacklist : path, optional
        BED of regions no window (positive or negative) may overlap.
    bigwigs : sequence of paths
        bigWig files; each adds a column of ``/y/continuous`` (``bigwig_stat`` over the window).
    bigwig_stat : {"mean", "sum", "max"}
        Statistic of the signal over each window; bases without signal count as 0.
    negatives : {"gc", "shuffle", "none"}
        ``"gc"``: genomic windows with the positives' GC distribution, overlapping no peak of any
        task and no blacklisted region, drawn from the chromosomes that have peaks;
        ``"shuffle"``: one dinucleotide shuffle of each positive window per ``negative_ratio``;
        ``"none"``: positives only (e.g. multi-task or bigWig targets).
    negative_ratio : float
        Negatives per positive (``"shuffle"`` rounds it to a whole number >= 1).
    max_n_fraction : float
        Windows with more than this fraction of N bases are skipped (0.1 by default).
    test_chroms, valid_chroms : str (comma-separated) or sequence of str, optional
        Held-out chromosomes. Without them the split is seeded random (``valid_fraction``,
        ``test_fraction``); with only ``test_chroms`` a random ``valid_fraction`` of the rest
        is the validation split.
    valid_fraction, test_fraction : float
    stranded : bool
        Read windows of ``-`` strand peaks (BED column 6) as their reverse complement.
    task_names : sequence of str, optional
        Names of the tasks (default: the peaks files' names without extension).
    build_index : bool
        Build a missing FASTA index.
    chunk_size : int
        Windows per HDF5 write (memory is O(chunk_size * L)).
    seed : int or numpy.random.Generator
        Seeds negative sampling, shuffles and random splits.
    overwrite : bool
        Replace an existing ``out``.
    progress : bool
        Log counts on stderr.

    Returns
    -------
    DataSummary

    Raises
    ------
    InputError
        Malformed or unsorted BED, intervals off a chromosome end, chromosome names missing from
        the FASTA or a bigWig, a FASTA that cannot be indexed, no window left, bad arguments.
        Each message names the file (and the line).
    """

    from .bigwig import STATS, BigWig

    L = _check_length(length)
    paths = [os.fspath(peaks)] if isinstance(peaks, (str, os.PathLike)) else [os.fspath(p) for p in peaks]
    if not paths:
        raise InputError("give at least one peaks file (--peaks).")
    if negatives not in ("gc", "shuffle", "none"):
        raise InputError(f"negatives must be 'gc', 'shuffle' or 'none' for peaks. Received: negatives={negatives!r}")
    if bigwig_stat not in STATS:
        raise InputError(f"bigwig_stat must be one of {', '.join(STATS)}. Received: {bigwig_stat!r}")
    if bigwigs and negatives == "shuffle":
        raise InputError("bigWig targets need genome windows: shuffled negatives have no signal. "
                         "Use negatives 'gc' or 'none' with --bigwig.")
    ratio = float(negative_ratio)
    if not np.isfinite(ratio) or ratio <= 0:
        raise InputError(f"negative_ratio must be > 0. Received: {negative_ratio!r}")
    nfrac = _check_fraction(max_n_fraction, "max_n_fraction")
    vfrac = _check_fraction(valid_fraction, "valid_fraction")
    tfrac = _check_fraction(test_fraction, "test_fraction")
    if vfrac + tfrac >= 1:
        raise InputError(f"valid_fraction + test_fraction must be < 1. Received: {vfrac} + {tfrac}")
    if isinstance(chunk_size, bool) or int(chunk_size) < 1:
        raise InputError(f"chunk_size must be >= 1. Received: {chunk_size!r}")
    chunk = int(chunk_size)
    tchr, vchr = _parse_chroms(test_chroms), _parse_chroms(valid_chroms)
    names = list(task_names) if task_names is not None else [
        os.path.basename(p).split(".")[0] or f"task{i}" for i, p in enumerate(paths)]
    if len(names) != len(paths):
        raise InputError(f"task_names has {len(names)} names for {len(paths)} peaks files.")
    if len(set(names)) != len(names):
        names = [f"{n}_{i}" for i, n in enumerate(names)]
    rng = np.random.default_rng(seed)

    g = Genome(genome, build_index=build_index)
    try:
        sets = [read_bed(p, what="--peaks") for p in paths]
        for iv in sets:
            iv.check_chroms(g.sizes, g.path)
        black = None
        if blacklist is not None:
            black = read_bed(blacklist, what="--blacklist")
            black.check_chroms(g.sizes, g.path)
        for c in tchr + vchr:
            if c not in g.sizes:
                raise InputError(f"held-out chromosome {c!r} is not in {g.path} (it has "
                                 f"{', '.join(list(g.sizes)[:5])}{' ...' if len(g.sizes) > 5 else ''}).")
        bws = [BigWig(p, bigwig_stat) for p in bigwigs]
        for bw in bws:  # every window (negatives included) lies on a chromosome with peaks
            bw.check_chroms([c for iv in sets for c in dict.fromkeys(iv.chrom)])
        order = {c: i for i, c in enumerate(g.sizes)}
        skipped = {"too_many_n": 0, "chrom_edge": 0, "blacklist": 0}

        # ---- positive windows (coordinates only), deduplicated across tasks, genome order
        wc, ws, wst = [], [], []
        for iv in sets:
            cen = iv.centres()
            st = cen - L // 2
            for i, c in enumerate(iv.chrom):
                s = int(st[i])
                if s < 0 or s + L > g.sizes[c]:
                    skipped["chrom_edge"] += 1
                    continue
                wc.append(c)
                ws.append(s)
                wst.append("-" if (stranded and iv.strand[i] == "-") else "+")
        keyed = sorted(set(zip((order[c] for c in wc), ws, wst)))
        pchrom = [list(g.sizes)[k] for k, _, _ in keyed]
        pstart = np.array([s for _, s, _ in keyed], dtype=np.int64)
        pstrand = [t for _, _, t in keyed]
        if black is not None and keyed:
            bidx = IntervalIndex.from_intervals(black)
            ch = np.asarray(pchrom, dtype=object)
            bad = np.zeros(len(pchrom), bool)
            for c in dict.fromkeys(pchrom):
                m = ch == c
                bad[m] = bidx.overlaps(c, pstart[m], pstart[m] + L)
            skipped["blacklist"] = int(bad.sum())
            keep = np.flatnonzero(~bad)
            pchrom = [pchrom[i] for i in keep]
            pstart, pstrand = pstart[keep], [pstrand[i] for i in keep]
        # labels: a summit/centre of task t inside the window
        centres = []
        for iv in sets:
            cen = iv.centres()
            ch = np.asarray(iv.chrom, dtype=object)
            centres.append({c: np.sort(cen[ch == c]) for c in dict.fromkeys(iv.chrom)})

        def labels_for(chroms: list[str], starts: np.ndarray) -> np.ndarray:
            y = np.zeros((len(chroms), len(sets)), dtype=np.uint8)
            ch = np.asarray(chroms, dtype=object)
            for c in dict.fromkeys(chroms):
                m = np.flatnonzero(ch == c)
                for t, cd in enumerate(centres):
                    if c in cd:
                        a = np.searchsorted(cd[c], starts[m], side="left")
                        b = np.searchsorted(cd[c], starts[m] + L, side="left")
                        y[m, t] = b > a
            return y

        with _atomic_h5(os.fspath(out), overwrite) as f:
            xw = _XWriter(f, L)
            rows_chrom: list[str] = []
            rows_start: list[int] = []
            rows_strand: list[str] = []
            rows_origin: list[int] = []
            pos_gc: list[float] = []
            max_n = int(np.floor(nfrac * L))

            def flush(buf: list[bytes], meta: list[tuple[str, int, str, int]]) -> None:
                if not buf:
                    return
                x, nn = encode_windows(buf)
                keep = (nn <= max_n) & (nn < L)
                skipped["too_many_n"] += int((~keep).sum())
                x = x[keep]
                for j in np.flatnonzero(keep):
                    c, s, t, o = meta[j]
                    rows_chrom.append(c)
                    rows_start.append(s)
                    rows_strand.append(t)
                    rows_origin.append(o)
                    if o == 0:
                        w = buf[j]
                        pos_gc.append((w.count(b"G") + w.count(b"C")) / (L - int(nn[j])))
                rc = np.array([meta[j][2] == "-" for j in np.flatnonzero(keep)], dtype=bool)
                if rc.any():
                    x[rc] = x[rc][:, ::-1, ::-1]
                xw.append(x)
                buf.clear()
                meta.clear()

            buf: list[bytes] = []
            meta: list[tuple[str, int, str, int]] = []
            for c, s, t in zip(pchrom, pstart, pstrand):
                buf.append(g.fetch(c, int(s), int(s) + L))
                meta.append((c, int(s), t, 0))
                if len(buf) >= chunk:
                    flush(buf, meta)
            flush(buf, meta)
            n_pos = xw.n
            if n_pos == 0:
                raise InputError(f"no peak window is left to write (skipped: {skipped}); check --length, "
                                 f"--max-n and the blacklist.")
            if progress:
                log.info("%d positive windows of %d bp from %d peaks file(s); skipped: %d too many N, "
                         "%d at a chromosome end, %d on the blacklist", n_pos, L, len(paths),
                         skipped["too_many_n"], skipped["chrom_edge"], skipped["blacklist"])

            # ---- negatives
            n_neg = 0
            if negatives == "gc":
                excl = IntervalIndex.from_intervals(*sets, black)
                peak_chroms = sorted({c for iv in sets for c in iv.chrom}, key=order.__getitem__)
                want = int(round(ratio * n_pos))
                neg = _sample_negatives(g, np.asarray(pos_gc), want, L, excl, peak_chroms, nfrac, rng)
                for c, s in zip(neg.chrom, neg.start):
                    buf.append(g.fetch(c, int(s), int(s) + L))
                    meta.append((c, int(s), "+", 1))
                    if len(buf) >= chunk:
                        flush(buf, meta)
                flush(buf, meta)
                n_neg = xw.n - n_pos
            elif negatives == "shuffle":
                from ..sequence.shuffle import dinucleotide_shuffle

                k = max(1, int(round(ratio)))
                for a in range(0, n_pos, chunk):
                    b = min(n_pos, a + chunk)
                    xs = xw.ds[a:b].astype(np.float32)
                    sh = dinucleotide_shuffle(xs, k, seed=rng).transpose(1, 0, 2, 3)  # (k, m, L, 4)
                    for r in range(k):
                        xw.append(sh[r].astype(np.uint8))
                        rows_chrom.extend(rows_chrom[a:b])
                        rows_start.extend(rows_start[a:b])
                        rows_strand.extend(rows_strand[a:b])
                        rows_origin.extend([2] * (b - a))
                n_neg = xw.n - n_pos
            n = xw.n
            starts = np.asarray(rows_start, dtype=np.int64)
            origin = np.asarray(rows_origin, dtype=np.uint8)
            y = labels_for(rows_chrom, starts)
            y[origin == 2] = 0
            if progress and negatives != "none":
                log.info("%d %s negative windows", n_neg, "GC-matched genomic" if negatives == "gc" else "shuffled")

            # ---- targets, split, intervals
            gy = f.create_group("y")
            if negatives != "none" or len(sets) > 1 or not bws:
                d = gy.create_dataset("class", data=y)
                d.attrs["tasks"] = json.dumps(names)
            tnames: list[str] = []
            if bws:
                cont = np.zeros((n, len(bws)), dtype=np.float32)
                for j, bw in enumerate(bws):
                    bw.check_chroms(rows_chrom)
                    for a in range(0, n, chunk):
                        b = min(n, a + chunk)
                        cont[a:b, j] = bw.windows(rows_chrom[a:b], starts[a:b], starts[a:b] + L)
                    tnames.append(os.path.basename(bw.path).split(".")[0] or f"signal{j}")
                d = gy.create_dataset("continuous", data=cont)
                d.attrs["targets"] = json.dumps(tnames)
                d.attrs["stat"] = bigwig_stat
            if tchr or vchr:
                split = chrom_split(rows_chrom, test_chroms=tchr, valid_chroms=vchr, valid_fraction=vfrac, seed=rng)
            else:
                split = random_split(n, valid_fraction=vfrac, test_fraction=tfrac, seed=rng)
            for part in ("train", "valid"):
                if split[part].size == 0:
                    raise InputError(f"the {part} split is empty: hold out fewer chromosomes or give more peaks "
                                     f"({n} windows on {', '.join(dict.fromkeys(rows_chrom))}).")
            ids = [f"{c}:{s}-{s + L}({t})" if o != 2 else f"shuffle:{c}:{s}-{s + L}({t})"
                   for c, s, t, o in zip(rows_chrom, rows_start, rows_strand, rows_origin)]
            source = {"peaks": [os.path.abspath(p) for p in paths], "genome": os.path.abspath(g.path),
                      "blacklist": None if blacklist is None else os.path.abspath(os.fspath(blacklist)),
                      "bigwigs": [os.path.abspath(b.path) for b in bws], "negatives": negatives,
                      "negative_ratio": ratio, "max_n_fraction": nfrac, "test_chroms": tchr, "valid_chroms": vchr,
                      "stranded": bool(stranded), "seed": seed if isinstance(seed, int) else None,
                      "skipped": skipped}
            _write_common(f, length=L, split=split, ids=ids, source=source)
            _write_intervals(f, rows_chrom, starts, L, rows_strand, origin)
            if progress:
                _log_split(split, y)
        for bw in bws:
            bw.close()
    finally:
        g.close()
    return DataSummary(path=os.fspath(out), n=n, n_positive=int((y.max(axis=1) > 0).sum()), n_negative=n_neg,
                       length=L, tasks=names, targets=tnames,
                       split_sizes={k: int(v.size) for k, v in split.items()}, skipped=skipped)


def _sample_negatives(g: Genome, gc: np.ndarray, want: int, L: int, excl: IntervalIndex,
                             chroms: list[str], nfrac: float, rng: np.random.Generator):
    from .negatives import sample_gc_matched

    return sample_gc_matched(g, gc, want, L, excl, chroms=chroms, max_n_fraction=nfrac, seed=rng)

