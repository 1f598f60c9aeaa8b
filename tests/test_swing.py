"""The moving landing leg (MODEL.md §5): leg retraction and the swinging leg (pendulum).

Expected numbers come from closed forms (the compound pendulum's small-swing frequency and its
exact large-swing period with the complete elliptic integral), from the independent scipy
reference (``tests/reference_swing.py``: solve_ivp at 1e-12 with its own event finder, then
``tests/reference.py`` for the stance) and from central finite differences of that reference.
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import ellipk

import simsrc
from simsrc.engine import swing as sw
from simsrc.engine.simulate import default_options
from simsrc.engine.step import run as run_steps

from conftest import case, to_params
from reference import canonical_state
import reference_swing as rs

RIGID = default_options(simsrc.canonical_params())


def _params(d: dict) -> simsrc.Params:
    p = to_params(d)
    return p._replace(**{k: d[k] for k in rs.SWING_DEFAULTS})


def swing_case(**changes) -> dict:
    return case(**dict(rs.SWING_DEFAULTS, **changes))


# one compiled step per mode, shared by the tests (rigid ground, 1 step)
@functools.lru_cache(maxsize=None)
def _stepper(mode):
    opts = dataclass_replace(RIGID, landing=mode)

    @jax.jit
    def run(p, s, legs):
        return run_steps(p, s, 1, opts, legs)
    return run


def dataclass_replace(o, **kw):
    import dataclasses
    return dataclasses.replace(o, **kw)


def _as(p, s, legs=None):
    p = simsrc.engine.params.as_arrays(p)
    s = simsrc.State(*[jnp.asarray(v, jnp.float64) for v in s])
    legs = None if legs is None else sw.Swing(*[jnp.asarray(v, jnp.float64) for v in legs])
    return p, s, legs


# ------------------------------------------------------------------ the pendulum by itself

def test_swing_leg_without_hip_spring_swings_at_the_compound_pendulum_frequency():
    """No hip spring, no damping, small swing: φ(t) = A cos(ω t) with ω = √(m_l g d / I), the
    compound-pendulum frequency (0.61 Hz for the Winter-proportioned 0.95 m leg, close to the
    0.64 Hz Doke, Donelan & Kuo 2005 measured)."""
    p = simsrc.canonical_params(mass_kg=70.0, leg_length_m=0.95, hip_stiffness_n_m_per_rad=0.0,
                                hip_damping_n_m_s_per_rad=0.0, hip_neutral_deg=0.0)
    omega = math.sqrt(p.swing_leg_mass_kg * 9.81 * p.swing_leg_com_m / p.swing_leg_inertia_kg_m2)
    assert float(sw.natural_frequency_hz(simsrc.engine.params.as_arrays(p))) == pytest.approx(
        omega / (2 * math.pi), rel=1e-12)
    assert 0.58 < omega / (2 * math.pi) < 0.66
    amp = 1e-3
    pa = simsrc.engine.params.as_arrays(p)
    for t in (0.3, 0.8, 1.6):
        leg = sw.integrate(pa, jnp.float64(amp), jnp.float64(0.0), jnp.float64(t), 40)
        # the nonlinear correction of the frequency is ~A²/16 = 6e-8 relative
        assert float(leg.phi) == pytest.approx(amp * math.cos(omega * t), abs=amp * 1e-6)


def test_large_swing_period_matches_the_elliptic_integral():
    """A 40° swing of the plain physical pendulum: period T = 4 K(sin²(θ0/2)) / ω0 exactly.
    After T the leg is back at 40° at rest (to the DOP853 accuracy with 8 steps per period/4)."""
    p = simsrc.engine.params.as_arrays(simsrc.canonical_params(
        hip_stiffness_n_m_per_rad=0.0, hip_damping_n_m_s_per_rad=0.0))
    theta0 = math.radians(40.0)
    w0 = math.sqrt(float(p.swing_leg_mass_kg * 9.81 * p.swing_leg_com_m / p.swing_leg_inertia_kg_m2))
    period = 4.0 * ellipk(math.sin(theta0 / 2) ** 2) / w0
    leg = sw.integrate(p, jnp.float64(theta0), jnp.float64(0.0), jnp.float64(period), 32)
    assert float(leg.phi) == pytest.approx(theta0, abs=1e-9)
    assert abs(float(leg.omega)) < 1e-8
    # energy is conserved, and without a hip torque the hip does no work
    assert float(leg.w_pos) == 0.0 and float(leg.w_neg) == 0.0


def test_swing_integration_matches_the_reference():
    """With hip spring and damping, 0.4 s from a liftoff-like state: engine (DOP853, 8 steps)
    against solve_ivp at 1e-12, including the hip's positive and negative work."""
    d = swing_case()
    p = simsrc.engine.params.as_arrays(_params(d))
    leg = sw.integrate(p, jnp.float64(-0.45), jnp.float64(4.0), jnp.float64(0.4), 8)
    ref = rs.swing(d, -0.45, 4.0, 0.4)
    np.testing.assert_allclose([float(v) for v in leg], ref, rtol=0, atol=1e-7)
    assert float(leg.w_pos) > 1.0 and float(leg.w_neg) < -1.0   # both signs occur


