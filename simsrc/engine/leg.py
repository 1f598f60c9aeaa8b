"""The leg: spring, damper and the active push force along the foot-to-COM line (MODEL.md §4)."""
from __future__ import annotations

import jax.numpy as jnp


def smooth_step(xi):
    """C^∞ step: 0 for ξ <= 0, 1 for ξ >= 1, e(ξ)/(e(ξ)+e(1-ξ)) between, e(t) = exp(-1/t).

    Every derivative vanishes at both ends, so the push adds no kink to the dynamics.
    """
    pos = xi > 0.0
    neg = xi < 1.0
    a = jnp.where(pos, jnp.exp(-1.0 / jnp.where(pos, xi, 1.0)), 0.0)
    b = jnp.where(neg, jnp.exp(-1.0 / jnp.where(neg, 1.0 - xi, 1.0)), 0.0)
    return a / (a + b)


def smooth_step_and_slope(xi):
    """(S(ξ), dS/dξ) of ``smooth_step``, with dS/dξ = (a' b − a b')/(a + b)²,
    a = e(ξ), b = e(1 − ξ), a' = a/ξ², b' = −b/(1 − ξ)²."""
    pos = xi > 0.0
    neg = xi < 1.0
    xs = jnp.where(pos, xi, 1.0)
    ys = jnp.where(neg, 1.0 - xi, 1.0)
    a = jnp.where(pos, jnp.exp(-1.0 / xs), 0.0)
    b = jnp.where(neg, jnp.exp(-1.0 / ys), 0.0)
    da = jnp.where(pos & neg, a / (xs * xs), 0.0)
    db = jnp.where(pos & neg, b / (ys * ys), 0.0)   # = −b'
    s = a + b
    return a / s, (da * b + a * db) / (s * s)


def push_force_n(p, sin_phi):
    """Active push force F_act (N) for a leg at sin φ = (x - x_f)/L (positive: foot behind COM).

    F_act = A m g S(sin φ / sin φ_r): zero while the foot is ahead of the COM, full amplitude
    A (body weights) from φ_r behind the vertical until liftoff.
    """
    xi = sin_phi / jnp.sin(p.push_ramp_rad)
    return p.push_force_bw * p.mass_kg * p.gravity_m_per_s2 * smooth_step(xi)


def leg_force_n(p, length_m, length_rate_m_per_s=None, push_n=None):
    """Axial leg force F = k (L0 − L) − c dL/dt + F_act (N), positive pushing the body away.

    Args:
        length_m: leg length L (m).
        length_rate_m_per_s: its rate dL/dt (m/s), for the damper c = ``p.leg_damping_n_s_per_m``.
        push_n: the push force F_act (``push_force_n``), N.

    A term given as None is left out of the program: the stance models leave out the damper
    and the push when they are zero for the whole batch (``stance.Features``).
    """
    force = p.leg_stiffness_n_per_m * (p.leg_length_m - length_m)
    if length_rate_m_per_s is not None:
        force = force - p.leg_damping_n_s_per_m * length_rate_m_per_s
    if push_n is not None:
        force = force + push_n
    return force


def leg_elastic_energy_j(p, compression_m):
    """Elastic energy of the leg spring compressed by L0 − L: ½ k (L0 − L)², J."""
    return 0.5 * p.leg_stiffness_n_per_m * compression_m ** 2


def push_force_and_slope_n(p, sin_phi):
    """(F_act, dF_act/d(sin φ)) in N: the push of ``push_force_n`` and its slope."""
    ramp = jnp.sin(p.push_ramp_rad)
    amp = p.push_force_bw * p.mass_kg * p.gravity_m_per_s2
    s, ds = smooth_step_and_slope(sin_phi / ramp)
    return amp * s, amp * ds / ramp
