"""Numba kernels of motif scanning: one-hot to letter codes, the prefilter tables, the scan.

The score-distribution kernels (:func:`pmf_tail`, :func:`survival_tails`, :func:`band_words`)
live in :mod:`kgenint._kernels.score_dist` and are re-exported here.

Everything works on *integer* log-odds matrices (see :mod:`kgenint.motifs._pvalue_engine` for how
they are made).  Integer scores make the p-values exact for the statistic actually used, and make the
early-abandon bounds of the scan exact too: no floating-point margin is needed anywhere.

Letter codes are ``uint8``: A=0, C=1, G=2, T=3, N (an all-zero or all-0.25 row) =4
(:mod:`kgenint._alphabet`'s codes; one-hot rows are read by :mod:`kgenint._kernels.onehot`).  A
window containing a code 4 is not scored.

The scan (:func:`scan_filtered`) has two exact integer stages.  A *prefilter* packs the test
of up to 64 motif-strands into one uint64 table per group, indexed by the 8-letter code at a
position: bit k is set when motif-strand k's filter block (its 8 most informative consecutive
columns) can still reach the threshold with those letters and the best letters elsewhere.  One
load per position and group replaces one lookup per position and motif-strand; about 1% of
(window, motif-strand) pairs pass it.  Those are grouped by motif-strand and scored from
4-letter block tables (1 KB, in L1 while one motif-strand's candidates are processed), the
first three blocks without branching, then block by block with early abandon.

Helpers live in this module (Numba's cache keys a function by its own file).
"""
from __future__ import annotations

import numpy as np
from numba import prange
from numba.cpython.unsafe.numbers import trailing_zeros

from . import jit, pjit
from .onehot import onehot_codes_kernel
from .score_dist import band_words, pmf_tail, survival_tails  # noqa: F401 - re-exported

__all__ = [
    "QMER",
    "onehot_to_codes",
    "pmf_tail",
    "survival_tails",
    "chunk_codes",
    "build_filter",
    "scan_filtered",
    "hit_scores",
]

#: Letters packed in each position's code (2 bits each, uint16): the prefilter reads a code of
#: up to QMER letters, the exact stage reads its low FQ letters.
QMER = 8
_NCODES = 4**QMER
#: Letters per block of the exact stage (a table has 4**FQ int32 entries, 1 KB).
FQ = 4
_FCODES = 4**FQ


# --------------------------------------------------------------------------- one-hot -> codes
def onehot_to_codes(x, out):
    """Letter codes of one-hot sequences, with a check (:mod:`kgenint._kernels.onehot`'s rule).

    Parameters
    ----------
    x : float32 array, shape (N, L, 4)
        One-hot ACGT.
    out : uint8 array, shape (N * L,), C-contiguous
        Filled with ``x[i, j]``'s code at ``i * L + j``: 0-3 for a one-hot row, 4 for an
        all-zero or all-0.25 row (N).

    Returns
    -------
    int
        ``i * L + j`` of the first row that is none of these, or -1 when every row is valid.
    """
    n, length = x.shape[0], x.shape[1]
    return onehot_codes_kernel(x, out.reshape(n, length), np.empty(n, dtype=np.float32))


# --------------------------------------------------------------------------- scan
@jit
def chunk_codes(codes, seq_off, seq_len, qc, next_n):  # pragma: no cover - compiled
    """q-mer codes and next-N positions of every position of every sequence.

    Serial: it costs ~2 ms per Mbp, less than a parallel kernel's extra compile time is worth.

    Parameters
    ----------
    codes : uint8 array, shape (total,)
        Letter codes of the sequences, concatenated (4 = N).
    seq_off, seq_len : int64 arrays, shape (S,)
    qc : uint16 array, shape (total,)
        Filled with the QMER letters from each position packed 2 bits each (the letter at
        the position in the lowest bits); letters past the sequence end and N count as A.
    next_n : int32 array, shape (total,)
        Filled with the position (within its sequence) of the first N at or after each position,
        or the sequence length.
    """
    for s in range(seq_off.shape[0]):
        base = seq_off[s]
        length = seq_len[s]
        code = 0
        for p in range(length + QMER - 1, -1, -1):
            letter = 0
            if p < length:
                letter = codes[base + p]
                if letter > 3:
                    letter = 0
            code = ((code << 2) | letter) & (_NCODES - 1)
            if p < length:
                qc[base + p] = code
        nxt = length
        for p in range(length - 1, -1, -1):
            if codes[base + p] > 3:
                nxt = p
            next_n[base + p] = nxt