# ------------------------------------------------------------------ retraction

def test_retraction_lands_steeper_after_a_higher_apex():
    """Seyfarth, Geyer & Herr 2003: with a rearward rotation from the apex, a longer fall (a
    higher apex) lands the leg steeper; without rotation the angle does not depend on the apex."""
    d = case(**dict(rs.SWING_DEFAULTS, retraction_rate_rad_per_s=math.radians(60.0)))
    run = _stepper("retraction")
    angles = {}
    for rate in (0.0, math.radians(60.0)):
        p = _params(dict(d, retraction_rate_rad_per_s=rate))
        for h in (0.98, 1.05):
            rec = run(*_as(p, (0.0, h, 5.0, 0.0)))[0]
            angles[rate, h] = float(rec.landing_angle_rad[0])
    assert angles[0.0, 0.98] == pytest.approx(angles[0.0, 1.05], abs=1e-12)
    r = math.radians(60.0)
    assert angles[r, 1.05] < angles[r, 0.98] < angles[0.0, 0.98]


@pytest.mark.parametrize("h", [1.0, 1.08])
def test_retraction_step_matches_the_reference(h):
    d = case(**dict(rs.SWING_DEFAULTS, retraction_rate_rad_per_s=math.radians(50.0)))
    rec = _stepper("retraction")(*_as(_params(d), (0.0, h, 5.0, 0.0)))[0]
    ref = rs.moving_step(d, (0.0, h, 5.0, 0.0), "retraction")
    assert int(rec.status[0]) == 0 and ref["status"] == 0
    assert float(rec.touchdown_time_s[0]) == pytest.approx(ref["moving_touchdown_time_s"],
                                                           abs=1e-11)
    assert ref["touchdown_time_s"] == pytest.approx(ref["moving_touchdown_time_s"], abs=1e-12)
    assert float(rec.landing_angle_rad[0]) == pytest.approx(ref["landing_angle_rad"], abs=1e-11)
    assert float(rec.contact_time_s[0]) == pytest.approx(ref["contact_time_s"], abs=1e-9)
    np.testing.assert_allclose([float(v[0]) for v in rec.end], ref["end_state"], atol=1e-9)


# ------------------------------------------------------------------ pendulum

LEGS = (math.radians(27.0), -0.5, math.radians(-20.0), 4.5)


def _pendulum_step(d, state=None, legs=LEGS):
    state = canonical_state() if state is None else state
    return _stepper("pendulum")(*_as(_params(d), state, legs))[0]


