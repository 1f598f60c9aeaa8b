"""Periodic gaits: fixed points of the apex-to-apex map, Floquet multipliers, push for a speed.

A periodic gait is a fixed point of the step map P: apex → next apex (MODEL.md §9). The map is
``simsrc.engine.step.step`` itself (``apex_map``); its exact derivatives come from forward-mode
autodiff (``jax.jvp`` / ``jax.jacfwd``), whose event-time derivatives follow the
implicit-function theorem (liftoff.py). The model is invariant to shifts in x, so the reduced
state is the apex (y, v_x) (v_y = 0 at an apex).

- ``find_gait_1d``: **conservative case** (no damping, no push, elastic surface, level ground).
  Energy is conserved, so at a fixed specific energy e = g y + v_x²/2 the map is 1-D,
  y → P(y) with v_x = √(2 (e − g y)). The roots of f(y) = P(y) − y are bracketed by a scan of
  ``grid_points`` heights over the admissible range (touchdown height L0 cos β up to the height
  where v_x = 0; quadratically spaced, denser at the bottom where running gaits sit and where
  f has a square-root singularity), then refined by safeguarded Newton (a Newton step that
  leaves the bracket is replaced by bisection). Floquet multiplier λ = P'(y*); the other
  multiplier of the 2-D map is exactly 1 (the neutral energy direction) and is not reported.
  With several roots the lowest one with P' < 1 (the only kind that can be stable) is taken;
  ``n_fixed_points`` counts the sign changes the scan saw.
- ``find_gait``: **general case** (losses and push). 2-D Newton on r(y, v_x) = P(y, v_x) −
  (y, v_x) with the 2×2 Jacobian from ``jacfwd``; fallbacks for a poor guess: optional plain
  map iterations first (they walk into a stable gait from far away), then a damped Newton method
  (backtracking on the scaled residual, step length limited, Levenberg-regularised so that it
  stays defined where ∂P/∂u − I is singular). Multipliers: eigenvalues of ∂P/∂(y, v_x). In the
  conservative case one multiplier is exactly 1 and the fixed points form a curve, one per
  energy: use ``find_gait_1d`` there.
- ``solve_push_for_speed``: the coach's question, which push force (body weights) sustains a
  periodic gait at a target apex speed? Unknowns (apex height y, push amplitude A) with the apex
  speed held at the target v*; equations P(y, v*, A) = (y, v*): 2 equations, 2 unknowns, the same
  damped Newton with the Jacobian columns ∂P/∂y and ∂P/∂A. The gait's stability comes from the
  columns ∂P/∂(y, v_x) of the same ``jacfwd``.

Batching and compilation: each solver evaluates one jitted, ``vmap``-ed kernel (one step and its
derivatives for every parameter set of the batch) once per iteration, and keeps the iteration's
bookkeeping (brackets, line search) in NumPy on the host. Nesting the step inside a
``lax.fori_loop`` would make the whole solver one pure function, but XLA then takes 2-3 times
longer to compile it on CPU; the host loop also stops as soon as the whole batch has converged.
Every kernel is compiled once per ``Options`` and batch size.

The solvers need an explicit ``Options`` (the surface model cannot be chosen from traced
parameters); by default it comes from ``simulate.default_options`` on the concrete parameters.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from simsrc.engine import status as st
from simsrc.errors import SimsrcInputError
from simsrc.engine.frame import gravity_m_per_s2, landing_angle_rad, potential_energy_j
from simsrc.engine.params import (PARAMETER, Params, State, as_arrays, conservation_breakers,
                                  is_conservative)
from simsrc.engine.simulate import default_options
from simsrc.engine.step import Options, step


class Gait1D(NamedTuple):
    """A conservative periodic gait at fixed energy (NumPy arrays of the batch shape).

    Attributes:
        apex_height_m, apex_speed_m_per_s: the fixed point (apex state); NaN if none found.
        multiplier: Floquet multiplier λ = dP/dy of the 1-D apex map at fixed energy.
        stable: converged and |λ| < 1.
        residual_m: |P(y*) − y*|.
        converged: the residual is at most the tolerance.
        n_fixed_points: sign changes of P(y) − y seen by the scan (0: no gait found).
        status: step status at the fixed point (``simsrc.status``; FALL when none was found).
    """

    apex_height_m: np.ndarray
    apex_speed_m_per_s: np.ndarray
    multiplier: np.ndarray
    stable: np.ndarray
    residual_m: np.ndarray
    converged: np.ndarray
    n_fixed_points: np.ndarray
    status: np.ndarray


class Gait(NamedTuple):
    """A periodic gait of the 2-D apex map (NumPy arrays: the batch shape, then trailing axes).

    Attributes:
        apex_height_m, apex_speed_m_per_s: the fixed point.
        jacobian: ∂P/∂(y, v_x) at the fixed point, shape (..., 2, 2).
        multipliers: its eigenvalues (complex), shape (..., 2), largest modulus first.
        max_abs_multiplier: the largest |λ|.
        stable: converged and max |λ| < 1.
        residual: ‖r‖ of the fixed-point equations in scaled units (y/L0, v_x/√(g L0)).
        converged: the residual is at most the tolerance.
        push_force_bw: the push amplitude of the gait (the unknown of ``solve_push_for_speed``).
        iterations: solver iterations used.
        status: step status at the fixed point (FALL when no valid point was ever reached).
    """

    apex_height_m: np.ndarray
    apex_speed_m_per_s: np.ndarray
    jacobian: np.ndarray
    multipliers: np.ndarray
    max_abs_multiplier: np.ndarray
    stable: np.ndarray
    residual: np.ndarray
    converged: np.ndarray
    push_force_bw: np.ndarray
    iterations: np.ndarray
    status: np.ndarray


# ----------------------------------------------------------------------------- pure pieces

def specific_energy_j_per_kg(params: Params, height_m, speed_m_per_s):
    """Specific mechanical energy e = g y cos θ + v²/2 of an apex at x = 0 (J/kg)."""
    return (potential_energy_j(params, 1.0, 0.0, height_m)
            + 0.5 * jnp.asarray(speed_m_per_s) ** 2)


def apex_at_energy(params: Params, height_m, energy_j_per_kg) -> State:
    """The apex at x = 0 and height ``height_m`` with specific energy ``energy_j_per_kg``
    (v_x = √(2 (e − g y)); NaN where e < g y)."""
    vx = jnp.sqrt(2.0 * (energy_j_per_kg - potential_energy_j(params, 1.0, 0.0, height_m)))
    return State(jnp.zeros_like(vx), height_m + jnp.zeros_like(vx), vx, jnp.zeros_like(vx))


def apex_map(p: Params, state: State, options: Options):
    """One step of the apex map: (next apex state, valid, status). Pure: ``jit``/``vmap``/``jvp``.

    ``valid`` is False when the step failed or the body left the ground descending (the step
    then ends at liftoff, not at an apex, so the result is not a point of the apex map).
    """
    nxt, rec, _ = step(p, state, options)
    valid = (rec.status == st.OK) & (rec.liftoff.vy_m_per_s > 0.0)
    return nxt, valid, rec.status


def floquet_multipliers(jacobian):
    """Eigenvalues of 2×2 matrices (..., 2, 2), largest modulus first, complex (closed form)."""
    jacobian = np.asarray(jacobian)
    a, b = jacobian[..., 0, 0], jacobian[..., 0, 1]
    c, d = jacobian[..., 1, 0], jacobian[..., 1, 1]
    half_tr = 0.5 * (a + d)
    disc = np.sqrt((0.5 * (a - d)) ** 2 + b * c + 0j)
    l1, l2 = half_tr + disc, half_tr - disc
    swap = np.abs(l2) > np.abs(l1)
    return np.stack([np.where(swap, l2, l1), np.where(swap, l1, l2)], axis=-1)


def gait_options(params: Params, options: Options | None = None, **overrides) -> Options:
    """Options for the gait solvers: ``default_options`` on the concrete parameters (the
    cheapest exact surface model), no dense trajectory, plus ``overrides``."""
    opts = default_options(params) if options is None else options
    return dataclasses.replace(opts, flight_samples=0, **overrides)


def _map_1d(p: Params, energy, y, options):
    """f(y) = P(y) − y at fixed energy, f'(y) (one jvp), valid, status."""
    def f(yy):
        nxt, valid, code = apex_map(p, apex_at_energy(p, yy, energy), options)
        return nxt.y_m - yy, (valid, code)
    val, der, (valid, code) = jax.jvp(f, (y,), (jnp.ones_like(y),), has_aux=True)
    return val, der, valid & jnp.isfinite(val) & jnp.isfinite(der), code


