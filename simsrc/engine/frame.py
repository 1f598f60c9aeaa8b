"""The surface frame (MODEL.md §2, §5): gravity on a slope and the angles of a leg.

x runs along the running surface (forward), y is normal to it (up), the origin is on the
surface. Three directions matter and this module alone relates them:

* the plumb line: a slope θ (uphill positive) tilts gravity in the surface frame,
  g = (−g sin θ, −g cos θ); a direction at ψ from the surface normal is at ψ + θ from the
  plumb line;
* the surface normal: leg angles ψ (landing angle β) are measured from it, forward positive;
* the body axis, leaning forward by λ: the angle of attack α is measured from the surface line
  relative to the body, so the landing leg is at π/2 − α from the body axis and at
  β = π/2 − α − λ from the surface normal.

Every function takes anything with the ``Params`` fields it reads, with JAX or NumPy values.
"""
from __future__ import annotations

import jax.numpy as jnp


def gravity_m_per_s2(p):
    """Gravity in the surface frame, (g_x, g_y) = (−g sin θ, −g cos θ), m/s²."""
    return (-p.gravity_m_per_s2 * jnp.sin(p.slope_rad), -p.gravity_m_per_s2 * jnp.cos(p.slope_rad))


def potential_energy_j_per_kg(p, x_m, y_m):
    """Gravitational potential energy per unit mass at (x, y), zero at the origin:
    u = −g·r = −(g_x x + g_y y) = g (x sin θ + y cos θ), J/kg."""
    gx, gy = gravity_m_per_s2(p)
    return -(gx * x_m + gy * y_m)


def plumb_angle_rad(p, angle_from_normal_rad):
    """The angle from the plumb line (straight down) of a direction at ψ from the surface
    normal (forward positive): ψ + θ."""
    return angle_from_normal_rad + p.slope_rad


def landing_angle_from_body_rad(p):
    """The fixed landing leg's angle from the body axis, forward positive: π/2 − α."""
    return 0.5 * jnp.pi - p.angle_of_attack_rad


def landing_angle_rad(p):
    """The fixed landing leg's angle from the surface normal, forward positive: β = π/2 − α − λ."""
    return landing_angle_from_body_rad(p) - p.lean_rad
