"""The landing leg in flight: retraction, Raibert's and the deadbeat foot placement, and the
swinging leg as a physical pendulum (MODEL.md §5, §11).

Five landing modes (``Options.landing``):

* ``"fixed"``: the leg lands at the angle of attack α (``flight.touchdown``, closed form).
* ``"retraction"`` (Seyfarth, Geyer & Herr 2003): from the flight apex the leg rotates rearward
  at a constant rate ω_R from the angle α_R = α; the landing angle follows from the flight time:
  α(t) = α_R + ω_R (t − t_apex) for t after the apex.
* ``"raibert"`` (Raibert 1986, Legged Robots That Balance; MODEL.md §11): foot placement by
  feedback. At each step's start (the flight apex) the angle of attack is chosen from the apex
  speed v and the last contact time τ so that the foot lands ahead of the hip by half the
  distance travelled in a contact (the neutral point) plus a gain K times the speed error,
  L0 cos α = v τ/2 + K (v − v*), the foot kept between 0.95 L0 ahead of and 0.3 L0 behind the
  hip, and lowered where needed so that it lands at least ``LANDING_MARGIN`` L0 below the apex
  (``raibert_angle``). The landing itself is then the fixed mode's closed form. The law's state
  (τ, K, v*) is carried from step to step (``Placement``); the first step's τ is the leg
  spring's half period π√(m/k). The same law as the host-side closed loop of
  ``simsrc.gait.steady.controlled_walk``, here inside the compiled step: vectorised and
  differentiable (the angle is a closed form of the apex state).
* ``"deadbeat"`` (MODEL.md §11; Carver, Cowan & Guckenheimer 2009): at each apex the angle of
  attack is the root of P_y(α) = y*, the next apex at a target height, found inside the step by
  ``DEADBEAT_ITERS`` Newton iterations from the last step's angle, each differentiating the
  whole fixed-angle step in forward mode, kept between ``DEADBEAT_LOWEST_ANGLE_RAD`` and the
  steepest leg whose foot lands ``LANDING_MARGIN`` L0 below the apex. The answer's gradient is
  the implicit-function derivative dα/dθ = −(∂P_y/∂θ)/(∂P_y/∂α), as for the event times, given
  by a ``jax.custom_jvp`` rule (∂P_y/∂α the last iteration's): the iterations are not
  differentiated, and a program that is not differentiated holds no gradient code. The state
  carries the angle and y* (``Deadbeat``).
  With a speed target v* as well (``HeldDeadbeat``) the step solves for the angle and the
  runner's energy control u together, P(α, u) = (y*, v*), u > 0 a push of u body weights and
  u < 0 braking by leg damping (``with_energy_control``, ``held_deadbeat``): the runner then
  holds its apex and its speed from the first step on, on any slope the bounds allow. Where
  no angle reaches y* (too little energy for that apex) the step lands at the nearest the
  iterations found and its apex says by how much it missed.
* ``"pendulum"``: the runner has two legs. The leg that is not in stance swings as a physical
  pendulum hinged at the hip (mass m_l, centre of mass at d from the hip, inertia I about the hip)
  driven by a hip torque τ_hip = −k_hip (φ − φ_0) − c_hip φ̇ toward the neutral angle φ_0. Its
  angle φ is measured from the body axis (the surface normal turned forward by the lean λ),
  forward positive; from the surface normal it is ψ = φ − λ. The legs swap roles at touchdown;
  the leg that lifts off starts swinging from its liftoff angle and angular rate. Aimed by
  Raibert's law (``AimedSwing``), the hip's φ_0 is, at each apex, the law's landing angle
  relative to the body, π/2 − α: the hip drives the massed leg toward the placement the law
  asks for.

Swing-leg equation (hip treated as an inertial pivot, see below):

    I φ̈ = −m_l g d sin(ψ + θ) + τ_hip,   ψ = φ − λ,   θ the slope

The swinging leg's mass does not move the body's centre of mass (the body is still the point mass
m of the SLIP), and its hip is treated as an inertial pivot: the body's acceleration is not fed
back into the pendulum. Averaged over a steady step the hip's acceleration is zero (the mean
ground force is one body weight), so the pendulum sees gravity g on average. While the foot is
behind the hip the swinging leg is assumed to clear the ground (knee flexion, not modelled): it can
touch down only from the flight apex on.

Touchdown is the first time after the apex at which the landing foot reaches the surface,
y − L0 cos ψ(t) = 0. It is found by a coarse search over the fall from the apex to the ground and
Newton's method on the accurate solution; only the final Newton update carries a gradient, which
is the implicit-function derivative of the touchdown time (as for liftoff, docs/numerics.md).

Energy: the hip torque's work on the swinging legs, split into positive and negative parts
(muscle work, docs/metrics.md), is booked in the ledger. The swing legs' own energy
E_sw = ½ I φ̇² + m_l g d (1 − cos(ψ + θ)) changes only by that work, by the energy the landing
leg takes out of the swing at touchdown and by the energy the lifting leg brings in at liftoff;
``swing_residual_j`` checks that balance. The body's ledger closes without these terms.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from simsrc.engine.flight import ballistic
from simsrc.engine.integrators import dop853_step, rk4_step
from simsrc.engine.frame import (gravity_m_per_s2, landing_angle_from_body_rad, landing_angle_rad,
                                 plumb_angle_rad)
from simsrc.engine.params import LEG_COM_FRACTION, LEG_GYRATION_FRACTION, LEG_MASS_FRACTION, State

LANDING_MODES = ("fixed", "retraction", "pendulum", "raibert", "deadbeat")
#: The placed foot must land at least this far (in leg lengths) below the apex (``"raibert"``,
#: ``"deadbeat"``).
LANDING_MARGIN = 0.01
__all__ = ["LANDING_MODES", "LANDING_MARGIN", "AimedSwing", "Deadbeat", "HeldDeadbeat",
           "Placement", "deadbeat_angle", "held_deadbeat", "with_energy_control", "raibert_angle", "LEG_MASS_FRACTION", "LEG_COM_FRACTION", "LEG_GYRATION_FRACTION",
           "Swing", "default_swing", "natural_frequency_hz", "swing_energy_j"]


class Swing(NamedTuple):
    """The two legs in flight at a flight apex (pendulum mode): angles from the body axis, rad,
    forward positive, and angular rates, rad/s. ``lead`` lands next; ``trail`` lifted off last."""

    lead_angle_rad: jax.Array | float
    lead_rate_rad_per_s: jax.Array | float
    trail_angle_rad: jax.Array | float
    trail_rate_rad_per_s: jax.Array | float


class Leg(NamedTuple):
    """One swinging leg during integration: angle, rate, and the hip's positive and negative work."""

    phi: jax.Array
    omega: jax.Array
    w_pos: jax.Array
    w_neg: jax.Array


