"""Independent scipy reference for the moving landing leg (retraction, swinging pendulum).

Shares no code with ``simsrc``: the swing-leg equation is written out again from
docs/physics.md §5, integrated by ``scipy.integrate.solve_ivp`` (DOP853, rtol = atol = 1e-12)
with touchdown located by solve_ivp's event finder, and the stance is ``reference.reference_step``
started at the touchdown state with the angle of attack that the moving leg landed at.

Parameter dicts are ``reference.CANONICAL`` plus the swing keys of ``SWING_DEFAULTS``.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp

from reference import reference_step

TOL = dict(rtol=1e-12, atol=1e-12, method="DOP853")

# Winter (2009) segment fractions for an 80 kg runner with a 1 m leg, and a hip spring
SWING_DEFAULTS = dict(
    swing_leg_mass_kg=0.161 * 80.0,
    swing_leg_com_m=0.447,
    swing_leg_inertia_kg_m2=0.161 * 80.0 * 0.560**2,
    hip_stiffness_n_m_per_rad=300.0,
    hip_neutral_rad=math.radians(28.0),
    hip_damping_n_m_s_per_rad=40.0,
    retraction_rate_rad_per_s=0.0,
)


def swing_rhs(p: dict):
    """u = [φ, φ̇, W]: I φ̈ = −m_l g d sin(φ − λ + θ) − k_hip (φ − φ0) − c_hip φ̇, Ẇ = τ_hip φ̇.
    Returns (rhs, hip power P(u))."""
    m_l, d, inertia = p["swing_leg_mass_kg"], p["swing_leg_com_m"], p["swing_leg_inertia_kg_m2"]
    k_h, phi0, c_h = (p["hip_stiffness_n_m_per_rad"], p["hip_neutral_rad"],
                      p["hip_damping_n_m_s_per_rad"])
    g, lean, slope = p["gravity_m_per_s2"], p["lean_rad"], p["slope_rad"]

    def power(u):
        return (-k_h * (u[0] - phi0) - c_h * u[1]) * u[1]

    def f(t, u):
        phi, om = u[0], u[1]
        hip = -k_h * (phi - phi0) - c_h * om
        acc = (-m_l * g * d * math.sin(phi - lean + slope) + hip) / inertia
        return [om, acc, hip * om]
    return f, power


def swing(p: dict, phi, omega, duration):
    """Swing one leg for ``duration`` s: returns [φ, φ̇, W⁺, W⁻] at the end. The integration is
    restarted at every sign change of the hip power (a terminal event), so that each piece's
    work is of one sign and smooth."""
    f, power = swing_rhs(p)
    u = np.array([phi, omega, 0.0])
    w_pos = w_neg = 0.0
    t = 0.0
    while t < duration:
        def crossing(_, v):
            return power(v)
        crossing.terminal = True
        sol = solve_ivp(f, (t, duration), u, events=crossing, **TOL)
        piece_end = sol.t[-1] if sol.status != 1 else float(sol.t_events[0][0])
        v_end = sol.y[:, -1] if sol.status != 1 else sol.y_events[0][0]
        work = v_end[2] - u[2]
        if work > 0:
            w_pos += work
        else:
            w_neg += work
        u = np.array(v_end)
        if sol.status == 1:
            # step over the crossing so the event does not fire again at the same point
            t_next = min(piece_end + 1e-9, duration)
            nxt = solve_ivp(f, (piece_end, t_next), u, **TOL) if t_next > piece_end else None
            if nxt is not None:
                dw = nxt.y[2, -1] - u[2]
                w_pos, w_neg = (w_pos + dw, w_neg) if power(nxt.y[:, -1]) > 0 else (w_pos, w_neg + dw)
                u = nxt.y[:, -1]
            t = t_next
        else:
            t = duration
    return np.array([u[0], u[1], w_pos, w_neg])


def swing_energy(p: dict, phi, omega):
    return 0.5 * p["swing_leg_inertia_kg_m2"] * omega**2 + p["swing_leg_mass_kg"] * \
        p["gravity_m_per_s2"] * p["swing_leg_com_m"] * (1 - math.cos(phi - p["lean_rad"]
                                                                   + p["slope_rad"]))


def _flight(p, state, t):
    x, y, vx, vy = state
    gx = -p["gravity_m_per_s2"] * math.sin(p["slope_rad"])
    gy = -p["gravity_m_per_s2"] * math.cos(p["slope_rad"])
    return (x + vx * t + 0.5 * gx * t * t, y + vy * t + 0.5 * gy * t * t, vx + gx * t, vy + gy * t)


def touchdown(p: dict, state, mode: str, lead=None):
    """(t_td, ψ_td, lead leg [φ, φ̇, W⁺, W⁻] at touchdown or None) from a state at the apex.

    Touchdown: the first time the foot y − L0 cos ψ(t) reaches 0 after the apex."""
    L0 = p["leg_length_m"]
    gy = -p["gravity_m_per_s2"] * math.cos(p["slope_rad"])
    t_apex = max(state[3], 0.0) / (-gy)
    if mode == "retraction":
        def psi(t):
            return (math.pi / 2 - p["angle_of_attack_rad"] - p["lean_rad"]
                    - p["retraction_rate_rad_per_s"] * max(t - t_apex, 0.0))
        from scipy.optimize import brentq
        h = lambda t: _flight(p, state, t)[1] - L0 * math.cos(psi(t))  # noqa: E731
        ts = np.linspace(t_apex, t_apex + 3.0, 30001)
        hs = np.array([h(t) for t in ts])
        j = int(np.argmax(hs <= 0))
        t = brentq(h, ts[j - 1], ts[j], xtol=1e-15, rtol=1e-15)
        return t, psi(t), None

    f, _ = swing_rhs(p)

    def ground(t, u):
        return _flight(p, state, t)[1] - L0 * math.cos(u[0] - p["lean_rad"])
    ground.terminal = True
    ground.direction = -1
    sol = solve_ivp(f, (0.0, 5.0), [lead[0], lead[1], 0.0], events=ground, **TOL)
    t = float(sol.t_events[0][0])
    u = swing(p, lead[0], lead[1], t)
    return t, sol.y_events[0][0][0] - p["lean_rad"], u


def moving_step(p: dict, state, mode: str, legs=None) -> dict:
    """One apex-to-apex step with a moving landing leg; ``legs`` = (φ_lead, φ̇_lead, φ_trail,
    φ̇_trail) in pendulum mode. Returns reference_step's dict plus the swing results."""
    t_td, psi_td, lead = touchdown(p, state, mode, None if legs is None else legs[:2])
    # the same flight with the leg held at the angle it landed at reaches the ground at t_td too
    # (the later root of the fixed-angle touchdown): the reference's fixed-angle step then runs
    # the stance and the flight after it
    q = dict(p, angle_of_attack_rad=math.pi / 2 - p["lean_rad"] - psi_td)
    out = reference_step(q, state)
    out["moving_touchdown_time_s"] = t_td
    out["landing_angle_rad"] = psi_td
    if legs is None:
        return out
    t_step = t_td + out["contact_time_s"] + out["flight_time_s"]
    trail = swing(p, legs[2], legs[3], t_step)
    x_lo, y_lo, vx_lo, vy_lo = out["liftoff_state"]
    a = out["foot_x_m"] - x_lo
    b = y_lo + out["footprint_depth_m"]
    phi_lo = math.atan2(a, b) + p["lean_rad"]
    om_lo = (b * (-vx_lo) - a * vy_lo) / (a * a + b * b)
    lifted = swing(p, phi_lo, om_lo, out["flight_time_s"])
    out["swing"] = (trail[0], trail[1], lifted[0], lifted[1])
    out["hip_positive_j"] = lead[2] + trail[2] + lifted[2]
    out["hip_negative_j"] = lead[3] + trail[3] + lifted[3]
    out["swing_landing_j"] = swing_energy(p, lead[0], lead[1])
    out["swing_liftoff_j"] = swing_energy(p, phi_lo, om_lo)
    return out