def test_pendulum_step_matches_the_reference():
    """Touchdown time and landing angle, the whole step, the legs' states at the next apex and
    the hip's work: engine against the scipy reference."""
    d = swing_case()
    rec = _pendulum_step(d)
    ref = rs.moving_step(d, canonical_state(), "pendulum", LEGS)
    assert int(rec.status[0]) == 0 and ref["status"] == 0
    assert float(rec.touchdown_time_s[0]) == pytest.approx(ref["moving_touchdown_time_s"],
                                                           abs=1e-10)
    assert float(rec.landing_angle_rad[0]) == pytest.approx(ref["landing_angle_rad"], abs=1e-9)
    assert float(rec.contact_time_s[0]) == pytest.approx(ref["contact_time_s"], abs=1e-9)
    np.testing.assert_allclose([float(v[0]) for v in rec.end], ref["end_state"], atol=1e-8)
    np.testing.assert_allclose([float(v[0]) for v in rec.swing], ref["swing"], atol=1e-6)
    led = rec.ledger
    assert float(led.hip_swing_positive_j[0]) == pytest.approx(ref["hip_positive_j"], abs=1e-4)
    assert float(led.hip_swing_negative_j[0]) == pytest.approx(ref["hip_negative_j"], abs=1e-4)
    assert float(led.swing_landing_j[0]) == pytest.approx(ref["swing_landing_j"], abs=1e-6)
    assert float(led.swing_liftoff_j[0]) == pytest.approx(ref["swing_liftoff_j"], abs=1e-9)


def test_pendulum_energy_books_close():
    """The body's ledger closes as in the fixed mode (the swinging leg does not move the body),
    and the swing legs' own balance ΔE_swing = W_hip − E_landing + E_liftoff closes to the
    integration error; the hip does work of both signs."""
    rec = _pendulum_step(swing_case())
    led = rec.ledger
    assert abs(float(led.residual_j[0])) < 1e-7
    assert abs(float(led.swing_residual_j[0])) < 1e-5
    assert float(led.hip_swing_positive_j[0]) > 0.5
    assert float(led.hip_swing_negative_j[0]) < -0.5
    assert float(led.injected_j[0]) == 0.0        # no push: nothing injected into the body


def test_foot_below_the_surface_at_the_apex_is_a_fall():
    """A leading leg still near vertical at the apex (foot under the surface): status FALL."""
    rec = _pendulum_step(swing_case(), state=(0.0, 0.95, 5.0, 0.0), legs=(0.05, 0.0, -0.3, 4.0))
    assert int(rec.status[0]) == simsrc.status.FALL


def test_touchdown_gradient_matches_finite_differences():
    """d(touchdown time, landing angle)/d(hip stiffness, hip neutral angle, leading leg's rate):
    forward-mode autodiff through the touchdown search and Newton solve (only the last update
    differentiated: the implicit-function derivative) against central differences of the
    reference's event finder (relative step 1e-5). The stance that follows is differentiated as
    in the fixed mode (tests/test_engine_gradients.py)."""
    d = swing_case()
    base = simsrc.engine.params.as_arrays(_params(d))
    _, s, _ = _as(base, canonical_state())

    def outputs(theta):
        p = base._replace(hip_stiffness_n_m_per_rad=theta[0], hip_neutral_rad=theta[1])
        land = sw.touchdown_moving(p, s, "pendulum", (jnp.float64(LEGS[0]), theta[2]))
        return jnp.stack([land.time_s, land.angle_rad])

    theta0 = [d["hip_stiffness_n_m_per_rad"], d["hip_neutral_rad"], LEGS[1]]
    jac = np.asarray(jax.jit(jax.jacfwd(outputs))(jnp.array(theta0)))

    def ref(theta):
        q = dict(d, hip_stiffness_n_m_per_rad=theta[0], hip_neutral_rad=theta[1])
        t, psi, _ = rs.touchdown(q, canonical_state(), "pendulum", (LEGS[0], theta[2]))
        return np.array([t, psi])

    for j in range(3):
        step = 1e-5 * abs(theta0[j])
        hi, lo = list(theta0), list(theta0)
        hi[j] += step
        lo[j] -= step
        fd = (ref(hi) - ref(lo)) / (2 * step)
        np.testing.assert_allclose(jac[:, j], fd, rtol=1e-6, atol=1e-10)


