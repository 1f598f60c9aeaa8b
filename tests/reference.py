"""Independent, high-accuracy numpy/scipy oracle for one step of the spring-mass runner.

This module is a test oracle for the JAX engine in ``simsrc``. It shares no code with it:
it implements the equations of ``docs/physics.md`` directly, with plain floats, ``math``,
``scipy.integrate.solve_ivp`` and ``scipy.optimize.brentq``. Accuracy comes first; one call
takes ~15-50 ms on rigid ground, ~70-200 ms on a compliant surface, ~0.4 s on the stiff (Radau)
damped contact. At the default rtol = atol = 1e-12 the results agree with rtol = 3e-14 to
~1e-12 relative and the energy ledger closes to ~1e-9 J or better (energies ~2 kJ).

One step (physics.md §2): closed-form flight from ``state`` to touchdown (closed-form quadratic
root), stance integrated with ``solve_ivp`` between exactly located events, closed-form flight
from liftoff to the next apex (or the step ends at liftoff if the body leaves descending).

Surface cases (physics.md §2 "Surface"):

(a) rigid (``surface_stiffness_n_per_m == inf``): z == 0; stance state (x, y, vx, vy) plus the
    ledger/impulse integrals, DOP853.
(b) compliant, no damper in series (surface and leg damping both 0): z is algebraic. Inside the
    right-hand side it is solved by ``brentq`` (xtol 1e-16, rtol 4 eps) from
    F(z) cos psi(z) = F_e(z; z_max); z' (needed for L' and the push power) comes from implicit
    differentiation with analytic partials, z' = (N_rx vx + N_ry vy) / (k_e - N_ry), with
    N(r_x, r_y) = F cos psi and k_e the slope of the current branch of F_e. Loading ends where
    N = F cos psi is at its maximum, i.e. where z' changes sign (terminal event, direction -1);
    the unloading branch then runs with z_max frozen, and an event z - z_max = 0 (direction +1)
    switches back to loading should the foot sink to z_max again. DOP853.
(c) compliant with a damper in series (surface damping > 0 or leg damping > 0): z is an ODE
    state, z' = (F_n0 - F_e(z; z_max)) / (c_s + c_leg cos^2 psi). Loading (z_max = z) ends at
    the event z' = 0 (direction -1); unloading as in (b). DOP853 when the contact-point time
    constant is not much shorter than the stance, otherwise Radau (see ``_STIFF_RATIO``; its
    Jacobian by forward differences over the body columns), in which case every terminal event
    is re-located by brentq on re-integrated end points rather than on the dense output (this
    takes the ledger residual from ~1e-10 J to ~1e-12 J). The absolute tolerance of z is atol
    scaled by (m g / k_s) / L0, its natural size relative to the leg's; with the plain atol
    z_max was only good to ~1e-9 relative on firm ground.

Piecewise integrands are integrated exactly per segment: the stance is split by terminal
events where their sign changes, and inside a segment each integral goes to one bucket:

- braking/propulsive impulse: F_x = F sin phi with F > 0 throughout stance, so F_x changes
  sign exactly where the COM passes over the foot, x = x_f (event); the segment's sign picks
  the bucket, so min(F_x, 0) and max(F_x, 0) are integrated exactly (the integrand itself is
  left unclipped inside the segment: a clipped one would kink just past the event and make
  the step control chase it);
- push work: F_act L' with F_act >= 0 and F_act == 0 while x <= x_f, so its sign changes only
  where L' = 0 with x > x_f (event); same bucketing.

Peaks (leg force, vertical force, leg compression, leg elastic energy, lowest COM) are found
per segment by sampling the dense output (49 points) followed by a bounded Brent refinement
around the best sample; segment end points count too. (Radau's dense output was checked
against re-integration: ~1e-14..1e-12 relative at the step sizes rtol = 1e-12 forces.)

Optional parameter keys (not in the engine's parameter set): ``stance_time_budget_s``
(default 5 s, NO_LIFTOFF beyond it) and ``flight_time_budget_s`` (default 5 s, STEP_TIME when
touchdown would come later).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq, minimize_scalar

OK, FALL, NO_LIFTOFF, BACKWARDS, STEP_TIME, NON_FINITE = 0, 1, 2, 3, 4, 5

STANCE_TIME_BUDGET_S = 5.0
FLIGHT_TIME_BUDGET_S = 5.0
_EPS = np.finfo(float).eps
_MAX_SEGMENTS = 200
# Case (c) uses Radau when (stance-time estimate) / (contact-point time constant) exceeds this.
_STIFF_RATIO = 1.0e3
# Radau: re-locate terminal events on re-integrated end points (see _refine_event).
_REFINE_EVENTS = True

CANONICAL = dict(
    mass_kg=80.0,
    leg_length_m=1.0,
    leg_stiffness_n_per_m=20000.0,
    leg_damping_n_s_per_m=0.0,
    angle_of_attack_rad=math.radians(68.0),
    lean_rad=0.0,
    push_force_bw=0.0,
    push_ramp_rad=math.radians(20.0),
    slope_rad=0.0,
    gravity_m_per_s2=9.81,
    surface_stiffness_n_per_m=math.inf,
    surface_damping_n_s_per_m=0.0,
    surface_restitution=1.0,
)

LEDGER_KEYS = (
    "kinetic_horizontal_start_j", "kinetic_vertical_start_j", "gravitational_start_j",
    "kinetic_horizontal_end_j", "kinetic_vertical_end_j", "gravitational_end_j",
    "mechanical_change_j",
    "leg_elastic_peak_j", "leg_elastic_returned_j", "leg_elastic_unreturned_j",
    "leg_damping_loss_j", "push_positive_j", "push_negative_j",
    "surface_elastic_peak_j", "surface_elastic_returned_j", "surface_damping_loss_j",
    "surface_plastic_loss_j", "surface_elastic_unreturned_j",
    "hip_swing_work_j", "residual_j",
)
SCALAR_KEYS = (
    "touchdown_time_s", "contact_time_s", "flight_time_s", "foot_x_m",
    "peak_leg_force_n", "peak_vertical_force_n", "min_com_height_m", "max_leg_compression_m",
    "vertical_impulse_n_s", "horizontal_impulse_n_s", "braking_impulse_n_s",
    "propulsive_impulse_n_s", "surface_peak_sink_m", "footprint_depth_m",
) + LEDGER_KEYS
STATE_KEYS = ("touchdown_state", "liftoff_state", "end_state")

# Accumulated integrals appended to the stance state (indices relative to the first one).
_Q_LEG_DAMP, _Q_PUSH_POS, _Q_PUSH_NEG, _Q_SURF_DAMP, _Q_IY, _Q_BRAKE, _Q_PROP = range(7)
_NQ = 7


def canonical_state() -> tuple[float, float, float, float]:
    """Apex at y = 1 m, x = 0, moving forward at 5 m/s (Seyfarth et al. 2002)."""
    return (0.0, 1.0, 5.0, 0.0)


def smoothstep(xi: float) -> tuple[float, float]:
    """S(xi) = e(xi) / (e(xi) + e(1 - xi)), e(t) = exp(-1/t), clamped to [0, 1]; and S'(xi)."""
    if xi <= 0.0:
        return 0.0, 0.0
    if xi >= 1.0:
        return 1.0, 0.0
    a = math.exp(-1.0 / xi)
    b = math.exp(-1.0 / (1.0 - xi))
    den = a + b
    da = a / (xi * xi)
    db = b / ((1.0 - xi) * (1.0 - xi))  # d/dxi of e(1 - xi) is -db
    return a / den, (da * b + a * db) / (den * den)


