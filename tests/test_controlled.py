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
    """The controlled gait, solved with the pushing runner's options for every push (one
    program: without a push its own options would compile a push-free one, about 45 s)."""
    p = human(lean_deg=lean_deg, push_force_bw=push_force_bw)
    return solve_controlled(p, START, LAW, options=options(human()))


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


@functools.lru_cache(maxsize=None)
def engine_run():
    """The engine's ``raibert`` landing mode: 30 steps from 10 cm above the gait's apex, in one
    compiled ``simulate`` call."""
    g = gait()
    p = human()
    start = simsrc.apex(float(g.apex_height_m) + 0.10, float(g.apex_speed_m_per_s))
    return start, simsrc.simulate(p, start, 30, options=options(p), landing="raibert",
                                  placement=(LAW.gain_s, LAW.speed_m_per_s))


def test_raibert_landing_mode_is_the_host_closed_loop_step_by_step():
    """The same law in the compiled step (``simsrc.engine.swing.raibert_angle``) and on the host
    (``controlled_run``: one ``simulate`` call per step at the law's angle): the same steps."""
    start, run = engine_run()
    p = human()
    host = controlled_run(p, start, LAW, 30, options=options(p)).records
    r = run.records
    assert np.all(np.asarray(r.status) == 0)
    for f in ("landing_angle_rad", "contact_time_s", "flight_time_s"):
        np.testing.assert_allclose(np.asarray(getattr(r, f)), np.asarray(getattr(host, f)),
                                   rtol=0, atol=1e-10, err_msg=f)
    for f in ("y_m", "vx_m_per_s"):
        np.testing.assert_allclose(np.asarray(getattr(r.end, f)),
                                   np.asarray(getattr(host.end, f)), rtol=0, atol=1e-10)
    # the first step's angle is the law's with the leg spring's half period as contact time
    tau0 = np.pi * np.sqrt(70.0 / 11e3)
    beta = 0.5 * np.pi - law_angle(start.vx_m_per_s, tau0)
    assert abs(float(r.landing_angle_rad[0]) - beta) < 1e-12


def test_raibert_landing_mode_walks_to_the_controlled_gait():
    g = gait()
    _, run = engine_run()
    end = run.records.end
    assert abs(float(end.y_m[-1]) - float(g.apex_height_m)) < 1e-4
    assert abs(float(end.vx_m_per_s[-1]) - float(g.apex_speed_m_per_s)) < 1e-4
    assert abs(float(end.y_m[0]) - float(g.apex_height_m)) > 1e-2
    assert abs(float(run.records.landing_angle_rad[-1])
               - (0.5 * np.pi - float(g.value("angle_of_attack_rad")))) < 1e-4


def test_raibert_placement_input_is_checked():
    p = human()
    with pytest.raises(SimsrcInputError, match="landing='raibert'"):
        simsrc.simulate(p, START, 1, placement=(0.1, 3.5))
    with pytest.raises(SimsrcInputError, match=r"gain_s must be in \[0, 2\] s, got 3.0"):
        simsrc.simulate(p, START, 1, landing="raibert", placement=(3.0, 3.5))
    with pytest.raises(SimsrcInputError, match="speed_m_per_s must be > 0"):
        simsrc.simulate(p, START, 1, landing="raibert", placement=(0.1, -1.0))
    with pytest.raises(SimsrcInputError, match="must be .gain_s, speed_m_per_s."):
        simsrc.simulate(p, START, 1, landing="raibert", placement=0.1)


@pytest.mark.slow   # compiles the forward-mode program of 3 raibert steps (about 30 s); CI runs it
def test_raibert_landing_mode_is_differentiable_in_its_gain():
    """d(apex speed after 3 steps)/d(gain), forward mode through the compiled steps, against
    central differences of the same runs."""
    import jax

    p = human()
    opts = options(p)

    def speed(gain):
        run = simsrc.simulate(p, simsrc.apex(1.0, 3.3), 3, options=opts, landing="raibert",
                              placement=(gain, 3.5), check=False)
        return run.records.end.vx_m_per_s[-1]

    _, d = jax.jvp(speed, (0.1,), (1.0,))
    h = 1e-5
    fd = (float(speed(0.1 + h)) - float(speed(0.1 - h))) / (2 * h)
    assert abs(float(d)) > 1e-3
    assert abs(float(d) - fd) < 1e-6 * max(1.0, abs(fd))


@functools.lru_cache(maxsize=None)
def deadbeat_run():
    """The engine's ``deadbeat`` landing mode: 6 steps from a 1.00 m apex, each aiming its next
    apex at 0.95 m (one compiled ``simulate`` call, the step differentiated inside it)."""
    p = human()
    return simsrc.simulate(p, simsrc.apex(1.0, 3.5), 6, options=options(p), landing="deadbeat",
                           deadbeat_apex_m=0.95)