def test_default_human_runner_finds_a_steady_pendulum_gait():
    """The default hip (300 N·m/rad toward 28°, ζ = 0.7) carries the default-sized runner
    (70 kg, 0.95 m, 11 kN/m) from a rough start at 3.5 m/s into a steady gait: the last steps
    repeat to 1e-6, with a landing angle near the hip's neutral angle and 3.5–4.2 m/s."""
    p = simsrc.canonical_params(mass_kg=70.0, leg_length_m=0.95, leg_stiffness_n_per_m=11e3,
                                angle_of_attack_deg=64.5)
    out = simsrc.simulate(p, simsrc.apex(0.93, 3.5), 40,
                          options=dataclass_replace(RIGID, landing="pendulum"))
    r = out.records
    assert np.all(np.asarray(r.status) == 0)
    y = np.asarray(r.end.y_m)
    assert abs(y[-1] - y[-2]) < 1e-6 * y[-1]
    assert 3.5 < float(r.end.vx_m_per_s[-1]) < 4.2
    assert 20.0 < math.degrees(float(r.landing_angle_rad[-1])) < 30.0
    assert out.final_swing is not None


# compiles the pendulum step's forward-mode Jacobian, a program of its own (about 35 s from an
# empty cache); CI runs it
@pytest.mark.slow
def test_exact_swing_step_jacobian_matches_central_differences_of_the_reference():
    """The 6×6 Jacobian of the pendulum step's apex map, ∂(y, v_x, legs)'/∂(y, v_x, legs), in
    forward mode through the moving-leg touchdown and the liftoff (``find_swing_gait``'s
    ``jacobian="exact"`` kernel) against central differences of the scipy reference's step
    (relative step 1e-5; the engine's 8 swing steps per flight leave ~1e-6 in the legs)."""
    from simsrc.gait.swing import _swing_step_jac

    d = swing_case()
    p, s, legs = _as(_params(d), canonical_state(), LEGS)
    opts = dataclass_replace(RIGID, landing="pendulum")
    out = jax.jit(lambda p, s, z: _swing_step_jac(p, s, z, opts))(p, s, tuple(legs))
    assert int(out[42]) == 0
    jac = np.array([float(v) for v in out[6:42]]).reshape(6, 6)
    z0 = [canonical_state()[1], canonical_state()[2], *LEGS]

    def ref(z):
        r = rs.moving_step(d, (0.0, z[0], z[1], 0.0), "pendulum", tuple(z[2:]))
        return np.array([r["end_state"][1], r["end_state"][2], *r["swing"]])

    for j in range(6):
        h = 1e-5 * max(abs(z0[j]), 1.0)
        hi, lo = list(z0), list(z0)
        hi[j] += h
        lo[j] -= h
        fd = (ref(hi) - ref(lo)) / (2 * h)
        np.testing.assert_allclose(jac[:, j], fd, rtol=1e-4, atol=2e-5, err_msg=f"column {j}")


#: Hip stiffnesses (N·m/rad) of the aimed-hip runs: one below the band where the fixed
#: neutral angle finds a steady gait (about 210-330 N·m/rad, docs/gaits.md), two above it.
AIMED_HIPS = (150.0, 600.0, 1000.0)
AIM = (0.1, 3.5)      # Raibert's gain K (s) and aim v* (m/s)


def _aimed_runner():
    return simsrc.canonical_params(mass_kg=70.0, leg_length_m=0.95, leg_stiffness_n_per_m=11e3,
                                   angle_of_attack_deg=64.5,
                                   hip_stiffness_n_m_per_rad=np.array(AIMED_HIPS))


@functools.lru_cache(maxsize=None)
def _aimed_runs():
    """40 steps of the default-sized runner from (0.93 m, 3.5 m/s) with the hip's neutral angle
    fixed at 28° (plain) and aimed by Raibert's law (aimed), one batch each."""
    p = _aimed_runner()
    o = dataclass_replace(RIGID, landing="pendulum")
    return (simsrc.simulate(p, simsrc.apex(0.93, 3.5), 40, options=o),
            simsrc.simulate(p, simsrc.apex(0.93, 3.5), 40, options=o, placement=AIM))


