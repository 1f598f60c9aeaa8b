"""Steady running under Raibert's foot placement (MODEL.md §11; ``simsrc.gait.solve_controlled``).

The runner is ``configs/human.toml``'s (70 kg, 0.95 m leg of 11 kN/m, damping ratio 0.1, push
0.85 BW) on rigid ground, the law's gain K = 0.1 s and its aim v* = 3.5 m/s. Every expected
value below is computed independently of the solver: the gait must repeat under plain
``simsrc.simulate`` with the law's own angle, the closed loop's multipliers must match central
differences of the closed-loop map built here from ``simulate``, and a runner started 10 cm off
the gait must walk back to it.
"""
import functools

import numpy as np
import pytest

import simsrc
from simsrc.engine.params import leg_damping_from_ratio
from simsrc.errors import SimsrcInputError
from simsrc.gait import RaibertPlacement, controlled_run, solve_controlled, solve_gait
from simsrc.gait import steady

DAMPING = float(leg_damping_from_ratio(0.1, 11e3, 70.0))
LAW = RaibertPlacement(0.1, 3.5)
START = simsrc.apex(0.95, 3.5)


def human(**kw):
    base = dict(mass_kg=70.0, leg_length_m=0.95, leg_stiffness_n_per_m=11e3, surface="rigid",
                angle_of_attack_deg=66.86, leg_damping_n_s_per_m=DAMPING, push_force_bw=0.85)
    return simsrc.make_params(**{**base, **kw})


def options(p):
    return steady.fd_options(p, steady.CONTROLLED)


@functools.lru_cache(maxsize=None)
def gait(lean_deg=0.0, push_force_bw=0.85):
    p = human(lean_deg=lean_deg, push_force_bw=push_force_bw)
    return solve_controlled(p, START, LAW, options=options(p))


def law_angle(v, tau):
    """L0 cos α = v τ/2 + K (v − v*), written out here."""
    return float(np.arccos((0.5 * v * tau + LAW.gain_s * (v - LAW.speed_m_per_s)) / 0.95))


def closed_loop_step(p, y, v, tau):
    """One step of the closed loop, built from ``simulate``: (y', v', τ')."""
    q = p._replace(angle_of_attack_rad=law_angle(v, tau))
    run = simsrc.simulate(q, simsrc.apex(y, v), 1, options=options(p))
    r = run.records
    return np.array([float(r.end.y_m[0]), float(r.end.vx_m_per_s[0]),
                     float(r.contact_time_s[0])])


def test_controlled_gait_repeats_under_simulate_with_the_laws_angle():
    g = gait()
    assert bool(g.converged) and int(g.reason) == steady.OK, str(g.message)
    y, v = float(g.apex_height_m), float(g.apex_speed_m_per_s)
    tau = float(g.metrics.contact_time_s)
    alpha = float(g.value("angle_of_attack_rad"))
    # the law holds at the gait (its own contact time)
    assert abs(alpha - law_angle(v, tau)) < 1e-9
    # and the step with that angle returns to the same apex and contact time
    nxt = closed_loop_step(human(), y, v, tau)
    np.testing.assert_allclose(nxt, [y, v, tau], atol=1e-9)
    assert 2.0 < v < 4.5 and float(g.metrics.speed_m_per_s) > 2.0


def test_runner_started_off_the_gait_walks_back_to_it():
    g = gait()
    p = human()
    run = controlled_run(p, simsrc.apex(float(g.apex_height_m) + 0.10,
                                        float(g.apex_speed_m_per_s)), LAW, 30,
                         options=options(p))
    end = run.records.end
    assert np.all(np.asarray(run.records.status) == 0)
    # the largest closed-loop multiplier is about 0.5: 30 steps shrink 10 cm to well below 1e-4
    assert abs(float(end.y_m[-1]) - float(g.apex_height_m)) < 1e-4
    assert abs(float(end.vx_m_per_s[-1]) - float(g.apex_speed_m_per_s)) < 1e-4
    # and the first steps were really off it
    assert abs(float(end.y_m[0]) - float(g.apex_height_m)) > 1e-2


def test_closed_loop_multipliers_match_central_differences_of_the_closed_loop_map():
    g = gait()
    p = human()
    x0 = np.array([float(g.apex_height_m), float(g.apex_speed_m_per_s),
                   float(g.metrics.contact_time_s)])
    h = np.array([1e-5, 1e-5, 1e-6])
    jac = np.zeros((3, 3))
    for j in range(3):
        e = np.zeros(3)
        e[j] = h[j]
        jac[:, j] = (closed_loop_step(p, *(x0 + e)) - closed_loop_step(p, *(x0 - e))) / (2 * h[j])
    want = np.sort(np.abs(np.linalg.eigvals(jac)))[::-1]
    got = np.sort(np.abs(np.asarray(g.controlled_multipliers)))[::-1]
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert got[0] < 1.0          # stable under the law


def test_lean_speeds_the_runner_up_and_brakes_less():
    """MODEL.md §11: a forward lean moves the foot closer under the body than the law asks,
    so the steady gait is faster, with a smaller braking impulse (from 0 to 10 deg; a
    backward lean is slower still)."""
    leans = (-5.0, 0.0, 5.0, 10.0)
    gaits = [gait(lean) for lean in leans]
    assert all(bool(g.converged) for g in gaits), [str(g.message) for g in gaits]
    speed = [float(g.metrics.speed_m_per_s) for g in gaits]
    assert np.all(np.diff(speed) > 0.3), speed
    braking = [abs(float(g.metrics.braking_impulse_n_s)) for g in gaits[1:]]
    assert np.all(np.diff(braking) < 0.0), braking


def test_runner_without_a_push_has_no_gait_and_says_why():
    """On lossy legs and no push the closed loop loses energy every step: no steady gait, and
    the reason is the closed loop's (it slows to a stop, or its apex sinks until the placed
    foot cannot land), not a Newton failure."""
    g = gait(push_force_bw=0.0)
    assert not bool(g.converged)
    assert int(g.reason) in (steady.SLOWS, steady.NO_FLIGHT), str(g.message)
    assert str(g.message) == steady.REASONS[int(g.reason)]


def test_placement_needs_the_landing_angle_free():
    with pytest.raises(SimsrcInputError, match="angle_of_attack_rad"):
        solve_gait(human(), START, free=("apex_height_m", "apex_speed_m_per_s"),
                   placement=LAW)


def test_config_placement_answers_with_the_controlled_gait():
    from simsrc.config.runner import resolve_config, steady_config

    cfg = resolve_config("configs/human.toml",
                         ["placement=raibert", "aim_speed_m_per_s=3.5",
                          "apex_height_m=0.95", "push_force_bw=0.85"])
    _, g = steady_config(cfg)
    assert bool(g.converged)
    assert np.shape(g.controlled_multipliers) == (3,)
    assert abs(float(g.apex_speed_m_per_s) - float(gait().apex_speed_m_per_s)) < 1e-6
