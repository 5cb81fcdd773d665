"""DFIM, dependency maps and block Hessians on f(x) = (w1 . x_A)(w2 . x_B): every quantity is
known in closed form (gradient x input, Hessian-vector products and the integrated Hessian)."""
import numpy as np
import pandas as pd
import pytest

from kgenint.errors import InputError
from kgenint.interactions.dependency import block_sum, dependency_map, dependency_pairs
from kgenint.interactions.dfim import dfim_pairs, dfim_scores, mutate_window
from kgenint.interactions.hessian import block_interactions, hessian_pairs, quadrature
from kgenint.interactions.pair_table import check_pair_table

L = 40
A = (5, 11)
B = (22, 28)


class Bilinear:
    """f = u v, u = w1 . x[A], v = w2 . x[B]; optionally f = (u v)^2."""

    def __init__(self, seed, square=False):
        rng = np.random.default_rng(seed)
        self.w1 = np.zeros((L, 4))
        self.w2 = np.zeros((L, 4))
        self.w1[A[0]:A[1]] = rng.normal(size=(A[1] - A[0], 4))
        self.w2[B[0]:B[1]] = rng.normal(size=(B[1] - B[0], 4))
        self.square = square

    def uv(self, x):
        return (x * self.w1).sum((1, 2)), (x * self.w2).sum((1, 2))

    def predict(self, x):
        u, v = self.uv(x)
        return ((u * v) ** 2 if self.square else u * v)[:, None]

    def grad_x_input(self, x):
        u, v = self.uv(x)
        g = self.w1[None] * v[:, None, None] + self.w2[None] * u[:, None, None]
        return (g * x).astype(np.float32)

    def hvp(self, x, vec):
        u, v = self.uv(x)
        a, b = (vec * self.w1).sum((1, 2)), (vec * self.w2).sum((1, 2))
        if not self.square:
            return (self.w1[None] * b[:, None, None] + self.w2[None] * a[:, None, None]).astype(np.float32)
        # f = u^2 v^2: H v = 2 v^2 w1 a + 4 u v (w1 b + w2 a) + 2 u^2 w2 b
        return (2 * (v ** 2 * a)[:, None, None] * self.w1[None] + 2 * (u ** 2 * b)[:, None, None] * self.w2[None]
                + 4 * (u * v)[:, None, None] * (self.w1[None] * b[:, None, None] + self.w2[None] * a[:, None, None])
                ).astype(np.float32)


def _seqs(n, seed):
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype=np.float32)[rng.integers(0, 4, (n, L))]


@pytest.mark.parametrize("seed", [0, 1])
def test_dfim_scores_match_closed_form(seed):
    m = Bilinear(seed)
    x = _seqs(3, seed)
    jobs = np.array([[0, A[0], A[1], B[0], B[1]], [1, B[0], B[1], A[0], A[1]], [2, 0, 5, B[0], B[1]]])
    got = dfim_scores(m.grad_x_input, x, jobs, n_mutations=4, mutation="gc", seed=seed, batch_size=5)
    rng = np.random.default_rng(seed)
    u, v = m.uv(x)
    want = []
    for s, a0, a1, b0, b1 in jobs:  # same random stream, closed-form attributions
        after = []
        for _ in range(4):
            xm = mutate_window(x[s], a0, a1, "gc", rng)[None]
            um, vm = m.uv(xm)
            after.append(um[0] * vm[0] if b0 == B[0] else um[0] * vm[0])
        want.append(u[s] * v[s] - np.mean(after))
    assert np.allclose(got, want, atol=1e-4)
    assert abs(got[2]) < 1e-5  # a window the model ignores changes nothing


