"""Steady running (simsrc.gait.solve_gait): periodic gaits with free variables and targets.

The solver's default Jacobian is central differences through the one-step ``simulate``
program (``jacobian="fd"``), which compiles in seconds; the exact ``jacfwd`` kernel takes
minutes to compile on a 2-core machine, so its test is marked slow.

Every solve here runs on rigid ground. The runner is ``configs/human.toml``'s: 70 kg, 0.95 m
leg of 11 kN/m, damping ratio 0.1, angle of attack 66.86 deg, apex 0.89 m at 3.5 m/s
(docs/gaits.md).
"""
import functools
import math

import numpy as np
import pytest

import simsrc
from simsrc.engine.params import leg_damping_from_ratio
from simsrc.gait import REASONS, solve_gait
from simsrc.gait import steady
from reference import reference_step
from test_gait import to_reference

H = 1e-6
DAMPING = float(leg_damping_from_ratio(0.1, 11e3, 70.0))


def human(**kw):
    base = dict(mass_kg=70.0, leg_length_m=0.95, leg_stiffness_n_per_m=11e3, surface="rigid",
                angle_of_attack_deg=66.86, leg_damping_n_s_per_m=DAMPING, push_force_bw=0.85)
    return simsrc.make_params(**{**base, **kw})


@functools.lru_cache(maxsize=None)
def push_gait():
    """Push and apex height free, apex speed held at 3.5 m/s (``solve_push_for_speed``'s
    problem)."""
    return solve_gait(human(), simsrc.apex(0.89, 3.5), free=("apex_height_m", "push_force_bw"))


def test_solved_gait_repeats_under_simulate_and_is_a_real_step():
    g = push_gait()
    assert bool(g.converged) and int(g.reason) == steady.OK
    p = human(push_force_bw=float(g.value("push_force_bw")))
    run = simsrc.simulate(p, simsrc.apex(float(g.apex_height_m), float(g.apex_speed_m_per_s)),
                          3, options=steady.steady_options(p))
    end = run.records.end
    # periodic: every apex equals the start to 1e-9 (Newton's tolerance is 1e-11 scaled)
    assert np.max(np.abs(np.asarray(end.y_m) - float(g.apex_height_m))) < 1e-9
    assert np.max(np.abs(np.asarray(end.vx_m_per_s) - 3.5)) < 1e-9
    # a real apex-to-apex step: liftoff with upward velocity
    assert np.all(np.asarray(run.records.liftoff.vy_m_per_s) > 0.0)


@functools.lru_cache(maxsize=None)
def slope_gait(slope_deg, free):
    """Uphill with the push free (no leg damping) or downhill with the leg damping free (no
    push); mean speed held at 3.3 m/s and the apex height at 0.92 m, the landing angle free
    (the deadbeat foot placement of MODEL.md §11: the angle that makes the apex repeat). With
    the angle held at 66.86 deg the uphill gait grazes: its apex sits 1.5 ms above touchdown
    and a step 0.1 mm lower falls."""
    kw = (dict(leg_damping_n_s_per_m=0.0, push_force_bw=0.6) if free == "push_force_bw" else
          dict(leg_damping_n_s_per_m=DAMPING, push_force_bw=0.0))
    p = human(slope_deg=slope_deg, **kw)
    return p, solve_gait(p, simsrc.apex(0.92, 3.5),
                         free=("apex_speed_m_per_s", "angle_of_attack_rad", free),
                         targets={"speed_m_per_s": 3.3})