def test_aimed_hip_first_step_is_the_pendulum_step_with_the_laws_neutral_angle():
    """The aimed mode's first step equals the plain pendulum step whose hip neutral angle is
    set by hand to π/2 − α, α from Raibert's law written out here (L0 cos α = v τ/2 +
    K (v − v*), τ = π √(m/k) before the first step)."""
    p = _aimed_runner()
    tau = math.pi * math.sqrt(70.0 / 11e3)
    alpha = math.acos((0.5 * 3.5 * tau + AIM[0] * (3.5 - AIM[1])) / 0.95)
    by_hand = simsrc.simulate(p._replace(hip_neutral_rad=0.5 * math.pi - alpha),
                              simsrc.apex(0.93, 3.5), 40,
                              options=dataclass_replace(RIGID, landing="pendulum"))
    aimed = _aimed_runs()[1]
    for a, b in ((by_hand.records.end, aimed.records.end),
                 (by_hand.records.landing_angle_rad, aimed.records.landing_angle_rad),
                 (by_hand.records.ledger.hip_swing_positive_j,
                  aimed.records.ledger.hip_swing_positive_j)):
        np.testing.assert_allclose(np.asarray(jax.tree_util.tree_leaves(a))[..., 0],
                                   np.asarray(jax.tree_util.tree_leaves(b))[..., 0],
                                   rtol=1e-12, atol=1e-12)


def test_aimed_hip_carries_stiff_hips_into_a_steady_gait():
    """With its neutral angle fixed, a stiff hip (600, 1000 N·m/rad) swings the leg past the
    landing angle that sustains the gait and the runner falls within a few steps; aimed by
    Raibert's law it settles (the last steps repeat to 1e-6) and the hip's work is booked with
    the swing legs' energy balance closed. A soft hip (150 N·m/rad) cannot bring the leg
    forward in time either way (its foot is still behind at the next touchdown)."""
    plain, aimed = (r.records for r in _aimed_runs())
    st_plain, st_aimed = np.asarray(plain.status), np.asarray(aimed.status)
    assert np.all(np.any(st_plain != 0, axis=1))
    assert np.all(st_aimed[1:] == 0)
    y = np.asarray(aimed.end.y_m)
    assert np.all(np.abs(y[1:, -1] - y[1:, -2]) < 1e-6 * y[1:, -1])
    assert np.any(st_plain[0] != 0) and np.any(st_aimed[0] != 0)
    hip = np.asarray(aimed.ledger.hip_swing_positive_j)[1:]
    assert np.all(hip > 1.0)
    # the swing legs' balance closes to the integration error of 8 DOP853 steps per swing,
    # which grows with the hip's stiffness (1e-5 J at the default hip, above)
    assert np.all(np.abs(np.asarray(aimed.ledger.swing_residual_j)[1:]) < 1e-5 * hip)