class _Model:
    """Parameters as floats plus derived constants; all the physics as plain functions."""

    def __init__(self, p: dict):
        self.m = float(p["mass_kg"])
        self.L0 = float(p["leg_length_m"])
        self.k = float(p["leg_stiffness_n_per_m"])
        self.c_leg = float(p["leg_damping_n_s_per_m"])
        self.alpha = float(p["angle_of_attack_rad"])
        self.lean = float(p["lean_rad"])
        self.A = float(p["push_force_bw"])
        self.phi_r = float(p["push_ramp_rad"])
        self.theta = float(p["slope_rad"])
        self.g = float(p["gravity_m_per_s2"])
        self.ks = float(p["surface_stiffness_n_per_m"])
        self.cs = float(p["surface_damping_n_s_per_m"])
        self.rs = float(p["surface_restitution"])
        self.stance_budget = float(p.get("stance_time_budget_s", STANCE_TIME_BUDGET_S))
        self.flight_budget = float(p.get("flight_time_budget_s", FLIGHT_TIME_BUDGET_S))
        if not self.ks > 0.0:
            raise ValueError(f"surface_stiffness_n_per_m must be > 0 (inf = rigid), got {self.ks}")
        if not 0.0 < self.rs <= 1.0:
            raise ValueError(f"surface_restitution must be in (0, 1], got {self.rs}")
        if self.c_leg < 0.0 or self.cs < 0.0:
            raise ValueError("damping coefficients must be >= 0")
        self.gx = -self.g * math.sin(self.theta)
        self.gy = -self.g * math.cos(self.theta)
        self.beta = (0.5 * math.pi - self.alpha) - self.lean
        self.Amg = self.A * self.m * self.g
        self.sin_r = math.sin(self.phi_r)
        if math.isinf(self.ks):
            self.kind = "rigid"
        elif self.cs == 0.0 and self.c_leg == 0.0:
            self.kind = "algebraic"
        else:
            self.kind = "damped"
        self.xf = math.nan

    # ---- energy -----------------------------------------------------------------------
    def energy_parts(self, s):
        x, y, vx, vy = s
        return (0.5 * self.m * vx * vx, 0.5 * self.m * vy * vy,
                self.m * self.g * (x * math.sin(self.theta) + y * math.cos(self.theta)))

    # ---- push ---------------------------------------------------------------------------
    def push(self, sin_phi: float) -> tuple[float, float]:
        """F_act = A m g S(sin phi / sin phi_r) and dF_act/d(sin phi)."""
        if self.Amg == 0.0:
            return 0.0, 0.0
        S, dS = smoothstep(sin_phi / self.sin_r)
        return self.Amg * S, self.Amg * dS / self.sin_r

    # ---- surface ------------------------------------------------------------------------
    def surface_force(self, z: float, loading: bool, zmax: float) -> tuple[float, float]:
        """Elastic-plastic surface force F_e(z; z_max) and its slope dF_e/dz on the branch."""
        if loading:
            return self.ks * z, self.ks
        ke = self.ks / self.rs
        return ke * (z - (1.0 - self.rs) * zmax), ke

    # ---- algebraic surface: N(r_x, r_y) = F cos psi with c_leg = 0, analytic partials -----
    def normal_force(self, rx: float, ry: float):
        L = math.hypot(rx, ry)
        sp, cp = rx / L, ry / L
        Fa, dFa = self.push(sp)
        F = self.k * (self.L0 - L) + Fa
        L3 = L * L * L
        sp_rx, sp_ry = ry * ry / L3, -rx * ry / L3
        cp_rx, cp_ry = -rx * ry / L3, rx * rx / L3
        F_rx = -self.k * sp + dFa * sp_rx
        F_ry = -self.k * cp + dFa * sp_ry
        N = F * cp
        return N, F_rx * cp + F * cp_rx, F_ry * cp + F * cp_ry

    def solve_z(self, rx: float, y: float, loading: bool, zmax: float, guess: float) -> float:
        """Root of G(z) = N(r_x, y + z) - F_e(z; z_max) (G is strictly decreasing) by brentq."""

        def G(z):
            return self.normal_force(rx, y + z)[0] - self.surface_force(z, loading, zmax)[0]

        # Newton step from the guess to centre a small bracket, then expand until it brackets.
        N, _, N_ry = self.normal_force(rx, y + guess)
        Fe, ke = self.surface_force(guess, loading, zmax)
        z1 = guess + (N - Fe) / (ke - N_ry)
        d = 2.0 * abs(z1 - guess) + 1e-14
        lo, hi = z1 - d, z1 + d
        g_lo, g_hi = G(lo), G(hi)
        for _ in range(200):
            if g_lo >= 0.0:
                break
            hi, g_hi = lo, g_lo
            d *= 4.0
            lo = z1 - d
            g_lo = G(lo)
        for _ in range(200):
            if g_hi <= 0.0:
                break
            lo, g_lo = hi, g_hi
            d *= 4.0
            hi = z1 + d
            g_hi = G(hi)
        if g_lo == 0.0:
            return lo
        if g_hi == 0.0:
            return hi
        if not (g_lo > 0.0 > g_hi):
            return math.nan
        return brentq(G, lo, hi, xtol=1e-16, rtol=4.0 * _EPS, maxiter=500)

    # ---- stance quantities ------------------------------------------------------------
    def stance_aux(self, s, mode, cache=None):
        """All stance quantities at ODE state s in the given mode.

        Returns (z, zdot, L, sin_phi, cos_psi, F, F_act, Ldot).
        """
        x, y, vx, vy = s[0], s[1], s[2], s[3]
        rx = x - self.xf
        if self.kind == "rigid":
            z = zdot = 0.0
            L = math.hypot(rx, y)
            sp, cp = rx / L, y / L
            Fa, _ = self.push(sp)
            Ldot = (rx * vx + y * vy) / L
            F = self.k * (self.L0 - L) - self.c_leg * Ldot + Fa
        elif self.kind == "algebraic":
            guess = mode["zguess"]
            z = self.solve_z(rx, y, mode["loading"], mode["zmax"], guess)
            if math.isfinite(z):
                mode["zguess"] = z
            ry = y + z
            N, N_rx, N_ry = self.normal_force(rx, ry)
            _, ke = self.surface_force(z, mode["loading"], mode["zmax"])
            zdot = (N_rx * vx + N_ry * vy) / (ke - N_ry)
            L = math.hypot(rx, ry)
            sp, cp = rx / L, ry / L
            Fa, _ = self.push(sp)
            Ldot = (rx * vx + ry * (vy + zdot)) / L
            F = self.k * (self.L0 - L) + Fa
        else:
            z = s[4]
            ry = y + z
            L = math.hypot(rx, ry)
            sp, cp = rx / L, ry / L
            Fa, _ = self.push(sp)
            Lb = (rx * vx + ry * vy) / L
            Fn0 = (self.k * (self.L0 - L) - self.c_leg * Lb + Fa) * cp
            zmax = z if mode["loading"] else mode["zmax"]
            Fe, _ = self.surface_force(z, mode["loading"], zmax)
            zdot = (Fn0 - Fe) / (self.cs + self.c_leg * cp * cp)
            Ldot = Lb + cp * zdot
            F = self.k * (self.L0 - L) - self.c_leg * Ldot + Fa
        return z, zdot, L, sp, cp, F, Fa, Ldot

    def n_body(self) -> int:
        return 5 if self.kind == "damped" else 4


