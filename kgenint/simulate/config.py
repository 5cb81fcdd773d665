"""Configuration of the synthetic benchmark: motifs, pair rules, presets.

A data set is described by a :class:`SimulationConfig`: the sequence length and background, the
single motifs (main effect only, or decoys that carry no signal), the pair rules
(:class:`PairRule`) and how often each situation is planted, the effect sizes, the noise and how
labels are drawn.  Three presets are built in (:data:`PRESETS`): ``"default"``, ``"additive"``
(the null data set: the same sequences as ``"default"`` for the same seed, but no interaction
terms) and ``"long"`` (1 kb sequences with a 300-600 bp spacing rule).

Rule semantics (latent activity scale; ``d = start_B - start_A`` in bp between the two sites'
leftmost positions on the + strand of the sequence, orientation = strand of A + strand of B)

=============  ==============================================  ============================
kind           satisfied when A and B are both present and     interaction term when satisfied
=============  ==============================================  ============================
additive       (always)                                        0 (effects add)
and            (always)                                        ``+effect``
spacing        ``dmin <= d <= dmax``                           ``+effect``
orientation    orientation in the allowed set (and d in the        ``+effect``
               window, when one is given)
order          ``dmin <= d <= dmax`` with ``dmin > 0`` (A          ``+effect``
               upstream of B; default window ``(1, L)``)
xor            (always)                                        ``-(main_a + main_b)``: both = neither
or             (always)                                        ``-min(main_a, main_b)``: both = the larger one
=============  ==============================================  ============================

For ``and``/``spacing``/``orientation``/``order`` rules ``sign=-1`` makes the term negative
(antagonism).  A ``xor`` rule with ``main_b = 0`` is the "B cancels A" antagonism.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, cast

from .._deprecation import renamed_args, renamed_fields
from ..errors import InputError

__all__ = [
    "MotifSpec",
    "PairRule",
    "SimulationConfig",
    "PRESETS",
    "RULE_KINDS",
    "ORIENTATIONS",
    "get_preset",
]

RULE_KINDS = ("additive", "and", "spacing", "orientation", "order", "xor", "or")
ORIENTATIONS = ("++", "+-", "-+", "--")
#: rule kinds that can be planted as "both present but the rule violated"
_CONSTRAINED = ("spacing", "orientation", "order")


def _parse_orientations(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, str):
        if value.strip().lower() in ("any", "*", ""):
            return ORIENTATIONS
        parts = [v.strip() for v in value.replace(";", ",").split(",")]
    else:
        parts = [str(v).strip() for v in value]
    out = []
    for p in parts:
        if p not in ORIENTATIONS:
            raise InputError(
                f"Unknown orientation {p!r}: use strand of A followed by strand of B, one of "
                f"{', '.join(ORIENTATIONS)} (or 'any')."
            )
        if p not in out:
            out.append(p)
    return tuple(o for o in ORIENTATIONS if o in out)


@dataclass
class MotifSpec:
    """A motif planted on its own (not part of a pair rule).

    Parameters
    ----------
    name : str
        Motif identifier or TF name in the motif source (e.g. ``"CEBPB"`` or ``"MA0466.4"``).
    role : str
        ``"main"`` (main effect only) or ``"decoy"`` (planted, no effect).
    effect : float
        Main effect on the latent activity (latent units) when the motif is present; must be 0
        for decoys.
    p_present : float
        Probability that a sequence carries one instance.
    """

    name: str
    role: str = "main"
    effect: float = 1.0
    p_present: float = 0.2

    def __post_init__(self) -> None:
        if self.role not in ("main", "decoy"):
            raise InputError(
                f"Motif {self.name!r}: role must be 'main' or 'decoy' (pair partners are given "
                f"by a PairRule). Received: role={self.role!r}"
            )
        if self.role == "decoy" and self.effect != 0:
            raise InputError(f"Decoy motif {self.name!r} must have effect 0. Received {self.effect}.")
        if not 0.0 <= float(self.p_present) <= 1.0:
            raise InputError(
                f"Motif {self.name!r}: p_present must be in [0, 1]. Received {self.p_present}."
            )


@dataclass
class PairRule:
    """A planted rule between motifs A and B.

    Parameters
    ----------
    kind : str
        One of ``additive, and, spacing, orientation, order, xor, or`` (see module docstring).
    motif_a, motif_b : str
        Motif names (must be different, and not used by another rule or as a single motif).
    effect : float
        Size of the interaction term (latent units) for ``and/spacing/orientation/order``;
        ignored for ``additive/xor/or`` whose term follows from the main effects.
    sign : int
        +1 synergy, -1 antagonism for ``and/spacing/orientation/order``.
    main_a, main_b : float
        Main effects of A and B (latent units) when present.
    distance : (int, int) or None
        Window ``(dmin, dmax)`` on ``d = start_B - start_A`` (bp).  Required for ``spacing``;
        ``order`` uses ``(1, L)``; others default to "any".  For ``additive`` rules the window
        only shapes where pairs are placed.
    orientations : str
        Allowed orientations for ``orientation`` rules (``"+-"``, ``"++,--"`` ...); "any" else.
    p_states : (float, float, float, float)
        When the rule is used in a sequence: probabilities of A only, B only, both (rule
        satisfied), both (rule violated; only for constrained kinds, otherwise merged into
        "both").
    placement : str or None
        Rule kind whose placement statistics (window, orientations, violated state) are used;
        defaults to ``kind``.  The ``additive`` preset sets it to the kind of the ``default``
        rule it replaces, so both presets plant the same sequences.
    """

    kind: str
    motif_a: str
    motif_b: str
    effect: float = 2.0
    sign: int = 1
    main_a: float = 0.0
    main_b: float = 0.0
    distance: tuple[int, int] | None = None
    orientations: str = "any"
    p_states: tuple[float, float, float, float] = (0.25, 0.25, 0.3, 0.2)
    placement: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise InputError(
                f"Unknown rule kind {self.kind!r}. Use one of: {', '.join(RULE_KINDS)}."
            )
        if self.motif_a == self.motif_b:
            raise InputError(f"Rule {self.kind}: motif_a and motif_b must differ ({self.motif_a!r}).")
        if self.sign not in (1, -1):
            raise InputError(f"Rule {self.kind} {self.motif_a}-{self.motif_b}: sign must be +1 or -1.")
        if self.effect < 0:
            raise InputError(
                f"Rule {self.kind} {self.motif_a}-{self.motif_b}: effect is a magnitude (>= 0); "
                f"use sign=-1 for antagonism. Received effect={self.effect}."
            )
        if self.placement is not None and self.placement not in RULE_KINDS:
            raise InputError(f"Unknown placement kind {self.placement!r}. Use one of: {', '.join(RULE_KINDS)}.")
        if self.kind == "spacing" and self.distance is None:
            raise InputError(
                f"Spacing rule {self.motif_a}-{self.motif_b} needs distance=(dmin, dmax) in bp "
                f"between the motif starts (start_B - start_A)."
            )
        if self.distance is not None:
            d = tuple(int(v) for v in self.distance)
            if len(d) != 2 or d[0] > d[1]:
                raise InputError(
                    f"Rule {self.kind} {self.motif_a}-{self.motif_b}: distance must be (dmin, dmax) "
                    f"with dmin <= dmax. Received {self.distance}."
                )
            self.distance = d
        self.orientations = ",".join(_parse_orientations(self.orientations))
        if self.kind == "orientation" and len(self.orientations.split(",")) == 4:
            raise InputError(
                f"Orientation rule {self.motif_a}-{self.motif_b} must allow fewer than all four "
                f"orientations, e.g. orientations='+-'."
            )
        p = [float(v) for v in self.p_states]
        if len(p) != 4 or any(v < 0 for v in p) or sum(p) <= 0:
            raise InputError(
                f"Rule {self.kind} {self.motif_a}-{self.motif_b}: p_states must be 4 non-negative "
                f"probabilities (A only, B only, both satisfied, both violated). Received {self.p_states}."
            )
        self.p_states = (p[0], p[1], p[2], p[3])  # len(p) == 4 checked above

    # ---------------------------------------------------------------- derived quantities
    @property
    def constrained(self) -> bool:
        """True for kinds whose "both present" can violate the rule."""
        return (self.placement or self.kind) in _CONSTRAINED

    def window(self, length: int) -> tuple[int, int]:
        """The distance window ``(dmin, dmax)`` of satisfied placements for sequences of ``length``."""
        if self.distance is not None:
            return self.distance
        if (self.placement or self.kind) == "order":
            return (1, length)
        return (-length, length)

    @property
    def interaction(self) -> float:
        """Signed interaction term added to the latent activity when the rule is satisfied.

        Equals the interaction contrast ``f(A and B) - f(A) - f(B) + f(neither)`` on the latent
        scale for a satisfying placement.
        """
        if self.kind == "additive":
            return 0.0
        if self.kind == "xor":
            return -(self.main_a + self.main_b)
        if self.kind == "or":
            return -min(self.main_a, self.main_b)
        return float(self.sign) * float(self.effect)

    def state_probabilities(self) -> tuple[float, float, float, float]:
        """Normalised (A only, B only, both satisfied, both violated)."""
        p = list(self.p_states)
        if not self.constrained:
            p[2] += p[3]
            p[3] = 0.0
        s = sum(p)
        return (p[0] / s, p[1] / s, p[2] / s, p[3] / s)


@renamed_fields({"background": "backgrounds"})
@dataclass
class SimulationConfig:
    """Everything that defines a simulated data set except ``n`` and ``seed``.

    Parameters
    ----------
    preset : str
        Name of the preset this came from (``"custom"`` otherwise).
    length : int
        Sequence length L (bp).
    motifs : list of MotifSpec
        Single motifs (main effect only, or decoys).
    rules : list of PairRule
        Pair rules; each motif takes part in at most one rule.
    group_probs : tuple of float
        Probabilities that a sequence uses 0, 1, 2, ... of the pair rules (chosen uniformly
        without replacement).
    bias : float
        Latent activity of a sequence without motifs.
    noise_sd : float
        Standard deviation of the Gaussian noise of the continuous target (latent units).
    label_mode : str
        ``"logistic"``: ``y_class ~ Bernoulli(sigmoid((latent - threshold) / temperature))``
        with the noise-free latent, so the Bayes-optimal logit is exactly linear in the latent
        (main effects stay additive on the logit scale); ``"threshold"``:
        ``y_class = (latent + noise) > threshold``.  In both modes ``threshold`` is chosen so
        that the expected fraction of positives is ``positive_fraction``.
    temperature : float
        Temperature of the logistic label draw (latent units per logit unit).
    positive_fraction : float
        Target class balance.
    backgrounds : str
        How the background sequences the motifs are planted into are made: ``"gc"`` (i.i.d.
        bases, per-sequence GC ~ U(gc_range)) or ``"shuffle"`` (dinucleotide shuffles of a
        reference set passed to :func:`kgenint.simulate.simulate`). (Old name: ``background``;
        data files written with it still load.)
    gc_range : (float, float)
        Range of the per-sequence GC fraction of ``"gc"`` backgrounds.
    min_gap : int
        Minimum number of background bases between two planted sites.
    edge : int
        No site starts closer than this to either sequence end (bp).
    near : int
        Violated spacing placements are drawn within ``near`` bp of the window half the time
        (near misses), anywhere otherwise.
    trim_ic : float or None
        Trim motif flanks below this information content (bits) before planting.
    site_max_p : float or None
        If set, planted sites are redrawn from the PWM until their p-value is at most this.
    match_p : float or None
        p-value threshold (log-odds score against a uniform background) of accidental matches
        of the planted motifs in the background; None disables the search.
    remove_matches : bool
        Re-sample the background bases under accidental matches (up to 10 rounds); whatever
        remains is recorded in the ground truth.
    split : (float, float, float)
        Train / validation / test fractions.
    n_default : int
        Number of sequences when ``n`` is not given.
    """

    preset: str = "custom"
    length: int = 200
    motifs: list[MotifSpec] = field(default_factory=list)
    rules: list[PairRule] = field(default_factory=list)
    group_probs: tuple[float, ...] = (0.1, 0.4, 0.5)
    bias: float = 0.0
    noise_sd: float = 0.5
    label_mode: str = "logistic"
    temperature: float = 0.3
    positive_fraction: float = 0.5
    backgrounds: str = "gc"
    gc_range: tuple[float, float] = (0.40, 0.46)
    min_gap: int = 2
    edge: int = 5
    near: int = 15
    trim_ic: float | None = 0.3
    site_max_p: float | None = 1e-4
    match_p: float | None = 1e-3
    remove_matches: bool = True
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)
    n_default: int = 40000

    def __post_init__(self) -> None:
        self.motifs = [m if isinstance(m, MotifSpec) else MotifSpec(**m) for m in self.motifs]
        self.rules = [r if isinstance(r, PairRule) else PairRule(**r) for r in self.rules]
        self.group_probs = tuple(float(v) for v in self.group_probs)
        # the lengths are checked by validate(), which reports a wrong one with the value
        self.gc_range = cast(tuple[float, float], tuple(float(v) for v in self.gc_range))
        self.split = cast(tuple[float, float, float], tuple(float(v) for v in self.split))

    # ---------------------------------------------------------------- checks
    def validate(self) -> None:
        """Check the configuration itself (motif widths are checked once motifs are resolved).

        Raises
        ------
        InputError
            Bad lengths, probabilities, duplicated motifs, spacing windows that do not fit.
        """
        if int(self.length) != self.length or self.length < 10:
            raise InputError(f"length must be an integer >= 10 bp. Received: length={self.length}")
        if not self.motifs and not self.rules:
            raise InputError("The configuration plants nothing: give motifs and/or rules.")
        names = [m.name for m in self.motifs] + [n for r in self.rules for n in (r.motif_a, r.motif_b)]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InputError(
                f"Motif(s) {', '.join(dup)} appear in more than one role; each motif may be a single "
                f"motif or the partner of one rule, so that its role in the ground truth is unique."
            )
        if (
            len(self.group_probs) < 1
            or any(p < 0 for p in self.group_probs)
            or sum(self.group_probs) <= 0
        ):
            raise InputError(f"group_probs must be non-negative with a positive sum. Received {self.group_probs}.")
        if len(self.group_probs) - 1 > max(len(self.rules), 0) and any(
            p > 0 for p in self.group_probs[len(self.rules) + 1 :]
        ):
            raise InputError(
                f"group_probs asks for up to {len(self.group_probs) - 1} rules per sequence but only "
                f"{len(self.rules)} rule(s) are defined."
            )
        if self.noise_sd < 0:
            raise InputError(f"noise_sd must be >= 0. Received {self.noise_sd}.")
        if self.label_mode not in ("logistic", "threshold"):
            raise InputError(f"label_mode must be 'logistic' or 'threshold'. Received {self.label_mode!r}.")
        if self.temperature <= 0:
            raise InputError(f"temperature must be > 0. Received {self.temperature}.")
        if not 0 < self.positive_fraction < 1:
            raise InputError(f"positive_fraction must be in (0, 1). Received {self.positive_fraction}.")
        if self.backgrounds not in ("gc", "shuffle"):
            raise InputError(f"backgrounds must be 'gc' or 'shuffle'. Received {self.backgrounds!r}.")
        lo, hi = self.gc_range
        if not 0 < lo <= hi < 1:
            raise InputError(f"gc_range must satisfy 0 < low <= high < 1. Received {self.gc_range}.")
        if self.min_gap < 0 or self.edge < 0 or self.near < 0:
            raise InputError("min_gap, edge and near must be >= 0.")
        if len(self.split) != 3 or any(s < 0 for s in self.split) or abs(sum(self.split) - 1) > 1e-6:
            raise InputError(f"split must be three fractions summing to 1. Received {self.split}.")
        if self.match_p is not None and not 0 < self.match_p < 1:
            raise InputError(f"match_p must be in (0, 1) or None. Received {self.match_p}.")
        if self.site_max_p is not None and not 0 < self.site_max_p <= 1:
            raise InputError(f"site_max_p must be in (0, 1] or None. Received {self.site_max_p}.")
        span = self.length - 2 * self.edge
        for r in self.rules:
            if r.distance is not None:
                dmin, dmax = r.distance
                if min(abs(dmin), abs(dmax)) >= span and dmin * dmax > 0:
                    raise InputError(
                        f"Rule {r.kind} {r.motif_a}-{r.motif_b}: the distance window {r.distance} bp "
                        f"does not fit in sequences of length {self.length} (usable span {span} bp "
                        f"after {self.edge} bp edges). Use a longer length or a smaller window."
                    )
        if self.n_default <= 0:
            raise InputError(f"n_default must be > 0. Received {self.n_default}.")

    # ---------------------------------------------------------------- (de)serialisation
    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dictionary (see :meth:`from_dict`)."""
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SimulationConfig":
        """Inverse of :meth:`to_dict` (unknown keys are an error).

        Dictionaries of older versions load too: their key ``"background"`` is ``backgrounds``.
        """
        d = dict(d)
        for old, new in _OLD_KEYS.items():
            if old in d:
                if new in d and d[new] != d[old]:
                    raise InputError(f"Simulation config has both {old!r} (old name) and {new!r}, with different values.")
                d[new] = d.pop(old)
        known = {f.name for f in dataclasses.fields(cls)}
        bad = sorted(set(d) - known)
        if bad:
            raise InputError(f"Unknown simulation config key(s): {', '.join(bad)}.")
        for k in ("rules",):
            if k in d:
                d[k] = [
                    PairRule(**{**r, "distance": tuple(r["distance"]) if r.get("distance") else None,
                                "p_states": tuple(r["p_states"])})
                    if isinstance(r, dict) else r
                    for r in d[k]
                ]
        return cls(**d)

    @classmethod
    def from_json(cls, text: str) -> "SimulationConfig":
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> "SimulationConfig":
        """A preset (see :data:`PRESETS`) with fields replaced by ``overrides``."""
        cfg = get_preset(name)
        old = {k: overrides.pop(k) for k in list(overrides) if k in _OLD_KEYS}
        if old:
            overrides.update(renamed_args("SimulationConfig.from_preset", old, _OLD_KEYS,
                                          {n: overrides[n] for n in _OLD_KEYS.values() if n in overrides}, {}))
        if overrides:
            known = {f.name for f in dataclasses.fields(cls)}
            bad = sorted(set(overrides) - known)
            if bad:
                raise InputError(f"Unknown simulation config key(s): {', '.join(bad)}.")
            cfg = dataclasses.replace(cfg, **overrides)
        return cfg

    # ---------------------------------------------------------------- helpers
    def motif_names(self) -> list[str]:
        """All motif names in planting order: rule partners (A, B per rule), then singles."""
        out = []
        for r in self.rules:
            out += [r.motif_a, r.motif_b]
        out += [m.name for m in self.motifs]
        return out


