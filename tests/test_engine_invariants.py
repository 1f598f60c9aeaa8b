"""Invariants of MODEL.md §10 that hold for the engine by physics, not by comparison with an
oracle: symmetry of the periodic conservative stance, impulse balance, dimensionless scaling,
series springs, vmap = loop, jit = eager, status codes and masking."""
from __future__ import annotations

import dataclasses
import math

import jax
import numpy as np
import pytest
from scipy.optimize import brentq

import simsrc
from simsrc.engine.simulate import default_options

CANON = simsrc.canonical_params()
G = 9.81
ENERGY = 0.5 * 80.0 * 5.0**2 + 80.0 * G * 1.0      # system energy: 5 m/s at 1 m apex


def _apex_at_energy(y):
    return simsrc.apex(y, math.sqrt(2.0 * (ENERGY - 80.0 * G * y) / 80.0))


def _next_apex_height(y):
    out = simsrc.simulate(CANON, _apex_at_energy(y), 1)
    return float(out.records.end.y_m[0])


@pytest.fixture(scope="module")
def periodic():
    """The canonical periodic gait (fixed point of the apex map at fixed energy)."""
    y_star = brentq(lambda y: _next_apex_height(y) - y, 0.93, 0.96, xtol=1e-14)
    out = simsrc.simulate(CANON, _apex_at_energy(y_star), 1)
    return y_star, jax.tree_util.tree_map(lambda a: np.asarray(a)[0], out.records)


def test_periodic_stance_is_symmetric_about_mid_stance(periodic):
    y_star, r = periodic
    assert 0.9 < y_star < 1.0
    assert abs(float(r.liftoff.vy_m_per_s) + float(r.touchdown.vy_m_per_s)) < 1e-8
    assert abs(float(r.liftoff.vx_m_per_s) - float(r.touchdown.vx_m_per_s)) < 1e-8
    # foot placement mirrors: COM as far past the foot at liftoff as before it at touchdown
    assert abs((float(r.liftoff.x_m) - float(r.foot_x_m))
               - (float(r.foot_x_m) - float(r.touchdown.x_m))) < 1e-9
    assert abs(float(r.mid_stance_time_s) - 0.5 * float(r.contact_time_s)) < 1e-8
    assert abs(float(r.liftoff.y_m) - float(r.touchdown.y_m)) < 1e-9


def test_impulse_balance_over_a_periodic_step(periodic):
    """Stance-average vertical force / body weight = (t_c + t_f)/t_c; no net horizontal impulse."""
    _, r = periodic
    t_c = float(r.contact_time_s)
    t_f = float(r.touchdown_time_s) + float(r.flight_time_s)
    mean_force_bw = float(r.vertical_impulse_n_s) / t_c / (80.0 * G)
    assert abs(mean_force_bw - (t_c + t_f) / t_c) < 1e-8
    assert abs(float(r.horizontal_impulse_n_s)) < 1e-8 * abs(float(r.braking_impulse_n_s))
    assert float(r.braking_impulse_n_s) < 0 < float(r.propulsive_impulse_n_s)


@pytest.mark.slow   # 46 s from an empty compile cache (2 loaded cores); CI runs it
def test_results_depend_only_on_dimensionless_groups():
    """Rescale m, L0 and g keeping k L0/(m g), k_s L0/(m g), v²/(g L0), angles and push (in
    body weights) fixed: dimensionless outputs must not change."""
    def dimensionless(m, L0, g, surface):
        k = 20e3 * (m * g / (80.0 * G)) / L0
        k_s = 60e3 * (m * g / (80.0 * G)) / L0
        extra = dict(surface_stiffness_n_per_m=k_s, surface_restitution=0.7) if surface else \
            dict(push_force_bw=0.2)
        p = simsrc.canonical_params(mass_kg=m, leg_length_m=L0, leg_stiffness_n_per_m=k,
                                    gravity_m_per_s2=g, angle_of_attack_deg=68.0, **extra)
        v = 5.0 * math.sqrt(g * L0 / G)
        r = simsrc.simulate(p, simsrc.apex(1.0 * L0, v), 1).records
        return np.array([float(r.end.y_m[0]) / L0,
                         float(r.end.vx_m_per_s[0]) / math.sqrt(g * L0),
                         float(r.contact_time_s[0]) * math.sqrt(g / L0),
                         float(r.peak_vertical_force_n[0]) / (m * g),
                         float(r.ledger.surface_plastic_loss_j[0]) / (m * g * L0)])
    for surface in (False, True):     # a push on rigid ground; a plastic surface
        a = dimensionless(80.0, 1.0, G, surface)
        b = dimensionless(55.0, 0.87, 3.7, surface)   # a small runner on Mars
        np.testing.assert_allclose(b, a, rtol=1e-9)