class _Aux:
    """Memo of the last stance_aux evaluation (solve_ivp calls rhs and events on one state)."""

    def __init__(self, model, mode):
        self.model, self.mode = model, mode
        self.key, self.val = None, None

    def __call__(self, s):
        nb = self.model.n_body()
        key = tuple(s[:nb])
        if key != self.key:
            self.val = self.model.stance_aux(s, self.mode)
            self.key = key
        return self.val


def _rhs_factory(model: _Model, aux: _Aux, mode: dict):
    nb = model.n_body()
    m, gx, gy, c_leg, cs = model.m, model.gx, model.gy, model.c_leg, model.cs
    fx_pos = mode["fx_sign"] > 0
    push_pos = mode["push_sign"] > 0

    def rhs(t, s):
        z, zdot, L, sp, cp, F, Fa, Ldot = aux(s)
        d = np.empty(nb + _NQ)
        d[0], d[1] = s[2], s[3]
        d[2] = F * sp / m + gx
        d[3] = F * cp / m + gy
        if nb == 5:
            d[4] = zdot
        q = d[nb:]
        q[_Q_LEG_DAMP] = c_leg * Ldot * Ldot
        # Within a segment the sign of each split integrand is fixed (the segment ends where it
        # changes), so the bucket takes the integrand itself, unclipped: clipping would put a
        # kink just past the event, which the step-size control would then chase.
        pw = Fa * Ldot
        q[_Q_PUSH_POS] = pw if push_pos else 0.0
        q[_Q_PUSH_NEG] = 0.0 if push_pos else pw
        q[_Q_SURF_DAMP] = cs * zdot * zdot
        q[_Q_IY] = F * cp
        fx = F * sp
        q[_Q_BRAKE] = 0.0 if fx_pos else fx
        q[_Q_PROP] = fx if fx_pos else 0.0
        return d

    return rhs