class _Y(NamedTuple):
    phi: jax.Array
    omega: jax.Array
    work: jax.Array      # net hip work since the start


def hip_torque_n_m(p, phi, omega):
    """τ_hip = −k_hip (φ − φ_0) − c_hip φ̇ (N·m)."""
    return -p.hip_stiffness_n_m_per_rad * (phi - p.hip_neutral_rad) \
        - p.hip_damping_n_m_s_per_rad * omega


def _rhs(p, y: _Y) -> _Y:
    psi = y.phi - p.lean_rad
    g = p.gravity_m_per_s2
    tau_g = -p.swing_leg_mass_kg * g * p.swing_leg_com_m * jnp.sin(plumb_angle_rad(p, psi))
    tau = hip_torque_n_m(p, y.phi, y.omega)
    return _Y(y.omega, (tau_g + tau) / p.swing_leg_inertia_kg_m2, tau * y.omega)


def _power_and_rate(p, y: _Y):
    """Hip power P = τ φ̇ (W) and its time derivative."""
    d = _rhs(p, y)
    tau = hip_torque_n_m(p, y.phi, y.omega)
    tau_rate = -p.hip_stiffness_n_m_per_rad * y.omega - p.hip_damping_n_m_s_per_rad * d.omega
    return tau * y.omega, tau_rate * y.omega + tau * d.omega


