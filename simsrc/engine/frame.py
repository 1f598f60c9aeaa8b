"""The surface frame (MODEL.md §2, §5): gravity on a slope and the angles of a leg.

x runs along the running surface (forward), y is normal to it (up), the origin is on the
surface. Three directions matter and this module alone relates them:

* the plumb line: a slope θ (uphill positive) tilts it by θ in the surface frame, so that
  up = (sin θ, cos θ), gravity is g = −g up = (−g sin θ, −g cos θ), the potential energy is
  m g up·r, and a direction at ψ from the surface normal is at ψ + θ from the plumb line;
* the surface normal: leg angles ψ (landing angle β) are measured from it, forward positive;
* the body axis, leaning forward by λ: the angle of attack α is measured from the surface line
  relative to the body, so the landing leg is at π/2 − α from the body axis and at
  β = π/2 − α − λ from the surface normal.

Every function takes anything with the ``Params`` fields it reads, with JAX or NumPy values.
"""
from __future__ import annotations

import jax.numpy as jnp


def up(p):
    """The plumb line's upward unit vector in the surface frame, (sin θ, cos θ)."""
    return jnp.sin(p.slope_rad), jnp.cos(p.slope_rad)


def gravity_m_per_s2(p):
    """Gravity in the surface frame, g = −g up = (−g sin θ, −g cos θ), m/s²."""
    up_x, up_y = up(p)
    return -p.gravity_m_per_s2 * up_x, -p.gravity_m_per_s2 * up_y


def potential_energy_j(p, mass_kg, x_m, y_m):
    """Gravitational potential energy of a mass at (x, y), zero at the origin:
    U = −m g·r = m g (x sin θ + y cos θ), J."""
    up_x, up_y = up(p)
    return mass_kg * p.gravity_m_per_s2 * (x_m * up_x + y_m * up_y)


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