def _make_event(fn, direction, terminal=True):
    fn.direction = direction
    fn.terminal = terminal
    return fn


def _events_for(model: _Model, aux: _Aux, mode: dict):
    """Terminal events of a stance segment as (name, fn) pairs."""
    ev = []
    ev.append(("liftoff", _make_event(lambda t, s: aux(s)[5], -1)))

    def fall(t, s):
        z = aux(s)[0]
        return min(s[1], s[1] + z)

    ev.append(("fall", _make_event(fall, -1)))
    side = float(mode["fx_sign"])

    def midstance(t, s):
        # x - x_f, but never exactly 0 on the current side (x == x_f throughout a vertical hop)
        d = s[0] - model.xf
        return d if d != 0.0 else side * 1e-300

    ev.append(("midstance", _make_event(midstance, +1 if side < 0 else -1)))
    if model.Amg > 0.0 and mode["fx_sign"] > 0:
        ev.append(("push_sign", _make_event(lambda t, s: aux(s)[7],
                                            -1 if mode["push_sign"] > 0 else +1)))
    if model.kind != "rigid":
        if mode["loading"]:
            ev.append(("unload", _make_event(lambda t, s: aux(s)[1], -1)))
        else:
            ev.append(("reload", _make_event(lambda t, s: aux(s)[0] - mode["zmax"], +1)))
    return ev