def test_undamped_elastic_surface_loses_no_energy():
    p = simsrc.canonical_params(angle_of_attack_deg=68.0, surface_stiffness_n_per_m=80e3,
                                surface_restitution=1.0)
    r = simsrc.simulate(p, simsrc.apex(1.0, 5.0), 1).records
    assert np.all(np.asarray(r.status) == 0)
    assert float(r.surface_peak_sink_m[0]) > 0.01              # the surface really moved
    assert np.all(np.abs(np.asarray(r.ledger.mechanical_change_j)) < 1e-9 * ENERGY)
    np.testing.assert_allclose(np.asarray(r.footprint_depth_m), 0.0, atol=1e-15)


def test_stiffer_surface_tends_to_rigid_result():
    rigid = simsrc.simulate(CANON, simsrc.apex(1.0, 5.0), 1).records
    diffs = []
    for k_s in (1e6, 1e7, 1e8, 1e9):
        p = CANON._replace(surface_compliance_m_per_n=1.0 / k_s)
        r = simsrc.simulate(p, simsrc.apex(1.0, 5.0), 1).records
        diffs.append(abs(float(r.contact_time_s[0]) - float(rigid.contact_time_s[0])))
    diffs = np.array(diffs)
    # series springs: the extra compliance, hence the difference, falls like 1/k_s
    np.testing.assert_allclose(diffs[:-1] / diffs[1:], 10.0, rtol=0.02)
    assert diffs[-1] < 2e-6   # s; contact time ~0.16 s


@pytest.mark.slow   # 71 s from an empty compile cache (2 loaded cores); CI runs it
def test_vmap_equals_a_loop_and_jit_equals_eager():
    ks = np.array([15e3, 20e3, 25e3, 30e3])
    alphas = np.radians([66.0, 68.0, 70.0, 72.0])
    batch = CANON._replace(leg_stiffness_n_per_m=ks, angle_of_attack_rad=alphas)
    opts = default_options(batch)
    together = simsrc.simulate(batch, simsrc.apex(1.0, 5.0), 2, options=opts).records
    for i in range(len(ks)):
        one = simsrc.simulate(CANON._replace(leg_stiffness_n_per_m=ks[i],
                                             angle_of_attack_rad=alphas[i]),
                              simsrc.apex(1.0, 5.0), 2, options=opts).records
        for a, b in zip(jax.tree_util.tree_leaves(together), jax.tree_util.tree_leaves(one)):
            np.testing.assert_allclose(np.asarray(a)[i], np.asarray(b), rtol=1e-12, atol=1e-9)
    from simsrc.engine.params import as_arrays
    from simsrc.engine.step import step
    p, s = as_arrays(CANON), as_arrays(simsrc.apex(1.0, 5.0))
    jitted = jax.jit(lambda p, s: step(p, s, opts)[1])(p, s)
    with jax.disable_jit():
        eager = step(p, s, opts)[1]
    for a, b in zip(jax.tree_util.tree_leaves(jitted), jax.tree_util.tree_leaves(eager)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-11, atol=1e-9)


def test_failures_are_status_codes_and_later_steps_are_masked():
    # apex below the touchdown height: the leg cannot swing forward
    r = simsrc.simulate(CANON, simsrc.apex(0.5, 5.0), 3).records
    assert list(np.asarray(r.status)) == [simsrc.status.FALL] * 3
    assert np.all(np.isnan(np.asarray(r.end.y_m)))
    # a runner losing height every step (sand, steep angle) falls after a few good steps
    p = simsrc.canonical_params(angle_of_attack_deg=60.0, surface="sand")
    r = simsrc.simulate(p, simsrc.apex(1.0, 5.0), 6).records
    status = np.asarray(r.status)
    first_bad = int(np.argmax(status != 0))
    assert status[0] == 0 and first_bad > 0
    assert np.all(status[first_bad:] == status[first_bad])
    assert np.all(np.isnan(np.asarray(r.contact_time_s)[first_bad:]))
    assert np.all(np.isfinite(np.asarray(r.contact_time_s)[:first_bad]))
    # a stance longer than its time budget
    opts = dataclasses.replace(default_options(CANON), horizon_factor=0.1)
    r = simsrc.simulate(CANON, simsrc.apex(1.0, 5.0), 1, options=opts).records
    assert int(r.status[0]) == simsrc.status.NO_LIFTOFF
    # too slow to vault over the foot: bounces back
    r = simsrc.simulate(CANON, simsrc.apex(1.0, 0.3), 1).records
    assert int(r.status[0]) == simsrc.status.BACKWARDS


