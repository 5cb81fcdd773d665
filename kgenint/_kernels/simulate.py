"""Numba kernels of the synthetic benchmark (:mod:`kgenint.simulate`).

Every random step runs on a small per-sequence random number generator (splitmix64) seeded from
``(seed, global sequence index, stream)``, so the output does not depend on the number of
threads or on how the sequences are split into chunks.  Streams: 0 = design (which motifs, where,
which bases, noise, label draw), 1 = background bases, 2 = re-sampling during the clean-up.

Sequences are handled as ``uint8`` base codes ``(N, L)`` (0=A, 1=C, 2=G, 3=T); the caller turns
them into one-hot arrays.  Strands are ``+1`` / ``-1``.

Pair-rule states (``states[i, r]``): 0 rule not used in the sequence, 1 motif A only, 2 motif B
only, 3 both, placed so that the rule is satisfied, 4 both, placed so that it is violated.
Orientation codes: bit 0 ``++``, bit 1 ``+-``, bit 2 ``-+``, bit 3 ``--`` (strand of A, strand
of B).
"""
from __future__ import annotations

import numpy as np
from numba import prange

from . import jit, pjit

from .rng import GOLDEN as _GOLDEN, STREAM as _STREAM, next_st as _next, uniform_st as _uniform  # noqa: E402

_RNG_SOURCE = "4294cb031608"  # kgenint/_kernels/rng.py's hash (its module docstring: Numba cache key)


# --------------------------------------------------------------------------- random numbers
@jit
def _seed_state(seed, index, stream):
    """A generator state for sequence ``index`` on ``stream`` of master ``seed``."""
    st = np.empty(1, dtype=np.uint64)
    st[0] = np.uint64(seed)
    _next(st)
    st[0] = st[0] ^ (np.uint64(index) * _GOLDEN)
    _next(st)
    st[0] = st[0] ^ (np.uint64(stream + 1) * _STREAM)
    _next(st)
    return st


@jit
def _randint(st, lo, hi):
    """Uniform integer in [lo, hi] (inclusive)."""
    return lo + np.int64(_uniform(st) * (hi - lo + 1))


@jit
def _normal(st):
    """Standard normal draw (Box-Muller)."""
    u1 = _uniform(st)
    u2 = _uniform(st)
    if u1 < 1e-300:
        u1 = 1e-300
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@jit
def _categorical(st, cum):
    """Index drawn from cumulative probabilities ``cum`` (last entry 1)."""
    u = _uniform(st) * cum[cum.shape[0] - 1]
    for j in range(cum.shape[0]):
        if u < cum[j]:
            return j
    return cum.shape[0] - 1


# --------------------------------------------------------------------------- design
@jit
def _is_free(occ, start, end, gap):
    L = occ.shape[0]
    a = start - gap
    b = end + gap
    if a < 0:
        a = 0
    if b > L:
        b = L
    for p in range(a, b):
        if occ[p]:
            return False
    return True


@jit
def _occupy(occ, start, end):
    for p in range(start, end):
        occ[p] = True


@jit
def _ori_code(sa, sb):
    """Orientation bit index of strands ``sa, sb`` (+1/-1): ++ 0, +- 1, -+ 2, -- 3."""
    code = 0
    if sa < 0:
        code += 2
    if sb < 0:
        code += 1
    return code


@jit
def _pair_satisfies(d, ori, dmin, dmax, omask):
    return d >= dmin and d <= dmax and ((omask >> ori) & 1) == 1