def _map_jacobian(p: Params, y, vx, push, options, wrt_push=False):
    """P(y, v_x; A) = (next apex y, v_x), its Jacobian ∂P/∂(y, v_x) (and ∂P/∂A if
    ``wrt_push``) as nested tuples of scalars, valid, status.

    Scalars in, a tuple of scalars out: under ``vmap``, slicing a stacked (N, 2) input inside
    the kernel made the batched derivative run ~300 times slower per element on CPU.
    """
    def f(yy, vv, aa):
        q = p._replace(push_force_bw=aa)
        nxt, valid, code = apex_map(q, State(jnp.zeros_like(yy), yy, vv, jnp.zeros_like(yy)),
                                    options)
        out = (nxt.y_m, nxt.vx_m_per_s)
        return out, (out, valid, code)
    argnums = (0, 1, 2) if wrt_push else (0, 1)
    jac, (val, valid, code) = jax.jacfwd(f, argnums=argnums, has_aux=True)(y, vx, push)
    return val, jac, valid, code


def _jacobian_rows(jac):
    """The kernel's nested ((∂P_y/∂y, ∂P_y/∂v[, ∂P_y/∂A]), (∂P_v/∂y, ...)) as (N, 2, 2 or 3)."""
    return np.stack([np.stack([np.asarray(c) for c in row], axis=-1) for row in jac], axis=-2)


