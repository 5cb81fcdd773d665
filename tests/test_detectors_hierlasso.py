"""Strong-hierarchy lasso: our ADMM against an independent QP solve (scipy SLSQP on the split
formulation), KKT conditions, hierarchy, stability selection on a planted interaction."""
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from kgenint.errors import InputError
from kgenint.interactions.hierlasso import (_design, _standardise, hierlasso_fit, hierlasso_objective,
                                            hierlasso_pairs, motif_features, stability_selection)
from kgenint.interactions.pair_table import check_pair_table


def _problem(seed, n=60, p=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = 1.0 * X[:, 0] - 0.8 * X[:, 1] + 0.7 * X[:, 0] * X[:, 1] + 0.3 * X[:, 2] + 0.3 * rng.normal(size=n)
    return X, y


def _reference(Xs, y, lam):
    """The same convex problem as a smooth QP with b+, b-, t+, t- >= 0 (SLSQP)."""
    n, p = Xs.shape
    Z, _, iu, ju = _design(Xs)
    q = Z.shape[1]
    yc = y - y.mean()
    M = np.hstack([Xs, -Xs, Z, -Z])
    A = np.zeros((p, 2 * p + 2 * q))  # b+_j + b-_j - sum_{k} |theta_jk| >= 0
    for j in range(p):
        A[j, j] = A[j, p + j] = 1
        for m in range(q):
            if iu[m] == j or ju[m] == j:
                A[j, 2 * p + m] = A[j, 2 * p + q + m] = -1

    def f(w):
        r = yc - M @ w
        return 0.5 * r @ r / n + lam * w.sum()

    def g(w):
        return -M.T @ (yc - M @ w) / n + lam

    res = minimize(f, np.zeros(M.shape[1]), jac=g, method="SLSQP", bounds=[(0, None)] * M.shape[1],
                   constraints=[{"type": "ineq", "fun": lambda w: A @ w, "jac": lambda w: A}],
                   options={"ftol": 1e-14, "maxiter": 2000})
    w = res.x
    theta = np.zeros((p, p))
    theta[iu, ju] = w[2 * p:2 * p + q] - w[2 * p + q:]
    theta = theta + theta.T
    return w[:p] - w[p:2 * p], theta, res.fun


@pytest.mark.parametrize("seed,lam", [(0, 0.05), (1, 0.1), (2, 0.02)])
def test_admm_matches_qp_reference(seed, lam):
    X, y = _problem(seed)
    fit = hierlasso_fit(X, y, lam)
    assert fit.converged
    Xs = _standardise(X)[0]
    beta_ref, theta_ref, obj_ref = _reference(Xs, y, lam)
    obj = hierlasso_objective(Xs, y, fit.beta_pos, fit.beta_neg, fit.theta, lam)
    assert obj <= obj_ref + 1e-7
    assert obj == pytest.approx(obj_ref, rel=1e-5, abs=1e-8)
    assert np.allclose(fit.beta, beta_ref, atol=2e-3)
    assert np.allclose(fit.theta, theta_ref, atol=2e-3)
    # strong hierarchy holds exactly on the returned coefficients
    budget = fit.beta_pos + fit.beta_neg
    assert np.all(np.abs(fit.theta).sum(1) <= budget + 1e-6)
    assert np.allclose(fit.theta, fit.theta.T) and np.all(np.diag(fit.theta) == 0)


def test_kkt_unconstrained_terms_and_zero_at_lam_max():
    X, y = _problem(3)
    Xs = _standardise(X)[0]
    yc = y - y.mean()
    lmax = max(np.abs(Xs.T @ yc).max(), np.abs(_design(Xs)[0].T @ yc).max()) / len(y)
    fit = hierlasso_fit(X, y, lmax * 1.0001)
    assert np.allclose(fit.beta, 0, atol=1e-8) and np.allclose(fit.theta, 0, atol=1e-8)
    # at a small lam: each main effect whose hierarchy constraint is slack satisfies the lasso KKT
    lam = 0.01
    fit = hierlasso_fit(X, y, lam, tol=1e-10)
    Z, _, iu, ju = _design(Xs)
    r = yc - Xs @ fit.beta - Z @ fit.theta[iu, ju]
    grad = -Xs.T @ r / len(y)
    slack = np.abs(fit.theta).sum(1) < (fit.beta_pos + fit.beta_neg) - 1e-4
    for j in np.flatnonzero(slack & (np.abs(fit.beta) > 1e-4)):
        assert grad[j] == pytest.approx(-lam * np.sign(fit.beta[j]), abs=1e-4)


@pytest.mark.parametrize("seed", [0, 1])
def test_stability_selection_finds_planted_pair(seed):
    rng = np.random.default_rng(seed)
    n = 400
    F = (rng.random((n, 5)) < 0.4).astype(float)  # motif presence
    y = F[:, 0] + F[:, 1] + F[:, 2] + 1.5 * F[:, 0] * F[:, 1] + 0.3 * rng.normal(size=n)
    names = list("ABCDE")
    tab = hierlasso_pairs(F, y, names, n_resamples=20, seed=seed)
    check_pair_table(tab)
    top = tab.iloc[0]
    assert (top.motif_a, top.motif_b) == ("A", "B") and top.selection_freq >= 0.9 and top.effect > 0
    rest = tab.iloc[1:]
    assert (rest.selection_freq < top.selection_freq).all()
    assert rest[rest.motif_a.isin(["D"]) | rest.motif_b.isin(["D", "E"])].selection_freq.max() <= 0.6


def test_motif_features():
    hits = pd.DataFrame({"seq": [0, 0, 2, 2], "start": [1, 5, 0, 9], "end": [4, 8, 3, 12],
                         "strand": ["+", "-", "+", "+"], "motif": ["A", "A", "B", "A"],
                         "score": [3.0, 5.0, 2.0, 1.0]})
    assert motif_features(hits, 3, ["A", "B"]).tolist() == [[1, 0], [0, 0], [1, 1]]
    assert motif_features(hits, 3, ["A", "B"], feature="count").tolist() == [[2, 0], [0, 0], [1, 1]]
    assert motif_features(hits, 3, ["A", "B"], feature="max_score").tolist() == [[5, 0], [0, 0], [1, 2]]


def test_bad_input():
    X, y = _problem(0)
    with pytest.raises(InputError, match="2-D"):
        hierlasso_fit(X[:, 0], y, 0.1)
    with pytest.raises(InputError, match="at least 2 features"):
        hierlasso_fit(X[:, :1], y, 0.1)
    with pytest.raises(InputError, match="rows"):
        hierlasso_fit(X, y[:-1], 0.1)
    with pytest.raises(InputError, match="lam"):
        hierlasso_fit(X, y, -1)
    with pytest.raises(InputError, match="NaN"):
        hierlasso_fit(np.where(X > 2, np.nan, X), y, 0.1)
    with pytest.raises(InputError, match="names"):
        hierlasso_pairs(X, y, ["a", "b"])
    with pytest.raises(InputError, match="n_resamples"):
        stability_selection(X, y, n_resamples=0)
    with pytest.raises(InputError, match="feature"):
        motif_features(pd.DataFrame({"seq": [0], "start": [0], "end": [2], "strand": ["+"], "motif": ["A"]}),
                       1, ["A"], feature="pwm")
