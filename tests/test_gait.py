"""Periodic gaits (simsrc.gait): fixed points, Floquet multipliers, the push for a speed.

The multipliers come from forward-mode autodiff through the JAX engine; they are checked
against central finite differences (h = 1e-6) of the independent scipy oracle
``tests/reference.py``, whose step is accurate to ~1e-12, so the finite differences carry
~1e-6 absolute error at most (truncation O(h²) ~1e-12, round-off ~1e-12/1e-6).
"""

import math

import numpy as np
import pytest

import simsrc
from simsrc.engine import status
from simsrc.gait import (find_gait, find_gait_1d, floquet_multipliers, solve_push_for_speed,
                         specific_energy_j_per_kg)
from simsrc.metrics.steps import step_metrics
import gait_cases as cases
from reference import reference_step

H = 1e-6


def to_reference(p: simsrc.Params) -> dict:
    """``Params`` (SI, compliance form) -> the oracle's parameter dict (stiffness form)."""
    d = {name: float(np.asarray(v)) for name, v in zip(p._fields, p)}
    c = d.pop("surface_compliance_m_per_n")
    d["surface_stiffness_n_per_m"] = math.inf if c == 0.0 else 1.0 / c
    return d


def ref_map(pd, y, vx):
    """The oracle's apex map (y, v_x) -> (y', v_x')."""
    out = reference_step(pd, (0.0, y, vx, 0.0))
    assert out["status"] == 0
    return np.array([out["end_state"][1], out["end_state"][2]])


def ref_jacobian(pd, y, vx):
    """∂P/∂(y, v_x) of the oracle by central differences."""
    cols = []
    for dy, dv in ((H, 0.0), (0.0, H)):
        cols.append((ref_map(pd, y + dy, vx + dv) - ref_map(pd, y - dy, vx - dv)) / (2 * H))
    return np.stack(cols, axis=1)


def canonical():
    return cases.gait(cases.canonical_energy(), **cases.CANONICAL)


# ----------------------------------------------------------------------------- 1-D, conservative

def test_conservative_gait_maps_to_itself():
    """The fixed point found on the exact apex map returns to itself to 1e-10, every step."""
    g = canonical()
    assert bool(g.converged) and int(g.status) == status.OK
    r = cases.run_from_gait(g, **cases.CANONICAL)
    y, vx = np.asarray(r.records.end.y_m), np.asarray(r.records.end.vx_m_per_s)
    assert abs(y[0] - float(g.apex_height_m)) < 1e-10
    assert abs(vx[0] - float(g.apex_speed_m_per_s)) < 1e-10
    np.testing.assert_allclose(y, float(g.apex_height_m), atol=1e-9)   # and keeps doing so


def test_canonical_gait_is_stable_with_reference_multiplier():
    """Seyfarth et al. 2002's canonical runner (20 kN/m, 68°, 5 m/s at 1 m) has a stable gait
    just above the touchdown height; its multiplier equals the oracle's finite difference."""
    g = canonical()
    y = float(g.apex_height_m)
    assert bool(g.stable) and abs(float(g.multiplier)) < 1.0
    assert math.sin(math.radians(68.0)) < y < 1.0
    pd = to_reference(cases.params(**cases.CANONICAL))
    e = cases.canonical_energy()

    def p_ref(yy):
        return ref_map(pd, yy, math.sqrt(2.0 * (e - 9.81 * yy)))[0]
    lam_ref = (p_ref(y + H) - p_ref(y - H)) / (2 * H)
    assert float(g.multiplier) == pytest.approx(lam_ref, abs=2e-6)
    assert abs(p_ref(y) - y) < 1e-8      # the oracle agrees it is a fixed point


def test_batch_equals_single_and_verdicts():
    """vmap over parameter sets gives the single-set answer, and the verdicts follow the
    stability map: in the band stable; on its soft side a flip instability (λ < −1) and, far
    from it, a high-apex saddle (λ > 1); on its stiff side no gait at all."""
    e = cases.canonical_energy()
    k = np.array([20e3, 17e3, 12e3, 60e3])
    alpha = np.array([68.0, 68.0, 75.0, 62.0])
    g = find_gait_1d(cases.params(leg_stiffness_n_per_m=k, angle_of_attack_deg=alpha), e)
    one = canonical()
    assert float(g.apex_height_m[0]) == pytest.approx(float(one.apex_height_m), abs=1e-12)
    assert float(g.multiplier[0]) == pytest.approx(float(one.multiplier), abs=1e-9)
    assert g.converged.tolist() == [True, True, True, False]
    assert g.stable.tolist() == [True, False, False, False]
    assert g.multiplier[1] < -1.0 and g.multiplier[2] > 1.0
    assert g.n_fixed_points[3] == 0 and g.status[3] == status.FALL
    assert np.all(g.residual_m[g.converged] < 1e-10)


