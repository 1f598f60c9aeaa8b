"""One step (apex to apex) and a run of N steps, as pure functions of (params, state).

``step(p, s, options)`` returns the next flight state and a ``StepRecord``; ``run`` scans it
over ``n_steps`` with failures as status codes and later steps masked (NaN). The public entry
point with checks and batching is ``simsrc.simulate``.
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

from simsrc.engine import status as st
from simsrc.engine.flight import ballistic, to_apex, touchdown
from simsrc.engine.frame import gravity_m_per_s2, landing_angle_rad
from simsrc.engine.interp import local_crossing, local_maxima
from simsrc.engine.leg import leg_elastic_energy_j
from simsrc.engine.ledger import Ledger, make_ledger
from simsrc.engine.liftoff import stance_path
from simsrc.engine.params import Params, State
from simsrc.engine.stance import SY, Features, initial_sink_rate, initial_state, make_model
from simsrc.engine.surface import stored_energy
from simsrc.engine import swing as sw


@dataclasses.dataclass(frozen=True)
class Options:
    """Numerical options (static: changing one recompiles).

    Attributes:
        surface_model: ``"rigid"``, ``"algebraic"`` (compliant, no damper in series) or
            ``"damped"`` (a damper in series with a compliant surface); ``simulate`` picks the
            cheapest one that covers the parameters when they are concrete.
        method: explicit integrator of the rigid and algebraic surface models, ``"dop853"``
            (8th order, default) or ``"rk4"``; the damped model always uses ARK3 (3rd order).
        stance_steps: steps of the final stance pass (also the stance samples of the
            trajectory); at least 6.
        search_steps: RK4 steps of the coarse pass that finds liftoff and failures.
        horizon_factor: stance time budget in periods of the series spring, 2π√(m(1/k + C)).
        newton_iters: Newton iterations for the surface contact point.
        event_iters: Newton iterations for the liftoff time before the final, differentiated
            one. The final update's gradient is the implicit-function derivative only once the
            iterations have converged: with 1 the gradients were off by ~1e-6, with 3 by ~1e-8.
        max_flight_time_s: budget for the flight before touchdown (status STEP_TIME beyond).
        flight_samples: samples per flight phase in the dense trajectory (0: no trajectory).
        push, leg_damping: compute the push force / leg damping terms (``simulate`` switches
            them off when they are zero for the whole batch, which makes the SLIP faster).
        plastic: the surface may have restitution < 1: the algebraic model's stance is then
            split at the loading/unloading switch (off for purely elastic surfaces).
        landing: how the landing angle is set (MODEL.md §5, ``simsrc.engine.swing``): ``"fixed"``
            (the angle of attack), ``"retraction"`` (rotating rearward from the flight apex) or
            ``"pendulum"`` (a swinging leg; the state then carries a ``Swing``).
        swing_steps: DOP853 steps per swing-leg integration (pendulum mode).
        touchdown_search_steps: samples of the coarse touchdown search (retraction, pendulum).
    """

    surface_model: str = "rigid"
    method: str = "dop853"
    stance_steps: int = 10
    search_steps: int = 12
    horizon_factor: float = 1.0
    newton_iters: int = 3
    event_iters: int = 3
    max_flight_time_s: float = 10.0
    flight_samples: int = 0
    push: bool = True
    leg_damping: bool = True
    plastic: bool = True
    landing: str = "fixed"
    swing_steps: int = 8
    touchdown_search_steps: int = 16

    def __post_init__(self):
        if self.landing not in sw.LANDING_MODES:
            raise ValueError(f"Options.landing must be one of {sw.LANDING_MODES}, "
                             f"got {self.landing!r}")

    @property
    def features(self) -> Features:
        return Features(push=self.push, leg_damping=self.leg_damping)


class StepRecord(NamedTuple):
    """What one step reports (SI). States are ``State`` tuples; energies in ``ledger``."""

    status: jax.Array
    touchdown_time_s: jax.Array
    contact_time_s: jax.Array
    flight_time_s: jax.Array
    touchdown: State
    liftoff: State
    end: State
    foot_x_m: jax.Array
    peak_leg_force_n: jax.Array
    peak_vertical_force_n: jax.Array
    min_com_height_m: jax.Array
    max_leg_compression_m: jax.Array
    vertical_impulse_n_s: jax.Array
    horizontal_impulse_n_s: jax.Array
    braking_impulse_n_s: jax.Array
    propulsive_impulse_n_s: jax.Array
    mid_stance_time_s: jax.Array
    surface_peak_sink_m: jax.Array
    footprint_depth_m: jax.Array
    ledger: Ledger
    landing_angle_rad: jax.Array      # landing leg from the surface normal, forward positive
    swing: sw.Swing | None            # the swinging legs at the end of the step (pendulum mode)


class Trajectory(NamedTuple):
    """Dense samples of one step: flight, stance, flight (times from the step start)."""

    t_s: jax.Array
    x_m: jax.Array
    y_m: jax.Array
    vx_m_per_s: jax.Array
    vy_m_per_s: jax.Array
    sink_m: jax.Array
    leg_force_n: jax.Array
    vertical_force_n: jax.Array
    horizontal_force_n: jax.Array
    phase: jax.Array   # 0 flight before touchdown, 1 stance, 2 flight after liftoff
    swing_angle_rad: jax.Array  # the swinging leg from the surface normal (NaN: not modelled)


def _or_zero(v, like):
    return jnp.zeros_like(like) if v is None else v


def _state(y: SY) -> State:
    return State(y.x, y.y, y.vx, y.vy)


def step(p: Params, s: State, options: Options, swing: sw.Swing | None = None):
    """One step from a flight state: returns (next flight state, StepRecord, Trajectory|None).

    In the pendulum landing mode ``swing`` is the state of the two swinging legs at the start;
    the record's ``swing`` is their state at the end.
    """
    mode = options.landing
    if mode == "pendulum" and swing is None:
        raise ValueError("the pendulum landing mode needs the swing state (simsrc.engine.swing.Swing)")
    lead_td = None
    if mode == "fixed":
        t_td, s_td, x_f, reachable = touchdown(p, s)
        psi_td = landing_angle_rad(p) + jnp.zeros_like(t_td)
    else:
        lead = None if mode == "retraction" else (swing.lead_angle_rad, swing.lead_rate_rad_per_s)
        land = sw.touchdown_moving(p, s, mode, lead, search_steps=options.touchdown_search_steps,
                                   swing_steps=options.swing_steps,
                                   event_iters=options.event_iters)
        t_td, s_td, x_f, psi_td, reachable, lead_td = land
    feats = options.features
    evaluate, stepper, aux0 = make_model(p, x_f, options.surface_model, feats,
                                         options.newton_iters, options.method)
    _, search_stepper, _ = make_model(p, x_f, options.surface_model, feats,
                                      options.newton_iters, "rk4")
    y0 = initial_state(s_td, options.surface_model, feats)
    if options.surface_model == "damped":
        aux0 = (aux0[0], initial_sink_rate(p, y0, x_f, feats))
    horizon = options.horizon_factor * 2 * jnp.pi * jnp.sqrt(
        p.mass_kg * (1.0 / p.leg_stiffness_n_per_m + p.surface_compliance_m_per_n))
    path = stance_path(evaluate, search_stepper, stepper, y0, aux0, horizon,
                       options.search_steps, options.stance_steps, options.event_iters,
                       split=options.surface_model == "algebraic" and options.plastic)
    y_lo = jax.tree_util.tree_map(lambda a: a[-1], path.y)
    s_lo = _state(y_lo)
    t_ap, s_end = to_apex(p, s_lo)
    t_c = path.contact_time_s
    m = p.mass_kg
    gx, gy = gravity_m_per_s2(p)

    # impulses from momentum; braking impulse up to the mid-stance crossing x = x_f
    imp_y = m * (s_lo.vy_m_per_s - s_td.vy_m_per_s) - m * gy * t_c
    imp_x = m * (s_lo.vx_m_per_s - s_td.vx_m_per_s) - m * gx * t_c
    rel_x = path.y.x - x_f
    passed = rel_x >= 0.0
    crossed = jnp.any(passed)
    j = jnp.clip(jnp.argmax(passed), 1, rel_x.shape[0] - 1)
    t_mid, vx_mid = local_crossing(path.t_s, rel_x, path.y.vx[:, None], j)
    vx_mid = vx_mid[0]
    starts_behind = rel_x[0] >= 0.0
    braking = jnp.where(starts_behind, 0.0, m * (vx_mid - s_td.vx_m_per_s) - m * gx * t_mid)
    t_mid = jnp.where(starts_behind, 0.0, t_mid)

    # peaks (refined between samples)
    compression = p.leg_length_m - path.ev.leg_length_m
    max_comp, peak_leg, peak_vert, neg_min_y = local_maxima(path.t_s, jnp.stack(
        [compression, path.ev.leg_force_n, path.ev.normal_force_n, -path.y.y], axis=1))
    min_y = -neg_min_y

    # surface
    c = p.surface_compliance_m_per_n
    r = p.surface_restitution
    if options.surface_model == "damped":
        zmax = path.aux_end[0]
        safe_c = jnp.where(c > 0, c, 1.0)
        surface_peak = jnp.where(c > 0, 0.5 * zmax**2 / safe_c, 0.0)
        z_lo = y_lo.z
        cfe = jnp.where(z_lo >= zmax, z_lo, (z_lo - (1 - r) * zmax) / r)
        surface_unret = jnp.where(c > 0, 0.5 * jnp.where(z_lo >= zmax, 1.0, r) * cfe**2 / safe_c,
                                  0.0)
    elif options.surface_model == "algebraic":
        # the normal force peaks where the surface stops sinking: a sample when the stance is
        # split there (plastic surfaces), else between samples (the polynomial estimate)
        peak_force = jnp.maximum(path.aux_end, path.ev.normal_force_n[-1])
        if not options.plastic:
            peak_force = jnp.maximum(peak_force, peak_vert)
        peak_vert = jnp.maximum(peak_force, jnp.max(path.ev.normal_force_n))
        zmax = c * peak_force
        surface_peak = 0.5 * c * peak_force**2
        surface_unret = stored_energy(path.ev.normal_force_n[-1], c, peak_force, r)
    else:
        zmax = jnp.zeros_like(t_c)
        surface_peak = jnp.zeros_like(t_c)
        surface_unret = jnp.zeros_like(t_c)

    swing_end, swing_terms = None, None
    if mode == "pendulum":
        swing_end, swing_terms = _swing_through(p, swing, lead_td, s_lo, x_f, path,
                                                t_td + t_c + t_ap, t_ap, options.swing_steps)

    ledger = make_ledger(
        p, s, s_end,
        leg_peak_j=leg_elastic_energy_j(p, jnp.maximum(max_comp, 0.0)),
        leg_unreturned_j=leg_elastic_energy_j(p, compression[-1]),
        leg_damping_j=_or_zero(y_lo.w_leg_damping, t_c),
        push_pos_j=_or_zero(y_lo.w_push_positive, t_c),
        push_neg_j=_or_zero(y_lo.w_push_negative, t_c), surface_peak_j=surface_peak,
        surface_unreturned_j=surface_unret,
        surface_damping_j=_or_zero(y_lo.w_surface_damping, t_c), swing=swing_terms)

    code = jnp.int32(st.OK)
    code = jnp.where(s_end.vx_m_per_s <= 0.0, st.BACKWARDS, code)
    code = jnp.where(~crossed, st.BACKWARDS, code)
    code = jnp.where(~path.found, st.NO_LIFTOFF, code)
    code = jnp.where(path.fell, st.FALL, code)
    code = jnp.where(t_td > options.max_flight_time_s, st.STEP_TIME, code)
    code = jnp.where(~reachable, st.FALL, code)
    finite = jnp.all(jnp.array([jnp.all(jnp.isfinite(leaf)) for leaf in
                                jax.tree_util.tree_leaves((s_end, ledger, t_c, peak_vert))]))
    code = jnp.where((code == st.OK) & ~finite, st.NON_FINITE, code)

    record = StepRecord(
        status=code, touchdown_time_s=t_td, contact_time_s=t_c, flight_time_s=t_ap,
        touchdown=s_td, liftoff=s_lo, end=s_end, foot_x_m=x_f,
        peak_leg_force_n=peak_leg, peak_vertical_force_n=peak_vert, min_com_height_m=min_y,
        max_leg_compression_m=max_comp, vertical_impulse_n_s=imp_y,
        horizontal_impulse_n_s=imp_x, braking_impulse_n_s=braking,
        propulsive_impulse_n_s=imp_x - braking, mid_stance_time_s=t_mid,
        surface_peak_sink_m=zmax, footprint_depth_m=(1.0 - r) * zmax, ledger=ledger,
        landing_angle_rad=psi_td, swing=swing_end)

    traj = None
    if options.flight_samples > 0:
        traj = _trajectory(p, s, s_lo, t_td, t_ap, path, options.flight_samples,
                           swing if mode == "pendulum" else None)
    return s_end, record, traj


def _swing_through(p, swing, lead_td, s_lo, x_f, path, t_step, t_ap, n):
    """Pendulum mode: swing the trailing leg through the whole step and the lifting leg from
    liftoff to the apex; return the next ``Swing`` and the ledger's swing terms."""
    trail = sw.integrate(p, swing.trail_angle_rad, swing.trail_rate_rad_per_s, t_step, n)
    phi_lo, om_lo = sw.liftoff_leg(p, s_lo, x_f, path.ev.sink_m[-1])
    lifted = sw.integrate(p, phi_lo, om_lo, t_ap, n)
    energy = sw.swing_energy_j
    e_start = energy(p, swing.lead_angle_rad, swing.lead_rate_rad_per_s) + \
        energy(p, swing.trail_angle_rad, swing.trail_rate_rad_per_s)
    e_end = energy(p, trail.phi, trail.omega) + energy(p, lifted.phi, lifted.omega)
    landing = energy(p, lead_td.phi, lead_td.omega)
    liftoff = energy(p, phi_lo, om_lo)
    w_pos = lead_td.w_pos + trail.w_pos + lifted.w_pos
    w_neg = lead_td.w_neg + trail.w_neg + lifted.w_neg
    residual = (e_end - e_start) - (w_pos + w_neg - landing + liftoff)
    return (sw.Swing(trail.phi, trail.omega, lifted.phi, lifted.omega),
            (w_pos, w_neg, landing, liftoff, residual))


