"""The energy ledger of one step (MODEL.md §7, docs/physics.md §4), in joules.

Every entry is a separate, physically named quantity; ``residual_j`` is what is left when the
change in mechanical energy is compared with the work injected and dissipated. It is zero in
exact arithmetic and measures integration error.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from simsrc.engine.frame import potential_energy_j
from simsrc.engine.params import State
from simsrc.engine.surface import plastic_loss_j


class Ledger(NamedTuple):
    """Energy accounts of one step (J). Losses are positive numbers; see docs/physics.md §4."""

    kinetic_horizontal_start_j: jax.Array
    kinetic_vertical_start_j: jax.Array
    gravitational_start_j: jax.Array
    kinetic_horizontal_end_j: jax.Array
    kinetic_vertical_end_j: jax.Array
    gravitational_end_j: jax.Array
    mechanical_change_j: jax.Array
    leg_elastic_peak_j: jax.Array
    leg_elastic_returned_j: jax.Array
    leg_elastic_unreturned_j: jax.Array
    leg_damping_loss_j: jax.Array
    push_positive_j: jax.Array
    push_negative_j: jax.Array
    surface_elastic_peak_j: jax.Array
    surface_elastic_returned_j: jax.Array
    surface_elastic_unreturned_j: jax.Array
    surface_damping_loss_j: jax.Array
    surface_plastic_loss_j: jax.Array
    hip_swing_work_j: jax.Array
    injected_j: jax.Array
    dissipated_j: jax.Array
    residual_j: jax.Array
    hip_swing_positive_j: jax.Array
    hip_swing_negative_j: jax.Array
    swing_landing_j: jax.Array
    swing_liftoff_j: jax.Array
    swing_residual_j: jax.Array


def kinetic_j(p, s: State):
    """(horizontal, vertical) kinetic energy, J."""
    return 0.5 * p.mass_kg * s.vx_m_per_s**2, 0.5 * p.mass_kg * s.vy_m_per_s**2


def gravitational_j(p, s: State):
    """Gravitational potential energy m g (x sin θ + y cos θ) of the body, J (``frame``)."""
    return potential_energy_j(p, p.mass_kg, s.x_m, s.y_m)


def mechanical_j(p, s: State):
    """Total mechanical energy of the body, J."""
    kh, kv = kinetic_j(p, s)
    return kh + kv + gravitational_j(p, s)


def make_ledger(p, start: State, end: State, *, leg_peak_j, leg_unreturned_j, leg_damping_j,
                push_pos_j, push_neg_j, surface_peak_j, surface_unreturned_j,
                surface_damping_j, swing=None) -> Ledger:
    """Assemble the ledger from the stance integrals and the start and end states.

    ``swing`` = (hip positive work, hip negative work, swing energy taken out at landing, brought
    in at liftoff, swing-energy residual) of the pendulum mode, or None (no swinging leg). The hip
    works on the swinging legs, whose mass does not move the body, so it is not part of the
    body's balance (``injected_j``) but of its own (``swing_residual_j``).
    """
    kh0, kv0 = kinetic_j(p, start)
    kh1, kv1 = kinetic_j(p, end)
    g0, g1 = gravitational_j(p, start), gravitational_j(p, end)
    change = (kh1 + kv1 + g1) - (kh0 + kv0 + g0)
    plastic = plastic_loss_j(surface_peak_j, p.surface_restitution)
    injected = push_pos_j + push_neg_j
    dissipated = leg_damping_j + leg_unreturned_j + surface_damping_j + plastic + surface_unreturned_j
    zero = jnp.zeros_like(change)
    hip_pos, hip_neg, landing, liftoff, swing_res = (
        (zero,) * 5 if swing is None else tuple(v + zero for v in swing))
    return Ledger(
        kh0, kv0, g0, kh1, kv1, g1, change,
        leg_peak_j, leg_peak_j - leg_unreturned_j, leg_unreturned_j, leg_damping_j,
        push_pos_j, push_neg_j,
        surface_peak_j, surface_peak_j - plastic - surface_unreturned_j, surface_unreturned_j,
        surface_damping_j, plastic, hip_pos + hip_neg,
        injected, dissipated, change - (injected - dissipated),
        hip_pos, hip_neg, landing, liftoff, swing_res)
