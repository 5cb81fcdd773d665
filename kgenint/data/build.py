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

import contextlib
import json
import logging
import os
import tempfile
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np

from .._version import __version__
from ..errors import FormatError, InputError
from .genome import Genome, encode_windows
from .intervals import IntervalIndex, read_bed

__all__ = ["DataSummary", "build_from_peaks", "build_from_fasta", "read_labels_tsv", "write_windows_fasta", "chrom_split", "random_split",
           "FORMAT", "FORMAT_VERSION", "ORIGINS"]

log = logging.getLogger("kgenint")

FORMAT = "kgenint.data"
FORMAT_VERSION = 1
ORIGINS = ("peak", "genomic", "shuffle")


class DataSummary(NamedTuple):
    """What :func:`build_from_peaks` / :func:`build_from_fasta` wrote."""

    path: str  #: the HDF5 file
    n: int  #: rows written
    n_positive: int  #: rows with at least one positive class label (or from the positive FASTA)
    n_negative: int  #: negative rows (genomic, shuffled or from the negative FASTA)
    length: int  #: window length L (bp)
    tasks: list[str]  #: class task names (columns of /y/class)
    targets: list[str]  #: continuous target names (columns of /y/continuous)
    split_sizes: dict[str, int]  #: rows in train/valid/test
    skipped: dict[str, int]  #: windows left out, by reason (``too_many_n``, ``chrom_edge``, ``blacklist``)


# ---------------------------------------------------------------------------- helpers
def _check_length(length: Any) -> int:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise InputError(f"length must be a positive number of bp. Received: length={length!r}")
    return int(length)


def _check_fraction(v: Any, name: str, hi: float = 1.0) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number. Received: {name}={v!r}") from None
    if not 0.0 <= f <= hi:
        raise InputError(f"{name} must be in [0, {hi}]. Received: {name}={v!r}")
    return f