@functools.lru_cache(maxsize=None)
def _kernel(fn, options: Options, **static):
    """``jit(vmap(fn))`` over a flat batch, one per (function, options, static arguments)."""
    return jax.jit(jax.vmap(functools.partial(fn, options=options, **static)))


_PAD = 8


def _flat(params: Params, *others):
    """Parameters and extra inputs broadcast to one batch shape, flattened to (N,) and padded
    (repeating the last element) to a multiple of 8, so that every batch of up to 8 parameter
    sets, a single one included, shares one compiled kernel. Returns (params, others as NumPy
    arrays, batch shape); ``_unflat`` undoes it."""
    p = as_arrays(params)
    arrays = list(p) + [jnp.asarray(o, dtype=jnp.float64) for o in others]
    shape = jnp.broadcast_shapes(*[a.shape for a in arrays])
    n = int(np.prod(shape, dtype=int))
    pad = -n % _PAD
    flat = [jnp.pad(jnp.broadcast_to(a, shape).reshape(-1), (0, pad), mode="edge")
            for a in arrays]
    return Params(*flat[:len(p)]), [np.asarray(a) for a in flat[len(p):]], shape


def _unflat(values, shape):
    """Drop the padding of each (N_padded, ...) array and restore the batch shape."""
    n = int(np.prod(shape, dtype=int))
    return [np.reshape(np.asarray(v)[:n], tuple(shape) + np.shape(v)[1:]) for v in values]


def _get(*xs):
    return [np.asarray(x) for x in jax.device_get(xs)]


# ----------------------------------------------------------------------------- 1-D, conservative

def _check_conservative(params: Params):
    """Raise ``SimsrcInputError`` naming the first (concrete) parameter that breaks energy
    conservation, which the 1-D map at fixed energy relies on."""
    for name, shown, allowed in conservation_breakers(params)[:1]:
        raise SimsrcInputError(
            f"find_gait_1d needs a conservative runner: `{name}` must be {allowed}, got "
            f"{shown:g}; use find_gait or solve_push_for_speed for a runner with losses")