@jit
def _try_place_pair(st, occ, state, wa, wb, dmin, dmax, omask, L, edge, gap, near, out):
    """Draw distance, strands and positions of a pair; write (sa, sb, stra, strb) in ``out``."""
    span_max = L - 2 * edge
    lim = span_max  # |d| can never exceed this
    for _attempt in range(200):
        if state == 3:
            lo = dmin if dmin > -lim else -lim
            hi = dmax if dmax < lim else lim
            if lo > hi:
                return False
            d = _randint(st, lo, hi)
            # orientation uniform among the allowed ones
            nallowed = 0
            for b in range(4):
                nallowed += (omask >> b) & 1
            pick = _randint(st, 0, nallowed - 1)
            ori = 0
            for b in range(4):
                if (omask >> b) & 1:
                    if pick == 0:
                        ori = b
                        break
                    pick -= 1
        else:
            if _uniform(st) < 0.5:
                lo = dmin - near
                hi = dmax + near
                if lo < -lim:
                    lo = -lim
                if hi > lim:
                    hi = lim
                if lo > hi:
                    lo = -lim
                    hi = lim
            else:
                lo = -lim
                hi = lim
            d = _randint(st, lo, hi)
            ori = _randint(st, 0, 3)
            if _pair_satisfies(d, ori, dmin, dmax, omask):
                continue
        # no overlap between the two sites (with the gap)
        if not (d >= wa + gap or d <= -(wb + gap)):
            continue
        if d >= 0:
            left_off_a = 0
            left_off_b = d
        else:
            left_off_a = -d
            left_off_b = 0
        span = max(left_off_a + wa, left_off_b + wb)
        if span > span_max:
            continue
        p = _randint(st, edge, L - edge - span)
        sa = p + left_off_a
        sb = p + left_off_b
        if not _is_free(occ, sa, sa + wa, gap) or not _is_free(occ, sb, sb + wb, gap):
            continue
        _occupy(occ, sa, sa + wa)
        _occupy(occ, sb, sb + wb)
        out[0] = sa
        out[1] = sb
        out[2] = 1 if ori < 2 else -1
        out[3] = 1 if (ori % 2) == 0 else -1
        return True
    return False


@jit
def _try_place_single(st, occ, w, L, edge, gap):
    hi = L - edge - w
    if hi < edge:
        return -1
    for _attempt in range(200):
        s = _randint(st, edge, hi)
        if _is_free(occ, s, s + w, gap):
            _occupy(occ, s, s + w)
            return s
    return -1


@jit
def _sample_site(st, cum, off, w, strand, logodds, thr, out):
    """Sample a site from the PWM rows ``cum[off:off+w]``; write the bases as they appear on the
    + strand of the sequence into ``out[:w]``; return its log-odds score on the motif's strand.

    When ``thr`` is finite the site is redrawn (up to 1000 times) until its score reaches it.
    """
    score = 0.0
    for _attempt in range(1000):
        score = 0.0
        for j in range(w):
            b = _categorical(st, cum[off + j])
            score += logodds[off + j, b]
            if strand > 0:
                out[j] = b
            else:
                out[w - 1 - j] = 3 - b
        if score >= thr:
            break
    return score