class _Segment:
    """One stance segment: a fixed mode between two events, and accurate states in it."""

    def __init__(self, model, mode, t0, t1, sol, knots=None):
        self.model, self.mode, self.t0, self.t1 = model, dict(mode), t0, t1
        self.sol = sol
        self.knots = knots  # (ts, ys): step points, the last one a refined event (Radau)

    def state(self, t: float) -> np.ndarray:
        """State at t from the solver's dense output (at accepted step points: the steps)."""
        if self.knots is not None:
            ts, ys = self.knots
            i = int(np.searchsorted(ts, t))
            if i < len(ts) and ts[i] == t:
                return ys[:, i].copy()
        return self.sol.sol(t)


def _choose_method(model: _Model) -> str:
    if getattr(model, "method", None):
        return model.method
    if model.kind != "damped":
        return "DOP853"
    # contact-point time constant (c_s + c_leg cos^2 psi)/(k_s + k cos^2 psi) at its shortest
    c2 = [0.8 * math.cos(model.beta) ** 2, 1.0]
    tau = min((model.cs + model.c_leg * c) / (model.ks + model.k * c) for c in c2)
    t_stance = math.pi * math.sqrt(model.m / model.k)
    return "Radau" if t_stance / tau > _STIFF_RATIO else "DOP853"


def _body_jacobian(rhs, nb):
    """Forward-difference Jacobian over the body columns only (the integrals feed back nothing).

    Only Radau's Newton iteration uses it, so its accuracy affects the cost, not the result.
    """

    def jac(t, s):
        f0 = rhs(t, s)
        J = np.zeros((s.size, s.size))
        for j in range(nb):
            h = 1e-8 * max(abs(s[j]), 1e-3)
            sp = s.copy()
            sp[j] += h
            J[:, j] = (rhs(t, sp) - f0) / h
        return J

    return jac


def _integrate_stance(model: _Model, s_td, rtol, atol):
    """Integrate the stance from touchdown; returns (status, segments, end state, info)."""
    nb = model.n_body()
    method = _choose_method(model)
    s = np.zeros(nb + _NQ)
    s[:4] = s_td
    if nb == 5:
        # the sink z is ~ m g / k_s, far below the metre scale atol is meant for: scale it down
        atol_v = np.full(s.size, float(atol))
        atol_v[4] = atol * min(1.0, model.m * model.g / model.ks / model.L0)
        atol = atol_v
    mode = dict(
        fx_sign=-1 if model.beta > 0.0 else +1,  # foot ahead of the COM: braking first
        push_sign=+1,
        loading=True,
        zmax=0.0,
        zguess=0.0,
    )
    crossed = mode["fx_sign"] > 0
    info = dict(method=method, zmax=0.0, crossed=crossed, n_segments=0, n_rhs=0, segments=[])
    aux0 = model.stance_aux(s, dict(mode))
    if mode["fx_sign"] > 0 and model.Amg > 0.0:
        mode["push_sign"] = +1 if aux0[7] >= 0.0 else -1
    if aux0[5] < 0.0:  # the leg would pull at touchdown: immediate liftoff
        return OK, [], s, info
    t = 0.0
    segments = []
    for _ in range(_MAX_SEGMENTS):
        seg_mode = dict(mode)  # frozen for this segment (closures below read it later too)
        aux = _Aux(model, seg_mode)
        rhs = _rhs_factory(model, aux, seg_mode)
        named = _events_for(model, aux, seg_mode)
        names = [n for n, _ in named]
        fns = [f for _, f in named]
        opts = dict(jac=_body_jacobian(rhs, nb)) if method == "Radau" else {}
        sol = solve_ivp(rhs, (t, model.stance_budget), s, method=method, rtol=rtol, atol=atol,
                        events=fns, dense_output=True, **opts)
        info["n_rhs"] += sol.nfev
        if sol.status == -1:
            return NON_FINITE, segments, s, info
        if not np.all(np.isfinite(sol.y[:, -1])):
            return NON_FINITE, segments, s, info
        t_end = float(sol.t[-1])
        s_end = sol.y[:, -1].copy()
        fired = None
        if sol.status == 1:
            cands = [i for i in range(len(fns)) if sol.t_events[i].size > 0
                     and sol.t_events[i][-1] == sol.t[-1]]
            priority = ["fall", "liftoff", "unload", "reload", "midstance", "push_sign"]
            cands.sort(key=lambda i: priority.index(names[i]))
            fired = cands[0]
        accurate = None
        if method == "Radau":
            def integrate(ta, ya, tb, _rhs=rhs):
                if tb == ta:
                    return np.array(ya, dtype=float)
                r = solve_ivp(_rhs, (ta, tb), ya, method=method, rtol=rtol, atol=atol, **opts)
                return r.y[:, -1]

            ts = sol.t[:-1] if fired is not None else sol.t
            ys = sol.y[:, :-1] if fired is not None else sol.y
            if fired is not None and _REFINE_EVENTS:
                t_end, s_end = _refine_event(integrate, fns[fired], ts[-1], ys[:, -1], t_end)
                ts = np.append(ts, t_end)
                ys = np.column_stack([ys, s_end])
            accurate = (ts, ys)
        segments.append(_Segment(model, seg_mode, t, t_end, sol, accurate))
        info["n_segments"] += 1
        info["segments"].append((t_end, "loading" if seg_mode["loading"] else "unloading",
                                 seg_mode["fx_sign"], seg_mode["push_sign"]))
        t, s = t_end, s_end
        if fired is None:
            return NO_LIFTOFF, segments, s, info
        name = names[fired]
        if name == "liftoff":
            return OK, segments, s, info
        if name == "fall":
            return FALL, segments, s, info
        a = model.stance_aux(s, dict(mode))
        if name == "midstance":
            mode["fx_sign"] = -mode["fx_sign"]
            if mode["fx_sign"] > 0:
                info["crossed"] = True
                mode["push_sign"] = +1 if a[7] >= 0.0 else -1
        elif name == "push_sign":
            mode["push_sign"] = -mode["push_sign"]
        elif name == "unload":
            mode["loading"] = False
            mode["zmax"] = a[0]
            info["zmax"] = max(info["zmax"], a[0])
        elif name == "reload":
            mode["loading"] = True
            mode["zmax"] = a[0]
        if model.kind == "algebraic":
            mode["zguess"] = a[0]
    raise RuntimeError("reference_step: too many stance segments (event chattering)")