def find_gait_1d(params: Params, energy_j_per_kg, *, options: Options | None = None,
                 grid_points: int = 32, newton_iters: int = 12,
                 tol_m: float = 1e-11) -> Gait1D:
    """Conservative periodic gaits at a fixed specific energy, batched over parameter sets.

    Args:
        params: parameters (scalars or arrays of one batch shape); must be conservative
            (no leg damping, no push, elastic undamped surface) on level ground, otherwise energy
            is not conserved and the 1-D map is not the gait's map.
        energy_j_per_kg: specific energy e = g y + v_x²/2 (``specific_energy_j_per_kg``);
            Seyfarth et al. 2002: 5 m/s at 1 m apex, e = 12.5 + 9.81 J/kg.
        options: step options; default ``gait_options(params)``.
        grid_points: heights scanned to bracket the fixed points (one batched step each).
        newton_iters: at most this many safeguarded Newton iterations (one step + jvp each).
        tol_m: residual |P(y) − y| accepted as converged.

    Returns:
        ``Gait1D`` of NumPy arrays of the batch shape.
    """
    _check_conservative(params)
    opts = gait_options(params, options)
    kernel = _kernel(_map_1d, opts)
    p, (energy,), shape = _flat(params, energy_j_per_kg)
    gy = -np.asarray(gravity_m_per_s2(p)[1])
    y_min = np.asarray(p.leg_length_m * jnp.cos(landing_angle_rad(p)))
    y_max = energy / gy
    e_dev = jnp.asarray(energy)

    def evaluate(y):
        return _get(*kernel(p, e_dev, jnp.asarray(y)))

    # scan: bracket a sign change of f, preferring f: + -> - (P' < 1)
    n = y_min.shape[0]
    prev_y = prev_f = np.full(n, np.nan)
    a, b = np.full(n, np.nan), np.full(n, np.nan)       # a: f > 0 side, b: f <= 0 side
    kind, count = np.zeros(n, int), np.zeros(n, int)
    for i in range(grid_points):
        y = y_min + (y_max - y_min) * ((i + 0.5) / grid_points) ** 2
        f, _, ok, _ = evaluate(y)
        change = ok & np.isfinite(prev_f) & (np.sign(f) != np.sign(prev_f))
        down = change & (prev_f > 0)
        take = (down & (kind < 2)) | (change & (kind == 0))
        a = np.where(take, np.where(f > 0, y, prev_y), a)
        b = np.where(take, np.where(f > 0, prev_y, y), b)
        kind = np.where(take, np.where(down, 2, 1), kind)
        count += change
        prev_y, prev_f = np.where(ok, y, np.nan), np.where(ok, f, np.nan)

    # safeguarded Newton inside the bracket
    found = kind > 0
    y = 0.5 * (a + b)
    best_y, best_f, best_d = np.full(n, np.nan), np.full(n, np.inf), np.full(n, np.nan)
    best_code = np.full(n, st.FALL)
    for _ in range(newton_iters):
        if np.all(~found | (best_f <= tol_m)):
            break
        f, d, ok, code = evaluate(y)
        better = ok & (np.abs(f) < best_f)
        best_y, best_f = np.where(better, y, best_y), np.where(better, np.abs(f), best_f)
        best_d, best_code = np.where(better, d, best_d), np.where(better, code, best_code)
        a, b = np.where(ok & (f > 0), y, a), np.where(ok & (f <= 0), y, b)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = y - f / d
        inside = ok & np.isfinite(newton) & (newton > lo) & (newton < hi)
        y = np.where(inside, newton, 0.5 * (a + b))

    converged = found & (best_f <= tol_m)
    lam = 1.0 + best_d
    y_star = np.where(found, best_y, np.nan)
    with np.errstate(invalid="ignore"):
        speed = np.sqrt(2.0 * (energy - gy * y_star))
    out = Gait1D(apex_height_m=y_star, apex_speed_m_per_s=speed,
                 multiplier=np.where(found, lam, np.nan), stable=converged & (np.abs(lam) < 1.0),
                 residual_m=np.where(found, best_f, np.nan), converged=converged,
                 n_fixed_points=count, status=np.where(found, best_code, st.FALL))
    return Gait1D(*_unflat(out, shape))


# ----------------------------------------------------------------------------- damped Newton