def swing_energy_j(p, phi, omega):
    """Energy of a swinging leg about its hip: ½ I φ̇² + m_l g d (1 − cos(ψ + θ)), J."""
    psi = phi - p.lean_rad
    return 0.5 * p.swing_leg_inertia_kg_m2 * omega**2 + p.swing_leg_mass_kg * \
        p.gravity_m_per_s2 * p.swing_leg_com_m * (1.0 - jnp.cos(plumb_angle_rad(p, psi)))


def natural_frequency_hz(p):
    """Small-swing frequency of the leg about its hip: √((m_l g d + k_hip)/I) / 2π, Hz."""
    return jnp.sqrt((p.swing_leg_mass_kg * p.gravity_m_per_s2 * p.swing_leg_com_m
                     + p.hip_stiffness_n_m_per_rad) / p.swing_leg_inertia_kg_m2) / (2 * jnp.pi)


def integrate(p, phi, omega, duration_s, n: int, method=dop853_step, crossing_iters=5) -> Leg:
    """Swing one leg from (φ, φ̇) for ``duration_s`` in ``n`` equal steps (DOP853 by default).

    The hip's net work is integrated with the leg; its positive and negative parts are split
    exactly: a step in which the power τ φ̇ changes sign is cut at the sign change, located by
    ``crossing_iters`` Newton iterations on the length of a single step (the power has a kink
    there, which would cost the integrator its order if integrated as max(τ φ̇, 0)).
    """
    zero = jnp.zeros_like(phi + omega + duration_s)
    y0 = _Y(phi + zero, omega + zero, zero)
    h = duration_s / n

    def f(u):
        return _rhs(p, u)

    def body(carry, _):
        y, w_pos, w_neg = carry
        y1 = method(f, y, h)
        pa, _ = _power_and_rate(p, y)
        pb, _ = _power_and_rate(p, y1)
        cross = pa * pb < 0.0
        frac = jnp.where(cross, pa / jnp.where(cross, pa - pb, 1.0), 0.5)

        def newton(_, s):
            ys = method(f, y, s * h)
            ps, rate = _power_and_rate(p, ys)
            safe = jnp.where(rate * h != 0.0, rate * h, 1.0)
            return jnp.clip(s - ps / safe, 0.0, 1.0)

        frac = jax.lax.fori_loop(0, crossing_iters, newton, frac)
        w_first = method(f, y, frac * h).work - y.work
        w_step = y1.work - y.work
        w_second = w_step - w_first
        sign = jnp.where(pa != 0.0, pa, jnp.where(pb != 0.0, pb, w_step))
        pos = jnp.where(cross, jnp.where(pa > 0, w_first, w_second), jnp.where(sign > 0, w_step, 0.0))
        neg = jnp.where(cross, jnp.where(pa > 0, w_second, w_first), jnp.where(sign > 0, 0.0, w_step))
        return (y1, w_pos + pos, w_neg + neg), None

    (y, w_pos, w_neg), _ = jax.lax.scan(body, (y0, zero, zero), None, length=n)
    return Leg(y.phi, y.omega, w_pos, w_neg)


def angle_at(p, phi, omega, duration_s, n: int):
    """(φ, φ̇) after ``duration_s`` (no work split: for event location)."""
    zero = jnp.zeros_like(phi + omega + duration_s)
    h = duration_s / n

    def body(y, _):
        return dop853_step(lambda u: _rhs(p, u), y, h), None

    y, _ = jax.lax.scan(body, _Y(phi + zero, omega + zero, zero), None, length=n)
    return y.phi, y.omega


def samples(p, phi, omega, times_s):
    """Leg angle at increasing ``times_s`` (from 0), one RK4 step between samples (for plots)."""
    y0 = _Y(phi, omega, jnp.zeros_like(phi))

    def body(carry, t):
        y, t_prev = carry
        y = rk4_step(lambda u: _rhs(p, u), y, t - t_prev)
        return (y, t), y.phi

    _, out = jax.lax.scan(body, (y0, jnp.zeros_like(phi)), times_s)
    return out


