"""The push of a periodic gait at a target apex speed, from forward steps only (``solve_push_fd``).

The equations are those of ``solve_push_for_speed``: the next apex equals this one,
P(apex; A, ·) − apex = 0, with the apex speed held at the target v* and two unknowns, the push
amplitude A and either the apex height y (``hold="angle"``: the landing angle as given) or the
angle of attack α (``hold="height"``: the apex (y, v*) held, the same COM apex on two surfaces).

The 2×2 Jacobian comes from forward differences, column j = (r(u + h_j e_j) − r(u)) / h_j with
h = (``fd_step``, ``fd_step`` · L0 or ``fd_step`` rad), the three steps per parameter set in one
batched kernel call (``simsrc.engine.batch``). It therefore works for every surface model, the
damped one included, without compiling a forward-mode derivative of the step (which for the
damped model takes minutes and gigabytes). The unknowns are then found by the damped Newton
method of ``newton.py``.
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
from simsrc.engine.step import Options, step
from simsrc.errors import SimsrcInputError
from simsrc.gait.apex_map import gait_options
from simsrc.gait.newton import damped_newton


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


def _step_end(p, s, options):
    """The end apex (y, v_x) of one step and its status."""
    _, rec, _ = step(p, s, options)
    return rec.end.y_m, rec.end.vx_m_per_s, rec.status


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
    kernel = batch.batched_kernel(_step_end, options=opts)
    pa = as_arrays(params)
    if height_m is None:
        height_m = pa.leg_length_m * (jnp.cos(landing_angle_rad(pa)) + 0.015)
    (p, (v_star, y0, a0, b0)), shape = batch.flatten(
        params, (speed_m_per_s, height_m, push_guess_bw, pa.angle_of_attack_rad))
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
        y1, v1, code = batch.host(*kernel(q, s3))
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
    u, _, ok, code, rn, it = damped_newton(
        residual, u0, u_scale, np.stack([length, vscale], axis=1), iters=iters, map_iters=0,
        tol=tol, max_step=0.2, bounds=bounds)
    conv = ok & (rn <= tol)
    code = np.where(ok, code, st.FALL)
    ang = u[:, 1] if hold == "height" else b0
    y = y0 if hold == "height" else u[:, 1]
    nan = np.where(ok, 0.0, np.nan)
    push, ang, y, v, rn, conv, code, it = batch.unflatten(
        [u[:, 0] + nan, ang + nan, y + nan, v_star, rn, conv, code, it], shape)
    return PeriodicPush(push, ang, y, v, rn, conv, code, it)