@pytest.mark.slow   # four held-speed solves with their retries (about 20 s); CI runs it
def test_held_speed_answers_every_lean_with_the_upright_gait_turned():
    """Lean enters the engine only through the landing angle from the surface normal,
    β = π/2 − α − λ (engine/frame.py), so at a held speed, with the foot placement solved, every
    lean has the upright runner's gait with its angle of attack shifted by −λ: the same β, push
    and apex speed. From the configured 66.86° a runner leaning 10° puts its foot 13° from the
    vertical and falls; the solve's retries from the neutral point and from the nearest solved
    lean find its gait (before them, no lean of 10° had a gait at a held speed)."""
    leans = np.array([-5.0, 0.0, 5.0, 10.0])
    p = human(lean_deg=leans)
    push, _, use_braking = steady.solve_held_speed(p, simsrc.apex(0.92, 3.5), 3.5)
    assert np.all(np.asarray(push.converged)) and not np.any(use_braking), push.message
    beta = 0.5 * np.pi - np.asarray(push.value("angle_of_attack_rad")) - np.radians(leans)
    np.testing.assert_allclose(beta, beta[1], atol=1e-8)
    for name in ("push_force_bw", "apex_speed_m_per_s"):
        v = np.asarray(push.value(name))
        np.testing.assert_allclose(v, v[1], rtol=1e-8)
    # the leaning runner's gait repeats under plain simulate
    v10 = float(push.value("apex_speed_m_per_s")[3])
    q = human(lean_deg=10.0, push_force_bw=float(push.value("push_force_bw")[3]))._replace(
        angle_of_attack_rad=float(push.value("angle_of_attack_rad")[3]))
    run = simsrc.simulate(q, simsrc.apex(0.92, v10), 2,
                          options=steady.held_speed_options(q, steady.HELD_SPEED_PUSH))
    np.testing.assert_allclose(np.asarray(run.records.end.y_m), 0.92, atol=1e-9)
    np.testing.assert_allclose(np.asarray(run.records.end.vx_m_per_s), v10, atol=1e-9)
    np.testing.assert_allclose(np.asarray(push.metrics.speed_m_per_s), 3.5, atol=1e-9)


@pytest.mark.slow   # retries down to the raised apex (about 15 s); CI runs it
def test_a_stiff_leg_at_a_held_speed_runs_from_a_higher_apex():
    """A 32 kN/m leg at 3.5 m/s lands from the held 0.92 m with almost no flight and has no
    gait there; the last retry raises the apex to 5 cm above the neutral point's touchdown
    height: L0 cos β0 + 0.05 with sin β0 = v τ0 / (2 L0), τ0 = π √(70/32000) (0.965 m), and
    the gait found there repeats under plain simulate."""
    p = human(leg_stiffness_n_per_m=32e3)
    push, _, use_braking = steady.solve_held_speed(p, simsrc.apex(0.92, 3.5), 3.5)
    assert bool(push.converged) and not bool(use_braking), str(push.message)
    beta0 = math.asin(3.5 * math.pi * math.sqrt(70.0 / 32e3) / 1.9)
    y = float(push.apex_height_m)
    assert abs(y - (0.95 * math.cos(beta0) + 0.05)) < 1e-9
    v = float(push.apex_speed_m_per_s)
    q = human(leg_stiffness_n_per_m=32e3, push_force_bw=float(push.value("push_force_bw")))
    q = q._replace(angle_of_attack_rad=float(push.value("angle_of_attack_rad")))
    run = simsrc.simulate(q, simsrc.apex(y, v), 2,
                          options=steady.held_speed_options(q, steady.HELD_SPEED_PUSH))
    np.testing.assert_allclose(np.asarray(run.records.end.y_m), y, atol=1e-9)
    np.testing.assert_allclose(np.asarray(run.records.end.vx_m_per_s), v, atol=1e-9)
    assert np.all(np.asarray(run.records.liftoff.vy_m_per_s) > 0.0)


def test_side_by_side_starts_give_the_sequential_answer(monkeypatch):
    """A 32 kN/m leg at 3.5 m/s has no gait from its configured start and finds one on a
    retry. A single point solves its start and the neutral and raised retries' starts side by
    side, in one batch (``steady._held_solve``); the answer is, to the last bit, the one of
    solving the starts one after another (``SIDE_BY_SIDE`` set so that nothing fits)."""
    p, y = human(leg_stiffness_n_per_m=32e3), simsrc.apex(0.92, 3.5)
    first = solve_gait(p, y, free=steady.HELD_SPEED_PUSH, targets={"speed_m_per_s": 3.5},
                       options=steady.held_speed_options(p, steady.HELD_SPEED_PUSH))
    assert not bool(first.converged)            # the retries are needed
    side, _, _ = steady.solve_held_speed(p, y, 3.5)
    monkeypatch.setattr(steady, "SIDE_BY_SIDE", 10**6)
    seq, _, _ = steady.solve_held_speed(p, y, 3.5)
    assert bool(side.converged), str(side.message)
    for f in ("values", "apex_height_m", "apex_speed_m_per_s", "converged", "reason",
              "iterations", "residual", "multipliers"):
        np.testing.assert_array_equal(np.asarray(getattr(side, f)), np.asarray(getattr(seq, f)),
                                      err_msg=f)
    np.testing.assert_array_equal(np.asarray(side.metrics.contact_time_s),
                                  np.asarray(seq.metrics.contact_time_s))