def default_swing(p, state: State) -> Swing:
    """A plausible start for the pendulum mode at a flight apex: the leading leg at the fixed
    landing angle (π/2 − α relative to the body), at rest; the trailing leg mirrored behind,
    swinging forward at the body's rate over the foot, v / L0."""
    beta = landing_angle_from_body_rad(p)
    return Swing(beta, jnp.zeros_like(beta), -beta + 0.0 * state.vx_m_per_s,
                 state.vx_m_per_s / p.leg_length_m)


def liftoff_leg(p, s_lo: State, x_f, sink_m):
    """Angle (from the body axis) and rate of the stance leg at liftoff, which starts to swing.

    The leg from the hip to the foot at (x_f, −z): ψ = atan2(x_f − x, y + z), ψ̇ from the body's
    velocity (the sink rate at liftoff is neglected)."""
    a = x_f - s_lo.x_m
    b = s_lo.y_m + sink_m
    psi = jnp.arctan2(a, b)
    rate = (b * (-s_lo.vx_m_per_s) - a * s_lo.vy_m_per_s) / (a * a + b * b)
    return psi + p.lean_rad, rate


class Placement(NamedTuple):
    """Raibert's foot placement (``"raibert"`` landing mode), carried from step to step: the
    last contact time τ (s), the gain K (s) and the speed v* it aims at (m/s)."""

    contact_time_s: jax.Array | float
    gain_s: jax.Array | float
    aim_m_per_s: jax.Array | float


class AimedSwing(NamedTuple):
    """The pendulum mode's swinging legs aimed by Raibert's foot placement: at each apex the
    hip's neutral angle φ_0 becomes the law's landing angle, π/2 − α relative to the body, so
    that the hip drives the massed swing leg toward the placement the law asks for (MODEL.md
    §11; ``simulate(..., landing="pendulum", placement=(K, v*))``)."""

    legs: Swing
    law: Placement


def raibert_angle(p, s: State, placement: Placement):
    """The angle of attack (rad) of Raibert's law at the apex ``s`` (module docstring), and
    whether any angle lands the foot ``LANDING_MARGIN`` below the apex (False: no flight)."""
    v = s.vx_m_per_s
    c = 0.5 * v * placement.contact_time_s + placement.gain_s * (v - placement.aim_m_per_s)
    law = jnp.arccos(jnp.clip(c / p.leg_length_m, -0.3, 0.95))
    top, lands = steepest_landing_angle(p, s)
    return jnp.minimum(law, top), lands


def steepest_landing_angle(p, s: State):
    """The largest angle of attack (the steepest leg, rad) whose foot, landing at
    β = π/2 − α − λ from the surface normal, touches down at least ``LANDING_MARGIN`` L0 below
    the apex ``s``, and whether any angle does (False: the apex is within the margin)."""
    h = s.y_m / p.leg_length_m - LANDING_MARGIN
    beta_min = jnp.where(h >= 1.0, 0.0, jnp.arccos(jnp.clip(h, -1.0, 1.0)))
    return 0.5 * jnp.pi - p.lean_rad - beta_min, h > 0.0


class Deadbeat(NamedTuple):
    """The deadbeat foot placement (``"deadbeat"`` landing mode), carried from step to step:
    the last step's angle of attack (rad; the next root finding starts there) and the target
    apex height y* (m)."""

    angle_rad: jax.Array | float
    apex_height_m: jax.Array | float


#: The flattest leg the deadbeat root finding may try (rad from the ground, about 11°).
DEADBEAT_LOWEST_ANGLE_RAD = 0.2
#: Newton iterations of the deadbeat angle per step (from the last step's angle: a steady gait
#: needs one or two, a cold start four or five; the step is differentiated once per iteration).
DEADBEAT_ITERS = 5


