"""Self-checks of the numpy/scipy oracle ``tests/reference.py``.

These validate the oracle itself against physics (conservation laws, symmetries, momentum
balance, closed-form limits), never against numbers it produced earlier, so that it can be
trusted as the reference for the JAX engine.
"""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from tests.reference import (BACKWARDS, CANONICAL, FALL, NO_LIFTOFF, NON_FINITE, OK, STEP_TIME,
                             canonical_state, reference_step)

M, G = CANONICAL["mass_kg"], CANONICAL["gravity_m_per_s2"]
E_CANONICAL = 0.5 * M * 5.0**2 + M * G * 1.0


def params(**kw):
    p = dict(CANONICAL)
    p.update(kw)
    return p


def total_energy(p, s):
    x, y, vx, vy = s
    th = p["slope_rad"]
    return 0.5 * p["mass_kg"] * (vx * vx + vy * vy) + p["mass_kg"] * p["gravity_m_per_s2"] * (
        x * math.sin(th) + y * math.cos(th))


def state_at_energy(y0, energy=E_CANONICAL):
    """Apex state at height y0 with the canonical total energy (level ground)."""
    return (0.0, y0, math.sqrt(2.0 * (energy - M * G * y0) / M), 0.0)


SAND = dict(surface_stiffness_n_per_m=50e3, surface_restitution=0.6)
LOSSY_CASES = {
    "sand": SAND,
    "push": dict(push_force_bw=0.5),
    "leg_damping": dict(leg_damping_n_s_per_m=100.0),
    "slope": dict(slope_rad=math.radians(3.0)),
    "push+leg_damping+slope": dict(push_force_bw=0.5, leg_damping_n_s_per_m=100.0,
                                   slope_rad=math.radians(3.0)),
    "sand+push+slope": dict(SAND, push_force_bw=0.5, slope_rad=math.radians(3.0)),
    "sand+leg_damping": dict(SAND, leg_damping_n_s_per_m=100.0),
    "sand+surface_damping": dict(SAND, surface_damping_n_s_per_m=500.0),
    "all": dict(SAND, push_force_bw=0.5, leg_damping_n_s_per_m=100.0,
                surface_damping_n_s_per_m=500.0, slope_rad=math.radians(3.0)),
    # stiff contact point (time constant 2e-5 s): the Radau path
    "firm+surface_damping": dict(surface_stiffness_n_per_m=1e6, surface_restitution=0.8,
                                 surface_damping_n_s_per_m=20.0),
}


@pytest.fixture(scope="module")
def canonical():
    return reference_step(CANONICAL, canonical_state(), dense_n=201)


@pytest.fixture(scope="module")
def lossy():
    return {name: reference_step(params(**kw), canonical_state()) for name, kw in
            LOSSY_CASES.items()}


# ---- conservation -------------------------------------------------------------------------

def test_canonical_energy_conserved(canonical):
    r = canonical
    assert r["status"] == OK
    e0 = total_energy(CANONICAL, canonical_state())
    e1 = total_energy(CANONICAL, r["end_state"])
    assert abs(e1 - e0) / e0 < 1e-10
    assert abs(r["mechanical_change_j"]) / e0 < 1e-10
    assert abs(r["residual_j"]) / e0 < 1e-10
    for key in ("leg_damping_loss_j", "push_positive_j", "push_negative_j",
                "leg_elastic_unreturned_j", "surface_plastic_loss_j", "surface_damping_loss_j",
                "surface_elastic_unreturned_j", "hip_swing_work_j"):
        assert r[key] == 0.0, key
    assert r["end_state"][3] == 0.0  # ends at an apex


def test_undamped_elastic_surface_loses_no_energy():
    p = params(surface_stiffness_n_per_m=100e3, surface_restitution=1.0)
    r = reference_step(p, canonical_state())
    assert r["status"] == OK
    assert r["surface_peak_sink_m"] > 1e-3  # the surface really deforms
    e0 = total_energy(p, canonical_state())
    assert abs(total_energy(p, r["end_state"]) - e0) / e0 < 1e-10
    assert abs(r["residual_j"]) < 1e-8
    assert r["surface_plastic_loss_j"] == 0.0
    assert abs(r["surface_elastic_unreturned_j"]) < 1e-10
    # at liftoff F = 0 = k_s z: the contact point is back at the undisturbed surface
    assert r["footprint_depth_m"] == 0.0


# ---- symmetry and reversibility ----------------------------------------------------------

