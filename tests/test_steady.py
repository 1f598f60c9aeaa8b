"""Steady running (simsrc.gait.solve_gait): periodic gaits with free variables and targets.

The solving tests are marked slow: the first compile of the steady kernel (an exact jacfwd of a step with push and
leg damping) takes minutes on a 2-core machine; shrinking it is the open work of "answers in
seconds". Run them with ``python -m pytest -m slow tests/test_steady.py``.

Every solve here runs on rigid ground with one ``Options`` (``steady_options``: push and leg
damping terms on), so all of them share one compiled kernel (batches of up to 8 are padded to
8). The runner is ``configs/human.toml``'s: 70 kg, 0.95 m leg of 11 kN/m, damping ratio 0.1,
angle of attack 66.86 deg, apex 0.89 m at 3.5 m/s (docs/gaits.md).
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
    base = dict(mass_kg=70.0, leg_length_m=0.95, leg_stiffness_n_per_m=11e3,
                angle_of_attack_deg=66.86, leg_damping_n_s_per_m=DAMPING, push_force_bw=0.85)
    return simsrc.make_params(**{**base, **kw})


@functools.lru_cache(maxsize=None)
def push_gait():
    """Push and apex height free, apex speed held at 3.5 m/s (``solve_push_for_speed``'s
    problem)."""
    return solve_gait(human(), simsrc.apex(0.89, 3.5), free=("apex_height_m", "push_force_bw"))


@pytest.mark.slow
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
    push); mean speed held at 3.3 m/s."""
    kw = (dict(leg_damping_n_s_per_m=0.0, push_force_bw=0.6) if free == "push_force_bw" else
          dict(leg_damping_n_s_per_m=DAMPING, push_force_bw=0.0))
    p = human(slope_deg=slope_deg, **kw)
    return p, solve_gait(p, simsrc.apex(0.89, 3.5),
                         free=("apex_height_m", "apex_speed_m_per_s", free),
                         targets={"speed_m_per_s": 3.3})


@pytest.mark.slow
def test_multipliers_agree_with_central_differences_of_the_reference():
    """The Floquet multipliers (eigenvalues of the exact ∂P/∂(y, v_x)) against central
    differences (h = 1e-6) of the scipy reference step (tests/reference.py, ~1e-12 accurate,
    so ~1e-6 absolute error in the differences). The uphill push gait: the reference's rigid
    ground takes no leg damping (its damped model needs a compliant surface)."""
    p, g = slope_gait(3.0, "push_force_bw")
    pd = to_reference(p._replace(push_force_bw=float(g.value("push_force_bw"))))
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


@pytest.mark.slow
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


@pytest.mark.slow
@pytest.mark.parametrize("slope_deg, free", [(3.0, "push_force_bw"),
                                             (-3.0, "leg_damping_n_s_per_m")])
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


@pytest.mark.slow
def test_no_gait_gets_its_reason():
    """Push capped at 0.1 BW at 5 m/s: the leg damper takes more than the push can give."""
    g = solve_gait(human(), simsrc.apex(0.89, 3.5),
                   free=("apex_height_m", "apex_speed_m_per_s", "push_force_bw"),
                   targets={"speed_m_per_s": 5.0}, bounds={"push_force_bw": (0.0, 0.1)})
    assert not bool(g.converged)
    assert int(g.reason) == steady.PUSH_CAPPED, g.message
    assert str(g.message) == REASONS[steady.PUSH_CAPPED]


def test_bad_names_are_refused():
    with pytest.raises(simsrc.SimsrcInputError, match="free variables are"):
        solve_gait(human(), simsrc.apex(0.89, 3.5), free=("apex_height_m", "lean"))
    with pytest.raises(simsrc.SimsrcInputError, match="2 \\+ n_targets"):
        solve_gait(human(), simsrc.apex(0.89, 3.5), free=("apex_height_m",))
