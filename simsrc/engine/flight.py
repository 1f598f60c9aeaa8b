"""Flight: ballistic motion in closed form, and touchdown (docs/physics.md §2)."""
from __future__ import annotations

import jax.numpy as jnp

from simsrc.engine.frame import gravity_m_per_s2, landing_angle_rad
from simsrc.engine.params import State


def ballistic(p, s: State, t) -> State:
    """State after a flight of duration t (s) under the tilted gravity."""
    gx, gy = gravity_m_per_s2(p)
    return State(s.x_m + s.vx_m_per_s * t + 0.5 * gx * t * t,
                 s.y_m + s.vy_m_per_s * t + 0.5 * gy * t * t,
                 s.vx_m_per_s + gx * t,
                 s.vy_m_per_s + gy * t)


def touchdown(p, s: State):
    """Time to touchdown (s), the touchdown state and the foot position x_f (m).

    Touchdown: the foot height y − L0 cos β reaches 0 while the COM descends (later root of the
    quadratic). Returns (t, state, x_f, reachable): ``reachable`` is False when the COM never
    rises to the touchdown height or is already below it and descending (status FALL).
    """
    _, gy = gravity_m_per_s2(p)
    beta = landing_angle_rad(p)
    y_td = p.leg_length_m * jnp.cos(beta)
    disc = s.vy_m_per_s**2 - 2.0 * gy * (s.y_m - y_td)
    t = (s.vy_m_per_s + jnp.sqrt(jnp.maximum(disc, 0.0))) / (-gy)
    reachable = (disc >= 0.0) & (t >= 0.0)
    t = jnp.where(reachable, t, 0.0)
    s_td = ballistic(p, s, t)
    x_f = s_td.x_m + p.leg_length_m * jnp.sin(beta)
    return t, s_td, x_f, reachable


def to_apex(p, s: State):
    """Flight from liftoff to the apex: (time, apex state). Zero time if descending already."""
    _, gy = gravity_m_per_s2(p)
    t = jnp.maximum(s.vy_m_per_s, 0.0) / (-gy)
    return t, ballistic(p, s, t)