def deadbeat_angle(p, s: State, target_m, alpha0, next_apex_y):
    """The angle of attack α with ``next_apex_y(p, s, α) == target_m`` (``"deadbeat"`` mode;
    module docstring), from ``alpha0``; ``next_apex_y(p, s, α)`` is the fixed-angle step's next
    apex height from ``s``."""
    def box(q, s0):
        top = steepest_landing_angle(q, s0)[0]
        return DEADBEAT_LOWEST_ANGLE_RAD + jnp.zeros_like(top), top - 1e-9

    def g(a, q, s0, aim):
        return next_apex_y(q, s0, a) - aim

    def search(q, s0, aim, a0):
        """``DEADBEAT_ITERS`` Newton iterations: (the answer, the last derivative)."""
        q, s0, aim, a0 = jax.lax.stop_gradient((q, s0, aim, a0))
        low, top = box(q, s0)

        def iterate(_, carry):
            a, _ = carry
            val, der = jax.jvp(lambda a: g(a, q, s0, aim), (a,), (jnp.ones_like(a),))
            nxt = a - val / der
            return jnp.where(jnp.isfinite(nxt), jnp.clip(nxt, low, top), a), der

        return jax.lax.fori_loop(0, DEADBEAT_ITERS, iterate,
                                 (jnp.clip(a0, low, top), jnp.ones_like(a0)))

    @jax.custom_jvp
    def solve(q, s0, aim, a0):
        return search(q, s0, aim, a0)[0]

    @solve.defjvp
    def solve_jvp(primals, tangents):
        # the implicit-function derivative dα = −(∂g/∂θ) dθ / (∂g/∂α), ∂g/∂α from the last
        # iteration (one converged update earlier); zero at a bound
        a, der = search(*primals)
        _, dg = jax.jvp(lambda q, s0, aim: g(a, q, s0, aim), primals[:3], tangents[:3])
        low, top = box(*primals[:2])
        return a, jnp.where((a > low) & (a < top), -dg / der, 0.0)

    return solve(p, s, target_m, alpha0), steepest_landing_angle(p, s)[1]



class HeldDeadbeat(NamedTuple):
    """The deadbeat foot placement with an energy control (``"deadbeat"`` landing mode with a
    speed target), carried from step to step: the last step's angle of attack (rad) and energy
    control u (``with_energy_control``), and the targets y* (m) and v* (m/s) of every apex."""

    angle_rad: jax.Array | float
    control: jax.Array | float
    apex_height_m: jax.Array | float
    speed_m_per_s: jax.Array | float


#: Bounds of the energy control u (``with_energy_control``): at most 2 body weights of push
#: and 2 √(k m) of leg damping (a damping ratio of 1).
ENERGY_CONTROL_BOUNDS = (-2.0, 2.0)
#: Newton iterations of (α, u) per step in the held-speed deadbeat mode (from the last step's
#: pair; a steady gait needs one or two, the first step from a cold start, or a guess with a
#: push where the slope needs braking, up to eight with the halvings).
HELD_DEADBEAT_ITERS = 8


def with_energy_control(p, u):
    """``p`` with the runner's two energy controls set from one number u: a push of u body
    weights where u > 0 (positive, concentric work), a leg damping of −u √(k m) where u < 0
    (active braking: negative, eccentric work of the knee extensors in early stance; MODEL.md
    §11). u = 0 is the conservative leg."""
    return p._replace(push_force_bw=jnp.maximum(u, 0.0),
                      leg_damping_n_s_per_m=jnp.maximum(-u, 0.0)
                      * jnp.sqrt(p.leg_stiffness_n_per_m * p.mass_kg))


def _solve2(jac, val):
    """J⁻¹ val for a 2 × 2 J (Cramer's rule; elementwise, no LAPACK call in the step)."""
    det = jac[0, 0] * jac[1, 1] - jac[0, 1] * jac[1, 0]
    return jnp.stack([jac[1, 1] * val[0] - jac[0, 1] * val[1],
                      jac[0, 0] * val[1] - jac[1, 0] * val[0]]) / det