@pytest.mark.slow   # compiles the exact 7-D kernel (about 30 s) and two runs; CI runs it
def test_aimed_hip_gait_is_a_fixed_point_and_its_multipliers_match_the_decay():
    """``find_swing_gait(..., placement=(K, v*))`` on the 7-D apex map of the aimed hip (the
    legs and the law's contact time τ), exact Jacobian, from a run settled for only 8 steps:
    the gait repeats under ``simulate`` with the law to 1e-9, and a kicked leading leg decays at
    the rate of the largest multiplier other than the energy direction's 1 (log-slope over
    steps 3-15 of 30 simulated ones, independent of the Jacobian), within 5 %."""
    from simsrc.gait import find_swing_gait

    p = simsrc.canonical_params(mass_kg=70.0, leg_length_m=0.95, leg_stiffness_n_per_m=11e3,
                                angle_of_attack_deg=64.5, hip_stiffness_n_m_per_rad=1000.0)
    opts = dataclass_replace(RIGID, landing="pendulum")
    settle = simsrc.simulate(p, simsrc.apex(0.93, 3.5), 8, options=opts, placement=AIM)
    tau0 = float(settle.records.swing.law.contact_time_s[-1])
    g = find_swing_gait(p, settle.final_state, settle.final_swing, options=opts,
                        placement=AIM, contact_time_s=tau0)
    assert bool(g.converged) and bool(g.stable) and int(g.iterations) >= 2
    y, v, tau = float(g.apex_height_m), float(g.apex_speed_m_per_s), float(g.contact_time_s)
    legs = [float(a) for a in g.swing]
    run = simsrc.simulate(p, simsrc.apex(y, v), 1, options=opts, swing=g.swing,
                          placement=AIM).records
    # the law's τ at the gait's start is the gait's own contact time: start the law from it
    start = sw.AimedSwing(sw.Swing(*legs), sw.Placement(tau, *AIM))
    again = jax.jit(lambda q, s0, z: run_steps(q, s0, 1, opts, z))(
        *_as(p, (0.0, y, v, 0.0))[:2], jax.tree_util.tree_map(jnp.float64, start))[0]
    np.testing.assert_allclose([float(again.end.y_m[0]), float(again.end.vx_m_per_s[0]),
                                *[float(a[0]) for a in again.swing.legs],
                                float(again.swing.law.contact_time_s[0])],
                               [y, v, *legs, tau], atol=1e-9)
    assert int(run.status[0]) == 0

    kicked = jax.tree_util.tree_map(jnp.float64, sw.AimedSwing(
        sw.Swing(legs[0] + 1e-4, *legs[1:]), sw.Placement(tau, *AIM)))
    recs = jax.jit(lambda q, s0, z: run_steps(q, s0, 30, opts, z))(
        *_as(p, (0.0, y, v, 0.0))[:2], kicked)[0]
    dev = np.sqrt((np.asarray(recs.end.y_m) - y) ** 2 / 0.95**2
                  + (np.asarray(recs.end.vx_m_per_s) - v) ** 2 / (9.81 * 0.95)
                  + sum((np.asarray(a) - b) ** 2 for a, b in zip(recs.swing.legs, legs)))
    k = np.arange(3, 16)       # 1e-4 × 0.57^15 ≈ 2e-8: above the gait's own 1e-9 accuracy
    rate = np.exp(np.polyfit(k, np.log(dev[k]), 1)[0])
    assert rate == pytest.approx(float(g.max_abs_multiplier), rel=0.05)


@pytest.mark.slow   # a 40-step run and the exact 7-D kernel with push and damping (~80 s); CI runs it
def test_human_runner_with_the_aimed_hip_has_a_stable_steady_gait_that_pays_for_the_swing():
    """Controlled, steady running that counts the cost of swinging the leg (MODEL.md §11): the
    human runner (70 kg, 11 kN/m, push 0.85 BW, leg damping ratio 0.1; tests/test_controlled.py)
    with the hip aimed by Raibert's law at 1000 N·m/rad settles in 40 steps, and
    ``find_swing_gait`` finds its steady gait from there: a fixed point under the engine to
    1e-9, stable, the hip's positive work a real share of the muscle work per step (the body's
    ledger and the swing legs' balance both close)."""
    import importlib

    from simsrc.gait import find_swing_gait

    tc = importlib.import_module("test_controlled")
    p = tc.human(hip_stiffness_n_m_per_rad=1000.0)
    opts = dataclass_replace(tc.options(tc.human()), landing="pendulum")
    settle = simsrc.simulate(p, simsrc.apex(0.95, 3.5), 40, options=opts, placement=AIM)
    assert np.all(np.asarray(settle.records.status) == 0)
    tau0 = float(settle.records.swing.law.contact_time_s[-1])
    g = find_swing_gait(p, settle.final_state, settle.final_swing, options=opts,
                        placement=AIM, contact_time_s=tau0)
    assert bool(g.converged) and bool(g.stable)
    y, v, tau = float(g.apex_height_m), float(g.apex_speed_m_per_s), float(g.contact_time_s)
    legs = [float(a) for a in g.swing]
    start = jax.tree_util.tree_map(jnp.float64, sw.AimedSwing(sw.Swing(*legs),
                                                              sw.Placement(tau, *AIM)))
    rec = jax.jit(lambda q, s0, z: run_steps(q, s0, 1, opts, z))(
        *_as(p, (0.0, y, v, 0.0))[:2], start)[0]
    np.testing.assert_allclose([float(rec.end.y_m[0]), float(rec.end.vx_m_per_s[0]),
                                *[float(a[0]) for a in rec.swing.legs],
                                float(rec.swing.law.contact_time_s[0])],
                               [y, v, *legs, tau], atol=1e-9)
    led = rec.ledger
    hip, push = float(led.hip_swing_positive_j[0]), float(led.push_positive_j[0])
    assert hip > 0.5 * push > 10.0, (hip, push)
    assert abs(float(led.residual_j[0])) < 1e-6 and abs(float(led.swing_residual_j[0])) < 1e-3


