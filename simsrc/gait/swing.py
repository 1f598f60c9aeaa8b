"""Periodic gaits of the pendulum landing mode (two swinging legs): ``find_swing_gait``.

In the pendulum mode (``simsrc.engine.swing``) the apex state is z = (y, v_x, φ_lead, φ̇_lead,
φ_trail, φ̇_trail): the body's apex and both swinging legs' angles and rates. A periodic gait is
a fixed point of the 6-D apex map, r(z) = P(z) − z = 0, found by the damped Newton method of
``newton.py`` with the exact 6×6 Jacobian (forward mode through the touchdown and liftoff
events, ``jacobian="exact"``, the default) or from forward differences (``jacobian="fd"``),
column j = (P(z + h_j e_j) − P(z)) / h_j with h = ``fd_step`` · (L0, √(g L0), 1, √(g/L0), 1,
√(g/L0)): 7 steps per parameter set and iteration, in one batched kernel call
(``simsrc.engine.batch``).

Floquet multipliers: the eigenvalues of ∂P/∂z. For a conservative body the fixed points form a
one-parameter family, one per energy, and one multiplier is exactly 1 (the energy direction);
the regularised Newton step stays defined there, and the stability verdict ignores multipliers
within 1e-3 of 1.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from simsrc.engine import batch
from simsrc.engine import status as st
from simsrc.engine.params import Params, State, as_arrays, is_conservative
from simsrc.engine.step import Options, step
from simsrc.engine.swing import AimedSwing, Placement, Swing, default_swing
from simsrc.gait.apex_map import gait_options
from simsrc.gait.newton import damped_newton


class SwingGait(NamedTuple):
    """A periodic gait of the pendulum landing mode (NumPy arrays of the batch shape).

    The reduced state at the apex is z = (y, v_x, φ_lead, φ̇_lead, φ_trail, φ̇_trail): the body's
    apex and both swinging legs (``simsrc.Swing``).

    Attributes:
        apex_height_m, apex_speed_m_per_s: the body's apex of the gait.
        swing: the swinging legs at that apex (``simsrc.Swing`` of arrays).
        jacobian: ∂P/∂z at the fixed point (exact, or forward differences), shape (..., 6, 6)
            ((..., 7, 7) with the hip aimed by Raibert's law: z then ends with its τ).
        multipliers: its eigenvalues, largest modulus first, shape (..., 6) (or 7).
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
    contact_time_s: np.ndarray | None = None   # the aimed hip's law state τ (placement)


def _swing_step_end(p, s, z, options):
    """The end apex (y, v_x), the swinging legs there and the status of one step from the apex
    ``s`` with the legs ``z`` = (φ_lead, φ̇_lead, φ_trail, φ̇_trail); with the hip aimed by
    Raibert's law, ``z`` also holds the law's last contact time τ, its gain and its aim, and
    the end holds the new τ after the legs."""
    if len(z) == 4:
        _, rec, _ = step(p, s, options, Swing(*z))
        return (rec.end.y_m, rec.end.vx_m_per_s) + tuple(rec.swing) + (rec.status,)
    _, rec, _ = step(p, s, options, AimedSwing(Swing(*z[:4]), Placement(*z[4:])))
    return ((rec.end.y_m, rec.end.vx_m_per_s) + tuple(rec.swing.legs)
            + (rec.swing.law.contact_time_s, rec.status))


def _swing_step_jac(p, s, z, options):
    """``_swing_step_end`` and its exact Jacobian with respect to the apex state (y, v_x, legs
    and, aimed, τ), forward mode through the touchdown and liftoff events: (the m end values,
    their m² derivatives as scalars, row by row, status)."""
    m = 6 if len(z) == 4 else 7
    law = tuple(z[5:])          # the aimed hip's gain and aim: not differentiated

    def end(*u):
        out = _swing_step_end(p, s._replace(y_m=u[0], vx_m_per_s=u[1]), u[2:] + law, options)
        return out[:m], out
    state = (s.y_m, s.vx_m_per_s) + tuple(z[:m - 2])
    cols, out = jax.jacfwd(end, argnums=tuple(range(m)), has_aux=True)(*state)
    return out[:m] + tuple(c for row in cols for c in row) + (out[m],)


def find_swing_gait(params: Params, state: State, swing=None, *, options: Options | None = None,
                    iters: int = 30, tol: float = 1e-9, fd_step: float = 1e-7,
                    jacobian: str = "exact", placement: tuple | None = None,
                    contact_time_s=None) -> SwingGait:
    """Periodic gait and Floquet multipliers of the pendulum landing mode.

    Newton's method on r(z) = P(z) − z over the 6-D apex state z (body apex height and speed,
    both swinging legs' angles and rates), with the exact 6×6 Jacobian (or forward differences
    evaluated in the same batched call, 7 steps per parameter set and iteration): the same
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
        jacobian: ``"exact"`` (default: forward-mode derivatives through the touchdown and
            liftoff events, one differentiated step per point and iteration) or ``"fd"``
            (forward differences with relative step ``fd_step``, 7 steps per point and
            iteration: a program that compiles in about a third of the time, multipliers to
            about 1e-4); docs/gaits.md, "The swinging leg and steady running".
        placement: Raibert's law aiming the hip, ``(gain_s, speed_m_per_s)`` (None: the hip's
            neutral angle as configured; ``simulate(..., placement=...)``): the apex state then
            also holds the law's last contact time τ (7-D; guess ``contact_time_s``, default
            π√(m/k)) and the gait reports it (``contact_time_s``).
    """
    if jacobian not in ("fd", "exact"):
        raise ValueError(f"jacobian must be 'fd' or 'exact', got {jacobian!r}")
    opts = gait_options(params, options, landing="pendulum")
    kernel = batch.batched_kernel(_swing_step_end if jacobian == "fd" else _swing_step_jac,
                                  options=opts)
    pa = as_arrays(params)
    sa = State(*[jnp.asarray(v, jnp.float64) for v in state])
    legs = default_swing(pa, sa) if swing is None else Swing(*[jnp.asarray(v, jnp.float64)
                                                               for v in swing])
    aimed = placement is not None
    law = ()
    if aimed:
        gain, aim = placement
        tau = (np.pi * np.sqrt(np.asarray(pa.mass_kg) / np.asarray(pa.leg_stiffness_n_per_m))
               if contact_time_s is None else contact_time_s)
        law = (tau, gain, sa.vx_m_per_s if aim is None else aim)
    (p, z0, fixed), shape = batch.flatten(params, (sa.y_m, sa.vx_m_per_s, *legs, *law[:1]),
                                          law[1:])
    m = len(z0)                                 # 6, or 7 with the law's contact time
    n = z0[0].shape[0]
    u0 = np.stack(z0, axis=1)
    length = np.asarray(p.leg_length_m)
    vscale = np.sqrt(np.asarray(p.gravity_m_per_s2) * length)
    scale = np.stack([length, vscale, np.ones(n), vscale / length, np.ones(n), vscale / length]
                     + [length / vscale] * (m - 6), axis=1)
    h = fd_step * scale

    def inputs(u, rows):
        s1 = State(jnp.zeros(rows), jnp.asarray(u[:, 0]), jnp.asarray(u[:, 1]), jnp.zeros(rows))
        extra = tuple(jnp.asarray(np.tile(v, rows // n)) for v in fixed)
        return s1, tuple(jnp.asarray(u[:, 2 + j]) for j in range(m - 2)) + extra

    def exact(u):
        out = batch.host(*kernel(p, *inputs(u, n)))
        image = np.stack(out[:m], axis=1)
        dimage = np.stack(out[m:m + m * m], axis=1).reshape(n, m, m)
        code = out[m + m * m]
        ok = code == st.OK
        return image - u, dimage - np.eye(m), ok, (code, dimage)

    p_all = jax.tree_util.tree_map(lambda v: jnp.tile(v, m + 1), p)

    def residual(u):
        trial = np.concatenate([u] + [u + np.eye(m)[j] * h for j in range(m)])
        out = batch.host(*kernel(p_all, *inputs(trial, (m + 1) * n)))
        image = np.stack(out[:m], axis=1).reshape(m + 1, n, m)
        code = out[m].reshape(m + 1, n)
        r = image - trial.reshape(m + 1, n, m)
        jac = np.stack([(r[1 + j] - r[0]) / h[:, j:j + 1] for j in range(m)], axis=2)
        ok = (code == st.OK).all(axis=0)
        return r[0], jac, ok, (code[0], np.stack([(image[1 + j] - image[0]) / h[:, j:j + 1]
                                                  for j in range(m)], axis=2))

    u, _, ok, aux, rn, it = damped_newton(residual if jacobian == "fd" else exact, u0, scale,
                                          np.concatenate([scale[:, :2].repeat(3, axis=1),
                                                          scale[:, 6:]], axis=1),
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
    vals = batch.unflatten(
        [u[:, 0] + nan, u[:, 1] + nan] + [u[:, 2 + j] + nan for j in range(4)]
        + [np.where(ok[:, None, None], jac, np.nan), lam, max_abs + nan, conv & (max_abs < 1.0),
           rn, conv, it, code] + ([u[:, 6] + nan] if aimed else []), shape)
    if aimed:
        return SwingGait(vals[0], vals[1], Swing(*vals[2:6]), *vals[6:14],
                         contact_time_s=vals[14])
    return SwingGait(vals[0], vals[1], Swing(*vals[2:6]), *vals[6:])
