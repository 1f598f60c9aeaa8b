"""Impact: stance of the two-mass runner whose lower leg has mass (MODEL.md §12).

A standalone stance model, not yet wired into ``simulate`` or the sweeps. A massless SLIP has
no impact peak; here a small foot mass m_f (the stance foot and shank, 8 % of body mass in
Clark, Ryan & Weyand 2014 J Exp Biol 217:2037 and 2017 J Exp Biol 220:247) sits between the leg
spring and the ground on its own contact spring-damper (heel pad or forefoot, shoe midsole and
surface in series), so that decelerating it at touchdown gives the impact peak.

Model (surface frame of ``frame.py``: x forward, y up; g = (g_x, g_y) tilted by the slope):

* Body mass M_b = M − m_f at the COM (x, y); foot mass m_f at (x_f, y_f).
* Touchdown: the leg is at rest length L0, the foot at (x_f, 0) with velocity (u_f, w_f). The
  foot's horizontal velocity is stopped at once by friction (an impulsive, perfectly plastic
  collision): the loss ½ m_f u_f² is booked as ``collision_j``. Afterwards x_f is fixed and y_f
  is free; d = −y_f > 0 is the compression of the contact.
* Contact (Hunt & Crossley 1975, J Appl Mech 42:440), no tension:

      N = max(k_p d^n (1 + c_p ḋ), 0) for d > 0,   N = 0 for d <= 0

  k_p (N/m^n), exponent n, damping c_p (s/m). The force starts from zero at first contact (no
  force jump, unlike a linear spring-damper), and the damping scales with the deformation.
  Elastic energy k_p d^(n+1)/(n+1); the contact's loss rate is (N − k_p d^n) ḋ.
* Leg (``leg.leg_force_n``): F = k (L0 − L) − c_leg L̇ + F_act along r = (x − x_f, y − y_f),
  L = |r|, L̇ = (r_x v_x + r_y (v_y − ẏ_f))/L, positive pushing the masses apart. F_act is the
  massless engine's active push (``leg.push_force_n``, MODEL.md §4) at sin φ = r_x/L: zero
  while the foot is ahead of the COM, rising as the leg passes behind the vertical; its work
  ∫ F_act L̇ dt is booked in the ledger (``ImpactOptions(push=True)``; off by default). The
  leg is a plain spring between the two masses: it may carry a small tension in the first
  milliseconds, when the foot still moves down faster than the hip (the muscles hold the
  shank to the thigh).
* Equations of motion:

      M_b ẍ = F r_x/L + M_b g_x,   M_b ÿ = F r_y/L + M_b g_y
      m_f ÿ_f = −F r_y/L + N + m_f g_y

  The horizontal force on the foot is taken by friction; the ground reaction force is
  (F r_x/L − m_f g_x, N): the vertical ground force is the contact force N.
* Liftoff: the first downward zero of the leg force F after its maximum, located by Newton's
  method on the cubic Hermite interpolant of the fixed-step solution (the integrator's dense
  output); only the last Newton update carries a gradient (implicit-function theorem, as in
  ``liftoff.py``).

Numerics: classical RK4 in ``jax.lax.scan`` with ``ImpactOptions.steps`` equal steps over a
time budget ``horizon_factor · 2π √(M/k)`` (not differentiated), float64, ``vmap``-able over a
batch of parameters. The foot's contact mode has the period 2π √(m_f/(k_p + k)) (a few ms):
keep h = budget/steps well below it.

The energy ledger (``ImpactLedger``) and the impact metrics (``ImpactMetrics``: impact peak,
loading rates, impact impulse, active peak) are defined on their classes. Presets of foot
strike and shoe with their sources: ``FOOT_STRIKES``, ``SHOES``, ``contact_from_presets``.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from simsrc.engine.frame import gravity_m_per_s2, potential_energy_j
from simsrc.engine.integrators import rk4_step
from simsrc.engine.interp import local_crossing, local_maxima
from simsrc.engine.leg import leg_elastic_energy_j, leg_force_n, push_force_n
from simsrc.engine.params import STANDARD_GRAVITY_M_PER_S2

IMPACT_WINDOW_S = 0.06   # the impact peak is the first local maximum of N within this time
PUSH_RAMP_RAD = math.radians(20.0)   # the engine's default push ramp (params.py, push_ramp_deg)


class ImpactParams(NamedTuple):
    """Parameters of the two-mass stance, SI (a PyTree: every field may be a batch array).

    Attributes:
        mass_kg: total body mass M (body M − m_f plus foot m_f).
        foot_mass_kg: the lower leg's mass m_f (effective collisional mass).
        leg_length_m, leg_stiffness_n_per_m, leg_damping_n_s_per_m: the leg spring L0, k and
            its axial damping c_leg (``leg.leg_force_n``).
        contact_stiffness: k_p of the contact law, N/m^n (N/m for n = 1).
        contact_exponent: n (1: linear spring; heel pads stiffen, n > 1).
        contact_damping_s_per_m: Hunt-Crossley c_p (s/m).
        gravity_m_per_s2: g. slope_rad: surface slope θ (uphill positive; ``frame.py``).
        push_force_bw, push_ramp_rad: the active push along the leg (``leg.push_force_n``,
            MODEL.md §4), in the program only with ``ImpactOptions(push=True)``.
    """

    mass_kg: jax.Array | float
    foot_mass_kg: jax.Array | float
    leg_length_m: jax.Array | float
    leg_stiffness_n_per_m: jax.Array | float
    leg_damping_n_s_per_m: jax.Array | float
    contact_stiffness: jax.Array | float
    contact_exponent: jax.Array | float
    contact_damping_s_per_m: jax.Array | float
    gravity_m_per_s2: jax.Array | float = STANDARD_GRAVITY_M_PER_S2
    slope_rad: jax.Array | float = 0.0
    push_force_bw: jax.Array | float = 0.0
    push_ramp_rad: jax.Array | float = PUSH_RAMP_RAD


class ImpactTouchdown(NamedTuple):
    """The state at touchdown (before the collision): body COM and the foot (m, m/s).

    The foot is at (foot_x_m, 0) and the leg at its rest length; ``touchdown_state`` builds it
    from a landing angle.
    """

    x_m: jax.Array
    y_m: jax.Array
    vx_m_per_s: jax.Array
    vy_m_per_s: jax.Array
    foot_x_m: jax.Array
    foot_vx_m_per_s: jax.Array
    foot_vy_m_per_s: jax.Array


class ImpactY(NamedTuple):
    """Stance state: body (m, m/s), foot height y_f (<= 0 is compression) and its rate, and the
    running integrals: contact and leg damping losses (J), the vertical impulse (N·s) and the
    work of the push (J)."""

    x: jax.Array
    y: jax.Array
    vx: jax.Array
    vy: jax.Array
    yf: jax.Array
    vyf: jax.Array
    w_contact_loss: jax.Array
    w_leg_loss: jax.Array
    impulse_y: jax.Array
    w_push: jax.Array


class ImpactOptions(NamedTuple):
    """Numerical options (static). steps: RK4 steps over the time budget; horizon_factor: the
    budget in periods 2π √(M/k) of the leg spring; event_iters: Newton iterations for liftoff
    before the final, differentiated update; push: put the active push (``push_force_bw``) in
    the program (False leaves it out: a passive stance costs no push terms, and ``stance``
    refuses a concrete nonzero push then)."""

    steps: int = 1600
    horizon_factor: float = 1.2
    event_iters: int = 4
    push: bool = False


class ImpactLedger(NamedTuple):
    """Energy account of one stance (J), from just before the collision to liftoff.

    body_* = ½ M_b v² and M_b g·r of the body; foot_* of the foot (its kinetic energy at the
    start includes the horizontal part lost in the collision); leg_elastic = ½ k (L0 − L)²;
    contact_elastic = k_p d^(n+1)/(n+1); contact_damping_loss = ∫ (N − k_p d^n) ḋ dt;
    leg_damping_loss = ∫ c_leg L̇² dt; collision = ½ m_f u_f²; push_work = ∫ F_act L̇ dt, the
    work of the active push (it pushes the two masses apart; zero without a push).
    residual = E_end − E_start + losses − push_work: zero in exact arithmetic.
    """

    body_kinetic_start_j: jax.Array
    body_potential_start_j: jax.Array
    foot_kinetic_start_j: jax.Array
    foot_potential_start_j: jax.Array
    body_kinetic_end_j: jax.Array
    body_potential_end_j: jax.Array
    foot_kinetic_end_j: jax.Array
    foot_potential_end_j: jax.Array
    leg_elastic_end_j: jax.Array
    contact_elastic_end_j: jax.Array
    contact_damping_loss_j: jax.Array
    leg_damping_loss_j: jax.Array
    collision_j: jax.Array
    push_work_j: jax.Array
    residual_j: jax.Array


class ImpactMetrics(NamedTuple):
    """Impact measures of the vertical ground force N(t) (N, s; BW = M g).

    * impact peak: the first local maximum of N within ``IMPACT_WINDOW_S`` (60 ms) of touchdown
      (``impact_peak_found``). Without one (a curve that rises straight to the active peak, as
      in many forefoot strikes) the reference point is taken at 13 % of the contact time
      (project's convention, close to where heel strikers peak) and ``impact_peak_found`` is
      False: the peak and rates are then those of that point.
    * average loading rate: (0.8 − 0.2) P / (t_80 − t_20), t_q the first time N reaches q P, P
      the impact peak (the 20-80 % definition of Milner et al. 2006, Med Sci Sports Exerc
      38:323; Davis et al. 2016, Br J Sports Med 50:887 use the same window), BW/s.
    * instantaneous loading rate: the maximum of dN/dt before the impact peak, BW/s.
    * impact impulse: ∫ N dt from touchdown to the impact peak, N·s.
    * active peak: the largest N after the first local minimum that follows the impact peak
      (after the reference point when no peak), BW.
    """

    impact_peak_n: jax.Array
    impact_peak_bw: jax.Array
    impact_peak_time_s: jax.Array
    impact_peak_found: jax.Array
    average_loading_rate_bw_per_s: jax.Array
    instantaneous_loading_rate_bw_per_s: jax.Array
    impact_impulse_n_s: jax.Array
    active_peak_bw: jax.Array


class ImpactStance(NamedTuple):
    """One stance of the two-mass model: liftoff, samples, ledger and metrics."""

    contact_time_s: jax.Array
    liftoff: ImpactY
    found: jax.Array            # liftoff within the time budget
    t_s: jax.Array              # (steps + 1,) sample times
    path: ImpactY               # samples, leaves (steps + 1,)
    vertical_force_n: jax.Array       # N at the samples
    horizontal_force_n: jax.Array     # F r_x/L − m_f g_x at the samples
    leg_force_n: jax.Array
    ledger: ImpactLedger
    metrics: ImpactMetrics


# ---------------------------------------------------------------------------------- laws


def contact_force_n(p: ImpactParams, compression_m, rate_m_per_s):
    """Hunt-Crossley contact force N = max(k_p d^n (1 + c_p ḋ), 0) for d > 0, else 0 (N)."""
    spring = _contact_spring_n(p, compression_m)
    return jnp.maximum(spring * (1.0 + p.contact_damping_s_per_m * rate_m_per_s), 0.0)


def _contact_spring_n(p, d):
    """k_p d^n for d > 0, else 0 (N); safe for gradients at d <= 0."""
    pos = d > 0.0
    return jnp.where(pos, p.contact_stiffness * jnp.where(pos, d, 1.0) ** p.contact_exponent,
                     0.0)


def contact_elastic_energy_j(p: ImpactParams, compression_m):
    """k_p d^(n+1)/(n+1) for d > 0, else 0 (J)."""
    pos = compression_m > 0.0
    d = jnp.where(pos, compression_m, 1.0)
    return jnp.where(pos, p.contact_stiffness * d ** (p.contact_exponent + 1.0)
                     / (p.contact_exponent + 1.0), 0.0)


class _Forces(NamedTuple):
    leg_n: jax.Array
    vertical_n: jax.Array
    horizontal_n: jax.Array
    dy: ImpactY


def _forces(p: ImpactParams, x_f, Y: ImpactY, push: bool = False) -> _Forces:
    """The forces and the time derivative of the stance state (``push``: with the active
    push F_act at sin φ = (x − x_f)/L, as in the massless engine)."""
    gx, gy = gravity_m_per_s2(p)
    body = p.mass_kg - p.foot_mass_kg
    rx = Y.x - x_f
    ry = Y.y - Y.yf
    length = jnp.sqrt(rx * rx + ry * ry)
    ldot = (rx * Y.vx + ry * (Y.vy - Y.vyf)) / length
    act = push_force_n(p, rx / length) if push else None
    leg = leg_force_n(p, length, ldot, act)
    d, ddot = -Y.yf, -Y.vyf
    spring = _contact_spring_n(p, d)
    normal = contact_force_n(p, d, ddot)
    fx, fy = leg * rx / length, leg * ry / length
    dy = ImpactY(x=Y.vx, y=Y.vy, vx=fx / body + gx, vy=fy / body + gy,
                 yf=Y.vyf, vyf=(normal - fy) / p.foot_mass_kg + gy,
                 w_contact_loss=(normal - spring) * ddot,
                 w_leg_loss=p.leg_damping_n_s_per_m * ldot * ldot,
                 impulse_y=normal, w_push=act * ldot if push else jnp.zeros_like(ldot))
    return _Forces(leg, normal, fx - p.foot_mass_kg * gx, dy)


# ----------------------------------------------------------------------------- touchdown


def touchdown_state(p: ImpactParams, landing_angle_rad, vx_m_per_s, vy_m_per_s,
                    foot_vx_m_per_s, foot_vy_m_per_s, x_m=0.0) -> ImpactTouchdown:
    """Touchdown with the leg at rest length L0 at β from the surface normal (forward
    positive): COM at (x, L0 cos β), foot at (x + L0 sin β, 0), with the given velocities."""
    zero = jnp.zeros_like(jnp.asarray(landing_angle_rad, float))
    return ImpactTouchdown(x_m + zero, p.leg_length_m * jnp.cos(landing_angle_rad),
                           vx_m_per_s + zero, vy_m_per_s + zero,
                           x_m + p.leg_length_m * jnp.sin(landing_angle_rad),
                           foot_vx_m_per_s + zero, foot_vy_m_per_s + zero)


def foot_velocity(leg_length_m, landing_angle_rad, vx_m_per_s, vy_m_per_s, leg_rate_rad_per_s,
                  length_rate_m_per_s=0.0):
    """The foot's velocity (m/s) at touchdown from the body's and the leg's motion.

    The foot is at L (sin β, −cos β) from the COM; with the leg turning at β̇ (forward
    positive: retraction is β̇ < 0) and lengthening at L̇:
    v_foot = v_body + L β̇ (cos β, sin β) + L̇ (sin β, −cos β). Over-striding (β large, little
    retraction) lands the foot moving forward and down; landing under the COM with a fast
    retraction lands it moving back ("pawing").
    """
    s, c = jnp.sin(landing_angle_rad), jnp.cos(landing_angle_rad)
    return (vx_m_per_s + leg_length_m * leg_rate_rad_per_s * c + length_rate_m_per_s * s,
            vy_m_per_s + leg_length_m * leg_rate_rad_per_s * s - length_rate_m_per_s * c)


def massless_foot_vy(p: ImpactParams, td: ImpactTouchdown):
    """The vertical foot velocity (m/s) at touchdown that a massless foot on a linear,
    undamped contact (n = 1) would have: the one of ``stance.py``'s algebraic contact point.

    Differentiating the balance k_p d = F cos ψ at touchdown (d = 0, L = L0):
    −k_p ẏ_f = −k cos ψ (L̇_b − cos ψ ẏ_f), L̇_b = (r_x v_x + r_y v_y)/L0, so
    ẏ_f = k cos ψ L̇_b / (k_p + k cos² ψ). With this start the m_f → 0 limit has no fast
    transient and tends to the massless engine's stance.
    """
    rx = td.x_m - td.foot_x_m
    ry = td.y_m
    cos_psi = ry / p.leg_length_m
    ldot_b = (rx * td.vx_m_per_s + ry * td.vy_m_per_s) / p.leg_length_m
    k = p.leg_stiffness_n_per_m
    return k * cos_psi * ldot_b / (p.contact_stiffness + k * cos_psi ** 2)


# -------------------------------------------------------------------------------- stance


def _hermite(y0, y1, f0, f1, h, s):
    """Cubic Hermite interpolant at s ∈ [0, 1] of a step of size h (PyTree leaves)."""
    h00 = (1 + 2 * s) * (1 - s) ** 2
    h10 = s * (1 - s) ** 2
    h01 = s * s * (3 - 2 * s)
    h11 = s * s * (s - 1)
    return jax.tree_util.tree_map(
        lambda a, b, fa, fb: h00 * a + h10 * h * fa + h01 * b + h11 * h * fb, y0, y1, f0, f1)


def _take(tree, i):
    return jax.tree_util.tree_map(lambda a: a[i], tree)


def stance(p: ImpactParams, td: ImpactTouchdown,
           options: ImpactOptions = ImpactOptions()) -> ImpactStance:
    """The stance from touchdown (before the collision) to liftoff; see the module docstring.

    Scalar parameters and touchdown; ``jax.vmap`` it for a batch. Differentiable in every
    parameter and touchdown value (``jax.grad``).
    """
    push = options.push
    if not push and not isinstance(p.push_force_bw, jax.core.Tracer) \
            and np.any(np.asarray(p.push_force_bw) != 0.0):
        raise ValueError("impact.stance: push_force_bw is nonzero but ImpactOptions.push is "
                         "False; pass ImpactOptions(push=True)")
    x_f = td.foot_x_m
    zero = jnp.zeros_like(td.x_m)
    y0 = ImpactY(td.x_m, td.y_m, td.vx_m_per_s, td.vy_m_per_s, zero, td.foot_vy_m_per_s,
                 zero, zero, zero, zero)
    n = options.steps
    horizon = jax.lax.stop_gradient(
        options.horizon_factor * 2 * math.pi
        * jnp.sqrt(p.mass_kg / p.leg_stiffness_n_per_m))
    h = horizon / n

    def deriv(Y):
        return _forces(p, x_f, Y, push).dy

    def body(Y, _):
        fo = _forces(p, x_f, Y, push)
        return rk4_step(deriv, Y, h, fo.dy), (Y, fo)

    y_end, (ys, fos) = jax.lax.scan(body, y0, None, length=n)
    fo_end = _forces(p, x_f, y_end, push)
    ys = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a, b[None]]), ys, y_end)
    fos = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a, b[None]]), fos, fo_end)
    t = jnp.arange(n + 1) * h
    idx = jnp.arange(n + 1)

    # liftoff: the first F < 0 after the maximum of F brackets the root in step [j-1, j]
    leg = fos.leg_n
    after = idx > jnp.argmax(leg)
    negative = (leg < 0.0) & after
    found = jnp.any(negative)
    j = jnp.clip(jnp.where(found, jnp.argmax(negative), n), 1, n)
    ya, yb = _take(ys, j - 1), _take(ys, j)
    fa, fb = _take(fos.dy, j - 1), _take(fos.dy, j)

    def leg_at(s, ya, yb, fa, fb):
        return _forces(p, x_f, _hermite(ya, yb, fa, fb, h, s), push).leg_n

    def newton(_, s):
        val, der = jax.jvp(lambda ss: leg_at(ss, *jax.lax.stop_gradient((ya, yb, fa, fb))),
                           (s,), (jnp.ones_like(s),))
        return jnp.clip(s - val / jnp.where(der < 0, der, -1.0), 0.0, 1.0)

    fa0, fb0 = leg[j - 1], leg[j]
    s0 = jax.lax.stop_gradient(fa0 / jnp.where(fa0 > fb0, fa0 - fb0, 1.0))
    s = jax.lax.stop_gradient(jax.lax.fori_loop(0, options.event_iters, newton, s0))
    val, der = jax.jvp(lambda ss: leg_at(ss, ya, yb, fa, fb), (s,), (jnp.ones_like(s),))
    s = s - val / jax.lax.stop_gradient(jnp.where(der < 0, der, -1.0))
    y_lo = _hermite(ya, yb, fa, fb, h, s)
    t_c = (j - 1 + s) * h

    in_stance = t <= t_c
    ledger = impact_ledger(p, td, y_lo)
    metrics = impact_metrics(p, t, ys, fos, t_c, in_stance, h)
    return ImpactStance(t_c, y_lo, found, t, ys, fos.vertical_n, fos.horizontal_n, leg,
                        ledger, metrics)


# -------------------------------------------------------------------------------- ledger


def impact_ledger(p: ImpactParams, td: ImpactTouchdown, y_lo: ImpactY) -> ImpactLedger:
    """The energy account from just before the collision to the state ``y_lo`` (J)."""
    body = p.mass_kg - p.foot_mass_kg
    ke_b0 = 0.5 * body * (td.vx_m_per_s ** 2 + td.vy_m_per_s ** 2)
    pe_b0 = potential_energy_j(p, body, td.x_m, td.y_m)
    ke_f0 = 0.5 * p.foot_mass_kg * (td.foot_vx_m_per_s ** 2 + td.foot_vy_m_per_s ** 2)
    pe_f0 = potential_energy_j(p, p.foot_mass_kg, td.foot_x_m, 0.0)
    ke_b1 = 0.5 * body * (y_lo.vx ** 2 + y_lo.vy ** 2)
    pe_b1 = potential_energy_j(p, body, y_lo.x, y_lo.y)
    ke_f1 = 0.5 * p.foot_mass_kg * y_lo.vyf ** 2
    pe_f1 = potential_energy_j(p, p.foot_mass_kg, td.foot_x_m, y_lo.yf)
    length = jnp.sqrt((y_lo.x - td.foot_x_m) ** 2 + (y_lo.y - y_lo.yf) ** 2)
    leg_el = leg_elastic_energy_j(p, p.leg_length_m - length)
    contact_el = contact_elastic_energy_j(p, -y_lo.yf)
    collision = 0.5 * p.foot_mass_kg * td.foot_vx_m_per_s ** 2
    start = ke_b0 + pe_b0 + ke_f0 + pe_f0
    end = ke_b1 + pe_b1 + ke_f1 + pe_f1 + leg_el + contact_el
    residual = end - start + y_lo.w_contact_loss + y_lo.w_leg_loss + collision - y_lo.w_push
    return ImpactLedger(ke_b0, pe_b0, ke_f0, pe_f0, ke_b1, pe_b1, ke_f1, pe_f1, leg_el,
                        contact_el, y_lo.w_contact_loss, y_lo.w_leg_loss, collision,
                        y_lo.w_push, residual)


# ------------------------------------------------------------------------------- metrics


def _contact_force_rate(p, Y, dY):
    """dN/dt (N/s) along the flow where N > 0 (d = −y_f, ḋ = −ẏ_f, d̈ = −ÿ_f)."""
    d, ddot, dddot = -Y.yf, -Y.vyf, -dY.vyf
    pos = d > 0.0
    ds = jnp.where(pos, d, 1.0)
    n = p.contact_exponent
    spring = p.contact_stiffness * ds ** n
    spring_rate = p.contact_stiffness * n * ds ** (n - 1.0) * ddot
    rate = spring_rate * (1.0 + p.contact_damping_s_per_m * ddot) \
        + spring * p.contact_damping_s_per_m * dddot
    return jnp.where(pos & (contact_force_n(p, d, ddot) > 0), rate, 0.0)


def _refined_max(t, values, center):
    """Value and time of the maximum of samples near ``center`` (degree-6 local polynomial for
    the value, a parabola through three samples for the time)."""
    idx = jnp.arange(t.shape[0])
    start = jnp.clip(center - 3, 0, t.shape[0] - 7)      # the window local_maxima will use
    masked = jnp.where((idx >= start) & (idx < start + 7), values, -jnp.inf)
    peak = local_maxima(t, masked[:, None])[0]
    i = jnp.clip(center, 1, t.shape[0] - 2)
    a, b, c = values[i - 1], values[i], values[i + 1]
    curv = a - 2 * b + c
    shift = jnp.where(curv < 0, 0.5 * (a - c) / jnp.where(curv < 0, curv, -1.0), 0.0)
    return peak, t[i] + jnp.clip(shift, -1.0, 1.0) * (t[1] - t[0])


def impact_metrics(p: ImpactParams, t, ys: ImpactY, fos: _Forces, contact_time_s, in_stance,
                   h) -> ImpactMetrics:
    """The impact measures of ``ImpactMetrics`` from the samples of one stance."""
    bw = p.mass_kg * p.gravity_m_per_s2
    force = jnp.where(in_stance, fos.vertical_n, 0.0)
    n = t.shape[0]
    idx = jnp.arange(n)
    prev = jnp.concatenate([force[:1], force[:-1]])
    nxt = jnp.concatenate([force[1:], force[-1:]])
    is_max = (force > prev) & (force >= nxt) & (idx > 0) & (t <= IMPACT_WINDOW_S) & in_stance
    found = jnp.any(is_max)
    i_ref = jnp.clip(jnp.round(0.13 * contact_time_s / h).astype(int), 3, n - 4)
    i_pk = jnp.where(found, jnp.argmax(is_max), i_ref)
    peak_max, t_max = _refined_max(t, force, i_pk)
    peak = jnp.where(found, peak_max, force[i_ref])
    t_pk = jnp.where(found, t_max, t[i_ref])

    def first_crossing(level):
        above = (force >= level) & (idx <= i_pk)
        k = jnp.clip(jnp.argmax(above), 1, n - 1)
        tc, _ = local_crossing(t, force - level, force[:, None], k)
        return tc

    t20, t80 = first_crossing(0.2 * peak), first_crossing(0.8 * peak)
    avg_rate = 0.6 * peak / (t80 - t20) / bw
    rates = jax.vmap(lambda Y, dY: _contact_force_rate(p, Y, dY))(ys, fos.dy)
    before = jnp.where(idx <= i_pk, rates, -jnp.inf)
    inst_rate, _ = _refined_max(t, jnp.where(idx <= i_pk, rates, 0.0), jnp.argmax(before))
    # impulse to the peak: the integral state, Hermite-interpolated at t_pk
    k = jnp.clip(jnp.floor(t_pk / h).astype(int), 0, n - 2)
    s = t_pk / h - k
    imp = _hermite(ys.impulse_y[k], ys.impulse_y[k + 1], fos.dy.impulse_y[k],
                   fos.dy.impulse_y[k + 1], h, s)
    # active peak: after the first local minimum that follows the impact peak
    is_min = (force < prev) & (force <= nxt) & (idx > i_pk) & in_stance
    i_min = jnp.where(jnp.any(is_min), jnp.argmax(is_min), i_pk)
    late = jnp.where((idx >= i_min) & in_stance, force, -jnp.inf)
    active, _ = _refined_max(t, force, jnp.argmax(late))
    return ImpactMetrics(peak, peak / bw, t_pk, found, avg_rate, inst_rate / bw, imp,
                         active / bw)


# ------------------------------------------------------------------------------- presets


class FootStrike(NamedTuple):
    """How the foot lands: the effective collisional mass, the contact of the foot itself
    (before any shoe) and a typical foot velocity at touchdown, with sources."""

    foot_mass_fraction: float
    contact_stiffness_n_per_m: float
    contact_damping_s_per_m: float
    foot_vx_m_per_s: float
    foot_vy_m_per_s: float
    source: str


class Shoe(NamedTuple):
    """A shoe's midsole as a linear spring in series with the foot's contact (inf: barefoot)."""

    stiffness_n_per_m: float
    damping_s_per_m: float
    source: str


FOOT_STRIKES: dict[str, FootStrike] = {
    "heel": FootStrike(
        0.08, 60e3, 0.5, 0.3, -1.3,
        "mass fraction 0.08: stance foot and shank, Clark, Ryan & Weyand 2014 (J Exp Biol "
        "217:2037) and 2017 (J Exp Biol 220:247). Contact stiffness 60 kN/m and Hunt-Crossley "
        "damping 0.5 s/m: estimates for the heel pad with the soft tissue of the shank, "
        "chosen (docs/physics.md §6) so that a 70 kg heel striker at 3.5 m/s in a cushioned "
        "shoe shows a distinct impact peak of about 1.2 BW; its time (~12 ms) is earlier than "
        "the measured 20-40 ms (MODEL.md §12): one rigid foot mass is the simplest model. "
        "Foot velocity (+0.3, -1.3) m/s: estimate for an over-striding heel strike (foot ahead "
        "of the COM, still moving forward and down)"),
    "midfoot": FootStrike(
        0.05, 45e3, 1.0, 0.0, -0.9,
        "estimates between heel and forefoot: the effective mass falls as the ankle joint "
        "decouples the shank from the foot"),
    "forefoot": FootStrike(
        0.017, 30e3, 2.0, -0.3, -0.5,
        "mass fraction 0.017: effective collisional mass of barefoot forefoot strikes, 1.7 % of "
        "body mass (Lieberman et al. 2010, Nature 463:531; 6.8 % for rear-foot strikes). "
        "Contact stiffness 30 kN/m and damping 2 s/m: estimates for the forefoot plus the "
        "dorsiflexing ankle (softer and more damped than the heel pad). Foot velocity "
        "(-0.3, -0.5) m/s: estimate for a foot placed under the COM while moving back"),
}

SHOES: dict[str, Shoe] = {
    "barefoot": Shoe(math.inf, 0.0, "no shoe: the foot's own contact only"),
    "minimal": Shoe(500e3, 0.5, "estimate: a thin (~5 mm) rubber sole is several times "
                                "stiffer than the heel pad"),
    "cushioned": Shoe(150e3, 1.0, "estimate: heel midsoles of foam running shoes measure "
                                  "about 100-300 N/mm in mechanical impact tests; damping "
                                  "1 s/m is an estimate"),
}


def contact_from_presets(strike: str, shoe: str):
    """(contact_stiffness N/m, exponent 1, damping s/m) of a foot strike in a shoe.

    The foot's contact and the midsole are linear springs in series: 1/k = 1/k_foot + 1/k_shoe.
    The Hunt-Crossley damping is their deformation-weighted mean, c = (k/k_foot) c_foot +
    (k/k_shoe) c_shoe (each element's share of the deformation is k/k_i): an approximation,
    exact in the loss per unit deformation when both have the same c.
    """
    f, s = FOOT_STRIKES[strike], SHOES[shoe]
    compliance = 1.0 / f.contact_stiffness_n_per_m + 1.0 / s.stiffness_n_per_m
    k = 1.0 / compliance
    c = (k / f.contact_stiffness_n_per_m) * f.contact_damping_s_per_m + \
        (k / s.stiffness_n_per_m) * s.damping_s_per_m
    return k, 1.0, c
