"""The two-mass stance of ``simsrc.engine.impact`` (MODEL.md §12): an independent scipy
reference, the energy ledger, the massless-foot limit, the impact's trends and gradients.

The reference below is written from the equations of docs/physics.md §6 alone (plain floats,
``math``, ``scipy.integrate.solve_ivp``); it shares no code with the engine.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import solve_ivp

import simsrc
from simsrc.engine import impact as im

G = 9.81
BETA = math.radians(22.0)       # landing leg 22° ahead of the vertical (an over-striding step)
BODY_V = (3.5, -0.6)            # body velocity at touchdown, m/s

# ---------------------------------------------------------------- the independent reference


def ref_stance(par: dict, td: tuple, rtol=1e-12, atol=1e-12, t_switch=0.06):
    """Stance of the two-mass model by solve_ivp (DOP853).

    par: M, mf, L0, k, c_leg, kp, n, cp (SI), optionally push (body weights) and ramp (rad)
    of the active push (MODEL.md §4: F_act = push M g S(sin φ / sin ramp), S the C^∞ step
    e(ξ)/(e(ξ) + e(1 − ξ)), e(t) = exp(−1/t)); td: (x, y, vx, vy, xf, ufx, wfy) before the
    collision. The foot's horizontal velocity is lost at touchdown; the vertical one is kept.
    Returns dict: t_c, liftoff state [x, y, vx, vy, yf, vyf, w_contact, w_leg, impulse,
    w_push],
    impact peak (N) and time (first maximum of the contact force before ``t_switch``).
    Liftoff: terminal event leg force = 0 (falling) in a second segment started at
    ``t_switch``, where the leg is loaded (the leg may pull for a few ms after touchdown).
    """
    M, mf, L0, k, cl, kp, n, cp = (par[key] for key in
                                   ("M", "mf", "L0", "k", "cl", "kp", "n", "cp"))
    push, ramp = par.get("push", 0.0), par.get("ramp", math.radians(20.0))
    mb = M - mf
    xf = td[4]

    def e(t):
        return math.exp(-1.0 / t) if t > 0 else 0.0

    def act(sin_phi):
        xi = sin_phi / math.sin(ramp)
        return push * M * G * e(xi) / (e(xi) + e(1.0 - xi))

    def parts(y):
        x, yy, vx, vy, yf, vyf = y[:6]
        rx, ry = x - xf, yy - yf
        L = math.hypot(rx, ry)
        Ld = (rx * vx + ry * (vy - vyf)) / L
        F = k * (L0 - L) - cl * Ld + act(rx / L)
        d, dd = -yf, -vyf
        spring = kp * d ** n if d > 0 else 0.0
        N = max(spring * (1.0 + cp * dd), 0.0)
        return rx, ry, L, Ld, F, d, dd, spring, N

    def rhs(t, y):
        rx, ry, L, Ld, F, d, dd, spring, N = parts(y)
        fy = F * ry / L
        return [y[2], y[3], F * rx / L / mb, fy / mb - G, y[5], (N - fy) / mf - G,
                (N - spring) * dd, cl * Ld * Ld, N, act(rx / L) * Ld]

    def contact_rate(t, y):     # dN/dt where N > 0
        rx, ry, L, Ld, F, d, dd, spring, N = parts(y)
        if N <= 0 or d <= 0:
            return 0.0
        ddd = -rhs(t, y)[5]
        return kp * n * d ** (n - 1) * dd * (1 + cp * dd) + spring * cp * ddd

    def leg(t, y):
        return parts(y)[4]

    contact_rate.direction = -1.0
    leg.terminal, leg.direction = True, -1.0
    y0 = [td[0], td[1], td[2], td[3], 0.0, td[6], 0.0, 0.0, 0.0, 0.0]
    kw = dict(method="DOP853", rtol=rtol, atol=atol)
    s1 = solve_ivp(rhs, (0.0, t_switch), y0, events=[contact_rate], **kw)
    assert parts(s1.y[:, -1])[4] > 0, "the leg must be loaded at t_switch"
    s2 = solve_ivp(rhs, (t_switch, 2.0), s1.y[:, -1], events=[leg], **kw)
    assert s2.status == 1, "no liftoff"
    out = {"t_c": s2.t_events[0][0], "liftoff": s2.y_events[0][0]}
    if len(s1.t_events[0]):
        out["peak_time"] = s1.t_events[0][0]
        out["peak_n"] = parts(s1.y_events[0][0])[8]
    return out


# ------------------------------------------------------------------------------ the engine

def _params(kp=60e3, n=1.0, cp=0.5, mf_frac=0.08, cl=0.0, M=70.0, k=20e3):
    return im.ImpactParams(M, mf_frac * M, 0.95, k, cl, kp, n, cp, G, 0.0)


def _par_dict(p):
    return dict(M=float(p.mass_kg), mf=float(p.foot_mass_kg), L0=float(p.leg_length_m),
                k=float(p.leg_stiffness_n_per_m), cl=float(p.leg_damping_n_s_per_m),
                kp=float(p.contact_stiffness), n=float(p.contact_exponent),
                cp=float(p.contact_damping_s_per_m))


def _td(p, foot_v=(0.3, -1.3), beta=BETA, body_v=BODY_V):
    return im.touchdown_state(p, beta, body_v[0], body_v[1], foot_v[0], foot_v[1])


def _td_tuple(td):
    return tuple(float(v) for v in td)


def _stack(items):
    return jax.tree_util.tree_map(lambda *a: jnp.stack([jnp.asarray(x, float) for x in a]),
                                  *items)


_batched = jax.jit(jax.vmap(im.stance))


def run_batch(ps, tds):
    """The engine on a list of (params, touchdown): one compiled, vmapped program."""
    return _batched(_stack(ps), _stack(tds))


def _at(tree, i):
    return jax.tree_util.tree_map(lambda a: a[i], tree)


# -------------------------------------------------------------------------------- the tests

def test_agrees_with_scipy_reference():
    """Liftoff state, contact time and impact peak against solve_ivp at rtol = atol = 1e-12.

    Cases: the heel-strike contact (60 kN/m, linear, damped) with leg damping, and a stiffening
    contact (n = 1.5, impact peak 2.0 BW at 5 ms). RK4 with 1600 steps over 0.45 s
    (h = 0.28 ms) against the foot's contact period 2π √(m_f/(k_p + k)) ≈ 60 ms (linear case)
    errs by ~(hω)^4 ≈ 1e-6 relative at worst. Measured differences (worst of the two cases):
    contact time 5e-10, liftoff body state 9e-9 relative, foot height 2e-11 m, foot speed
    3e-9 m/s; impact peak 4e-6 relative (n = 1.5; 9e-9 for the linear contact: the peak value
    comes from a local degree-6 polynomial through the samples), its time 3e-6 s (a parabola
    through three samples). Tolerances: about 10x those.
    """
    cases = [(_params(cl=100.0), (0.3, -1.3)),
             (_params(kp=4e6, n=1.5, cp=0.8), (0.2, -1.0))]   # 4e6 N/m^1.5: ~1.3 BW at 1 cm
    out = run_batch([c[0] for c in cases], [_td(*c) for c in cases])
    for i, (p, fv) in enumerate(cases):
        ref = ref_stance(_par_dict(p), _td_tuple(_td(p, fv)))
        got = _at(out, i)
        assert bool(got.found)
        assert float(got.contact_time_s) == pytest.approx(ref["t_c"], rel=1e-8)
        lo = got.liftoff
        got_lo = [lo.x, lo.y, lo.vx, lo.vy, lo.yf, lo.vyf]
        np.testing.assert_allclose(np.array(got_lo, float)[:4], ref["liftoff"][:4], rtol=1e-7)
        # the foot's height at liftoff is sub-millimetre: absolute tolerances
        np.testing.assert_allclose(float(lo.yf), ref["liftoff"][4], atol=1e-9)
        np.testing.assert_allclose(float(lo.vyf), ref["liftoff"][5], atol=3e-8)
        assert bool(got.metrics.impact_peak_found)
        assert float(got.metrics.impact_peak_n) == pytest.approx(ref["peak_n"], rel=4e-5)
        assert float(got.metrics.impact_peak_time_s) == pytest.approx(ref["peak_time"],
                                                                       abs=2e-5)


_batched_push = jax.jit(jax.vmap(lambda p, td: im.stance(p, td, im.ImpactOptions(push=True))))


def test_push_agrees_with_scipy_reference_and_its_work_is_booked():
    """The active push (0.3 and 0.5 BW, ramps 20° and 10°) against the reference: contact
    time, liftoff state and the push's work ∫ F_act L̇ dt (the reference integrates it as a
    state of its own), at rtol = atol = 1e-12. The ledger closes with the work booked, and the
    push makes the runner leave faster than the passive stance. Measured differences: contact
    time 1.5e-11 relative, liftoff state 3e-11 relative, push work 6e-11 relative (10.4 and
    27.0 J), ledger residual 1.3e-7 J; tolerances as in the passive test. Without
    ``push=True`` a nonzero push is refused."""
    p0 = _params(cl=100.0)
    cases = [p0._replace(push_force_bw=0.3), p0._replace(push_force_bw=0.5,
                                                         push_ramp_rad=math.radians(10.0)),
             p0]
    out = _batched_push(_stack(cases), _stack([_td(p) for p in cases]))
    for i, p in enumerate(cases[:2]):
        ref = ref_stance(dict(_par_dict(p), push=float(p.push_force_bw),
                              ramp=float(p.push_ramp_rad)), _td_tuple(_td(p)))
        got = _at(out, i)
        assert bool(got.found)
        assert float(got.contact_time_s) == pytest.approx(ref["t_c"], rel=1e-8)
        lo = got.liftoff
        np.testing.assert_allclose(np.array([lo.x, lo.y, lo.vx, lo.vy], float),
                                   ref["liftoff"][:4], rtol=1e-7)
        assert float(lo.w_push) == pytest.approx(ref["liftoff"][9], rel=1e-6)
        assert float(got.ledger.push_work_j) == float(lo.w_push) > 10.0
    led = out.ledger
    start = np.asarray(led.body_kinetic_start_j + led.body_potential_start_j
                       + led.foot_kinetic_start_j)
    assert np.all(np.abs(np.asarray(led.residual_j)) < 1e-6 * start)
    assert float(led.push_work_j[2]) == 0.0
    speed = np.hypot(np.asarray(out.liftoff.vx), np.asarray(out.liftoff.vy))
    assert speed[0] > speed[2] and speed[1] > speed[2]
    with pytest.raises(ValueError, match="ImpactOptions.push"):
        im.stance(cases[0], _td(cases[0]))


def test_foot_velocity_is_the_rate_of_the_foot_position():
    """``foot_velocity`` is d/dt of the foot position (x + L sin β, y − L cos β) (a jvp), and
    its signs follow MODEL.md §12: an over-striding leg (β = 25°, slow retraction −2 rad/s)
    lands the foot moving forward and down; a leg under the COM (β = 8°) retracting at
    −6 rad/s lands it moving back (3.5 − 0.95·6·cos 8° = −2.1 m/s)."""
    body = (3.5, -0.6)

    def foot(state):
        x, y, beta, length = state
        return jnp.stack([x + length * jnp.sin(beta), y - length * jnp.cos(beta)])

    for beta, rate, lrate in ((0.44, -2.0, 0.0), (0.14, -6.0, 0.3)):
        _, d = jax.jvp(foot, (jnp.array([0.0, 0.9, beta, 0.95]),),
                       (jnp.array([body[0], body[1], rate, lrate]),))
        v = im.foot_velocity(0.95, beta, body[0], body[1], rate, lrate)
        np.testing.assert_allclose(np.array(v, float), np.asarray(d), rtol=1e-14, atol=1e-14)
    over = im.foot_velocity(0.95, math.radians(25), *body, -2.0)
    under = im.foot_velocity(0.95, math.radians(8), *body, -6.0)
    assert float(over[0]) > 0 and float(over[1]) < 0
    assert float(under[0]) == pytest.approx(3.5 - 0.95 * 6 * math.cos(math.radians(8)))
    assert float(under[0]) < 0


def test_ledger_closes():
    """E_end − E_start + losses = 0 to integration accuracy: below 1e-6 of the stance's energy
    (~1 kJ), with contact damping, leg damping and a collision all present. Measured: 1.4e-7 J
    and 1.7e-9 J for the damped contacts; 7.3e-5 J (7.6e-8 relative) for the undamped one,
    whose foot bounces off the contact ~13 ms before liftoff: the force law's kink at d = 0
    costs RK4 its order there (2.0e-5 J with twice the steps)."""
    cases = [_params(cl=150.0), _params(kp=30e3, cp=2.0, mf_frac=0.017),
             _params(cp=0.0)]                       # the last: no loss but the collision
    tds = [_td(cases[0]), _td(cases[1], (-0.3, -0.5)), _td(cases[2])]
    led = run_batch(cases, tds).ledger
    start = np.asarray(led.body_kinetic_start_j + led.body_potential_start_j
                       + led.foot_kinetic_start_j)
    assert np.all(np.abs(np.asarray(led.residual_j)) < 1e-6 * start)
    # each loss is booked where it is due: collision ½ m_f u_f² (0.5·5.6·0.3² = 0.252 J for
    # the heel strike), contact damping > 0 only when c_p > 0, leg damping only when c_leg > 0
    np.testing.assert_allclose(np.asarray(led.collision_j)[0], 0.5 * 5.6 * 0.3 ** 2, rtol=1e-12)
    assert np.asarray(led.contact_damping_loss_j)[0] > 1.0
    assert abs(float(np.asarray(led.contact_damping_loss_j)[2])) < 1e-12
    assert np.asarray(led.leg_damping_loss_j)[0] > 1.0
    assert float(np.asarray(led.leg_damping_loss_j)[1]) == 0.0


def test_massless_foot_limit_is_the_engine_on_an_elastic_surface():
    """m_f -> 0 on a linear, undamped contact of stiffness k_p is simsrc's massless contact
    point on an elastic surface of stiffness k_p (``algebraic`` model, restitution 1).

    The foot starts with no horizontal velocity (no collision) and the vertical velocity of the
    massless contact point (``massless_foot_vy``), so that no fast foot oscillation is excited.
    The two then differ by O(m_f/M): the body mass M − m_f and the foot's inertia. Expected:
    the differences shrink tenfold per tenfold smaller m_f (measured largest relative
    difference of contact time, liftoff speed and height: 3.8e-3, 3.7e-4, 3.7e-5 for m_f = 1 %,
    0.1 %, 0.01 % of M); tested: below 1e-4 at 0.01 %, and falling at least 5x per decade.
    """
    kp = 80e3
    sp = simsrc.make_params(mass_kg=70.0, leg_length_m=0.95, leg_stiffness_n_per_m=20e3,
                            angle_of_attack_deg=68.0, surface_stiffness_n_per_m=kp,
                            surface_damping_n_s_per_m=0.0, surface_restitution=1.0)
    rec = simsrc.simulate(sp, simsrc.apex(1.0, 4.0), n_steps=1).records
    tdb = rec.touchdown
    errors = []
    for frac in (1e-2, 1e-3, 1e-4):
        p = _params(kp=kp, cp=0.0, mf_frac=frac)._replace(
            gravity_m_per_s2=float(sp.gravity_m_per_s2))
        td = im.ImpactTouchdown(*(jnp.asarray(float(np.ravel(v)[0])) for v in
                                  (tdb.x_m, tdb.y_m, tdb.vx_m_per_s, tdb.vy_m_per_s,
                                   rec.foot_x_m)), jnp.asarray(0.0), jnp.asarray(0.0))
        td = td._replace(foot_vy_m_per_s=im.massless_foot_vy(p, td))
        # the foot's contact period 2π √(m_f/(k_p + k)) is 1.8 ms at m_f = 7 g: finer steps
        out = jax.jit(im.stance, static_argnums=2)(p, td, im.ImpactOptions(steps=8000))
        lo, ref_lo = out.liftoff, rec.liftoff
        err = max(abs(float(out.contact_time_s) / float(np.ravel(rec.contact_time_s)[0]) - 1),
                  abs(float(lo.vx) / float(np.ravel(ref_lo.vx_m_per_s)[0]) - 1),
                  abs(float(lo.vy) - float(np.ravel(ref_lo.vy_m_per_s)[0])) / 4.0,
                  abs(float(lo.y) - float(np.ravel(ref_lo.y_m)[0])) / 0.95)
        errors.append(err)
    assert errors[2] < 1e-4, errors
    assert errors[1] < errors[0] / 5 and errors[2] < errors[1] / 5, errors


def test_impact_trends():
    """The impact peak grows with the foot's touchdown speed and with the contact stiffness;
    a forefoot strike under the COM (Lieberman et al. 2010: smaller effective mass, softer
    contact, foot moving back) has a smaller impact peak and loading rate than a heel strike
    ahead of the COM at the same body speed. Expected: strictly ordered values (MODEL.md §12)."""
    heel_k, _, heel_c = im.contact_from_presets("heel", "cushioned")
    ff_k, _, ff_c = im.contact_from_presets("forefoot", "barefoot")
    hs, ff = im.FOOT_STRIKES["heel"], im.FOOT_STRIKES["forefoot"]
    ps, tds = [], []
    for vy in (-1.3, -1.6, -2.0):                               # foot speed
        ps.append(_params(kp=heel_k, cp=heel_c))
        tds.append(_td(ps[-1], (0.3, vy)))
    for kp in (40e3, 80e3, 160e3):                              # contact stiffness
        ps.append(_params(kp=kp, cp=heel_c))
        tds.append(_td(ps[-1], (0.3, -1.5)))
    ps.append(_params(kp=heel_k, cp=heel_c, mf_frac=hs.foot_mass_fraction))
    tds.append(_td(ps[-1], (hs.foot_vx_m_per_s, hs.foot_vy_m_per_s), beta=BETA))
    ps.append(_params(kp=ff_k, cp=ff_c, mf_frac=ff.foot_mass_fraction))
    tds.append(_td(ps[-1], (ff.foot_vx_m_per_s, ff.foot_vy_m_per_s), beta=math.radians(12)))
    m = run_batch(ps, tds).metrics
    peak = np.asarray(m.impact_peak_bw)
    assert np.all(np.asarray(m.impact_peak_found)[:6])
    assert peak[0] < peak[1] < peak[2]
    assert peak[3] < peak[4] < peak[5]
    assert bool(m.impact_peak_found[6])
    assert peak[7] < peak[6]
    rate = np.asarray(m.average_loading_rate_bw_per_s)
    inst = np.asarray(m.instantaneous_loading_rate_bw_per_s)
    assert rate[7] < rate[6] and inst[7] < inst[6]
    # loading rates are rates: the instantaneous one exceeds the 20-80 % average
    assert np.all(inst >= rate)


def test_gradients_agree_with_reference_finite_differences():
    """d(liftoff speed)/d(k_p), d(liftoff speed)/d(β) and d(impact peak)/d(k_p) by automatic
    differentiation against central finite differences of the scipy reference (steps
    60 N/m = 1e-3 relative and 1e-4 rad; the reference's 1e-12 tolerance makes the difference
    quotients good to ~1e-7). Measured: 8.6e-7, 1.2e-8 and 1.4e-7 relative; tolerance 1e-5."""
    base = _params(cl=100.0)
    fv = (0.3, -1.3)

    def outputs(kp, beta):
        p = base._replace(contact_stiffness=kp)
        out = im.stance(p, _td(p, fv, beta=beta))
        lo = out.liftoff
        return jnp.stack([jnp.sqrt(lo.vx ** 2 + lo.vy ** 2), out.metrics.impact_peak_n])

    d_kp, d_beta = jax.jit(jax.jacfwd(outputs, argnums=(0, 1)))(60e3, BETA)

    def ref(kp, beta):
        p = base._replace(contact_stiffness=kp)
        r = ref_stance(_par_dict(p), _td_tuple(_td(p, fv, beta=beta)))
        return np.array([math.hypot(r["liftoff"][2], r["liftoff"][3]), r["peak_n"]])

    dk, db = 60.0, 1e-4
    fd_kp = (ref(60e3 + dk, BETA) - ref(60e3 - dk, BETA)) / (2 * dk)
    fd_beta = (ref(60e3, BETA + db) - ref(60e3, BETA - db)) / (2 * db)
    np.testing.assert_allclose(np.asarray(d_kp), fd_kp, rtol=1e-5)
    assert float(d_beta[0]) == pytest.approx(fd_beta[0], rel=1e-5)


@pytest.mark.slow   # compiles the two-mass stance and a one-step program (about 60 s cold)
def test_the_impact_of_a_steady_gait_starts_from_its_touchdown():
    """``[impact] foot_strike`` (``simsrc run``): the two-mass stance runs from the steady
    gait's own touchdown. Checked independently: on level rigid ground the body lands after a
    free fall from the apex to L0 cos β, so its vertical speed at touchdown is
    √(2 g (y_apex − L0 cos β)); the stance's ledger closes; with the gait's push its contact
    time is the massless gait's within 4 %; a heel strike in a cushioned shoe
    has an impact peak, a barefoot forefoot strike a lower one or none (Lieberman et al. 2010:
    forefoot strikers show no impact transient); "none" computes nothing."""
    import math

    from simsrc.config.runner import resolve_config, steady_config, steady_impact

    heel_cfg = resolve_config("configs/human.toml", ["foot_strike=heel"])
    inputs, gait = steady_config(heel_cfg)
    assert bool(gait.converged)
    heel = steady_impact(inputs, gait)
    beta = math.radians(heel["landing_angle_deg"])
    g, leg = float(inputs.params.gravity_m_per_s2), float(inputs.params.leg_length_m)
    fall = math.sqrt(2.0 * g * (float(gait.apex_height_m) - leg * math.cos(beta)))
    assert abs(-heel["touchdown_vy_m_per_s"] - fall) < 1e-9
    assert abs(heel["touchdown_vx_m_per_s"] - float(gait.apex_speed_m_per_s)) < 1e-9
    assert heel["impact_peak_found"] and 1.0 < heel["impact_peak_bw"] < 3.0
    assert 0.005 < heel["impact_peak_time_s"] < 0.06
    assert abs(heel["impact_ledger_residual_j"]) < 1e-5
    # the stance has the gait's push (0.85 BW), so it ends as the massless gait's does, up to
    # the lower leg's mass (8 %): measured 0.232 s against 0.237 s (0.219 s without the push)
    assert heel["impact_push_work_j"] > 10.0
    assert abs(heel["impact_contact_time_s"] / float(gait.metrics.contact_time_s) - 1) < 0.04
    fore_cfg = resolve_config("configs/human.toml", ["foot_strike=forefoot", "shoe=barefoot"])
    fore = steady_impact(steady_config(fore_cfg)[0], gait)
    assert (not fore["impact_peak_found"]) or fore["impact_peak_bw"] < heel["impact_peak_bw"]
    assert steady_impact(steady_config(resolve_config("configs/human.toml"))[0], gait) is None


@pytest.mark.slow   # a steady solve, a six-step run and the two-mass stance for six steps
def test_simsrc_run_steps_give_each_steps_impact_from_its_own_landing(tmp_path, capsys):
    """``simsrc run --steps`` with a foot strike: each step's impact comes from that step's
    own touchdown. A runner started from a 1.0 m apex (above its 0.92 m steady apex) lands
    ever more gently over the first steps, then the apex rises again. Expected (MODEL.md §12,
    and ``test_impact_trends``: the impact peak grows with the touchdown speed): the peaks are
    ordered as the landing speeds |v_y| are (measured 2.02 BW at 1.57 m/s falling to 1.50 BW at
    0.97 m/s, then 1.53 at 1.01), the landing speeds are the run's own touchdowns, and the
    first step's impact is the one of a one-step run from the same start
    (``impact_at_touchdown`` on that step alone)."""
    import json

    from simsrc.cli.main import main
    from simsrc.config.runner import resolve_config, run_config
    from simsrc.metrics.impact import impact_at_touchdown

    sets = ["foot_strike=heel", "apex_height_m=1.0"]
    out = tmp_path / "run.json"
    args = ["run", "configs/human.toml", "--steps", "6", "--json", str(out)]
    assert main(args + [a for s in sets for a in ("--set", s)]) == 0
    assert "impact of each step" in capsys.readouterr().out
    steps = json.loads(out.read_text())["steps"]
    peak = np.array([s["impact_peak_bw"] for s in steps])
    vy = np.array([s["touchdown_vy_m_per_s"] for s in steps])
    assert np.all(np.isfinite(peak)) and peak.size == 6
    assert np.array_equal(np.argsort(peak), np.argsort(-vy))
    assert peak.max() - peak.min() > 0.3
    inputs, one = run_config(resolve_config("configs/human.toml", sets + ["n_steps=1"]))
    np.testing.assert_allclose(vy[0], float(np.ravel(one.records.touchdown.vy_m_per_s)[0]),
                               rtol=1e-9)
    first = impact_at_touchdown(inputs.params, one.records, np.array([True]), "heel",
                                "cushioned")
    np.testing.assert_allclose(peak[0], float(first["impact_peak_bw"][0]), rtol=1e-9)