@jit
def hit_scores(codes, seq_off, hit_seq, hit_pos, hit_ms, lo_flat, lo_off):  # pragma: no cover
    """Float log-odds score of each hit window (float64, summed left to right).

    Parameters
    ----------
    codes : uint8 array
    seq_off : int64 array, shape (S,)
    hit_seq, hit_pos, hit_ms : int64 arrays, shape (H,)
        Sequence, window start and motif-strand of each hit.
    lo_flat : float64 array, shape (sum W, 4)
        Float log-odds matrices of the motif-strands, stacked.
    lo_off : int64 array, shape (K + 1,)

    Returns
    -------
    float64 array, shape (H,)
    """
    h = hit_seq.shape[0]
    out = np.empty(h, dtype=np.float64)
    for j in range(h):
        k = hit_ms[j]
        p = seq_off[hit_seq[j]] + hit_pos[j]
        r0 = lo_off[k]
        w = lo_off[k + 1] - r0
        acc = 0.0
        for i in range(w):
            acc += lo_flat[r0 + i, codes[p + i]]
        out[j] = acc
    return out


@jit
def _block_sums(a_flat, r, wd, out, o):  # pragma: no cover - compiled
    """``out[o + code]`` = summed entries of rows ``r .. r + wd - 1`` of ``a_flat`` for every
    code of ``wd`` letters (digit d = ``(code >> 2d) & 3``); returns ``4**wd``.

    Digit by digit: the codes of d + 1 digits from those of d digits.
    """
    out[o] = 0
    size = 1
    for d in range(wd):
        for c in range(3, -1, -1):
            v = a_flat[r + d, c]
            for j in range(size):
                out[o + c * size + j] = out[o + j] + v
        size *= 4
    return size


@jit
def build_tables(a_flat, row0, width, out):  # pragma: no cover - compiled
    """Lookup tables of blocks of motif columns.

    Parameters
    ----------
    a_flat : int64 array, shape (R, 4)
        Integer matrices stacked.
    row0, width : int64 arrays, shape (B,)
        Block b covers rows ``row0[b] .. row0[b] + width[b] - 1`` of ``a_flat`` (width <= FQ).
    out : int32 array, shape (B * 4**FQ,)
        ``out[b * 4**FQ + code]`` = sum over d < width[b] of ``a_flat[row0[b] + d, digit_d]``
        where digit d of ``code`` is ``(code >> 2d) & 3``.
    """
    for b in range(row0.shape[0]):
        o = b * _FCODES
        size = _block_sums(a_flat, row0[b], width[b], out, o)
        # digits at or past the block's width add nothing: the table repeats
        for code in range(size, _FCODES):
            out[o + code] = out[o + code % size]


@jit
def build_filter(a_flat, row0, width, rest, thresh, group, bit, kq, out):  # pragma: no cover
    """Bit tables of the prefilter: which letter codes let a motif-strand's window still pass.

    Motif-strand k's filter block covers its columns ``row0[k] - (its first row) ..`` , i.e.
    rows ``row0[k] .. row0[k] + width[k] - 1`` of ``a_flat`` (``width[k] <= kq``).  For every
    code of ``kq`` letters (digit d = the letter at the block's column d; digits at or past
    ``width[k]`` are ignored), bit ``bit[k]`` of ``out[group[k] * 4**kq + code]`` is set when
    the block's summed entries plus ``rest[k]`` (the best the motif's other columns can add)
    reach ``thresh[k]``: a window whose code leaves that bit clear cannot reach the threshold.

    Parameters
    ----------
    a_flat : int64 array, shape (R, 4)
        Integer matrices stacked.
    row0, width, rest, thresh : int64 arrays, shape (K,)
    group, bit : int64 arrays, shape (K,)
        Table and bit (0-63) of each motif-strand; motif-strands of a group are contiguous.
    kq : int64
        Letters per code (<= QMER).
    out : uint64 array, shape (G * 4**kq,)
        Zero on entry; filled.
    """
    nc = 1 << (2 * kq)
    sc = np.empty(nc, dtype=np.int64)
    for k in range(row0.shape[0]):
        size = _block_sums(a_flat, row0[k], width[k], sc, 0)
        cut = thresh[k] - rest[k]
        m = np.uint64(1) << np.uint64(bit[k])
        o = group[k] * nc
        for code in range(nc):
            if sc[code % size] >= cut:
                out[o + code] |= m