def held_deadbeat(p, s: State, law: HeldDeadbeat, next_apex):
    """The angle of attack α and energy control u whose fixed-angle step from ``s`` ends at the
    targets, ``next_apex(p, s, α, u) == (y*, v*, True)`` (the next apex's height, horizontal
    speed and success), by a damped Newton method on the 2 × 2 system from the last step's
    pair (one runner: scalars; ``simulate`` vectorises).

    Each iteration differentiates the fixed-angle step in forward mode along α and u. A pair
    whose step fails (``ok`` False) or whose residual, |y − y*|/L0 + |v − v*|/√(g L0), is no
    smaller than the best one's is rejected: the next trial is halfway back to the best pair.
    Pairs stay within [``DEADBEAT_LOWEST_ANGLE_RAD``, the steepest landing leg] ×
    ``ENERGY_CONTROL_BOUNDS``. The answer is one Newton update from the best pair with the
    value and Jacobian found there; its gradient is the implicit-function derivative
    d(α, u)/dθ = −J⁻¹ ∂g/∂θ (a ``jax.custom_jvp`` rule, zero for a component at its bound).
    Where no pair reaches the targets the step runs with that answer and its apex says by how
    much it missed."""
    def box(q, s0):
        top = steepest_landing_angle(q, s0)[0]
        return (jnp.stack([DEADBEAT_LOWEST_ANGLE_RAD + jnp.zeros_like(top),
                           ENERGY_CONTROL_BOUNDS[0] + jnp.zeros_like(top)]),
                jnp.stack([top - 1e-9, ENERGY_CONTROL_BOUNDS[1] + jnp.zeros_like(top)]))

    def g(x, q, s0, aim):
        y, v, ok = next_apex(q, s0, x[0], x[1])
        val = jnp.stack([y - aim.apex_height_m, v - aim.speed_m_per_s])
        return val, (val, ok)

    def newton(x, val, jac, lo, hi):
        nxt = x - _solve2(jac, val)
        return jnp.where(jnp.all(jnp.isfinite(nxt)), jnp.clip(nxt, lo, hi), x)

    def search(q, s0, aim):
        """The damped Newton iterations: (the answer, the best pair, its Jacobian)."""
        q, s0, aim = jax.lax.stop_gradient((q, s0, aim))
        lo, hi = box(q, s0)
        scale = jnp.stack([q.leg_length_m, jnp.sqrt(q.gravity_m_per_s2 * q.leg_length_m)])

        def iterate(_, carry):
            x, best, best_size, best_val, best_jac = carry
            # the step's value and its two forward-mode columns in one pass
            jac, (val, ok) = jax.jacfwd(lambda z: g(z, q, s0, aim), has_aux=True)(x)
            size = jnp.sum(jnp.abs(val) / scale)
            better = ok & jnp.isfinite(size) & jnp.all(jnp.isfinite(jac)) & (size < best_size)
            best = jnp.where(better, x, best)
            best_val = jnp.where(better, val, best_val)
            best_jac = jnp.where(better, jac, best_jac)
            nxt = jnp.where(better, newton(x, val, jac, lo, hi), 0.5 * (x + best))
            return nxt, best, jnp.where(better, size, best_size), best_val, best_jac

        x0 = jnp.clip(jnp.stack([aim.angle_rad, aim.control]), lo, hi)
        carry = (x0, x0, jnp.full_like(lo[0], jnp.inf), jnp.zeros_like(x0),
                 jnp.zeros(x0.shape * 2, x0.dtype))
        _, best, _, val, jac = jax.lax.fori_loop(0, HELD_DEADBEAT_ITERS, iterate, carry)
        # one more update from the best pair, with the value and Jacobian found there
        return newton(best, val, jac, lo, hi), best, jac

    @jax.custom_jvp
    def solve(q, s0, aim):
        return search(q, s0, aim)[0]

    @solve.defjvp
    def solve_jvp(primals, tangents):
        # the implicit-function derivative d(α, u) = −J⁻¹ (∂g/∂θ) dθ, at the best pair; zero
        # for a component held at its bound
        x, best, jac = search(*primals)
        _, dg = jax.jvp(lambda q, s0, aim: g(best, q, s0, aim)[0], primals, tangents)
        lo, hi = box(*primals[:2])
        return x, jnp.where((x > lo) & (x < hi), -_solve2(jac, dg), 0.0)

    x = solve(p, s, law)
    lands = steepest_landing_angle(p, s)[1]
    return x[0], x[1], lands


