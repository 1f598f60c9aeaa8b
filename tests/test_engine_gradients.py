"""Gradients through touchdown and liftoff against central differences of the reference.

Derivatives of the next apex height and speed and of the contact time, by forward-mode
autodiff through ``simsrc.simulate``, must agree with central finite differences of the
independent scipy reference to 1e-6 (relative step 1e-5: truncation ~5e-10 here, measured by
halving the step; the reference's own noise at rtol 1e-12 moves the differences by ~1e-8). Two models, so that every listed parameter matters and each compiles in
reasonable time: rigid ground with a push of 0.3 body weights and 2° lean (k, α, L0, m, push,
lean), and an elastic surface of 200 kN/m (k_s, with k and α again).
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import case
from reference import canonical_state, reference_step

import simsrc
from simsrc.engine.simulate import default_options

MODELS = {
    "rigid_push": (case(push_force_bw=0.3, lean_rad=math.radians(2.0)),
                   ("leg_stiffness_n_per_m", "angle_of_attack_rad", "leg_length_m", "mass_kg",
                    "push_force_bw", "lean_rad")),
    "elastic_surface": (case(surface_stiffness_n_per_m=200e3),
                        ("surface_stiffness_n_per_m", "leg_stiffness_n_per_m",
                         "angle_of_attack_rad")),
}
OUTPUTS = ("next apex height", "next apex speed", "contact time")


def _params(d):
    return simsrc.canonical_params()._replace(
        mass_kg=d["mass_kg"], leg_length_m=d["leg_length_m"],
        leg_stiffness_n_per_m=d["leg_stiffness_n_per_m"],
        angle_of_attack_rad=d["angle_of_attack_rad"], lean_rad=d["lean_rad"],
        push_force_bw=d["push_force_bw"], push_ramp_rad=d["push_ramp_rad"],
        surface_compliance_m_per_n=1.0 / d["surface_stiffness_n_per_m"])


@functools.lru_cache(maxsize=None)
def _jacobian(model):
    base, names = MODELS[model]
    opts = default_options(_params(base))

    def outputs(theta):
        d = dict(base, **dict(zip(names, theta)))
        rec = simsrc.simulate(_params(d), simsrc.State(*canonical_state()), 1,
                              options=opts).records
        return jnp.stack([rec.end.y_m[0], rec.end.vx_m_per_s[0], rec.contact_time_s[0]])

    jvp = jax.jit(lambda th, v: jax.jvp(outputs, (th,), (v,))[1])
    theta0 = jnp.asarray([base[n] for n in names])
    eye = jnp.eye(len(names))
    return np.stack([np.asarray(jvp(theta0, eye[j])) for j in range(len(names))], axis=1)


@functools.lru_cache(maxsize=None)
def _finite_differences(model):
    base, names = MODELS[model]
    theta0 = np.array([base[n] for n in names])

    def ref(values):
        r = reference_step(dict(base, **dict(zip(names, values))), canonical_state())
        return np.array([r["end_state"][1], r["end_state"][2], r["contact_time_s"]])

    fd = np.zeros((3, len(names)))
    for j in range(len(names)):
        h = 1e-5 * abs(theta0[j])
        up, dn = theta0.copy(), theta0.copy()
        up[j] += h
        dn[j] -= h
        fd[:, j] = (ref(up) - ref(dn)) / (2 * h)
    return fd


@pytest.mark.parametrize("model", list(MODELS))
def test_gradients_match_reference_finite_differences(model):
    jac, fd = _jacobian(model), _finite_differences(model)
    names = MODELS[model][1]
    assert np.all(np.abs(fd[2]) > 0), "every parameter moves the contact time"
    for i, out in enumerate(OUTPUTS):
        floor = 1e-3 * np.max(np.abs(fd[i]))       # entries far below the row's scale
        for j, name in enumerate(names):
            assert abs(jac[i, j] - fd[i, j]) <= 1e-6 * max(abs(fd[i, j]), floor), \
                (name, out, jac[i, j], fd[i, j])