@jit
def _popcount(x):  # pragma: no cover - compiled
    """Number of set bits of a uint64 (branch-free)."""
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@pjit
def scan_filtered(
    qc, next_n, seq_off, seq_len, tile_seq, tile_start, tile_end, kq, grp_start, fbits, foff,
    widths, thresh, blk_start, blk_off, blk_rest, tables, cap_off,
    out_pos, out_ms, out_score, out_count,
):  # pragma: no cover - compiled
    """Integer scores of every motif-strand at every window; keep those >= thresh.

    Parallel over tiles of windows (a tile lies in one sequence).  For each group of up to 64
    motif-strands, one load per position of the group's bit table (:func:`build_filter`)
    tells which motif-strands' windows may still pass (positions with some bit set are first
    collected without branching); only those windows are scored, block by block from the
    exact-stage tables with early abandon.  Every test is exact in integers.

    Parameters
    ----------
    qc : uint16 array, shape (total,)
    next_n : int32 array, shape (total,)
        From :func:`chunk_codes`.
    seq_off, seq_len : int64 arrays, shape (S,)
    tile_seq, tile_start, tile_end : int64 arrays, shape (T,)
        Tile t covers the window starts ``tile_start[t] .. tile_end[t] - 1`` of sequence
        ``tile_seq[t]``.
    kq : int64
        Letters of the prefilter code.
    grp_start : int64 array, shape (G + 1,)
        Motif-strands of group g are ``grp_start[g] .. grp_start[g+1] - 1`` (bit = k - start).
    fbits : uint64 array, shape (G * 4**kq,)
    foff : int64 array, shape (K,)
        Column of the motif where the filter block starts.
    widths, thresh : int64 arrays, shape (K,)
    blk_start : int64 array, shape (K + 1,)
    blk_off, blk_rest : int64 arrays, shape (B,)
        Column where each exact-stage block starts; best score the blocks after it can add.
    tables : int32 array, shape (B * 4**FQ,)
    cap_off : int64 array, shape (T + 1,)
        Tile t stores up to ``cap_off[t+1] - cap_off[t]`` hits from ``cap_off[t]`` on.
    out_pos, out_ms, out_score : int64 arrays, shape (cap_off[T],)
        Window start, motif-strand and integer score of each stored hit.
    out_count : int64 array, shape (T,)
        Hits of each tile (may exceed its capacity: rescan it with more).
    """
    n_tiles = tile_seq.shape[0]
    n_grp = grp_start.shape[0] - 1
    nc = 1 << (2 * kq)
    kmask = np.uint16(nc - 1)
    fmask = np.uint16(_FCODES - 1)
    max_off = 0
    for k in range(foff.shape[0]):
        max_off = max(max_off, foff[k])
    for t in prange(n_tiles):
        s = tile_seq[t]
        base = seq_off[s]
        length = seq_len[s]
        a = tile_start[t]
        b = tile_end[t]
        o = cap_off[t]
        cap = cap_off[t + 1] - o
        n = 0
        pe = min(b + max_off, length)
        npos = max(pe - a, 1)
        buf_p = np.empty(npos, dtype=np.int64)
        buf_w = np.empty(npos, dtype=np.uint64)
        cand_b = np.empty(4 * npos, dtype=np.uint8)
        cand_p = np.empty(4 * npos, dtype=np.int64)
        sorted_i = np.empty(4 * npos, dtype=np.int64)
        cnt = np.zeros(66, dtype=np.int64)
        q = qc[base:base + length]
        for g in range(n_grp):
            tab = fbits[g * nc:(g + 1) * nc]
            k0 = grp_start[g]
            nk = grp_start[g + 1] - k0
            # 1. positions where some motif-strand of the group may pass (no branch)
            m = 0
            for p in range(a, pe):
                wd = tab[q[p] & kmask]
                buf_p[m] = p
                buf_w[m] = wd
                m += wd != 0
            # 2. (bit, position) of every candidate, counted per bit
            for j in range(66):
                cnt[j] = 0
            tot = 0
            for j in range(m):
                tot += _popcount(buf_w[j])
            if tot + 2 > cand_b.shape[0]:
                cand_b = np.empty(2 * tot + 2, dtype=np.uint8)
                cand_p = np.empty(2 * tot + 2, dtype=np.int64)
                sorted_i = np.empty(2 * tot + 2, dtype=np.int64)
            nca = 0
            for j in range(m):
                # the first two set bits without a data-dependent branch; more are rare
                p = buf_p[j]
                wd = buf_w[j]
                bt = trailing_zeros(wd)
                cand_b[nca] = bt
                cand_p[nca] = p
                cnt[bt + 1] += 1
                nca += 1
                wd &= wd - np.uint64(1)
                bt = trailing_zeros(wd)
                cand_b[nca] = bt
                cand_p[nca] = p
                cnt[bt + 1] += 1
                nca += wd != 0
                wd &= wd - np.uint64(1)
                while wd != 0:
                    bt = trailing_zeros(wd)
                    wd &= wd - np.uint64(1)
                    cand_b[nca] = bt
                    cand_p[nca] = p
                    cnt[bt + 1] += 1
                    nca += 1
            # 3. window starts grouped by motif-strand (counting sort)
            for j in range(64):
                cnt[j + 1] += cnt[j]
            for j in range(nca):
                bt = cand_b[j]
                sorted_i[cnt[bt]] = cand_p[j] - foff[k0 + bt]
                cnt[bt] += 1
            # 4. exact stage, one motif-strand at a time (its tables stay in L1): the first
            # three blocks for every candidate without branching, the rest for the few left
            lo_j = 0
            for bt in range(nk):
                hi_j = cnt[bt]
                k = k0 + bt
                wk = widths[k]
                thr = thresh[k]
                bb0 = blk_start[k]
                bb1 = blk_start[k + 1]
                imax = min(b, length - wk + 1)
                if imax <= a or hi_j == lo_j:
                    lo_j = hi_j
                    continue
                t0 = tables[bb0 * _FCODES:(bb0 + 1) * _FCODES]
                t1 = tables[(bb0 + 1) * _FCODES:(bb0 + 2) * _FCODES]
                t2 = tables[(bb0 + 2) * _FCODES:(bb0 + 3) * _FCODES]
                of0 = blk_off[bb0]
                of1 = blk_off[bb0 + 1]
                of2 = blk_off[bb0 + 2]
                cut = thr - blk_rest[bb0 + 2]
                n2 = 0
                for j in range(lo_j, hi_j):
                    i = sorted_i[j]
                    ok = (i >= a) & (i < imax)
                    ii = i if ok else a
                    sc = np.int64(t0[q[ii + of0] & fmask]) + np.int64(t1[q[ii + of1] & fmask]) \
                        + np.int64(t2[q[ii + of2] & fmask])
                    cand_p[n2] = ii
                    sorted_i[n2 + lo_j] = sc
                    n2 += ok & (sc >= cut)
                for j in range(n2):
                    i = cand_p[j]
                    sc = sorted_i[j + lo_j]
                    alive = True
                    for bb in range(bb0 + 3, bb1):
                        sc += tables[bb * _FCODES + (q[i + blk_off[bb]] & fmask)]
                        if sc + blk_rest[bb] < thr:
                            alive = False
                            break
                    if not alive or next_n[base + i] < i + wk:
                        continue
                    if n < cap:
                        out_pos[o + n] = i
                        out_ms[o + n] = k
                        out_score[o + n] = sc
                    n += 1
                lo_j = hi_j
        out_count[t] = n
