"""Batched Levenberg–Marquardt least squares and parameter uncertainties from the Jacobian.

The model (a simulated step) runs in one jitted, vmapped JAX kernel that returns the residuals
and their exact Jacobian (forward-mode autodiff through the step, event times included); the
solver's bookkeeping is a few NumPy operations per iteration on the host, elementwise over the
batch, the arrangement of ``simsrc.engine.batch`` that the gait solvers use too. One code path
serves a single fit (a batch of one), multiple starts and thousands of per-second fits.

Why on the host: inside the vmapped kernel, stacking per-metric outputs of the step's
derivative into one vector (``jnp.stack``, also after the ``vmap`` in the same ``jit``) made the
batched derivative ~300× slower on CPU (measured: 2.0 s against 7 ms for 256 strides), so the
kernels return tuples and the small linear algebra lives here. docs/fitting.md, "Solver".

Algorithm (Moré 1978 with Nielsen's 1999 damping update): minimise ½‖r(u)‖² over the internal
parameters u (``fit_transforms``). Each iteration solves (JᵀJ + λ D) δ = −Jᵀr with
D = diag(JᵀJ) (Marquardt's scaling), evaluates r and J at u + δ in one kernel call, accepts the
step if the gain ratio ρ = (actual reduction)/(predicted reduction) > 1e-4, then
λ ← λ·max(1/3, 1 − (2ρ − 1)³) (accepted) or λ ← λ·ν, ν ← 2ν (rejected). A point stops when the
relative reduction of an accepted step is below ``ftol``, the step is below ``xtol`` relative
to u, the gradient's cosine with the residual is below ``gtol``, or λ has grown past 1e16 (no
decrease possible at this precision).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from simsrc.fit.transforms import Bound, derivatives, natural_values

#: Status codes of a fit (``FitResult.status``).
CONVERGED, MAX_ITERATIONS, INVALID_START, SINGULAR = 0, 1, 2, 3
STATUS_NAMES = {CONVERGED: "converged", MAX_ITERATIONS: "max_iterations",
                INVALID_START: "invalid_start", SINGULAR: "singular"}


class Solution(NamedTuple):
    """Where the solver stopped, per batch element (internal parameters).

    Attributes:
        u: (N, p) internal parameter values.
        residual: (N, m) residuals at u.
        jacobian: (N, m, p) ∂r/∂u at u.
        cost: (N,) ½‖r‖².
        iterations: (N,) iterations taken.
        status: (N,) ``CONVERGED``, ``MAX_ITERATIONS`` or ``INVALID_START``.
    """

    u: np.ndarray
    residual: np.ndarray
    jacobian: np.ndarray
    cost: np.ndarray
    iterations: np.ndarray
    status: np.ndarray


class FitResult(NamedTuple):
    """A fit's parameters with uncertainties; leading axes are the batch (none for one fit).

    Attributes:
        names: the fitted parameters' names (SI units in the names).
        value: (..., p) fitted values in natural (SI) units.
        stderr: (..., p) standard errors, √diag(covariance).
        covariance: (..., p, p) s²·(J_θᵀ J_θ)⁻¹ with J_θ the Jacobian with respect to the
            natural parameters (delta method through the transforms).
        correlation: (..., p, p) covariance / (stderr_i stderr_j).
        residual: (..., m) residuals at the solution (weighted; zero where the weight is 0).
        n_data: (...,) residuals that count (weight > 0).
        dof: (...,) n_data − (parameters not at a bound).
        residual_variance: (...,) s² = ‖r‖²/dof, or 1 when the residuals are already
            divided by known measurement errors (``known_variance``).
        rms: (...,) √(‖r‖²/n_data), in the residual's unit.
        initial: (..., p) the start values (natural units).
        iterations: (...,) solver iterations.
        status: (...,) ``CONVERGED`` (0), ``MAX_ITERATIONS``, ``INVALID_START``, ``SINGULAR``.
        at_bound: (..., p) the parameter ended on a bound of its range (held fixed there for
            the uncertainties; its error is NaN).
    """

    names: tuple[str, ...]
    value: np.ndarray
    stderr: np.ndarray
    covariance: np.ndarray
    correlation: np.ndarray
    residual: np.ndarray
    n_data: np.ndarray
    dof: np.ndarray
    residual_variance: np.ndarray
    rms: np.ndarray
    initial: np.ndarray
    iterations: np.ndarray
    status: np.ndarray
    at_bound: np.ndarray

    @property
    def converged(self) -> np.ndarray:
        return np.asarray(self.status) == CONVERGED

    def get(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(value, standard error) of one parameter by name."""
        i = self.names.index(name)
        return self.value[..., i], self.stderr[..., i]

    def index(self, i) -> "FitResult":
        """One element (or a slice) of a batched result."""
        return FitResult(self.names, *[np.asarray(v)[i] for v in self[1:]])