@jit
def design_kernel(
    n, first_index, seed, L, edge, gap, near,
    widths, cum_pwm, offsets, logodds, site_thr, main,
    rule_a, rule_b, rule_dmin, rule_dmax, rule_omask, rule_effect, rule_state_cum, group_cum,
    free_motifs, free_p,
    inst_motif, inst_start, inst_strand, inst_rule, inst_score, inst_sites, n_inst, states,
    latent, noise, u_label, failed,
):
    """Design ``n`` sequences (global indices ``first_index ...``): choose the rule groups and
    their states, the free motifs, strands and non-overlapping positions, and sample the sites.

    Parameters
    ----------
    widths : int64 (K,)
    cum_pwm : float64 (sum W, 4)
        Cumulative PWM rows of all motifs, motif ``k`` at rows ``offsets[k]:offsets[k+1]``.
    logodds : float64 (sum W, 4)
        Log-odds rows (site scores and ``site_thr``).
    site_thr : float64 (K,)
        Minimum log-odds score of a sampled site (``-inf``: no minimum).
    main : float64 (K,)
        Main effect of each motif on the latent activity.
    rule_a, rule_b, rule_dmin, rule_dmax, rule_omask : int64 (R,)
    rule_effect : float64 (R,)
        Interaction term added when the rule is satisfied.
    rule_state_cum : float64 (R, 4)
        Cumulative probabilities of the states 1..4 when the rule is used in a sequence.
    group_cum : float64 (G + 1,)
        Cumulative probabilities of using 0..G rules in a sequence.
    free_motifs : int64 (F,), free_p : float64 (F,)
        Motifs outside the rules (main effect only, decoys) and their presence probabilities.
    inst_* : outputs (n, MAXI); inst_sites uint8 (n, MAXI, Wmax); n_inst int64 (n,);
    states : int8 (n, R); latent, noise, u_label : float64 (n,); failed : bool (n,)
    """
    R = rule_a.shape[0]
    F = free_motifs.shape[0]
    G = group_cum.shape[0] - 1
    for i in prange(n):
        st = _seed_state(seed, first_index + i, 0)
        # ---- what goes into the sequence
        g = _categorical(st, group_cum)
        if g > R:
            g = R
        perm = np.arange(R)
        for j in range(g):
            t = _randint(st, j, R - 1)
            tmp = perm[j]
            perm[j] = perm[t]
            perm[t] = tmp
        for r in range(R):
            states[i, r] = 0
        for j in range(g):
            r = perm[j]
            states[i, r] = np.int8(1 + _categorical(st, rule_state_cum[r]))
        present = np.zeros(F, dtype=np.bool_)
        for f in range(F):
            present[f] = _uniform(st) < free_p[f]
        for j in range(G - g):  # keep the stream layout independent of g
            _uniform(st)
        noise[i] = _normal(st)
        u_label[i] = _uniform(st)
        # ---- placement (pairs first); retry the whole placement if crowded
        occ = np.zeros(L, dtype=np.bool_)
        pair_out = np.zeros(4, dtype=np.int64)
        ok = False
        k = 0
        for _restart in range(20):
            occ[:] = False
            k = 0
            ok = True
            for j in range(g):
                r = perm[j]
                s = states[i, r]
                a = rule_a[r]
                b = rule_b[r]
                if s >= 3:
                    if not _try_place_pair(st, occ, s, widths[a], widths[b], rule_dmin[r],
                                           rule_dmax[r], rule_omask[r], L, edge, gap, near,
                                           pair_out):
                        ok = False
                        break
                    inst_motif[i, k] = a
                    inst_start[i, k] = pair_out[0]
                    inst_strand[i, k] = pair_out[2]
                    inst_rule[i, k] = r
                    k += 1
                    inst_motif[i, k] = b
                    inst_start[i, k] = pair_out[1]
                    inst_strand[i, k] = pair_out[3]
                    inst_rule[i, k] = r
                    k += 1
            if not ok:
                continue
            for j in range(g):
                r = perm[j]
                s = states[i, r]
                if s == 1 or s == 2:
                    m = rule_a[r] if s == 1 else rule_b[r]
                    if not _place_instance(st, occ, widths[m], L, edge, gap, i, k, m, r,
                                           inst_motif, inst_start, inst_strand, inst_rule):
                        ok = False
                        break
                    k += 1
            if not ok:
                continue
            for f in range(F):
                if present[f]:
                    m = free_motifs[f]
                    if not _place_instance(st, occ, widths[m], L, edge, gap, i, k, m, -1,
                                           inst_motif, inst_start, inst_strand, inst_rule):
                        ok = False
                        break
                    k += 1
            if ok:
                break
        failed[i] = not ok
        if not ok:
            k = 0
        n_inst[i] = k
        for j in range(k, inst_motif.shape[1]):
            inst_motif[i, j] = -1
            inst_rule[i, j] = -1
        # ---- sites
        lat = 0.0
        for j in range(k):
            m = inst_motif[i, j]
            inst_score[i, j] = _sample_site(st, cum_pwm, offsets[m], widths[m], inst_strand[i, j],
                                            logodds, site_thr[m], inst_sites[i, j])
            lat += main[m]
        for r in range(R):
            if states[i, r] == 3:
                lat += rule_effect[r]
        latent[i] = lat


# --------------------------------------------------------------------------- backgrounds
@jit
def background_kernel(n, first_index, seed, L, gc_lo, gc_hi, use_given, bases, gc,
                      inst_motif, inst_start, inst_sites, n_inst, widths, planted):
    """Fill ``bases`` (n, L) with i.i.d. background of per-sequence GC ~ U(gc_lo, gc_hi) (unless
    ``use_given``: keep the given bases and measure their GC), then write the planted sites.

    ``planted`` (n, L) int16 receives the motif index at every planted position, -1 elsewhere.
    ``gc`` (n,) float64 receives the background GC fraction used for resampling.
    """
    for i in prange(n):
        st = _seed_state(seed, first_index + i, 1)
        if use_given:
            c = 0
            for p in range(L):
                if bases[i, p] == 1 or bases[i, p] == 2:
                    c += 1
            gc[i] = min(max(c / L, 0.05), 0.95)
        else:
            gc[i] = gc_lo + (gc_hi - gc_lo) * _uniform(st)
            half_gc = 0.5 * gc[i]
            for p in range(L):
                bases[i, p] = _gc_base(st, half_gc)
        for p in range(L):
            planted[i, p] = -1
        for j in range(n_inst[i]):
            m = inst_motif[i, j]
            s = inst_start[i, j]
            for q in range(widths[m]):
                bases[i, s + q] = inst_sites[i, j, q]
                planted[i, s + q] = m