def _damped_newton(residual, u0, u_scale, r_scale, *, iters, map_iters, tol, max_step,
                   bounds=None):
    """Damped Newton for r(u) = 0 over a batch, with the bookkeeping on the host.

    ``residual(u) -> (r (N, m), J (N, m, m), ok (N,), aux)`` evaluates one batched kernel call;
    ``u_scale`` and ``r_scale`` (N, m) are the natural sizes of the unknowns and the residuals.
    The first ``map_iters`` iterations take u ← u + r (plain map iteration, meaningful when
    r = P(u) − u). After that each iteration evaluates a trial point: accepted if valid and the
    scaled residual decreased, otherwise the step fraction is halved. Steps solve the
    Levenberg-regularised normal equations (μ = 1e-12 tr(JᵀJ): Newton when J is regular, a
    least-norm step where it is singular), limited to ``max_step`` in scaled units.

    Returns (u, r, ok, aux, residual norm, iterations) for the accepted points.
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
    for i in range(iters):
        r_t, jac_t, ok_t, aux_t = residual(trial)
        with np.errstate(invalid="ignore"):
            rn_t = np.sqrt(np.sum((r_t / r_scale) ** 2, axis=1))
        ok_t = ok_t & np.isfinite(rn_t) & np.all(np.isfinite(jac_t), axis=(1, 2))
        active = ~(ok_any & (rn <= tol))
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
        if np.all(ok_any & (rn <= tol)):
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


def _gait_record(y, vx, jac, ok, code, rn, tol, push, iters, shape) -> Gait:
    mult = floquet_multipliers(jac)
    mag = np.abs(mult[..., 0])
    converged = ok & (rn <= tol)
    out = Gait(apex_height_m=np.where(ok, y, np.nan), apex_speed_m_per_s=np.where(ok, vx, np.nan),
               jacobian=np.where(ok[:, None, None], jac, np.nan), multipliers=mult,
               max_abs_multiplier=np.where(ok, mag, np.nan), stable=converged & (mag < 1.0),
               residual=np.where(ok, rn, np.inf), converged=converged, push_force_bw=push,
               iterations=iters, status=np.where(ok, code, st.FALL))
    return Gait(*_unflat(out, shape))


# ----------------------------------------------------------------------------- 2-D, general

def find_gait(params: Params, guess: State, *, options: Options | None = None,
              iters: int = 40, map_iters: int = 0, tol: float = 1e-11) -> Gait:
    """Periodic gait of the 2-D apex map (general case), batched over parameter sets.

    Args:
        params: parameters (scalars or arrays of one batch shape).
        guess: starting apex (``apex(height, speed)``; x and v_y are ignored), scalars or batch.
        options: step options; default ``gait_options(params)``.
        iters: at most this many iterations (one batched step with a 2-column jvp each).
        map_iters: of which the first ``map_iters`` are plain map iterations (a robust start
            when the gait is stable and the guess poor).
        tol: scaled residual accepted as converged (y/L0 and v_x/√(g L0)).

    Returns:
        ``Gait`` of NumPy arrays (batch shape; ``jacobian`` (..., 2, 2), ``multipliers`` (..., 2)).
    """
    opts = gait_options(params, options)
    kernel = _kernel(_map_jacobian, opts)
    p, (y0, vx0), shape = _flat(params, guess.y_m, guess.vx_m_per_s)
    scale = np.stack([np.asarray(p.leg_length_m),
                      np.sqrt(np.asarray(p.gravity_m_per_s2 * p.leg_length_m))], axis=1)

    def residual(u):
        val, jac, ok, code = jax.device_get(kernel(p, jnp.asarray(u[:, 0]),
                                                   jnp.asarray(u[:, 1]), p.push_force_bw))
        jac = _jacobian_rows(jac)
        return np.stack(val, axis=1) - u, jac - np.eye(2), np.asarray(ok), (jac, np.asarray(code))

    u, _, ok, (jac, code), rn, it = _damped_newton(
        residual, np.stack([y0, vx0], axis=1), scale, scale, iters=iters, map_iters=map_iters,
        tol=tol, max_step=0.2)
    return _gait_record(u[:, 0], u[:, 1], jac, ok, code, rn, tol,
                        np.asarray(p.push_force_bw), it, shape)


# ----------------------------------------------------------------------------- push for a speed

def solve_push_for_speed(params: Params, target_speed_m_per_s, *, height_guess_m=None,
                         push_guess_bw=0.3, options: Options | None = None, iters: int = 40,
                         tol: float = 1e-11) -> Gait:
    """The push force (body weights) that sustains a periodic gait at a target apex speed.

    Formulation: unknowns (apex height y, push amplitude A in its allowed range), the apex speed held at
    ``target_speed_m_per_s``; equations P(y, v*, A) = (y, v*) (the next apex equals this one).
    The other parameters (stiffness, angle, losses, surface, slope) stay as given, so the answer
    is the push that replaces what the losses (leg damping, surface, slope) take per step.

    Args:
        params: parameters (scalars or arrays of one batch shape); ``push_force_bw`` is ignored.
        target_speed_m_per_s: apex speed v* (m/s), scalar or batch.
        height_guess_m: starting apex height; default L0 cos β + 0.02 L0 (just above the
            touchdown height, where running gaits sit).
        push_guess_bw: starting push amplitude.
        options: step options; default: those ``simulate`` would use for a pushing runner
            with these parameters (``push`` is always switched on).
        iters, tol: damped-Newton iterations and the scaled residual accepted as converged.

    Returns:
        ``Gait`` with ``push_force_bw`` the answer and the gait's Floquet multipliers.
    """
    # the options of a pushing runner (default_options resolves the push ramp with more
    # stance steps), whatever push_force_bw the caller's params carry
    opts = gait_options(params._replace(push_force_bw=1.0), options, push=True)
    kernel = _kernel(_map_jacobian, opts, wrt_push=True)
    pa = as_arrays(params)
    if height_guess_m is None:
        height_guess_m = pa.leg_length_m * (jnp.cos(landing_angle_rad(pa)) + 0.02)
    p, (speed, y0, a0), shape = _flat(params, target_speed_m_per_s, height_guess_m,
                                      push_guess_bw)
    length = np.asarray(p.leg_length_m)
    vscale = np.sqrt(np.asarray(p.gravity_m_per_s2) * length)

    def residual(u):
        val, jac, ok, code = jax.device_get(kernel(p, jnp.asarray(u[:, 0]), jnp.asarray(speed),
                                                   jnp.asarray(u[:, 1])))
        jac3 = _jacobian_rows(jac)
        r = np.stack(val, axis=1) - np.stack([u[:, 0], speed], axis=1)
        jr = np.stack([jac3[:, :, 0] - np.array([1.0, 0.0]), jac3[:, :, 2]], axis=2)
        return r, jr, np.asarray(ok), (jac3[:, :, :2], np.asarray(code))

    u, _, ok, (jac, code), rn, it = _damped_newton(
        residual, np.stack([y0, a0], axis=1), np.stack([length, np.ones_like(length)], axis=1),
        np.stack([length, vscale], axis=1), iters=iters, map_iters=0, tol=tol, max_step=0.2,
        bounds=(np.array([0.0, 0.0]), np.array([np.inf, PARAMETER["push_force_bw"].high])))
    return _gait_record(u[:, 0], speed, jac, ok, code, rn, tol, np.where(ok, u[:, 1], np.nan),
                        it, shape)


# ----------------------------------------------------------------------------- forward-only

class PeriodicPush(NamedTuple):
    """A periodic gait at a target apex speed, found with forward steps only (NumPy arrays of
    the batch shape).

    Attributes:
        push_force_bw: the push amplitude that sustains the gait.
        angle_of_attack_rad, apex_height_m: the landing angle and the apex height of the gait
            (one of them was held, the other solved for).
        apex_speed_m_per_s: the target speed.
        residual: ‖r‖ of the fixed-point equations in scaled units (y/L0, v_x/√(g L0)).
        converged: the residual is at most the tolerance.
        status: step status at the solution.
        iterations: solver iterations used.
    """

    push_force_bw: np.ndarray
    angle_of_attack_rad: np.ndarray
    apex_height_m: np.ndarray
    apex_speed_m_per_s: np.ndarray
    residual: np.ndarray
    converged: np.ndarray
    status: np.ndarray
    iterations: np.ndarray


@functools.lru_cache(maxsize=None)
def _one_step(options: Options):
    def run_one(p, s):
        _, rec, _ = step(p, s, options)
        return rec.end.y_m, rec.end.vx_m_per_s, rec.status
    return jax.jit(jax.vmap(run_one))


def solve_push_fd(params: Params, speed_m_per_s, *, hold: str = "angle", height_m=None,
                  push_guess_bw=0.3, options: Options | None = None, iters: int = 40,
                  tol: float = 1e-10, fd_step: float = 1e-7) -> PeriodicPush:
    """The push force of a periodic gait at a target apex speed, from forward steps only.

    Like ``solve_push_for_speed`` (``hold="angle"``: unknowns push A and apex height y at the
    params' landing angle) or with the apex held too (``hold="height"``: unknowns A and the angle
    of attack α, apex (``height_m``, v*) fixed: the same COM apex on two surfaces). Equations
    P(apex; A, ·) = apex. The 2×2 Jacobian comes from forward differences (relative step
    ``fd_step``) evaluated in the same batched call as the residual, so it works for every
    surface model, the damped one included, without compiling a forward-mode derivative of it
    (which for the damped model takes minutes and gigabytes). Same damped Newton as the other
    solvers; fixed landing angle mode.

    Args:
        params: parameters (scalars or arrays of one batch shape); ``push_force_bw`` ignored.
        speed_m_per_s: the target apex speed.
        hold: ``"angle"`` or ``"height"`` (see above).
        height_m: the apex height: the starting guess (hold="angle"; default L0 cos β +
            0.015 L0) or the held value (hold="height", required).
        push_guess_bw: starting push.
        options: step options; default those ``simulate`` would use for a pushing runner.
    """
    if hold not in ("angle", "height"):
        raise SimsrcInputError(f'`hold` must be "angle" or "height", got {hold!r}')
    if hold == "height" and height_m is None:
        raise SimsrcInputError('solve_push_fd(hold="height") needs `height_m`')
    opts = gait_options(params._replace(push_force_bw=1.0), options, push=True)
    if opts.landing != "fixed":
        raise SimsrcInputError("solve_push_fd needs the fixed landing mode")
    kernel = _one_step(opts)
    pa = as_arrays(params)
    if height_m is None:
        height_m = pa.leg_length_m * (jnp.cos(landing_angle_rad(pa)) + 0.015)
    p, (v_star, y0, a0, b0), shape = _flat(params, speed_m_per_s, height_m, push_guess_bw,
                                           pa.angle_of_attack_rad)
    n = v_star.shape[0]
    length = np.asarray(p.leg_length_m)
    vscale = np.sqrt(np.asarray(p.gravity_m_per_s2) * length)
    p3 = jax.tree_util.tree_map(lambda v: jnp.tile(v, 3), p)
    steps = np.array([fd_step, fd_step * (1.0 if hold == "height" else np.mean(length))])

    def parts(u):
        """push, angle, height of the 3 evaluations (base, push + h, second unknown + h)."""
        push = np.concatenate([u[:, 0], u[:, 0] + steps[0], u[:, 0]])
        second = np.concatenate([u[:, 1], u[:, 1], u[:, 1] + steps[1]])
        if hold == "height":
            return push, second, np.tile(y0, 3)
        return push, np.tile(b0, 3), second

    def residual(u):
        push, ang, y = parts(u)
        q = p3._replace(push_force_bw=jnp.asarray(push), angle_of_attack_rad=jnp.asarray(ang))
        s3 = State(jnp.zeros(3 * n), jnp.asarray(y), jnp.tile(jnp.asarray(v_star), 3),
                   jnp.zeros(3 * n))
        y1, v1, code = _get(*kernel(q, s3))
        r = np.stack([y1 - y, v1 - np.tile(v_star, 3)], axis=1).reshape(3, n, 2)
        jac = np.stack([(r[1] - r[0]) / steps[0], (r[2] - r[0]) / steps[1]], axis=2)
        ok = (code.reshape(3, n) == st.OK).all(axis=0)
        return r[0], jac, ok, code.reshape(3, n)[0]

    if hold == "height":
        u0 = np.stack([a0, b0], axis=1)
        u_scale = np.stack([np.ones(n), np.full(n, 0.1)], axis=1)
        bounds = (np.array([0.0, 0.05]), np.array([PARAMETER["push_force_bw"].high, np.pi - 0.05]))
    else:
        u0 = np.stack([a0, y0], axis=1)
        u_scale = np.stack([np.ones(n), length], axis=1)
        bounds = (np.array([0.0, 0.0]), np.array([PARAMETER["push_force_bw"].high, np.inf]))
    u, _, ok, code, rn, it = _damped_newton(
        residual, u0, u_scale, np.stack([length, vscale], axis=1), iters=iters, map_iters=0,
        tol=tol, max_step=0.2, bounds=bounds)
    conv = ok & (rn <= tol)
    code = np.where(ok, code, st.FALL)
    ang = u[:, 1] if hold == "height" else b0
    y = y0 if hold == "height" else u[:, 1]
    nan = np.where(ok, 0.0, np.nan)
    push, ang, y, v, rn, conv, code, it = _unflat(
        [u[:, 0] + nan, ang + nan, y + nan, v_star, rn, conv, code, it], shape)
    return PeriodicPush(push, ang, y, v, rn, conv, code, it)


# ----------------------------------------------------------------------------- swinging legs

class SwingGait(NamedTuple):
    """A periodic gait of the pendulum landing mode (NumPy arrays of the batch shape).

    The reduced state at the apex is z = (y, v_x, φ_lead, φ̇_lead, φ_trail, φ̇_trail): the body's
    apex and both swinging legs (``simsrc.Swing``).

    Attributes:
        apex_height_m, apex_speed_m_per_s: the body's apex of the gait.
        swing: the swinging legs at that apex (``simsrc.Swing`` of arrays).
        jacobian: ∂P/∂z at the fixed point (forward differences), shape (..., 6, 6).
        multipliers: its eigenvalues, largest modulus first, shape (..., 6).
        max_abs_multiplier: the largest |λ| (for a conservative body, of those not within
            1e-3 of the neutral multiplier 1 of the energy direction).
        stable: converged and that modulus < 1.
        residual, converged, iterations, status: as for ``Gait``.
    """

    apex_height_m: np.ndarray
    apex_speed_m_per_s: np.ndarray
    swing: tuple
    jacobian: np.ndarray
    multipliers: np.ndarray
    max_abs_multiplier: np.ndarray
    stable: np.ndarray
    residual: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    status: np.ndarray


@functools.lru_cache(maxsize=None)
def _swing_step(options: Options):
    from simsrc.engine.swing import Swing

    def run_one(p, s, z):
        _, rec, _ = step(p, s, options, Swing(*z))
        return (rec.end.y_m, rec.end.vx_m_per_s) + tuple(rec.swing) + (rec.status,)
    return jax.jit(jax.vmap(run_one, in_axes=(0, 0, 0)))


def find_swing_gait(params: Params, state: State, swing=None, *, options: Options | None = None,
                    iters: int = 30, tol: float = 1e-9, fd_step: float = 1e-7) -> SwingGait:
    """Periodic gait and Floquet multipliers of the pendulum landing mode.

    Newton's method on r(z) = P(z) − z over the 6-D apex state z (body apex height and speed,
    both swinging legs' angles and rates), with the 6×6 Jacobian from forward differences
    evaluated in the same batched call (7 steps per parameter set and iteration): the same
    damped, Levenberg-regularised Newton as ``find_gait``, which stays defined when the body is
    conservative and its fixed points form a one-parameter family (one multiplier is then 1,
    the energy direction). Start from a settled run for a good guess (``simulate`` then its
    ``final_state`` and ``final_swing``).

    Args:
        params: parameters (scalars or arrays of one batch shape).
        state: the body's apex guess (y and v_x are used).
        swing: the swinging legs' guess (default ``simsrc.engine.swing.default_swing``).
        options: step options with ``landing="pendulum"`` (default: ``simulate``'s for these
            parameters, in the pendulum mode).
    """
    from simsrc.engine.swing import Swing, default_swing

    opts = gait_options(params, options, landing="pendulum")
    kernel = _swing_step(opts)
    pa = as_arrays(params)
    sa = State(*[jnp.asarray(v, jnp.float64) for v in state])
    legs = default_swing(pa, sa) if swing is None else Swing(*[jnp.asarray(v, jnp.float64)
                                                               for v in swing])
    p, z0, shape = _flat(params, sa.y_m, sa.vx_m_per_s, *legs)
    n = z0[0].shape[0]
    u0 = np.stack(z0, axis=1)
    length = np.asarray(p.leg_length_m)
    vscale = np.sqrt(np.asarray(p.gravity_m_per_s2) * length)
    scale = np.stack([length, vscale, np.ones(n), vscale / length, np.ones(n), vscale / length],
                     axis=1)
    h = fd_step * scale
    p7 = jax.tree_util.tree_map(lambda v: jnp.tile(v, 7), p)

    def residual(u):
        trial = np.concatenate([u] + [u + np.eye(6)[j] * h for j in range(6)])
        s7 = State(jnp.zeros(7 * n), jnp.asarray(trial[:, 0]), jnp.asarray(trial[:, 1]),
                   jnp.zeros(7 * n))
        out = _get(*kernel(p7, s7, tuple(jnp.asarray(trial[:, 2 + j]) for j in range(4))))
        image = np.stack(out[:6], axis=1).reshape(7, n, 6)
        code = out[6].reshape(7, n)
        r = image - trial.reshape(7, n, 6)
        jac = np.stack([(r[1 + j] - r[0]) / h[:, j:j + 1] for j in range(6)], axis=2)
        ok = (code == st.OK).all(axis=0)
        return r[0], jac, ok, (code[0], np.stack([(image[1 + j] - image[0]) / h[:, j:j + 1]
                                                  for j in range(6)], axis=2))

    u, _, ok, aux, rn, it = _damped_newton(residual, u0, scale, scale[:, :2].repeat(3, axis=1),
                                           iters=iters, map_iters=0, tol=tol, max_step=0.2)
    code, jac = aux
    conv = ok & (rn <= tol)
    lam = np.linalg.eigvals(np.where(np.isfinite(jac), jac, 0.0))
    lam = np.take_along_axis(lam, np.argsort(-np.abs(lam), axis=1), axis=1)
    conservative = is_conservative(params)
    judged = np.where(conservative & (np.abs(lam - 1.0) < 1e-3), 0.0, np.abs(lam))
    max_abs = np.max(judged, axis=1)
    code = np.where(ok, code, st.FALL)
    nan = np.where(ok, 0.0, np.nan)
    vals = _unflat([u[:, 0] + nan, u[:, 1] + nan] + [u[:, 2 + j] + nan for j in range(4)]
                   + [np.where(ok[:, None, None], jac, np.nan), lam, max_abs + nan,
                      conv & (max_abs < 1.0), rn, conv, it, code], shape)
    return SwingGait(vals[0], vals[1], Swing(*vals[2:6]), *vals[6:])