def test_neutral_point_angle_by_hand():
    """70 kg on 11 kN/m at 3.5 m/s, upright: τ0 = π √(70/11000) = 0.2506 s, sin β = 3.5 τ0 /
    (2 · 0.95) = 0.4617, β = 27.50°, α = 62.50°; leaning 5° takes 5° off α."""
    a = steady.neutral_point_angle(human(lean_deg=np.array([0.0, 5.0])), 3.5)
    tau0 = math.pi * math.sqrt(70.0 / 11e3)
    alpha0 = 90.0 - math.degrees(math.asin(3.5 * tau0 / 1.9))
    np.testing.assert_allclose(np.degrees(a), [alpha0, alpha0 - 5.0], atol=1e-9)
    assert abs(alpha0 - 62.50) < 0.01


@pytest.mark.slow   # 67 s from an empty compile cache (2 loaded cores); CI runs it
def test_multipliers_agree_with_central_differences_of_the_reference():
    """The Floquet multipliers (eigenvalues of the exact ∂P/∂(y, v_x)) against central
    differences (h = 1e-6) of the scipy reference step (tests/reference.py, ~1e-12 accurate,
    so ~1e-6 absolute error in the differences). An uphill (1 deg) push gait: the reference's
    rigid ground takes no leg damping (its damped model needs a compliant surface). At 3 deg
    the reference reports BACKWARDS for the one perturbed start y + 1e-6 (its mid-stance event
    is missed there; the unperturbed step agrees with the engine to 5e-9): a fragility of the
    reference's event chain, not of the gait."""
    p, g = slope_gait(1.0, "push_force_bw")
    pd = to_reference(p._replace(push_force_bw=float(g.value("push_force_bw")),
                                 angle_of_attack_rad=float(g.value("angle_of_attack_rad"))))
    y, vx = float(g.apex_height_m), float(g.apex_speed_m_per_s)

    def ref_map(yy, vv):
        out = reference_step(pd, (0.0, yy, vv, 0.0))
        assert out["status"] == 0
        return np.array(out["end_state"][1:3])
    cols = [(ref_map(y + dy, vx + dv) - ref_map(y - dy, vx - dv)) / (2 * H)
            for dy, dv in ((H, 0.0), (0.0, H))]
    jac_ref = np.stack(cols, axis=1)
    assert np.allclose(g.jacobian, jac_ref, atol=2e-5)
    lam_ref = np.sort_complex(np.linalg.eigvals(jac_ref))
    assert np.allclose(np.sort_complex(g.multipliers), lam_ref, atol=2e-5)
    assert bool(g.stable) == bool(np.max(np.abs(lam_ref)) < 1.0)


def test_two_free_variables_meet_two_targets():
    """Stiffness and angle of attack (with the apex) for a mean speed of 3.3 m/s and a cadence
    10 % above the push gait's: the targets are met to 1e-9."""
    g0 = push_gait()
    cadence = 1.1 * float(g0.metrics.cadence_steps_per_min)
    p = human(push_force_bw=float(g0.value("push_force_bw")))
    g = solve_gait(p, simsrc.apex(float(g0.apex_height_m), 3.5),
                   free=("apex_height_m", "apex_speed_m_per_s", "leg_stiffness_n_per_m",
                         "angle_of_attack_rad"),
                   targets={"speed_m_per_s": 3.3, "cadence_steps_per_min": cadence})
    assert bool(g.converged), g.message
    assert abs(float(g.metrics.speed_m_per_s) - 3.3) < 1e-9
    assert abs(float(g.metrics.cadence_steps_per_min) - cadence) < 1e-9 * cadence
    # a higher cadence at a similar speed needs a stiffer leg (Farley & Gonzalez 1996)
    assert float(g.value("leg_stiffness_n_per_m")) > 11e3