def fixed_step_apex(p, y, v, alpha):
    """The next apex height of one fixed-angle step (the plain engine, no root finding)."""
    q = p._replace(angle_of_attack_rad=alpha)
    return float(simsrc.simulate(q, simsrc.apex(y, v), 1, options=options(p)).records.end.y_m[0])


def test_deadbeat_landing_mode_lands_every_apex_at_its_target():
    """Every step's next apex is the target, and each step's angle is the root that scipy's
    brentq finds on the fixed-angle step from the same apex (an independent root finder on the
    plain engine)."""
    from scipy.optimize import brentq

    run = deadbeat_run()
    r = run.records
    assert np.all(np.asarray(r.status) == 0)
    np.testing.assert_allclose(np.asarray(r.end.y_m), 0.95, rtol=0, atol=1e-9)
    p = human()
    starts = [(1.0, 3.5)] + list(zip(np.asarray(r.end.y_m)[:-1],
                                     np.asarray(r.end.vx_m_per_s)[:-1]))
    for i in (0, 1, 5):
        y, v = (float(x) for x in starts[i])
        alpha = brentq(lambda a: fixed_step_apex(p, y, v, a) - 0.95, 1.05, 1.25, xtol=1e-14)
        got = 0.5 * np.pi - float(r.landing_angle_rad[i])
        assert abs(got - alpha) < 1e-9, (i, got, alpha)


def test_deadbeat_target_needs_its_mode():
    with pytest.raises(SimsrcInputError, match="landing='deadbeat'"):
        simsrc.simulate(human(), START, 1, deadbeat_apex_m=0.9)


@pytest.mark.slow   # compiles the forward-mode program of a deadbeat step (about a minute); CI runs it
def test_deadbeat_angle_gradient_is_the_implicit_functions():
    """dα/d(push) of the deadbeat step in forward mode against central differences of the
    root found by brentq on the fixed-angle step."""
    import jax
    from scipy.optimize import brentq

    p = human()

    def angle(push):
        q = p._replace(push_force_bw=push)
        run = simsrc.simulate(q, simsrc.apex(1.0, 3.5), 1, options=options(p),
                              landing="deadbeat", deadbeat_apex_m=0.95, check=False)
        return run.records.landing_angle_rad[0]

    _, d = jax.jvp(angle, (0.85,), (1.0,))

    def root(push):
        q = p._replace(push_force_bw=push)
        return 0.5 * np.pi - brentq(lambda a: fixed_step_apex(q, 1.0, 3.5, a) - 0.95,
                                    1.05, 1.25, xtol=1e-14)

    h = 1e-5
    fd = (root(0.85 + h) - root(0.85 - h)) / (2 * h)
    assert abs(fd) > 1e-3
    assert abs(float(d) - fd) < 1e-5 * abs(fd)


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


def test_nearest_solved_scales_each_varying_parameter_by_its_range():
    """Worked by hand: stiffness 10/20/30 kN/m (range 20 kN/m) and push 1.0/1.5 BW (range
    0.5 BW); the point (30 kN/m, 1.0 BW) is 0.5 ranges from (20, 1.0) and 1 range from
    (30, 1.5), so (20, 1.0) is its nearest solved point."""
    k = np.array([10e3, 20e3, 30e3, 30e3])
    push = np.array([1.0, 1.0, 1.0, 1.5])
    p = human(leg_stiffness_n_per_m=k, push_force_bw=push)
    src = steady.nearest_solved(p, (), solved=np.array([0, 1, 3]), unsolved=np.array([2]),
                                n_all=4)
    assert src.tolist() == [1]


