"""A damped Newton method for r(u) = 0 over a batch, with the bookkeeping on the host.

The periodic-gait solvers (``find_gait``, ``solve_push_for_speed``, ``solve_push_fd``,
``find_swing_gait``) all solve r(u) = 0 for m unknowns per batch element, where r is a fixed
point condition P(u) − u or a variant of it. Each iteration evaluates r and its Jacobian J at a
trial point in one batched kernel call (``simsrc.engine.batch``); the rest is NumPy.

With the scales U (unknowns) and R (residuals), the scaled Jacobian is Ĵ = R⁻¹ J U and the step
solves the Levenberg-regularised normal equations

    (ĴᵀĴ + μ I) δ̂ = −Ĵᵀ R⁻¹ r,    μ = 1e-12 tr(ĴᵀĴ),

which is Newton's step when J is regular and a least-norm step where it is singular (the
conservative case, whose fixed points form a curve, one per energy). The step is limited to
``max_step`` in scaled units; a trial point is accepted if valid and ‖R⁻¹ r‖ decreased,
otherwise the step fraction is halved (backtracking). Optional plain map iterations
u ← u + r come first: for r = P(u) − u they walk into a stable gait from far away.

An element stops early, unconverged, where more iterations cannot change its answer or do not
pay (``STALL_WINDOW``): no valid point yet after the map iterations (its trial point never
moves, so every later evaluation repeats the first), or a best residual that fell by less than
``STALL_DECREASE`` over the last ``STALL_WINDOW`` evaluations (a nonzero local minimum of the
residual: no gait there, or steps all rejected). Without this, a point with no gait ran all
``iters`` evaluations, in every retry of the held-speed solver: two thirds of a stiff-legged
runner's answer in the explorer (docs/gaits.md).
"""
from __future__ import annotations

import jax
import numpy as np


#: Evaluations over which an element's best residual norm must fall by ``STALL_DECREASE``
#: (relative) to keep iterating; Newton's steps, even damped to ``max_step``, do far better
#: (module docstring).
STALL_WINDOW = 8
STALL_DECREASE = 0.1


