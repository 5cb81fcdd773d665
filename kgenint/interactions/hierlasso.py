"""The hierarchical lasso with strong hierarchy (Bien, Taylor & Tibshirani 2013), our own ADMM
solver, and stability selection over subsamples.

Problem (features ``X`` ``(n, p)`` standardised, products ``Z_jk = X_j X_k`` for ``j < k``
centred, ``y`` centred)::

    minimise  1/(2n) ||y - X (b+ - b-) - sum_{j<k} Theta_jk Z_jk||^2
              + lam 1'(b+ + b-) + lam/2 ||Theta||_1
    subject to  Theta = Theta',  diag(Theta) = 0,  ||Theta_j||_1 <= b+_j + b-_j,  b+, b- >= 0

The constraint ``||Theta_j||_1 <= |beta_j|`` (through ``b+ + b-``) is the strong hierarchy:
an interaction enters only with both of its main effects, and a pair whose motifs do nothing
alone pays for its main effects too.

Solver: ADMM on ``u = (b+, b-, Theta)`` (``Theta`` symmetric: the squared loss plus a ridge to
the copy, a fixed linear system factorised once) and ``v = (c+, c-, Psi)`` (``Psi`` any
matrix: the penalties and the per-row hierarchy constraint, whose proximal map Bien et al.
reduce to a one-dimensional monotone root, found here by bisection in a Numba kernel),
with ``u = v`` enforced through scaled duals.

When to use it: a per-sequence table of motif features (presence, counts or best-match scores)
and a target per sequence, either the data's labels (no model needed: what the *data* say) or a
model's outputs on the same sequences (what the *model* learned, without in-silico
experiments). It sees only co-occurrence in the sequences given, so pairs that rarely co-occur
are not testable, and it does not resolve distance or orientation. Its evidence is a stability
selection frequency (``selection_freq``), not a p-value.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np

from .._kernels import jit
from .._validate import check_seed
from ..errors import InputError

__all__ = ["HierLassoFit", "hierlasso_fit", "hierlasso_objective", "hierlasso_path", "stability_selection",
           "motif_features", "hierlasso_pairs"]


class HierLassoFit(NamedTuple):
    """Fitted strong-hierarchy lasso at one ``lam`` (on the standardised features)."""

    beta: np.ndarray        #: (p,) main effects (b+ - b-)
    beta_pos: np.ndarray    #: (p,) b+
    beta_neg: np.ndarray    #: (p,) b-
    theta: np.ndarray       #: (p, p) symmetric, zero diagonal; the model has sum_{j<k} theta_jk z_jk
    intercept: float
    lam: float
    n_iter: int
    converged: bool


@jit
def _prox_rows(ap, am, T, t1, t2, cp, cm, P):
    """Per row j: argmin 1/2 (c+ - a+)^2 + 1/2 (c- - a-)^2 + 1/2 ||Psi_j - T_j||^2
    + t1 (c+ + c-) + t2 ||Psi_j||_1  s.t. c+-, >= 0, ||Psi_j||_1 <= c+ + c- (diag excluded)."""
    p = ap.shape[0]
    for j in range(p):
        # h(alpha) = ||S(T_j, t2 + alpha)||_1 - (a+ - t1 + alpha)_+ - (a- - t1 + alpha)_+, decreasing
        hi = 0.0
        for k in range(p):
            if k != j and abs(T[j, k]) > hi:
                hi = abs(T[j, k])
        alpha = 0.0
        h0 = 0.0
        for k in range(p):
            if k != j:
                h0 += max(abs(T[j, k]) - t2, 0.0)
        h0 -= max(ap[j] - t1, 0.0) + max(am[j] - t1, 0.0)
        if h0 > 0.0:
            lo = 0.0
            for _ in range(100):
                mid = 0.5 * (lo + hi)
                s = 0.0
                for k in range(p):
                    if k != j:
                        s += max(abs(T[j, k]) - t2 - mid, 0.0)
                s -= max(ap[j] - t1 + mid, 0.0) + max(am[j] - t1 + mid, 0.0)
                if s > 0.0:
                    lo = mid
                else:
                    hi = mid
                if hi - lo <= 1e-15 * (1.0 + hi):
                    break
            alpha = hi
        cp[j] = max(ap[j] - t1 + alpha, 0.0)
        cm[j] = max(am[j] - t1 + alpha, 0.0)
        for k in range(p):
            if k == j:
                P[j, k] = 0.0
            else:
                v = abs(T[j, k]) - t2 - alpha
                P[j, k] = np.sign(T[j, k]) * v if v > 0.0 else 0.0


def _standardise(X: np.ndarray):
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (X - mu) / sd, mu, sd


def _design(Xs: np.ndarray):
    p = Xs.shape[1]
    iu, ju = np.triu_indices(p, 1)
    Z = Xs[:, iu] * Xs[:, ju]
    zmu = Z.mean(axis=0)
    return Z - zmu, zmu, iu, ju


def hierlasso_objective(X, y, beta_pos, beta_neg, theta, lam) -> float:
    """The objective above on already standardised ``X`` and centred products (for tests)."""
    Xs = np.asarray(X, dtype=np.float64)
    Z, _, iu, ju = _design(Xs)
    yc = np.asarray(y, dtype=np.float64) - np.mean(y)
    r = yc - Xs @ (beta_pos - beta_neg) - Z @ theta[iu, ju]
    return float(0.5 * r @ r / len(yc) + lam * (beta_pos.sum() + beta_neg.sum()) + lam / 2 * np.abs(theta).sum())


def _check_xy(X, y):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).ravel()
    if X.ndim != 2:
        raise InputError(f"X must be 2-D (sequences x features). Received shape {X.shape}.")
    if X.shape[1] < 2:
        raise InputError(f"X needs at least 2 features (motifs) to have interactions; it has {X.shape[1]}.")
    if y.shape[0] != X.shape[0]:
        raise InputError(f"y has {y.shape[0]} values but X has {X.shape[0]} rows (sequences).")
    if X.shape[0] < 3:
        raise InputError(f"X has {X.shape[0]} sequences; the lasso needs at least 3.")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise InputError("X or y holds NaN or infinite values.")
    return X, y


@jit
def _admm(Ainv, Mty, iu, ju, p, lam, rho, cp, cm, P, dp, dm, Dd, max_iter, tol):
    """Scaled ADMM iterations in place on (cp, cm, P, dp, dm, Dd); returns (iterations, converged)."""
    q = iu.shape[0]
    nw = 2 * p + q
    rhs = np.empty(nw)
    T = np.zeros((p, p))
    ncp = np.empty(p)
    ncm = np.empty(p)
    nP = np.empty((p, p))
    for it in range(1, max_iter + 1):
        for j in range(p):
            rhs[j] = Mty[j] + rho * (cp[j] - dp[j])
            rhs[p + j] = Mty[p + j] + rho * (cm[j] - dm[j])
        for m in range(q):
            a, b = iu[m], ju[m]
            rhs[2 * p + m] = Mty[2 * p + m] + rho * ((P[a, b] - Dd[a, b]) + (P[b, a] - Dd[b, a]))
        w = Ainv @ rhs
        for m in range(q):
            T[iu[m], ju[m]] = w[2 * p + m]
            T[ju[m], iu[m]] = w[2 * p + m]
        ap = w[:p] + dp
        am = w[p:2 * p] + dm
        _prox_rows(ap, am, T + Dd, lam / rho, lam / (2 * rho), ncp, ncm, nP)
        r_pri = 0.0
        r_dual = 0.0
        scale = 0.0
        for j in range(p):
            r_pri += (w[j] - ncp[j]) ** 2 + (w[p + j] - ncm[j]) ** 2
            r_dual += (ncp[j] - cp[j]) ** 2 + (ncm[j] - cm[j]) ** 2
            dp[j] += w[j] - ncp[j]
            dm[j] += w[p + j] - ncm[j]
            cp[j] = ncp[j]
            cm[j] = ncm[j]
            scale += ncp[j] ** 2 + ncm[j] ** 2
            for k in range(p):
                if k != j:
                    r_pri += (T[j, k] - nP[j, k]) ** 2
                    r_dual += (nP[j, k] - P[j, k]) ** 2
                    Dd[j, k] += T[j, k] - nP[j, k]
                P[j, k] = nP[j, k]
                scale += nP[j, k] ** 2
        thr = tol * (1.0 + np.sqrt(scale))
        if np.sqrt(r_pri) <= thr and rho * np.sqrt(r_dual) <= thr:
            return it, True
    return max_iter, False


class _Solver:
    """ADMM state for one design: the u-step system ``(M'M / n + D)`` is inverted once."""

    def __init__(self, Xs: np.ndarray, yc: np.ndarray, rho: float):
        n, p = Xs.shape
        Z, _, iu, ju = _design(Xs)
        self.iu, self.ju = iu.astype(np.int64), ju.astype(np.int64)
        M = np.hstack([Xs, -Xs, Z])
        self.p, self.q = p, Z.shape[1]
        self.rho, self.n = rho, n
        D = np.r_[np.full(2 * p, rho), np.full(self.q, 2 * rho)]
        self.Ainv = np.ascontiguousarray(np.linalg.inv(M.T @ M / n + np.diag(D)))
        self.Mty = M.T @ yc / n

    def solve(self, lam: float, warm=None, *, max_iter: int = 20000, tol: float = 1e-8):
        p = self.p
        if warm is None:
            st = [np.zeros(p), np.zeros(p), np.zeros((p, p)), np.zeros(p), np.zeros(p), np.zeros((p, p))]
        else:
            st = [a.copy() for a in warm]
        it, conv = _admm(self.Ainv, self.Mty, self.iu, self.ju, p, float(lam), float(self.rho), *st,
                         int(max_iter), float(tol))
        cp, cm, P = st[0], st[1], st[2]
        return cp.copy(), cm.copy(), P.copy(), tuple(st), it, conv


def _lam_max(Xs: np.ndarray, yc: np.ndarray) -> float:
    Z, *_ = _design(Xs)
    n = len(yc)
    return float(max(np.abs(Xs.T @ yc).max(), np.abs(Z.T @ yc).max()) / n)


def _finish(cp, cm, P, lam, mu, sd, zmu, iu, ju, ybar, it, conv) -> HierLassoFit:
    theta = 0.5 * (P + P.T)
    intercept = float(ybar - zmu @ theta[iu, ju])
    return HierLassoFit(cp - cm, cp, cm, theta, intercept, float(lam), int(it), bool(conv))


def hierlasso_fit(X, y, lam: float, *, standardize: bool = True, rho: float | None = None,
                  max_iter: int = 20000, tol: float = 1e-8) -> HierLassoFit:
    """Fit the strong-hierarchy lasso at one penalty ``lam``.

    Parameters
    ----------
    X : float array (n, p)
        Main-effect features (e.g. motif presence per sequence), ``p >= 2``.
    y : float array (n,)
        Target (labels or model outputs).
    lam : float >= 0
        Penalty (on the scale of the standardised features; see :func:`hierlasso_path` for a
        grid relative to the smallest penalty that selects nothing).
    standardize : bool
        Centre and scale ``X`` to unit variance (default). Coefficients refer to the
        standardised features.
    rho : float, optional
        ADMM step (default: the mean diagonal of ``X'X / n``, i.e. 1 for standardised X).

    Returns
    -------
    HierLassoFit
    """
    X, y = _check_xy(X, y)
    if not np.isfinite(lam) or lam < 0:
        raise InputError(f"lam must be a finite number >= 0. Received: lam={lam!r}")
    Xs, mu, sd = _standardise(X) if standardize else (X - X.mean(0), X.mean(0), np.ones(X.shape[1]))
    yc = y - y.mean()
    rho = float(rho) if rho is not None else max(float((Xs ** 2).mean(0).mean()), 1e-3)
    s = _Solver(Xs, yc, rho)
    _, zmu, iu, ju = _design(Xs)
    cp, cm, P, _, it, conv = s.solve(float(lam), max_iter=max_iter, tol=tol)
    return _finish(cp, cm, P, lam, mu, sd, zmu, iu, ju, float(y.mean()), it, conv)


def hierlasso_path(X, y, *, n_lambdas: int = 10, lam_min_ratio: float = 0.05, standardize: bool = True,
                   max_iter: int = 20000, tol: float = 1e-7) -> list[HierLassoFit]:
    """Fits along ``n_lambdas`` penalties from ``lam_max`` (nothing selected) down to
    ``lam_min_ratio * lam_max`` on a log scale, warm-started."""
    X, y = _check_xy(X, y)
    Xs, mu, sd = _standardise(X) if standardize else (X - X.mean(0), X.mean(0), np.ones(X.shape[1]))
    yc = y - y.mean()
    lmax = _lam_max(Xs, yc)
    lams = lmax * np.geomspace(1.0, lam_min_ratio, int(n_lambdas))
    rho = max(float((Xs ** 2).mean(0).mean()), 1e-3)
    s = _Solver(Xs, yc, rho)
    _, zmu, iu, ju = _design(Xs)
    fits, warm = [], None
    for lam in lams:
        cp, cm, P, warm, it, conv = s.solve(float(lam), warm, max_iter=max_iter, tol=tol)
        fits.append(_finish(cp, cm, P, lam, mu, sd, zmu, iu, ju, float(y.mean()), it, conv))
    return fits


def stability_selection(X, y, *, n_resamples: int = 50, n_lambdas: int = 8, lam_min_ratio: float = 0.05,
                        seed=0, standardize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Selection frequencies over random half-samples (Meinshausen & Buhlmann 2010).

    For each of ``n_resamples`` subsamples of ``n // 2`` sequences the path is fitted on a fixed
    penalty grid (from the full data's ``lam_max``); a term is selected when its coefficient is
    non-zero. The frequency of a term is its largest selection frequency over the grid.

    Returns
    -------
    main_freq : float (p,)
    inter_freq : float (p, p), symmetric, zero diagonal
    """
    X, y = _check_xy(X, y)
    if isinstance(n_resamples, bool) or int(n_resamples) < 1:
        raise InputError(f"n_resamples must be a positive integer. Received {n_resamples!r}.")
    rng = check_seed(seed)
    n, p = X.shape
    Xs0 = _standardise(X)[0] if standardize else X - X.mean(0)
    lams = _lam_max(Xs0, y - y.mean()) * np.geomspace(1.0, lam_min_ratio, int(n_lambdas))
    main = np.zeros((len(lams), p))
    inter = np.zeros((len(lams), p, p))
    half = max(3, n // 2)
    for _ in range(int(n_resamples)):
        idx = rng.choice(n, half, replace=False)
        Xs = _standardise(X[idx])[0] if standardize else X[idx] - X[idx].mean(0)
        yc = y[idx] - y[idx].mean()
        s = _Solver(Xs, yc, max(float((Xs ** 2).mean(0).mean()), 1e-3))
        warm = None
        for li, lam in enumerate(lams):
            cp, cm, P, warm, _, _ = s.solve(float(lam), warm, max_iter=5000, tol=1e-6)
            main[li] += np.abs(cp - cm) > 1e-8
            th = 0.5 * (P + P.T)
            inter[li] += np.abs(th) > 1e-8
    main /= n_resamples
    inter /= n_resamples
    return main.max(axis=0), inter.max(axis=0)


def motif_features(hits, n_seqs: int, motif_names: Sequence[str], *, feature: str = "presence") -> np.ndarray:
    """Per-sequence motif features from a hit table: ``(n_seqs, K)`` float64.

    ``feature``: ``"presence"`` (1 if the sequence has a hit), ``"count"`` (number of hits) or
    ``"max_score"`` (best hit score; 0 without a hit).
    """
    from ._instances import check_hits

    if feature not in ("presence", "count", "max_score"):
        raise InputError(f"feature must be 'presence', 'count' or 'max_score'. Received: feature={feature!r}")
    h = check_hits(hits, n_seqs, int(np.max(hits["end"])) if len(hits) else 1)
    names = list(motif_names)
    col = {m: i for i, m in enumerate(names)}
    F = np.zeros((n_seqs, len(names)))
    for s, m, sc in zip(h["seq"].to_numpy(), h["motif"].to_numpy(),
                        h["score"].to_numpy() if "score" in h else np.ones(len(h))):
        k = col.get(m)
        if k is None:
            continue
        if feature == "presence":
            F[s, k] = 1.0
        elif feature == "count":
            F[s, k] += 1.0
        else:
            F[s, k] = max(F[s, k], float(sc))
    return F


def hierlasso_pairs(features, y, motif_names: Sequence[str], *, n_resamples: int = 50, n_lambdas: int = 8,
                    lam_min_ratio: float = 0.05, select: float = 0.6, seed=0):
    """The strong-hierarchy lasso as a pair detector.

    Parameters
    ----------
    features : float (n, K)
        Per-sequence motif features (:func:`motif_features`), one column per motif.
    y : float (n,)
        Target per sequence: data labels (data truth) or model outputs (model truth).
    motif_names : K str
    select : float
        Selection-frequency threshold for the ``selected`` column (0.6 to 0.9 in Meinshausen &
        Buhlmann).

    Returns
    -------
    pandas.DataFrame, the pair table (``method="hierlasso"``): ``effect`` = the interaction
    coefficient of the full-data fit at the penalty with the smallest 5-fold cross-validated
    error (units of ``y`` per unit of the standardised product), ``p_value``/``q_value`` NaN,
    plus ``selection_freq``, ``selected``, ``main_a``, ``main_b`` (main coefficients).
    """
    from .pair_table import finish_pair_table

    X, y = _check_xy(features, y)
    names = list(motif_names)
    if len(names) != X.shape[1]:
        raise InputError(f"{len(names)} motif names for {X.shape[1]} feature columns.")
    if not 0 < select <= 1:
        raise InputError(f"select must be in (0, 1]. Received: select={select!r}")
    rng = check_seed(seed)
    _, freq = stability_selection(X, y, n_resamples=n_resamples, n_lambdas=n_lambdas,
                                  lam_min_ratio=lam_min_ratio, seed=rng)
    # penalty by 5-fold cross-validation on the grid of the full data
    n = X.shape[0]
    folds = rng.permutation(n) % 5
    fits_full = hierlasso_path(X, y, n_lambdas=n_lambdas, lam_min_ratio=lam_min_ratio)
    lams = np.array([f.lam for f in fits_full])
    err = np.zeros(len(lams))
    for k in range(5):
        tr, te = folds != k, folds == k
        if te.sum() == 0 or tr.sum() < 3:
            continue
        Xs, mu, sd = _standardise(X[tr])
        yc = y[tr] - y[tr].mean()
        s = _Solver(Xs, yc, max(float((Xs ** 2).mean(0).mean()), 1e-3))
        _, zmu, iu, ju = _design(Xs)
        warm = None
        Xt = (X[te] - mu) / sd
        Zt = Xt[:, iu] * Xt[:, ju] - zmu
        for li, lam in enumerate(lams):
            cp, cm, P, warm, _, _ = s.solve(float(lam), warm, max_iter=5000, tol=1e-6)
            th = 0.5 * (P + P.T)
            pred = y[tr].mean() + Xt @ (cp - cm) + Zt @ th[iu, ju]
            err[li] += ((y[te] - pred) ** 2).sum()
    best = fits_full[int(np.argmin(err))]
    rows = []
    K = len(names)
    for i in range(K):
        for j in range(i + 1, K):
            rows.append({"motif_a": names[i], "motif_b": names[j], "effect": float(best.theta[i, j]),
                         "p_value": np.nan, "selection_freq": float(freq[i, j]),
                         "selected": bool(freq[i, j] >= select), "main_a": float(best.beta[i]),
                         "main_b": float(best.beta[j])})
    df = finish_pair_table(rows, "hierlasso")
    order = np.lexsort((-np.abs(df["effect"].to_numpy(float)), -df["selection_freq"].to_numpy(float)))
    return df.iloc[order].reset_index(drop=True)