def _refine_event(integrate, g, t_k, y_k, t_guess):
    """Re-locate an event by brentq on g(t, y(t)), y(t) integrated from the step point t_k.

    The event was found between t_k (an accepted step point, before the event) and the end of
    that step; t_guess is the dense-output estimate. Returns the refined time and state.
    """

    def phi(t):
        return g(t, integrate(t_k, y_k, t))

    def before(f):  # all stance events are directional (+1 or -1)
        return f * g.direction < 0.0

    d0 = max(1e-13 * max(1.0, abs(t_guess)), 1e-6 * (t_guess - t_k))
    d = d0
    hi = t_guess + d
    f_hi = phi(hi)
    for _ in range(40):
        if not before(f_hi):
            break
        d *= 4.0
        hi = t_guess + d
        f_hi = phi(hi)
    else:
        return t_guess, integrate(t_k, y_k, t_guess)
    lo = max(t_k, t_guess - d0)
    f_lo = phi(lo)
    if not before(f_lo):
        lo = t_k
        f_lo = g(t_k, y_k)
    if f_hi == 0.0:
        t_e = hi
    elif f_lo == 0.0 or not before(f_lo):
        t_e = lo
    else:
        t_e = brentq(phi, lo, hi, xtol=4.0 * _EPS * max(1.0, abs(t_guess)), rtol=4.0 * _EPS)
    return t_e, integrate(t_k, y_k, t_e)


def _extremum(seg: _Segment, q, n=48):
    """max over the segment of q(aux, state), by sampling then bounded Brent refinement."""
    t0, t1 = seg.t0, seg.t1
    if t1 <= t0:
        st = seg.state(t0)
        return q(seg.model.stance_aux(st, dict(seg.mode)), st)
    ts = np.linspace(t0, t1, n + 1)
    vals = []
    for t in ts:
        st = seg.state(t)
        vals.append(q(seg.model.stance_aux(st, dict(seg.mode)), st))
    vals = np.array(vals)
    i = int(np.nanargmax(vals))
    best = vals[i]
    a, b = ts[max(i - 1, 0)], ts[min(i + 1, n)]

    def neg(t):
        st = seg.state(t)
        return -q(seg.model.stance_aux(st, dict(seg.mode)), st)

    res = minimize_scalar(neg, bounds=(a, b), method="bounded",
                          options=dict(xatol=1e-13 * max(1.0, t1)))
    return max(best, -res.fun)


def _nan_result(status):
    out = {key: math.nan for key in SCALAR_KEYS}
    for key in STATE_KEYS:
        out[key] = (math.nan,) * 4
    out["status"] = int(status)
    return out


def _flight_to_apex(model, s):
    """Closed-form flight from s to the apex (t = vy/(-g_y)); zero time if vy <= 0."""
    x, y, vx, vy = s
    if vy <= 0.0:
        return 0.0, tuple(float(v) for v in s)
    tf = vy / (-model.gy)
    return tf, (x + vx * tf + 0.5 * model.gx * tf * tf, y + 0.5 * vy * tf,
                vx + model.gx * tf, 0.0)


