"""Energy stores along a run's dense trajectory: kinetic, gravitational, leg and surface elastic,
and the cumulative push work, for figures and animations (NumPy, after the physics).

The ledger (``simsrc.engine.ledger``) has the exact per-step totals; this module follows them through
time from the ``Trajectory`` samples:

    kinetic        ½ m (vx² + vy²)
    gravitational  m g (x sin θ + y cos θ)  (``frame.potential_energy_j``)
    leg elastic    ½ k (L0 − L)²,  L = |COM − foot|, foot at (x_f, −z), stance samples only
                   (``leg.leg_elastic_energy_j``)
    surface        the elastic-plastic law's stored energy at the normal force (surface.py)
    push work      ∫ F_act dL/dt dt (trapezoid over the samples; F_act from ``leg.push_force_n``)

so that ``stored(t) − stored(0) − push work(t)`` is minus the energy lost so far (leg damping,
surface loss, the spring energy a pushing leg takes away at liftoff), up to the quadrature
error of the sampled trajectory.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from simsrc.engine.frame import potential_energy_j
from simsrc.engine.leg import leg_elastic_energy_j, push_force_n
from simsrc.engine.surface import stored_energy


class EnergySeries(NamedTuple):
    """Energies (J) at the trajectory samples, flattened over steps (shape (n_samples,))."""

    t_s: np.ndarray
    kinetic_j: np.ndarray
    gravitational_j: np.ndarray
    leg_elastic_j: np.ndarray
    surface_elastic_j: np.ndarray
    stored_j: np.ndarray
    push_work_j: np.ndarray
    lost_j: np.ndarray
    leg_length_m: np.ndarray


def _scalar(v) -> float:
    return float(np.asarray(v).ravel()[0])


def energy_series(params, trajectory, foot_x_m) -> EnergySeries:
    """The energy stores of one unbatched run along its trajectory.

    Args:
        params: the run's ``Params`` (scalars).
        trajectory: ``Run.trajectory`` of that run (leaves (n_steps, samples)).
        foot_x_m: ``Run.records.foot_x_m`` (n_steps,): the stance foot of each step.

    Returns:
        ``EnergySeries``; NaN samples (failed steps) are dropped.
    """
    m = _scalar(params.mass_kg)
    l0 = _scalar(params.leg_length_m)
    tr = {f: np.asarray(getattr(trajectory, f), float) for f in trajectory._fields}
    n_steps, n_samples = tr["t_s"].shape
    foot = np.repeat(np.asarray(foot_x_m, float).reshape(n_steps, 1), n_samples, axis=1)
    keep = np.isfinite(tr["t_s"]).ravel()
    f = {name: v.ravel()[keep] for name, v in tr.items()}
    foot = foot.ravel()[keep]
    stance = f["phase"] == 1

    kinetic = 0.5 * m * (f["vx_m_per_s"] ** 2 + f["vy_m_per_s"] ** 2)
    grav = np.asarray(potential_energy_j(params, m, f["x_m"], f["y_m"]))
    length = np.where(stance, np.hypot(f["x_m"] - foot, f["y_m"] + f["sink_m"]), l0)
    leg = np.where(stance, np.asarray(leg_elastic_energy_j(params, l0 - length)), 0.0)

    normal = np.where(stance, f["vertical_force_n"], 0.0)
    step_index = np.repeat(np.arange(n_steps), n_samples)[keep]
    peak = np.zeros_like(normal)
    for i in np.unique(step_index):
        sel = step_index == i
        peak[sel] = np.maximum.accumulate(normal[sel])
    surface = np.where(stance, np.asarray(stored_energy(
        normal, _scalar(params.surface_compliance_m_per_n), peak,
        _scalar(params.surface_restitution))), 0.0)

    push = np.zeros_like(kinetic)
    if _scalar(params.push_force_bw) != 0.0:
        sin_phi = np.where(stance, (f["x_m"] - foot) / length, 0.0)
        f_act = np.where(stance, np.asarray(push_force_n(params, sin_phi)), 0.0)
        t = f["t_s"]
        power = np.zeros_like(kinetic)
        for i in np.unique(step_index):
            sel = (step_index == i) & stance
            if sel.sum() > 2:
                power[sel] = f_act[sel] * np.gradient(length[sel], t[sel])
        dt = np.diff(t)
        pieces = 0.5 * (power[1:] + power[:-1]) * dt * (stance[1:] & stance[:-1])
        push = np.concatenate([[0.0], np.cumsum(pieces)])

    stored = kinetic + grav + leg + surface
    lost = stored[0] + push - stored
    return EnergySeries(f["t_s"], kinetic, grav, leg, surface, stored, push, lost, length)