def _trajectory(p, s, s_lo, t_td, t_ap, path, n, swing=None):
    frac = jnp.linspace(0.0, 1.0, n, endpoint=False)
    f1 = ballistic(p, s, frac * t_td)
    frac2 = jnp.linspace(0.0, 1.0, n + 1)[1:]
    f2 = ballistic(p, s_lo, frac2 * t_ap)
    zeros = jnp.zeros_like(frac)
    t_c = path.contact_time_s
    parts = [
        (frac * t_td, path.t_s + t_td, t_td + t_c + frac2 * t_ap),
        (f1.x_m, path.y.x, f2.x_m), (f1.y_m, path.y.y, f2.y_m),
        (f1.vx_m_per_s, path.y.vx, f2.vx_m_per_s), (f1.vy_m_per_s, path.y.vy, f2.vy_m_per_s),
        (zeros, path.ev.sink_m, zeros), (zeros, path.ev.leg_force_n, zeros),
        (zeros, path.ev.normal_force_n, zeros), (zeros, path.ev.horizontal_force_n, zeros),
        (zeros, jnp.ones_like(path.t_s), zeros + 2),
    ]
    if swing is None:
        nan = jnp.full_like(frac, jnp.nan)
        parts.append((nan, jnp.full_like(path.t_s, jnp.nan), nan))
    else:
        # the leading leg until touchdown, then the trailing one (which lands next)
        lead = sw.samples(p, swing.lead_angle_rad, swing.lead_rate_rad_per_s, frac * t_td)
        t_rest = jnp.concatenate([path.t_s + t_td, t_td + t_c + frac2 * t_ap])
        trail = sw.samples(p, swing.trail_angle_rad, swing.trail_rate_rad_per_s,
                           jnp.concatenate([frac * t_td, t_rest]))[frac.shape[0]:]
        parts.append((lead - p.lean_rad, trail[:path.t_s.shape[0]] - p.lean_rad,
                      trail[path.t_s.shape[0]:] - p.lean_rad))
    return Trajectory(*[jnp.concatenate(a) for a in parts])