def reference_step(p: dict, state, *, rtol=1e-12, atol=1e-12, dense_n: int = 0,
                   method: str | None = None) -> dict:
    """One step (flight -> touchdown -> stance -> liftoff -> apex) of the spring-mass runner.

    Args:
      p: parameters in SI units (keys as in ``CANONICAL``).
      state: (x, y, vx, vy) at the step start, in flight (m, m, m/s, m/s).
      rtol, atol: solve_ivp tolerances of the stance integration.
      dense_n: if > 0, also return 'stance_t' (dense_n,) and 'stance_y' (dense_n, 5) with
        samples of [x, y, vx, vy, z] uniformly over [0, contact_time_s].
      method: stance integrator, 'DOP853' or 'Radau'; None picks DOP853 except for a stiff
        damped contact point (case c), where it picks Radau.

    Returns:
      dict with 'status' (physics.md §3), event times, touchdown/liftoff/end states, stance
      peaks and impulses, surface sink and footprint, and the full energy ledger (physics.md §4).
    """
    model = _Model(p)
    model.method = method
    x0, y0, vx0, vy0 = (float(v) for v in state)
    out = _nan_result(OK)
    info = {}
    out["info"] = info
    if not all(map(math.isfinite, (x0, y0, vx0, vy0))):
        out["status"] = NON_FINITE
        return out
    E0 = model.energy_parts((x0, y0, vx0, vy0))

    # ---- flight to touchdown: later root of y(t) = L0 cos(beta) ------------------------
    y_td = model.L0 * math.cos(model.beta)
    gy = model.gy
    disc = vy0 * vy0 - 2.0 * gy * (y0 - y_td)
    if gy >= 0.0:
        out["status"] = STEP_TIME
        return out
    if disc < 0.0:
        out["status"] = FALL
        return out
    sq = math.sqrt(disc)
    if vy0 >= 0.0:
        t_td = (vy0 + sq) / (-gy)
    else:  # same root, written without cancellation
        t_td = 2.0 * (y0 - y_td) / (sq - vy0)
    if t_td < 0.0:
        out["status"] = FALL
        return out
    out["touchdown_time_s"] = t_td
    if t_td > model.flight_budget:
        out["status"] = STEP_TIME
        return out
    x_td = x0 + vx0 * t_td + 0.5 * model.gx * t_td * t_td
    s_td = (x_td, y_td, vx0 + model.gx * t_td, -sq)
    out["touchdown_state"] = s_td
    model.xf = x_td + model.L0 * math.sin(model.beta)
    out["foot_x_m"] = model.xf

    # ---- stance -------------------------------------------------------------------------
    try:
        status, segments, s_lo, sinfo = _integrate_stance(model, s_td, rtol, atol)
    except (OverflowError, ZeroDivisionError, FloatingPointError):
        out["status"] = NON_FINITE
        return out
    info.update(sinfo)
    nb = model.n_body()
    if status in (FALL, NO_LIFTOFF, NON_FINITE):
        out["status"] = status
        if segments:
            out["contact_time_s"] = segments[-1].t1
        return out
    tc = segments[-1].t1 if segments else 0.0
    lo = tuple(float(v) for v in s_lo[:4])
    q = s_lo[nb:]
    z_lo = float(s_lo[4]) if nb == 5 else None
    mode_lo = dict(segments[-1].mode) if segments else dict(loading=True, zmax=0.0, zguess=0.0)
    a_lo = model.stance_aux(s_lo, dict(mode_lo, zguess=info.get("zmax", 0.0)))
    if z_lo is None:
        z_lo = a_lo[0]
    L_lo = a_lo[2]
    out["contact_time_s"] = tc
    out["liftoff_state"] = lo

    # ---- flight to apex ---------------------------------------------------------------
    tf, s_end = _flight_to_apex(model, lo)
    out["flight_time_s"] = tf
    out["end_state"] = s_end

    # ---- peaks --------------------------------------------------------------------------
    peak_F = peak_N = max_comp = max_e2 = -math.inf
    min_y = math.inf
    for seg in segments:
        peak_F = max(peak_F, _extremum(seg, lambda a, s: a[5]))
        peak_N = max(peak_N, _extremum(seg, lambda a, s: a[5] * a[4]))
        max_comp = max(max_comp, _extremum(seg, lambda a, s: model.L0 - a[2]))
        max_e2 = max(max_e2, _extremum(seg, lambda a, s: (model.L0 - a[2]) ** 2))
        min_y = min(min_y, -_extremum(seg, lambda a, s: -s[1]))
    if not segments:
        peak_F = peak_N = max_comp = max_e2 = 0.0
        min_y = s_td[1]
    out["peak_leg_force_n"] = peak_F
    out["peak_vertical_force_n"] = peak_N
    out["max_leg_compression_m"] = max_comp
    out["min_com_height_m"] = min_y

    # ---- impulses -------------------------------------------------------------------------
    out["vertical_impulse_n_s"] = float(q[_Q_IY])
    # signs are exact per segment; min/max only remove roundoff of opposite sign (~1e-20)
    out["braking_impulse_n_s"] = min(float(q[_Q_BRAKE]), 0.0)
    out["propulsive_impulse_n_s"] = max(float(q[_Q_PROP]), 0.0)
    out["horizontal_impulse_n_s"] = float(q[_Q_BRAKE] + q[_Q_PROP])

    # ---- surface ----------------------------------------------------------------------
    if model.kind == "rigid":
        zmax = 0.0
        surf_peak = surf_plastic = surf_unret = 0.0
    else:
        zmax = info["zmax"]
        if mode_lo.get("loading", True):
            zmax = max(zmax, z_lo)  # lifted off while still loading
        surf_peak = 0.5 * model.ks * zmax * zmax
        surf_plastic = (1.0 - model.rs) * surf_peak
        zfp = (1.0 - model.rs) * zmax
        surf_unret = 0.5 * (model.ks / model.rs) * (z_lo - zfp) ** 2
    out["surface_peak_sink_m"] = zmax
    out["footprint_depth_m"] = (1.0 - model.rs) * zmax

    # ---- ledger -------------------------------------------------------------------------
    E1 = model.energy_parts(s_end)
    led = {}
    led["kinetic_horizontal_start_j"], led["kinetic_vertical_start_j"], \
        led["gravitational_start_j"] = E0
    led["kinetic_horizontal_end_j"], led["kinetic_vertical_end_j"], \
        led["gravitational_end_j"] = E1
    dE = (E1[0] - E0[0]) + (E1[1] - E0[1]) + (E1[2] - E0[2])
    led["mechanical_change_j"] = dE
    led["leg_elastic_peak_j"] = 0.5 * model.k * max_e2
    led["leg_elastic_unreturned_j"] = 0.5 * model.k * (L_lo - model.L0) ** 2
    led["leg_elastic_returned_j"] = led["leg_elastic_peak_j"] - led["leg_elastic_unreturned_j"]
    led["leg_damping_loss_j"] = float(q[_Q_LEG_DAMP])
    led["push_positive_j"] = max(float(q[_Q_PUSH_POS]), 0.0)
    led["push_negative_j"] = min(float(q[_Q_PUSH_NEG]), 0.0)
    led["surface_elastic_peak_j"] = surf_peak
    led["surface_plastic_loss_j"] = surf_plastic
    led["surface_elastic_unreturned_j"] = surf_unret
    led["surface_elastic_returned_j"] = surf_peak - surf_plastic - surf_unret
    led["surface_damping_loss_j"] = float(q[_Q_SURF_DAMP])
    led["hip_swing_work_j"] = 0.0
    led["residual_j"] = dE - (
        led["push_positive_j"] + led["push_negative_j"] - led["leg_damping_loss_j"]
        - led["leg_elastic_unreturned_j"] - led["surface_damping_loss_j"]
        - led["surface_plastic_loss_j"] - led["surface_elastic_unreturned_j"]
        + led["hip_swing_work_j"])
    out.update(led)

    # ---- dense stance samples -------------------------------------------------------
    if dense_n > 0:
        ts = np.linspace(0.0, tc, dense_n)
        ys = np.full((dense_n, 5), math.nan)
        for j, t in enumerate(ts):
            for seg in segments:
                if t <= seg.t1 or seg is segments[-1]:
                    st = seg.state(min(t, seg.t1))
                    a = model.stance_aux(st, dict(seg.mode))
                    ys[j, :4] = st[:4]
                    ys[j, 4] = a[0]
                    break
            else:
                ys[j, :4] = s_td
                ys[j, 4] = 0.0
        out["stance_t"] = ts
        out["stance_y"] = ys

    for key in SCALAR_KEYS:
        out[key] = float(out[key])
    for key in STATE_KEYS:
        out[key] = tuple(float(v) for v in out[key])

    # ---- status -----------------------------------------------------------------------
    finite = all(math.isfinite(v) for v in (*s_end, *lo, dE))
    if not finite:
        out["status"] = NON_FINITE
    elif not info.get("crossed", False) or s_end[2] <= 0.0:
        out["status"] = BACKWARDS
    else:
        out["status"] = OK
    return out