def damped_newton(residual, u0, u_scale, r_scale, *, iters, map_iters, tol, max_step,
                  bounds=None, subset=False, stop_with=None):
    """Damped Newton for r(u) = 0 over a batch.

    Args:
        residual: ``u (N, m) -> (r (N, m), J (N, m, m), ok (N,), aux)``, one batched kernel
            call; ``aux`` is a PyTree of arrays with the leading axis N, kept for the accepted
            points.
        u0: the starting points (N, m).
        u_scale, r_scale: the natural sizes of the unknowns and of the residuals (N, m).
        iters: at most this many evaluations of ``residual``.
        map_iters: of which the first ``map_iters`` take u ← u + r (plain map iterations).
        tol: scaled residual norm accepted as converged.
        max_step: the longest step in scaled units.
        bounds: optional (lower (m,), upper (m,)) clipping every trial point.
        (Elements stop early where they stall: module docstring.)
        subset: evaluate only the elements not yet converged: ``residual(u_rows, idx)`` then
            gets the rows ``idx`` (an index array) and returns their values (the finished
            elements cost nothing while the last ones iterate).
        stop_with: optional (N,) int: the element whose convergence ends this one (which then
            stops, unconverged), or -1 for none. Alternative starts solved beside the start
            they stand in for (``simsrc.gait.steady._held_solve``) stop as soon as it converged.

    Returns:
        (u, r, ok, aux, residual norm, iterations) of the accepted points; ``ok`` is False
        where no valid point was ever reached.
    """
    n, m = u0.shape
    u, trial = u0.copy(), u0.copy()
    r = np.full((n, m), np.nan)
    jac = np.full((n, m, m), np.nan)
    ok_any = np.zeros(n, bool)
    rn = np.full(n, np.inf)
    frac = np.ones(n)
    d = np.zeros((n, m))
    aux = None
    it = np.zeros(n, int)
    stopped = np.zeros(n, bool)                 # stalled: finished without converging
    best = np.full((iters, n), np.inf)          # rn after each evaluation
    for i in range(iters):
        if subset:
            idx = np.flatnonzero(~(ok_any & (rn <= tol)) & ~stopped)
            r_t, jac_t, ok_t, aux_t = _scatter(residual(trial[idx], idx), idx, n, aux)
        else:
            r_t, jac_t, ok_t, aux_t = residual(trial)
        with np.errstate(invalid="ignore"):
            rn_t = np.sqrt(np.sum((r_t / r_scale) ** 2, axis=1))
        ok_t = ok_t & np.isfinite(rn_t) & np.all(np.isfinite(jac_t), axis=(1, 2))
        active = ~(ok_any & (rn <= tol)) & ~stopped
        accept = active & ok_t & ((i < map_iters) | (rn_t < rn) | ~ok_any)
        it += active
        u = np.where(accept[:, None], trial, u)
        r = np.where(accept[:, None], r_t, r)
        jac = np.where(accept[:, None, None], jac_t, jac)
        aux = aux_t if aux is None else jax.tree_util.tree_map(
            lambda x, y: np.where(accept.reshape((-1,) + (1,) * (x.ndim - 1)), x, y), aux_t, aux)
        rn = np.where(accept, rn_t, rn)
        ok_any |= accept
        frac = np.where(accept, 1.0, 0.5 * frac)
        best[i] = rn
        if i + 1 >= map_iters:
            stopped |= active & ~ok_any         # its trial point never moves again
        if i >= map_iters + STALL_WINDOW:
            with np.errstate(invalid="ignore"):
                stopped |= active & (rn > (1.0 - STALL_DECREASE) * best[i - STALL_WINDOW])
        if stop_with is not None:
            done = ok_any & (rn <= tol)
            stopped |= (stop_with >= 0) & done[np.maximum(stop_with, 0)] & ~done
        if np.all((ok_any & (rn <= tol)) | stopped):
            break
        js = jac / r_scale[:, :, None] * u_scale[:, None, :]
        jtj = np.einsum("nki,nkj->nij", js, js)
        mu = 1e-12 * np.trace(jtj, axis1=1, axis2=2) + 1e-300
        rhs = -np.einsum("nki,nk->ni", js, r / r_scale)
        with np.errstate(invalid="ignore"):
            ds = np.linalg.solve(jtj + mu[:, None, None] * np.eye(m), rhs[..., None])[..., 0]
            norm = np.sqrt(np.sum(ds**2, axis=1))
            ds *= np.minimum(1.0, max_step / np.where(norm > 0, norm, 1.0))[:, None]
        d = np.where(accept[:, None], ds * u_scale, d)
        if i + 1 < map_iters:
            trial = np.where(ok_t[:, None], trial + r_t, u)
        else:
            trial = u + frac[:, None] * d
        if bounds is not None:
            trial = np.clip(trial, bounds[0], bounds[1])
    return u, r, ok_any, aux, rn, it


def _scatter(values, idx, n, aux_before):
    """Rows ``idx`` of a subset evaluation placed into full-batch arrays: NaN residuals and
    ``ok`` False elsewhere (never accepted), and ``aux`` rows kept from ``aux_before``."""
    r_s, jac_s, ok_s, aux_s = values
    r = np.full((n,) + r_s.shape[1:], np.nan)
    jac = np.full((n,) + jac_s.shape[1:], np.nan)
    ok = np.zeros(n, bool)
    r[idx], jac[idx], ok[idx] = r_s, jac_s, ok_s

    def place(sub, before):
        sub = np.asarray(sub)
        full = (np.zeros((n,) + sub.shape[1:], sub.dtype) if before is None
                else np.array(before, copy=True))
        full[idx] = sub
        return full

    if aux_before is None:
        aux = jax.tree_util.tree_map(lambda a: place(a, None), aux_s)
    else:
        aux = jax.tree_util.tree_map(place, aux_s, aux_before)
    return r, jac, ok, aux