@pytest.mark.parametrize("seed", [0, 1])
def test_dependency_map_matches_closed_form(seed):
    m = Bilinear(seed)
    x = _seqs(1, seed)[0]
    D = dependency_map(m.grad_x_input, x, batch_size=17)
    cur = x.argmax(1)
    want = np.zeros((L, L))
    for i in range(L):
        for j in range(L):
            if i == j:
                continue
            d1 = m.w1[i, cur[i]] - (m.w1[i].sum() - m.w1[i, cur[i]]) / 3
            d2 = m.w2[i, cur[i]] - (m.w2[i].sum() - m.w2[i, cur[i]]) / 3
            if A[0] <= i < A[1] and B[0] <= j < B[1]:
                want[i, j] = m.w2[j, cur[j]] * d1
            elif B[0] <= i < B[1] and A[0] <= j < A[1]:
                want[i, j] = m.w1[j, cur[j]] * d2
    assert np.allclose(D, want, atol=1e-4)
    sub = dependency_map(m.grad_x_input, x, window=(3, 30))
    assert np.allclose(sub, D[3:30, 3:30], atol=1e-5)
    assert block_sum(D, A, B) == pytest.approx(0.5 * (want[A[0]:A[1], B[0]:B[1]].sum() + want[B[0]:B[1], A[0]:A[1]].sum()), abs=1e-3)


def test_quadrature_weight():
    t, w = quadrature(16)
    assert w.sum() == pytest.approx(0.25)
    assert (w * t ** 2).sum() == pytest.approx(1 / 16, rel=1e-4)  # int -t^3 ln t = 1/16
    assert (w * t).sum() == pytest.approx(1 / 9, rel=1e-4)  # int -t^2 ln t = 1/9


@pytest.mark.parametrize("seed", [0, 1])
def test_block_hessian_closed_form(seed):
    m = Bilinear(seed)
    x = _seqs(4, seed)
    blocks = np.array([[k, A[0], A[1], B[0], B[1]] for k in range(4)] + [[0, 0, 5, 30, 36]])
    got = block_interactions(m.hvp, x, blocks, n_steps=4, batch_size=3)
    u, v = m.uv(x)
    assert np.allclose(got[:4], u * v / 2, rtol=1e-5)
    assert abs(got[4]) < 1e-6
    refs = _seqs(3, seed + 10)
    got = block_interactions(m.hvp, x, blocks[:4], references=refs, n_steps=2)
    ud = ((x[:, None] - refs[None]) * m.w1).sum((2, 3))
    vd = ((x[:, None] - refs[None]) * m.w2).sum((2, 3))
    assert np.allclose(got, (ud * vd).mean(1) / 2, rtol=1e-5)
    sq = Bilinear(seed, square=True)
    got = block_interactions(sq.hvp, x, blocks[:4], n_steps=24)
    assert np.allclose(got, (u * v) ** 2 / 2, rtol=1e-3)


def _hits(n):
    rows = []
    for s in range(n):
        rows += [(s, A[0], A[1], "+", "MA"), (s, B[0], B[1], "-", "MB")]
    return pd.DataFrame(rows, columns=["seq", "start", "end", "strand", "motif"])


@pytest.mark.parametrize("seed", [0, 1])
def test_pair_detectors_on_bilinear_model(seed):
    """A synergistic model (u, v > 0, best at the planted instances) gives a positive, significant pair."""
    m = Bilinear(seed)
    m.w1 = np.abs(m.w1) + (m.w1 != 0)
    m.w2 = np.abs(m.w2) + (m.w2 != 0)
    x = _seqs(12, seed)
    for w, (a0, a1) in ((m.w1, A), (m.w2, B)):  # plant the best-scoring bases: the "motif instances"
        x[:, a0:a1] = np.eye(4, dtype=np.float32)[w[a0:a1].argmax(1)]
    hits = _hits(12)
    for tab in (dfim_pairs(m.grad_x_input, x, hits, n_null=2, seed=seed),
                dependency_pairs(m.grad_x_input, x, hits, n_null=3, seed=seed, pad=10),
                hessian_pairs(m.hvp, x, hits, n_null=2, n_steps=2, seed=seed)):
        check_pair_table(tab)
        r = tab.iloc[0]
        assert (r.motif_a, r.motif_b, r.distance, r.orientation) == ("MA", "MB", B[0] - A[0], "+-")
        assert r.effect > 0 and r.p_value < 1e-3 and r.n_instances == 12