@pytest.mark.slow   # 88 s from an empty compile cache (its own program: the sand runner's); CI runs it
def test_a_point_the_walk_cannot_reach_is_solved_from_its_neighbour():
    """configs/stiffness_lean_push_sand.toml at 10 kN/m, leaning 5°, pushing 1.5 BW: walked alone
    from the config's start, the bouncy closed loop swings between fast and slow steps and is
    called slowing to a stop (on the linear sand preset before 2026-12-03 the point was 10 kN/m
    upright; on the granular one that runner's walk finds its gait); in a batch with the
    1.25 BW runner, Newton from that runner's gait finds its gait. Checked independently: the step from that apex, with the law's angle, under
    plain ``simulate``, returns to the same apex and contact time."""
    from simsrc.config.runner import placement_law, prepare_run, resolve_config

    cfg = resolve_config("configs/stiffness_lean_push_sand.toml",
                         ["leg_stiffness_kn_per_m=10", "lean_deg=5"])
    inputs = prepare_run(cfg)
    p, start = inputs.params, inputs.state
    law = placement_law(cfg.values, start)
    opts = steady.held_speed_options(p, steady.CONTROLLED, inputs.options)
    alone = solve_controlled(p._replace(push_force_bw=1.5), start, law, options=opts)
    assert not bool(alone.converged) and int(alone.reason) == steady.SLOWS, str(alone.message)
    both = solve_controlled(p._replace(push_force_bw=np.array([1.25, 1.5])), start, law,
                            options=opts)
    assert np.all(np.asarray(both.converged)), both.message
    y, v = float(both.apex_height_m[1]), float(both.apex_speed_m_per_s[1])
    tau = float(both.metrics.contact_time_s[1])
    alpha = float(both.value("angle_of_attack_rad")[1])
    want = steady.placement_angle(p, law.gain_s, law.speed_m_per_s, v, tau)
    assert abs(alpha - float(want)) < 1e-9
    run = simsrc.simulate(p._replace(push_force_bw=1.5, angle_of_attack_rad=alpha),
                          simsrc.apex(y, v), 1, options=opts)
    r = run.records
    np.testing.assert_allclose([float(r.end.y_m[0]), float(r.end.vx_m_per_s[0]),
                                float(r.contact_time_s[0])], [y, v, tau], atol=1e-9)


@pytest.mark.slow   # the sand runner's program, shared with the test above; CI runs it
def test_a_single_runner_the_walk_cannot_reach_is_solved_from_other_heights(monkeypatch):
    """configs/stiffness_lean_push_sand.toml started from a 0.95 m apex (its own start is
    0.92 m): walked from there, the closed loop slows to a stop, and a single runner has no
    neighbour to continue from; solved again from apex heights 3 % below and above its start
    (``SEED_HEIGHT_FACTORS``), it finds the gait that the config's own start finds (0.897 m,
    3.30 m/s), to 1e-9. Without the retry (switched off here) the answer was "slows to a
    stop", which `simsrc run` printed as "no steady gait"."""
    from simsrc.config.runner import placement_law, prepare_run, resolve_config

    cfg = resolve_config("configs/stiffness_lean_push_sand.toml")
    inputs = prepare_run(cfg)
    p, start = inputs.params, inputs.state
    law = placement_law(cfg.values, start)
    opts = steady.held_speed_options(p, steady.CONTROLLED, inputs.options)
    high = start._replace(y_m=0.95)
    found = solve_controlled(p, high, law, options=opts)
    own = solve_controlled(p, start, law, options=opts)
    assert bool(found.converged) and bool(own.converged), found.message
    np.testing.assert_allclose(
        [float(found.apex_height_m), float(found.apex_speed_m_per_s)],
        [float(own.apex_height_m), float(own.apex_speed_m_per_s)], atol=1e-9)
    monkeypatch.setattr(steady, "_from_other_heights", lambda p, gait, *a: gait)
    alone = solve_controlled(p, high, law, options=opts)
    assert not bool(alone.converged) and int(alone.reason) == steady.SLOWS, str(alone.message)


#: The held-speed deadbeat runs: level, 10° downhill and 10° uphill, one batch (one program).
HELD_SLOPES_DEG = (0.0, -10.0, 10.0)


@functools.lru_cache(maxsize=None)
def held_run():
    """The engine's ``deadbeat`` landing mode with a speed target: 5 steps from a 1.00 m apex at
    3.3 m/s, each aiming its next apex at 0.95 m and 3.5 m/s, on three slopes at once."""
    p = human(slope_deg=np.array(HELD_SLOPES_DEG))
    return simsrc.simulate(p, simsrc.apex(1.0, 3.3), 5, options=options(human()),
                           landing="deadbeat", deadbeat_apex_m=0.95, deadbeat_speed_m_per_s=3.5)


def fixed_step_end(p, y, v, alpha, u):
    """The next apex (height, speed) of one fixed-angle step with the energy control u set by
    hand (u > 0: push of u BW; u < 0: leg damping −u √(k m)), on the plain engine."""
    k, m = float(p.leg_stiffness_n_per_m), float(p.mass_kg)
    q = p._replace(angle_of_attack_rad=alpha, push_force_bw=max(u, 0.0),
                   leg_damping_n_s_per_m=max(-u, 0.0) * np.sqrt(k * m))
    end = simsrc.simulate(q, simsrc.apex(y, v), 1, options=options(p)).records.end
    return np.array([float(end.y_m[0]), float(end.vx_m_per_s[0])])


