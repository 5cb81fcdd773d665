"""The :class:`GroundTruth` of a simulated data set: what was planted where, and which rules
turn it into labels.  Every method in kgenint is scored against it (:mod:`kgenint.evaluate`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable

import h5py
import numpy as np
import pandas as pd

from ..errors import InputError
from ..motifs.motif import Motif
from .config import ORIENTATIONS, SimulationConfig

__all__ = ["GroundTruth", "INSTANCE_COLUMNS", "RULE_COLUMNS", "STATE_NAMES", "latent_from_instances"]

INSTANCE_COLUMNS = [
    "seq", "motif", "motif_index", "start", "end", "strand", "role", "rule", "partner",
    "site", "score", "p_value",
]
RULE_COLUMNS = [
    "rule", "kind", "placement", "motif_a", "motif_b", "index_a", "index_b", "dmin", "dmax",
    "orientations", "order", "sign", "effect", "interaction", "main_a", "main_b",
]
MATCH_COLUMNS = ["seq", "motif", "motif_index", "start", "end", "strand", "score", "p_value"]
#: meaning of the values of :attr:`GroundTruth.states`
STATE_NAMES = {0: "unused", 1: "A only", 2: "B only", 3: "both, satisfied", 4: "both, violated"}


def _swap(ori: str) -> str:
    return ori[1] + ori[0]


@dataclass
class GroundTruth:
    """Everything planted in a simulated data set.

    Attributes
    ----------
    motifs : list of Motif
        The planted motifs (trimmed PWMs as used for sampling); ``motifs[k]`` has motif index k.
    motif_table : DataFrame
        One row per motif: ``motif_index, name, source_id, width, role, main_effect, rule,
        p_present``.  ``role`` is ``main``, ``decoy`` or the kind of the motif's rule.
    rules : DataFrame
        One row per pair rule (columns :data:`RULE_COLUMNS`): ``dmin, dmax`` bound
        ``start_B - start_A`` (bp) of satisfied placements, ``orientations`` the allowed
        strand pairs (strand of A + strand of B, comma separated), ``order`` ``a_first`` /
        ``b_first`` / ``any``, ``sign`` +1 synergy / -1 antagonism / 0 additive, ``effect`` the
        magnitude and ``interaction`` the signed term added to the latent activity when the rule
        is satisfied.
    instances : DataFrame
        One row per planted site (columns :data:`INSTANCE_COLUMNS`): 0-based half-open
        ``start, end`` on the + strand of the sequence, ``strand`` '+'/'-', ``site`` the bases
        as they appear in the sequence (+ strand), ``score`` the log2-odds score on the motif's
        strand and its ``p_value``; ``rule`` is the rule index (-1 for single motifs),
        ``partner`` 'A'/'B'/''.
    background_matches : DataFrame
        Accidental matches (p-value below ``config.match_p``) of the planted motifs that remain
        in the sequences and are not planted sites (columns ``seq, motif, motif_index, start,
        end, strand, score, p_value``).  They carry no effect on the labels.
    states : ndarray, int8, shape (N, R)
        Per sequence and rule, see :data:`STATE_NAMES`.
    latent : ndarray, float64, shape (N,)
        Noise-free latent activity: ``bias + sum of main effects of the motifs present +
        sum of the interaction terms of the satisfied rules``.
    noise : ndarray, float64, shape (N,)
        Gaussian noise of the continuous target (``y_continuous = latent + noise``).
    probability : ndarray, float64, shape (N,)
        ``P(y_class = 1)`` given the sequence (logistic mode) or the indicator (threshold mode).
    gc : ndarray, float64, shape (N,)
        GC fraction of each sequence's background model.
    threshold, temperature : float
        Label threshold and temperature (see :class:`SimulationConfig`).
    n_removed : int
        Accidental matches that were removed by re-sampling background bases.
    config : SimulationConfig
    seed : int
    """

    motifs: list[Motif]
    motif_table: pd.DataFrame
    rules: pd.DataFrame
    instances: pd.DataFrame
    background_matches: pd.DataFrame
    states: np.ndarray
    latent: np.ndarray
    noise: np.ndarray
    probability: np.ndarray
    gc: np.ndarray
    threshold: float
    temperature: float
    n_removed: int
    config: SimulationConfig
    seed: int
    _by_seq: Any = field(default=None, repr=False, compare=False)

    # ------------------------------------------------------------------ queries
    @property
    def n_sequences(self) -> int:
        """Number of sequences N."""
        return int(self.latent.shape[0])

    @property
    def motif_names(self) -> list[str]:
        """Motif names in motif-index order."""
        return [m.name for m in self.motifs]

    def instances_in(self, seq: int) -> pd.DataFrame:
        """The planted instances of sequence ``seq`` (rows of :attr:`instances`), by start."""
        seq = int(seq)
        if not 0 <= seq < self.n_sequences:
            raise InputError(f"Sequence index {seq} is out of range (0 .. {self.n_sequences - 1}).")
        if self._by_seq is None:
            s = self.instances["seq"].to_numpy()
            order = np.argsort(s, kind="stable")
            bounds = np.searchsorted(s[order], np.arange(self.n_sequences + 1))
            self._by_seq = (order, bounds)
        order, bounds = self._by_seq
        rows = order[bounds[seq] : bounds[seq + 1]]
        return self.instances.iloc[rows].sort_values("start").reset_index(drop=True)

    def motif_roles(self) -> dict[str, str]:
        """``{motif name: role}``: ``main``, ``decoy``, or the kind of its pair rule
        (``additive, and, spacing, orientation, order, xor, or``)."""
        return dict(zip(self.motif_table["name"], self.motif_table["role"]))

    def interacting_pairs(self) -> set[frozenset[str]]:
        """Unordered motif-name pairs with a real (non-zero) interaction term."""
        r = self.rules[self.rules["interaction"] != 0]
        return {frozenset((a, b)) for a, b in zip(r["motif_a"], r["motif_b"])}

    def additive_pairs(self) -> set[frozenset[str]]:
        """Unordered motif-name pairs planted as additive controls (must not be called)."""
        r = self.rules[self.rules["interaction"] == 0]
        return {frozenset((a, b)) for a, b in zip(r["motif_a"], r["motif_b"])}

    def to_frame(self) -> pd.DataFrame:
        """All planted instances as a tidy table (a copy of :attr:`instances`)."""
        return self.instances.copy()

    def rule_of(self, motif_a: str, motif_b: str) -> pd.Series | None:
        """The rule between two motifs (either order), or None."""
        m = ((self.rules["motif_a"] == motif_a) & (self.rules["motif_b"] == motif_b)) | (
            (self.rules["motif_a"] == motif_b) & (self.rules["motif_b"] == motif_a)
        )
        if not m.any():
            return None
        return self.rules[m].iloc[0]

    def interaction_effect(self, motif_a: str, motif_b: str, distance: int, orientation: str) -> float:
        """The planted interaction term for A at ``x`` and B at ``x + distance`` (bp between starts)
        with strands ``orientation`` (strand of ``motif_a`` + strand of ``motif_b``).

        This is the true value of ``f(A and B) - f(A) - f(B) + f(neither)`` on the latent scale,
        what an in-silico pairwise scan estimates.  Overlapping placements are not checked.
        """
        if orientation not in ORIENTATIONS:
            raise InputError(f"orientation must be one of {', '.join(ORIENTATIONS)}. Received {orientation!r}.")
        r = self.rule_of(motif_a, motif_b)
        if r is None or r["interaction"] == 0:
            return 0.0
        d, o = int(distance), orientation
        if r["motif_a"] != motif_a:  # the rule is stated for (B, A): flip the frame
            d, o = -d, _swap(o)
        if r["dmin"] <= d <= r["dmax"] and o in r["orientations"].split(","):
            return float(r["interaction"])
        return 0.0

    def effect_tensor(
        self,
        motifs: Iterable[str] | None = None,
        distances: Iterable[int] = range(-150, 151),
        orientations: Iterable[str] = ORIENTATIONS,
    ) -> np.ndarray:
        """Planted interaction terms on a scan grid, shape ``(K, K, D, O)`` float64.

        ``out[i, j, k, o] = interaction_effect(motifs[i], motifs[j], distances[k], orientations[o])``
        (the diagonal ``i == j`` is 0); the layout of the in-silico scan's ``effect`` array.
        """
        names = list(self.motif_names if motifs is None else motifs)
        dist = list(distances)
        oris = list(orientations)
        out = np.zeros((len(names), len(names), len(dist), len(oris)))
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                if i == j or self.rule_of(a, b) is None:
                    continue
                for k, d in enumerate(dist):
                    for o, ori in enumerate(oris):
                        out[i, j, k, o] = self.interaction_effect(a, b, d, ori)
        return out

    def summary(self) -> pd.DataFrame:
        """Counts of each rule state over the data set: one row per rule."""
        rows = []
        for r in range(self.states.shape[1]):
            s = self.states[:, r]
            row = self.rules.iloc[r]
            rows.append({
                "rule": r, "kind": row["kind"], "pair": f"{row['motif_a']}-{row['motif_b']}",
                "interaction": row["interaction"],
                **{STATE_NAMES[v]: int(np.sum(s == v)) for v in range(1, 5)},
            })
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ HDF5
    def save(self, group) -> None:
        """Write into an open ``h5py.Group`` (layout in :mod:`kgenint.simulate`)."""
        write_truth(group, self)

    @classmethod
    def load(cls, group) -> "GroundTruth":
        """Read from an open ``h5py.Group`` written by :meth:`save`."""
        return read_truth(group)

    def config_json(self) -> str:
        return json.dumps(self.config.to_dict(), sort_keys=True)


def latent_from_instances(instances: pd.DataFrame, rules: pd.DataFrame, motif_table: pd.DataFrame,
                          n: int, bias: float = 0.0) -> np.ndarray:
    """Latent activity of ``n`` sequences recomputed from the instance table and the rules.

    ``latent = bias + sum over motifs present of main_effect + sum over rules of interaction *
    [some instance of A and some instance of B satisfy the rule's window and orientations]``.
    Vectorised over sequences, independent of the generator's own bookkeeping.
    """
    lat = np.full(n, float(bias))
    main = motif_table.set_index("motif_index")["main_effect"]
    seq = instances["seq"].to_numpy()
    mi = instances["motif_index"].to_numpy()
    # presence: one count per (seq, motif)
    pres = np.unique(np.stack([seq, mi], axis=1), axis=0) if len(seq) else np.zeros((0, 2), int)
    np.add.at(lat, pres[:, 0], main.loc[pres[:, 1]].to_numpy())
    start = instances["start"].to_numpy()
    strand = instances["strand"].to_numpy()
    for _, r in rules.iterrows():
        if r["interaction"] == 0:
            continue
        a = np.flatnonzero(mi == r["index_a"])
        b = np.flatnonzero(mi == r["index_b"])
        dfa = pd.DataFrame({"seq": seq[a], "sa": start[a], "ta": strand[a]})
        dfb = pd.DataFrame({"seq": seq[b], "sb": start[b], "tb": strand[b]})
        j = dfa.merge(dfb, on="seq")
        if len(j) == 0:
            continue
        d = j["sb"] - j["sa"]
        ori = j["ta"] + j["tb"]
        ok = (d >= r["dmin"]) & (d <= r["dmax"]) & ori.isin(r["orientations"].split(","))
        hit = np.unique(j.loc[ok, "seq"].to_numpy())
        lat[hit] += r["interaction"]
    return lat


# --------------------------------------------------------------------------- HDF5 layout
_STR = h5py.string_dtype("utf-8")


def _write_frame(g: h5py.Group, df: pd.DataFrame) -> None:
    g.attrs["columns"] = json.dumps(list(df.columns))
    g.attrs["n_rows"] = len(df)
    for c in df.columns:
        v = df[c].to_numpy()
        if v.dtype == object or v.dtype.kind in "US":
            g.create_dataset(c, data=np.asarray(v, dtype=object).astype(str).astype(object), dtype=_STR)
        else:
            g.create_dataset(c, data=v)


def _read_frame(g: h5py.Group) -> pd.DataFrame:
    cols = json.loads(g.attrs["columns"])
    data = {}
    for c in cols:
        d = g[c]
        if h5py.check_string_dtype(d.dtype) is not None:
            data[c] = d.asstr()[()].astype(object) if d.shape[0] else np.array([], dtype=object)
        else:
            data[c] = d[()]
    return pd.DataFrame(data, columns=cols)


def write_truth(g: h5py.Group, t: GroundTruth) -> None:
    """Write a :class:`GroundTruth` into group ``g``."""
    g.attrs["threshold"] = float(t.threshold)
    g.attrs["temperature"] = float(t.temperature)
    g.attrs["n_removed"] = int(t.n_removed)
    g.attrs["seed"] = int(t.seed)
    g.attrs["config"] = t.config.to_json()
    g.attrs["state_names"] = json.dumps({"0": "unused", "1": "A only", "2": "B only",
                                         "3": "both, satisfied", "4": "both, violated"})
    for k in ("latent", "noise", "probability", "gc"):
        g.create_dataset(k, data=np.asarray(getattr(t, k), dtype=np.float64))
    g.create_dataset("states", data=np.asarray(t.states, dtype=np.int8))
    _write_frame(g.create_group("instances"), t.instances)
    _write_frame(g.create_group("rules"), t.rules)
    _write_frame(g.create_group("background_matches"), t.background_matches)
    gm = g.create_group("motifs")
    _write_frame(gm.create_group("table"), t.motif_table)
    for j, m in enumerate(t.motifs):
        d = gm.create_dataset(f"pwm_{j:03d}", data=m.pwm)
        d.attrs["name"] = m.name
        d.attrs["alt_name"] = m.alt_name or ""
        d.attrs["bg_freqs"] = m.bg_freqs
        d.attrs["nsites"] = int(m.nsites) if m.nsites is not None else -1
    gm.attrs["meme"] = _meme_text(t.motifs)


def _meme_text(motifs: list[Motif]) -> str:
    """MEME minimal motif format text of the planted motifs (for external tools)."""
    lines = ["MEME version 4", "", "ALPHABET= ACGT", "", "strands: + -", "",
             "Background letter frequencies", "A 0.25 C 0.25 G 0.25 T 0.25", ""]
    for m in motifs:
        lines.append(f"MOTIF {m.name}" + (f" {m.alt_name}" if m.alt_name else ""))
        lines.append(f"letter-probability matrix: alength= 4 w= {m.width} "
                     f"nsites= {m.nsites or 20} E= 0")
        lines += [" ".join(f"{v:.6f}" for v in row) for row in m.pwm]
        lines.append("")
    return "\n".join(lines)


def read_truth(g: h5py.Group) -> GroundTruth:
    """Read a :class:`GroundTruth` written by :func:`write_truth`."""
    gm = g["motifs"]
    keys = sorted(k for k in gm.keys() if k.startswith("pwm_"))
    motifs = []
    for k in keys:
        d = gm[k]
        ns = int(d.attrs.get("nsites", -1))
        motifs.append(Motif(
            name=str(d.attrs["name"]), pwm=d[()], alt_name=str(d.attrs["alt_name"]) or None,
            # "background": files written before the bg_freqs rename
            bg_freqs=d.attrs["bg_freqs"] if "bg_freqs" in d.attrs else d.attrs["background"],
            nsites=ns if ns > 0 else None,
        ))
    return GroundTruth(
        motifs=motifs,
        motif_table=_read_frame(gm["table"]),
        rules=_read_frame(g["rules"]),
        instances=_read_frame(g["instances"]),
        background_matches=_read_frame(g["background_matches"]),
        states=g["states"][()],
        latent=g["latent"][()],
        noise=g["noise"][()],
        probability=g["probability"][()],
        gc=g["gc"][()],
        threshold=float(g.attrs["threshold"]),
        temperature=float(g.attrs["temperature"]),
        n_removed=int(g.attrs["n_removed"]),
        config=SimulationConfig.from_json(str(g.attrs["config"])),
        seed=int(g.attrs["seed"]),
    )
