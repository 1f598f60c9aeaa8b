"""Periodic gaits of the 2-D apex map (losses, a push): ``find_gait``, ``solve_push_for_speed``.

A periodic gait is a fixed point of the apex map P(y, v_x; A) (``apex_map``; A the push
amplitude), with derivatives exact from ``jacfwd`` (``map_jacobian``). Both solvers run the
damped Newton method of ``newton.py`` (scaled units y/L0, v_x/√(g L0)).

- ``find_gait``: **general case** (losses and push). Unknowns u = (y, v_x), equations
  r(u) = P(u) − u = 0, Jacobian ∂P/∂(y, v_x) − I. Optional plain map iterations first walk into
  a stable gait from a poor guess. Multipliers: eigenvalues of ∂P/∂(y, v_x). In the
  conservative case one multiplier is exactly 1 and the fixed points form a curve, one per
  energy: use ``find_gait_1d`` there.
- ``solve_push_for_speed``: the coach's question, which push force (body weights) sustains a
  periodic gait at a target apex speed v*? Unknowns u = (y, A) with the apex speed held at v*;
  equations P(y, v*, A) − (y, v*) = 0: 2 equations, 2 unknowns, Jacobian columns ∂P/∂y − (1, 0)
  and ∂P/∂A. The gait's stability comes from the columns ∂P/∂(y, v_x) of the same ``jacfwd``.

Each Newton iteration is one call of a batched kernel (``simsrc.engine.batch``), compiled once
per ``Options`` and batch size.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from simsrc.engine import batch
from simsrc.engine import status as st
from simsrc.engine.frame import landing_angle_rad
from simsrc.engine.params import PARAMETER, Params, State, as_arrays
from simsrc.engine.step import Options
from simsrc.gait.apex_map import floquet_multipliers, gait_options, map_jacobian
from simsrc.gait.newton import damped_newton


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


def _jacobian_rows(jac):
    """The kernel's nested ((∂P_y/∂y, ∂P_y/∂v[, ∂P_y/∂A]), (∂P_v/∂y, ...)) as (N, 2, 2 or 3)."""
    return np.stack([batch.columns(row) for row in jac], axis=-2)


def _gait_record(y, vx, jac, ok, code, rn, tol, push, iters, shape) -> Gait:
    """The ``Gait`` of the damped Newton's accepted points (flat batch), in the batch shape."""
    mult = floquet_multipliers(jac)
    mag = np.abs(mult[..., 0])
    converged = ok & (rn <= tol)
    out = Gait(apex_height_m=np.where(ok, y, np.nan), apex_speed_m_per_s=np.where(ok, vx, np.nan),
               jacobian=np.where(ok[:, None, None], jac, np.nan), multipliers=mult,
               max_abs_multiplier=np.where(ok, mag, np.nan), stable=converged & (mag < 1.0),
               residual=np.where(ok, rn, np.inf), converged=converged, push_force_bw=push,
               iterations=iters, status=np.where(ok, code, st.FALL))
    return Gait(*batch.unflatten(out, shape))


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
    kernel = batch.batched_kernel(map_jacobian, options=opts)
    (p, (y0, vx0)), shape = batch.flatten(params, (guess.y_m, guess.vx_m_per_s))
    scale = np.stack([np.asarray(p.leg_length_m),
                      np.sqrt(np.asarray(p.gravity_m_per_s2 * p.leg_length_m))], axis=1)

    def residual(u):
        val, jac, ok, code = jax.device_get(kernel(p, jnp.asarray(u[:, 0]),
                                                   jnp.asarray(u[:, 1]), p.push_force_bw))
        jac = _jacobian_rows(jac)
        return np.stack(val, axis=1) - u, jac - np.eye(2), np.asarray(ok), (jac, np.asarray(code))

    u, _, ok, (jac, code), rn, it = damped_newton(
        residual, np.stack([y0, vx0], axis=1), scale, scale, iters=iters, map_iters=map_iters,
        tol=tol, max_step=0.2)
    return _gait_record(u[:, 0], u[:, 1], jac, ok, code, rn, tol,
                        np.asarray(p.push_force_bw), it, shape)


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
    kernel = batch.batched_kernel(map_jacobian, options=opts, wrt_push=True)
    pa = as_arrays(params)
    if height_guess_m is None:
        height_guess_m = pa.leg_length_m * (jnp.cos(landing_angle_rad(pa)) + 0.02)
    (p, (speed, y0, a0)), shape = batch.flatten(
        params, (target_speed_m_per_s, height_guess_m, push_guess_bw))
    length = np.asarray(p.leg_length_m)
    vscale = np.sqrt(np.asarray(p.gravity_m_per_s2) * length)

    def residual(u):
        val, jac, ok, code = jax.device_get(kernel(p, jnp.asarray(u[:, 0]), jnp.asarray(speed),
                                                   jnp.asarray(u[:, 1])))
        jac3 = _jacobian_rows(jac)
        r = np.stack(val, axis=1) - np.stack([u[:, 0], speed], axis=1)
        jr = np.stack([jac3[:, :, 0] - np.array([1.0, 0.0]), jac3[:, :, 2]], axis=2)
        return r, jr, np.asarray(ok), (jac3[:, :, :2], np.asarray(code))

    u, _, ok, (jac, code), rn, it = damped_newton(
        residual, np.stack([y0, a0], axis=1), np.stack([length, np.ones_like(length)], axis=1),
        np.stack([length, vscale], axis=1), iters=iters, map_iters=0, tol=tol, max_step=0.2,
        bounds=(np.array([0.0, 0.0]), np.array([np.inf, PARAMETER["push_force_bw"].high])))
    return _gait_record(u[:, 0], speed, jac, ok, code, rn, tol, np.where(ok, u[:, 1], np.nan),
                        it, shape)