# ----------------------------------------------------------------------------- 2-D

def test_2d_jacobian_matches_reference_and_energy_direction():
    """At the conservative gait the 2-D apex map's Jacobian (autodiff) equals the oracle's
    finite differences; one multiplier is 1 (energy is conserved: the fixed points form a
    curve) and the other is the 1-D multiplier. The damped, Levenberg-regularised Newton copes
    with that singular J - I from a guess off the curve, and after plain map iterations."""
    g1 = canonical()
    p = cases.params(**cases.CANONICAL)
    guesses = simsrc.State(0.0, np.array([float(g1.apex_height_m), 0.95, 1.0]),
                           np.array([float(g1.apex_speed_m_per_s), 5.0, 5.0]), 0.0)
    g = find_gait(p, guesses, map_iters=0)
    assert g.converged.all()
    jac_ref = ref_jacobian(to_reference(p), float(g1.apex_height_m), float(g1.apex_speed_m_per_s))
    np.testing.assert_allclose(g.jacobian[0], jac_ref, rtol=1e-5, atol=2e-6)
    lam = g.multipliers[0]
    assert abs(lam[0] - 1.0) < 1e-6 and abs(lam[1] - float(g1.multiplier)) < 1e-6
    lam_ref = floquet_multipliers(jac_ref)
    np.testing.assert_allclose(lam, lam_ref, atol=5e-6)
    # points on the curve of fixed points: each one maps to itself
    for y, vx in zip(g.apex_height_m, g.apex_speed_m_per_s):
        r = reference_step(to_reference(p), (0.0, y, vx, 0.0))
        assert abs(r["end_state"][1] - y) < 1e-8 and abs(r["end_state"][2] - vx) < 1e-8
    g_map = find_gait(p, simsrc.apex(1.0, 5.0), map_iters=5)
    assert bool(g_map.converged)


def test_floquet_multipliers_closed_form():
    jac = np.array([[[2.0, 0.0], [0.0, 0.5]], [[0.0, -1.0], [1.0, 0.0]], [[1.0, 2.0], [3.0, 4.0]]])
    lam = floquet_multipliers(jac)
    for j, l in zip(jac, lam):
        ev = np.linalg.eigvals(j)
        assert sorted(np.abs(ev)) == pytest.approx(sorted(np.abs(l)), rel=1e-12)
        assert abs(l[0]) >= abs(l[1])


# ----------------------------------------------------------------------------- push for a speed

@pytest.mark.slow
def test_push_for_speed_sustains_a_lossy_gait():
    """With a damped leg (100 N s/m) the push that holds 5.5 m/s is found; the gait repeats
    itself, the push's net work pays exactly for the losses (ledger), and its multipliers match
    the oracle's finite differences."""
    p = cases.params(**cases.CANONICAL, leg_damping_n_s_per_m=100.0)
    g = solve_push_for_speed(p, 5.5)
    assert bool(g.converged) and 0.0 < float(g.push_force_bw) < 2.0
    pp = p._replace(push_force_bw=float(g.push_force_bw))
    y, vx = float(g.apex_height_m), float(g.apex_speed_m_per_s)
    r = simsrc.simulate(pp, simsrc.apex(y, vx), 1)
    assert abs(float(r.records.end.y_m[0]) - y) < 1e-10
    assert abs(float(r.records.end.vx_m_per_s[0]) - 5.5) < 1e-10
    led = r.records.ledger
    injected = float(led.push_positive_j[0] + led.push_negative_j[0])
    lost = float(led.leg_damping_loss_j[0] + led.leg_elastic_unreturned_j[0])
    assert injected == pytest.approx(lost, rel=1e-6)
    m = step_metrics(pp, r.records)
    assert float(m.metabolic_cost_j_per_kg_per_m[0]) > 0.0
    jac_ref = ref_jacobian(to_reference(pp), y, vx)
    np.testing.assert_allclose(g.jacobian, jac_ref, rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(g.multipliers, floquet_multipliers(jac_ref), atol=5e-6)


def test_specific_energy():
    p = cases.params()
    assert float(specific_energy_j_per_kg(p, 1.0, 5.0)) == pytest.approx(9.81 + 12.5)


def test_1d_solver_refuses_a_lossy_runner():
    with pytest.raises(simsrc.SimsrcInputError, match="leg_damping_n_s_per_m"):
        find_gait_1d(cases.params(leg_damping_n_s_per_m=50.0), cases.canonical_energy())