@pytest.mark.slow   # 96 s from an empty compile cache (2 loaded cores); CI runs it
def test_swing_gait_is_a_fixed_point_and_its_multipliers_match_the_decay():
    """``find_swing_gait`` (Newton on the 6-D apex map, exact Jacobian): the gait
    maps to itself, the conservative body's energy direction gives the multiplier 1, and a
    perturbation of the leading leg decays step by step at the rate of the largest remaining
    multiplier (the slope of log deviation over 30 simulated steps, which averages over the
    rotation of the complex pair; independent of the Jacobian)."""
    from simsrc.gait import find_swing_gait

    p = simsrc.canonical_params(mass_kg=70.0, leg_length_m=0.95, leg_stiffness_n_per_m=11e3,
                                angle_of_attack_deg=64.5)
    opts = dataclass_replace(RIGID, landing="pendulum")
    settle = simsrc.simulate(p, simsrc.apex(0.93, 3.5), 30, options=opts)
    g = find_swing_gait(p, settle.final_state, settle.final_swing, options=opts)
    assert bool(g.converged) and bool(g.stable)
    lam = np.asarray(g.multipliers)
    assert np.min(np.abs(lam - 1.0)) < 1e-7                # the energy direction, exactly 1
    # the forward-difference Jacobian finds the same gait, its multipliers to about 1e-4
    fd = find_swing_gait(p, settle.final_state, settle.final_swing, options=opts,
                         jacobian="fd")
    assert bool(fd.converged)
    np.testing.assert_allclose([float(fd.apex_height_m), float(fd.apex_speed_m_per_s)],
                               [float(g.apex_height_m), float(g.apex_speed_m_per_s)], atol=1e-8)
    np.testing.assert_allclose(np.abs(np.asarray(fd.multipliers)), np.abs(lam), atol=1e-3)
    y, v = float(g.apex_height_m), float(g.apex_speed_m_per_s)
    legs = [float(a) for a in g.swing]
    again = simsrc.simulate(p, simsrc.apex(y, v), 1, options=opts, swing=g.swing).records
    np.testing.assert_allclose([float(again.end.y_m[0]), float(again.end.vx_m_per_s[0])],
                               [y, v], atol=1e-9)
    np.testing.assert_allclose([float(a[0]) for a in again.swing], legs, atol=1e-8)

    kicked = sw.Swing(legs[0] + 1e-4, *legs[1:])
    run = simsrc.simulate(p, simsrc.apex(y, v), 30, options=opts, swing=kicked).records
    dev = np.sqrt((np.asarray(run.end.y_m) - y) ** 2 / 0.95**2
                  + (np.asarray(run.end.vx_m_per_s) - v) ** 2 / (9.81 * 0.95)
                  + sum((np.asarray(a) - b) ** 2 for a, b in zip(run.swing, legs)))
    k = np.arange(3, 30)
    rate = np.exp(np.polyfit(k, np.log(dev[k]), 1)[0])
    assert rate == pytest.approx(float(g.max_abs_multiplier), rel=0.05)