def _cost(r: np.ndarray, jac: np.ndarray) -> np.ndarray:
    ok = np.all(np.isfinite(r), axis=1) & np.all(np.isfinite(jac), axis=(1, 2))
    with np.errstate(over="ignore", invalid="ignore"):
        c = 0.5 * np.sum(r * r, axis=1)
    return np.where(ok, c, np.inf)


def _gradient_cosine(r, jac):
    """max_j |J_jᵀ r| / (‖J_j‖ ‖r‖) (MINPACK's gtol test), 0 where r = 0."""
    g = np.einsum("nmp,nm->np", jac, r)
    norms = np.sqrt(np.sum(jac * jac, axis=1)) * np.sqrt(np.sum(r * r, axis=1))[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where(norms > 0, np.abs(g) / norms, 0.0)
    return np.max(cos, axis=1)


def levenberg_marquardt(evaluate: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
                        u0: np.ndarray, *, max_iterations: int = 60, ftol: float = 1e-8,
                        xtol: float = 1e-8, gtol: float = 1e-8) -> Solution:
    """Minimise ½‖r(u)‖² for a batch of independent problems.

    Args:
        evaluate: ``u (N, p) -> (r (N, m), J (N, m, p))``; a failed model evaluation may
            return NaN (the step is then rejected).
        u0: (N, p) start values (internal parameters).
        max_iterations: iterations at most (each one kernel call for the whole batch).
        ftol, xtol, gtol: stopping tolerances (module docstring).

    Returns:
        ``Solution``. Elements whose start cannot be evaluated get ``INVALID_START``.
    """
    u = np.array(u0, dtype=float)
    n, p = u.shape
    r, jac = evaluate(u)
    r, jac = np.asarray(r, float), np.asarray(jac, float)
    cost = _cost(r, jac)
    valid = np.isfinite(cost)
    a = np.einsum("nmi,nmj->nij", np.nan_to_num(jac), np.nan_to_num(jac))
    lam = 1e-3 * np.max(np.diagonal(a, axis1=1, axis2=2), axis=1) + 1e-300
    nu = np.full(n, 2.0)
    status = np.where(valid, MAX_ITERATIONS, INVALID_START)
    active = valid & (cost > 0)
    status = np.where(valid & (cost == 0), CONVERGED, status)
    iterations = np.zeros(n, int)
    eye = np.eye(p)
    for _ in range(max_iterations):
        if not np.any(active):
            break
        g = np.einsum("nmp,nm->np", np.nan_to_num(jac), np.nan_to_num(r))
        diag = np.diagonal(a, axis1=1, axis2=2)
        d = np.maximum(diag, 1e-12 * np.max(diag, axis=1, keepdims=True) + 1e-300)
        lhs = a + lam[:, None, None] * d[:, :, None] * eye
        lhs = np.where(active[:, None, None], lhs, eye)
        delta = -np.linalg.solve(lhs, np.where(active[:, None], g, 0.0)[..., None])[..., 0]
        trial = u + delta
        r_t, jac_t = evaluate(trial)
        r_t, jac_t = np.asarray(r_t, float), np.asarray(jac_t, float)
        cost_t = _cost(r_t, jac_t)
        pred = -np.einsum("np,np->n", delta, g) - 0.5 * np.einsum("np,npq,nq->n", delta, a, delta)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            rho = np.where(pred > 0, (cost - cost_t) / pred, -1.0)
        accept = active & np.isfinite(cost_t) & (rho > 1e-4)
        reduction = np.where(accept, cost - cost_t, 0.0)
        small_step = np.sqrt(np.sum(delta**2, axis=1)) <= xtol * (np.sqrt(np.sum(u**2, axis=1))
                                                                   + xtol)
        u = np.where(accept[:, None], trial, u)
        r = np.where(accept[:, None], r_t, r)
        jac = np.where(accept[:, None, None], jac_t, jac)
        cost = np.where(accept, cost_t, cost)
        a = np.where(accept[:, None, None], np.einsum("nmi,nmj->nij", np.nan_to_num(jac),
                                                      np.nan_to_num(jac)), a)
        with np.errstate(invalid="ignore"):
            factor = np.maximum(1.0 / 3.0, 1.0 - (2.0 * np.clip(rho, 0.0, 1.0) - 1.0) ** 3)
        lam = np.where(accept, lam * factor, np.where(active, np.minimum(lam * nu, 1e300), lam))
        nu = np.where(accept, 2.0, np.where(active, np.minimum(2.0 * nu, 1e30), nu))
        iterations += active
        done = accept & ((reduction <= ftol * (cost + reduction)) | small_step | (cost == 0))
        done |= active & (_gradient_cosine(r, jac) <= gtol)
        # no decrease possible at this precision: converged if the model predicted (almost) none
        stalled = active & ~done & (lam > 1e16)
        done |= stalled & (np.abs(pred) <= 1e-8 * np.maximum(cost, 1e-300))
        status = np.where(done, CONVERGED, status)
        active &= ~done & ~stalled
    return Solution(u, r, jac, cost, iterations, status)


def at_bound(bounds: tuple[Bound, ...], u) -> np.ndarray:
    """(N, p) True where a parameter sits on a bound of its transform: within 1e-6 of the
    range of a logit bound (|u| > 13.8), within ~1e-9 of a log bound (u < −20)."""
    u = np.asarray(u, dtype=float)
    out = np.zeros(u.shape, bool)
    for i, b in enumerate(bounds):
        if b.kind == "logit":
            out[..., i] = np.abs(u[..., i]) > 13.8
        elif b.kind == "log":
            out[..., i] = u[..., i] < -20.0
    return out


def uncertainty(bounds: tuple[Bound, ...], solution: Solution, n_data: np.ndarray, *,
                known_variance: bool = False, initial_u: np.ndarray | None = None) -> FitResult:
    """Natural parameters with standard errors and correlations from the solution's Jacobian.

    cov_θ = s² · D (J_uᵀ J_u)⁻¹ D with D = diag(dθ/du): the same as s²·(J_θᵀ J_θ)⁻¹ with
    J_θ = J_u D⁻¹ (delta method), computed in the well-scaled internal variables.
    s² = ‖r‖²/(n_data − p) (the residual variance), or 1 with ``known_variance`` (residuals
    already divided by their measurement errors). A parameter that ended on a bound
    (``at_bound``) is held fixed there: its error is NaN and the others' covariance is that of
    the remaining parameters. A JᵀJ with a condition number above 1e13 (a parameter the data
    do not determine) gives NaN errors and ``SINGULAR``.
    """
    u, r, jac = solution.u, solution.residual, solution.jacobian
    n, p = u.shape
    n_data = np.broadcast_to(np.asarray(n_data), (n,))
    fixed = at_bound(bounds, u)
    dof = n_data - np.sum(~fixed, axis=1)
    rss = 2.0 * solution.cost
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = np.ones(n) if known_variance else np.where(dof > 0, rss / dof, np.nan)
    j_free = np.where(fixed[:, None, :], 0.0, np.nan_to_num(jac))
    h = np.einsum("nmi,nmj->nij", j_free, j_free) + fixed[:, :, None] * np.eye(p)
    cond = np.linalg.cond(h) if n else np.zeros(0)
    ok = np.isfinite(cond) & (cond < 1e13) & np.isfinite(solution.cost)
    inv = np.linalg.inv(np.where(ok[:, None, None], h, np.eye(p)))
    d = np.where(fixed, 0.0, derivatives(bounds, u))
    cov = s2[:, None, None] * d[:, :, None] * inv * d[:, None, :]
    cov = np.where(ok[:, None, None], cov, np.nan)
    se = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None))
    se = np.where(fixed, np.nan, se)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / (se[:, :, None] * se[:, None, :])
    status = np.where((solution.status == CONVERGED) & ~ok, SINGULAR, solution.status)
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.sqrt(rss / n_data)
    init = natural_values(bounds, initial_u) if initial_u is not None else np.full((n, p), np.nan)
    return FitResult(tuple(b.name for b in bounds), natural_values(bounds, u), se, cov, corr, r,
                     n_data, dof, s2, rms, init, solution.iterations, status, fixed)


def best_of_starts(result: FitResult, n_starts: int) -> FitResult:
    """From a batch laid out as (problems × starts), keep each problem's lowest-cost fit
    (a converged one if any converged)."""
    n = np.asarray(result.value).shape[0] // n_starts
    rss = np.sum(np.asarray(result.residual) ** 2, axis=-1).reshape(n, n_starts)
    ok = np.asarray(result.status).reshape(n, n_starts) == CONVERGED
    score = np.where(ok, rss, np.inf)
    score = np.where(np.any(ok, axis=1, keepdims=True), score,
                     np.nan_to_num(rss, nan=np.inf))
    pick = np.arange(n) * n_starts + np.argmin(score, axis=1)
    return result.index(pick)