@jit
def _window_hit(bases, i, p, lo, suffix, off, w, thr, j0, s0):
    """Log-odds score of the window ``bases[i, p:p+w]`` under rows ``lo[off:off+w]``, starting
    from row ``j0`` with partial score ``s0``; -inf as soon as ``thr`` can no longer be reached
    (``suffix[off + j]`` is the best possible score of the rows after row ``j``)."""
    s = s0
    for j in range(j0, w):
        s += lo[off + j, bases[i, p + j]]
        if s + suffix[off + j] < thr:
            return -np.inf
    return s


@jit
def _codes4(bases, i, codes):
    """``codes[p]`` = base-4 number of the 4-mer at ``p`` (first base most significant)."""
    for p in range(bases.shape[1] - 3):
        codes[p] = (np.int64(bases[i, p]) * 64 + np.int64(bases[i, p + 1]) * 16
                    + np.int64(bases[i, p + 2]) * 4 + np.int64(bases[i, p + 3]))


@jit
def _own_site(planted, i, p, w, m):
    """True when window [p, p+w) touches a planted site of the same motif ``m``."""
    for q in range(p, p + w):
        if planted[i, q] == m:
            return True
    return False


@jit
def _fully_planted(planted, i, p, w):
    for q in range(p, p + w):
        if planted[i, q] < 0:
            return False
    return True


@jit
def _place_instance(st, occ, w, L, edge, gap, i, k, m, rule, inst_motif, inst_start, inst_strand,
                    inst_rule):  # pragma: no cover - compiled
    """Place one site of motif ``m`` (width ``w``) as instance ``k`` of sequence ``i``, with a
    random strand; ``rule`` is its rule index (-1 for a free motif). False when no room is left."""
    pos = _try_place_single(st, occ, w, L, edge, gap)
    if pos < 0:
        return False
    inst_motif[i, k] = m
    inst_start[i, k] = pos
    inst_strand[i, k] = 1 if _uniform(st) < 0.5 else -1
    inst_rule[i, k] = rule
    return True


@jit
def _gc_base(st, half_gc):  # pragma: no cover - compiled
    """One i.i.d. background base (code 0-3) with G+C probability ``2 * half_gc``."""
    u = _uniform(st)
    if u < half_gc:
        return 1
    if u < 2.0 * half_gc:
        return 2
    if u < 0.5 + half_gc:
        return 0
    return 3


@jit
def _resample(st, bases, planted, i, p, w, half_gc):
    for q in range(p, p + w):
        if planted[i, q] < 0:
            bases[i, q] = _gc_base(st, half_gc)


@jit
def _scan_sequence(bases, planted, i, scan_motifs, widths, offsets, lo_f, suf_f, lo_r, suf_r,
                   pre_f, pre_r, thr, fix, st, half_gc, rec, out_motif, out_start, out_strand,
                   out_score, first, unfix, lo_pos, hi_pos, dirty):
    """One pass over sequence ``i`` for every motif and strand.

    ``pre_f[m, c]`` / ``pre_r[m, c]`` hold the score of the first four motif rows for the 4-mer
    with code ``c`` (a lookup that rejects most windows at once; motifs narrower than 4 bp are
    scored row by row).
    With ``fix`` the background under each accidental match is re-sampled at once and the
    number of fixes is returned; matches that cannot be fixed are counted in ``unfix[0]``.
    Otherwise the number of accidental matches is returned, and they are written from row
    ``first`` of the ``out_*`` arrays when ``rec``.
    Only windows that overlap positions ``[lo_pos, hi_pos)`` are scanned; re-sampled positions
    widen ``dirty[0]:dirty[1]`` (the range the next pass has to look at again).
    """
    L = bases.shape[1]
    codes = np.zeros(max(L - 3, 1), dtype=np.int64)
    _codes4(bases, i, codes)
    c = 0
    for mi in range(scan_motifs.shape[0]):
        m = scan_motifs[mi]
        w = widths[m]
        off = offsets[m]
        t = thr[m]
        p_from = max(0, lo_pos - w + 1)
        p_to = min(L - w + 1, hi_pos)
        for p in range(p_from, p_to):
            for strand in range(2):
                if w >= 4:
                    if strand == 0:
                        s0 = pre_f[m, codes[p]]
                        if s0 + suf_f[off + 3] < t:
                            continue
                        sc = _window_hit(bases, i, p, lo_f, suf_f, off, w, t, 4, s0)
                    else:
                        s0 = pre_r[m, codes[p]]
                        if s0 + suf_r[off + 3] < t:
                            continue
                        sc = _window_hit(bases, i, p, lo_r, suf_r, off, w, t, 4, s0)
                elif strand == 0:
                    sc = _window_hit(bases, i, p, lo_f, suf_f, off, w, t, 0, 0.0)
                else:
                    sc = _window_hit(bases, i, p, lo_r, suf_r, off, w, t, 0, 0.0)
                if sc < t:
                    continue
                if _own_site(planted, i, p, w, m):
                    continue
                if fix:
                    if _fully_planted(planted, i, p, w):
                        unfix[0] += 1
                        continue
                    _resample(st, bases, planted, i, p, w, half_gc)
                    _codes4(bases, i, codes)
                    if p < dirty[0]:
                        dirty[0] = p
                    if p + w > dirty[1]:
                        dirty[1] = p + w
                    c += 1
                else:
                    if rec:
                        out_motif[first + c] = m
                        out_start[first + c] = p
                        out_strand[first + c] = 1 if strand == 0 else -1
                        out_score[first + c] = sc
                    c += 1
    return c