@pytest.mark.parametrize("kwargs, name", [
    (dict(mass_kg=0.0), "mass_kg"),
    (dict(leg_stiffness_n_per_m=-3.0), "leg_stiffness_n_per_m"),
    (dict(surface_restitution=1.5), "surface_restitution"),
    (dict(surface_restitution=0.0), "surface_restitution"),
    (dict(angle_of_attack_deg=200.0), "angle_of_attack_deg"),
    (dict(lean_deg=75.0), "lean"),
    (dict(surface="mud"), "surface preset"),
    (dict(leg_damping_ratio=-0.1), "leg_damping_ratio"),
])
def test_bad_parameters_raise_clear_errors(kwargs, name):
    with pytest.raises(simsrc.SimsrcInputError) as err:
        simsrc.make_params(**kwargs)
    msg = str(err.value)
    assert name in msg
    value = next(iter(kwargs.values()))
    assert (f"{value:g}" if isinstance(value, float) else value) in msg


def test_hand_built_params_and_state_are_checked_by_simulate():
    with pytest.raises(simsrc.SimsrcInputError, match="mass_kg.*-80"):
        simsrc.simulate(CANON._replace(mass_kg=-80.0), simsrc.apex(1.0, 5.0))
    with pytest.raises(simsrc.SimsrcInputError, match="y_m"):
        simsrc.simulate(CANON, simsrc.State(0.0, -1.0, 5.0, 0.0))


def test_a_step_with_a_non_finite_result_is_flagged_non_finite():
    """``step._status``: a step that otherwise ends well is ``NON_FINITE`` when any leaf of its
    results (a nested tree of scalars and arrays, integer leaves included) holds NaN or inf,
    row by row under ``vmap``; a flag set earlier (here: no liftoff) wins."""
    from types import SimpleNamespace

    import jax.numpy as jnp

    from simsrc.engine import status as st
    from simsrc.engine.step import _status

    def code(bad, found=True):
        land = SimpleNamespace(time_s=jnp.asarray(0.1), reachable=jnp.asarray(True))
        path = SimpleNamespace(found=jnp.asarray(found), fell=jnp.asarray(False))
        end = simsrc.apex(0.9, 3.0)
        results = (end, {"a": jnp.array([1.0, 2.0, bad]), "n": jnp.int32(3)}, jnp.asarray(0.2))
        return _status(land, path, end, jnp.asarray(True), default_options(simsrc.make_params()),
                       results)

    assert int(code(5.0)) == st.OK
    assert int(code(jnp.nan)) == st.NON_FINITE
    assert int(code(jnp.inf)) == st.NON_FINITE
    assert int(code(jnp.nan, found=False)) == st.NO_LIFTOFF
    rows = jax.vmap(code)(jnp.array([1.0, jnp.inf, 3.0, jnp.nan]))
    assert list(np.asarray(rows)) == [st.OK, st.NON_FINITE, st.OK, st.NON_FINITE]


def test_float32_inputs_run_in_float32_on_the_damped_sand():
    """simulate keeps float32 inputs in float32 (docs/numerics.md: "pass float32 arrays"),
    the damped contact model's graded stance steps included (their step fractions were NumPy
    float64 and lifted the stance to float64, which broke the scan). Mixed inputs run in
    float64. Expected numbers: the same step in float64 (validated against the reference in
    test_engine_reference.py); float32 carries about 7 significant digits, and the stance's
    ~40 steps and Newton solves lose one or two of them, hence 1e-5."""
    import jax.numpy as jnp

    from simsrc.engine.params import as_arrays

    p = simsrc.canonical_params(surface="sand", push_force_bw=0.5, leg_damping_ratio=0.1,
                                slope_deg=3.0)
    s = simsrc.apex(1.0, 5.0)
    single = simsrc.simulate(as_arrays(p, jnp.float32), as_arrays(s, jnp.float32), 1)
    mixed = simsrc.simulate(p, as_arrays(s, jnp.float32), 1)
    assert single.options.surface_model == "damped"
    for run, dtype in ((single, np.float32), (mixed, np.float64)):
        floats = {np.dtype(v.dtype) for v in jax.tree_util.tree_leaves((run.records,
                                                                        run.final_state))
                  if np.issubdtype(v.dtype, np.floating)}
        assert floats == {np.dtype(dtype)}
    assert int(single.records.status[0]) == 0
    for field in ("y_m", "vx_m_per_s"):
        a = float(getattr(single.records.end, field)[0])
        b = float(getattr(mixed.records.end, field)[0])
        assert abs(a - b) <= 1e-5 * abs(b), (field, a, b)