@pytest.fixture(scope="module")
def periodic():
    """Fixed point of the apex map at the canonical energy: its stance must be symmetric."""
    def apex_gain(y0):
        return reference_step(CANONICAL, state_at_energy(y0))["end_state"][1] - y0

    y_star = brentq(apex_gain, 0.93, 0.95, xtol=1e-14, rtol=1e-14)
    return y_star, reference_step(CANONICAL, state_at_energy(y_star), dense_n=201)


def test_periodic_stance_is_symmetric(periodic):
    y_star, r = periodic
    assert r["status"] == OK
    xf = r["foot_x_m"]
    xt, yt, vxt, vyt = r["touchdown_state"]
    xl, yl, vxl, vyl = r["liftoff_state"]
    # touchdown and liftoff leg angles mirror about the vertical through the foot
    assert abs((xl - xf) + (xt - xf)) < 1e-9
    assert abs(yl - yt) < 1e-9
    assert abs(vyl + vyt) < 1e-9
    assert abs(vxl - vxt) < 1e-9
    # the apex after equals the apex before
    assert abs(r["end_state"][1] - y_star) < 1e-10
    assert abs(r["end_state"][2] - state_at_energy(y_star)[2]) < 1e-9
    # trajectory: y(t) = y(tc - t), x - xf odd, vx even, vy odd about mid-stance
    ys = r["stance_y"]
    rev = ys[::-1]
    assert np.max(np.abs(ys[:, 1] - rev[:, 1])) < 1e-9
    assert np.max(np.abs((ys[:, 0] - xf) + (rev[:, 0] - xf))) < 1e-9
    assert np.max(np.abs(ys[:, 2] - rev[:, 2])) < 1e-9
    assert np.max(np.abs(ys[:, 3] + rev[:, 3])) < 1e-9
    # horizontal impulse: braking and propulsion cancel
    assert abs(r["braking_impulse_n_s"] + r["propulsive_impulse_n_s"]) < 1e-9
    # mid-stance (middle sample of an odd dense grid): leg vertical, lowest point, peak force
    mid = ys[len(ys) // 2]
    k, L0 = CANONICAL["leg_stiffness_n_per_m"], CANONICAL["leg_length_m"]
    assert abs(mid[0] - xf) < 1e-9 and abs(mid[3]) < 1e-9
    assert abs(r["min_com_height_m"] - mid[1]) < 1e-11
    assert abs(r["max_leg_compression_m"] - (L0 - mid[1])) < 1e-11
    assert abs(r["peak_leg_force_n"] - k * (L0 - mid[1])) < 1e-7
    assert abs(r["peak_vertical_force_n"] - k * (L0 - mid[1])) < 1e-7
    assert abs(r["leg_elastic_peak_j"] - 0.5 * k * (L0 - mid[1]) ** 2) < 1e-8


def test_canonical_stance_is_time_reversible(canonical):
    """Reflection (x - xf, y, vx, vy, t) -> (-(x - xf), y, vx, -vy, -t) maps stances to stances.

    Landing with the mirrored liftoff state (leg at the mirrored liftoff angle) must lift off at
    the mirrored touchdown state after the same contact time, retracing y(t) backwards. This
    holds for any start state, periodic or not (the canonical step is not periodic).
    """
    r = canonical
    L0 = CANONICAL["leg_length_m"]
    xf = r["foot_x_m"]
    xl, yl, vxl, vyl = r["liftoff_state"]
    sin_beta2 = (xl - xf) / L0
    alpha2 = 0.5 * math.pi - math.asin(sin_beta2)
    p2 = params(angle_of_attack_rad=alpha2)
    # apex of the flight that ends in the mirrored liftoff state
    tb = vyl / G
    start2 = (xf - (xl - xf) - vxl * tb, yl + 0.5 * vyl * tb, vxl, 0.0)
    r2 = reference_step(p2, start2, dense_n=201)
    assert r2["status"] == OK
    assert abs(r2["foot_x_m"] - xf) < 1e-9
    assert abs(r2["contact_time_s"] - r["contact_time_s"]) < 1e-10
    xt, yt, vxt, vyt = r["touchdown_state"]
    x2, y2, vx2, vy2 = r2["liftoff_state"]
    assert abs((x2 - xf) + (xt - xf)) < 1e-9
    assert abs(y2 - yt) < 1e-9 and abs(vx2 - vxt) < 1e-9 and abs(vy2 + vyt) < 1e-9
    assert np.max(np.abs(r2["stance_y"][:, 1] - r["stance_y"][::-1, 1])) < 1e-9
    assert abs(r2["braking_impulse_n_s"] + r["propulsive_impulse_n_s"]) < 1e-9
    assert abs(r2["propulsive_impulse_n_s"] + r["braking_impulse_n_s"]) < 1e-9
    assert abs(r2["peak_leg_force_n"] - r["peak_leg_force_n"]) < 1e-7


def test_dense_output_matches_events(canonical):
    r = canonical
    assert r["stance_t"][0] == 0.0 and abs(r["stance_t"][-1] - r["contact_time_s"]) < 1e-15
    assert np.allclose(r["stance_y"][0, :4], r["touchdown_state"], rtol=0, atol=1e-12)
    assert np.allclose(r["stance_y"][-1, :4], r["liftoff_state"], rtol=0, atol=1e-12)
    assert np.all(r["stance_y"][:, 4] == 0.0)
    # the leg is at rest length at both events (F = k (L0 - L) = 0)
    for s in (r["touchdown_state"], r["liftoff_state"]):
        assert abs(math.hypot(s[0] - r["foot_x_m"], s[1]) - 1.0) < 1e-12


# ---- ledgers close and momentum balances -----------------------------------------------

@pytest.mark.parametrize("name", list(LOSSY_CASES))
def test_ledger_closes(lossy, name):
    r = lossy[name]
    assert r["status"] == OK
    kw = LOSSY_CASES[name]
    p = params(**kw)
    # mechanical change from the states themselves, not from the ledger's bookkeeping
    d_e = total_energy(p, r["end_state"]) - total_energy(p, canonical_state())
    assert abs(d_e - r["mechanical_change_j"]) < 1e-9
    assert abs(r["residual_j"]) < 1e-8
    # the mechanism under test really acts (the test is not vacuous)
    if "surface_restitution" in kw:
        assert r["surface_plastic_loss_j"] > 0.1
    if kw.get("push_force_bw", 0.0) > 0.0:
        assert r["push_positive_j"] > 10.0 and r["leg_elastic_unreturned_j"] > 0.1
        assert r["push_negative_j"] <= 0.0
    if kw.get("leg_damping_n_s_per_m", 0.0) > 0.0:
        assert r["leg_damping_loss_j"] > 1.0
    if kw.get("surface_damping_n_s_per_m", 0.0) > 0.0:
        assert r["surface_damping_loss_j"] > 1e-3
    if kw.get("slope_rad", 0.0) != 0.0:
        assert r["end_state"][0] > 0.0  # gained height along the slope


@pytest.mark.parametrize("name", ["canonical"] + list(LOSSY_CASES))
def test_impulse_momentum(lossy, name):
    """m (v_lo - v_td) = integral of the leg force + m g tc, componentwise."""
    p = params(**LOSSY_CASES.get(name, {}))
    r = lossy[name] if name in lossy else reference_step(p, canonical_state())
    m, tc, th = p["mass_kg"], r["contact_time_s"], p["slope_rad"]
    gx, gy = -p["gravity_m_per_s2"] * math.sin(th), -p["gravity_m_per_s2"] * math.cos(th)
    vt, vl = r["touchdown_state"][2:], r["liftoff_state"][2:]
    assert abs(m * (vl[0] - vt[0]) - (r["horizontal_impulse_n_s"] + m * gx * tc)) < 1e-8
    assert abs(m * (vl[1] - vt[1]) - (r["vertical_impulse_n_s"] + m * gy * tc)) < 1e-8
    assert abs(r["horizontal_impulse_n_s"]
               - (r["braking_impulse_n_s"] + r["propulsive_impulse_n_s"])) < 1e-12
    assert r["braking_impulse_n_s"] < 0.0 < r["propulsive_impulse_n_s"]


# ---- surface ------------------------------------------------------------------------------

def test_plastic_loss_is_the_lost_surface_energy(lossy):
    """Sand with nothing else: the body loses exactly (1 - r) k_s z_max^2 / 2."""
    r = lossy["sand"]
    ks, rs = SAND["surface_stiffness_n_per_m"], SAND["surface_restitution"]
    zmax = r["surface_peak_sink_m"]
    lost = total_energy(CANONICAL, canonical_state()) - total_energy(CANONICAL, r["end_state"])
    assert abs(lost - (1.0 - rs) * 0.5 * ks * zmax**2) < 1e-8
    assert lost > 1.0
    # the deepest sink is where the normal force peaks, on the loading branch F_n = k_s z
    assert abs(r["peak_vertical_force_n"] - ks * zmax) < 1e-7
    assert abs(r["footprint_depth_m"] - (1.0 - rs) * zmax) < 1e-15
    # at liftoff F = 0, so the contact point rests at the footprint depth: nothing stored
    assert abs(r["surface_elastic_unreturned_j"]) < 1e-10


@pytest.mark.parametrize("surface_damping", [0.0, 300.0])
def test_surface_reloading(surface_damping):
    """A late, sharp push after an early force peak: unload, then reload past the old z_max."""
    p = params(**SAND, push_force_bw=2.0, push_ramp_rad=math.radians(2.0),
               angle_of_attack_rad=math.radians(60.0),
               surface_damping_n_s_per_m=surface_damping)
    r = reference_step(p, (0.0, 1.0, 5.0, -2.0))
    assert r["status"] == OK
    phases = [seg[1] for seg in r["info"]["segments"]]
    assert ("unloading", "loading") in list(zip(phases, phases[1:]))
    assert abs(r["residual_j"]) < 1e-8
    if surface_damping == 0.0:  # algebraic surface: the deepest point carries the peak force
        assert abs(r["peak_vertical_force_n"]
                   - SAND["surface_stiffness_n_per_m"] * r["surface_peak_sink_m"]) < 1e-7


def test_dense_output_on_sand():
    r = reference_step(params(**SAND), canonical_state(), dense_n=101)
    z = r["stance_y"][:, 4]
    assert z[0] == pytest.approx(0.0, abs=1e-15)
    assert abs(z[-1] - r["footprint_depth_m"]) < 1e-12  # F = 0 at liftoff: back on the footprint
    assert np.all(z <= r["surface_peak_sink_m"] + 1e-15)
    assert np.allclose(r["stance_y"][-1, :4], r["liftoff_state"], rtol=0, atol=1e-12)


def test_stiffer_surface_tends_to_rigid(canonical):
    """A series surface spring lengthens the contact by O(1/k_s): (tc - tc_rigid) k_s -> const."""
    scaled = []
    for ks in (1e7, 1e8, 1e9):
        r = reference_step(params(surface_stiffness_n_per_m=ks, surface_restitution=0.5),
                           canonical_state())
        assert r["status"] == OK
        scaled.append((r["contact_time_s"] - canonical["contact_time_s"]) * ks)
    assert scaled[0] > 0.0
    assert abs(scaled[1] - scaled[2]) < 1e-3 * scaled[2]
    assert abs(scaled[0] - scaled[2]) < 1e-2 * scaled[2]


def test_small_damper_tends_to_algebraic_surface(lossy):
    """Case (c) with a tiny surface damper (Radau) approaches case (b) (brentq in the rhs)."""
    r = reference_step(params(**SAND, surface_damping_n_s_per_m=0.5), canonical_state())
    ref = lossy["sand"]
    assert r["info"]["method"] == "Radau"
    assert abs(r["residual_j"]) < 1e-8
    # contact-point time constant c_s / (k_s + k cos^2 psi) ~ 1e-5 s
    assert abs(r["contact_time_s"] - ref["contact_time_s"]) < 1e-4
    assert abs(r["surface_peak_sink_m"] - ref["surface_peak_sink_m"]) / ref[
        "surface_peak_sink_m"] < 1e-3


def test_radau_and_dop853_agree():
    p = params(surface_stiffness_n_per_m=200e3, surface_restitution=0.8,
               surface_damping_n_s_per_m=200.0, leg_damping_n_s_per_m=50.0, push_force_bw=0.3)
    a = reference_step(p, canonical_state(), method="DOP853")
    b = reference_step(p, canonical_state(), method="Radau")
    for key in ("contact_time_s", "surface_peak_sink_m", "peak_leg_force_n",
                "vertical_impulse_n_s", "surface_damping_loss_j", "leg_damping_loss_j",
                "push_positive_j"):
        assert abs(a[key] - b[key]) <= 1e-9 * abs(b[key]), key
    assert np.allclose(a["end_state"], b["end_state"], rtol=1e-10, atol=1e-12)


# ---- vertical hop: closed form ------------------------------------------------------------

def vertical_hop(k, m, g, L0, drop):
    """Contact time and peak compression of a vertical linear spring-mass hop on rigid ground.

    Touchdown at y = L0 with speed v = sqrt(2 g drop) downward. In stance
    m y'' = k (L0 - y) - m g, so u = y - y_eq with y_eq = L0 - m g / k obeys u'' = -w^2 u,
    w = sqrt(k/m), u(0) = g / w^2, u'(0) = -v:  u = R cos(w t + d), R cos d = g / w^2,
    R sin d = v / w, i.e. d = arctan(v w / g), R = sqrt((g/w^2)^2 + (v/w)^2).
    The spring force k (L0 - y) vanishes again at u = g / w^2 = R cos d, rising, i.e. at
    w t + d = 2 pi - d:  t_c = (2 pi - 2 d)/w = (pi + 2 arctan(g / (w v))) / w
    (arctan a + arctan(1/a) = pi/2). Lowest point u = -R: compression m g / k + R.
    """
    w = math.sqrt(k / m)
    v = math.sqrt(2.0 * g * drop)
    tc = (math.pi + 2.0 * math.atan(g / (w * v))) / w
    return tc, g / w**2 + math.hypot(g / w**2, v / w), v


@pytest.mark.parametrize("drop", [1e-4, 0.01, 0.1, 0.3])
def test_vertical_hop_rigid(drop):
    p = params(angle_of_attack_rad=math.pi / 2)
    k, m, L0 = p["leg_stiffness_n_per_m"], p["mass_kg"], p["leg_length_m"]
    r = reference_step(p, (0.0, L0 + drop, 0.0, 0.0))
    assert r["status"] == BACKWARDS  # vx = 0 at the end of the step (physics.md §3)
    tc, comp, v = vertical_hop(k, m, G, L0, drop)
    # (at drop 1e-4 m the liftoff force crosses zero slowly, F' = k v: ~8e-12 s off)
    assert abs(r["contact_time_s"] - tc) < 1e-10
    assert abs(r["max_leg_compression_m"] - comp) < 1e-11
    assert abs(r["peak_leg_force_n"] - k * comp) < 1e-7
    assert abs(r["touchdown_state"][3] + v) < 1e-12
    assert abs(r["liftoff_state"][3] - v) < 1e-9
    assert abs(r["end_state"][1] - (L0 + drop)) < 1e-10
    assert abs(r["flight_time_s"] - v / G) < 1e-10
    assert abs(r["vertical_impulse_n_s"] - (2.0 * m * v + m * G * tc)) < 1e-8


@pytest.mark.parametrize("ks", [50e3, 1e6])
def test_vertical_hop_on_elastic_surface(ks):
    """Leg and elastic surface are springs in series: k_eff = k k_s / (k + k_s)."""
    p = params(angle_of_attack_rad=math.pi / 2, surface_stiffness_n_per_m=ks)
    k, m, L0 = p["leg_stiffness_n_per_m"], p["mass_kg"], p["leg_length_m"]
    drop = 0.05
    r = reference_step(p, (0.0, L0 + drop, 0.0, 0.0))
    assert r["status"] == BACKWARDS
    keff = k * ks / (k + ks)
    tc, comp, _ = vertical_hop(keff, m, G, L0, drop)
    assert abs(r["contact_time_s"] - tc) < 1e-11
    assert abs(r["surface_peak_sink_m"] - keff * comp / ks) < 1e-12
    assert abs(r["min_com_height_m"] - (L0 - comp)) < 1e-11


# ---- status codes -------------------------------------------------------------------------

def test_status_codes():
    # apex below the touchdown height L0 cos(beta)
    assert reference_step(CANONICAL, (0.0, 0.3, 5.0, 0.0))["status"] == FALL
    # a leg too weak to carry the body weight: the COM reaches the ground in stance
    weak = params(angle_of_attack_rad=math.pi / 2, leg_stiffness_n_per_m=500.0)
    assert reference_step(weak, (0.0, 1.05, 0.0, 0.0))["status"] == FALL
    assert reference_step(params(stance_time_budget_s=0.05),
                          canonical_state())["status"] == NO_LIFTOFF
    slow = params(angle_of_attack_rad=math.radians(55.0))
    r = reference_step(slow, (0.0, 1.0, 0.5, 0.0))
    assert r["status"] == BACKWARDS and r["end_state"][2] <= 0.0
    assert reference_step(CANONICAL, (0.0, 200.0, 5.0, 0.0))["status"] == STEP_TIME
    assert reference_step(CANONICAL, (0.0, math.nan, 5.0, 0.0))["status"] == NON_FINITE