#: old config keys (still read from data files and accepted by from_preset): the new names
_OLD_KEYS = {"background": "backgrounds"}


# --------------------------------------------------------------------------- presets
def _default() -> SimulationConfig:
    """200 bp, 18 motifs: 7 pair rules (one of every kind), 2 main-effect motifs, 2 decoys.

    100,000 sequences by default: with 40,000 the reference CNN (``interaction``, continuous
    target) over-fits before it learns the rules without main effects (AND, orientation,
    order) and the XOR motifs' own effects (test Pearson 0.74, pair AUROC 0.74); with 100,000
    it reaches Pearson 0.88 and every planted rule is recovered by the in-silico scan
    (benchmarks/RESULTS_validation.md). Generation takes ~10 s.
    """
    rules = [
        PairRule("additive", "FOXA1", "HNF4A", main_a=1.0, main_b=1.0),
        PairRule("and", "SPI1", "RUNX1", effect=2.0),
        PairRule("spacing", "SP1", "NFYA", effect=2.0, distance=(18, 22)),
        PairRule("orientation", "TEAD1", "TCF7L2", effect=2.0, orientations="+-",
                 distance=(-60, 60)),
        PairRule("order", "RELA", "GRHL2", effect=2.0, distance=(1, 60)),
        PairRule("xor", "CREB1", "HNF1A", main_a=1.5, main_b=1.5),
        PairRule("or", "E2F1", "TFAP2A", main_a=1.5, main_b=1.5),
    ]
    motifs = [
        MotifSpec("CEBPB", "main", 1.5, 0.2),
        MotifSpec("ZBTB33", "main", -1.5, 0.2),
        MotifSpec("MEF2C", "decoy", 0.0, 0.2),
        MotifSpec("RFX1", "decoy", 0.0, 0.2),
    ]
    return SimulationConfig(preset="default", length=200, motifs=motifs, rules=rules, n_default=100000)