def _mask(tree, ok):
    def m(v):
        if jnp.issubdtype(v.dtype, jnp.integer):
            return v
        return jnp.where(ok, v, jnp.nan)
    return jax.tree_util.tree_map(m, tree)


def run(p: Params, s: State, n_steps: int, options: Options, swing: sw.Swing | None = None):
    """Scan ``step`` over n_steps; a failure sets the status of that and every later step.

    Returns (records with a leading axis of n_steps, trajectories or None, final state).
    The state carried past a failure is the last good one, so no NaN spreads into the scan.
    ``swing``: the swinging legs at the start (pendulum landing mode).
    """

    def body(carry, _):
        (state, legs), code, t0 = carry
        s_next, rec, traj = step(p, state, options, legs)
        ok_before = code == st.OK
        new_code = jnp.where(ok_before, rec.status, code)
        ok = new_code == st.OK
        legs_next = rec.swing
        rec = _mask(rec._replace(status=new_code), ok)
        state_next = jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b),
                                            (s_next, legs_next), (state, legs))
        t_step = rec.touchdown_time_s + rec.contact_time_s + rec.flight_time_s
        if traj is not None:
            traj = _mask(traj._replace(t_s=traj.t_s + t0), ok)
        return (state_next, new_code, jnp.where(ok, t0 + t_step, t0)), (rec, traj)

    dtype = jnp.result_type(s.x_m)
    if options.landing != "pendulum":
        swing = None
    init = ((s, swing), jnp.int32(st.OK), jnp.zeros((), dtype))
    ((s_final, _), _, _), (recs, trajs) = jax.lax.scan(body, init, None, length=n_steps)
    return recs, trajs, s_final
