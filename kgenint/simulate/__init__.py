"""Synthetic benchmark with planted motif interactions: the ground truth kgenint is scored on.

>>> from kgenint.simulate import simulate, save, load_truth      # doctest: +SKIP
>>> data = simulate("default", n=20000, seed=0)                   # doctest: +SKIP
>>> data.truth.interacting_pairs()                                # doctest: +SKIP

Design (details in :mod:`kgenint.simulate.config` and docs/simulate.md)
-----------------------------------------------------------------------
* Backgrounds: i.i.d. bases with a per-sequence GC fraction ~ U(0.40, 0.46), or dinucleotide
  shuffles of reference sequences.
* Motifs from the curated JASPAR set, trimmed (IC < 0.3 bit flanks), sites sampled from the PWM
  (p <= 1e-4) on either strand, never overlapping (``min_gap`` bp apart), at most one instance
  of a motif per sequence.  Decoy motifs are planted but carry no effect.
* Pair rules (one of each kind in ``default``): additive control, AND, spacing window, orientation,
  order, XOR, OR; single motifs with main effects only.  Each sequence uses 0, 1 or 2 rules, each
  in one of the states "A only", "B only", "both, satisfied", "both, violated" (wrong spacing /
  orientation / order) at controlled frequencies, so that every rule is identifiable.
* ``latent = bias + sum(main effects of the motifs present) + sum(interaction terms of the
  satisfied rules)``; ``y_continuous = latent + N(0, noise_sd^2)``; ``y_class ~
  Bernoulli(sigmoid((latent - threshold) / temperature))`` (default) with ``threshold`` set for a
  balanced class ratio, so the Bayes-optimal logit is exactly additive in the main effects.
* Accidental matches (p < 1e-3) of the planted motifs in the background are re-sampled away;
  anything left is recorded in ``truth.background_matches``.  Thresholds and p-values are the
  motif scanner's (:class:`kgenint.motifs.MotifScanner`, uniform background, pseudocount 0.1),
  so a scan at ``match_p`` finds, besides the planted sites, exactly the recorded matches.

HDF5 layout (``format_version`` 1)
----------------------------------
::

    /                     attrs: format="kgenint.simulate", format_version=1, kgenint_version,
                                 generator_version (GENERATOR_VERSION; absent: 1), seed, preset,
                                 config (JSON of SimulationConfig), n, length
    /x                    (N, L, 4) uint8 (or float32) one-hot, ACGT; attr alphabet="ACGT"
    /y/class              (N, 1) uint8 binary labels
    /y/continuous         (N, 1) float32 continuous target (latent + noise)
    /split/train|valid|test   int64 sorted sequence indices (disjoint, complete)
    /sequence_ids         (N,) utf-8 strings "sim_0000000" ...
    /truth                attrs: threshold, temperature, n_removed, seed, config, state_names
    /truth/latent         (N,) float64 noise-free latent activity
    /truth/noise          (N,) float64 noise added to the continuous target
    /truth/probability    (N,) float64 P(class 1 | sequence)
    /truth/gc             (N,) float64 background GC fraction of each sequence
    /truth/states         (N, R) int8 rule state per sequence (0 unused, 1 A only, 2 B only,
                          3 both satisfied, 4 both violated)
    /truth/instances/     one dataset per column (attrs columns, n_rows): seq, motif,
                          motif_index, start, end (0-based half-open, + strand), strand ('+'/'-'),
                          role, rule, partner ('A'/'B'/''), site (bases as in the sequence),
                          score (log2-odds on the motif's strand), p_value
    /truth/rules/         columns: rule, kind, placement, motif_a, motif_b, index_a, index_b,
                          dmin, dmax (window on start_B - start_A, bp), orientations (e.g. "+-"),
                          order (a_first/b_first/any), sign (+1/-1/0), effect, interaction
                          (signed latent term), main_a, main_b
    /truth/background_matches/  columns: seq, motif, motif_index, start, end, strand, score,
                          p_value
    /truth/motifs/table/  columns: motif_index, name, source_id, width, role, main_effect, rule,
                          p_present
    /truth/motifs/pwm_000 ...   (W, 4) float64 PWMs; attrs name, alt_name, bg_freqs (older files: background), nsites;
                          group attr "meme" holds the same motifs as MEME text

Files are written atomically (temporary file + ``os.replace``).  :func:`load` also reads a
user's own file with only ``/x`` and ``/y``.
"""
from .config import PRESETS, MotifSpec, PairRule, SimulationConfig, get_preset
from .data import SimulatedData
from .generate import simulate, simulate_to_hdf5
from .resolve import make_split, resolve_motifs
from .io import FORMAT_VERSION, GENERATOR_VERSION, load, load_truth, save
from .truth import GroundTruth, latent_from_instances

__all__ = [
    "PRESETS",
    "FORMAT_VERSION",
    "GENERATOR_VERSION",
    "GroundTruth",
    "MotifSpec",
    "PairRule",
    "SimulatedData",
    "SimulationConfig",
    "get_preset",
    "latent_from_instances",
    "load",
    "load_truth",
    "make_split",
    "resolve_motifs",
    "save",
    "simulate",
    "simulate_to_hdf5",
]
