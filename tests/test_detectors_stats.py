"""Tukey 1-df and two-way ANOVA interaction tests: against statsmodels and hand-built models."""
import numpy as np
import pandas as pd
import pytest

from kgenint.errors import InputError
from kgenint.interactions.pair_table import check_pair_table
from kgenint.interactions.stats import (anova_interaction, anova_pairs, double_mutant_grid,
                                        tukey_nonadditivity, tukey_pairs)
from kgenint.motifs.motif import Motif

sm = pytest.importorskip("statsmodels.formula.api")
from statsmodels.stats.anova import anova_lm  # noqa: E402


@pytest.mark.parametrize("seed", [0, 1])
def test_anova_matches_statsmodels(seed):
    rng = np.random.default_rng(seed)
    n = 7
    y = rng.normal(size=(n, 2, 2)) + rng.normal(size=(n, 1, 1)) * 2
    y[:, 1, 1] += 0.8 * seed
    res = anova_interaction(y)
    df = pd.DataFrame([(k, i, j, y[k, i, j]) for k in range(n) for i in range(2) for j in range(2)],
                      columns=["block", "a", "b", "y"])
    fit = sm.ols("y ~ C(block) + C(a) * C(b)", data=df).fit()
    tab = anova_lm(fit, typ=2)
    row = tab.loc["C(a):C(b)"]
    assert res.f == pytest.approx(row["F"], rel=1e-9)
    assert res.p_value == pytest.approx(row["PR(>F)"], rel=1e-9)
    assert res.df_den == int(tab.loc["Residual", "df"]) == 3 * (n - 1)
    assert res.effect == pytest.approx((y[:, 1, 1] - y[:, 1, 0] - y[:, 0, 1] + y[:, 0, 0]).mean())


@pytest.mark.parametrize("seed", [0, 1])
def test_tukey_matches_regression_on_squared_fit(seed):
    """Tukey's test = adding the squared additive fit as a covariate (statsmodels F-test)."""
    rng = np.random.default_rng(seed)
    r, c = 5, 4
    a, b = rng.normal(size=r), rng.normal(size=c)
    y = 1 + a[:, None] + b[None] + 0.4 * a[:, None] * b[None] + 0.1 * rng.normal(size=(r, c))
    res = tukey_nonadditivity(y)
    df = pd.DataFrame([(i, j, y[i, j]) for i in range(r) for j in range(c)], columns=["r", "c", "y"])
    m0 = sm.ols("y ~ C(r) + C(c)", data=df).fit()
    df["z"] = m0.fittedvalues ** 2
    m1 = sm.ols("y ~ C(r) + C(c) + z", data=df).fit()
    cmp = anova_lm(m0, m1)
    assert res.f == pytest.approx(cmp["F"].iloc[1], rel=1e-7)
    assert res.p_value == pytest.approx(cmp["Pr(>F)"].iloc[1], rel=1e-6)
    assert res.df_den == (r - 1) * (c - 1) - 1


def test_tukey_hand_case_exact_multiplicative():
    a = np.array([-1.0, 0.0, 1.0])
    b = np.array([-2.0, 0.0, 2.0])
    y = a[:, None] + b[None] + 0.5 * a[:, None] * b[None]
    res = tukey_nonadditivity(y)
    assert res.lam == pytest.approx(0.5)
    assert res.p_value == 0.0 and res.ss_residual == pytest.approx(0.0, abs=1e-12)
    add = tukey_nonadditivity(a[:, None] + b[None] + 0.0)
    assert add.lam == pytest.approx(0.0, abs=1e-12) and add.p_value == 1.0


def test_table_tests_bad_input():
    with pytest.raises(InputError, match=r"\(N, 2, 2\)"):
        anova_interaction(np.zeros((3, 2, 3)))
    with pytest.raises(InputError, match="at least 2 backgrounds"):
        anova_interaction(np.zeros((1, 2, 2)))
    with pytest.raises(InputError, match="NaN"):
        anova_interaction(np.full((3, 2, 2), np.nan))
    with pytest.raises(InputError, match="residual degree"):
        tukey_nonadditivity(np.zeros((2, 2)))
    with pytest.raises(InputError, match="2-dimensional"):
        tukey_nonadditivity(np.zeros(5))


# --------------------------------------------------------------------------- through a model
L = 60
MA = Motif.from_consensus("GGGGGG", name="A")
MB = Motif.from_consensus("TTTTTT", name="B")
MC = Motif.from_consensus("CACACA", name="C")


