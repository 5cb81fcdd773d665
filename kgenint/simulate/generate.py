"""Generation of simulated data sets: :func:`simulate` (in memory) and
:func:`simulate_to_hdf5` (streamed to disk, bounded memory).

Pipeline per chunk of sequences (all random steps on per-sequence generators, so the result does
not depend on the number of threads):

1. design (Numba): which rules are used (``group_probs``) and in which state, which single
   motifs, strands, non-overlapping positions (pairs first, so their distance is exact), and the
   site bases sampled from the PWM (not the consensus); the noise-free latent activity;
2. background (Numba): i.i.d. bases with a per-sequence GC fraction drawn from ``gc_range``, or a
   dinucleotide shuffle of a reference sequence; the sites are written over it;
3. clean-up (Numba): accidental strong matches (p <= ``match_p``, the motif scanner's exact
   p-values) of every planted motif in the background are re-sampled away (bases of planted
   sites are never touched); what cannot be removed is recorded in
   ``GroundTruth.background_matches``;
4. labels, once all latents are known: continuous target ``latent + noise``, binary class drawn
   with a threshold chosen for ``positive_fraction`` (see :class:`SimulationConfig`).

One module, just over 600 lines: the four steps share one per-chunk plan (``_Plan``), and the two
public entry points repeat their keyword signatures (and docs) so that both stay explicit.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._kernels import simulate as K
from ..errors import InputError
from ..motifs import MotifScanner
from .config import ORIENTATIONS, SimulationConfig, get_preset
from .data import SimulatedData
from .resolve import make_split, resolve_motifs
from .truth import GroundTruth

__all__ = ["simulate", "simulate_to_hdf5", "SimulatedData", "resolve_motifs", "make_split", "CHUNK"]

#: sequences per chunk (fixed, so that results never depend on it)
CHUNK = 8192
_LOGODDS_PSEUDO = 0.1
_MAX_CLEAN_ROUNDS = 10
_UNIFORM = np.full(4, 0.25)


def _scanner(motifs: list, p: float) -> MotifScanner:
    """The motif scanner's exact p-value engine for the planted motifs: log2-odds with the 0.1
    pseudocount against a uniform background (the background of the simulated sequences' null),
    p-value threshold ``p``. One strand is enough: a uniform background is strand-symmetric."""
    return MotifScanner(motifs, threshold=p, bg_freqs=_UNIFORM, pseudocount=_LOGODDS_PSEUDO,
                        both_strands=False)


def _score_thresholds(sc: MotifScanner) -> np.ndarray:
    """Per motif, the real log-odds score (bits) from which a word is a hit of ``sc`` (p-value
    <= ``sc.threshold``): the scanner's exact real-valued threshold, or, for a motif whose
    threshold band it does not enumerate (``exact_`` False, long motifs), its integer-grid one."""
    return np.array([sc.real_thresholds_[k] if sc.exact_[k] else sc.score_threshold(k)
                     for k in range(len(sc.motifs_))])


# --------------------------------------------------------------------------- the generator
def _ori_mask(orientations: str) -> int:
    mask = 0
    for o in orientations.split(","):
        mask |= 1 << ORIENTATIONS.index(o)
    return mask


class _Plan:
    """Arrays the kernels need, built once from a config and its motifs."""

    def __init__(self, config: SimulationConfig, motifs: Any, reference: Any):
        config.validate()
        self.config = config
        L = int(config.length)
        names = config.motif_names()
        raw = resolve_motifs(names, motifs)
        planted = []
        for m in raw:
            if config.trim_ic is not None:
                m = m.trim(config.trim_ic)
            planted.append(m)
        usable = L - 2 * config.edge
        for m in planted:
            if m.width > usable:
                raise InputError(
                    f"Motif {m.name!r} is {m.width} bp wide, wider than the {usable} bp available in "
                    f"sequences of length {L} (with {config.edge} bp edges). Use a longer length."
                )
        for r in config.rules:
            wa = planted[names.index(r.motif_a)].width
            wb = planted[names.index(r.motif_b)].width
            dmin, dmax = r.window(L)
            feasible = [
                d for d in range(max(dmin, -usable), min(dmax, usable) + 1)
                if (d >= wa + config.min_gap or d <= -(wb + config.min_gap))
                and max(max(0, -d) + wa, max(0, d) + wb) <= usable
            ]
            if not feasible:
                raise InputError(
                    f"Rule {r.kind} {r.motif_a}-{r.motif_b}: no placement with start_B - start_A in "
                    f"[{dmin}, {dmax}] bp fits in sequences of length {L} without overlapping the "
                    f"motifs ({wa} and {wb} bp). Use a longer length or another distance window."
                )
        self.motifs = planted
        self.names = names
        Kn = len(planted)
        self.widths = np.array([m.width for m in planted], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.widths)]).astype(np.int64)
        self.wmax = int(self.widths.max())
        pwm = np.concatenate([m.pwm for m in planted])
        self.cum_pwm = np.cumsum(pwm, axis=1)
        self.cum_pwm[:, -1] = 1.0
        lo_rows = [m.copy(bg_freqs=_UNIFORM).log_odds(_LOGODDS_PSEUDO) for m in planted]
        self.logodds = np.concatenate(lo_rows)
        # reverse-complement rows, so that the - strand is scanned left to right too
        self.logodds_rc = np.concatenate([lo[::-1, ::-1] for lo in lo_rows])
        self.suffix = self._suffix(self.logodds)
        self.suffix_rc = self._suffix(self.logodds_rc)
        self.pre = self._prefix_table(self.logodds)
        self.pre_rc = self._prefix_table(self.logodds_rc)
        # thresholds and p-values: the scanner's engine, so that a scan at p = match_p of the
        # simulated sequences finds exactly the matches recorded in the ground truth
        self.match_thr = np.full(Kn, np.inf)
        self.site_thr = np.full(Kn, -np.inf)
        pvalues: MotifScanner | None = None
        if config.match_p is not None:
            pvalues = _scanner(planted, config.match_p)
            self.match_thr = _score_thresholds(pvalues)
        if config.site_max_p is not None:
            site = _scanner(planted, config.site_max_p)
            if pvalues is None:
                pvalues = site
            self.site_thr = _score_thresholds(site)
            bad = [planted[k].name for k in range(Kn) if not np.isfinite(self.site_thr[k])]
            if bad:
                raise InputError(f"site_max_p={config.site_max_p} is unreachable for motif(s) {bad}.")
        if pvalues is None:
            pvalues = _scanner(planted, 1e-4)  # only its p-values are used
        self.pvalues: MotifScanner = pvalues
        # effects
        self.main = np.zeros(Kn)
        for r in config.rules:
            self.main[names.index(r.motif_a)] = r.main_a
            self.main[names.index(r.motif_b)] = r.main_b
        for spec in config.motifs:
            self.main[names.index(spec.name)] = spec.effect
        R = len(config.rules)
        self.rule_a = np.array([names.index(r.motif_a) for r in config.rules], dtype=np.int64)
        self.rule_b = np.array([names.index(r.motif_b) for r in config.rules], dtype=np.int64)
        self.rule_dmin = np.array([r.window(L)[0] for r in config.rules], dtype=np.int64)
        self.rule_dmax = np.array([r.window(L)[1] for r in config.rules], dtype=np.int64)
        self.rule_omask = np.array([_ori_mask(r.orientations) for r in config.rules], dtype=np.int64)
        self.rule_effect = np.array([r.interaction for r in config.rules], dtype=np.float64)
        self.rule_state_cum = np.zeros((max(R, 1), 4))
        for i, r in enumerate(config.rules):
            self.rule_state_cum[i] = np.cumsum(r.state_probabilities())
        self.rule_state_cum = self.rule_state_cum[:R]
        gp = np.array(config.group_probs[: R + 1], dtype=np.float64)
        self.group_cum = np.cumsum(gp / gp.sum())
        self.free = np.array([names.index(m.name) for m in config.motifs], dtype=np.int64)
        self.free_p = np.array([m.p_present for m in config.motifs], dtype=np.float64)
        self.maxi = 2 * (len(self.group_cum) - 1) + len(config.motifs)
        self.maxi = max(self.maxi, 1)
        self.scan_motifs = np.arange(Kn, dtype=np.int64)
        # reference for shuffled backgrounds
        self.reference = None
        if config.backgrounds == "shuffle":
            if reference is None:
                raise InputError(
                    "backgrounds='shuffle' needs reference sequences: simulate(..., reference=x) "
                    "with one-hot x of shape (M, L_ref, 4), L_ref >= length."
                )
            from .._validate import check_onehot

            ref = check_onehot(reference, "reference", strict=True)
            if ref.shape[1] < L:
                raise InputError(
                    f"reference sequences are {ref.shape[1]} bp, shorter than length={L}."
                )
            self.reference = ref

    def _suffix(self, lo: np.ndarray) -> np.ndarray:
        """``suffix[off + j]`` = best possible score of rows ``j+1 .. w-1`` of each motif."""
        out = np.zeros(lo.shape[0])
        for k in range(len(self.widths)):
            rows = lo[self.offsets[k] : self.offsets[k + 1]].max(axis=1)
            out[self.offsets[k] : self.offsets[k + 1]] = np.concatenate(
                [np.cumsum(rows[::-1])[::-1][1:], [0.0]]
            )
        return out

    def _prefix_table(self, lo: np.ndarray) -> np.ndarray:
        """``(K, 256)`` score of the first four rows of each motif for every 4-mer code."""
        digits = (np.arange(256)[:, None] >> np.array([6, 4, 2, 0])[None, :]) & 3
        out = np.zeros((len(self.widths), 256))
        for k in range(len(self.widths)):
            if self.widths[k] >= 4:
                rows = lo[self.offsets[k] : self.offsets[k] + 4]
                out[k] = rows[np.arange(4)[None, :], digits].sum(axis=1)
        return out

    # ------------------------------------------------------------------ one chunk
    def run_chunk(self, first: int, count: int, seed: int) -> dict[str, Any]:
        cfg = self.config
        L = int(cfg.length)
        R = len(cfg.rules)
        maxi = self.maxi
        inst_motif = np.full((count, maxi), -1, dtype=np.int64)
        inst_start = np.zeros((count, maxi), dtype=np.int64)
        inst_strand = np.zeros((count, maxi), dtype=np.int64)
        inst_rule = np.full((count, maxi), -1, dtype=np.int64)
        inst_score = np.zeros((count, maxi), dtype=np.float64)
        inst_sites = np.zeros((count, maxi, self.wmax), dtype=np.uint8)
        n_inst = np.zeros(count, dtype=np.int64)
        states = np.zeros((count, max(R, 1)), dtype=np.int8)
        latent = np.zeros(count)
        noise = np.zeros(count)
        u_label = np.zeros(count)
        failed = np.zeros(count, dtype=np.bool_)
        K.design_kernel(
            count, first, seed, L, cfg.edge, cfg.min_gap, cfg.near,
            self.widths, self.cum_pwm, self.offsets, self.logodds, self.site_thr, self.main,
            self.rule_a, self.rule_b, self.rule_dmin, self.rule_dmax, self.rule_omask,
            self.rule_effect, self.rule_state_cum.reshape(R, 4) if R else np.zeros((0, 4)),
            self.group_cum, self.free, self.free_p,
            inst_motif, inst_start, inst_strand, inst_rule, inst_score, inst_sites, n_inst,
            states, latent, noise, u_label, failed,
        )
        if failed.any():
            i = int(np.flatnonzero(failed)[0]) + first
            raise InputError(
                f"Could not place all planted motifs without overlap in sequence {i} "
                f"(length {L} bp): the design is too crowded. Use a longer length, smaller "
                f"min_gap/edge, fewer rules per sequence (group_probs) or lower p_present."
            )
        latent += cfg.bias
        bases = np.zeros((count, L), dtype=np.uint8)
        use_given = False
        if self.reference is not None:
            use_given = True
            rng = np.random.default_rng([int(seed), int(first), 0xB6])
            M, Lr = self.reference.shape[:2]
            ridx = rng.integers(0, M, size=count)
            roff = rng.integers(0, Lr - L + 1, size=count)
            crop = np.stack([self.reference[j, o : o + L] for j, o in zip(ridx, roff)])
            from ..sequence import dinucleotide_shuffle

            sh = dinucleotide_shuffle(crop, 1, seed=int(rng.integers(0, 2**62)))[:, 0]
            bases[:] = sh.argmax(axis=-1)
        gc = np.zeros(count)
        planted = np.zeros((count, L), dtype=np.int16)
        lo, hi = cfg.gc_range
        K.background_kernel(count, first, seed, L, lo, hi, use_given, bases, gc,
                            inst_motif, inst_start, inst_sites, n_inst, self.widths, planted)
        removed = np.zeros(count, dtype=np.int64)
        matches = None
        if cfg.match_p is not None:
            remaining = np.zeros(count, dtype=np.int64)
            rounds = _MAX_CLEAN_ROUNDS if cfg.remove_matches else 0
            K.clean_kernel(count, first, seed, bases, planted, gc, self.scan_motifs, self.widths,
                           self.offsets, self.logodds, self.suffix, self.logodds_rc,
                           self.suffix_rc, self.pre, self.pre_rc, self.match_thr, rounds, removed,
                           remaining)
            matches = self._collect_matches(bases, planted, remaining, first)
        return dict(
            bases=bases, inst_motif=inst_motif, inst_start=inst_start, inst_strand=inst_strand,
            inst_rule=inst_rule, inst_score=inst_score, inst_sites=inst_sites, n_inst=n_inst,
            states=states[:, :R], latent=latent, noise=noise, u_label=u_label, gc=gc,
            removed=int(removed.sum()), matches=matches,
        )

    def _collect_matches(self, bases: np.ndarray, planted: np.ndarray, remaining: np.ndarray,
                         first: int) -> dict[str, np.ndarray]:
        """The accidental matches counted in ``remaining`` (not on a planted site of the same
        motif), as columns ``seq, motif, start, strand, score``."""
        seqs = np.flatnonzero(remaining).astype(np.int64)
        starts = np.concatenate([[0], np.cumsum(remaining[seqs])[:-1]]).astype(np.int64)
        tot = int(remaining.sum())
        out: dict[str, np.ndarray] = {k: np.zeros(tot, dtype=np.int64) for k in ("motif", "start", "strand")}
        out["score"] = np.zeros(tot)
        if tot:
            K.fill_matches_kernel(seqs, bases, planted, self.scan_motifs, self.widths, self.offsets,
                                  self.logodds, self.suffix, self.logodds_rc, self.suffix_rc,
                                  self.pre, self.pre_rc, self.match_thr, starts, out["motif"], out["start"],
                                  out["strand"], out["score"])
        local = np.repeat(seqs, remaining[seqs])
        cols = np.minimum(out["start"][:, None] + np.arange(self.wmax), bases.shape[1] - 1)
        out["words"] = bases[local[:, None], cols]
        out["seq"] = local + first
        return out

    # ------------------------------------------------------------------ tables
    def instance_frame(self, chunks: list[dict[str, Any]], firsts: list[int]) -> pd.DataFrame:
        cols: dict[str, list[np.ndarray]] = {k: [] for k in ("seq", "mi", "start", "strand", "rule", "score", "site")}
        for c, first in zip(chunks, firsts):
            n = c["n_inst"]
            mask = np.arange(self.maxi)[None, :] < n[:, None]
            rows, slots = np.nonzero(mask)
            cols["seq"].append(rows + first)
            cols["mi"].append(c["inst_motif"][rows, slots])
            cols["start"].append(c["inst_start"][rows, slots])
            cols["strand"].append(c["inst_strand"][rows, slots])
            cols["rule"].append(c["inst_rule"][rows, slots])
            cols["score"].append(c["inst_score"][rows, slots])
            cols["site"].append(c["inst_sites"][rows, slots])
        seq = np.concatenate(cols["seq"]).astype(np.int64)
        mi = np.concatenate(cols["mi"]).astype(np.int64)
        start = np.concatenate(cols["start"]).astype(np.int64)
        strand = np.concatenate(cols["strand"])
        rule = np.concatenate(cols["rule"]).astype(np.int64)
        score = np.concatenate(cols["score"])
        sites = np.concatenate(cols["site"]) if cols["site"] else np.zeros((0, self.wmax), np.uint8)
        letters = np.frombuffer(b"ACGT", dtype=np.uint8)[sites]
        width = self.widths[mi] if len(mi) else np.zeros(0, np.int64)
        site_str = [bytes(row[:w]).decode() for row, w in zip(letters, width)]
        roles = self.roles()
        partner = np.where(rule < 0, "", np.where(mi == self.rule_a[np.maximum(rule, 0)] if len(self.rule_a) else False, "A", "B"))
        pv = self.p_values(mi, strand, sites)
        df = pd.DataFrame({
            "seq": seq,
            "motif": np.array(self.names, dtype=object)[mi] if len(mi) else np.array([], dtype=object),
            "motif_index": mi,
            "start": start,
            "end": start + width,
            "strand": np.where(strand > 0, "+", "-"),
            "role": np.array(roles, dtype=object)[mi] if len(mi) else np.array([], dtype=object),
            "rule": rule,
            "partner": partner,
            "site": site_str,
            "score": score,
            "p_value": pv,
        })
        return df.sort_values(["seq", "start"], kind="stable").reset_index(drop=True)

    def p_values(self, motif_index: np.ndarray, strand: np.ndarray, words: np.ndarray) -> np.ndarray:
        """p-values of windows: the scanner's exact ``P(I' >= I)`` of the window's integer score
        ``I`` (:meth:`MotifScanner.pvalue_int`, 1/1000 bit), as ``kgenint scan`` reports it for
        every hit outside the few-word band it enumerates around its threshold.

        ``words`` is uint8 ``(n, >= width)``: each window's bases (0-3) on the + strand of the
        sequence, from its start; ``strand`` > 0 for the + strand.
        """
        pv = np.ones(len(motif_index))
        for k in np.unique(motif_index).tolist():
            sel = np.flatnonzero(motif_index == k)
            mat = self.pvalues.int_matrices_[k]
            w = mat.shape[0]
            wd = words[sel, :w].astype(np.int64)
            minus = strand[sel] <= 0
            wd[minus] = 3 - wd[minus, ::-1]  # the motif's strand
            pv[sel] = self.pvalues.pvalue_int(k, mat[np.arange(w), wd].sum(axis=1))
        return pv

    def roles(self) -> list[str]:
        out = [""] * len(self.names)
        for r in self.config.rules:
            out[self.names.index(r.motif_a)] = r.kind
            out[self.names.index(r.motif_b)] = r.kind
        for m in self.config.motifs:
            out[self.names.index(m.name)] = m.role
        return out

    def motif_table(self) -> pd.DataFrame:
        rule_of = {}
        for i, r in enumerate(self.config.rules):
            rule_of[r.motif_a] = i
            rule_of[r.motif_b] = i
        p_present = {m.name: m.p_present for m in self.config.motifs}
        return pd.DataFrame({
            "motif_index": np.arange(len(self.names)),
            "name": self.names,
            "source_id": [m.metadata.get("source_id", m.name) for m in self.motifs],
            "width": self.widths,
            "role": self.roles(),
            "main_effect": self.main,
            "rule": [rule_of.get(n, -1) for n in self.names],
            "p_present": [p_present.get(n, np.nan) for n in self.names],
        })

    def rules_frame(self) -> pd.DataFrame:
        L = self.config.length
        rows = []
        for i, r in enumerate(self.config.rules):
            dmin, dmax = r.window(L)
            order = "a_first" if dmin > 0 else "b_first" if dmax < 0 else "any"
            inter = r.interaction
            rows.append({
                "rule": i, "kind": r.kind, "placement": r.placement or r.kind,
                "motif_a": r.motif_a, "motif_b": r.motif_b,
                "index_a": self.names.index(r.motif_a), "index_b": self.names.index(r.motif_b),
                "dmin": int(dmin), "dmax": int(dmax), "orientations": r.orientations, "order": order,
                "sign": int(np.sign(inter)), "effect": abs(inter), "interaction": inter,
                "main_a": float(r.main_a), "main_b": float(r.main_b),
            })
        cols = ["rule", "kind", "placement", "motif_a", "motif_b", "index_a", "index_b", "dmin",
                "dmax", "orientations", "order", "sign", "effect", "interaction", "main_a", "main_b"]
        return pd.DataFrame(rows, columns=cols)

    def match_frame(self, parts: list[dict[str, np.ndarray] | None]) -> pd.DataFrame:
        found = [p for p in parts if p is not None]
        cols = ["seq", "motif", "motif_index", "start", "end", "strand", "score", "p_value"]
        if not found:
            return pd.DataFrame(columns=cols)
        cat = {k: np.concatenate([p[k] for p in found]) for k in found[0]}
        mi = cat["motif"]
        pv = self.p_values(mi, cat["strand"], cat["words"])
        return pd.DataFrame({
            "seq": cat["seq"], "motif": np.array(self.names, dtype=object)[mi] if len(mi) else [],
            "motif_index": mi, "start": cat["start"], "end": cat["start"] + self.widths[mi],
            "strand": np.where(cat["strand"] > 0, "+", "-"), "score": cat["score"], "p_value": pv,
        }, columns=cols)


def _labels(config: SimulationConfig, latent: np.ndarray, noise: np.ndarray, u: np.ndarray):
    """Threshold, probabilities and classes (see :class:`SimulationConfig`)."""
    pf = config.positive_fraction
    if config.label_mode == "threshold":
        thr = float(np.quantile(latent + noise, 1 - pf))
        y = (latent + noise > thr).astype(np.uint8)
        return thr, y.astype(np.float64), y
    tau = config.temperature
    lo, hi = float(latent.min()) - 50 * tau, float(latent.max()) + 50 * tau
    for _ in range(100):  # bisection: mean sigmoid((latent - c) / tau) == pf
        c = 0.5 * (lo + hi)
        p = _sigmoid((latent - c) / tau).mean()
        if p > pf:
            lo = c
        else:
            hi = c
    thr = 0.5 * (lo + hi)
    prob = _sigmoid((latent - thr) / tau)
    return thr, prob, (u < prob).astype(np.uint8)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _resolve_config(config: SimulationConfig | str) -> SimulationConfig:
    if isinstance(config, SimulationConfig):
        return config
    if isinstance(config, str):
        return get_preset(config)
    raise InputError(
        f"config must be a SimulationConfig or a preset name. Received {type(config).__name__}."
    )


def _check_n(n: Any, config: SimulationConfig) -> int:
    if n is None:
        return int(config.n_default)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or int(n) <= 0:
        raise InputError(f"n (number of sequences) must be a positive integer. Received n={n!r}.")
    return int(n)


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2**63:
        raise InputError(f"seed must be a non-negative integer. Received seed={seed!r}.")
    return int(seed)


def _chunks(n: int):
    for first in range(0, n, CHUNK):
        yield first, min(CHUNK, n - first)


def _finish_truth(plan: _Plan, seed: int, insts: pd.DataFrame, parts, states, latent, noise_z, u,
                  gc, removed) -> tuple[GroundTruth, np.ndarray, np.ndarray]:
    cfg = plan.config
    noise = cfg.noise_sd * noise_z
    thr, prob, y = _labels(cfg, latent, noise, u)
    truth = GroundTruth(
        motifs=plan.motifs,
        motif_table=plan.motif_table(),
        rules=plan.rules_frame(),
        instances=insts,
        background_matches=plan.match_frame(parts),
        states=states,
        latent=latent,
        noise=noise,
        probability=prob,
        gc=gc,
        threshold=thr,
        temperature=float(cfg.temperature),
        n_removed=int(removed),
        config=cfg,
        seed=seed,
    )
    y_reg = (latent + noise).astype(np.float32)[:, None]
    return truth, y[:, None], y_reg


def _generate(plan: _Plan, n: int, seed: int, progress: bool,
              store: Callable[[int, int, np.ndarray], None]):
    """Run ``plan`` chunk by chunk; ``store(first, count, bases)`` keeps each chunk's sequences.

    Returns ``(truth, y_class, y_reg)`` of :func:`_finish_truth`.
    """
    from ..progress import progress as _progress

    chunks, firsts = [], []
    bar = _progress(total=n, desc="simulate", unit="seq", disable=not progress or None)
    for first, count in _chunks(n):
        c = plan.run_chunk(first, count, seed)
        store(first, count, c.pop("bases"))
        chunks.append(c)
        firsts.append(first)
        bar.update(count)
    bar.close()
    insts = plan.instance_frame(chunks, firsts)
    cat = lambda k: np.concatenate([c[k] for c in chunks])  # noqa: E731
    return _finish_truth(
        plan, seed, insts, [c["matches"] for c in chunks], cat("states"), cat("latent"),
        cat("noise"), cat("u_label"), cat("gc"), sum(c["removed"] for c in chunks),
    )


def simulate(
    config: SimulationConfig | str = "default",
    n: int | None = None,
    seed: int = 0,
    *,
    motifs: Any = None,
    reference: Any = None,
    progress: bool = False,
) -> SimulatedData:
    """Simulate a data set with planted motif interactions, in memory.

    Parameters
    ----------
    config : SimulationConfig or str
        A configuration or a preset name (``"default"``, ``"additive"``, ``"long"``).
    n : int, optional
        Number of sequences (default ``config.n_default``).
    seed : int
        Master seed; the data, labels and split are a function of ``(config, n, seed)`` only
        (sequence ``i`` does not even depend on ``n``, apart from its label threshold).
    motifs : list of Motif or dict of str -> Motif, optional
        Where to find the motifs named in ``config`` (default: the curated JASPAR set).
    reference : array_like, shape (M, L_ref, 4), optional
        One-hot reference sequences for ``backgrounds="shuffle"``.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    SimulatedData
        ``x`` float32 (N, L, 4), ``y_class`` uint8 (N, 1), ``y_reg`` float32 (N, 1), ``split``,
        ``sequence_ids``, ``truth``.

    Raises
    ------
    InputError
        Unknown preset, n <= 0, a motif wider than the sequence, a spacing window that does not
        fit, a design too crowded to place without overlaps.

    Examples
    --------
    >>> data = simulate("default", n=1000, seed=0)           # doctest: +SKIP
    >>> data.x.shape, data.truth.interacting_pairs()          # doctest: +SKIP
    """
    cfg = _resolve_config(config)
    n = _check_n(n, cfg)
    seed = _check_seed(seed)
    plan = _Plan(cfg, motifs, reference)
    L = cfg.length
    x = np.zeros((n, L, 4), dtype=np.float32)

    def store(first: int, count: int, bases: np.ndarray) -> None:
        K.onehot_kernel(bases, x[first : first + count])

    truth, y_class, y_reg = _generate(plan, n, seed, progress, store)
    return SimulatedData(
        x=x, y_class=y_class, y_reg=y_reg, split=make_split(n, cfg.split, seed),
        sequence_ids=sequence_ids(n), truth=truth, seed=seed, preset=cfg.preset,
    )


def sequence_ids(n: int) -> np.ndarray:
    """``sim_0000000 ...`` identifiers of ``n`` simulated sequences."""
    return np.array([f"sim_{i:07d}" for i in range(n)], dtype=object)


def simulate_to_hdf5(
    path: str | os.PathLike,
    config: SimulationConfig | str = "default",
    n: int | None = None,
    seed: int = 0,
    *,
    motifs: Any = None,
    reference: Any = None,
    progress: bool = False,
    x_dtype: str = "uint8",
) -> GroundTruth:
    """Simulate straight into an HDF5 file, chunk by chunk (memory independent of ``n`` apart
    from the instance table and O(N) label vectors).  Same data as :func:`simulate`.

    Parameters
    ----------
    path : str or PathLike
        Output file, written atomically (temporary file, then renamed).
    config, n, seed, motifs, reference, progress
        As in :func:`simulate`.
    x_dtype : str
        ``"uint8"`` (default, 4x smaller) or ``"float32"`` for ``/x``.

    Returns
    -------
    GroundTruth
    """
    from .io import _atomic_h5, write_arrays_header, write_labels_and_truth

    cfg = _resolve_config(config)
    n = _check_n(n, cfg)
    seed = _check_seed(seed)
    if x_dtype not in ("uint8", "float32"):
        raise InputError(f"x_dtype must be 'uint8' or 'float32'. Received {x_dtype!r}.")
    plan = _Plan(cfg, motifs, reference)
    L = cfg.length

    with _atomic_h5(path) as f:
        dx = write_arrays_header(f, n, L, x_dtype, cfg, seed)
        buf = np.zeros((CHUNK, L, 4), dtype=np.uint8 if x_dtype == "uint8" else np.float32)

        def store(first: int, count: int, bases: np.ndarray) -> None:
            b = buf[:count]
            b[:] = 0
            K.onehot_kernel(bases, b)
            dx[first : first + count] = b

        truth, y_class, y_reg = _generate(plan, n, seed, progress, store)
        write_labels_and_truth(f, y_class, y_reg, make_split(n, cfg.split, seed),
                               sequence_ids(n), truth)
    return truth