def _additive() -> SimulationConfig:
    """The null data set: ``default`` with every rule made additive.

    The sequences (motif placements, sites, backgrounds) are identical to ``default`` for the
    same seed, because the design does not depend on effect sizes; only the labels change.
    Partners without a main effect in ``default`` get a main effect of 1.0, so every motif still
    matters; the windows of former spacing/order rules only shape placement.
    """
    cfg = _default()
    new_rules = []
    for r in cfg.rules:
        ma = r.main_a if r.main_a != 0 else 1.0
        mb = r.main_b if r.main_b != 0 else 1.0
        new_rules.append(
            dataclasses.replace(r, kind="additive", main_a=ma, main_b=mb, effect=0.0, sign=1,
                                placement=r.placement or r.kind)
        )
    cfg = dataclasses.replace(cfg, preset="additive", rules=new_rules)
    return cfg


def _long() -> SimulationConfig:
    """1 kb sequences, long-range rules: spacing window 300-600 bp, order and orientation rules
    up to 600 bp apart."""
    cfg = _default()
    rules = []
    for r in cfg.rules:
        if r.kind == "spacing":
            r = dataclasses.replace(r, distance=(300, 600))
        elif r.kind == "orientation":
            r = dataclasses.replace(r, distance=(-600, 600))
        elif r.kind == "order":
            r = dataclasses.replace(r, distance=(1, 600))
        rules.append(r)
    return dataclasses.replace(
        cfg, preset="long", length=1000, rules=rules, group_probs=(0.1, 0.3, 0.35, 0.25),
        n_default=20000, near=50,
    )


PRESETS: dict[str, Any] = {"default": _default, "additive": _additive, "long": _long}


def get_preset(name: str) -> SimulationConfig:
    """A fresh :class:`SimulationConfig` of preset ``name``.

    Raises
    ------
    InputError
        Unknown preset name.
    """
    try:
        return PRESETS[name]()
    except KeyError:
        raise InputError(
            f"Unknown simulation preset {name!r}. Choose one of: {', '.join(PRESETS)}."
        ) from None