@pjit
def clean_kernel(n, first_index, seed, bases, planted, gc, scan_motifs, widths, offsets,
                 lo_f, suf_f, lo_r, suf_r, pre_f, pre_r, thr, max_rounds, removed, remaining):
    """Re-sample background bases under accidental strong matches (score >= ``thr``) of the
    motifs ``scan_motifs`` on either strand, for up to ``max_rounds`` rounds, then count the
    matches that remain.

    ``lo_f`` are the log-odds rows of the motifs, ``lo_r`` the rows of their reverse complements
    (so both strands read the sequence left to right); ``suf_*`` their suffix bounds.
    Matches that touch a planted site of the same motif are the planted sites themselves and are
    left alone; matches lying entirely on planted bases cannot be fixed.  ``removed`` (n,)
    counts the re-sampled matches, ``remaining`` (n,) the matches left.
    """
    L = bases.shape[1]
    dummy_i = np.zeros(0, dtype=np.int64)
    dummy_f = np.zeros(0, dtype=np.float64)
    for i in prange(n):
        st = _seed_state(seed, first_index + i, 2)
        half_gc = 0.5 * gc[i]
        unfix = np.zeros(1, dtype=np.int64)
        dirty = np.zeros(2, dtype=np.int64)
        lo_pos = 0
        hi_pos = L
        cnt = 0
        clean = False
        for _round in range(max_rounds):
            unfix[0] = 0
            dirty[0] = L
            dirty[1] = 0
            fixed = _scan_sequence(bases, planted, i, scan_motifs, widths, offsets, lo_f, suf_f,
                                   lo_r, suf_r, pre_f, pre_r, thr, True, st, half_gc, False,
                                   dummy_i, dummy_i, dummy_i, dummy_f, 0, unfix, lo_pos, hi_pos,
                                   dirty)
            cnt += fixed
            if fixed == 0:
                # only a full pass (the first) counted every unfixable match
                clean = _round == 0
                break
            lo_pos = dirty[0]
            hi_pos = dirty[1]
        removed[i] = cnt
        if clean:  # nothing changed in a full pass: its unfixable matches are all that is left
            remaining[i] = unfix[0]
        else:
            remaining[i] = _scan_sequence(bases, planted, i, scan_motifs, widths, offsets, lo_f,
                                          suf_f, lo_r, suf_r, pre_f, pre_r, thr, False, st,
                                          half_gc, False, dummy_i, dummy_i, dummy_i, dummy_f, 0,
                                          unfix, 0, L, dirty)


@jit
def fill_matches_kernel(seqs, bases, planted, scan_motifs, widths, offsets, lo_f, suf_f, lo_r,
                        suf_r, pre_f, pre_r, thr, first, out_motif, out_start, out_strand,
                        out_score):
    """Write the remaining matches of sequences ``seqs``; ``seqs[j]`` writes from ``first[j]``."""
    L = bases.shape[1]
    for j in prange(seqs.shape[0]):
        st = np.zeros(1, dtype=np.uint64)
        unfix = np.zeros(1, dtype=np.int64)
        dirty = np.zeros(2, dtype=np.int64)
        _scan_sequence(bases, planted, seqs[j], scan_motifs, widths, offsets, lo_f, suf_f, lo_r,
                       suf_r, pre_f, pre_r, thr, False, st, 0.5, True, out_motif, out_start,
                       out_strand, out_score, first[j], unfix, 0, L, dirty)


@jit
def onehot_kernel(bases, out):
    """``out[i, p, bases[i, p]] = 1``; ``out`` (n, L, 4) must be zeroed."""
    for i in prange(bases.shape[0]):
        for p in range(bases.shape[1]):
            out[i, p, bases[i, p]] = 1