def _score(x, word):
    """Best match count of a consensus word anywhere (either strand), a smooth motif detector."""
    idx = {"A": 0, "C": 1, "G": 2, "T": 3}
    w = np.zeros((len(word), 4), np.float32)
    w[np.arange(len(word)), [idx[c] for c in word]] = 1
    wr = w[::-1, ::-1]
    n, l, _ = x.shape
    best = np.zeros(n)
    for s in range(l - len(word) + 1):
        win = x[:, s:s + len(word)]
        best = np.maximum(best, np.maximum((win * w).sum((1, 2)), (win * wr).sum((1, 2))))
    return (best >= len(word)).astype(np.float64)


def _toy_predict(x):
    a, b, c = _score(x, "GGGGGG"), _score(x, "TTTTTT"), _score(x, "CACACA")
    return (1.0 * a + 0.7 * b + 0.5 * c + 2.0 * a * b)[:, None]  # A x B synergy of 2; C additive


def _bg(n, seed):
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:  # i.i.d. backgrounds without an accidental motif match
        x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(1, L))]
        if _toy_predict(x)[0, 0] == 0:
            out.append(x[0])
    return np.stack(out)


@pytest.mark.parametrize("seed", [0, 1])
def test_anova_pairs_finds_the_planted_pair(seed):
    bg = _bg(5, seed)
    rng = np.random.default_rng(seed)

    def predict(x):  # add background-dependent noise so the error term is not zero
        return _toy_predict(x) + 0.01 * rng.normal(size=(len(x), 1))

    tab = anova_pairs(predict, [MA, MB, MC], bg, distances=[-20, 10, 20], orientations=["++", "+-"])
    check_pair_table(tab)
    top = tab.iloc[0]
    assert {top.motif_a, top.motif_b} == {"A", "B"}
    assert top.effect == pytest.approx(2.0, abs=0.05)
    assert top.q_value < 1e-6
    others = tab[(tab.motif_a + tab.motif_b) != "AB"]
    assert (others.q_value > 0.01).all()
    g = double_mutant_grid(_toy_predict, bg, np.eye(4, dtype=np.float32)[[2] * 6],
                           np.eye(4, dtype=np.float32)[[3] * 6], 10)
    assert np.allclose(g[:, 1, 1] - g[:, 1, 0] - g[:, 0, 1] + g[:, 0, 0], 2.0)


def test_tukey_pairs_sign_of_multiplicative_model():
    bg = _bg(3, 0)

    def strength(x, word):
        return _score(x, word)

    def predict(x):  # sampled variants of a consensus-only motif are all the consensus: use soft PWMs
        return _toy_predict(x)

    soft_a = Motif("A", np.array([[0.05, 0.05, 0.85, 0.05]] * 6))
    soft_b = Motif("B", np.array([[0.05, 0.05, 0.05, 0.85]] * 6))
    soft_c = Motif("C", np.array([[0.05, 0.85, 0.05, 0.05], [0.85, 0.05, 0.05, 0.05]] * 3))
    tab = tukey_pairs(predict, [soft_a, soft_b, soft_c], bg, n_variants=6, distances=[20], seed=3)
    check_pair_table(tab)
    ab = tab[(tab.motif_a == "A") & (tab.motif_b == "B")].iloc[0]
    assert ab.effect > 0


def test_pairs_bad_input():
    bg = _bg(3, 0)
    with pytest.raises(InputError, match="callable"):
        anova_pairs("model.keras", [MA, MB], bg)
    with pytest.raises(InputError, match="at least two"):
        anova_pairs(_toy_predict, [MA], bg)
    with pytest.raises(InputError, match="orientations"):
        anova_pairs(_toy_predict, [MA, MB], bg, orientations=["+"])
    with pytest.raises(InputError, match=r"\(N, L, 4\)"):
        anova_pairs(_toy_predict, [MA, MB], bg[:, :, :3])
    with pytest.raises(InputError, match="overlap"):
        anova_pairs(_toy_predict, [MA, MB], bg, distances=[0, 1])
    with pytest.raises(InputError, match="n_variants"):
        tukey_pairs(_toy_predict, [MA, MB], bg, n_variants=1)
    with pytest.raises(InputError, match="out of range"):
        anova_pairs(_toy_predict, [MA, MB], bg, task=3, distances=[10])