# the braking solves compile their own program (40 s from an empty cache): slow, CI runs them
@pytest.mark.parametrize("slope_deg, free", [
    (3.0, "push_force_bw"), (10.0, "push_force_bw"),
    pytest.param(-3.0, "leg_damping_n_s_per_m", marks=pytest.mark.slow),
    pytest.param(-10.0, "leg_damping_n_s_per_m", marks=pytest.mark.slow)])
def test_slope_at_held_speed_balances_the_ledger(slope_deg, free):
    """Uphill with the push free (no leg damping) or downhill with the leg damping free (no
    push), mean speed held at 3.3 m/s: over the periodic step the body gains m g d sin θ of
    potential energy (d = step length along the slope) and nothing else, so the muscles' net
    work (push work minus the damper's absorption) equals m g d sin θ, up to the push's spring
    energy left in the leg at liftoff (booked as a passive loss, docs/physics.md §4)."""
    _, g = slope_gait(slope_deg, free)
    assert bool(g.converged), g.message
    led, m = g.ledger, g.metrics
    weight_along = 70.0 * 9.81 * math.sin(math.radians(slope_deg))
    expected = weight_along * float(m.step_length_m)
    muscle = float(led.push_positive_j + led.push_negative_j - led.leg_damping_loss_j)
    assert abs(muscle - float(led.leg_elastic_unreturned_j) - expected) < 1e-6 * abs(expected)
    assert (muscle > 0) == (slope_deg > 0)


def test_no_gait_gets_its_reason():
    """Push capped at 0.1 BW at 5 m/s: the leg damper takes more than the push can give."""
    g = solve_gait(human(), simsrc.apex(0.92, 3.5),
                   free=("apex_speed_m_per_s", "angle_of_attack_rad", "push_force_bw"),
                   targets={"speed_m_per_s": 5.0}, bounds={"push_force_bw": (0.0, 0.1)})
    assert not bool(g.converged)
    assert int(g.reason) == steady.PUSH_CAPPED, g.message
    assert str(g.message) == REASONS[steady.PUSH_CAPPED]


def test_bad_names_are_refused():
    with pytest.raises(simsrc.SimsrcInputError, match="free variables are"):
        solve_gait(human(), simsrc.apex(0.89, 3.5), free=("apex_height_m", "lean"))
    with pytest.raises(simsrc.SimsrcInputError, match="2 \\+ n_targets"):
        solve_gait(human(), simsrc.apex(0.89, 3.5), free=("apex_height_m",))


@pytest.mark.slow
def test_exact_and_finite_difference_jacobians_agree():
    """The same problem with ``jacobian="exact"`` (jacfwd through the step's events; minutes to
    compile) and the default central differences: the same gait to 1e-9 and the same
    multipliers to 1e-6."""
    g_fd = push_gait()
    g_ex = solve_gait(human(), simsrc.apex(0.89, 3.5), free=("apex_height_m", "push_force_bw"),
                      jacobian="exact")
    assert bool(g_ex.converged)
    assert np.allclose(g_ex.values, g_fd.values, atol=1e-9)
    assert np.allclose(np.sort_complex(g_ex.multipliers), np.sort_complex(g_fd.multipliers),
                       atol=1e-6)