def test_bad_input():
    m = Bilinear(0)
    x = _seqs(2, 0)
    with pytest.raises(InputError, match="callable"):
        dfim_scores("grad", x, np.zeros((1, 5)))
    with pytest.raises(InputError, match="n_mutations"):
        dfim_scores(m.grad_x_input, x, np.array([[0, 0, 3, 5, 8]]), n_mutations=0)
    with pytest.raises(InputError, match="mutation"):
        dfim_scores(m.grad_x_input, x, np.array([[0, 0, 3, 5, 8]]), mutation="dinuc")
    with pytest.raises(InputError, match="shaped like"):
        dfim_scores(lambda z: z[:, :3], x, np.array([[0, 0, 3, 5, 8]]))
    with pytest.raises(InputError, match="one sequence"):
        dependency_map(m.grad_x_input, x)
    with pytest.raises(InputError, match="window"):
        dependency_map(m.grad_x_input, x[0], window=(10, 5))
    with pytest.raises(InputError, match="disjoint"):
        block_interactions(m.hvp, x, np.array([[0, 0, 10, 5, 12]]))
    with pytest.raises(InputError, match=r"\(M, 5\)"):
        block_interactions(m.hvp, x, np.array([0, 0, 10]))
    with pytest.raises(InputError, match="references"):
        block_interactions(m.hvp, x, np.array([[0, 0, 3, 5, 8]]), references=np.zeros((1, L + 1, 4)))
    bad = _hits(2)
    bad.loc[0, "end"] = L + 5
    with pytest.raises(InputError, match="row 0"):
        dfim_pairs(m.grad_x_input, x, bad)
    with pytest.raises(InputError, match="two different motifs"):
        hessian_pairs(m.hvp, x, _hits(2)[lambda d: d.motif == "MA"])
    with pytest.raises(InputError, match="strand"):
        dependency_pairs(m.grad_x_input, x, _hits(2).assign(strand="x"))


def test_margin_shifted_test_and_pairs():
    from scipy import stats

    from kgenint.interactions._instances import shifted_mannwhitney

    rng = np.random.default_rng(0)
    null = rng.normal(0, 0.1, 200)
    s = 1.0 + rng.normal(0, 0.1, 30)
    assert shifted_mannwhitney(s, null, 0.0) == pytest.approx(stats.mannwhitneyu(s, null).pvalue)
    ps = [shifted_mannwhitney(s, null, m) for m in (0.0, 0.5, 0.9, 1.5)]
    assert ps[1] < 1e-10 and ps[3] == 1.0 and all(a <= b for a, b in zip(ps, ps[1:]))
    assert shifted_mannwhitney(-s, null, 0.5) == pytest.approx(ps[1])  # two-sided: the sign does not matter
    # the bilinear model: effect u v / 2 is large; a margin above every instance's score kills the call
    m = Bilinear(0)
    m.w1, m.w2 = np.abs(m.w1) + (m.w1 != 0), np.abs(m.w2) + (m.w2 != 0)
    x = _seqs(12, 0)
    hits = _hits(12)
    tab0 = hessian_pairs(m.hvp, x, hits, n_null=2, n_steps=2)
    big = float(np.max(m.uv(x)[0] * m.uv(x)[1]))
    tab1 = hessian_pairs(m.hvp, x, hits, n_null=2, n_steps=2, margin=big)
    assert tab0.p_value.iloc[0] < 1e-3 and tab1.p_value.iloc[0] == 1.0
    with pytest.raises(InputError, match="margin"):
        hessian_pairs(m.hvp, x, hits, margin=-1)