class Landing(NamedTuple):
    """Touchdown found by ``touchdown_moving``."""

    time_s: jax.Array
    state: State
    foot_x_m: jax.Array
    angle_rad: jax.Array     # ψ at touchdown, from the surface normal, forward positive
    reachable: jax.Array
    lead: Leg | None         # the landing leg at touchdown (pendulum mode)


def touchdown_moving(p, s: State, mode: str, lead=None, *, search_steps=16, swing_steps=8,
                     event_iters=3) -> Landing:
    """Touchdown with a landing leg that moves during flight (``retraction`` or ``pendulum``).

    ``lead`` is (φ, φ̇) of the landing leg at the start (pendulum mode). The search runs from the
    apex (or the start, if already descending) to the moment the COM would reach the surface.
    """
    _, gy = gravity_m_per_s2(p)
    L0 = p.leg_length_m
    t_apex = jnp.maximum(s.vy_m_per_s, 0.0) / (-gy)
    disc = s.vy_m_per_s**2 - 2.0 * gy * s.y_m
    t_ground = (s.vy_m_per_s + jnp.sqrt(jnp.maximum(disc, 0.0))) / (-gy)

    if mode == "retraction":
        def angle(t):
            tau = jnp.maximum(t - t_apex, 0.0)
            psi = landing_angle_rad(p) - p.retraction_rate_rad_per_s * tau
            return psi, -p.retraction_rate_rad_per_s * jnp.ones_like(tau), None

        def coarse(ts):
            return angle(ts)[0]
    elif mode == "pendulum":
        phi0, om0 = lead

        def angle(t):
            phi, om = angle_at(p, phi0, om0, t, swing_steps)
            return phi - p.lean_rad, om, None

        def coarse(ts):
            phi_a, om_a = angle_at(p, phi0, om0, t_apex, swing_steps)
            dt = (t_ground - t_apex) / search_steps
            return jnp.concatenate([phi_a[None], samples(
                p, phi_a, om_a,
                dt * jnp.arange(1, search_steps + 1, dtype=dt.dtype))]) - p.lean_rad
    else:
        raise ValueError(f"touchdown_moving: unknown mode {mode!r}")

    frac = jnp.linspace(0.0, 1.0, search_steps + 1)
    ts = t_apex + frac * (t_ground - t_apex)
    ys = ballistic(p, s, ts).y_m
    h = ys - L0 * jnp.cos(coarse(ts))
    below = h <= 0.0
    reachable = (h[0] > 0.0) & jnp.any(below) & (disc >= 0.0)
    j = jnp.clip(jnp.argmax(below), 1, search_steps)
    t_a, t_b = ts[j - 1], ts[j]
    h_a, h_b = h[j - 1], h[j]
    t = t_a + (t_b - t_a) * h_a / jnp.where(h_a - h_b > 0, h_a - h_b, 1.0)
    t = jnp.where(reachable, t, t_apex)

    def residual(tt):
        psi, rate, leg = angle(tt)
        st = ballistic(p, s, tt)
        value = st.y_m - L0 * jnp.cos(psi)
        slope = st.vy_m_per_s + L0 * jnp.sin(psi) * rate
        return value, slope

    def newton(_, tt):
        value, slope = residual(tt)
        safe = jnp.where(slope < 0.0, slope, -1.0)
        return jnp.clip(tt - value / safe, t_a, t_b)

    t = jax.lax.stop_gradient(jax.lax.fori_loop(0, event_iters, newton, t))
    value, slope = residual(t)
    slope = jax.lax.stop_gradient(jnp.where(slope < 0.0, slope, -1.0))
    t = t - value / slope                       # the implicit-function derivative
    t = jnp.where(reachable, t, t_apex)
    if mode == "pendulum":
        # the landing leg with its hip work; its angle is the one the event was located on
        leg = integrate(p, lead[0], lead[1], t, swing_steps)
        psi = leg.phi - p.lean_rad
    else:
        leg = None
        psi = angle(t)[0]
    s_td = ballistic(p, s, t)
    return Landing(t, s_td, s_td.x_m + L0 * jnp.sin(psi), psi, reachable, leg)