# compiles the held-speed deadbeat step, a program of its own (about 65 s from an empty cache;
# the angle-only deadbeat test stays in the default run); CI runs it
@pytest.mark.slow
def test_held_deadbeat_holds_apex_and_speed_from_the_first_step():
    """Every apex at (0.95 m, 3.5 m/s) to 1e-9 on all three slopes; the first step's angle and
    control equal the root that scipy's fsolve finds on the plain fixed-angle step; on level
    rigid ground the steady control is zero (nothing is lost, so no work is needed), downhill it
    brakes and uphill it pushes."""
    from scipy.optimize import fsolve

    r = held_run().records
    assert np.all(np.asarray(r.status) == 0)
    np.testing.assert_allclose(np.asarray(r.end.y_m), 0.95, rtol=0, atol=1e-9)
    np.testing.assert_allclose(np.asarray(r.end.vx_m_per_s), 3.5, rtol=0, atol=1e-9)
    alpha, u = np.asarray(r.swing.angle_rad), np.asarray(r.swing.control)
    for i, slope in enumerate(HELD_SLOPES_DEG):
        p = human(slope_deg=slope)
        root = fsolve(lambda x: fixed_step_end(p, 1.0, 3.3, *x) - (0.95, 3.5),
                      (alpha[i, 0] + 0.01, u[i, 0] + 0.01), xtol=1e-13)
        np.testing.assert_allclose((alpha[i, 0], u[i, 0]), root, rtol=0, atol=1e-9)
    assert np.all(np.abs(u[0, 1:]) < 1e-9)
    assert np.all(u[1, 1:] < -0.05) and np.all(u[2, 1:] > 0.05)


@pytest.mark.slow   # shares held_run's program with the test above; CI runs it
def test_held_deadbeat_net_muscle_work_is_the_climb():
    """At a held speed the net work of each steady step, the push's (its negative part booked
    as a negative number) minus the leg damping's loss and the leg spring's energy left at
    liftoff (passive, docs/physics.md), is m g d sin θ, d the step length along the slope
    (MODEL.md §11): absorbed downhill, supplied uphill; zero on the level."""
    r = held_run().records
    led = r.ledger
    muscle = np.asarray(led.push_positive_j + led.push_negative_j - led.leg_damping_loss_j
                        - led.leg_elastic_unreturned_j)
    d = np.diff(np.concatenate([np.zeros((3, 1)), np.asarray(r.end.x_m)], axis=1), axis=1)
    theta = np.radians(np.array(HELD_SLOPES_DEG))[:, None]
    climb = 70.0 * float(human().gravity_m_per_s2) * d * np.sin(theta)
    np.testing.assert_allclose(muscle[:, 1:], climb[:, 1:], rtol=1e-6, atol=1e-6)
    assert np.all(muscle[1, 1:] < -50.0) and np.all(muscle[2, 1:] > 50.0)


def test_held_deadbeat_speed_needs_its_mode_and_a_positive_speed():
    with pytest.raises(SimsrcInputError, match="landing='deadbeat'"):
        simsrc.simulate(human(), START, 1, deadbeat_speed_m_per_s=3.5)
    with pytest.raises(SimsrcInputError, match="deadbeat_speed_m_per_s must be > 0"):
        simsrc.simulate(human(), START, 1, landing="deadbeat", deadbeat_speed_m_per_s=-1.0)


@pytest.mark.slow   # compiles the forward-mode program of a held-speed deadbeat step; CI runs it
def test_held_deadbeat_gradient_is_the_implicit_functions():
    """d(α, u)/dk of the held-speed deadbeat step (k the leg stiffness) in forward mode against
    central differences of the roots fsolve finds on the plain fixed-angle step."""
    import jax
    from scipy.optimize import fsolve

    def pair(k):
        q = human(slope_deg=-10.0)._replace(leg_stiffness_n_per_m=k)
        run = simsrc.simulate(q, simsrc.apex(0.95, 3.5), 1, options=options(human()),
                              landing="deadbeat", deadbeat_apex_m=0.95,
                              deadbeat_speed_m_per_s=3.5, check=False)
        return jax.numpy.stack([run.records.swing.angle_rad[0], run.records.swing.control[0]])

    x, d = jax.jvp(pair, (11e3,), (1.0,))

    def root(k):
        q = human(slope_deg=-10.0)._replace(leg_stiffness_n_per_m=k)
        return fsolve(lambda z: fixed_step_end(q, 0.95, 3.5, *z) - (0.95, 3.5), np.asarray(x),
                      xtol=1e-13)

    h = 1.0
    fd = (root(11e3 + h) - root(11e3 - h)) / (2 * h)
    assert np.all(np.abs(fd) > 1e-7), fd
    np.testing.assert_allclose(np.asarray(d), fd, rtol=1e-4)