@contextlib.contextmanager
def _atomic_h5(path: str, overwrite: bool) -> Iterator[Any]:
    import h5py

    path = os.fspath(path)
    if os.path.exists(path) and not overwrite:
        raise InputError(f"--out {path} exists; choose another name or pass --overwrite (overwrite=True).")
    d = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(d):
        raise InputError(f"Cannot write {path}: the directory {d} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp.h5", dir=d)
    os.close(fd)
    um = os.umask(0)
    os.umask(um)
    os.chmod(tmp, 0o666 & ~um)
    try:
        with h5py.File(tmp, "w") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class _XWriter:
    """Appends one-hot chunks to a resizable, chunked, gzip ``/x``."""

    def __init__(self, f: Any, length: int):
        rows = max(1, 2**20 // (length * 4))
        self.ds = f.create_dataset("x", shape=(0, length, 4), maxshape=(None, length, 4), dtype=np.uint8,
                                   chunks=(rows, length, 4), compression="gzip", compression_opts=1, shuffle=True)
        self.ds.attrs["alphabet"] = "ACGT"
        self.n = 0

    def append(self, x: np.ndarray) -> None:
        k = x.shape[0]
        if k == 0:
            return
        self.ds.resize(self.n + k, axis=0)
        self.ds[self.n : self.n + k] = x
        self.n += k


def random_split(n: int, *, valid_fraction: float = 0.1, test_fraction: float = 0.1,
                 seed: Any = 0) -> dict[str, np.ndarray]:
    """Seeded random split of ``n`` rows into train/valid/test (sorted int64 index arrays)."""
    perm = np.random.default_rng(seed).permutation(n)
    nv = int(round(valid_fraction * n))
    nt = int(round(test_fraction * n))
    if valid_fraction > 0 and n >= 3:
        nv = max(nv, 1)
    return {"valid": np.sort(perm[:nv]), "test": np.sort(perm[nv : nv + nt]), "train": np.sort(perm[nv + nt :])}


def chrom_split(chroms: Sequence[str], *, test_chroms: Sequence[str] = (), valid_chroms: Sequence[str] = (),
                valid_fraction: float = 0.1, seed: Any = 0) -> dict[str, np.ndarray]:
    """Split rows by held-out chromosomes.

    Rows on ``test_chroms`` form the test split and rows on ``valid_chroms`` the validation split;
    without ``valid_chroms`` a seeded random ``valid_fraction`` of the remaining rows is held out
    for validation. Everything else is training.

    Parameters
    ----------
    chroms : sequence of str, length N
        Chromosome of each row.
    test_chroms, valid_chroms : sequence of str
        Held-out chromosomes (disjoint).
    valid_fraction : float
    seed : int or numpy.random.Generator

    Returns
    -------
    dict of str to int64 ndarray
        ``train``, ``valid``, ``test`` row indices, sorted.
    """
    both = set(test_chroms) & set(valid_chroms)
    if both:
        raise InputError(f"chromosome(s) {', '.join(sorted(both))} are in both --test-chroms and --valid-chroms.")
    ch = np.asarray(list(chroms), dtype=object)
    test = np.isin(ch, list(test_chroms)) if len(test_chroms) else np.zeros(ch.size, bool)
    valid = np.isin(ch, list(valid_chroms)) if len(valid_chroms) else np.zeros(ch.size, bool)
    rest = np.flatnonzero(~test & ~valid)
    if not len(valid_chroms):
        r = random_split(rest.size, valid_fraction=valid_fraction, test_fraction=0.0, seed=seed)
        valid[rest[r["valid"]]] = True
    return {"train": np.flatnonzero(~test & ~valid), "valid": np.flatnonzero(valid), "test": np.flatnonzero(test)}


def _parse_chroms(v: Any) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [c.strip() for c in v.split(",") if c.strip()]
    return [str(c) for c in v]


def _write_common(f: Any, *, length: int, split: dict[str, np.ndarray], ids: list[str], source: dict) -> None:
    import h5py

    f.attrs["format"] = FORMAT
    f.attrs["format_version"] = FORMAT_VERSION
    f.attrs["kgenint_version"] = __version__
    f.attrs["length"] = int(length)
    f.attrs["n"] = len(ids)
    f.attrs["source"] = json.dumps(source)
    s = f.create_group("split")
    for k in ("train", "valid", "test"):
        s.create_dataset(k, data=np.asarray(split[k], dtype=np.int64))
    f.create_dataset("sequence_ids", data=np.asarray(ids, dtype=object), dtype=h5py.string_dtype("utf-8"))


def _log_split(split: dict[str, np.ndarray], y: np.ndarray | None) -> None:
    parts = []
    for k in ("train", "valid", "test"):
        idx = split[k]
        pos = f", {int((y[idx].max(axis=1) > 0).sum())} positive" if y is not None and idx.size else ""
        parts.append(f"{k} {idx.size}{pos}")
    log.info("split: %s", "; ".join(parts))


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
            for k in ("train", "valid"):
                if split[k].size == 0:
                    raise InputError(f"the {k} split is empty: hold out fewer chromosomes or give more peaks "
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


def _write_intervals(f: Any, chrom: list[str], start: np.ndarray, L: int, strand: list[str],
                     origin: np.ndarray) -> None:
    import h5py

    gi = f.create_group("intervals")
    s = h5py.string_dtype("utf-8")
    gi.create_dataset("chrom", data=np.asarray(chrom, dtype=object), dtype=s)
    gi.create_dataset("start", data=start)
    gi.create_dataset("end", data=start + L)
    gi.create_dataset("strand", data=np.asarray(strand, dtype=object), dtype=s)
    d = gi.create_dataset("origin", data=origin)
    d.attrs["codes"] = json.dumps(dict(enumerate(ORIGINS)))


# ---------------------------------------------------------------------------- FASTA (+ labels)
_FASTA_OK = frozenset(b"ACGTNacgtnRYKMSWBDHVryksmwbdhv-.")


def _iter_fasta(path: str, what: str) -> Iterator[tuple[str, bytes, int]]:
    """Stream ``(id, upper-case ACGTN bytes, header line)`` from a FASTA file (plain or gzip)."""
    import gzip

    from .genome import _TO_ACGTN

    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    opener = gzip.open if gz else open
    rid, head_ln, parts = None, 0, []
    seen_any = False
    with opener(path, "rb") as fh:
        for ln, raw in enumerate(fh, start=1):
            s = raw.rstrip(b"\r\n")
            if s.startswith(b">"):
                if rid is not None:
                    yield rid, b"".join(parts).translate(_TO_ACGTN), head_ln
                name = s[1:].split()
                if not name:
                    raise FormatError("a FASTA header ('>') without a sequence id.", path=path, line=ln)
                rid, head_ln, parts = name[0].decode("utf-8", "replace"), ln, []
                seen_any = True
            elif s.strip():
                if rid is None:
                    raise FormatError(f"sequence letters before the first '>' header; is {what} a FASTA file?",
                                      path=path, line=ln)
                s = s.strip()
                bad = s.translate(None, bytes(_FASTA_OK))
                if bad:
                    raise FormatError(f"record {rid!r} holds {chr(bad[0])!r}, which is not a DNA letter.",
                                      path=path, line=ln)
                parts.append(s)
    if rid is not None:
        yield rid, b"".join(parts).translate(_TO_ACGTN), head_ln
    if not seen_any:
        raise FormatError("the file holds no FASTA records ('>' header lines).", path=path)


def _is_number(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def read_labels_tsv(path: str | os.PathLike) -> tuple[list[str], dict[str, tuple[np.ndarray, int]]]:
    """Read a labels TSV: a header ``id<TAB>name1<TAB>name2...`` then one row per sequence.

    Returns
    -------
    columns : list of str
        Label column names (the header without its first field).
    rows : dict of str to (float64 (T,), line)
        Values and the 1-based line of each id.

    Raises
    ------
    FormatError
        Empty file, no label column, wrong field count, non-numeric values, repeated ids (file
        and line).
    """
    p = os.fspath(path)
    if not os.path.exists(p):
        raise InputError(f"--labels {p}: no such file. Check the path (relative paths start at {os.getcwd()}).")
    cols: list[str] | None = None
    rows: dict[str, tuple[np.ndarray, int]] = {}
    with open(p, encoding="utf-8", errors="replace") as fh:
        for ln, raw in enumerate(fh, start=1):
            s = raw.rstrip("\r\n")
            if not s.strip() or s.startswith("#"):
                continue
            f = s.split("\t")
            if cols is None:
                if len(f) < 2:
                    raise FormatError("the header needs an id column and at least one label column, "
                                      "separated by tabs (e.g. 'id<TAB>bound').", path=p, line=ln)
                cols = [c.strip() for c in f[1:]]
                if all(_is_number(v) for v in cols):  # a first row of numbers is data, not a header
                    raise FormatError("the first line must be a header ('id<TAB>name ...'); it holds numbers.",
                                      path=p, line=ln)
                continue
            if len(f) != len(cols) + 1:
                raise FormatError(f"expected {len(cols) + 1} tab-separated fields (id and {len(cols)} label(s)), "
                                  f"found {len(f)}.", path=p, line=ln)
            rid = f[0].strip()
            if rid in rows:
                raise FormatError(f"id {rid!r} is listed twice (first on line {rows[rid][1]}).", path=p, line=ln)
            try:
                v = np.array([float(x) for x in f[1:]], dtype=np.float64)
            except ValueError:
                raise FormatError(f"labels of {rid!r} must be numbers; found {f[1:]}.", path=p, line=ln) from None
            if not np.all(np.isfinite(v)):
                raise FormatError(f"labels of {rid!r} must be finite numbers; found {f[1:]}.", path=p, line=ln)
            rows[rid] = (v, ln)
    if cols is None or not rows:
        raise FormatError("the labels file is empty: it needs a header 'id<TAB>name ...' and one row per "
                          "sequence.", path=p)
    return cols, rows


def build_from_fasta(
    fasta: str | os.PathLike,
    out: str | os.PathLike,
    *,
    negatives: str | os.PathLike | None = None,
    labels: str | os.PathLike | None = None,
    length: int | None = None,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    chunk_size: int = 4096,
    seed: Any = 0,
    overwrite: bool = False,
    progress: bool = True,
) -> DataSummary:
    """Training HDF5 from a FASTA of positives and a FASTA of negatives, or a FASTA and a labels TSV.

    Parameters
    ----------
    fasta : path
        FASTA (plain or gzip). All records must have one length, or give ``length``: longer
        records are cut to their central ``length`` bp (shorter ones are an error).
    out : path
        Output HDF5 (layout in the module docstring; no ``/intervals``).
    negatives : path or "shuffle", optional
        FASTA of negatives (label 0; ``fasta`` records get 1), or ``"shuffle"`` for one
        dinucleotide shuffle of each record. Default: ``"shuffle"`` when ``labels`` is not given.
    labels : path, optional
        TSV with a header ``id<TAB>name ...`` and one row per FASTA id; columns of 0/1 only
        become ``/y/class``, anything else ``/y/continuous``. Every FASTA id must have a row.
    length : int, optional
    valid_fraction, test_fraction : float
        Seeded random split.
    chunk_size : int
        Records per HDF5 write.
    seed : int or numpy.random.Generator
    overwrite : bool
    progress : bool

    Returns
    -------
    DataSummary

    Raises
    ------
    InputError
        Both ``negatives`` and ``labels``, empty or malformed files, repeated ids, unequal lengths,
        FASTA ids without a label row (file and line in each message).
    """
    fa = os.fspath(fasta)
    if not os.path.exists(fa):
        raise InputError(f"--fasta {fa}: no such file. Check the path (relative paths start at {os.getcwd()}).")
    if negatives is not None and labels is not None:
        raise InputError("give either negatives (a FASTA of negatives) or labels (a TSV), not both.")
    if negatives is None and labels is None:
        negatives = "shuffle"
    L = None if length is None else _check_length(length)
    vfrac = _check_fraction(valid_fraction, "valid_fraction")
    tfrac = _check_fraction(test_fraction, "test_fraction")
    if vfrac + tfrac >= 1:
        raise InputError(f"valid_fraction + test_fraction must be < 1. Received: {vfrac} + {tfrac}")
    chunk = int(chunk_size)
    if chunk < 1:
        raise InputError(f"chunk_size must be >= 1. Received: {chunk_size!r}")
    rng = np.random.default_rng(seed)
    cols, lab = (None, None)
    if labels is not None:
        cols, lab = read_labels_tsv(labels)
    files: list[tuple[str, int]] = [(fa, 1)]
    neg_kind = None
    if negatives is not None:
        if os.fspath(negatives) == "shuffle":
            neg_kind = "shuffle"
        else:
            neg_kind = "fasta"
            nf = os.fspath(negatives)
            if not os.path.exists(nf):
                raise InputError(f"--negatives {nf}: no such file (give a FASTA of negatives or 'shuffle').")
            files.append((nf, 0))
    ids: list[str] = []
    ylist: list[Any] = []
    seen: dict[str, tuple[str, int]] = {}
    with _atomic_h5(os.fspath(out), overwrite) as f:
        xw = None
        buf: list[bytes] = []

        def flush() -> None:
            if buf:
                xw.append(encode_windows(buf)[0])
                buf.clear()

        for path, cls in files:
            what = "--fasta" if cls == 1 else "--negatives"
            for rid, seq, ln in _iter_fasta(path, what):
                if rid in seen:
                    raise FormatError(f"sequence id {rid!r} appears twice (first in {seen[rid][0]} line "
                                      f"{seen[rid][1]}); ids must be unique.", path=path, line=ln)
                seen[rid] = (path, ln)
                if L is None:
                    L = len(seq)
                if len(seq) < L or (length is None and len(seq) != L):
                    raise FormatError(f"record {rid!r} has {len(seq)} bp but the first record has {L} bp; "
                                      f"all sequences must have one length (or give --length to cut longer "
                                      f"ones to their centre).", path=path, line=ln)
                if len(seq) > L:
                    a = (len(seq) - L) // 2
                    seq = seq[a : a + L]
                if xw is None:
                    xw = _XWriter(f, L)
                if lab is not None:
                    if rid not in lab:
                        raise FormatError(f"sequence {rid!r} has no row in the labels file {labels}.",
                                          path=path, line=ln)
                    ylist.append(lab[rid][0])
                else:
                    ylist.append(cls)
                ids.append(rid)
                buf.append(seq)
                if len(buf) >= chunk:
                    flush()
        if xw is None:
            raise FormatError("the file holds no sequences.", path=fa)
        flush()
        n_first = xw.n
        if neg_kind == "shuffle":
            from ..sequence.shuffle import dinucleotide_shuffle

            for a in range(0, n_first, chunk):
                b = min(n_first, a + chunk)
                sh = dinucleotide_shuffle(xw.ds[a:b].astype(np.float32), 1, seed=rng)[:, 0]
                xw.append(sh.astype(np.uint8))
            ids += [f"shuffle:{i}" for i in ids[:n_first]]
            ylist += [0] * n_first
        n = xw.n
        gy = f.create_group("y")
        tasks: list[str] = []
        targets: list[str] = []
        if lab is None:
            y = np.asarray(ylist, dtype=np.uint8)[:, None]
            d = gy.create_dataset("class", data=y)
            tasks = [os.path.basename(fa).split(".")[0] or "positive"]
            d.attrs["tasks"] = json.dumps(tasks)
            n_pos, n_neg = int(y.sum()), int(n - y.sum())
        else:
            yv = np.vstack(ylist)
            binary = np.all((yv == 0) | (yv == 1), axis=0)
            if binary.any():
                tasks = [c for c, b in zip(cols, binary) if b]
                d = gy.create_dataset("class", data=yv[:, binary].astype(np.uint8))
                d.attrs["tasks"] = json.dumps(tasks)
            if (~binary).any():
                targets = [c for c, b in zip(cols, binary) if not b]
                d = gy.create_dataset("continuous", data=yv[:, ~binary].astype(np.float32))
                d.attrs["targets"] = json.dumps(targets)
            y = yv[:, binary] if binary.any() else None
            n_pos = int((y.max(axis=1) > 0).sum()) if y is not None else 0
            n_neg = n - n_pos if y is not None else 0
            missing = len(lab) - len(ids)
            if missing > 0:
                log.warning("%s: %d labelled id(s) have no sequence in %s", labels, missing, fa)
        split = random_split(n, valid_fraction=vfrac, test_fraction=tfrac, seed=rng)
        source = {"fasta": os.path.abspath(fa), "negatives": None if negatives is None else (
            "shuffle" if neg_kind == "shuffle" else os.path.abspath(os.fspath(negatives))),
            "labels": None if labels is None else os.path.abspath(os.fspath(labels)),
            "seed": seed if isinstance(seed, int) else None}
        _write_common(f, length=L, split=split, ids=ids, source=source)
        if progress:
            log.info("%d sequences of %d bp (%d positive, %d negative)", n, L, n_pos, n_neg)
            _log_split(split, None if y is None else np.asarray(y).reshape(n, -1))
    return DataSummary(path=os.fspath(out), n=n, n_positive=n_pos, n_negative=n_neg, length=int(L), tasks=tasks,
                       targets=targets, split_sizes={k: int(v.size) for k, v in split.items()}, skipped={})


def write_windows_fasta(data: str | os.PathLike, out: str | os.PathLike, *, split: str | None = None,
                        overwrite: bool = False, chunk_size: int = 4096) -> int:
    """Write the sequences of a data HDF5 as FASTA named by ``/sequence_ids``.

    Genome windows keep their ids (``chrom:start-end(strand)``), so motif hits found in the FASTA
    (``kgenint scan``) map back to the genome with :func:`kgenint.data.to_genome` or ``kgenint bed``.
    All-zero rows are written as ``N``. Streams ``/x`` in chunks; the file is renamed into place
    at the end.

    Parameters
    ----------
    data : path
        HDF5 with ``/x`` (N, L, 4) and optionally ``/sequence_ids`` and ``/split/<split>``.
    out : path
        Output FASTA.
    split : str, optional
        Write only the rows of ``/split/<split>``.
    overwrite : bool
    chunk_size : int

    Returns
    -------
    int
        Records written.
    """
    import h5py

    p, o = os.fspath(data), os.fspath(out)
    if os.path.exists(o) and not overwrite:
        raise InputError(f"{o} exists; choose another name or pass --overwrite.")
    with h5py.File(p, "r") as f:
        if "x" not in f:
            raise FormatError("has no /x dataset.", path=p)
        n = int(f["x"].shape[0])
        ids = f["sequence_ids"].asstr()[()].tolist() if "sequence_ids" in f else [f"seq_{i}" for i in range(n)]
        if split is None:
            rows = np.arange(n)
        elif "split" in f and split in f["split"]:
            rows = np.sort(f["split"][split][()].astype(np.int64))
        else:
            raise InputError(f"{p}: has no split {split!r}.")
        letters = np.frombuffer(b"ACGTN", dtype=np.uint8)
        d = os.path.dirname(os.path.abspath(o))
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(o)}.", suffix=".tmp", dir=d)
        try:
            with os.fdopen(fd, "w") as fh:
                for a in range(0, rows.size, chunk_size):
                    r = rows[a : a + chunk_size]
                    x = f["x"][int(r[0]) : int(r[-1]) + 1][r - r[0]]
                    code = np.where(x.sum(-1) == 0, 4, x.argmax(-1))
                    for i, row in zip(r, letters[code]):
                        fh.write(f">{ids[i]}\n{row.tobytes().decode()}\n")
            um = os.umask(0)
            os.umask(um)
            os.chmod(tmp, 0o666 & ~um)
            os.replace(tmp, o)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    return int(rows.size)