@pytest.mark.slow   # 26 s from an empty compile cache (2 loaded cores); CI runs it
def test_conservative_gait_holds_the_energy_of_its_start():
    """A conservative runner (no push, no damping, rigid level ground): its fixed points form a
    curve, one per energy. ``hold_energy`` picks the one at the guess's energy: periodic in
    height to 1e-9 and in speed to the integrator's error, with the guess's energy, and one
    Floquet multiplier 1 (the energy direction)."""
    p = simsrc.make_params(surface="rigid", leg_stiffness_n_per_m=15e3, angle_of_attack_deg=69.0,
                           mass_kg=70.0, leg_length_m=0.95)
    g = solve_gait(p, simsrc.apex(0.89, 3.5), hold_energy=True)
    assert bool(g.converged), g.message
    y, v = float(g.apex_height_m), float(g.apex_speed_m_per_s)
    assert abs(9.81 * y + 0.5 * v * v - (9.81 * 0.89 + 0.5 * 3.5 ** 2)) < 1e-9
    assert abs(float(g.metrics.apex_height_m) - y) < 1e-9
    assert abs(float(g.metrics.apex_speed_m_per_s) - v) < 1e-8
    assert np.min(np.abs(np.abs(np.asarray(g.multipliers)) - 1.0)) < 1e-5


@pytest.mark.slow   # 78 s from an empty compile cache (2 loaded cores); CI runs it
def test_deadbeat_foot_placement_multipliers_match_the_controlled_map():
    """The closed-loop multipliers reported for a gait with its landing angle free: the
    deadbeat foot placement picks, at each apex, the angle that brings the next apex back to
    the gait's height. Here that map is built directly: for starts at v_x ± 1e-4 a secant
    search (on ``simulate``) finds that angle, and the central difference of the next speed is
    the nonzero closed-loop multiplier (the other is 0: the height is reset every step)."""
    p = human(push_force_bw=1.0)
    free = ("apex_speed_m_per_s", "angle_of_attack_rad", "push_force_bw")
    g = solve_gait(p, simsrc.apex(0.89, 3.5), free=free, targets={"speed_m_per_s": 4.0})
    assert bool(g.converged), g.message
    q = p._replace(push_force_bw=float(g.value("push_force_bw")))
    y, v, alpha = float(g.apex_height_m), float(g.apex_speed_m_per_s), \
        float(g.value("angle_of_attack_rad"))
    opts = steady.fd_options(p, free)
    starts = simsrc.State(np.zeros(2), np.full(2, y), v + np.array([1e-4, -1e-4]), np.zeros(2))

    def next_apex(angles):
        run = simsrc.simulate(q._replace(angle_of_attack_rad=angles), starts, 1, options=opts,
                              check=False)
        return (np.asarray(run.records.end.y_m)[:, 0],
                np.asarray(run.records.end.vx_m_per_s)[:, 0])

    a0, a1 = np.full(2, alpha), np.full(2, alpha + 1e-3)
    f0, f1 = next_apex(a0)[0] - y, next_apex(a1)[0] - y
    for _ in range(8):
        moving = f1 != f0
        step = np.where(moving, f1 * (a1 - a0) / np.where(moving, f1 - f0, 1.0), 0.0)
        a0, a1, f0 = a1, a1 - step, f1
        f1 = next_apex(a1)[0] - y
    assert np.max(np.abs(f1)) < 1e-11
    vx_next = next_apex(a1)[1]
    mult = (vx_next[0] - vx_next[1]) / 2e-4
    ctl = np.sort(np.abs(np.asarray(g.controlled_multipliers)))
    assert ctl[0] < 1e-6
    assert abs(ctl[1] - abs(mult)) < 1e-4


def test_no_gait_status_names_follow_the_reasons():
    """A steady sweep's run_status is ``NO_GAIT`` + the reason code: the names in
    ``metrics.summary`` (which may not import the gait layer) follow ``REASONS``."""
    from simsrc.metrics.summary import NO_GAIT, NO_GAIT_NAMES
    assert sorted(NO_GAIT_NAMES) == [NO_GAIT + c for c in REASONS if c != steady.OK]
    for code, name in NO_GAIT_NAMES.items():
        key = {1: "FALLS", 2: "PUSH_CAPPED", 3: "BRAKING_CAPPED", 4: "AT_BOUND",
               5: "UNREACHABLE", 6: "STALLED", 7: "SLOWS", 8: "NO_FLIGHT"}[code - NO_GAIT]
        assert getattr(steady, key) == code - NO_GAIT and name == "no_gait_" + key.lower()
